//! Talents' rules as plain functions: the fixed skills and free tags a resident offers,
//! when they are free, who may see an offer and who may search and invite, and what a
//! search matches.
//!
//! Nothing here reads the database or the clock: handlers read, call these, and write.

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::domain::FieldError;
use crate::domain::permissions::{Actor, Role};
use crate::features::deliberation::rules::bounded;

/// The fixed skills every phone can show in its own language (free tags add the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, poem_openapi::Enum)]
#[oai(rename = "Skill", rename_all = "snake_case")]
pub enum Skill {
    /// 書法
    Calligraphy,
    /// 繪畫
    Painting,
    /// 唱歌
    Singing,
    /// 樂器
    Instrument,
    /// 舞蹈
    Dancing,
    /// 健身
    Fitness,
    /// 維修 (household repairs)
    Repairing,
    /// 水電 (plumbing and wiring)
    Electrics,
    /// 法律
    Law,
    /// 醫學
    Medicine,
    /// 護理 (care of the elderly and sick)
    Nursing,
    /// 教學 (tutoring children)
    Teaching,
    /// 烹飪
    Cooking,
    /// 攝影
    Photography,
    /// 電腦與手機 (helping with phones and computers)
    Computers,
    /// 縫紉
    Sewing,
}

impl Skill {
    pub const ALL: [Skill; 16] = [
        Self::Calligraphy,
        Self::Painting,
        Self::Singing,
        Self::Instrument,
        Self::Dancing,
        Self::Fitness,
        Self::Repairing,
        Self::Electrics,
        Self::Law,
        Self::Medicine,
        Self::Nursing,
        Self::Teaching,
        Self::Cooking,
        Self::Photography,
        Self::Computers,
        Self::Sewing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Calligraphy => "calligraphy",
            Self::Painting => "painting",
            Self::Singing => "singing",
            Self::Instrument => "instrument",
            Self::Dancing => "dancing",
            Self::Fitness => "fitness",
            Self::Repairing => "repairing",
            Self::Electrics => "electrics",
            Self::Law => "law",
            Self::Medicine => "medicine",
            Self::Nursing => "nursing",
            Self::Teaching => "teaching",
            Self::Cooking => "cooking",
            Self::Photography => "photography",
            Self::Computers => "computers",
            Self::Sewing => "sewing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// When a resident is usually free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, poem_openapi::Enum)]
#[oai(rename = "FreeTime", rename_all = "snake_case")]
pub enum FreeTime {
    WeekdayMornings,
    WeekdayAfternoons,
    WeekdayEvenings,
    WeekendMornings,
    WeekendAfternoons,
    WeekendEvenings,
}

impl FreeTime {
    pub const ALL: [FreeTime; 6] = [
        Self::WeekdayMornings,
        Self::WeekdayAfternoons,
        Self::WeekdayEvenings,
        Self::WeekendMornings,
        Self::WeekendAfternoons,
        Self::WeekendEvenings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WeekdayMornings => "weekday_mornings",
            Self::WeekdayAfternoons => "weekday_afternoons",
            Self::WeekdayEvenings => "weekday_evenings",
            Self::WeekendMornings => "weekend_mornings",
            Self::WeekendAfternoons => "weekend_afternoons",
            Self::WeekendEvenings => "weekend_evenings",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who sees an offer beside its resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum)]
#[oai(rename = "TalentVisibility", rename_all = "snake_case")]
pub enum Visibility {
    /// The default: the community's position holders and group leaders (who look for
    /// someone to lead an activity), and admins.
    Holders,
    /// Every resident of the community as well: opted in by the resident.
    Residents,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holders => "holders",
            Self::Residents => "residents",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Holders, Self::Residents]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What an invitee is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum)]
#[oai(rename = "TalentRole", rename_all = "snake_case")]
pub enum InviteRole {
    /// Lead the activity (teach the class, conduct the choir).
    Lead,
    /// Help at it.
    Help,
}

impl InviteRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Help => "help",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Lead, Self::Help]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// An invitation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum)]
#[oai(rename = "InvitationAnswer", rename_all = "snake_case")]
pub enum Answer {
    Pending,
    Accepted,
    Declined,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Accepted, Self::Declined]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// At most this many free tags.
pub const MAX_TAGS: usize = 10;

/// The key position holders and group leaders hold: every offer is seen over it.
pub fn scout_key(community: Uuid) -> Uuid {
    Uuid::new_v5(&community, b"linli-talents/scouts")
}

/// The key an inviter's phone holds: their invitations are seen over it.
pub fn inviter_key(resident: Uuid) -> Uuid {
    Uuid::new_v5(&resident, b"linli-talents/inviter")
}

/// A resident's offer as seen by one audience: the same row from any of their phones.
/// Opting in or out moves the offer to the other audience's row (and ends this one), since
/// a phone is told a row is gone only by the row itself: a row whose keys changed in place
/// would stay on the phones that no longer see it.
pub fn talent_id(resident: Uuid, visibility: Visibility) -> Uuid {
    Uuid::new_v5(
        &resident,
        format!("linli-talents/offer/{}", visibility.as_str()).as_bytes(),
    )
}

/// Whether the actor looks for talent: holds a position or leads a group (or is an admin).
/// They see every offer of the community and may invite.
pub fn is_scout(actor: &Actor) -> bool {
    actor.is_admin_of(actor.community_id)
        || actor
            .grants
            .iter()
            .any(|g| matches!(g.role, Role::Holds(_) | Role::Leader))
}

/// Whether the actor sees an offer: its resident, a scout, or anyone when opted in.
pub fn sees(actor: &Actor, community: Uuid, resident: Uuid, visibility: Visibility) -> bool {
    community == actor.community_id
        && (resident == actor.resident_id || visibility == Visibility::Residents || is_scout(actor))
}

/// What an offer says, normalised: skills and times sorted without repeats, tags trimmed
/// and lower-cased (ASCII), sorted without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub skills: Vec<Skill>,
    pub tags: Vec<String>,
    pub free: Vec<FreeTime>,
    pub note: String,
}

/// Checks and normalises an offer: at least one skill or tag; at most [`MAX_TAGS`] tags of
/// 1 to 12 characters, without `|`; a note of at most 200.
pub fn offer(
    skills: &[Skill],
    tags: &[String],
    free: &[FreeTime],
    note: Option<&str>,
) -> Result<Offer, FieldError> {
    let skills: BTreeSet<Skill> = skills.iter().copied().collect();
    let mut set = BTreeSet::new();
    for t in tags {
        let t = t.trim().to_ascii_lowercase();
        if t.is_empty() || t.chars().count() > 12 || t.contains('|') {
            return Err(FieldError::new(
                "tags",
                "each tag is 1 to 12 characters, without '|'",
            ));
        }
        set.insert(t);
    }
    if set.len() > MAX_TAGS {
        return Err(FieldError::new("tags", format!("at most {MAX_TAGS} tags")));
    }
    if skills.is_empty() && set.is_empty() {
        return Err(FieldError::new("skills", "offer at least one skill or tag"));
    }
    Ok(Offer {
        skills: skills.into_iter().collect(),
        tags: set.into_iter().collect(),
        free: free
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        note: bounded("note", note.unwrap_or(""), 0, 200)?,
    })
}

/// A list kept between bars, as the table stores it: `|a|b|` (empty: ``).
pub fn barred<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut s = String::new();
    for i in items {
        if s.is_empty() {
            s.push('|');
        }
        s.push_str(i);
        s.push('|');
    }
    s
}

/// The items of a barred list.
pub fn unbar(s: &str) -> impl Iterator<Item = &str> {
    s.split('|').filter(|x| !x.is_empty())
}

/// The `LIKE` pattern that finds one item in a barred list.
pub fn pattern(item: &str) -> String {
    format!("%|{item}|%")
}

/// Whether an offer matches a search: every criterion given holds.
pub fn matches(o: &Offer, skill: Option<Skill>, tag: Option<&str>, free: Option<FreeTime>) -> bool {
    skill.is_none_or(|s| o.skills.contains(&s))
        && tag.is_none_or(|t| o.tags.iter().any(|x| x == &t.trim().to_ascii_lowercase()))
        && free.is_none_or(|f| o.free.contains(&f))
}

/// An invitation's activity: 1 to 80 characters.
pub fn activity(s: &str) -> Result<String, FieldError> {
    bounded("activity", s, 1, 80)
}

/// An invitation's message: at most 500 characters.
pub fn message(s: Option<&str>) -> Result<String, FieldError> {
    bounded("message", s.unwrap_or(""), 0, 500)
}

/// An answer's words: at most 200 characters.
pub fn reply(s: Option<&str>) -> Result<String, FieldError> {
    bounded("reply", s.unwrap_or(""), 0, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn skill() -> impl Strategy<Value = Skill> {
        (0..Skill::ALL.len()).prop_map(|i| Skill::ALL[i])
    }

    fn free() -> impl Strategy<Value = FreeTime> {
        (0..FreeTime::ALL.len()).prop_map(|i| FreeTime::ALL[i])
    }

    #[test]
    fn an_offer_needs_a_skill_or_a_tag_and_clean_tags() {
        assert_eq!(offer(&[], &[], &[], None).unwrap_err().field, "skills");
        assert!(offer(&[], &["二胡".into()], &[], None).is_ok());
        for bad in ["", "  ", "a|b", "一二三四五六七八九十一二三"] {
            assert_eq!(
                offer(&[Skill::Law], &[bad.into()], &[], None)
                    .unwrap_err()
                    .field,
                "tags",
                "{bad:?}"
            );
        }
        let many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert_eq!(offer(&[], &many, &[], None).unwrap_err().field, "tags");
        assert_eq!(
            offer(&[Skill::Law], &[], &[], Some(&"字".repeat(201)))
                .unwrap_err()
                .field,
            "note"
        );
    }

    #[test]
    fn only_the_resident_scouts_or_an_opted_in_offer_are_seen() {
        use crate::domain::permissions::{Grant, PositionKind, Scope};
        let community = Uuid::now_v7();
        let me = Uuid::now_v7();
        let mut neighbour = Actor {
            resident_id: Uuid::now_v7(),
            community_id: community,
            grants: vec![],
        };
        assert!(!sees(&neighbour, community, me, Visibility::Holders));
        assert!(sees(&neighbour, community, me, Visibility::Residents));
        assert!(!sees(&neighbour, Uuid::now_v7(), me, Visibility::Residents));
        neighbour.grants.push(Grant {
            role: Role::Holds(PositionKind::BuildingLeader),
            scope: Scope::Unit(Uuid::now_v7()),
        });
        assert!(sees(&neighbour, community, me, Visibility::Holders));
        let member = Actor {
            resident_id: Uuid::now_v7(),
            community_id: community,
            grants: vec![Grant {
                role: Role::Member,
                scope: Scope::Group(Uuid::now_v7()),
            }],
        };
        assert!(!is_scout(&member));
        let leader = Actor {
            resident_id: Uuid::now_v7(),
            community_id: community,
            grants: vec![Grant {
                role: Role::Leader,
                scope: Scope::Group(Uuid::now_v7()),
            }],
        };
        assert!(is_scout(&leader));
        assert!(sees(
            &Actor {
                resident_id: me,
                community_id: community,
                grants: vec![]
            },
            community,
            me,
            Visibility::Holders
        ));
    }

    proptest! {
        /// Normalising is order-blind and idempotent, and the stored bars give back exactly
        /// the items: a search by `LIKE` on the stored list finds an offer exactly when
        /// [`matches`] says it does.
        #[test]
        fn stored_lists_find_exactly_what_matches(
            skills in prop::collection::vec(skill(), 0..6),
            tags in prop::collection::vec("[a-z一二三書法]{1,5}", 0..6),
            times in prop::collection::vec(free(), 0..4),
            probe_skill in skill(),
            probe_tag in "[a-z一二三書法]{1,5}",
        ) {
            prop_assume!(!skills.is_empty() || !tags.is_empty());
            let a = offer(&skills, &tags, &times, None).unwrap();
            let mut reversed = tags.clone();
            reversed.reverse();
            let mut rs = skills.clone();
            rs.reverse();
            let b = offer(&rs, &reversed, &times, None).unwrap();
            prop_assert_eq!(&a, &b);
            let again = offer(&a.skills, &a.tags, &a.free, Some(&a.note)).unwrap();
            prop_assert_eq!(&a, &again);
            let stored = barred(a.skills.iter().map(|s| s.as_str()));
            let found = stored.contains(&pattern(probe_skill.as_str()).replace('%', ""));
            prop_assert_eq!(found, matches(&a, Some(probe_skill), None, None));
            let tags_stored = barred(a.tags.iter().map(String::as_str));
            let found = tags_stored.contains(&pattern(&probe_tag).replace('%', ""));
            prop_assert_eq!(found, matches(&a, None, Some(&probe_tag), None));
            prop_assert_eq!(unbar(&tags_stored).collect::<Vec<_>>(), a.tags.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}
