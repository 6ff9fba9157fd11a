//! Pre-flight as the form runs it: live, debounced, on what the form holds (the name once its
//! field is left), with the prices of its pools and the VM sizes of the chosen region; and the
//! server functions it calls.

use std::time::Duration;

use leptos::prelude::*;

use crate::components::session::SignInAgain;

use super::FormAnswers;
use super::FormState;
use crate::api_error::ApiError;
use crate::components::provision_modal::opening::checks_input;
use crate::domain::opening::default_node_count;
use crate::domain::validation::validate_provision_request;
use crate::domain::{PreflightReport, ProvisionRequest};

/// How long the form waits after an edit before it runs the checks again.
const PREFLIGHT_DEBOUNCE: Duration = Duration::from_millis(500);

/// Pre-flight as the form knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Checks {
    pub(super) running: bool,
    pub(super) report: Option<PreflightReport>,
    /// Why the checks could not run (the server could not answer, or fields are invalid).
    pub(super) unavailable: Option<String>,
}

/// Runs pre-flight (and reads the prices) whenever what it checks changes — debounced; the
/// name once its field is left — and reads the VM sizes of the chosen region, for as long as
/// the modal is open. The questions go through [`FormAnswers`]: an answer that came with the
/// form's opening (or a moment ago) is not asked again.
pub(crate) fn start_checks(state: FormState, data: FormAnswers) {
    let FormState {
        request,
        name_for_checks,
        checks,
        immediate,
        ..
    } = state;

    let input = Memo::new(move |_| checks_input(&request.get(), &name_for_checks.get()));
    // The question of the moment, once the debounce has passed.
    let asked = RwSignal::new(None::<ProvisionRequest>);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let req = input.get();
        if let Some(t) = timer.get_value() {
            t.clear();
        }
        let probe = ProvisionRequest {
            cluster_name: "x".into(),
            ..req.clone()
        };
        if !validate_provision_request(&probe).is_empty() {
            asked.set(None);
            checks.set(Checks {
                running: false,
                report: None,
                unavailable: Some("Correct the highlighted fields to run the checks.".into()),
            });
            return;
        }
        checks.update(|c| c.running = true);
        let ask = move || {
            data.ask_checks(&req);
            data.ask_prices(&req);
            asked.try_set(Some(req));
        };
        let delay = if immediate.get_value() {
            Duration::ZERO
        } else {
            PREFLIGHT_DEBOUNCE
        };
        immediate.set_value(false);
        timer.set_value(set_timeout_with_handle(ask, delay).ok());
    });
    on_cleanup(move || {
        if let Some(t) = timer.get_value() {
            t.clear();
        }
    });

    // The answers to the question of the moment, as they come.
    let report = Memo::new(move |_| asked.get().and_then(|req| data.checks(&req)));
    Effect::new(move |_| {
        if let Some(answer) = report.get() {
            apply_report(state, answer);
        }
    });
    let prices = Memo::new(move |_| asked.get().and_then(|req| data.prices(&req)));
    Effect::new(move |_| {
        if let Some(answer) = prices.get() {
            state.prices.set(Some(
                answer.map_err(|e| format!("Prices could not be read: {}", e.message)),
            ));
        }
    });

    // The VM sizes of the chosen region and subscription, to say which ones Azure blocks.
    let place = Memo::new(move |_| request.with(|r| (r.region.clone(), r.subscription_id.clone())));
    Effect::new(move |_| data.ask_skus(place.get()));
    let sizes = Memo::new(move |_| data.skus(&place.get()));
    Effect::new(move |_| {
        if let Some(Ok(list)) = sizes.get() {
            state.skus.set(Some(list));
        }
    });
}

/// Pre-flight answered: its rows show, and an untouched node count becomes the most that fit.
fn apply_report(state: FormState, answer: Result<PreflightReport, ApiError>) {
    match answer {
        Ok(report) => {
            let default = default_node_count(report.max_node_count);
            state.checks.set(Checks {
                running: false,
                report: Some(report),
                unavailable: None,
            });
            let untouched = !state.count_touched.get_untracked();
            let shown = state.request.with_untracked(|r| r.node_count);
            if let Some(n) = default.filter(|n| untouched && shown != *n) {
                state.immediate.set_value(true);
                state.request.update(|r| r.node_count = n);
            }
        }
        Err(e) => state.checks.set(Checks {
            unavailable: Some(if SignInAgain::note(&e) {
                "The checks need you to sign in again.".to_owned()
            } else {
                format!(
                    "The checks could not run ({}). Azure checks again when you create.",
                    e.message
                )
            }),
            running: false,
            report: None,
        }),
    }
}
