//! Hybrid logical clocks: the order of writes for last-writer-wins merging.
//!
//! An HLC is a physical time in milliseconds plus a counter that orders events within one
//! millisecond (and keeps order when a clock stalls). Its wire form is
//! `2026-11-29T08:20:37.808Z-0001`: an RFC 3339 UTC time with milliseconds, a dash, and the
//! counter as four hex digits. Writes are ordered by [`Stamp`]: the HLC, then the writing
//! client's id to break ties, so every replica picks the same winner.
//!
//! Phones' clocks are not trusted. The server keeps its own [`ServerClock`], advanced by every
//! HLC it receives, and returns it as `server_time` so phones move theirs forward. An HLC more
//! than [`MAX_DRIFT`] ahead of the server's wall clock is not believed: the write is
//! re-stamped with the server's clock at receipt. It still applies, but a phone whose clock is
//! hours fast cannot make its edits win over every later edit.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use uuid::Uuid;

/// How far ahead of the server's clock a phone's HLC may be and still be believed.
pub const MAX_DRIFT_MS: u64 = 5 * 60 * 1000;
pub const MAX_DRIFT: std::time::Duration = std::time::Duration::from_millis(MAX_DRIFT_MS);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch.
    pub ms: u64,
    pub counter: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a hybrid logical clock (expected like 2026-11-29T08:20:37.808Z-0001): {0}")]
pub struct BadHlc(String);

impl Hlc {
    pub const ZERO: Hlc = Hlc { ms: 0, counter: 0 };

    pub fn from_datetime(t: DateTime<Utc>) -> Self {
        Self {
            ms: u64::try_from(t.timestamp_millis()).unwrap_or(0),
            counter: 0,
        }
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(i64::try_from(self.ms).unwrap_or(i64::MAX))
            .single()
            .unwrap_or_default()
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:04x}",
            self.to_datetime()
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            self.counter
        )
    }
}

impl FromStr for Hlc {
    type Err = BadHlc;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadHlc(s.chars().take(64).collect());
        let (time, counter) = s.rsplit_once('-').ok_or_else(bad)?;
        if counter.len() != 4 {
            return Err(bad());
        }
        let counter = u16::from_str_radix(counter, 16).map_err(|_| bad())?;
        let time = DateTime::parse_from_rfc3339(time).map_err(|_| bad())?;
        let ms = u64::try_from(time.timestamp_millis()).map_err(|_| bad())?;
        Ok(Self { ms, counter })
    }
}

/// Who wrote a value and when: the order of last-writer-wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub hlc: Hlc,
    /// The writing client; the nil UUID for writes made by the server itself.
    pub client: Uuid,
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.hlc, self.client)
    }
}

impl FromStr for Stamp {
    type Err = BadHlc;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (hlc, client) = s.rsplit_once('@').ok_or_else(|| BadHlc(s.to_owned()))?;
        Ok(Self {
            hlc: hlc.parse()?,
            client: client.parse().map_err(|_| BadHlc(s.to_owned()))?,
        })
    }
}

/// What the server made of a received HLC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// The HLC the write is stamped with.
    pub hlc: Hlc,
    /// `Some(ahead_ms)` when the phone's clock was too far ahead and the write was re-stamped.
    pub clamped_ahead_ms: Option<u64>,
}

/// The next HLC after `last`, given the wall clock `now_ms`.
pub fn tick(last: Hlc, now_ms: u64) -> Hlc {
    if now_ms > last.ms {
        Hlc {
            ms: now_ms,
            counter: 0,
        }
    } else {
        advance(last)
    }
}

fn advance(h: Hlc) -> Hlc {
    match h.counter.checked_add(1) {
        Some(counter) => Hlc { ms: h.ms, counter },
        // 65,536 events in one millisecond: borrow the next millisecond.
        None => Hlc {
            ms: h.ms + 1,
            counter: 0,
        },
    }
}

/// The server's clock after receiving `remote` at wall-clock `now_ms`, and how the write is
/// stamped. Believable remote clocks (at most [`MAX_DRIFT`] ahead) are kept as sent, and pull
/// the server's clock forward; others are replaced by the server's next tick.
pub fn receive(last: Hlc, remote: Hlc, now_ms: u64) -> (Hlc, Received) {
    if remote.ms > now_ms.saturating_add(MAX_DRIFT_MS) {
        let stamped = tick(last, now_ms);
        return (
            stamped,
            Received {
                hlc: stamped,
                clamped_ahead_ms: Some(remote.ms - now_ms),
            },
        );
    }
    let next = tick(last.max(remote), now_ms);
    (
        next,
        Received {
            hlc: remote,
            clamped_ahead_ms: None,
        },
    )
}

/// The server's HLC, shared by all requests of one process, and its wall clock: the time
/// that decides windows (an election's close, a sign-up's cut-off), whatever a phone's clock
/// says.
#[derive(Debug, Default)]
pub struct ServerClock {
    last: Mutex<Hlc>,
    /// How far this process's wall clock is set ahead of the system's, in milliseconds.
    /// Always 0 in service; tests move it forward ([`ServerClock::advance`]) to cross a
    /// window's close without waiting for it.
    ahead_ms: std::sync::atomic::AtomicI64,
    /// Woken when the clock is set ahead, so tasks waiting for a time look again.
    moved: tokio::sync::Notify,
}

impl ServerClock {
    /// The server's wall-clock time.
    pub fn wall(&self) -> chrono::DateTime<Utc> {
        Utc::now()
            + chrono::Duration::milliseconds(
                self.ahead_ms.load(std::sync::atomic::Ordering::Relaxed),
            )
    }

    /// Sets this process's wall clock `by` further ahead (it never goes back).
    pub fn advance(&self, by: chrono::Duration) {
        self.ahead_ms.fetch_add(
            by.num_milliseconds().max(0),
            std::sync::atomic::Ordering::Relaxed,
        );
        self.moved.notify_waiters();
    }

    /// Completes when the clock is next set ahead.
    pub async fn moved(&self) {
        self.moved.notified().await;
    }

    fn wall_ms(&self) -> u64 {
        u64::try_from(self.wall().timestamp_millis()).unwrap_or(0)
    }

    /// A fresh HLC for a write the server makes itself, or for `server_time`.
    pub fn now(&self) -> Hlc {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        *last = tick(*last, self.wall_ms());
        *last
    }

    /// Takes in a phone's HLC (see [`receive`]).
    pub fn receive(&self, remote: Hlc) -> Received {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let (next, received) = receive(*last, remote, self.wall_ms());
        *last = next;
        received
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_wire_form_round_trips_and_sorts_like_the_clock() {
        let h: Hlc = "2026-11-29T08:20:37.808Z-0001".parse().unwrap();
        assert_eq!(h.to_string(), "2026-11-29T08:20:37.808Z-0001");
        let later: Hlc = "2026-11-29T08:20:37.808Z-0002".parse().unwrap();
        assert!(later > h);
        assert!(h.to_string() < later.to_string());
    }

    #[test]
    fn malformed_clocks_are_refused() {
        for s in [
            "",
            "yesterday",
            "2026-11-29T08:20:37.808Z",
            "2026-11-29T08:20:37.808Z-1",
            "2026-11-29T08:20:37.808Z-zzzz",
        ] {
            assert!(s.parse::<Hlc>().is_err(), "{s}");
        }
    }

    #[test]
    fn ties_on_the_clock_are_broken_by_client_id() {
        let hlc: Hlc = "2026-11-29T08:00:00.000Z-0000".parse().unwrap();
        let a = Stamp {
            hlc,
            client: Uuid::from_u128(1),
        };
        let b = Stamp {
            hlc,
            client: Uuid::from_u128(2),
        };
        assert!(b > a);
        assert_eq!(b.to_string().parse::<Stamp>().unwrap(), b);
    }

    #[test]
    fn a_clock_hours_ahead_is_restamped_with_the_servers_time() {
        let now = 1_800_000_000_000;
        let three_hours_ahead = Hlc {
            ms: now + 3 * 3600 * 1000,
            counter: 0,
        };
        let (clock, received) = receive(Hlc::ZERO, three_hours_ahead, now);
        assert_eq!(
            received.hlc,
            Hlc {
                ms: now,
                counter: 0
            }
        );
        assert_eq!(received.clamped_ahead_ms, Some(3 * 3600 * 1000));
        assert_eq!(clock, received.hlc);
    }

    #[test]
    fn a_believable_clock_is_kept_and_pulls_the_server_forward() {
        let now = 1_800_000_000_000;
        let slightly_ahead = Hlc {
            ms: now + 1000,
            counter: 7,
        };
        let (clock, received) = receive(Hlc::ZERO, slightly_ahead, now);
        assert_eq!(
            received,
            Received {
                hlc: slightly_ahead,
                clamped_ahead_ms: None
            }
        );
        assert_eq!(
            clock,
            Hlc {
                ms: now + 1000,
                counter: 8
            }
        );
        // A phone hours behind is believed too; it just loses to later writes.
        let behind = Hlc {
            ms: now - 3 * 3600 * 1000,
            counter: 0,
        };
        assert_eq!(receive(clock, behind, now).1.hlc, behind);
    }

    proptest! {
        /// Whatever the server receives and whatever its wall clock does, its clock never goes
        /// backwards and every HLC it hands out is unique.
        #[test]
        fn the_server_clock_is_strictly_monotonic(events in prop::collection::vec((any::<bool>(), 0u64..10_000, 0u64..20_000_000), 1..200)) {
            let mut last = Hlc::ZERO;
            let base = 1_800_000_000_000u64;
            for (is_receive, wall, remote) in events {
                let now = base + wall;
                let next = if is_receive {
                    receive(last, Hlc { ms: base + remote, counter: 0 }, now).0
                } else {
                    tick(last, now)
                };
                prop_assert!(next > last);
                last = next;
            }
        }
    }
}
