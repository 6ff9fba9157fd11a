//! Per-user limits, so that one noisy user (or a script in a loop) runs into them before
//! everyone else runs into Azure's throttling or a busy job store: writes (create — a one-click
//! fix is a create —, stop, dismiss, delete a partial cluster), pre-flight, and reads that may
//! reach Azure (a cluster list nobody has cached), each so many per signed-in user per minute
//! (governor's keyed GCRA limiter: a minute's worth at once, then an even pace). Over a limit:
//! 429 `rate_limited` JSON with `Retry-After`, nothing done.
//!
//! Writes and pre-flight are counted by `http::rate_limit`, by route (the API's route table says
//! which), before the handler runs; a read is counted by the use case that is about to ask Azure
//! ([`RateLimits::check_read`]), so that reads the cache answers cost nothing.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::api_error::ApiError;

/// What a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Write,
    Preflight,
    /// A read that will ask Azure (nothing cached answers it).
    Read,
}

impl Limited {
    fn as_str(self) -> &'static str {
        match self {
            Limited::Write => "write",
            Limited::Preflight => "preflight",
            Limited::Read => "read",
        }
    }
}

/// The limiters of this server (each user's budget is kept per server).
#[derive(Clone)]
pub struct RateLimits {
    inner: Arc<Limits>,
}

struct Limits {
    writes: Option<DefaultKeyedRateLimiter<String>>,
    preflights: Option<DefaultKeyedRateLimiter<String>>,
    reads: Option<DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
}

fn per_minute(n: u32) -> Option<DefaultKeyedRateLimiter<String>> {
    NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

/// Users' budgets not touched for a while are dropped every this many checks.
const FORGET_EVERY: u64 = 4096;

impl RateLimits {
    /// `0`: no limit.
    pub fn new(writes_per_minute: u32, preflights_per_minute: u32, reads_per_minute: u32) -> Self {
        Self {
            inner: Arc::new(Limits {
                writes: per_minute(writes_per_minute),
                preflights: per_minute(preflights_per_minute),
                reads: per_minute(reads_per_minute),
                checks: AtomicU64::new(0),
            }),
        }
    }

    /// A read of `user` that will ask Azure: `Ok`, or the 429 to answer instead.
    pub fn check_read(&self, user: &str) -> Result<(), ApiError> {
        self.check(Limited::Read, user)
            .map_err(|seconds| refusal(Limited::Read, user, seconds))
    }

    /// `Err(seconds)` when `user` must wait that long before the next request of this kind.
    pub fn check(&self, what: Limited, user: &str) -> Result<(), u64> {
        let limiter = match what {
            Limited::Write => &self.inner.writes,
            Limited::Preflight => &self.inner.preflights,
            Limited::Read => &self.inner.reads,
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        if self.inner.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter.check_key(&user.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The 429 `rate_limited` of `user` over the `what` limit, who may try again in `seconds`.
pub fn refusal(what: Limited, user: &str, seconds: u64) -> ApiError {
    tracing::info!(%user, limit = what.as_str(), retry_after = seconds, "rate limited");
    crate::metrics::rate_limited(what.as_str());
    let message = match what {
        Limited::Write => format!(
            "You are creating, stopping or dismissing faster than this dashboard allows; \
             try again in {seconds} s."
        ),
        Limited::Preflight => {
            format!("Too many pre-flight checks at once; try again in {seconds} s.")
        }
        Limited::Read => format!(
            "Too many reads of resource groups this dashboard has not seen yet (each asks \
             Azure); try again in {seconds} s."
        ),
    };
    ApiError::try_again(crate::refusal::Refusal::RateLimited, message, seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minutes_worth_passes_then_the_next_waits_and_others_are_not_held() {
        let limits = RateLimits::new(3, 0, 0);
        for _ in 0..3 {
            assert_eq!(limits.check(Limited::Write, "ana"), Ok(()));
        }
        let wait = limits.check(Limited::Write, "ana").expect_err("over");
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(limits.check(Limited::Write, "ben"), Ok(()));
        assert_eq!(
            limits.check(Limited::Preflight, "ana"),
            Ok(()),
            "0 is no limit"
        );
    }
}
