//! Per-resident limits on sync requests, so one phone (or one stolen token in a loop) cannot
//! take the writer's turns or the readers' connections from everyone else.
//!
//! Each resident has a bucket per kind of request (GCRA, from `governor`, rather than a
//! hand-written counter: it keeps one timestamp per key, needs no background refill, and
//! answers how long to wait). A bucket holds half a minute's worth, so a phone catching up
//! after a day offline (many pull pages in a row, a long queue pushed in several requests)
//! is never refused, while a loop is held to the sustained rate. Refused requests get `429`
//! with `Retry-After`; the sync protocol already says a failed request is retried with the
//! same body, so nothing is lost.
//!
//! The limits are per process: several instances behind a balancer each allow the rate.
//! Buckets of residents who went quiet are dropped every minute, so memory follows the
//! residents active in the last minute, not everyone who ever synced.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use uuid::Uuid;

use crate::web::error::ApiError;

/// Requests per minute each resident may make, by kind; `0` turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncRates {
    pub pushes_per_minute: u32,
    pub pulls_per_minute: u32,
}

impl Default for SyncRates {
    /// A phone pushes when its queue fills and pulls when poked; these are many times that.
    fn default() -> Self {
        Self {
            pushes_per_minute: 120,
            pulls_per_minute: 240,
        }
    }
}

impl SyncRates {
    /// No limits: for load generators and benchmarks, which are many phones in one.
    pub const OFF: Self = Self {
        pushes_per_minute: 0,
        pulls_per_minute: 0,
    };
}

/// The buckets of one server process.
#[derive(Debug)]
pub struct SyncLimits {
    push: Option<DefaultKeyedRateLimiter<Uuid>>,
    pull: Option<DefaultKeyedRateLimiter<Uuid>>,
}

impl SyncLimits {
    pub fn new(rates: SyncRates) -> Self {
        Self {
            push: limiter(rates.pushes_per_minute),
            pull: limiter(rates.pulls_per_minute),
        }
    }

    /// Counts a push by `resident`, or says how long to wait.
    pub fn push(&self, resident: Uuid) -> Result<(), ApiError> {
        check(self.push.as_ref(), resident)
    }

    /// Counts a pull (or an event stream opened) by `resident`, or says how long to wait.
    pub fn pull(&self, resident: Uuid) -> Result<(), ApiError> {
        check(self.pull.as_ref(), resident)
    }

    /// Drops the buckets of residents who went quiet, every minute, until the task is aborted.
    pub fn keep_lean(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                for limiter in [&self.push, &self.pull].into_iter().flatten() {
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                }
            }
        })
    }
}

fn limiter(per_minute: u32) -> Option<DefaultKeyedRateLimiter<Uuid>> {
    let rate = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(per_minute.div_ceil(2)).unwrap_or(rate);
    Some(DefaultKeyedRateLimiter::keyed(
        Quota::per_minute(rate).allow_burst(burst),
    ))
}

fn check(limiter: Option<&DefaultKeyedRateLimiter<Uuid>>, resident: Uuid) -> Result<(), ApiError> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    limiter.check_key(&resident).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::RateLimited(wait.max(Duration::from_secs(1)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_half_a_minute_passes_then_the_next_waits_and_others_go_on() {
        let limits = SyncLimits::new(SyncRates {
            pushes_per_minute: 60,
            pulls_per_minute: 0,
        });
        let (busy, quiet) = (Uuid::now_v7(), Uuid::now_v7());
        for n in 0..30 {
            assert!(
                limits.push(busy).is_ok(),
                "push {n} of the burst was refused"
            );
        }
        match limits.push(busy) {
            Err(ApiError::RateLimited(wait)) => {
                assert!(
                    wait >= Duration::from_secs(1) && wait <= Duration::from_secs(2),
                    "{wait:?}"
                )
            }
            other => panic!("the 31st push in a row was not limited: {other:?}"),
        }
        assert!(
            limits.push(quiet).is_ok(),
            "one resident's loop limited another"
        );
        // A limit of 0 is off.
        for _ in 0..1000 {
            assert!(limits.pull(busy).is_ok());
        }
    }
}
