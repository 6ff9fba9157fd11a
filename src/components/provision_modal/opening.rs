//! What the create form opens on — the region's VM sizes and Kubernetes versions, pre-flight of
//! the request it starts with (and of the node count that fits, which it then defaults to), and
//! their prices — asked for by the page in one request, together with the form's code (when the
//! page is idle, when the user heads for a button that opens the form, or when it opens): the
//! form opens on answers that are there or on their way, not after its code has arrived.
//!
//! The page keeps the answer as it came (JSON it does not read: no decoder of the form's types in
//! the first load); the form reads it with its own decoders (`form/answers.rs`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How long the form's answers are used again: quota and prices move slowly, but a form opened
/// later should not show what was true minutes ago.
pub const FRESH_MS: i64 = 30_000;
use serde_json::value::RawValue;

use crate::api_error::ApiError;
use crate::domain::validation::{
    KNOWN_REGIONS, KNOWN_VM_SIZES, NODE_COUNT_RANGE, is_valid_cluster_name,
};
use crate::domain::{
    AvailableSkus, PreflightReport, PriceEstimate, ProvisionRequest, RequestField,
};
use crate::identity::SessionInfo;

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
    fn of(request: ProvisionRequest, result: Result<T, ApiError>) -> Self {
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

/// What the create form opens on, for the request it starts with (`start`, see
/// [`start_request`]); with `count_defaults`, the form sets the node count to the most that fit
/// the quota, and that request's pre-flight and prices come too. Pre-flight's refusal of the
/// request is an answer, not an error of this call.
#[server(prefix = "/api", endpoint = "aks/form-opening", input = server_fn::codec::Json)]
pub async fn form_opening(
    #[server(flatten)] start: ProvisionRequest,
    count_defaults: bool,
) -> Result<Box<RawValue>, ApiError> {
    use crate::provisioning::{costs, service};
    let (state, caller) = service::context().await?;
    caller
        .require(crate::identity::Role::Operator)
        .map_err(service::respond)?;
    let input = checks_input(&start, &checked_name(&start.cluster_name));
    let priced = price_key(&start);
    let (skus, checks, prices) = tokio::join!(
        service::available_skus(&state, &caller, &start.region, Some(&start.subscription_id)),
        service::preflight(&state, &caller, input.clone()),
        costs::price_estimate(&state, &caller, &priced, None),
    );
    let fits = checks
        .as_ref()
        .ok()
        .and_then(|r| super::default_node_count(r.max_node_count))
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
            service::preflight(&state, &caller, input.clone()),
            costs::price_estimate(&state, &caller, &priced, None),
        );
        opening.checks.push(Answered::of(input, checks));
        opening.prices.push(Answered::of(priced, prices));
    }
    serde_json::value::to_raw_value(&opening).map_err(|_| ApiError::internal())
}

/// The form's opening answer as the page keeps it: for which start, when it was asked, and the
/// answer once it came (undecoded).
#[derive(Clone)]
pub struct OpeningAsked {
    pub start: ProvisionRequest,
    pub at: i64,
    pub answer: Option<Result<Box<RawValue>, ApiError>>,
}

/// The request the form starts with: the page's scope, the first region and size, one node
/// each; with values to start from (Edit & retry, a fix), theirs wherever they have one (and
/// their Kubernetes version, where empty is AKS's default).
pub fn start_request(
    session: &SessionInfo,
    prefill: Option<&ProvisionRequest>,
) -> ProvisionRequest {
    let mut start = ProvisionRequest {
        subscription_id: session.scope.subscription_id.clone(),
        resource_group: session.scope.resource_group.clone(),
        region: KNOWN_REGIONS[0].to_owned(),
        cluster_name: String::new(),
        node_sku: KNOWN_VM_SIZES[0].0.to_owned(),
        node_count: NODE_COUNT_RANGE.0,
        system_vm_size: KNOWN_VM_SIZES[0].0.to_owned(),
        system_node_count: 1,
        kubernetes_version: String::new(),
    };
    if let Some(r) = prefill {
        for field in RequestField::ALL {
            let text = field.text(r);
            if !text.is_empty() || field == RequestField::KubernetesVersion {
                field.set(&mut start, &text);
            }
        }
    }
    start
}

/// Whether the form sets the node count to the most that fit (it was not given one).
pub fn count_defaults(prefill: Option<&ProvisionRequest>) -> bool {
    prefill.is_none_or(|p| p.node_count == 0)
}

/// The request pre-flight is asked about: the form's, with the name the `name` check looks at
/// (set once the name's field is left).
pub fn checks_input(request: &ProvisionRequest, name_for_checks: &str) -> ProvisionRequest {
    ProvisionRequest {
        cluster_name: name_for_checks.to_owned(),
        ..request.clone()
    }
}

/// The name the `name` check is asked about: a name Azure would accept, else none.
pub fn checked_name(typed: &str) -> String {
    let name = typed.trim();
    if is_valid_cluster_name(name) {
        name.to_owned()
    } else {
        String::new()
    }
}

/// What prices depend on: the region, the sizes and the counts.
pub fn price_key(r: &ProvisionRequest) -> ProvisionRequest {
    ProvisionRequest {
        region: r.region.clone(),
        node_sku: r.node_sku.clone(),
        node_count: r.node_count,
        system_vm_size: r.system_vm_size.clone(),
        system_node_count: r.system_node_count,
        ..ProvisionRequest::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_name_azure_accepts_is_checked() {
        assert_eq!(checked_name(" aks-one "), "aks-one");
        assert_eq!(checked_name("-bad"), "");
    }

    #[test]
    fn the_form_starts_from_the_scope_or_from_the_values_it_is_given() {
        let session = crate::components::fixtures::session("simulator", "rg-aks-dev");
        let start = start_request(&session, None);
        assert_eq!(start.resource_group, "rg-aks-dev");
        assert_eq!((start.node_count, start.system_node_count), (1, 1));
        assert!(count_defaults(None));
        let retry = ProvisionRequest {
            region: "eastus".into(),
            cluster_name: "aks-one".into(),
            node_count: 0,
            ..start.clone()
        };
        let started = start_request(&session, Some(&retry));
        assert_eq!(started.region, "eastus");
        assert_eq!(started.cluster_name, "aks-one");
        assert_eq!(started.node_count, 1, "an unknown count keeps the form's");
        assert!(count_defaults(Some(&retry)));
        let counted = ProvisionRequest {
            node_count: 3,
            ..retry
        };
        assert!(!count_defaults(Some(&counted)));
    }

    #[test]
    fn prices_do_not_depend_on_the_name_or_the_scope() {
        let session = crate::components::fixtures::session("simulator", "rg-aks-dev");
        let a = start_request(&session, None);
        let b = ProvisionRequest {
            cluster_name: "aks-one".into(),
            resource_group: "rg-other".into(),
            ..a.clone()
        };
        assert_eq!(price_key(&a), price_key(&b));
        let c = ProvisionRequest {
            node_count: 3,
            ..a.clone()
        };
        assert_ne!(price_key(&a), price_key(&c));
    }
}
