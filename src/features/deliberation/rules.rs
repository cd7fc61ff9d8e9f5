//! Deliberation's rules as plain functions: who a unit's rows reach, when a topic reaches
//! the agenda, quorum, when a motion passes, and the replay of a motion's votes in arrival
//! order that the model test holds the engine to.
//!
//! Nothing here reads the database or the clock: handlers read, call these, and write.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::domain::FieldError;

/// The key a unit's (or the community's) residents hold in their sync scope: rows of the
/// unit are seen over it. Derived, so it names nothing else in any other table.
pub fn room(unit_or_community: Uuid) -> Uuid {
    Uuid::new_v5(&unit_or_community, b"linli-deliberation/room")
}

/// The key holders of a position over a unit (or community-wide) hold: rows of that unit
/// and of every unit under it are seen over it.
pub fn bench(unit_or_community: Uuid) -> Uuid {
    Uuid::new_v5(&unit_or_community, b"linli-deliberation/bench")
}

/// Who a deliberation row reaches: the residents of its unit (`room`), holders over its
/// unit (`bench`), over the area and compound above it, and community-wide (`desk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    pub room_id: Uuid,
    pub bench_id: Uuid,
    pub area_bench_id: Option<Uuid>,
    pub compound_bench_id: Option<Uuid>,
    pub desk_id: Uuid,
}

/// A unit and the units above it: what a row's reach is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Level {
    /// The building, area or compound; `None` for the community.
    pub unit: Option<Uuid>,
    pub area: Option<Uuid>,
    pub compound: Option<Uuid>,
}

impl Level {
    /// The level a topic referred up goes to: a building's area (or compound when it has
    /// none), an area's compound, a compound's community. `None` at the community.
    pub fn up(self) -> Option<Level> {
        let unit = self.unit?;
        Some(match (self.area, self.compound) {
            (Some(a), c) if a != unit => Level {
                unit: Some(a),
                area: Some(a),
                compound: c,
            },
            (_, Some(c)) if c != unit => Level {
                unit: Some(c),
                area: None,
                compound: Some(c),
            },
            _ => Level::default(),
        })
    }
}

impl Reach {
    pub fn of(community: Uuid, level: Level) -> Self {
        let here = level.unit.unwrap_or(community);
        Self {
            room_id: room(here),
            bench_id: bench(here),
            area_bench_id: level.area.filter(|a| Some(*a) != level.unit).map(bench),
            compound_bench_id: level.compound.filter(|c| Some(*c) != level.unit).map(bench),
            desk_id: bench(community),
        }
    }

    /// Whether a viewer holding `keys` (see [`super::keys_of`]) sees the row.
    pub fn seen_with(&self, keys: &BTreeSet<Uuid>) -> bool {
        [
            Some(self.room_id),
            Some(self.bench_id),
            self.area_bench_id,
            self.compound_bench_id,
            Some(self.desk_id),
        ]
        .into_iter()
        .flatten()
        .any(|k| keys.contains(&k))
    }

    /// Whether a holder (not a resident) holding `keys` sees the row: ratings' comments.
    pub fn held_with(&self, keys: &BTreeSet<Uuid>) -> bool {
        [
            Some(self.bench_id),
            self.area_bench_id,
            self.compound_bench_id,
            Some(self.desk_id),
        ]
        .into_iter()
        .flatten()
        .any(|k| keys.contains(&k))
    }
}

macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vdoc])* $v),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$v),)* _ => None }
            }
        }
    };
}

names!(
    /// What a topic is about.
    Category {
        Parking = "parking",
        Sanitation = "sanitation",
        Safety = "safety",
        Repairs = "repairs",
        Neighbours = "neighbours",
        Activities = "activities",
        CompanyAffairs = "company_affairs",
        Other = "other",
    }
);

names!(
    /// Where a topic stands.
    TopicState {
        /// Collecting supports.
        Open = "open",
        /// On its level's agenda (enough supports, or referred by a holder).
        OnAgenda = "on_agenda",
        /// A motion on it passed: see its decision.
        Decided = "decided",
    }
);

names!(
    /// A meeting's quorum rule: share of the voting members who must be present.
    Quorum {
        /// More than half (the default).
        Half = "half",
        /// At least two thirds (charter changes).
        TwoThirds = "two_thirds",
    }
);

names!(
    /// What a motion needs to pass, counted over the voting members present.
    Rule {
        /// More agree than half of those present (abstentions count as present).
        Majority = "majority",
        /// At least two thirds of those present agree (the charter, the meeting rules).
        TwoThirds = "two_thirds",
    }
);

names!(
    /// A recorded vote.
    Choice {
        Agree = "agree",
        Against = "against",
        Abstain = "abstain",
    }
);

names!(
    /// An invitee's part in a meeting.
    Part {
        /// A voting member: the unit's representatives and holders.
        Member = "member",
        /// An invited resident (speaks, does not vote).
        Resident = "resident",
        /// A liaison of the mining company's departments.
        Liaison = "liaison",
        Observer = "observer",
    }
);

names!(
    /// An invitee's answer.
    Answer {
        Pending = "pending",
        Attending = "attending",
        NotAttending = "not_attending",
    }
);

names!(
    /// A decision's standing in the register.
    DecisionState {
        InForce = "in_force",
        /// A later decision amended it (`superseded_by`).
        Amended = "amended",
        /// A later decision repealed it.
        Repealed = "repealed",
    }
);

names!(
    /// The versioned documents the register holds.
    DocumentKind {
        /// 《社區居民協商自治章程》.
        Charter = "charter",
        /// The joint meeting's rules of procedure.
        MeetingRules = "meeting_rules",
    }
);

names!(
    /// A task's progress.
    TaskStatus {
        NotStarted = "not_started",
        InProgress = "in_progress",
        Blocked = "blocked",
        Done = "done",
    }
);

names!(
    /// A resident's rating of a decision carried out.
    Rating {
        Satisfied = "satisfied",
        Partly = "partly",
        NotSatisfied = "not_satisfied",
    }
);

/// A share or a count of a unit's verified residents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    Count(u32),
    /// Percent, rounded up, at least one support.
    Percent(u32),
}

impl Threshold {
    /// The default: 2% of the unit's verified residents, at least 3 (Consul asks 1–2% of
    /// the census; a building of 60 residents then needs 3 neighbours, the community 400).
    pub const DEFAULT: Threshold = Threshold::Percent(2);

    /// Supports needed in a unit of `residents` verified residents.
    pub fn needed(self, residents: u32) -> u32 {
        match self {
            Threshold::Count(n) => n.max(1),
            Threshold::Percent(p) => (u64::from(residents) * u64::from(p))
                .div_ceil(100)
                .max(3)
                .try_into()
                .unwrap_or(u32::MAX),
        }
    }
}

/// Whether `present` of `members` voting members make a quorum.
pub fn quorate(rule: Quorum, present: u32, members: u32) -> bool {
    let (p, m) = (u64::from(present), u64::from(members));
    present > 0
        && match rule {
            Quorum::Half => p * 2 > m,
            Quorum::TwoThirds => p * 3 >= m * 2,
        }
}

/// The least number present that makes a quorum (for the refusal's message).
pub fn quorum_of(rule: Quorum, members: u32) -> u32 {
    (1..=members)
        .find(|p| quorate(rule, *p, members))
        .unwrap_or(members.max(1))
}

/// A motion's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub agree: u32,
    pub against: u32,
    pub abstain: u32,
    /// Voting members not present, or present and not voting.
    pub absent: u32,
}

/// Whether a motion passes: `agree` counted against the voting members present when the
/// vote closed (abstaining and not voting count as present and not agreeing).
pub fn passes(rule: Rule, agree: u32, present: u32) -> bool {
    let (a, p) = (u64::from(agree), u64::from(present));
    present > 0
        && match rule {
            Rule::Majority => a * 2 > p,
            Rule::TwoThirds => a * 3 >= p * 2,
        }
}

/// The counts of recorded votes, for `members` voting members.
pub fn count(votes: &BTreeMap<Uuid, Choice>, members: u32) -> Counts {
    let mut c = Counts::default();
    for choice in votes.values() {
        match choice {
            Choice::Agree => c.agree += 1,
            Choice::Against => c.against += 1,
            Choice::Abstain => c.abstain += 1,
        }
    }
    let voted = c.agree + c.against + c.abstain;
    c.absent = members.saturating_sub(voted);
    c
}

/// One event on a motion, in the order the server received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A member's vote (from their phone, or raised hands the chair recorded).
    Vote(Uuid, Choice),
    /// The chair closes the vote.
    Close,
}

/// What the server answers each event, and the motion's end: the model the engine is
/// held to. A vote after the close is refused `motion_closed`; a member's second vote is
/// refused `already_voted` and the first stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Replay {
    pub answers: Vec<Result<(), &'static str>>,
    pub votes: BTreeMap<Uuid, Choice>,
    pub closed: bool,
}

/// Replays `events` on an open motion whose voting members are all present.
pub fn replay(events: &[Event]) -> Replay {
    let mut r = Replay::default();
    for e in events {
        let answer = match *e {
            Event::Close if r.closed => Ok(()),
            Event::Close => {
                r.closed = true;
                Ok(())
            }
            Event::Vote(..) if r.closed => Err("motion_closed"),
            Event::Vote(m, _) if r.votes.contains_key(&m) => Err("already_voted"),
            Event::Vote(m, c) => {
                r.votes.insert(m, c);
                Ok(())
            }
        };
        r.answers.push(answer);
    }
    r
}

pub(crate) fn bounded(
    field: &'static str,
    s: &str,
    min: usize,
    max: usize,
) -> Result<String, FieldError> {
    let s = s.trim();
    if (min..=max).contains(&s.chars().count()) {
        Ok(s.to_owned())
    } else if min == 0 {
        Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Err(FieldError::new(
            field,
            format!("must be {min} to {max} characters"),
        ))
    }
}

/// A topic's or meeting's title: 1 to 80 characters.
pub fn title(s: &str) -> Result<String, FieldError> {
    bounded("title", s, 1, 80)
}

/// A topic's description: at most 2,000 characters.
pub fn description(s: &str) -> Result<String, FieldError> {
    bounded("description", s, 0, 2000)
}

/// A comment: 1 to 1,000 characters.
pub fn comment(s: &str) -> Result<String, FieldError> {
    bounded("body", s, 1, 1000)
}

/// A reason (hiding a comment), a place, a progress note: 1 to 200 characters.
pub fn short(field: &'static str, s: &str) -> Result<String, FieldError> {
    bounded(field, s, 1, 200)
}

/// A motion's text or a document: 1 to 20,000 characters (a charter is long).
pub fn text(s: &str) -> Result<String, FieldError> {
    bounded("text", s, 1, 20_000)
}

/// Minutes: at most 50,000 characters.
pub fn minutes(s: &str) -> Result<String, FieldError> {
    bounded("text", s, 1, 50_000)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
        for c in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(c.as_str()), Some(*c));
        }
        for c in Part::ALL {
            assert_eq!(Part::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Choice::parse("yes"), None);
    }

    #[test]
    fn a_building_row_reaches_its_residents_and_the_holders_above_it_only() {
        let (c, compound, area, b1, b2) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let row = Reach::of(
            c,
            Level {
                unit: Some(b1),
                area: Some(area),
                compound: Some(compound),
            },
        );
        let with = |ks: &[Uuid]| row.seen_with(&ks.iter().copied().collect());
        assert!(with(&[room(b1)]), "residents of the building");
        assert!(
            !with(&[room(b2), room(area), room(compound), room(c)]),
            "neighbours"
        );
        for holder in [b1, area, compound, c] {
            assert!(with(&[bench(holder)]), "a holder over {holder}");
        }
        assert!(!with(&[bench(b2)]), "the next building's leader");
        assert!(
            !row.held_with(&[room(b1)].into()),
            "residents don't see comments on ratings"
        );
        // The raw ids of units are never keys: they open other tables' rows.
        assert!(!with(&[b1, area, compound, c]));
    }

    #[test]
    fn referring_up_climbs_building_area_compound_community() {
        let (compound, area, b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let building = Level {
            unit: Some(b),
            area: Some(area),
            compound: Some(compound),
        };
        let at_area = building.up().unwrap();
        assert_eq!(at_area.unit, Some(area));
        let at_compound = at_area.up().unwrap();
        assert_eq!(
            at_compound,
            Level {
                unit: Some(compound),
                area: None,
                compound: Some(compound)
            }
        );
        assert_eq!(at_compound.up(), Some(Level::default()));
        assert_eq!(Level::default().up(), None);
        // A building directly in its compound goes to the compound.
        let direct = Level {
            unit: Some(b),
            area: None,
            compound: Some(compound),
        };
        assert_eq!(direct.up().unwrap().unit, Some(compound));
    }

    #[test]
    fn thresholds_and_quorum() {
        assert_eq!(Threshold::DEFAULT.needed(60), 3);
        assert_eq!(Threshold::DEFAULT.needed(20_000), 400);
        assert_eq!(Threshold::Percent(5).needed(101), 6);
        assert_eq!(Threshold::Count(10).needed(3), 10);
        assert!(quorate(Quorum::Half, 5, 9));
        assert!(!quorate(Quorum::Half, 4, 8));
        assert!(quorate(Quorum::TwoThirds, 6, 9));
        assert!(!quorate(Quorum::TwoThirds, 5, 9));
        assert!(!quorate(Quorum::Half, 0, 0));
        assert_eq!(quorum_of(Quorum::Half, 8), 5);
        assert_eq!(quorum_of(Quorum::TwoThirds, 9), 6);
        assert!(passes(Rule::Majority, 5, 9));
        assert!(!passes(Rule::Majority, 4, 8), "a tie fails");
        assert!(passes(Rule::TwoThirds, 6, 9));
        assert!(!passes(Rule::TwoThirds, 5, 8));
    }

    fn events(members: usize) -> impl Strategy<Value = Vec<Event>> {
        let ids: Vec<Uuid> = (0..members as u128).map(Uuid::from_u128).collect();
        prop::collection::vec(
            prop_oneof![
                8 => (prop::sample::select(ids), 0..3usize).prop_map(|(m, c)| {
                    Event::Vote(m, Choice::ALL[c])
                }),
                1 => Just(Event::Close),
            ],
            0..40,
        )
    }

    proptest! {
        #[test]
        fn quorum_is_monotone_and_its_least_is_exact(members in 1u32..200, rule in 0..2usize) {
            let rule = Quorum::ALL[rule];
            let least = quorum_of(rule, members);
            prop_assert!(quorate(rule, least, members));
            prop_assert!(least == 1 || !quorate(rule, least - 1, members));
            for p in least..=members {
                prop_assert!(quorate(rule, p, members));
            }
        }

        #[test]
        fn a_replay_counts_each_member_once_and_nothing_after_the_close(
            evs in events(7)
        ) {
            let r = replay(&evs);
            let close = evs.iter().position(|e| *e == Event::Close);
            let before = close.map_or(&evs[..], |i| &evs[..i]);
            // Every member who voted before the close is counted with their first vote.
            for e in before {
                if let Event::Vote(m, _) = e {
                    let first = before.iter().find_map(|x| match x {
                        Event::Vote(n, c) if n == m => Some(*c),
                        _ => None,
                    });
                    prop_assert_eq!(r.votes.get(m).copied(), first);
                }
            }
            prop_assert_eq!(r.closed, close.is_some());
            let counted = count(&r.votes, 7);
            prop_assert_eq!(counted.agree + counted.against + counted.abstain + counted.absent, 7);
            prop_assert_eq!(r.answers.len(), evs.len());
        }

        #[test]
        fn passing_needs_more_agree_as_the_rule_tightens(agree in 0u32..50, present in 1u32..50) {
            let agree = agree.min(present);
            prop_assert!(!passes(Rule::TwoThirds, agree, present) || passes(Rule::Majority, agree, present));
            prop_assert!(!passes(Rule::Majority, 0, present));
            prop_assert!(passes(Rule::Majority, present, present));
        }
    }
}
