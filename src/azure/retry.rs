//! Waiting on Azure: how throttled and failing calls are retried (a doubling back-off, capped),
//! what `Retry-After` and its millisecond variants ask for, and the jitter that keeps many
//! clients throttled together from coming back together.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How 429 and 5xx answers (and network failures) are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Give up once retrying would take longer than this since the first attempt.
    pub max_elapsed: Duration,
    /// The first wait when ARM gives no `Retry-After`; doubled each time.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_elapsed: Duration::from_secs(60),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based) without `Retry-After`, before jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// ±20 % so that many clients throttled together do not come back together.
pub fn jitter(delay: Duration) -> Duration {
    use rand::Rng;
    delay.mul_f64(rand::thread_rng().gen_range(0.8..1.2))
}

/// A wait jittered, then kept within `[min, max]`: a cap is a cap, jitter included.
pub fn jittered_within(delay: Duration, min: Duration, max: Duration) -> Duration {
    jitter(delay).clamp(min, max.max(min))
}

/// When the server asks to come back: `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds),
/// else `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header(headers, name).and_then(|v| v.trim().parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after_value(value, now)
}

/// One `Retry-After` value: whole (or, leniently, fractional) seconds, or an HTTP date.
pub fn parse_retry_after_value(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A header's value as text, if it is there and readable.
pub(super) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn a_jittered_wait_never_passes_its_cap() {
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(120));
        for asked in [0, 1, 100, 119, 120, 121, 3_600, 86_400] {
            for _ in 0..200 {
                let wait = super::jittered_within(Duration::from_secs(asked), min, max);
                assert!(wait <= max && wait >= min, "{asked}s became {wait:?}");
            }
        }
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(
            parse_retry_after_value("7", SystemTime::now()),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after_value(" 0 ", SystemTime::now()),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after_value("1.5", SystemTime::now()),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn retry_after_as_an_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT")
            .unwrap_or(SystemTime::UNIX_EPOCH);
        assert_eq!(
            parse_retry_after_value("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        // A date in the past means "now".
        assert_eq!(
            parse_retry_after_value("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_garbage_is_ignored() {
        assert_eq!(parse_retry_after_value("soon", SystemTime::now()), None);
        assert_eq!(parse_retry_after_value("-3", SystemTime::now()), None);
    }

    #[test]
    fn milliseconds_headers_win_over_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("10"));
        headers.insert("x-ms-retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(
            parse_retry_after(&headers, SystemTime::now()),
            Some(Duration::from_millis(250))
        );
        headers.remove("x-ms-retry-after-ms");
        assert_eq!(
            parse_retry_after(&headers, SystemTime::now()),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_elapsed: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(200));
        assert_eq!(policy.backoff(3), Duration::from_millis(400));
        assert_eq!(policy.backoff(4), Duration::from_millis(500));
        assert_eq!(policy.backoff(40), Duration::from_millis(500));
    }
}
