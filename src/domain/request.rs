//! What a user asks for: one AKS cluster with a system pool and one user pool
//! ([`ProvisionRequest`], named by the API fields of the system this replaces), its fields one
//! by one ([`RequestField`]: the API's, the validation's and the form's names), and what
//! changed between two requests.

use serde::{Deserialize, Serialize};

/// The node pools the product creates: the system pool and the user pool.
pub const SYSTEM_POOL: &str = "system";
pub const USER_POOL: &str = "nodepool1";

/// What a user asks for: one AKS cluster with a system pool and one user node pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProvisionRequest {
    pub subscription_id: String,
    pub resource_group: String,
    pub region: String,
    /// Left out, it is empty: pre-flight needs no name, and a provision without one is refused
    /// by validation with the field named.
    #[serde(default)]
    pub cluster_name: String,
    pub node_sku: String,
    pub node_count: u32,
    pub system_vm_size: String,
    pub system_node_count: u32,
    /// The Kubernetes version (`1.31` or `1.31.2`); empty: AKS's default in the region.
    #[serde(default)]
    pub kubernetes_version: String,
}

impl ProvisionRequest {
    /// Subscription + resource group + name: what makes two attempts "the same cluster".
    pub fn cluster_key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.subscription_id.to_ascii_lowercase(),
            self.resource_group.to_ascii_lowercase(),
            self.cluster_name.to_ascii_lowercase()
        )
    }
}

/// 202 answer of `POST /api/aks/provision`: `queued` with the job and task, or
/// `awaiting_approval` (an approval rule holds the create for an admin: no job nor task until
/// one approves; `approval_id`, `reason` and the whole `approval` instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProvisionAccepted {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub job_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub task_id: String,
    /// `queued`, or `awaiting_approval`.
    pub status: String,
    pub status_url: String,
    /// The request awaiting approval, and why it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<crate::domain::approval::Approval>,
}

/// One field a fix changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// One field of a [`ProvisionRequest`], by the name the API, the validation and the form give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestField {
    SubscriptionId,
    ResourceGroup,
    Region,
    ClusterName,
    NodeSku,
    NodeCount,
    SystemVmSize,
    SystemNodeCount,
    KubernetesVersion,
}

impl RequestField {
    /// Every field, in the request's order.
    pub const ALL: [RequestField; 9] = [
        RequestField::SubscriptionId,
        RequestField::ResourceGroup,
        RequestField::Region,
        RequestField::ClusterName,
        RequestField::NodeSku,
        RequestField::NodeCount,
        RequestField::SystemVmSize,
        RequestField::SystemNodeCount,
        RequestField::KubernetesVersion,
    ];

    /// The field's JSON name.
    pub fn name(self) -> &'static str {
        match self {
            RequestField::SubscriptionId => "subscription_id",
            RequestField::ResourceGroup => "resource_group",
            RequestField::Region => "region",
            RequestField::ClusterName => "cluster_name",
            RequestField::NodeSku => "node_sku",
            RequestField::NodeCount => "node_count",
            RequestField::SystemVmSize => "system_vm_size",
            RequestField::SystemNodeCount => "system_node_count",
            RequestField::KubernetesVersion => "kubernetes_version",
        }
    }

    /// The field's value as text; a count of 0 (not known) is empty.
    pub fn text(self, r: &ProvisionRequest) -> String {
        let count = |n: u32| if n == 0 { String::new() } else { n.to_string() };
        match self {
            RequestField::SubscriptionId => r.subscription_id.clone(),
            RequestField::ResourceGroup => r.resource_group.clone(),
            RequestField::Region => r.region.clone(),
            RequestField::ClusterName => r.cluster_name.clone(),
            RequestField::NodeSku => r.node_sku.clone(),
            RequestField::NodeCount => count(r.node_count),
            RequestField::SystemVmSize => r.system_vm_size.clone(),
            RequestField::SystemNodeCount => count(r.system_node_count),
            RequestField::KubernetesVersion => r.kubernetes_version.clone(),
        }
    }

    /// Sets the field from text, trimmed; a count that is not a whole number is 0, which every
    /// count's range refuses.
    pub fn set(self, r: &mut ProvisionRequest, text: &str) {
        let text = text.trim();
        let count = || text.parse::<u32>().unwrap_or(0);
        match self {
            RequestField::SubscriptionId => r.subscription_id = text.to_owned(),
            RequestField::ResourceGroup => r.resource_group = text.to_owned(),
            RequestField::Region => r.region = text.to_owned(),
            RequestField::ClusterName => r.cluster_name = text.to_owned(),
            RequestField::NodeSku => r.node_sku = text.to_owned(),
            RequestField::NodeCount => r.node_count = count(),
            RequestField::SystemVmSize => r.system_vm_size = text.to_owned(),
            RequestField::SystemNodeCount => r.system_node_count = count(),
            RequestField::KubernetesVersion => r.kubernetes_version = text.to_owned(),
        }
    }
}

/// The fields whose values differ between two requests, in the request's field order.
pub fn changes_between(before: &ProvisionRequest, after: &ProvisionRequest) -> Vec<FieldChange> {
    RequestField::ALL
        .into_iter()
        .filter_map(|field| {
            let read = |r: &ProvisionRequest| match field {
                // A count is compared as it is, 0 included.
                RequestField::NodeCount => r.node_count.to_string(),
                RequestField::SystemNodeCount => r.system_node_count.to_string(),
                _ => field.text(r),
            };
            let (from, to) = (read(before), read(after));
            (from != to).then(|| FieldChange {
                field: field.name().to_owned(),
                from,
                to,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fix_says_the_fields_it_changed_in_the_requests_order() {
        let before = ProvisionRequest {
            region: "eastus".into(),
            node_sku: "Standard_D4s_v3".into(),
            node_count: 3,
            ..ProvisionRequest::default()
        };
        let after = ProvisionRequest {
            node_count: 1,
            region: "westeurope".into(),
            ..before.clone()
        };
        let changes = changes_between(&before, &after);
        let said: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.from.as_str(), c.to.as_str()))
            .collect();
        assert_eq!(
            said,
            [("region", "eastus", "westeurope"), ("node_count", "3", "1")]
        );
        assert!(changes_between(&before, &before).is_empty());
    }

    #[test]
    fn every_field_reads_and_writes_its_text() {
        let mut r = ProvisionRequest::default();
        for (i, field) in RequestField::ALL.into_iter().enumerate() {
            let text = match field {
                RequestField::NodeCount | RequestField::SystemNodeCount => format!("{}", i + 1),
                _ => format!("value-{i}"),
            };
            field.set(&mut r, &format!(" {text} "));
            assert_eq!(field.text(&r), text, "{}", field.name());
        }
        let json = serde_json::to_value(&r).expect("JSON");
        for field in RequestField::ALL {
            assert_eq!(
                json[field.name()].to_string().trim_matches('"'),
                field.text(&r),
                "{} is the request's JSON field",
                field.name()
            );
        }
        assert_eq!(
            json.as_object().map(|o| o.len()),
            Some(RequestField::ALL.len())
        );
    }

    #[test]
    fn a_count_that_is_not_a_number_is_zero_and_reads_empty() {
        let mut r = ProvisionRequest::default();
        RequestField::NodeCount.set(&mut r, "three");
        assert_eq!(r.node_count, 0);
        assert_eq!(RequestField::NodeCount.text(&r), "");
    }
}
