//! The case rules as plain functions: categories, urgency tiers and their due times, the
//! closed loop's states and which step each actor may take from each (發現 → 上報 → 分派 →
//! 處置 → 反饋 → 考核), overdue and whom it escalates to, and the keys case rows are seen over.
//! The handlers apply [`next`]; the model test replays random steps by random actors
//! through it and demands the server end where it does.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

macro_rules! named {
    ($(#[$m:meta])* $name:ident, $wire:literal { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, poem_openapi::Enum,
            serde::Serialize, serde::Deserialize,
        )]
        #[oai(rename = $wire, rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v,)* }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$v,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s,)* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.as_str() == s)
            }
        }
    };
}

named!(
    /// What a case is about.
    Category, "CaseCategory" {
        /// 維修: something broken.
        Repair = "repair",
        /// 環境衛生.
        Sanitation = "sanitation",
        /// 安全隱患.
        Safety = "safety",
        /// 鄰裏糾紛: mediated, and confidential (see `features::mediation`).
        Dispute = "dispute",
        /// 訴求: a request to the mining company, carried by the help team.
        Company = "company",
        /// 物業.
        Property = "property",
        Other = "other",
    }
);

named!(
    /// How urgent: red within 2 hours, yellow within 24, blue within 72 (the tiers of
    /// Chinese grid management; each community may set its own hours).
    Tier, "CaseTier" {
        Red = "red",
        Yellow = "yellow",
        Blue = "blue",
    }
);

named!(
    /// Where a case came from.
    Source, "CaseSource" {
        /// A resident's request from the app.
        App = "app",
        /// A grid worker's log entry that needed follow-up.
        GridLog = "grid_log",
        /// Taken by a help-team member (幫辦團) on a resident's behalf.
        HelpTeam = "help_team",
        /// An intake at a joint reception day (聯合接訪).
        Reception = "reception",
    }
);

named!(
    /// Where a case stands in the closed loop.
    State, "CaseState" {
        /// 上報: reported, waiting for the committee.
        Reported = "reported",
        /// Accepted: the committee will handle it.
        Accepted = "accepted",
        /// Refused, with a reason the reporter sees. Final.
        Refused = "refused",
        /// 分派: given to someone to handle.
        Assigned = "assigned",
        /// 處置: being handled.
        InProgress = "in_progress",
        /// 反饋: handled; the reporter confirms or reopens it.
        Resolved = "resolved",
        /// 考核: confirmed by the reporter, with a rating. Final.
        Confirmed = "confirmed",
        /// The reporter was not satisfied: back to the committee.
        Reopened = "reopened",
        /// Merged into another case, which its reporter now follows. Final.
        Merged = "merged",
    }
);

named!(
    /// A step that moves a case.
    Step, "CaseStep" {
        Accept = "accept",
        Refuse = "refuse",
        Assign = "assign",
        Start = "start",
        Resolve = "resolve",
        Confirm = "confirm",
        Reopen = "reopen",
        Merge = "merge",
    }
);

impl State {
    /// Still in the loop: its due time counts.
    pub fn open(self) -> bool {
        matches!(
            self,
            Self::Reported | Self::Accepted | Self::Assigned | Self::InProgress | Self::Reopened
        )
    }
}

/// Who the actor is to the case (one may be several).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Who {
    /// Reported it (or it was reported on their behalf).
    pub reporter: bool,
    /// Handles cases where it is: holders over its unit or cell, the president, admins.
    pub handler: bool,
    /// It was assigned to them (or to their group or department).
    pub assignee: bool,
}

/// Why a step cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The case was merged into another: follow that one.
    Merged,
    /// The case is refused or confirmed: final.
    Closed,
    /// Not the actor's step to take.
    NotYours,
    /// Not from this state.
    NotNow,
}

/// The state `step` by `who` leads to from `state`.
pub fn next(state: State, step: Step, who: Who) -> Result<State, Refusal> {
    use State as S;
    if state == S::Merged {
        return Err(Refusal::Merged);
    }
    if matches!(state, S::Refused | S::Confirmed) {
        return Err(Refusal::Closed);
    }
    let may = match step {
        Step::Accept | Step::Refuse | Step::Assign | Step::Merge => who.handler,
        Step::Start | Step::Resolve => who.handler || who.assignee,
        Step::Confirm | Step::Reopen => who.reporter,
    };
    if !may {
        return Err(Refusal::NotYours);
    }
    match (step, state) {
        (Step::Accept, S::Reported) => Ok(S::Accepted),
        (Step::Refuse, S::Reported | S::Accepted | S::Reopened) => Ok(S::Refused),
        (Step::Assign, s) if s.open() => Ok(S::Assigned),
        (Step::Start, S::Assigned) => Ok(S::InProgress),
        (Step::Resolve, S::Accepted | S::Assigned | S::InProgress | S::Reopened) => Ok(S::Resolved),
        (Step::Confirm, S::Resolved) => Ok(S::Confirmed),
        (Step::Reopen, S::Resolved) => Ok(S::Reopened),
        (Step::Merge, s) if s.open() => Ok(S::Merged),
        _ => Err(Refusal::NotNow),
    }
}

/// Hours each tier allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiers {
    pub red: u32,
    pub yellow: u32,
    pub blue: u32,
}

impl Default for Tiers {
    fn default() -> Self {
        Self {
            red: 2,
            yellow: 24,
            blue: 72,
        }
    }
}

impl Tiers {
    pub fn hours(self, tier: Tier) -> u32 {
        match tier {
            Tier::Red => self.red,
            Tier::Yellow => self.yellow,
            Tier::Blue => self.blue,
        }
    }

    /// Each tier stricter than the next, within a week.
    pub fn valid(self) -> bool {
        0 < self.red && self.red <= self.yellow && self.yellow <= self.blue && self.blue <= 168
    }
}

/// When a case reported at `at` in `tier` is due.
pub fn due(at: DateTime<Utc>, tier: Tier, tiers: Tiers) -> DateTime<Utc> {
    at + Duration::hours(i64::from(tiers.hours(tier)))
}

/// Past its due time and still in the loop.
pub fn overdue(state: State, due_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    state.open() && now > due_at
}

/// Where a case is, for its keys and for escalation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Where {
    pub building: Option<Uuid>,
    pub area: Option<Uuid>,
    pub compound: Option<Uuid>,
    pub cell: Option<Uuid>,
}

/// Whom an overdue case escalates to: the holders of the level above its own (a building's
/// area, or its compound when it has no area; an area's compound), or the president's
/// office for a compound's case or the community's. `None`: the office.
pub fn escalates_to(w: Where) -> Option<Uuid> {
    match (w.building, w.area, w.compound) {
        (Some(_), Some(area), _) => Some(area),
        (Some(_), None, Some(compound)) => Some(compound),
        (None, Some(_), Some(compound)) => Some(compound),
        _ => None,
    }
}

/// A satisfaction rating: 1 (very unsatisfied) to 5.
pub fn rating_valid(r: u8) -> bool {
    (1..=5).contains(&r)
}

/// The key holders over a unit or cell hold: that unit's cases (and, through the area and
/// compound columns, those of the units under it).
pub fn bench(unit: Uuid) -> Uuid {
    Uuid::new_v5(&unit, b"linli-cases/bench")
}

/// The key the president and vice president hold: every case.
pub fn office(community: Uuid) -> Uuid {
    Uuid::new_v5(&community, b"linli-cases/office")
}

/// The key the president alone holds: neighbour disputes, which are confidential.
pub fn chair(community: Uuid) -> Uuid {
    Uuid::new_v5(&community, b"linli-cases/chair")
}

/// The key one resident holds: cases assigned to them, or taken by them for someone.
pub fn person(resident: Uuid) -> Uuid {
    Uuid::new_v5(&resident, b"linli-cases/person")
}

/// The key a volunteer group's leaders hold: cases assigned to the group.
pub fn group(group: Uuid) -> Uuid {
    Uuid::new_v5(&group, b"linli-cases/group")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn who(reporter: bool, handler: bool, assignee: bool) -> Who {
        Who {
            reporter,
            handler,
            assignee,
        }
    }

    #[test]
    fn the_loop_from_report_to_confirmation() {
        let h = who(false, true, false);
        let a = who(false, false, true);
        let r = who(true, false, false);
        let mut s = State::Reported;
        for (step, by, then) in [
            (Step::Accept, h, State::Accepted),
            (Step::Assign, h, State::Assigned),
            (Step::Start, a, State::InProgress),
            (Step::Resolve, a, State::Resolved),
            (Step::Reopen, r, State::Reopened),
            (Step::Assign, h, State::Assigned),
            (Step::Resolve, a, State::Resolved),
            (Step::Confirm, r, State::Confirmed),
        ] {
            s = next(s, step, by).unwrap();
            assert_eq!(s, then);
        }
        assert_eq!(next(s, Step::Reopen, r), Err(Refusal::Closed));
    }

    #[test]
    fn a_merged_case_cannot_be_reopened_or_moved() {
        for step in Step::ALL {
            assert_eq!(
                next(State::Merged, *step, who(true, true, true)),
                Err(Refusal::Merged)
            );
        }
    }

    #[test]
    fn only_the_reporter_confirms_and_only_handlers_accept() {
        assert_eq!(
            next(State::Resolved, Step::Confirm, who(false, true, true)),
            Err(Refusal::NotYours)
        );
        assert_eq!(
            next(State::Reported, Step::Accept, who(true, false, true)),
            Err(Refusal::NotYours)
        );
        assert_eq!(
            next(State::Reported, Step::Confirm, who(true, false, false)),
            Err(Refusal::NotNow)
        );
    }

    #[test]
    fn tiers_give_due_times_and_escalate_one_level_up() {
        let t = DateTime::parse_from_rfc3339("2026-07-04T08:00:00Z")
            .unwrap()
            .to_utc();
        let tiers = Tiers::default();
        assert_eq!(due(t, Tier::Red, tiers), t + Duration::hours(2));
        assert_eq!(due(t, Tier::Yellow, tiers), t + Duration::hours(24));
        assert_eq!(due(t, Tier::Blue, tiers), t + Duration::hours(72));
        assert!(!overdue(State::Assigned, t, t));
        assert!(overdue(State::Assigned, t, t + Duration::seconds(1)));
        assert!(!overdue(State::Resolved, t, t + Duration::days(9)));
        let (b, a, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let w = |b, a, c| Where {
            building: b,
            area: a,
            compound: c,
            cell: None,
        };
        assert_eq!(escalates_to(w(Some(b), Some(a), Some(c))), Some(a));
        assert_eq!(escalates_to(w(Some(b), None, Some(c))), Some(c));
        assert_eq!(escalates_to(w(None, Some(a), Some(c))), Some(c));
        assert_eq!(escalates_to(w(None, None, Some(c))), None);
        assert!(Tiers::default().valid());
        assert!(
            !Tiers {
                red: 30,
                yellow: 24,
                blue: 72
            }
            .valid()
        );
    }

    fn any_state() -> impl Strategy<Value = State> {
        proptest::sample::select(State::ALL.to_vec())
    }
    fn any_step() -> impl Strategy<Value = Step> {
        proptest::sample::select(Step::ALL.to_vec())
    }

    proptest! {
        /// Final states stay final; every step that succeeds is one its actor may take;
        /// nothing leads back to `reported`.
        #[test]
        fn final_states_hold_and_steps_need_their_actor(
            state in any_state(), step in any_step(),
            r in any::<bool>(), h in any::<bool>(), a in any::<bool>(),
        ) {
            let w = who(r, h, a);
            match next(state, step, w) {
                Ok(s) => {
                    prop_assert!(state.open() || state == State::Resolved);
                    prop_assert_ne!(s, State::Reported);
                    match step {
                        Step::Confirm | Step::Reopen => prop_assert!(r),
                        Step::Start | Step::Resolve => prop_assert!(h || a),
                        _ => prop_assert!(h),
                    }
                }
                Err(Refusal::Merged) => prop_assert_eq!(state, State::Merged),
                Err(Refusal::Closed) => prop_assert!(matches!(state, State::Refused | State::Confirmed)),
                Err(_) => {}
            }
        }

        /// A case reaches `confirmed` only through `resolved`, whatever the steps.
        #[test]
        fn confirmation_only_follows_a_resolution(
            steps in proptest::collection::vec((any_step(), any::<bool>(), any::<bool>(), any::<bool>()), 0..30),
        ) {
            let mut s = State::Reported;
            for (step, r, h, a) in steps {
                let before = s;
                if let Ok(n) = next(s, step, who(r, h, a)) {
                    if n == State::Confirmed {
                        prop_assert_eq!(before, State::Resolved);
                    }
                    s = n;
                }
            }
        }
    }
}
