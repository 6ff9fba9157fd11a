//! The requests the create form derives from what the user typed (the one pre-flight is asked
//! about, the one prices depend on) and the node count it starts with — shared by the page,
//! which asks, and the server, which answers `POST /api/aks/form-opening`.

use crate::domain::ProvisionRequest;
use crate::domain::validation::{NODE_COUNT_RANGE, is_valid_cluster_name};

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

/// The count the form starts with: the quota's largest fit, within the product's bounds.
pub fn default_node_count(max_node_count: Option<u32>) -> Option<u32> {
    let (lo, hi) = NODE_COUNT_RANGE;
    max_node_count.filter(|m| *m >= lo).map(|m| m.min(hi))
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

    #[test]
    fn only_a_name_azure_accepts_is_checked() {
        assert_eq!(checked_name(" aks-one "), "aks-one");
        assert_eq!(checked_name("-bad"), "");
    }
}
