//! `POST /api/aks/provision`, `POST /api/aks/preflight`, `POST /api/aks/form-opening`,
//! `GET /api/aks/available-skus` and `GET /api/aks/price-estimate`: the create form's questions
//! and the create.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::domain::opening::{checked_name, checks_input, default_node_count, price_key};
use crate::domain::{
    AppliedFix, AvailableSkus, PreflightReport, PriceEstimate, ProvisionAccepted, ProvisionRequest,
};

#[cfg(feature = "ssr")]
use crate::api::serve::{context, respond, set_status};
#[cfg(feature = "ssr")]
use crate::services;

/// Starts a provision. 202 with the job and task ids; 400 with per-field errors; 503 when the
/// job cannot be stored. The request's fields are the JSON body's top-level fields; a create
/// made from a one-click fix also says which (`applied_fix`), for the history.
#[server(prefix = "/api", endpoint = "aks/provision", input = server_fn::codec::Json)]
pub async fn provision(
    #[server(flatten)] request: ProvisionRequest,
    #[server(default)] applied_fix: Option<AppliedFix>,
) -> Result<ProvisionAccepted, ApiError> {
    let (state, caller) = context().await?;
    let accepted = services::provision::provision(&state, &caller, request, applied_fix)
        .await
        .map_err(respond)?;
    set_status(202);
    Ok(accepted)
}

/// Live pre-flight checks (`skus`, `quota`, `resource_group`, and `name` when one is given) for
/// a would-be provision.
#[server(prefix = "/api", endpoint = "aks/preflight", input = server_fn::codec::Json)]
pub async fn preflight(
    #[server(flatten)] request: ProvisionRequest,
) -> Result<PreflightReport, ApiError> {
    let (state, caller) = context().await?;
    services::preflight::preflight(&state, &caller, request)
        .await
        .map_err(respond)
}

/// The VM sizes of a region, with availability and Azure's reason when blocked.
#[server(prefix = "/api", endpoint = "aks/available-skus", input = server_fn::codec::GetUrl)]
pub async fn get_available_skus(
    region: String,
    subscription_id: Option<String>,
) -> Result<AvailableSkus, ApiError> {
    let (state, caller) = context().await?;
    services::preflight::available_skus(&state, &caller, &region, subscription_id.as_deref())
        .await
        .map_err(respond)
}

/// What the create form opens on, for the request it starts with (`start`, see
/// [`start_request`]); with `count_defaults`, the form sets the node count to the most that fit
/// the quota, and that request's pre-flight and prices come too. Pre-flight's refusal of the
/// request is an answer, not an error of this call.
#[server(prefix = "/api", endpoint = "aks/form-opening", input = server_fn::codec::Json)]
pub async fn form_opening(
    #[server(flatten)] start: ProvisionRequest,
    count_defaults: bool,
) -> Result<Box<RawValue>, ApiError> {
    let (state, caller) = context().await?;
    caller
        .require(crate::identity::Role::Operator)
        .map_err(respond)?;
    let input = checks_input(&start, &checked_name(&start.cluster_name));
    let priced = price_key(&start);
    let (skus, checks, prices) = tokio::join!(
        services::preflight::available_skus(
            &state,
            &caller,
            &start.region,
            Some(&start.subscription_id)
        ),
        services::preflight::preflight(&state, &caller, input.clone()),
        services::costs::price_estimate(&state, &caller, &priced, None),
    );
    let fits = checks
        .as_ref()
        .ok()
        .and_then(|r| default_node_count(r.max_node_count))
        .filter(|n| count_defaults && *n != start.node_count);
    let mut opening = OpeningAnswers {
        skus: skus.ok(),
        checks: vec![Answered::of(input, checks)],
        prices: vec![Answered::of(priced, prices)],
    };
    if let Some(n) = fits {
        let fitted = ProvisionRequest {
            node_count: n,
            ..start
        };
        let input = checks_input(&fitted, &checked_name(&fitted.cluster_name));
        let priced = price_key(&fitted);
        let (checks, prices) = tokio::join!(
            services::preflight::preflight(&state, &caller, input.clone()),
            services::costs::price_estimate(&state, &caller, &priced, None),
        );
        opening.checks.push(Answered::of(input, checks));
        opening.prices.push(Answered::of(priced, prices));
    }
    serde_json::value::to_raw_value(&opening).map_err(|_| ApiError::internal())
}

/// The estimate of a request's pools at pay-as-you-go Linux prices (and the control plane of
/// `tier`: `free`, as the dashboard creates clusters, `standard` or `premium`).
#[server(prefix = "/api", endpoint = "aks/price-estimate", input = server_fn::codec::GetUrl)]
pub async fn estimate_cost(
    region: String,
    node_sku: String,
    node_count: u32,
    system_vm_size: String,
    system_node_count: u32,
    tier: Option<String>,
) -> Result<PriceEstimate, ApiError> {
    use crate::domain::ProvisionRequest;
    let (state, caller) = context().await?;
    let request = ProvisionRequest {
        region,
        node_sku,
        node_count,
        system_vm_size,
        system_node_count,
        ..ProvisionRequest::default()
    };
    services::costs::price_estimate(&state, &caller, &request, tier.as_deref())
        .await
        .map_err(respond)
}

/// The answers the form opens on: the VM sizes of the request's region, and pre-flight and prices
/// of each request asked about (the one the form starts with, then the node count that fits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpeningAnswers {
    /// Absent when Azure's list could not be read.
    pub skus: Option<AvailableSkus>,
    pub checks: Vec<Answered<PreflightReport>>,
    pub prices: Vec<Answered<PriceEstimate>>,
}

/// The answer to one request: what the server answered, or the error it would have answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answered<T> {
    pub request: ProvisionRequest,
    // A missing `Option` reads as `None`: no `default`, which would ask `T: Default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

impl<T> Answered<T> {
    #[cfg(feature = "ssr")]
    pub fn of(request: ProvisionRequest, result: Result<T, ApiError>) -> Self {
        let (answer, error) = match result {
            Ok(answer) => (Some(answer), None),
            Err(error) => (None, Some(error)),
        };
        Self {
            request,
            answer,
            error,
        }
    }

    /// As the form reads it (an answer without either is an error of its own).
    pub fn into_result(self) -> (ProvisionRequest, Result<T, ApiError>) {
        let result = match (self.answer, self.error) {
            (Some(answer), _) => Ok(answer),
            (None, Some(error)) => Err(error),
            (None, None) => Err(ApiError::internal()),
        };
        (self.request, result)
    }
}
