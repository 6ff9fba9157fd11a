//! What the create form opens on — the region's VM sizes and Kubernetes versions, pre-flight of
//! the request it starts with (and of the node count that fits, which it then defaults to), and
//! their prices — asked for by the page in one request, together with the form's code (when the
//! page is idle, when the user heads for a button that opens the form, or when it opens): the
//! form opens on answers that are there or on their way, not after its code has arrived.
//!
//! The page keeps the answer as it came (JSON it does not read: no decoder of the form's types in
//! the first load); the form reads it with its own decoders (`form/answers.rs`).

use serde_json::value::RawValue;

pub use crate::api::provision::OpeningAnswers;
use crate::api_error::ApiError;
pub use crate::domain::opening::{checked_name, checks_input, price_key};
use crate::domain::validation::{KNOWN_REGIONS, KNOWN_VM_SIZES, NODE_COUNT_RANGE};
use crate::domain::{ProvisionRequest, RequestField};
use crate::identity::SessionInfo;

/// How long the form's answers are used again: quota and prices move slowly, but a form opened
/// later should not show what was true minutes ago.
pub const FRESH_MS: i64 = 30_000;

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

#[cfg(test)]
mod tests {
    use super::*;

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
