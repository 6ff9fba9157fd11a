//! Buttons that work from the first paint. The page is server HTML until the browser bundle has
//! hydrated it, which takes a second or two on a slow link; a button that only an island listens
//! to would drop a click made before then. So every button the server renders that acts is the
//! submit button of a [`KeptForm`]: a plain GET form to the dashboard naming what it does
//! (`/?scope=…&do=dismiss:JOB`).
//! - Pressed once the page is live, the island does it at once and the form is never sent.
//! - Pressed before, the browser sends the form: the server renders the page with that button
//!   pending ("Opening the form…", "Dismissing…"), and the page does it as soon as it is live.
//!
//! Mouse and keyboard alike (they are real buttons of real forms), without a line of script of
//! our own. The server honours `do` only from this site's own pages (`Sec-Fetch-Site`), so a link
//! from elsewhere cannot act for the user.

use leptos::prelude::*;

use crate::components::hydration::once_hydrated;

/// What a button of the page does, as the address carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageAction {
    /// Add cluster: open the form.
    Create,
    /// Edit & retry a failed job: the form with its request.
    Retry {
        job_id: String,
    },
    /// A failed job's one-click fix (by its place among the job's fixes).
    Fix {
        job_id: String,
        index: usize,
    },
    Dismiss {
        job_id: String,
    },
    /// Delete partial cluster: ask first.
    DeletePartial {
        job_id: String,
    },
    /// Stop a create: ask first.
    Stop {
        task_id: String,
    },
}

impl PageAction {
    /// As the `do` parameter says it, e.g. `dismiss:JOB`.
    pub fn encode(&self) -> String {
        match self {
            PageAction::Create => "create".to_owned(),
            PageAction::Retry { job_id } => format!("retry:{job_id}"),
            PageAction::Fix { job_id, index } => format!("fix:{job_id}:{index}"),
            PageAction::Dismiss { job_id } => format!("dismiss:{job_id}"),
            PageAction::DeletePartial { job_id } => format!("delete:{job_id}"),
            PageAction::Stop { task_id } => format!("stop:{task_id}"),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let verb = parts.next()?;
        let id = parts.next().filter(|id| !id.is_empty()).map(str::to_owned);
        let action = match (verb, id) {
            ("create", None) => PageAction::Create,
            ("retry", Some(job_id)) => PageAction::Retry { job_id },
            ("fix", Some(job_id)) => PageAction::Fix {
                job_id,
                index: parts.next()?.parse().ok()?,
            },
            ("dismiss", Some(job_id)) => PageAction::Dismiss { job_id },
            ("delete", Some(job_id)) => PageAction::DeletePartial { job_id },
            ("stop", Some(task_id)) => PageAction::Stop { task_id },
            _ => return None,
        };
        parts.next().is_none().then_some(action)
    }
}

/// The press the page was asked to carry out (a button pressed before the page was live), and
/// the scope the page shows (the forms keep it). Provided by the `ClusterCard` island.
#[derive(Clone, Copy)]
pub struct AskedAction {
    asked: RwSignal<Option<PageAction>>,
    scope: StoredValue<String>,
}

impl AskedAction {
    /// Provides `asked` (as the server read it from the address) to the buttons below; in the
    /// browser the address no longer says it once the page is live (a reload does not press
    /// again).
    pub fn provide(asked: Option<&str>, scope: String) -> Self {
        let this = Self {
            asked: RwSignal::new(asked.and_then(PageAction::parse)),
            scope: StoredValue::new(scope),
        };
        provide_context(this);
        if asked.is_some() {
            once_hydrated(forget_in_address);
        }
        this
    }

    /// Whether `action` is the press waiting for the page (tracked).
    fn is(self, action: &PageAction) -> bool {
        self.asked.with(|a| a.as_ref() == Some(action))
    }

    /// Takes the waiting press if it is `action`.
    fn take(self, action: &PageAction) -> bool {
        let waiting = self.asked.with_untracked(|a| a.as_ref() == Some(action));
        if waiting {
            self.asked.set(None);
        }
        waiting
    }
}

/// Removes `do` from the page's address.
#[cfg(feature = "hydrate")]
fn forget_in_address() {
    use leptos::wasm_bindgen::JsValue;
    let location = window().location();
    let (Ok(href), Ok(history)) = (location.href(), window().history()) else {
        return;
    };
    let Ok(url) = leptos::web_sys::Url::new(&href) else {
        return;
    };
    url.search_params().delete("do");
    let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url.href()));
}

#[cfg(not(feature = "hydrate"))]
fn forget_in_address() {}

/// A button that works from the first paint: `children` is its `type="submit"` button. Once the
/// page is live, a press runs `on_press`; before, the browser sends the form and the page runs
/// it when it is live, saying `pending_label` meanwhile.
#[component]
pub fn KeptForm<V>(
    action: PageAction,
    #[prop(into)] on_press: Callback<()>,
    /// What the control says while its press waits for the page, e.g. "Dismissing…".
    pending_label: &'static str,
    /// The button (typed: erased children would carry hydration code of their own).
    children: TypedChildren<V>,
) -> impl IntoView
where
    V: IntoView + 'static,
{
    let children = children.into_inner();
    let asked = use_context::<AskedAction>();
    let encoded = action.encode();
    if let Some(asked) = asked.filter(|a| a.asked.with_untracked(|w| w.as_ref() == Some(&action))) {
        let action = action.clone();
        once_hydrated(move || {
            if asked.take(&action) {
                on_press.try_run(());
            }
        });
    }
    let pending = Memo::new(move |_| asked.is_some_and(|a| a.is(&action)));
    let scope = asked.and_then(|a| a.scope.try_get_value());
    view! {
        <form
            method="get"
            action="/"
            class="kept-form"
            aria-busy=move || if pending.get() { "true" } else { "false" }
            on:submit=move |ev| {
                ev.prevent_default();
                on_press.run(());
            }
        >
            {scope.map(|scope| view! { <input type="hidden" name="scope" value=scope /> })}
            <input type="hidden" name="do" value=encoded />
            {children()}
            {move || {
                pending
                    .get()
                    .then(|| view! { <span class="kept-pending" role="status">{pending_label}</span> })
            }}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_the_address() {
        let job = "0190f4a2-aaaa-7bbb-8ccc-123456789abc".to_owned();
        for action in [
            PageAction::Create,
            PageAction::Retry {
                job_id: job.clone(),
            },
            PageAction::Fix {
                job_id: job.clone(),
                index: 2,
            },
            PageAction::Dismiss {
                job_id: job.clone(),
            },
            PageAction::DeletePartial {
                job_id: job.clone(),
            },
            PageAction::Stop { task_id: job },
        ] {
            assert_eq!(PageAction::parse(&action.encode()), Some(action));
        }
        for bad in [
            "", "create:x", "dismiss", "dismiss:", "fix:j", "fix:j:x", "stop:t:u", "wipe:j",
        ] {
            assert_eq!(PageAction::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_button_is_the_submit_of_a_form_that_names_what_it_does() {
        let html = crate::components::fixtures::server_html(|| {
            view! {
                <KeptForm
                    action=PageAction::Dismiss { job_id: "j1".into() }
                    on_press=|_| {}
                    pending_label="Dismissing…"
                >
                    <button type="submit">"Dismiss"</button>
                </KeptForm>
            }
        });
        assert!(html.contains(r#"<form method="get" action="/""#), "{html}");
        assert!(
            html.contains(r#"<input type="hidden" name="do" value="dismiss:j1""#),
            "{html}"
        );
        assert!(html.contains(r#"aria-busy="false""#), "{html}");
        assert!(!html.contains("Dismissing…"), "{html}");
    }

    #[test]
    fn a_press_made_before_the_page_was_live_renders_pending_with_the_scope() {
        let html = crate::components::fixtures::server_html(|| {
            AskedAction::provide(Some("dismiss:j1"), "sub/rg".to_owned());
            view! {
                <KeptForm
                    action=PageAction::Dismiss { job_id: "j1".into() }
                    on_press=|_| {}
                    pending_label="Dismissing…"
                >
                    <button type="submit">"Dismiss"</button>
                </KeptForm>
                <KeptForm action=PageAction::Create on_press=|_| {} pending_label="Opening…">
                    <button type="submit">"Add cluster"</button>
                </KeptForm>
            }
        });
        assert!(
            html.contains(r#"<input type="hidden" name="scope" value="sub/rg""#),
            "{html}"
        );
        assert_eq!(html.matches(r#"aria-busy="true""#).count(), 1, "{html}");
        assert!(
            html.contains(r#"<span role="status" class="kept-pending">Dismissing…</span>"#),
            "{html}"
        );
        assert!(!html.contains("Opening…"), "{html}");
    }
}
