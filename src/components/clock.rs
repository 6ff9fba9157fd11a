//! How durations and moments read on screen, on the one clock (`crate::clock`); the viewer's
//! time zone and language come from the browser's `Intl`.
//!
//! [`Clock`] is the page's one ticking clock (relative times and running times stay current);
//! [`Moment`] shows a point in time as people read it, in a `<time datetime="…">` element.

use std::time::Duration;

use leptos::prelude::*;

// The page reads the one clock (and its UTC formats) through here.
use crate::clock::utc_parts;
pub use crate::clock::{iso_utc, now_ms, utc_label};
use crate::components::erase::erased_on_server;

/// How often the page's clock ticks.
const TICK: Duration = Duration::from_secs(1);

/// A running time: `42s`, `3m 05s`, `1h 02m`.
pub fn format_elapsed(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// How long ago something happened: `just now`, `5 min ago`, `3 h ago`, `2 days ago`.
pub fn format_ago(elapsed_ms: i64) -> String {
    let minutes = elapsed_ms.max(0) / 60_000;
    match minutes {
        0 => "just now".into(),
        m if m < 60 => format!("{m} min ago"),
        m if m < 48 * 60 => format!("{} h ago", m / 60),
        m => format!("{} days ago", m / (24 * 60)),
    }
}

/// A moment in the viewer's language and time zone: short (`29 Nov 2026, 14:04`), or `full`
/// (weekday, seconds and the zone's name) for the hover text.
#[cfg(feature = "hydrate")]
pub fn local_label(ms: i64, full: bool) -> String {
    use leptos::wasm_bindgen::JsValue;
    use leptos::web_sys::js_sys::{Date, Object, Reflect};
    let date = Date::new(&JsValue::from_f64(ms as f64));
    let options = Object::new();
    let (date_style, time_style) = if full {
        ("full", "long")
    } else {
        ("medium", "short")
    };
    let _ = Reflect::set(&options, &"dateStyle".into(), &date_style.into());
    let _ = Reflect::set(&options, &"timeStyle".into(), &time_style.into());
    // "default": the browser's own language.
    date.to_locale_string("default", &options).into()
}

/// On the server the viewer's zone is unknown: UTC, said so.
#[cfg(not(feature = "hydrate"))]
pub fn local_label(ms: i64, full: bool) -> String {
    utc_label(ms, full)
}

/// The page's clock: one tick a second drives every relative and running time on the page.
#[derive(Clone, Copy)]
pub struct Clock(RwSignal<i64>);

impl Clock {
    /// Starts the page's clock (ticking in the browser once hydrated) and provides it to the
    /// components below.
    pub fn provide() -> Self {
        let clock = Self(RwSignal::new(now_ms()));
        provide_context(clock);
        Effect::new(move |_| {
            let handle = set_interval_with_handle(move || clock.0.set(now_ms()), TICK);
            on_cleanup(move || {
                if let Ok(h) = handle {
                    h.clear();
                }
            });
        });
        clock
    }

    /// The current time (tracked): the page's clock, or the time now where none was provided.
    pub fn now() -> Signal<i64> {
        match use_context::<Self>() {
            Some(clock) => clock.0.into(),
            None => Signal::stored(now_ms()),
        }
    }
}

/// A moment as people read it: how long ago, then the time inside `<time datetime="…">`, with
/// the full timestamp on hover; both kept current by the page's [`Clock`]. The server writes
/// UTC (it does not know the viewer's zone); once hydrated, the browser writes its own zone.
#[component]
pub fn Moment(
    /// Milliseconds since the Unix epoch.
    at: i64,
    /// What happened then, e.g. "Failed".
    verb: &'static str,
) -> impl IntoView {
    let now = Clock::now();
    // Effects run in the browser only, after hydration: the first render agrees with the
    // server's HTML, then the viewer's zone takes over.
    let in_viewer_zone = RwSignal::new(false);
    Effect::new(move |_| in_viewer_zone.set(true));
    let label = move |full: bool| {
        if in_viewer_zone.get() {
            local_label(at, full)
        } else {
            utc_label(at, full)
        }
    };
    erased_on_server(view! {
        <span class="moment">
            {verb}
            " "
            <span data-testid="time-ago">{move || format_ago(now.get() - at)}</span>
            <span aria-hidden="true">" · "</span>
            <time datetime=iso_utc(at) title=move || label(true)>
                {move || label(false)}
            </time>
        </span>
    })
}

/// The time of day of a moment, `10:02`: in the viewer's zone in the browser; on the server
/// (which does not know it) in UTC, said so.
pub fn time_of_day(ms: i64, in_viewer_zone: bool) -> String {
    #[cfg(feature = "hydrate")]
    if in_viewer_zone {
        use leptos::wasm_bindgen::JsValue;
        let date = leptos::web_sys::js_sys::Date::new(&JsValue::from_f64(ms as f64));
        return format!("{:02}:{:02}", date.get_hours(), date.get_minutes());
    }
    let _ = in_viewer_zone;
    let (_, _, _, h, mi, _, _) = utc_parts(ms);
    format!("{h:02}:{mi:02} UTC")
}

/// A job's short timeline: "requested 10:02 by ana · Azure accepted 10:02 · Stop 10:05 by ben ·
/// aborted 10:05". Nothing when the job has none (yet).
#[component]
pub fn JobTimeline(steps: Vec<crate::domain::history::TimelineStep>) -> impl IntoView {
    if steps.is_empty() {
        return None;
    }
    let in_viewer_zone = RwSignal::new(false);
    Effect::new(move |_| in_viewer_zone.set(true));
    let items = steps
        .into_iter()
        .map(|step| {
            let at = step.at;
            let by = step.by.map(|b| format!(" by {b}"));
            view! {
                <li data-kind=step.kind.as_str()>
                    {step.kind.label()}
                    " "
                    <time datetime=iso_utc(at) title=move || utc_label(at, true)>
                        {move || time_of_day(at, in_viewer_zone.get())}
                    </time>
                    {by}
                </li>
            }
        })
        .collect_view();
    Some(view! {
        <ol class="job-timeline" aria-label="What happened to this create" data-testid="job-timeline">
            {items}
        </ol>
    })
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
        assert_eq!(format_ago(3 * 86_400_000), "3 days ago");
    }

    #[test]
    fn moments_are_written_in_iso_8601_utc() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        // 2026-11-29T13:04:05.123Z
        assert_eq!(iso_utc(1_795_957_445_123), "2026-11-29T13:04:05.123Z");
        // A leap day, and the last millisecond of a year.
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_utc(1_735_689_599_999), "2024-12-31T23:59:59.999Z");
        // Before 1970.
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn before_the_browser_knows_the_zone_the_moment_says_utc() {
        assert_eq!(utc_label(1_795_957_445_123, false), "2026-11-29 13:04 UTC");
        assert_eq!(
            utc_label(1_795_957_445_123, true),
            "2026-11-29 13:04:05 UTC"
        );
    }

    #[test]
    fn the_clock_is_after_2024() {
        assert!(now_ms() > 1_700_000_000_000);
    }
}
