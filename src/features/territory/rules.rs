//! The territory's rules, as plain functions: declared birth dates and who is of age, the
//! states of a residency, overlapping terms, and the limits of each field. The handlers call
//! these; the unit and property tests below hold them.

use chrono::{Datelike, NaiveDate};

use crate::domain::FieldError;

/// A birth as declared at a claim: a full date, or only the year (many elderly residents
/// give only the year their papers show).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Birth {
    Year(i32),
    Date(NaiveDate),
}

impl Birth {
    /// `YYYY` or `YYYY-MM-DD`, in 1900 ..= `today`.
    pub fn parse(s: &str, today: NaiveDate) -> Result<Self, FieldError> {
        let s = s.trim();
        let birth = if s.len() == 4 {
            s.parse::<i32>().ok().map(Self::Year)
        } else {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(Self::Date)
        }
        .ok_or_else(|| FieldError::new("born", "must be a year (1956) or a date (1956-03-14)"))?;
        let year = birth.year();
        if !(1900..=today.year()).contains(&year) || matches!(birth, Self::Date(d) if d > today) {
            return Err(FieldError::new("born", "must be between 1900 and today"));
        }
        Ok(birth)
    }

    pub fn year(self) -> i32 {
        match self {
            Self::Year(y) => y,
            Self::Date(d) => d.year(),
        }
    }

    /// As stored and shown: `YYYY` or `YYYY-MM-DD`.
    pub fn to_text(self) -> String {
        match self {
            Self::Year(y) => format!("{y:04}"),
            Self::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }

    /// Whether the person is at least `age` years old on `day`. With only a year, the answer
    /// is `None` in the one year where it depends on the birthday (an election officer then
    /// asks for the date).
    pub fn at_least(self, age: i32, day: NaiveDate) -> Option<bool> {
        match self {
            Self::Date(d) => {
                let turns = NaiveDate::from_ymd_opt(d.year() + age, d.month(), d.day())
                    // Born on 29 February: of age on 1 March in a common year.
                    .or_else(|| NaiveDate::from_ymd_opt(d.year() + age, 3, 1))?;
                Some(day >= turns)
            }
            Self::Year(y) => match (day.year() - y).cmp(&age) {
                std::cmp::Ordering::Greater => Some(true),
                std::cmp::Ordering::Less => Some(false),
                std::cmp::Ordering::Equal => None,
            },
        }
    }
}

/// Voting age (18 on election day).
pub const ADULT: i32 = 18;

/// How a person belongs to a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Owner,
    Tenant,
    Family,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Tenant => "tenant",
            Self::Family => "family",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Owner, Self::Tenant, Self::Family]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// Where a residency stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Claimed by the resident; a holder over the building has not decided yet.
    Pending,
    /// Confirmed (or recorded by a holder): counted in the census.
    Verified,
    /// The claim was refused.
    Refused,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "verified" => Self::Verified,
            "refused" => Self::Refused,
            _ => Self::Pending,
        }
    }

    /// Open residencies hold the resident's one household place.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Verified)
    }
}

/// A holder's verdict on a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Confirm,
    Refuse,
}

/// Why a step of a residency's life was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Only a pending claim can be decided.
    NotPending,
    /// It has ended already.
    MovedOut,
}

/// The state a claim decided with `verdict` moves to.
pub fn decide_claim(status: Status, moved_out: bool, verdict: Verdict) -> Result<Status, Refusal> {
    if moved_out {
        return Err(Refusal::MovedOut);
    }
    match (status, verdict) {
        (Status::Pending, Verdict::Confirm) => Ok(Status::Verified),
        (Status::Pending, Verdict::Refuse) => Ok(Status::Refused),
        _ => Err(Refusal::NotPending),
    }
}

/// The day a residency begins: the one given, or today; never in the future.
pub fn moved_in(given: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let day = given.unwrap_or(today);
    if day > today {
        return Err(FieldError::new("moved_in", "must not be in the future"));
    }
    Ok(day)
}

/// Whether two terms `[start, end]` (an open end runs on) share a day.
pub fn terms_overlap(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    let ends_before = |end: Option<NaiveDate>, start: NaiveDate| end.is_some_and(|e| e < start);
    !(ends_before(a.1, b.0) || ends_before(b.1, a.0))
}

/// Whether a term covers `day`.
pub fn term_covers(start: NaiveDate, end: Option<NaiveDate>, day: NaiveDate) -> bool {
    start <= day && end.is_none_or(|e| day <= e)
}

/// A unit's or cell's name: 1 to 80 characters.
pub fn unit_name(s: &str) -> Result<String, FieldError> {
    text("name", s, 1, 80)
}

/// A person's name as the roll shows it: 1 to 40 characters.
pub fn person_name(s: &str) -> Result<String, FieldError> {
    text("name", s, 1, 40)
}

/// A flat's entrance (單元, may be empty) and room.
pub fn flat(entrance: &str, room: &str, floor: i32) -> Result<(String, String), FieldError> {
    let entrance = text("entrance", entrance, 0, 8)?;
    let room = text("room", room, 1, 16)?;
    if !(-5..=99).contains(&floor) {
        return Err(FieldError::new("floor", "must be between -5 and 99"));
    }
    Ok((entrance, room))
}

/// What an appointment cites: at most 200 characters.
pub fn decision(s: &str) -> Result<String, FieldError> {
    text("decision", s, 0, 200)
}

fn text(field: &'static str, s: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let s = s.trim();
    let n = s.chars().count();
    if n < min || n > max {
        return Err(FieldError::new(
            field,
            if min == 0 {
                format!("must be at most {max} characters")
            } else {
                format!("must be {min} to {max} characters")
            },
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn births_are_a_year_or_a_date_between_1900_and_today() {
        let today = day("2026-12-02");
        assert_eq!(Birth::parse("1956", today), Ok(Birth::Year(1956)));
        assert_eq!(
            Birth::parse("1956-03-14", today),
            Ok(Birth::Date(day("1956-03-14")))
        );
        for bad in [
            "56",
            "1899",
            "2027",
            "2026-12-03",
            "1956-02-30",
            "一九五六",
            "",
        ] {
            assert!(Birth::parse(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn of_age_on_the_birthday_and_undecided_from_a_year_only_in_its_one_year() {
        let born = Birth::Date(day("2008-12-03"));
        assert_eq!(born.at_least(ADULT, day("2026-12-02")), Some(false));
        assert_eq!(born.at_least(ADULT, day("2026-12-03")), Some(true));
        let leap = Birth::Date(day("2008-02-29"));
        assert_eq!(leap.at_least(ADULT, day("2026-02-28")), Some(false));
        assert_eq!(leap.at_least(ADULT, day("2026-03-01")), Some(true));
        assert_eq!(Birth::Year(2008).at_least(ADULT, day("2026-12-02")), None);
        assert_eq!(
            Birth::Year(2007).at_least(ADULT, day("2026-01-01")),
            Some(true)
        );
        assert_eq!(
            Birth::Year(2009).at_least(ADULT, day("2026-12-31")),
            Some(false)
        );
    }

    #[test]
    fn only_a_pending_claim_is_decided_and_an_ended_one_never() {
        use Status::*;
        assert_eq!(decide_claim(Pending, false, Verdict::Confirm), Ok(Verified));
        assert_eq!(decide_claim(Pending, false, Verdict::Refuse), Ok(Refused));
        for s in [Verified, Refused] {
            for v in [Verdict::Confirm, Verdict::Refuse] {
                assert_eq!(decide_claim(s, false, v), Err(Refusal::NotPending));
            }
        }
        assert_eq!(
            decide_claim(Pending, true, Verdict::Confirm),
            Err(Refusal::MovedOut)
        );
    }

    #[test]
    fn a_move_in_is_today_by_default_and_never_in_the_future() {
        let today = day("2026-12-02");
        assert_eq!(moved_in(None, today), Ok(today));
        assert_eq!(
            moved_in(Some(day("2020-05-01")), today),
            Ok(day("2020-05-01"))
        );
        assert!(moved_in(Some(day("2026-12-03")), today).is_err());
    }

    #[test]
    fn terms_overlap_when_they_share_a_day() {
        let t = |a: &str, b: Option<&str>| (day(a), b.map(day));
        assert!(terms_overlap(
            t("2024-01-01", Some("2026-12-31")),
            t("2026-12-31", None)
        ));
        assert!(!terms_overlap(
            t("2024-01-01", Some("2026-12-30")),
            t("2026-12-31", None)
        ));
        assert!(terms_overlap(t("2024-01-01", None), t("2030-01-01", None)));
    }

    #[test]
    fn fields_are_trimmed_and_bounded() {
        assert_eq!(unit_name("  3號樓 "), Ok("3號樓".into()));
        assert!(unit_name("").is_err());
        assert!(unit_name(&"樓".repeat(81)).is_err());
        assert!(person_name("王\u{7}").is_err());
        assert_eq!(flat("", "302", 3), Ok((String::new(), "302".into())));
        assert!(flat("1", "", 3).is_err());
        assert!(flat("1", "302", 120).is_err());
    }

    proptest! {
        /// Overlap is symmetric, and a term always overlaps itself.
        #[test]
        fn overlap_is_symmetric(a in 0i64..2000, al in proptest::option::of(0i64..900),
                                b in 0i64..2000, bl in proptest::option::of(0i64..900)) {
            let base = day("2020-01-01");
            let term = |s: i64, l: Option<i64>| {
                let start = base + chrono::Duration::days(s);
                (start, l.map(|l| start + chrono::Duration::days(l)))
            };
            let (x, y) = (term(a, al), term(b, bl));
            prop_assert_eq!(terms_overlap(x, y), terms_overlap(y, x));
            prop_assert!(terms_overlap(x, x));
            // They overlap exactly when some day is covered by both.
            let shared = (0..3000).any(|d| {
                let d = base + chrono::Duration::days(d);
                term_covers(x.0, x.1, d) && term_covers(y.0, y.1, d)
            });
            prop_assert_eq!(terms_overlap(x, y), shared);
        }

        /// Whoever is of age by their date is of age by their year whenever the year decides.
        #[test]
        fn a_year_never_contradicts_the_date(y in 1900i32..2026, doy in 0u32..365, on in 0i64..40000) {
            let born = NaiveDate::from_yo_opt(y, doy + 1).unwrap_or(NaiveDate::from_yo_opt(y, 1).unwrap());
            let on = day("1900-01-01") + chrono::Duration::days(on);
            let by_date = Birth::Date(born).at_least(ADULT, on);
            if let Some(by_year) = Birth::Year(y).at_least(ADULT, on) {
                prop_assert_eq!(Some(by_year), by_date);
            }
        }
    }
}
