//! The load generator: workers that each repeat a request until a deadline, recording every
//! latency, the bytes received and the errors.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a run measured.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub bytes: u64,
    pub elapsed: Duration,
    /// Every request's latency in microseconds, sorted.
    latencies_us: Vec<u64>,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The `q` quantile of the latencies (0.5 is the median), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[rank] as f64 / 1000.0
    }

    pub fn bytes_per_request(&self) -> f64 {
        self.bytes as f64 / (self.requests.max(1)) as f64
    }

    /// Builds stats from latencies measured elsewhere.
    pub fn from_samples(
        mut latencies_us: Vec<u64>,
        bytes: u64,
        errors: u64,
        elapsed: Duration,
    ) -> Self {
        latencies_us.sort_unstable();
        Self {
            requests: latencies_us.len() as u64,
            errors,
            bytes,
            elapsed,
            latencies_us,
        }
    }

    fn merge(&mut self, other: Stats) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.bytes += other.bytes;
        self.latencies_us.extend(other.latencies_us);
    }
}

/// Runs `workers` loops of `request(worker)` for `duration`. A request returns the bytes it
/// received, or an error (counted, and the loop goes on).
pub async fn closed_loop<F, Fut>(workers: usize, duration: Duration, request: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<usize>> + Send + 'static,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(workers);
    for worker in 0..workers {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                match request(worker).await {
                    Ok(bytes) => {
                        stats.bytes += bytes as u64;
                        stats.requests += 1;
                        stats.latencies_us.push(t0.elapsed().as_micros() as u64);
                    }
                    Err(_) => stats.errors += 1,
                }
            }
            stats
        }));
    }
    let mut all = Stats::default();
    for task in tasks {
        if let Ok(stats) = task.await {
            all.merge(stats);
        }
    }
    all.elapsed = started.elapsed();
    all.latencies_us.sort_unstable();
    all
}

/// Prints one result line, with its ratio to the reference when there is one.
pub fn report(name: &str, stats: &Stats, reference: Option<(&str, &Stats)>) {
    println!(
        "  {name:<34} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  {:>9.0} B/req  errors {}",
        stats.per_second(),
        stats.quantile_ms(0.5),
        stats.quantile_ms(0.99),
        stats.bytes_per_request(),
        stats.errors
    );
    if let Some((what, base)) = reference {
        println!(
            "  {:<34} ratio {:.2} of {what} throughput",
            "",
            stats.per_second() / base.per_second().max(f64::EPSILON)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_sorted_samples() {
        let stats = Stats::from_samples(
            vec![4000, 1000, 3000, 2000, 5000],
            10,
            0,
            Duration::from_secs(1),
        );
        assert_eq!(stats.quantile_ms(0.0), 1.0);
        assert_eq!(stats.quantile_ms(0.5), 3.0);
        assert_eq!(stats.quantile_ms(1.0), 5.0);
        assert_eq!(stats.per_second(), 5.0);
        assert_eq!(stats.bytes_per_request(), 2.0);
    }
}
