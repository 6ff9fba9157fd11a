//! One-click fixes: the corrected request that would pass (or the link that fixes it), what a
//! create made from one changed, and what its request would cost.

use serde::{Deserialize, Serialize};

use super::{FieldChange, ProvisionRequest, changes_between};

/// What a one-click fix changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FixKind {
    NodeCount,
    VmSize,
    Region,
    Name,
    /// A Kubernetes version the region offers.
    KubernetesVersion,
    /// No request fixes it; the link does (a role assignment, a policy, a registration).
    Link,
}

impl FixKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::NodeCount => "node_count",
            FixKind::VmSize => "vm_size",
            FixKind::Region => "region",
            FixKind::Name => "name",
            FixKind::KubernetesVersion => "kubernetes_version",
            FixKind::Link => "link",
        }
    }
}

/// A change that would work: the whole corrected request (it passed pre-flight when it was
/// proposed), or, for `link`, where to fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Fix {
    pub kind: FixKind,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<ProvisionRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What the corrected request would cost, and how much more or less than the request as
    /// made; absent when the prices could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<FixCost>,
}

/// A create made from a one-click fix: which fix, and what it changed in the request it
/// corrected (sent with the create, kept in the history as `fix_applied`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AppliedFix {
    pub kind: FixKind,
    pub label: String,
    /// The failed job whose card offered the fix (absent for a pre-flight check's fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_job_id: Option<String>,
    #[serde(default)]
    pub changes: Vec<FieldChange>,
}

impl AppliedFix {
    /// `fix` applied to `before` (its request is the corrected one).
    pub fn of(fix: &Fix, before: &ProvisionRequest, from_job_id: Option<String>) -> Option<Self> {
        let after = fix.request.as_ref()?;
        Some(Self {
            kind: fix.kind,
            label: fix.label.clone(),
            from_job_id,
            changes: changes_between(before, after),
        })
    }
}

/// The monthly estimate of a fix's request, against the request it corrects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FixCost {
    pub currency: String,
    pub monthly: f64,
    /// `monthly` minus the corrected request's monthly estimate (negative: cheaper).
    pub difference: f64,
}
