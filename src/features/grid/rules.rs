//! The grid's rules as plain functions: the six hats a grid worker wears, an entry's
//! status, the keys its rows are seen over, which days an entry may be written for, and a
//! month's counts.

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

/// The six hats (六員) of a grid worker: what an entry was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, poem_openapi::Enum)]
#[oai(rename = "LogHat", rename_all = "snake_case")]
pub enum Hat {
    /// 信息採集員: collecting residents' and places' information.
    Collector,
    /// 宣傳教育員: telling residents of policies and safety.
    Educator,
    /// 民意聯絡員: carrying residents' opinions to the committee.
    Liaison,
    /// 矛盾調解員: settling a quarrel on the spot.
    Mediator,
    /// 困難幫扶員: helping someone in need.
    Helper,
    /// 物業管理員: the buildings, their stairs, lights, rubbish.
    Property,
}

impl Hat {
    pub const ALL: [Self; 6] = [
        Self::Collector,
        Self::Educator,
        Self::Liaison,
        Self::Mediator,
        Self::Helper,
        Self::Property,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Collector => "collector",
            Self::Educator => "educator",
            Self::Liaison => "liaison",
            Self::Mediator => "mediator",
            Self::Helper => "helper",
            Self::Property => "property",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.as_str() == s)
    }
}

/// Whether what was found was dealt with on the spot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename = "LogStatus", rename_all = "snake_case")]
pub enum Status {
    /// 已處理: closed on the spot.
    Closed,
    /// 需跟進: needs follow-up (a case, once it is opened from the entry).
    FollowUp,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::FollowUp => "follow_up",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Closed, Self::FollowUp]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The key the grid worker of a cell holds: the cell's entries are seen over it.
pub fn cell_key(cell: Uuid) -> Uuid {
    Uuid::new_v5(&cell, b"linli-grid/cell")
}

/// The key the community's president and vice president hold: every cell's entries.
pub fn office_key(community: Uuid) -> Uuid {
    Uuid::new_v5(&community, b"linli-grid/office")
}

/// How far back an entry may be written: a worker catching up after a week without signal
/// (or on paper), not rewriting last season.
pub const BACKDATE_DAYS: i64 = 31;

/// Whether an entry may be written for `day` on `today` (Beijing): not in the future, and
/// at most [`BACKDATE_DAYS`] back.
pub fn day_allowed(day: NaiveDate, today: NaiveDate) -> bool {
    day <= today && (today - day).num_days() <= BACKDATE_DAYS
}

/// A month, `YYYY-MM`: its first day and the first day of the next.
pub fn month(s: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok()?;
    if s.len() != 7 {
        return None;
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next))
}

/// A month's counts of entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub entries: u32,
    /// 入户走访.
    pub home_visits: u32,
    pub closed_on_the_spot: u32,
    pub follow_ups: u32,
}

/// Counts entries given as (home visit, status).
pub fn count(entries: impl IntoIterator<Item = (bool, Status)>) -> Counts {
    entries
        .into_iter()
        .fold(Counts::default(), |mut c, (visit, status)| {
            c.entries += 1;
            c.home_visits += u32::from(visit);
            match status {
                Status::Closed => c.closed_on_the_spot += 1,
                Status::FollowUp => c.follow_ups += 1,
            }
            c
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_round_trip() {
        for h in Hat::ALL {
            assert_eq!(Hat::parse(h.as_str()), Some(h));
        }
        assert_eq!(Hat::parse("police"), None);
        assert_eq!(Status::parse("follow_up"), Some(Status::FollowUp));
    }

    #[test]
    fn a_month_runs_to_the_first_of_the_next_across_the_year() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(month("2026-07"), Some((d(2026, 7, 1), d(2026, 8, 1))));
        assert_eq!(month("2026-12"), Some((d(2026, 12, 1), d(2027, 1, 1))));
        for bad in ["2026-13", "2026-7-1", "July", "2026-00", "2026-07-01"] {
            assert_eq!(month(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_differ_by_purpose_and_by_object() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_ne!(cell_key(a), cell_key(b));
        assert_ne!(cell_key(a), office_key(a));
        assert_ne!(cell_key(a), a);
    }

    proptest! {
        #[test]
        fn days_allowed_are_exactly_the_window_up_to_today(offset in -400i64..400) {
            let today = NaiveDate::from_ymd_opt(2026, 7, 4).unwrap();
            let day = today - chrono::Duration::days(offset);
            prop_assert_eq!(day_allowed(day, today), (0..=BACKDATE_DAYS).contains(&offset));
        }

        #[test]
        fn counts_add_up(entries in proptest::collection::vec((any::<bool>(), any::<bool>()), 0..200)) {
            let c = count(entries.iter().map(|&(v, f)| (v, if f { Status::FollowUp } else { Status::Closed })));
            prop_assert_eq!(c.entries as usize, entries.len());
            prop_assert_eq!(c.closed_on_the_spot + c.follow_ups, c.entries);
            prop_assert_eq!(c.home_visits as usize, entries.iter().filter(|e| e.0).count());
            prop_assert!(c.home_visits <= c.entries);
        }
    }
}
