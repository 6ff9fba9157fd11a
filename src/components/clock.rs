//! Wall-clock time for the components, in milliseconds since the Unix epoch, and how durations
//! read on screen. In the browser `SystemTime` is not available, so the time comes from `Date`.

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        leptos::web_sys::js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// A running time: `42s`, `3m 05s`, `1h 02m`.
pub fn format_elapsed(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// How long ago something happened: `just now`, `5 min ago`, `3 h ago`.
pub fn format_ago(elapsed_ms: i64) -> String {
    let minutes = elapsed_ms.max(0) / 60_000;
    match minutes {
        0 => "just now".into(),
        m if m < 60 => format!("{m} min ago"),
        m => format!("{} h ago", m / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_reads_in_the_largest_useful_units() {
        assert_eq!(format_elapsed(0), "0s");
        assert_eq!(format_elapsed(59), "59s");
        assert_eq!(format_elapsed(65), "1m 05s");
        assert_eq!(format_elapsed(3600 + 120 + 5), "1h 02m");
    }

    #[test]
    fn ago_rounds_down_and_never_goes_negative() {
        assert_eq!(format_ago(-5_000), "just now");
        assert_eq!(format_ago(59_999), "just now");
        assert_eq!(format_ago(5 * 60_000 + 1), "5 min ago");
        assert_eq!(format_ago(3 * 3_600_000 + 60_000), "3 h ago");
    }

    #[test]
    fn the_clock_is_after_2024() {
        assert!(now_ms() > 1_700_000_000_000);
    }
}
