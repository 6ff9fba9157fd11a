//! The one clock: milliseconds since the Unix epoch — on the server the wall clock moved by the
//! test hook (`--test-clock-offset-seconds`, so that tests can show servers with skewed clocks
//! agree), in the browser `Date.now()` — and how a moment is written in UTC: ISO 8601 for
//! machines (`<time datetime>`, the CSV export), a short label for people before the browser
//! knows the viewer's zone. Lease times do not use it: they come from the database's clock.

/// Milliseconds since the Unix epoch: the unit of every timestamp the product keeps.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        leptos::web_sys::js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        wall.saturating_add(server::offset_ms())
    }
}

/// Seconds since the Unix epoch on the wall clock, never moved by the test hook: signed-in
/// sessions count in it, as `tower-sessions` does.
#[cfg(feature = "ssr")]
pub fn wall_seconds() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Shifts this process's [`now_ms`] by `offset_ms` (the test hook).
#[cfg(feature = "ssr")]
pub fn set_offset_ms(offset_ms: i64) {
    server::OFFSET_MS.store(offset_ms, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(not(target_arch = "wasm32"))]
mod server {
    use std::sync::atomic::{AtomicI64, Ordering};

    pub(super) static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

    pub(super) fn offset_ms() -> i64 {
        OFFSET_MS.load(Ordering::Relaxed)
    }
}

/// `(year, month, day, hour, minute, second, millisecond)` in UTC.
pub fn utc_parts(ms: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm, proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (
        (in_day / 3_600_000) as u32,
        (in_day / 60_000 % 60) as u32,
        (in_day / 1000 % 60) as u32,
        (in_day % 1000) as u32,
    );
    (year, month, day, h, m, s, milli)
}

/// The machine-readable moment of a `<time datetime>`: ISO 8601 in UTC, to the millisecond.
pub fn iso_utc(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = utc_parts(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// A moment before the browser knows the viewer's zone (the server renders this): `2026-11-29
/// 13:04 UTC`; `full` adds the seconds.
pub fn utc_label(ms: i64, full: bool) -> String {
    let (y, mo, d, h, mi, s, _) = utc_parts(ms);
    if full {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC")
    }
}
