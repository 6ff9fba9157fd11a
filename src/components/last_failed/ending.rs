//! How a provision ended, as the dashboard treats it: a success resolves the failure of its own
//! cluster, a failure (or a cancel that left a cluster) is "the last attempt", a cancel before
//! Azure had anything is a passing notice. Plain functions, tested natively below.

use crate::domain::{FailedProvision, JobStatus, PartialCluster, ProvisionRequest, TaskStatus};

/// How a provision ended, as the dashboard treats it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// The cluster is there: the failure of that cluster, if shown, is resolved.
    Succeeded(ProvisionRequest),
    /// A failure, or a cancel that left a cluster in Azure: "Last attempt failed/cancelled".
    Failed(FailedProvision),
    /// Stopped before Azure had anything: a passing notice, not a "Last attempt" banner (the
    /// server does not list it either).
    CancelledCleanly(ProvisionRequest),
}

/// How `task` ended, or `None` while it runs. `cancel_partial` is what the cancel answer said
/// was left in Azure, for when the task's error does not say.
pub fn ending_of(task: &TaskStatus, cancel_partial: Option<PartialCluster>) -> Option<Ending> {
    match task.status {
        JobStatus::Queued | JobStatus::Running => None,
        JobStatus::Succeeded => Some(Ending::Succeeded(task.request.clone())),
        JobStatus::Failed | JobStatus::Cancelled => {
            let failure = failure_from_task(task, cancel_partial)?;
            if failure.status == JobStatus::Cancelled && failure.partial_cluster.is_none() {
                Some(Ending::CancelledCleanly(task.request.clone()))
            } else {
                Some(Ending::Failed(failure))
            }
        }
    }
}

/// Whether a success of `request` resolves `failure`: only a success of the same cluster (the
/// server supersedes per cluster, by the same key).
pub fn resolved_by_success(failure: &FailedProvision, request: &ProvisionRequest) -> bool {
    failure_request(failure).cluster_key() == request.cluster_key()
}

/// The request a failure was made with: the one recorded, or as much of it as the row tells.
pub fn failure_request(failure: &FailedProvision) -> ProvisionRequest {
    failure.request.clone().unwrap_or_else(|| ProvisionRequest {
        subscription_id: failure.subscription_id.clone(),
        resource_group: failure.resource_group.clone(),
        region: failure.region.clone(),
        cluster_name: failure.cluster_name.clone(),
        ..ProvisionRequest::default()
    })
}

/// A finished task as a failed provision, or `None` when it did not fail.
pub fn failure_from_task(
    task: &TaskStatus,
    cancel_partial: Option<PartialCluster>,
) -> Option<FailedProvision> {
    if !matches!(task.status, JobStatus::Failed | JobStatus::Cancelled) {
        return None;
    }
    let req = &task.request;
    let error = task.error.as_ref();
    let (code, message) = match (error, task.status) {
        (Some(e), _) => (e.code.clone(), e.message.clone()),
        (None, JobStatus::Cancelled) => (
            "Canceled".to_owned(),
            "Provisioning was cancelled at your request.".to_owned(),
        ),
        (None, _) => (
            "Unknown".to_owned(),
            "The provision failed without an error message.".to_owned(),
        ),
    };
    let category = match (error, task.status) {
        (Some(e), _) if !e.category.is_empty() => e.category.clone(),
        (_, JobStatus::Cancelled) => "cancelled".to_owned(),
        _ => "unknown".to_owned(),
    };
    Some(FailedProvision {
        job_id: task.job_id.clone(),
        task_id: task.task_id.clone(),
        status: task.status,
        phase: task.progress.as_ref().map(|p| p.phase.clone()),
        error_code: Some(code),
        error_message: Some(message),
        category: Some(category),
        cluster_name: req.cluster_name.clone(),
        region: req.region.clone(),
        resource_group: req.resource_group.clone(),
        subscription_id: req.subscription_id.clone(),
        portal_url: task.progress.as_ref().and_then(|p| p.portal_url.clone()),
        partial_cluster: error
            .and_then(|e| e.partial_cluster.clone())
            .or(cancel_partial),
        created_at: task.created_at,
        updated_at: task.updated_at,
        request: Some(req.clone()),
        raw_error: error.and_then(|e| e.raw.clone()),
        explanation: error.and_then(|e| e.explanation.clone()),
        delete_blocked: None,
        fixes: error.map(|e| e.fixes.clone()).unwrap_or_default(),
        estimate: task.estimate.clone(),
        timeline: task.timeline.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::{MINUTE, NOW, failure, request, task};
    use crate::domain::TaskError;

    #[test]
    fn only_a_success_of_the_same_cluster_resolves_a_failure() {
        let mut f = failure("j1", NOW);
        f.request = Some(request("aks-demo"));
        assert!(!resolved_by_success(&f, &request("aks-other")));
        assert!(
            resolved_by_success(&f, &request("AKS-Demo")),
            "names ignore case"
        );
        let elsewhere = ProvisionRequest {
            resource_group: "rg-other".into(),
            ..request("aks-demo")
        };
        assert!(!resolved_by_success(&f, &elsewhere));
        // A row without its request still knows its cluster.
        f.request = None;
        assert!(resolved_by_success(&f, &request("aks-demo")));
    }

    #[test]
    fn a_failed_task_becomes_a_failure_with_its_request_for_edit_and_retry() {
        let error = TaskError {
            code: "ZonalAllocationFailed".into(),
            message: "Allocation failed.".into(),
            category: "allocation".into(),
            headline: "Azure has no capacity".into(),
            raw: Some(r#"{"error":{"code":"ZonalAllocationFailed"}}"#.into()),
            partial_cluster: None,
            fixes: vec![],
            explanation: None,
        };
        let f = failure_from_task(&task(JobStatus::Failed, Some(error)), None).expect("a failure");
        assert_eq!(f.job_id, "j1");
        assert_eq!(f.error_code.as_deref(), Some("ZonalAllocationFailed"));
        assert_eq!(f.category.as_deref(), Some("allocation"));
        assert_eq!(f.cluster_name, "aks-one");
        assert_eq!(f.request.as_ref().map(|r| r.node_count), Some(2));
        assert_eq!(f.created_at, NOW - MINUTE);
        assert!(f.raw_error.is_some());
    }

    #[test]
    fn a_cancel_without_an_error_keeps_the_partial_cluster_the_cancel_reported() {
        let partial = PartialCluster {
            resource_id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-one".into(),
            portal_url: "https://portal.azure.com/#resource/x".into(),
            last_state: Some("Creating".into()),
            abort_requested: false,
        };
        let f = failure_from_task(&task(JobStatus::Cancelled, None), Some(partial.clone()))
            .expect("a cancelled provision is shown");
        assert_eq!(f.status, JobStatus::Cancelled);
        assert_eq!(f.category.as_deref(), Some("cancelled"));
        assert_eq!(f.partial_cluster, Some(partial));
    }

    #[test]
    fn a_plain_cancel_is_a_passing_notice_and_a_cancel_with_a_cluster_is_a_last_attempt() {
        assert_eq!(
            ending_of(&task(JobStatus::Cancelled, None), None),
            Some(Ending::CancelledCleanly(request("aks-one")))
        );
        let partial = PartialCluster {
            resource_id: "/x".into(),
            portal_url: "https://portal.azure.com/#resource/x".into(),
            last_state: Some("Creating".into()),
            abort_requested: true,
        };
        assert!(matches!(
            ending_of(&task(JobStatus::Cancelled, None), Some(partial)),
            Some(Ending::Failed(f)) if f.status == JobStatus::Cancelled
        ));
        assert!(matches!(
            ending_of(&task(JobStatus::Failed, None), None),
            Some(Ending::Failed(_))
        ));
        assert_eq!(
            ending_of(&task(JobStatus::Succeeded, None), None),
            Some(Ending::Succeeded(request("aks-one")))
        );
        assert_eq!(ending_of(&task(JobStatus::Running, None), None), None);
        assert_eq!(ending_of(&task(JobStatus::Queued, None), None), None);
    }
}
