//! The reads a server may spend following Azure operations (and on the price list): a token bucket shared by every run
//! of the server. Azure Resource Manager throttles reads per subscription and principal (a bucket
//! of a few hundred, refilled at a few tens per second); a server following a thousand creates
//! must not spend that on its own, or every page view and pre-flight of the team gets 429s. With
//! few runs each polls as Azure suggests; with many, polls spread out to stay within the budget.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// A token bucket: `per_second` reads on average, `burst` at once. Zero means no limit.
pub struct ReadBudget {
    per_second: f64,
    burst: f64,
    bucket: Mutex<Bucket>,
}

struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl ReadBudget {
    pub fn new(per_second: f64, burst: f64) -> Self {
        let burst = burst.max(1.0);
        Self {
            per_second: per_second.max(0.0),
            burst,
            bucket: Mutex::new(Bucket {
                tokens: burst,
                refilled_at: Instant::now(),
            }),
        }
    }

    /// No limit.
    pub fn unlimited() -> Self {
        Self::new(0.0, 1.0)
    }

    /// Waits until one read may be spent, and spends it. Waiters are served in order.
    pub async fn spend(&self) {
        if self.per_second == 0.0 {
            return;
        }
        let mut bucket = self.bucket.lock().await;
        let now = Instant::now();
        let earned = now.duration_since(bucket.refilled_at).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + earned).min(self.burst);
        bucket.refilled_at = now;
        if bucket.tokens < 1.0 {
            // Holding the lock while waiting keeps the order: the next one waits behind.
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second);
            crate::metrics::read_budget_waiting(1.0);
            tokio::time::sleep(wait).await;
            crate::metrics::read_budget_waiting(-1.0);
            bucket.tokens = 1.0;
            bucket.refilled_at = Instant::now();
        }
        bucket.tokens -= 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_free_then_reads_come_at_the_rate() {
        let budget = ReadBudget::new(10.0, 5.0);
        let start = Instant::now();
        for _ in 0..5 {
            budget.spend().await;
        }
        assert!(start.elapsed() < Duration::from_millis(1), "the burst");
        for _ in 0..10 {
            budget.spend().await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!(
            (0.95..1.05).contains(&elapsed),
            "10 more at 10/s: {elapsed}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn zero_means_no_limit() {
        let budget = ReadBudget::unlimited();
        let start = Instant::now();
        for _ in 0..1_000 {
            budget.spend().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
