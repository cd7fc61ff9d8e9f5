//! Announcements' rules as plain functions: what a post may say, how long it may stay
//! pinned, the order of the board, the keys a group's announcements are seen over, and who
//! has not read one yet.
//!
//! Nothing here reads the database or the clock: handlers read, call these, and write.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::domain::FieldError;
use crate::features::deliberation::rules::bounded;

/// How long an announcement may stay pinned to the top of the board.
pub const MAX_PIN_DAYS: i64 = 366;

/// How much an announcement matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum)]
#[oai(rename = "AnnouncementImportance", rename_all = "snake_case")]
pub enum Importance {
    /// 一般: on the board.
    Normal,
    /// 緊急: a water cut, a storm, a gas leak. Its poster and the holders over its unit see
    /// who has not read it, by name and flat, to knock on their door.
    Urgent,
}

impl Importance {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Normal, Self::Urgent]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// Whether the unread are named to the poster and holders. Only for urgent news: a
    /// resident's reading habits are nobody's business otherwise (PIPL art. 6, purpose
    /// and minimum); for a normal one they see how many read it.
    pub fn names_the_unread(self) -> bool {
        self == Self::Urgent
    }
}

/// A title: 1 to 80 characters.
pub fn title(s: &str) -> Result<String, FieldError> {
    bounded("title", s, 1, 80)
}

/// The text: 1 to 5,000 characters.
pub fn body(s: &str) -> Result<String, FieldError> {
    bounded("body", s, 1, 5000)
}

/// Pinned until a moment after `now` and at most [`MAX_PIN_DAYS`] ahead (or not pinned).
pub fn pinned_until(
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    match until {
        None => Ok(None),
        Some(t) if t <= now => Err(FieldError::new(
            "pinned_until",
            "must be in the future (leave it out not to pin)",
        )),
        Some(t) if t > now + Duration::days(MAX_PIN_DAYS) => Err(FieldError::new(
            "pinned_until",
            format!("at most {MAX_PIN_DAYS} days ahead"),
        )),
        Some(t) => Ok(Some(t)),
    }
}

/// The board's order at `now`: what is still pinned first, then the newest first; ties
/// (the same moment) by id, so every phone and read lists the same order.
pub fn board_key(
    pinned_until: Option<DateTime<Utc>>,
    posted: DateTime<Utc>,
    id: Uuid,
    now: DateTime<Utc>,
) -> (bool, Reverse<DateTime<Utc>>, Reverse<Uuid>) {
    let pinned = pinned_until.is_some_and(|t| t > now);
    (!pinned, Reverse(posted), Reverse(id))
}

/// The key a group's members and leaders hold in their sync scope: the group's
/// announcements are seen over it.
pub fn group_room(group: Uuid) -> Uuid {
    Uuid::new_v5(&group, b"linli-announcements/group")
}

/// The key a group's leaders hold.
pub fn group_bench(group: Uuid) -> Uuid {
    Uuid::new_v5(&group, b"linli-announcements/group-leaders")
}

/// The id of `resident`'s receipt for `announcement`: two phones of one resident saying
/// "read" offline make one receipt.
pub fn receipt_id(announcement: Uuid, resident: Uuid) -> Uuid {
    Uuid::new_v5(&announcement, resident.as_bytes())
}

/// An announcement's audience split by its receipts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readers<K> {
    pub audience: u32,
    pub read: u32,
    /// Those who have not read it, in the audience's order.
    pub unread: Vec<K>,
}

/// Splits `audience` (each member with their account, or none for a resident on the roll
/// without a phone, who cannot have read it) by the accounts in `receipts`. A receipt from
/// outside the audience (someone who moved out, left the group) is not counted.
pub fn readers<K>(
    audience: impl IntoIterator<Item = (K, Option<Uuid>)>,
    receipts: &BTreeSet<Uuid>,
) -> Readers<K> {
    let mut r = Readers {
        audience: 0,
        read: 0,
        unread: Vec::new(),
    };
    for (member, account) in audience {
        r.audience += 1;
        if account.is_some_and(|a| receipts.contains(&a)) {
            r.read += 1;
        } else {
            r.unread.push(member);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_pin_is_for_the_future_and_at_most_a_year() {
        let now = at(0);
        assert_eq!(pinned_until(None, now), Ok(None));
        assert_eq!(pinned_until(Some(at(60)), now), Ok(Some(at(60))));
        assert_eq!(
            pinned_until(Some(now), now).unwrap_err().field,
            "pinned_until"
        );
        assert!(pinned_until(Some(at(-1)), now).is_err());
        let limit = now + Duration::days(MAX_PIN_DAYS);
        assert_eq!(pinned_until(Some(limit), now), Ok(Some(limit)));
        assert!(pinned_until(Some(limit + Duration::seconds(1)), now).is_err());
    }

    #[test]
    fn titles_and_texts_are_trimmed_and_bounded() {
        assert_eq!(title("  停水通知 ").unwrap(), "停水通知");
        assert!(title("   ").is_err());
        assert!(title(&"水".repeat(81)).is_err());
        assert!(body(&"水".repeat(5000)).is_ok());
        assert!(body(&"水".repeat(5001)).is_err());
        assert_eq!(Importance::parse("urgent"), Some(Importance::Urgent));
        assert_eq!(Importance::parse("URGENT"), None);
        assert!(Importance::Urgent.names_the_unread() && !Importance::Normal.names_the_unread());
    }

    #[test]
    fn a_resident_without_a_phone_is_always_unread() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let r = readers(
            [("孫奶奶", None), ("王阿姨", Some(a)), ("李叔", Some(b))],
            &BTreeSet::from([a]),
        );
        assert_eq!((r.audience, r.read), (3, 1));
        assert_eq!(r.unread, vec!["孫奶奶", "李叔"]);
    }

    proptest! {
        /// However receipts and the audience overlap: every member is counted once, read
        /// exactly when their account sent a receipt, and the unread keep the audience's
        /// order.
        #[test]
        fn readers_partition_the_audience(
            members in proptest::collection::vec((0u8..40, proptest::option::of(0u8..40)), 0..60),
            receipts in proptest::collection::btree_set(0u8..60, 0..60),
        ) {
            let uuid = |n: u8| Uuid::from_u128(u128::from(n) + 1);
            let receipts: BTreeSet<Uuid> = receipts.into_iter().map(uuid).collect();
            let audience: Vec<(usize, Option<Uuid>)> = members
                .iter()
                .enumerate()
                .map(|(i, (_, acc))| (i, acc.map(uuid)))
                .collect();
            let r = readers(audience.clone(), &receipts);
            prop_assert_eq!(r.audience as usize, audience.len());
            prop_assert_eq!(r.read as usize + r.unread.len(), audience.len());
            let expected: Vec<usize> = audience
                .iter()
                .filter(|(_, acc)| !acc.is_some_and(|a| receipts.contains(&a)))
                .map(|(i, _)| *i)
                .collect();
            prop_assert_eq!(r.unread, expected);
        }

        /// The board's order is total and puts everything still pinned before anything
        /// not, each part newest first.
        #[test]
        fn the_board_puts_the_pinned_first_then_the_newest(
            rows in proptest::collection::vec((proptest::option::of(-100i64..100), -100i64..100), 0..30),
        ) {
            let now = at(0);
            let mut board: Vec<(Option<DateTime<Utc>>, DateTime<Utc>, Uuid)> = rows
                .iter()
                .map(|(pin, posted)| (pin.map(at), at(*posted), Uuid::now_v7()))
                .collect();
            board.sort_by_key(|(pin, posted, id)| board_key(*pin, *posted, *id, now));
            let pinned = |p: &Option<DateTime<Utc>>| p.is_some_and(|t| t > now);
            let first_unpinned = board.iter().position(|(p, _, _)| !pinned(p)).unwrap_or(board.len());
            prop_assert!(board[first_unpinned..].iter().all(|(p, _, _)| !pinned(p)));
            for part in [&board[..first_unpinned], &board[first_unpinned..]] {
                prop_assert!(part.windows(2).all(|w| w[0].1 >= w[1].1));
            }
        }
    }
}
