//! Delete partial cluster: the guard over what a stopped or failed create left in Azure, the
//! delete, and its end followed.

use std::time::Duration;

use crate::api_error::ApiError;
use crate::azure::{ClusterRef, ManagedCluster, ProvisioningState};
use crate::domain::history::{HistoryKind, Outcome};
use crate::domain::*;
use crate::events::DashboardEvent;
use crate::identity::{Caller, Role};
use crate::refusal::Refusal;
use crate::services::{actor, arm_unavailable, dismiss_for, record_history, scope_of};
use crate::state::AppState;
use crate::storage::jobs::{JobRecord, JobStateRepository};
use crate::storage::{HistoryEvent, Subject};

/// How long Azure may take to say whether a partial cluster can be deleted, while the recent
/// failures are listed (the delete itself checks again).
const DELETE_CHECK_WAIT: Duration = Duration::from_secs(2);

/// The cluster named `name` in a list, ignoring case (Azure's names are case-insensitive).
fn find_cluster<'a>(list: &'a [ManagedCluster], name: &str) -> Option<&'a ManagedCluster> {
    list.iter().find(|c| {
        c.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// Whether the partial cluster a job left may be deleted from the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteVerdict {
    Allowed,
    /// Azure has no cluster of that name any more.
    Gone,
    /// Not this job's to delete: a code and a sentence that says why.
    Blocked(Refusal, String),
}

/// The delete guard: only a cluster this job created (its tag), left `Failed`/`Canceled` (or
/// still `Creating` after an abort), and not created again since by a later provision.
pub fn delete_verdict(
    job: &JobRecord,
    cluster: Option<&ManagedCluster>,
    recreated_later: bool,
) -> DeleteVerdict {
    let name = &job.payload.cluster_name;
    let Some(partial) = job
        .partial_cluster
        .as_ref()
        .filter(|_| job.status.is_finished())
    else {
        return DeleteVerdict::Blocked(
            Refusal::NoPartialCluster,
            "This provision left no cluster to delete.".into(),
        );
    };
    if recreated_later {
        return DeleteVerdict::Blocked(
            Refusal::ClusterRecreated,
            format!(
                "{name} was created again by a later provision, so it is not this attempt's \
                 leftover any more. Delete it in the Azure portal if you mean to."
            ),
        );
    }
    let Some(cluster) = cluster else {
        return DeleteVerdict::Gone;
    };
    if !cluster.created_by_job(&job.id) {
        return DeleteVerdict::Blocked(
            Refusal::NotCreatedByThisJob,
            format!(
                "The cluster named {name} in Azure was not created by this provision (it lacks \
                 this provision's tag), so the dashboard will not delete it."
            ),
        );
    }
    let state = cluster.provisioning_state().cloned();
    let deletable = match &state {
        Some(ProvisioningState::Failed | ProvisioningState::Canceled) => true,
        Some(ProvisioningState::Creating | ProvisioningState::Other(_)) => partial.abort_requested,
        _ => false,
    };
    if deletable {
        DeleteVerdict::Allowed
    } else {
        let state = state.as_ref().map_or("in an unknown state", |s| s.as_str());
        DeleteVerdict::Blocked(
            Refusal::ClusterNotPartial,
            format!(
                "{name} is {state} in Azure, not a leftover of a stopped or failed create. \
                 Delete it in the Azure portal if you no longer need it."
            ),
        )
    }
}

/// The delete verdict from what is known without waiting long: the cached cluster list of the
/// job's resource group. `None` (offer the action) when Azure cannot be read in time; the delete
/// itself checks again.
pub(crate) async fn delete_blocked_now(state: &AppState, job: &JobRecord) -> Option<String> {
    let (sub, rg) = (&job.payload.subscription_id, &job.payload.resource_group);
    let lookup = async {
        let recreated = state.jobs.recreated_after(job).await.ok()?;
        let list = state.azure.clusters(sub, rg).await.ok()?;
        let cluster = find_cluster(&list, &job.payload.cluster_name);
        Some(delete_verdict(job, cluster, recreated))
    };
    match tokio::time::timeout(DELETE_CHECK_WAIT, lookup).await {
        Ok(Some(DeleteVerdict::Blocked(_, why))) => Some(why),
        _ => None,
    }
}

/// Deletes the cluster resource a cancelled or failed job left behind, after the delete guard
/// ([`delete_verdict`]) read Azure. Operators delete what their own jobs left, admins what
/// anyone's did, and only in a scope their role may use.
pub async fn delete_partial_cluster(
    state: &AppState,
    caller: &Caller,
    job_id: &str,
) -> Result<DeletePartialOutcome, ApiError> {
    caller.require(Role::Operator)?;
    let job = match state.jobs.get(job_id).await? {
        Some(job) if caller.may_act_for(&job.owner_id) => job,
        Some(_) => {
            return Err(ApiError::forbidden(
                "This provision belongs to another user; only an Admin may delete what it left.",
            ));
        }
        None => return Err(ApiError::not_found("No such provision.")),
    };
    caller.require_scope(&state.scopes, &scope_of(&job.payload))?;
    let cluster_ref = ClusterRef::new(
        &job.payload.subscription_id,
        &job.payload.resource_group,
        &job.payload.cluster_name,
    );
    let recreated = state.jobs.recreated_after(&job).await?;
    let cluster = if job.partial_cluster.clone().is_some() && !recreated {
        state
            .arm
            .get_cluster(&cluster_ref)
            .await
            .map_err(|e| arm_unavailable(&e))?
    } else {
        None
    };
    let subject = JobStateRepository::subject(&job);
    let resource_id = cluster_ref.resource_id();
    let requested =
        |outcome: Outcome| HistoryEvent::new(HistoryKind::DeleteRequested, outcome, actor(caller));
    let (status, started) = match delete_verdict(&job, cluster.as_ref(), recreated) {
        DeleteVerdict::Blocked(reason, why) => {
            let event = requested(Outcome::Refused)
                .message(why.clone())
                .details(serde_json::json!({ "code": reason.code(), "resource_id": resource_id }));
            record_history(state, &subject, &[event]).await;
            return Err(ApiError::refused(reason, why));
        }
        DeleteVerdict::Gone => ("gone", None),
        DeleteVerdict::Allowed => match state.arm.delete_cluster(&cluster_ref).await {
            Ok(Some(started)) => ("deleting", Some(started)),
            Ok(None) => ("gone", None),
            Err(e) if e.is_not_found() => ("gone", None),
            Err(e) => {
                let event = requested(Outcome::Failed)
                    .message(e.to_string())
                    .details(serde_json::json!({ "resource_id": resource_id }))
                    .azure(e.azure_ids());
                record_history(state, &subject, &[event]).await;
                return Err(arm_unavailable(&e));
            }
        },
    };
    let mut events = vec![
        requested(Outcome::Ok)
            .details(serde_json::json!({ "status": status, "resource_id": resource_id }))
            .azure(
                started
                    .as_ref()
                    .map(|s| s.azure.clone())
                    .unwrap_or_default(),
            ),
    ];
    match started {
        None => events.push(
            HistoryEvent::system(HistoryKind::Deleted, Outcome::Succeeded)
                .details(serde_json::json!({ "resource_id": resource_id, "already_gone": true })),
        ),
        // The delete's end is followed by this server, and written when Azure says it.
        Some(started) => {
            tokio::spawn(follow_delete(
                state.clone(),
                subject.clone(),
                cluster_ref.clone(),
                job.payload.region.clone(),
                started,
            ));
        }
    }
    record_history(state, &subject, &events).await;
    state.azure.invalidate(
        &job.payload.subscription_id,
        &job.payload.resource_group,
        &job.payload.region,
    );
    state.events.to_everyone(DashboardEvent::ClustersChanged);
    // The leftover is handled: its failure no longer needs attention anywhere.
    if let Err(err) = dismiss_for(state, &job.owner_id, job_id, actor(caller)).await {
        tracing::warn!(%job_id, error = %err, "could not dismiss after deleting the partial cluster");
    }
    tracing::info!(%job_id, %resource_id, status, by = %caller.id, "partial cluster delete requested");
    Ok(DeletePartialOutcome {
        job_id: job.id,
        resource_id,
        status: status.to_owned(),
    })
}

/// The longest a delete of a partial cluster is followed for its `deleted` entry.
const DELETE_FOLLOW_FOR: Duration = Duration::from_secs(3_600);

/// Follows an accepted delete to Azure's end and writes it (`deleted`): the operation when
/// Azure gave one to follow, else the cluster, until it is gone.
async fn follow_delete(
    state: AppState,
    subject: Subject,
    cluster: ClusterRef,
    region: String,
    started: crate::azure::OperationStarted<()>,
) {
    let ended: Result<(), String> = match started.status_url() {
        Some(url) => match state.arm.wait_for_operation(url, DELETE_FOLLOW_FOR).await {
            Ok(status) => status.into_result().map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(format!("Azure did not confirm the delete: {e}")),
        },
        None => {
            let until = tokio::time::Instant::now() + DELETE_FOLLOW_FOR;
            loop {
                match state.arm.get_cluster(&cluster).await {
                    Ok(None) => break Ok(()),
                    _ if tokio::time::Instant::now() > until => {
                        break Err("Azure did not confirm the delete within an hour.".into());
                    }
                    _ => tokio::time::sleep(Duration::from_secs(5)).await,
                }
            }
        }
    };
    let event = match &ended {
        Ok(()) => HistoryEvent::system(HistoryKind::Deleted, Outcome::Succeeded),
        Err(why) => {
            HistoryEvent::system(HistoryKind::Deleted, Outcome::Failed).message(why.clone())
        }
    }
    .details(serde_json::json!({ "resource_id": cluster.resource_id() }))
    .azure(started.azure.clone());
    tracing::info!(resource_id = %cluster.resource_id(), ok = ended.is_ok(), "partial cluster delete ended");
    record_history(&state, &subject, &[event]).await;
    state
        .azure
        .invalidate(&cluster.subscription_id, &cluster.resource_group, &region);
    state.events.to_everyone(DashboardEvent::ClustersChanged);
}
