//! Recurring schedules: when a series' occurrences fall, and what identifies each one.
//!
//! A series starts at a local date and time in an IANA time zone (default `Asia/Shanghai`)
//! and may repeat by an RFC 5545 `RRULE`, expanded by the `rrule` crate with `chrono-tz`, so
//! "Tuesdays 09:30" stays 09:30 local across daylight-saving changes elsewhere in the world.
//!
//! Each occurrence is identified by a UUIDv5 of the series id and its *original* start
//! instant (the one the rule gives, in UTC, `YYYY-MM-DDTHH:MM:SSZ`). A phone computes it
//! offline; moving an occurrence (an override) does not change its identity.

use chrono::{DateTime, Duration, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use rrule::{RRule, RRuleSet, Unvalidated};
use uuid::Uuid;

use crate::domain::FieldError;

/// The time zone of the communities linli was built for.
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";
/// Most occurrences a rule may produce in its first year (twice a day is 730).
pub const MAX_OCCURRENCES_PER_YEAR: usize = 800;
/// Most occurrences a rule may put in any one day, whichever year: its `BYHOUR`, `BYMINUTE`
/// and `BYSECOND` together (morning and afternoon is 2). With sessions at most daily, this
/// bounds every window, not only the first year a rule is checked over.
pub const MAX_OCCURRENCES_PER_DAY: usize = 2;
/// Longest `RRULE` accepted (`FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU` is 38 characters).
pub const MAX_RRULE_LEN: usize = 200;
/// Largest window an occurrence query may ask for.
pub const MAX_WINDOW_DAYS: i64 = 92;

/// A series' timing, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub start_local: NaiveDateTime,
    pub timezone: Tz,
    /// The RRULE value, if the series repeats.
    pub rrule: Option<String>,
    pub duration: Duration,
}

pub fn parse_timezone(s: &str) -> Result<Tz, FieldError> {
    s.parse::<Tz>().map_err(|_| {
        FieldError::new(
            "timezone",
            "must be an IANA time zone such as Asia/Shanghai",
        )
    })
}

pub fn parse_start_local(s: &str) -> Result<NaiveDateTime, FieldError> {
    let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            FieldError::new(
                "start_local",
                "must be a local date and time like 2026-12-01T09:30",
            )
        })?;
    // Keeps date arithmetic (and rule expansion) far from chrono's limits.
    if !(2000..=2100).contains(&chrono::Datelike::year(&t)) {
        return Err(FieldError::new(
            "start_local",
            "must be between the years 2000 and 2100",
        ));
    }
    Ok(t)
}

/// Formats a local start the way it is stored.
pub fn format_start_local(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl Schedule {
    /// Parses and checks a series' timing: the start must exist in its zone, the rule must be
    /// valid RFC 5545 and produce at most [`MAX_OCCURRENCES_PER_YEAR`] occurrences a year.
    pub fn parse(
        start_local: &str,
        timezone: &str,
        rrule: Option<&str>,
        duration_minutes: i32,
    ) -> Result<Self, FieldError> {
        let schedule = Self {
            start_local: parse_start_local(start_local)?,
            timezone: parse_timezone(timezone)?,
            rrule: rrule
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| r.trim_start_matches("RRULE:").to_owned()),
            duration: Duration::minutes(i64::from(duration_minutes)),
        };
        if let Some(rule) = &schedule.rrule {
            check_rule_size(rule)?;
        }
        let first = schedule.first_start()?;
        if let Some(set) = schedule.rule_set()? {
            let year = set
                .after(rrule_time(first))
                .before(rrule_time(first + Duration::days(366)));
            let result = year.all(u16::try_from(MAX_OCCURRENCES_PER_YEAR + 1).unwrap_or(u16::MAX));
            if result.dates.len() > MAX_OCCURRENCES_PER_YEAR {
                return Err(FieldError::new(
                    "rrule",
                    format!("repeats more than {MAX_OCCURRENCES_PER_YEAR} times a year"),
                ));
            }
        }
        if let Some(rule) = &schedule.rrule {
            check_rule_rate(rule)?;
        }
        Ok(schedule)
    }

    /// The first occurrence's start as an instant.
    pub fn first_start(&self) -> Result<DateTime<Utc>, FieldError> {
        self.timezone
            .from_local_datetime(&self.start_local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                FieldError::new(
                    "start_local",
                    "does not exist in this time zone (a clock change skips it)",
                )
            })
    }

    fn rule_set(&self) -> Result<Option<RRuleSet>, FieldError> {
        let Some(rule) = &self.rrule else {
            return Ok(None);
        };
        let start = self
            .first_start()?
            .with_timezone(&rrule::Tz::from(self.timezone));
        let parsed: RRule<Unvalidated> = rule
            .parse()
            .map_err(|e| FieldError::new("rrule", format!("is not a valid RRULE: {e}")))?;
        let validated = parsed
            .validate(start)
            .map_err(|e| FieldError::new("rrule", format!("is not a valid RRULE: {e}")))?;
        Ok(Some(RRuleSet::new(start).rrule(validated)))
    }

    /// The series' first session: its start, or with a rule the rule's first instance. They
    /// differ when the start is not one of the rule's days (a Friday start for Tuesdays and
    /// Thursdays): RFC 5545 would count that start as an extra session, the rule expansion
    /// used everywhere here does not, and neither does anything linli shows.
    pub fn first_occurrence(&self) -> Option<DateTime<Utc>> {
        let first = self.first_start().ok()?;
        match self.rule_set().ok()? {
            None => Some(first),
            Some(set) => set.all(1).dates.first().map(|t| t.with_timezone(&Utc)),
        }
    }

    /// Original starts of the occurrences in `[from, to)`, in order.
    pub fn occurrences(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let Ok(first) = self.first_start() else {
            return Vec::new();
        };
        match self.rule_set() {
            Ok(Some(set)) => set
                .after(rrule_time(from))
                .before(rrule_time(to))
                .all(u16::MAX)
                .dates
                .into_iter()
                .map(|t| t.with_timezone(&Utc))
                .filter(|t| *t >= from && *t < to)
                .collect(),
            Ok(None) if first >= from && first < to => vec![first],
            _ => Vec::new(),
        }
    }

    /// Whether `original` is one of the rule's starts.
    pub fn is_occurrence(&self, original: DateTime<Utc>) -> bool {
        self.occurrences(original, original + Duration::seconds(1))
            .contains(&original)
    }
}

/// A rule is one short line: its length bounds what parsing and checking it costs.
fn check_rule_size(rule: &str) -> Result<(), FieldError> {
    if rule.len() > MAX_RRULE_LEN {
        return Err(FieldError::new(
            "rrule",
            format!("must be at most {MAX_RRULE_LEN} characters"),
        ));
    }
    Ok(())
}

/// Sessions repeat at most daily, and at most [`MAX_OCCURRENCES_PER_DAY`] times a day, in
/// every year of the rule: a rule that skips its first year (`INTERVAL=400`) cannot pack a
/// thousand sessions into a later day.
fn check_rule_rate(rule: &str) -> Result<(), FieldError> {
    use rrule::Frequency;
    let parsed: RRule<Unvalidated> = rule
        .parse()
        .map_err(|e| FieldError::new("rrule", format!("is not a valid RRULE: {e}")))?;
    if matches!(
        parsed.get_freq(),
        Frequency::Hourly | Frequency::Minutely | Frequency::Secondly
    ) {
        return Err(FieldError::new(
            "rrule",
            "must repeat at most daily (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY)",
        ));
    }
    let per_day = [
        parsed.get_by_hour().len(),
        parsed.get_by_minute().len(),
        parsed.get_by_second().len(),
    ]
    .into_iter()
    .map(|n| n.max(1))
    .product::<usize>();
    if per_day > MAX_OCCURRENCES_PER_DAY {
        return Err(FieldError::new(
            "rrule",
            format!("puts {per_day} sessions in a day; at most {MAX_OCCURRENCES_PER_DAY}"),
        ));
    }
    Ok(())
}

fn rrule_time(t: DateTime<Utc>) -> DateTime<rrule::Tz> {
    t.with_timezone(&rrule::Tz::UTC)
}

/// The wire form of an occurrence's original start, also what its id is derived from.
pub fn instant_key(original: DateTime<Utc>) -> String {
    original.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The identity of the occurrence of `series` originally starting at `original`.
pub fn occurrence_id(series: Uuid, original: DateTime<Utc>) -> Uuid {
    Uuid::new_v5(&series, instant_key(original).as_bytes())
}

/// A span of time asked about: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// `days` days from `from`, at least 1 and at most [`MAX_WINDOW_DAYS`].
    pub fn starting(from: DateTime<Utc>, days: u32) -> Self {
        let days = i64::from(days).clamp(1, MAX_WINDOW_DAYS);
        let to = from
            .checked_add_signed(Duration::days(days))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Self { from, to }
    }

    /// The part of the window that schedules are expanded for: two years before `now` to
    /// three after (expanding a rule far from its start costs time for nothing anyone uses).
    /// `None` when nothing of the window is left.
    pub fn within_horizon(self, now: DateTime<Utc>) -> Option<Self> {
        let from = self.from.max(now - Duration::days(2 * 366));
        let to = self.to.min(now + Duration::days(3 * 366));
        (from < to).then_some(Self { from, to })
    }
}

/// The month (`YYYY-MM`) an instant falls in, in `tz`.
pub fn local_month(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn calligraphy_meets_tuesdays_and_thursdays_across_a_month_boundary() {
        let s = Schedule::parse(
            "2026-11-24T09:30",
            "Asia/Shanghai",
            Some("FREQ=WEEKLY;BYDAY=TU,TH"),
            120,
        )
        .unwrap();
        let got = s.occurrences(utc("2026-11-26T00:00:00Z"), utc("2026-12-04T00:00:00Z"));
        // 09:30 in Shanghai is 01:30 UTC.
        assert_eq!(
            got,
            vec![
                utc("2026-11-26T01:30:00Z"),
                utc("2026-12-01T01:30:00Z"),
                utc("2026-12-03T01:30:00Z")
            ]
        );
    }

    #[test]
    fn local_time_holds_across_a_daylight_saving_change() {
        // A choir abroad: 19:00 in Berlin is 18:00 UTC in summer and 17:00 UTC in winter.
        let s =
            Schedule::parse("2026-10-21T19:00", "Europe/Berlin", Some("FREQ=WEEKLY"), 90).unwrap();
        let got = s.occurrences(utc("2026-10-20T00:00:00Z"), utc("2026-11-01T00:00:00Z"));
        assert_eq!(
            got,
            vec![utc("2026-10-21T17:00:00Z"), utc("2026-10-28T18:00:00Z")]
        );
    }

    #[test]
    fn the_first_session_is_the_rules_first_day_not_a_start_off_the_rule() {
        // Friday 2026-12-04 for Tuesdays and Thursdays: the first session is Tuesday the 8th.
        let s = Schedule::parse(
            "2026-12-04T09:30",
            "Asia/Shanghai",
            Some("FREQ=WEEKLY;BYDAY=TU,TH"),
            60,
        )
        .unwrap();
        assert_eq!(s.first_occurrence(), Some(utc("2026-12-08T01:30:00Z")));
        let all = s.occurrences(utc("2026-12-01T00:00:00Z"), utc("2026-12-12T00:00:00Z"));
        assert_eq!(all.first().copied(), s.first_occurrence());
        let single = Schedule::parse("2026-12-04T09:30", "Asia/Shanghai", None, 60).unwrap();
        assert_eq!(single.first_occurrence(), Some(utc("2026-12-04T01:30:00Z")));
    }

    #[test]
    fn a_single_session_has_one_occurrence() {
        let s = Schedule::parse("2026-12-05T14:00", "Asia/Shanghai", None, 60).unwrap();
        assert_eq!(
            s.occurrences(utc("2026-12-01T00:00:00Z"), utc("2026-12-31T00:00:00Z")),
            vec![utc("2026-12-05T06:00:00Z")]
        );
        assert!(s.is_occurrence(utc("2026-12-05T06:00:00Z")));
        assert!(!s.is_occurrence(utc("2026-12-05T06:00:01Z")));
    }

    #[test]
    fn rules_that_expand_too_far_are_refused_with_the_reason() {
        let err = Schedule::parse("2026-12-01T08:00", "Asia/Shanghai", Some("FREQ=HOURLY"), 30)
            .unwrap_err();
        assert_eq!(err.field, "rrule");
        assert!(err.reason.contains("800"));
        // Twice a day is fine.
        assert!(
            Schedule::parse(
                "2026-12-01T08:00",
                "Asia/Shanghai",
                Some("FREQ=DAILY;BYHOUR=8,18"),
                30
            )
            .is_ok()
        );
    }

    #[test]
    fn a_rule_cannot_pack_a_later_day_that_its_first_year_hides() {
        // Nothing in the first year, 1,440 sessions on day 400: refused.
        let err = Schedule::parse(
            "2026-12-01T08:00",
            "Asia/Shanghai",
            Some("FREQ=DAILY;INTERVAL=400;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,1,2,3,4,5,6,7,8,9"),
            30,
        )
        .unwrap_err();
        assert_eq!(err.field, "rrule");
        assert!(err.reason.contains("sessions in a day"), "{err}");
        // Hourly rules, however sparse, are not volunteer sessions.
        let err = Schedule::parse(
            "2026-12-01T08:00",
            "Asia/Shanghai",
            Some("FREQ=HOURLY;INTERVAL=9000"),
            30,
        )
        .unwrap_err();
        assert!(err.reason.contains("at most daily"), "{err}");
        // A padded rule is refused before it is parsed.
        let padded = format!("FREQ=WEEKLY;BYDAY={}", vec!["MO"; 300].join(","));
        let err =
            Schedule::parse("2026-12-01T08:00", "Asia/Shanghai", Some(&padded), 30).unwrap_err();
        assert!(err.reason.contains("200 characters"), "{err}");
    }

    proptest::proptest! {
        /// Whatever rule is accepted, no day of its next five years holds more than
        /// MAX_OCCURRENCES_PER_DAY sessions.
        #[test]
        fn no_accepted_rule_puts_more_than_the_daily_cap_in_any_day(
            freq in proptest::sample::select(vec!["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
            interval in 1u32..500,
            hours in proptest::collection::btree_set(0u8..24, 0..4),
            minutes in proptest::collection::btree_set(0u8..60, 0..3),
        ) {
            let mut rule = format!("FREQ={freq};INTERVAL={interval}");
            let list = |s: &std::collections::BTreeSet<u8>| {
                s.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
            };
            if !hours.is_empty() {
                rule.push_str(&format!(";BYHOUR={}", list(&hours)));
            }
            if !minutes.is_empty() {
                rule.push_str(&format!(";BYMINUTE={}", list(&minutes)));
            }
            if let Ok(s) = Schedule::parse("2026-12-01T08:00", "Asia/Shanghai", Some(&rule), 30) {
                let from = utc("2026-12-01T00:00:00Z");
                let all = s.occurrences(from, from + Duration::days(5 * 366));
                let mut per_day = std::collections::BTreeMap::new();
                for t in all {
                    *per_day.entry(t.with_timezone(&s.timezone).date_naive()).or_insert(0usize) += 1;
                }
                proptest::prop_assert!(per_day.values().all(|n| *n <= MAX_OCCURRENCES_PER_DAY));
            }
        }
    }

    #[test]
    fn bad_input_names_its_field() {
        assert_eq!(
            Schedule::parse("+262142-12-31T23:30", "Asia/Shanghai", None, 60)
                .unwrap_err()
                .field,
            "start_local"
        );
        assert_eq!(
            Schedule::parse("tomorrow", "Asia/Shanghai", None, 60)
                .unwrap_err()
                .field,
            "start_local"
        );
        assert_eq!(
            Schedule::parse("2026-12-01T08:00", "Mars/Olympus", None, 60)
                .unwrap_err()
                .field,
            "timezone"
        );
        assert_eq!(
            Schedule::parse(
                "2026-12-01T08:00",
                "Asia/Shanghai",
                Some("FREQ=SOMETIMES"),
                60
            )
            .unwrap_err()
            .field,
            "rrule"
        );
        // 02:30 does not exist in Berlin on the spring-forward night.
        assert_eq!(
            Schedule::parse("2026-03-29T02:30", "Europe/Berlin", None, 60)
                .unwrap_err()
                .field,
            "start_local"
        );
    }

    #[test]
    fn occurrence_ids_are_stable_and_distinct() {
        let series = Uuid::now_v7();
        let a = utc("2026-12-01T01:30:00Z");
        assert_eq!(occurrence_id(series, a), occurrence_id(series, a));
        assert_ne!(
            occurrence_id(series, a),
            occurrence_id(series, a + Duration::days(7))
        );
        assert_ne!(occurrence_id(series, a), occurrence_id(Uuid::now_v7(), a));
        // Pinned: phones compute the same id from the same inputs.
        let fixed = Uuid::parse_str("0193a0c4-7d2e-7c61-9a57-6b1f0e2d4c11").unwrap();
        assert_eq!(
            occurrence_id(fixed, a),
            Uuid::new_v5(&fixed, b"2026-12-01T01:30:00Z")
        );
    }

    #[test]
    fn windows_are_bounded() {
        let from = utc("2026-12-01T00:00:00Z");
        assert_eq!(Window::starting(from, 7).to, from + Duration::days(7));
        assert_eq!(Window::starting(from, 500).to, from + Duration::days(92));
        assert_eq!(Window::starting(from, 0).to, from + Duration::days(1));
        assert_eq!(
            Window::starting(DateTime::<Utc>::MAX_UTC, 7).to,
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn windows_far_from_now_are_cut_to_the_horizon() {
        let now = utc("2026-12-01T00:00:00Z");
        let week = Window::starting(now, 7);
        assert_eq!(week.within_horizon(now), Some(week));
        let far = Window::starting(utc("2040-01-01T00:00:00Z"), 7);
        assert_eq!(far.within_horizon(now), None);
        let straddling = Window::starting(now + Duration::days(3 * 366 - 1), 7);
        assert_eq!(
            straddling.within_horizon(now).map(|w| w.to),
            Some(now + Duration::days(3 * 366))
        );
    }

    #[test]
    fn months_are_local() {
        // 20:00 UTC on 30 November is already December in Shanghai.
        assert_eq!(
            local_month(utc("2026-11-30T20:00:00Z"), chrono_tz::Asia::Shanghai),
            "2026-12"
        );
    }
}
