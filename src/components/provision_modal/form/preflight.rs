//! Pre-flight as the form runs it: live, debounced, on what the form holds (the name once its
//! field is left), with the VM sizes of the chosen region; and the server functions it calls.

use std::time::Duration;

use leptos::prelude::*;

use crate::components::session::SignInAgain;

use super::FormState;
use crate::api_error::ApiError;
use crate::provisioning::model::{AvailableSkus, PreflightReport, ProvisionRequest};
use crate::provisioning::validate::{NODE_COUNT_RANGE, validate_provision_request};

/// Live pre-flight checks (`skus`, `quota`, `resource_group`, and `name` when one is given) for
/// a would-be provision.
#[server(prefix = "/api", endpoint = "aks/preflight", input = server_fn::codec::Json)]
pub async fn preflight(
    #[server(flatten)] request: ProvisionRequest,
) -> Result<PreflightReport, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::preflight(&state, &caller, request)
        .await
        .map_err(service::respond)
}

/// The VM sizes of a region, with availability and Azure's reason when blocked.
#[server(prefix = "/api", endpoint = "aks/available-skus", input = server_fn::codec::GetUrl)]
pub async fn get_available_skus(
    region: String,
    subscription_id: Option<String>,
) -> Result<AvailableSkus, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::available_skus(&state, &caller, &region, subscription_id.as_deref())
        .await
        .map_err(service::respond)
}

/// How long the form waits after an edit before it runs the checks again.
const PREFLIGHT_DEBOUNCE: Duration = Duration::from_millis(500);

/// The count the form starts with: the quota's largest fit, within the product's bounds.
pub fn default_node_count(max_node_count: Option<u32>) -> Option<u32> {
    let (lo, hi) = NODE_COUNT_RANGE;
    max_node_count.filter(|m| *m >= lo).map(|m| m.min(hi))
}

/// Pre-flight as the form knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Checks {
    pub(super) running: bool,
    pub(super) report: Option<PreflightReport>,
    /// Why the checks could not run (the server could not answer, or fields are invalid).
    pub(super) unavailable: Option<String>,
}

/// Runs pre-flight whenever what it checks changes (debounced; the name once its field is left)
/// and reads the VM sizes of the chosen region, for as long as the modal is open.
pub(crate) fn start_checks(state: FormState) {
    let FormState {
        texts,
        count_touched,
        name_for_checks,
        checks,
        skus,
        immediate,
        request,
        ..
    } = state;

    let preflight_input = Memo::new(move |_| ProvisionRequest {
        cluster_name: name_for_checks.get(),
        ..request.get()
    });
    let run_seq = StoredValue::new(0u64);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let req = preflight_input.get();
        if let Some(t) = timer.get_value() {
            t.clear();
        }
        run_seq.update_value(|n| *n += 1);
        let seq = run_seq.get_value();
        let probe = ProvisionRequest {
            cluster_name: "x".into(),
            ..req.clone()
        };
        if !validate_provision_request(&probe).is_empty() {
            checks.set(Checks {
                running: false,
                report: None,
                unavailable: Some("Correct the highlighted fields to run the checks.".into()),
            });
            return;
        }
        checks.update(|c| c.running = true);
        let run = move || {
            leptos::task::spawn_local(async move {
                let answer = preflight(req).await;
                if run_seq.try_get_value() != Some(seq) {
                    // A newer edit ran the checks again, or the modal is gone.
                    return;
                }
                match answer {
                    Ok(report) => {
                        let default = default_node_count(report.max_node_count);
                        checks.set(Checks {
                            running: false,
                            report: Some(report),
                            unavailable: None,
                        });
                        let untouched = !count_touched.get_untracked();
                        let shown = request.with_untracked(|r| r.node_count);
                        if let Some(n) = default.filter(|n| untouched && shown != *n) {
                            immediate.set_value(true);
                            texts.update(|t| {
                                t.insert("node_count".into(), n.to_string());
                            });
                        }
                    }
                    Err(e) => checks.set(Checks {
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
            });
        };
        let delay = if immediate.get_value() {
            Duration::ZERO
        } else {
            PREFLIGHT_DEBOUNCE
        };
        immediate.set_value(false);
        timer.set_value(set_timeout_with_handle(run, delay).ok());
    });
    on_cleanup(move || {
        if let Some(t) = timer.get_value() {
            t.clear();
        }
    });

    // The VM sizes of the chosen region and subscription, to say which ones Azure blocks.
    let place = Memo::new(move |_| request.with(|r| (r.region.clone(), r.subscription_id.clone())));
    Effect::new(move |_| {
        let (region, subscription) = place.get();
        leptos::task::spawn_local(async move {
            let answer = get_available_skus(region.clone(), Some(subscription.clone())).await;
            let still = request
                .try_with_untracked(|r| r.region == region && r.subscription_id == subscription);
            if let (Ok(list), Some(true)) = (answer, still) {
                skus.set(Some(list));
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_count_defaults_to_the_quotas_fit_within_bounds() {
        assert_eq!(default_node_count(Some(6)), Some(6));
        assert_eq!(default_node_count(Some(500)), Some(NODE_COUNT_RANGE.1));
        assert_eq!(default_node_count(Some(0)), None);
        assert_eq!(default_node_count(None), None);
    }
}
