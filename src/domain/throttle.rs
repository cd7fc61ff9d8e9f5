//! The login throttle: after too many failed logins for one phone number, or from one client
//! address, further attempts are refused with `429` and a `Retry-After` until the oldest
//! failure leaves the window. Refused attempts never reach the password check, so a locked
//! phone number cannot be used as a guessing oracle, and the answer is the same whether the
//! number is registered or not.
//!
//! An attempt counts as a failure from the moment it starts ([`LoginThrottle::begin`]), and
//! is forgiven only when it succeeds: a password check takes tens of milliseconds, and
//! counting at its end let 64 parallel guesses all pass the check before the first was
//! recorded.
//!
//! State lives in memory: a restart forgets it (one window of extra guesses at most), and the
//! map is pruned so a flood of distinct keys cannot grow it without bound.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures a key may have within a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures: usize,
    pub window: Duration,
}

impl ThrottlePolicy {
    /// Per phone number: 5 wrong passwords in 15 minutes. Elderly residents mistype; five
    /// tries is generous for them and still only 480 guesses a day for an attacker.
    pub const PER_PHONE: Self = Self {
        max_failures: 5,
        window: Duration::from_secs(15 * 60),
    };
    /// Per client address: 30 failures in 15 minutes. Higher than per phone because a whole
    /// compound may share one carrier-grade NAT address.
    pub const PER_ADDRESS: Self = Self {
        max_failures: 30,
        window: Duration::from_secs(15 * 60),
    };
}

/// How long a key must wait before its next attempt, or `None` if it may try now.
/// `failures` holds the instants of past failures, oldest first.
pub fn retry_after(
    failures: &VecDeque<Instant>,
    policy: ThrottlePolicy,
    now: Instant,
) -> Option<Duration> {
    let recent: Vec<&Instant> = failures
        .iter()
        .filter(|t| now.saturating_duration_since(**t) < policy.window)
        .collect();
    if recent.len() < policy.max_failures {
        return None;
    }
    // The attempt is allowed again once enough failures have aged out of the window.
    let unlocking = recent[recent.len() - policy.max_failures];
    Some(
        (*unlocking + policy.window)
            .saturating_duration_since(now)
            .max(Duration::from_secs(1)),
    )
}

/// Failures per key (a phone number or a client address) under one policy.
#[derive(Debug)]
pub struct FailureLedger {
    policy: ThrottlePolicy,
    entries: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// Past this many keys, entries with no recent failure are swept.
    prune_above: usize,
}

impl FailureLedger {
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            entries: Mutex::new(HashMap::new()),
            prune_above: 100_000,
        }
    }

    pub fn policy(&self) -> ThrottlePolicy {
        self.policy
    }

    /// `Some(wait)` if `key` is locked out at `now`.
    pub fn check(&self, key: &str, now: Instant) -> Option<Duration> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .and_then(|f| retry_after(f, self.policy, now))
    }

    /// Starts an attempt for `key` at `now`: refused with the wait if `key` is locked out,
    /// else counted as a failure at once (see [`Self::forgive`]), in one step, so parallel
    /// attempts cannot all pass the check before any is counted.
    pub fn try_begin(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(wait) = entries
            .get(key)
            .and_then(|f| retry_after(f, self.policy, now))
        {
            return Err(wait);
        }
        self.push_failure(&mut entries, key, now);
        Ok(())
    }

    /// Takes back the attempt `key` began at `at` (it succeeded).
    pub fn forgive(&self, key: &str, at: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(failures) = entries.get_mut(key)
            && let Some(i) = failures.iter().rposition(|t| *t == at)
        {
            failures.remove(i);
        }
    }

    /// Records one failure for `key` at `now`.
    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.push_failure(&mut entries, key, now);
    }

    fn push_failure(
        &self,
        entries: &mut HashMap<String, VecDeque<Instant>>,
        key: &str,
        now: Instant,
    ) {
        if entries.len() >= self.prune_above {
            let window = self.policy.window;
            entries.retain(|_, f| {
                f.back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
        }
        let failures = entries.entry(key.to_owned()).or_default();
        while failures
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.policy.window)
        {
            failures.pop_front();
        }
        failures.push_back(now);
        // Only the newest `max_failures` matter for the decision.
        while failures.len() > self.policy.max_failures {
            failures.pop_front();
        }
    }

    /// Forgets `key`'s failures (a successful login for that phone number).
    pub fn clear(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The two ledgers a login consults: one per phone number, one per client address.
#[derive(Debug)]
pub struct LoginThrottle {
    pub by_phone: FailureLedger,
    pub by_address: FailureLedger,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            by_phone: FailureLedger::new(ThrottlePolicy::PER_PHONE),
            by_address: FailureLedger::new(ThrottlePolicy::PER_ADDRESS),
        }
    }
}

/// A login attempt under way, counted as a failure until [`LoginThrottle::succeeded`].
#[derive(Debug, Clone, Copy)]
#[must_use = "an attempt stays counted as a failure unless it is marked as succeeded"]
pub struct Attempt {
    at: Instant,
}

impl LoginThrottle {
    /// Starts a login attempt: refused with the wait if the phone number or the address is
    /// locked out, else counted as a failure of both at once.
    pub fn begin(&self, phone: &str, address: &str, now: Instant) -> Result<Attempt, Duration> {
        self.by_phone.try_begin(phone, now)?;
        if let Err(wait) = self.by_address.try_begin(address, now) {
            self.by_phone.forgive(phone, now);
            return Err(wait);
        }
        Ok(Attempt { at: now })
    }

    /// The attempt succeeded: its phone number's failures are forgotten, and the attempt is
    /// taken back from its address (one resident logging in must not reset the count for a
    /// guesser sharing the address).
    pub fn succeeded(&self, attempt: Attempt, phone: &str, address: &str) {
        self.by_phone.clear(phone);
        self.by_address.forgive(address, attempt.at);
    }

    /// The longer wait of the two, if either is locked.
    pub fn check(&self, phone: &str, address: &str, now: Instant) -> Option<Duration> {
        match (
            self.by_phone.check(phone, now),
            self.by_address.check(address, now),
        ) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn record_failure(&self, phone: &str, address: &str, now: Instant) {
        self.by_phone.record_failure(phone, now);
        self.by_address.record_failure(address, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const POLICY: ThrottlePolicy = ThrottlePolicy {
        max_failures: 3,
        window: Duration::from_secs(60),
    };

    #[test]
    fn locks_after_max_failures_and_unlocks_when_the_oldest_ages_out() {
        let ledger = FailureLedger::new(POLICY);
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(
                ledger.check("+8613812345678", t0 + Duration::from_secs(i)),
                None
            );
            ledger.record_failure("+8613812345678", t0 + Duration::from_secs(i));
        }
        let wait = ledger
            .check("+8613812345678", t0 + Duration::from_secs(3))
            .unwrap();
        assert_eq!(wait, Duration::from_secs(57));
        assert_eq!(
            ledger.check("+8613812345678", t0 + Duration::from_secs(60)),
            None
        );
        // Other keys are unaffected.
        assert_eq!(
            ledger.check("+8613900000000", t0 + Duration::from_secs(3)),
            None
        );
    }

    #[test]
    fn clearing_a_key_unlocks_it() {
        let ledger = FailureLedger::new(POLICY);
        let t0 = Instant::now();
        for _ in 0..3 {
            ledger.record_failure("k", t0);
        }
        assert!(ledger.check("k", t0).is_some());
        ledger.clear("k");
        assert_eq!(ledger.check("k", t0), None);
    }

    #[test]
    fn a_flood_of_distinct_keys_is_pruned() {
        let mut ledger = FailureLedger::new(POLICY);
        ledger.prune_above = 10;
        let t0 = Instant::now();
        for i in 0..10 {
            ledger.record_failure(&format!("old{i}"), t0);
        }
        ledger.record_failure("new", t0 + Duration::from_secs(61));
        assert_eq!(ledger.len(), 1);
    }

    #[test]
    fn a_guesser_trying_many_phones_from_one_address_is_stopped_by_the_address_ledger() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..ThrottlePolicy::PER_ADDRESS.max_failures {
            let phone = format!("+86138000{i:05}");
            assert_eq!(throttle.check(&phone, "203.0.113.9", t0), None);
            throttle.record_failure(&phone, "203.0.113.9", t0);
        }
        assert!(
            throttle
                .check("+8613912345678", "203.0.113.9", t0)
                .is_some()
        );
        assert_eq!(throttle.check("+8613912345678", "198.51.100.1", t0), None);
    }

    proptest! {
        /// Whatever the timing of failures, a key is never allowed more than `max_failures`
        /// failed attempts within any one window.
        #[test]
        fn never_more_than_max_failures_per_window(gaps in prop::collection::vec(0u64..40, 1..60)) {
            let ledger = FailureLedger::new(POLICY);
            let t0 = Instant::now();
            let mut now = t0;
            let mut allowed: Vec<Instant> = Vec::new();
            for gap in gaps {
                now += Duration::from_secs(gap);
                if ledger.check("k", now).is_none() {
                    allowed.push(now);
                    ledger.record_failure("k", now);
                }
            }
            for (i, start) in allowed.iter().enumerate() {
                let in_window = allowed[i..].iter().filter(|t| t.duration_since(*start) < POLICY.window).count();
                prop_assert!(in_window <= POLICY.max_failures);
            }
        }
    }

    #[test]
    fn parallel_attempts_are_counted_when_they_start() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let max = ThrottlePolicy::PER_PHONE.max_failures;
        // Many attempts begin before any finishes: only `max` get through.
        let begun: Vec<_> = (0..64)
            .map(|_| throttle.begin("+8613812345678", "203.0.113.9", t0))
            .collect();
        assert_eq!(begun.iter().filter(|b| b.is_ok()).count(), max);
        assert!(
            throttle
                .check("+8613812345678", "203.0.113.9", t0)
                .is_some()
        );
    }

    #[test]
    fn a_successful_attempt_is_taken_back_from_its_address() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..ThrottlePolicy::PER_ADDRESS.max_failures * 2 {
            let t = t0 + Duration::from_millis(i as u64);
            let attempt = throttle.begin("+8613812345678", "203.0.113.9", t).unwrap();
            throttle.succeeded(attempt, "+8613812345678", "203.0.113.9");
        }
        assert_eq!(throttle.check("+8613900000000", "203.0.113.9", t0), None);
    }
}
