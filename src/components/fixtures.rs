//! What the components' unit tests start from: a provision request, a task and a failed
//! provision as the server sends them, at a fixed "now".

use crate::domain::{
    FailedProvision, Fix, FixKind, JobStatus, ProvisionRequest, TaskError, TaskStatus,
};

/// The tests' "now" (2027-01-15), and a minute.
pub const NOW: i64 = 1_800_000_000_000;
pub const MINUTE: i64 = 60_000;

/// A small cluster in koreacentral, in the simulator's subscription and resource group.
pub fn request(cluster: &str) -> ProvisionRequest {
    ProvisionRequest {
        subscription_id: "11111111-2222-3333-4444-555555555555".into(),
        resource_group: "rg-aks-dev".into(),
        region: "koreacentral".into(),
        cluster_name: cluster.into(),
        node_sku: "Standard_D2s_v3".into(),
        node_count: 2,
        system_vm_size: "Standard_D2s_v3".into(),
        system_node_count: 1,
        kubernetes_version: String::new(),
    }
}

/// Task `t1` of job `j1` for cluster `aks-one`, made a minute before [`NOW`], last written at it.
pub fn task(status: JobStatus, error: Option<TaskError>) -> TaskStatus {
    TaskStatus {
        task_id: "t1".into(),
        job_id: "j1".into(),
        status,
        ready: status.is_finished(),
        progress: None,
        error,
        result: None,
        request: request("aks-one"),
        created_at: NOW - MINUTE,
        updated_at: NOW,
        owner_id: "dev@example.com".into(),
        owner_name: None,
        estimate: None,
        timeline: Vec::new(),
    }
}

/// A quota failure of `aks-demo` in eastus, made at `created_at` and ended a minute later.
pub fn failure(job_id: &str, created_at: i64) -> FailedProvision {
    FailedProvision {
        job_id: job_id.into(),
        task_id: format!("task-{job_id}"),
        status: JobStatus::Failed,
        phase: Some("arm_create_or_update".into()),
        error_code: Some("ErrCode_InsufficientVCPUQuota".into()),
        error_message: Some("Insufficient regional vcpu quota left for location eastus.".into()),
        category: Some("quota".into()),
        cluster_name: "aks-demo".into(),
        region: "eastus".into(),
        resource_group: "rg-aks-dev".into(),
        subscription_id: "11111111-2222-3333-4444-555555555555".into(),
        portal_url: None,
        partial_cluster: None,
        created_at,
        updated_at: created_at + MINUTE,
        request: None,
        raw_error: None,
        delete_blocked: None,
        fixes: vec![],
        explanation: None,
        estimate: None,
        timeline: Vec::new(),
    }
}

/// Job `j1`'s failure with this status and Azure's code and message, and nothing classified.
pub fn recorded_failure(status: JobStatus, code: &str, message: &str) -> FailedProvision {
    FailedProvision {
        status,
        phase: None,
        error_code: Some(code.into()),
        error_message: Some(message.into()),
        category: None,
        ..failure("j1", 0)
    }
}

/// The fixes of a quota shortfall: a link to request more quota, then `request` with 1 node.
pub fn quota_fixes(request: ProvisionRequest) -> Vec<Fix> {
    vec![
        Fix {
            cost: None,
            kind: FixKind::Link,
            label: "Request more quota".into(),
            request: None,
            url: Some("https://portal.azure.com/#quota".into()),
        },
        Fix {
            cost: None,
            kind: FixKind::NodeCount,
            label: "Use 1 node".into(),
            request: Some(ProvisionRequest {
                node_count: 1,
                ..request
            }),
            url: None,
        },
    ]
}

/// A view rendered to HTML as the server renders it, inside a reactive owner of its own.
pub fn server_html<V: leptos::prelude::IntoView + 'static>(view: impl FnOnce() -> V) -> String {
    use leptos::prelude::Owner;
    Owner::new().with(|| view().to_html())
}

/// A session of `dev@example.com` (an operator) showing `resource_group` of the simulator's
/// subscription, the only scope.
pub fn session(arm_mode: &str, resource_group: &str) -> crate::identity::SessionInfo {
    use crate::identity::{Role, Scope, ScopeChoice, SessionInfo};
    let sub = "11111111-2222-3333-4444-555555555555";
    SessionInfo {
        user_id: "dev@example.com".into(),
        user: "dev@example.com".into(),
        role: Role::Operator,
        scope: Scope::new(sub, resource_group),
        scopes: vec![ScopeChoice {
            subscription_id: sub.into(),
            resource_group: Some(resource_group.into()),
        }],
        arm_mode: arm_mode.into(),
        can_sign_out: false,
        scope_refused: None,
        sign_in_again_url: "/auth/login?next=%2Fauth%2Fsigned-in".into(),
    }
}
