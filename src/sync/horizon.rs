//! The sync horizon: how far back and ahead a phone holds rows bound to a moment.
//!
//! A volunteer's phone needs the coming weeks, not a year of seat tallies: at the bench's
//! scale 10,092 of a first sync's 10,403 rows were tallies of sessions long past or far
//! ahead. A table whose rows each belong to one moment (an occurrence's `original_start`)
//! declares that column ([`Table::within_horizon`](super::feed::Table::within_horizon)), and
//! the feed sends its rows only when that moment lies inside the phone's [`Window`]: by
//! default 8 weeks back and 12 ahead of today, wider when the phone asks
//! ([`Horizon::window`]). Rows outside it are read over REST (the occurrences read takes
//! any window) and are not sent at all.
//!
//! Windows are whole UTC days, so a window moves once a day, not with every request. The
//! cursor records the window the phone holds. When the window a pull computes differs, the
//! days that entered it (at most one band at each end) are re-scanned from the start of the
//! feed, as a change of scope is ([`super::pull`]): a row that entered the window because
//! time passed reaches the phone even if it was written long before the phone's position,
//! and even if the phone is at the head ("anything new?" from memory declines while the
//! window differs). Rows that leave the window are not deleted from the phone; a phone may
//! drop what lies before the window the pull reports.
//!
//! The moment column must not change after the row is written (an occurrence's original
//! start never does): the window is judged on the row as the phone holds it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The default days back and ahead of today a phone holds.
pub const DEFAULT_BACK_DAYS: u32 = 56;
pub const DEFAULT_AHEAD_DAYS: u32 = 84;
/// The widest window a phone may ask for, each way (about ten years).
pub const MAX_DAYS: u32 = 3660;

/// The server's horizon setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    pub back_days: u32,
    pub ahead_days: u32,
}

impl Default for Horizon {
    fn default() -> Self {
        Self {
            back_days: DEFAULT_BACK_DAYS,
            ahead_days: DEFAULT_AHEAD_DAYS,
        }
    }
}

impl Horizon {
    /// The window a phone holds at `now`: the setting's, widened to what the phone asked
    /// for (never narrowed, and at most [`MAX_DAYS`] each way).
    pub fn window(self, now: DateTime<Utc>, back: Option<u32>, ahead: Option<u32>) -> Window {
        let today = day_of(now);
        let back = back
            .unwrap_or(0)
            .clamp(self.back_days, MAX_DAYS.max(self.back_days));
        let ahead = ahead
            .unwrap_or(0)
            .clamp(self.ahead_days, MAX_DAYS.max(self.ahead_days));
        Window {
            from: today - i64::from(back),
            to: today + i64::from(ahead) + 1,
        }
    }
}

/// Whole UTC days `[from, to)`, counted from 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    #[serde(rename = "a")]
    pub from: i64,
    #[serde(rename = "b")]
    pub to: i64,
}

fn day_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(86_400)
}

fn start_of(day: i64) -> DateTime<Utc> {
    DateTime::UNIX_EPOCH + Duration::days(day)
}

impl Window {
    /// Its first instant.
    pub fn start(self) -> DateTime<Utc> {
        start_of(self.from)
    }

    /// The first instant after it.
    pub fn end(self) -> DateTime<Utc> {
        start_of(self.to)
    }

    pub fn contains(self, t: DateTime<Utc>) -> bool {
        (self.from..self.to).contains(&day_of(t))
    }

    fn is_empty(self) -> bool {
        self.from >= self.to
    }

    fn meet(self, other: Window) -> Window {
        Window {
            from: self.from.max(other.from),
            to: self.to.min(other.to),
        }
    }

    /// The smallest window holding both (either may be empty).
    pub fn hull(self, other: Window) -> Window {
        match (self.is_empty(), other.is_empty()) {
            (true, _) => other,
            (_, true) => self,
            _ => Window {
                from: self.from.min(other.from),
                to: self.to.max(other.to),
            },
        }
    }

    /// The days of `self` a phone holding `held` (`None`: every day) has not been sent, as
    /// one window covering them (empty when there are none). Covering both ends at once
    /// can re-send days in between; sending a row twice is harmless.
    pub fn entering(self, held: Option<Window>) -> Option<Window> {
        let held = held?;
        let kept = self.meet(held);
        if kept.is_empty() {
            return Some(self);
        }
        let before = Window {
            from: self.from,
            to: kept.from,
        };
        let after = Window {
            from: kept.to,
            to: self.to,
        };
        let band = before.hull(after);
        (!band.is_empty()).then_some(band)
    }

    /// What is left of a pending re-scan's band once the window is `now`.
    pub fn within(self, now: Window) -> Option<Window> {
        let w = self.meet(now);
        (!w.is_empty()).then_some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn w(from: i64, to: i64) -> Window {
        Window { from, to }
    }

    #[test]
    fn the_default_window_is_eight_weeks_back_and_twelve_ahead_in_whole_days() {
        let now = at("2026-12-03T15:30:00Z");
        let win = Horizon::default().window(now, None, None);
        assert_eq!(win.start(), at("2026-10-08T00:00:00Z"));
        assert_eq!(win.end(), at("2027-02-26T00:00:00Z"));
        assert!(win.contains(now));
        assert!(win.contains(at("2026-10-08T00:00:00Z")));
        assert!(!win.contains(at("2026-10-07T23:59:59Z")));
        assert!(win.contains(at("2027-02-25T23:59:59Z")));
        assert!(!win.contains(at("2027-02-26T00:00:00Z")));
        // The same all day long.
        assert_eq!(
            Horizon::default().window(at("2026-12-03T00:00:00Z"), None, None),
            win
        );
    }

    #[test]
    fn a_phone_may_widen_its_window_but_not_narrow_it() {
        let now = at("2026-12-03T15:30:00Z");
        let h = Horizon::default();
        assert_eq!(h.window(now, Some(1), Some(1)), h.window(now, None, None));
        let wide = h.window(now, Some(400), Some(100));
        assert_eq!(wide.from, h.window(now, None, None).from - (400 - 56));
        assert_eq!(wide.to, h.window(now, None, None).to + (100 - 84));
        assert_eq!(
            h.window(now, Some(u32::MAX), None).from,
            day_of(now) - i64::from(MAX_DAYS)
        );
    }

    #[test]
    fn the_next_day_brings_one_day_in() {
        assert_eq!(w(10, 20).entering(Some(w(9, 19))), Some(w(19, 20)));
        assert_eq!(w(10, 20).entering(Some(w(10, 20))), None);
        assert_eq!(w(10, 20).entering(None), None);
        // Narrowed: nothing enters.
        assert_eq!(w(10, 20).entering(Some(w(0, 30))), None);
        // Widened at both ends: the band covers both.
        assert_eq!(w(5, 25).entering(Some(w(10, 20))), Some(w(5, 25)));
        // Months later: all of it.
        assert_eq!(w(100, 110).entering(Some(w(10, 20))), Some(w(100, 110)));
    }

    proptest! {
        /// Every day of the new window is either held or in the band that enters.
        #[test]
        fn no_day_is_missed(a in 0i64..60, b in 0i64..60, c in 0i64..60, d in 0i64..60) {
            let now = w(a.min(b), a.max(b) + 1);
            let held = w(c.min(d), c.max(d) + 1);
            let band = now.entering(Some(held));
            for day in now.from..now.to {
                let in_held = (held.from..held.to).contains(&day);
                let in_band = band.is_some_and(|x| (x.from..x.to).contains(&day));
                prop_assert!(in_held || in_band, "day {day} of {now:?} missed; held {held:?}, band {band:?}");
            }
            if let Some(band) = band {
                prop_assert!(band.from >= now.from && band.to <= now.to);
            }
        }
    }
}
