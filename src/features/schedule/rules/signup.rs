//! Sign-ups are reservations, not mergeable state: seats are bounded, so the server decides
//! each request in the order it receives it. These are the rules, as plain functions.
//!
//! - A request is `confirmed` while its whole party fits, else `waitlisted` (if the waitlist
//!   has room), else rejected.
//! - A confirmed volunteer is never bumped, whatever arrives later.
//! - When seats free up (a cancellation, a raised capacity), the head of the waitlist is
//!   promoted while its party fits: strictly first in, first out, never skipping the head for
//!   a smaller party behind it.
//! - Lowering the capacity below the confirmed seats keeps everyone confirmed; new requests
//!   go to the waitlist until enough seats free up.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// Largest party one request may bring (the volunteer and up to three companions).
pub const MAX_PARTY: u32 = 4;
/// Waitlist length when a series sets none.
pub const DEFAULT_WAITLIST_LIMIT: i32 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Confirmed,
    Waitlisted,
    /// Cancelled by the volunteer (or by a leader for them).
    Cancelled,
    /// The occurrence was cancelled or no longer exists.
    OccurrenceCancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Waitlisted => "waitlisted",
            Status::Cancelled => "cancelled",
            Status::OccurrenceCancelled => "occurrence_cancelled",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "confirmed" => Status::Confirmed,
            "waitlisted" => Status::Waitlisted,
            "occurrence_cancelled" => Status::OccurrenceCancelled,
            _ => Status::Cancelled,
        }
    }

    pub fn is_active(self) -> bool {
        matches!(self, Status::Confirmed | Status::Waitlisted)
    }
}

/// Why a request or cancellation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    SignupsNotOpen,
    SignupsClosed,
    WaitlistFull,
    PastCutoff,
    OccurrenceCancelled,
}

/// How full an occurrence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupancy {
    /// `None`: unlimited.
    pub capacity: Option<u32>,
    pub confirmed_seats: u32,
    pub waitlisted: u32,
    pub waitlist_limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Confirmed,
    /// At this 1-based position.
    Waitlisted(u32),
    Refused(Refusal),
}

/// Decides a new request for `party` seats.
pub fn decide(o: Occupancy, party: u32) -> Decision {
    let fits = o.capacity.is_none_or(|c| o.confirmed_seats + party <= c);
    // Nobody jumps the queue: while people wait, newcomers wait behind them.
    if fits && o.waitlisted == 0 {
        Decision::Confirmed
    } else if o.waitlisted < o.waitlist_limit {
        Decision::Waitlisted(o.waitlisted + 1)
    } else {
        Decision::Refused(Refusal::WaitlistFull)
    }
}

/// Which of the waiting parties (in first-in order) to promote, given the seats taken.
pub fn promotions(capacity: Option<u32>, confirmed_seats: u32, waiting: &[u32]) -> usize {
    let mut taken = confirmed_seats;
    let mut promoted = 0;
    for party in waiting {
        if capacity.is_some_and(|c| taken + party > c) {
            break;
        }
        taken += party;
        promoted += 1;
    }
    promoted
}

/// Whether sign-ups are open at `now` for an occurrence starting at `start`.
pub fn check_signup_window(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    opens_days_before: Option<i32>,
    closes_minutes_before: i32,
) -> Result<(), Refusal> {
    if let Some(days) = opens_days_before
        && now < start - Duration::days(i64::from(days))
    {
        return Err(Refusal::SignupsNotOpen);
    }
    if now > start - Duration::minutes(i64::from(closes_minutes_before)) {
        return Err(Refusal::SignupsClosed);
    }
    Ok(())
}

/// Whether a sign-up may still be cancelled at `now`.
pub fn check_cancel_cutoff(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    cutoff_minutes_before: i32,
) -> Result<(), Refusal> {
    if now > start - Duration::minutes(i64::from(cutoff_minutes_before)) {
        return Err(Refusal::PastCutoff);
    }
    Ok(())
}

/// The id of `resident`'s sign-up for an occurrence: one per person and occurrence.
pub fn signup_id(occurrence: Uuid, resident: Uuid) -> Uuid {
    Uuid::new_v5(&occurrence, resident.as_bytes())
}

/// The id of `resident`'s attendance record for an occurrence.
pub fn attendance_id(occurrence: Uuid, resident: Uuid) -> Uuid {
    let mut name = b"attendance:".to_vec();
    name.extend_from_slice(resident.as_bytes());
    Uuid::new_v5(&occurrence, &name)
}

/// How early before its start a session's attendance may be marked (volunteers arrive early).
pub const ATTENDANCE_OPENS_BEFORE: Duration = Duration::hours(1);

/// Why attendance cannot be marked.
#[derive(Debug, Clone, PartialEq)]
pub enum AttendanceRefusal {
    /// The session was cancelled.
    Cancelled,
    /// The session has not begun yet.
    NotYet,
    /// More hours than the session lasted.
    TooLong { max_hours: f64 },
    /// Hours below zero, or not a number.
    BadHours,
}

/// The minutes to record for a mark of `status_present` with `hours`, for a session of
/// `duration_minutes` starting at `start`: nothing before the session begins (less an hour),
/// nothing for a cancelled one, and never more than its length.
pub fn attendance_minutes(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    duration_minutes: i32,
    cancelled: bool,
    present: bool,
    hours: Option<f64>,
) -> Result<i32, AttendanceRefusal> {
    if cancelled {
        return Err(AttendanceRefusal::Cancelled);
    }
    if now < start - ATTENDANCE_OPENS_BEFORE {
        return Err(AttendanceRefusal::NotYet);
    }
    match hours {
        None if present => Ok(duration_minutes),
        None => Ok(0),
        Some(h) if !h.is_finite() || h < 0.0 => Err(AttendanceRefusal::BadHours),
        Some(h) => {
            let minutes = (h * 60.0).round();
            if minutes > f64::from(duration_minutes) {
                return Err(AttendanceRefusal::TooLong {
                    max_hours: f64::from(duration_minutes) / 60.0,
                });
            }
            Ok(minutes as i32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn occ(capacity: Option<u32>, confirmed: u32, waitlisted: u32) -> Occupancy {
        Occupancy {
            capacity,
            confirmed_seats: confirmed,
            waitlisted,
            waitlist_limit: 2,
        }
    }

    #[test]
    fn requests_are_confirmed_while_seats_remain_then_waitlisted_then_refused() {
        assert_eq!(decide(occ(Some(40), 39, 0), 1), Decision::Confirmed);
        assert_eq!(decide(occ(Some(40), 40, 0), 1), Decision::Waitlisted(1));
        assert_eq!(decide(occ(Some(40), 39, 0), 2), Decision::Waitlisted(1));
        assert_eq!(decide(occ(Some(40), 40, 1), 1), Decision::Waitlisted(2));
        assert_eq!(
            decide(occ(Some(40), 40, 2), 1),
            Decision::Refused(Refusal::WaitlistFull)
        );
        assert_eq!(decide(occ(None, 1000, 0), 4), Decision::Confirmed);
    }

    #[test]
    fn nobody_jumps_a_waiting_queue_even_when_a_small_party_would_fit() {
        // One seat is free but a party of two waits for it: a newcomer of one waits behind.
        assert_eq!(decide(occ(Some(10), 9, 1), 1), Decision::Waitlisted(2));
    }

    #[test]
    fn promotion_is_strictly_first_in_first_out() {
        assert_eq!(promotions(Some(10), 8, &[1, 1, 1]), 2);
        // The head needs three seats; two are free: nobody is promoted past it.
        assert_eq!(promotions(Some(10), 8, &[3, 1]), 0);
        assert_eq!(promotions(None, 100, &[4, 4]), 2);
        // Capacity lowered below the confirmed seats: nobody is promoted, nobody bumped.
        assert_eq!(promotions(Some(5), 8, &[1]), 0);
    }

    #[test]
    fn sign_up_windows_and_cancel_cutoffs() {
        let start = DateTime::parse_from_rfc3339("2026-12-05T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let days = |d: i64| start - Duration::days(d);
        assert_eq!(
            check_signup_window(days(8), start, Some(7), 60),
            Err(Refusal::SignupsNotOpen)
        );
        assert_eq!(check_signup_window(days(6), start, Some(7), 60), Ok(()));
        assert_eq!(
            check_signup_window(start - Duration::minutes(30), start, None, 60),
            Err(Refusal::SignupsClosed)
        );
        assert_eq!(
            check_cancel_cutoff(start - Duration::hours(3), start, 120),
            Ok(())
        );
        assert_eq!(
            check_cancel_cutoff(start - Duration::hours(1), start, 120),
            Err(Refusal::PastCutoff)
        );
    }

    proptest! {
        /// Whatever the requests and seat changes, confirmed seats never exceed capacity
        /// unless the capacity was lowered below them, and promotions keep arrival order.
        #[test]
        fn seats_are_never_oversold(events in prop::collection::vec((1u32..=MAX_PARTY, any::<bool>(), 0u32..12), 1..80)) {
            let capacity = 10u32;
            let mut confirmed: Vec<u32> = Vec::new();
            let mut waiting: Vec<u32> = Vec::new();
            for (party, cancel, pick) in events {
                if cancel && !confirmed.is_empty() {
                    confirmed.remove(pick as usize % confirmed.len());
                    let seats: u32 = confirmed.iter().sum();
                    let n = promotions(Some(capacity), seats, &waiting);
                    confirmed.extend(waiting.drain(..n));
                } else {
                    let o = Occupancy { capacity: Some(capacity), confirmed_seats: confirmed.iter().sum(), waitlisted: waiting.len() as u32, waitlist_limit: 5 };
                    match decide(o, party) {
                        Decision::Confirmed => confirmed.push(party),
                        Decision::Waitlisted(pos) => { prop_assert_eq!(pos as usize, waiting.len() + 1); waiting.push(party) }
                        Decision::Refused(r) => prop_assert_eq!(r, Refusal::WaitlistFull),
                    }
                }
                prop_assert!(confirmed.iter().sum::<u32>() <= capacity);
            }
        }
    }

    #[test]
    fn attendance_is_marked_only_for_a_session_that_began_and_never_beyond_its_length() {
        let start = Utc::now();
        let mark =
            |now, cancelled, hours| attendance_minutes(now, start, 90, cancelled, true, hours);
        assert_eq!(mark(start, false, None), Ok(90));
        assert_eq!(mark(start + Duration::days(3), false, Some(1.5)), Ok(90));
        assert_eq!(
            mark(start - Duration::minutes(30), false, Some(0.5)),
            Ok(30)
        );
        assert_eq!(
            mark(start - Duration::hours(2), false, None),
            Err(AttendanceRefusal::NotYet)
        );
        assert_eq!(mark(start, true, None), Err(AttendanceRefusal::Cancelled));
        assert_eq!(
            mark(start, false, Some(2.5)),
            Err(AttendanceRefusal::TooLong { max_hours: 1.5 })
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                mark(start, false, Some(bad)),
                Err(AttendanceRefusal::BadHours)
            );
        }
        assert_eq!(
            attendance_minutes(start, start, 90, false, false, None),
            Ok(0)
        );
    }

    proptest! {
        #[test]
        fn recorded_minutes_never_exceed_the_session(
            duration in 1i32..=1440,
            hours in proptest::option::of(-2.0f64..30.0),
            offset_minutes in -600i64..6000,
        ) {
            let start = Utc::now();
            let now = start + Duration::minutes(offset_minutes);
            if let Ok(m) = attendance_minutes(now, start, duration, false, true, hours) {
                prop_assert!((0..=duration).contains(&m));
                prop_assert!(now >= start - ATTENDANCE_OPENS_BEFORE);
            }
        }
    }
}
