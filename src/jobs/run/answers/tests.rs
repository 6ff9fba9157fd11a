//! The table of Azure's answers and what a create does next, without a server.

use std::collections::BTreeMap;

use super::*;
use crate::azure::{JOB_TAG, ManagedClusterProperties};

const JOB: &str = "0a1b2c3d-0000-4000-8000-000000000001";

fn cluster(tag: Option<&str>, state: Option<ProvisioningState>) -> ManagedCluster {
    let mut tags = BTreeMap::new();
    if let Some(job) = tag {
        tags.insert(JOB_TAG.to_owned(), job.to_owned());
    }
    ManagedCluster {
        name: Some("aks-1".into()),
        tags,
        properties: ManagedClusterProperties {
            provisioning_state: state,
            ..ManagedClusterProperties::default()
        },
        ..ManagedCluster::for_create("aks-1", "eastus", None, vec![])
    }
}

fn ours(state: ProvisioningState) -> ManagedCluster {
    cluster(Some(JOB), Some(state))
}

fn azure_said(status: u16, code: &str, message: &str) -> ArmError {
    let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
    ArmError::from_response(status, body, None)
}

fn known(following_operation: bool, seen_by_read: bool) -> Known<'static> {
    Known {
        job_id: JOB,
        cluster_name: "aks-1",
        following_operation,
        seen_by_read,
        polls: 1,
    }
}

#[test]
fn a_put_refused_throttled_lost_or_in_progress_elsewhere_is_told_apart() {
    for (err, expected) in [
        (
            azure_said(400, "InvalidParameter", "bad"),
            PutAnswer::Refused,
        ),
        (
            azure_said(400, "ErrCode_InsufficientVCPUQuota", "quota"),
            PutAnswer::Refused,
        ),
        (
            azure_said(403, "AuthorizationFailed", "no"),
            PutAnswer::Refused,
        ),
        (
            azure_said(429, "TooManyRequests", "slow down"),
            PutAnswer::Throttled,
        ),
        (
            azure_said(503, "ServiceUnavailable", "try later"),
            PutAnswer::Lost,
        ),
        (ArmError::Network("reset".into()), PutAnswer::Lost),
        (
            ArmError::Timeout(std::time::Duration::from_secs(30)),
            PutAnswer::Lost,
        ),
        (
            azure_said(412, "PreconditionFailed", "exists"),
            PutAnswer::Conflict,
        ),
        (
            azure_said(409, "AnotherOperationInProgress", "busy"),
            PutAnswer::Conflict,
        ),
        (
            azure_said(
                409,
                "OperationNotAllowed",
                "Another operation is in progress",
            ),
            PutAnswer::Conflict,
        ),
        (
            azure_said(409, "ScopeLocked", "the resource group is read-only"),
            PutAnswer::Refused,
        ),
    ] {
        assert_eq!(put_answer(&err), expected, "{err}");
    }
}

#[test]
fn before_the_put_only_a_cluster_with_this_jobs_tag_is_followed() {
    // Taken over (or resumed): the cluster carries this job's tag, so it is followed.
    let taken_over = before_put(Some(ours(ProvisioningState::Creating)), JOB, true);
    assert!(matches!(taken_over, BeforePut::Follow(_)), "{taken_over:?}");
    // Someone else's cluster, or one made before the dashboard: never touched.
    let theirs = before_put(
        Some(cluster(
            Some("another-job"),
            Some(ProvisioningState::Succeeded),
        )),
        JOB,
        false,
    );
    assert!(matches!(theirs, BeforePut::NotOurs(_)), "{theirs:?}");
    let untagged = before_put(Some(cluster(None, None)), JOB, true);
    assert!(matches!(untagged, BeforePut::NotOurs(_)), "{untagged:?}");
    // Nothing there: sent once (and after a lost answer, only once confirmed absent).
    assert!(matches!(before_put(None, JOB, false), BeforePut::Send));
    assert!(matches!(
        before_put(None, JOB, true),
        BeforePut::ConfirmAbsent
    ));
}

#[test]
fn an_accepted_create_is_polled_until_azure_ends_it() {
    // Accepted, still running: poll again (the cluster is read now and then).
    let d = after_poll(
        &known(true, true),
        OperationPoll::Running,
        ClusterRead::NotRead,
    );
    assert!(matches!(d.next, Next::Poll), "{d:?}");
    assert!(!read_cluster_now(
        &Known {
            polls: 3,
            ..known(true, true)
        },
        &OperationPoll::Running,
        4
    ));
    assert!(read_cluster_now(
        &Known {
            polls: 4,
            ..known(true, true)
        },
        &OperationPoll::Running,
        4
    ));
    assert!(
        read_cluster_now(&known(true, false), &OperationPoll::Running, 4),
        "never seen yet: read"
    );
    assert!(read_cluster_now(
        &known(true, true),
        &OperationPoll::Succeeded,
        4
    ));
    // Accepted but not visible yet (ARM's read lag): the operation tells.
    let d = after_poll(
        &known(true, false),
        OperationPoll::Running,
        ClusterRead::Absent,
    );
    assert!(matches!(d.next, Next::Poll), "{d:?}");
}

#[test]
fn succeeded_is_believed_once_the_cluster_says_so_too() {
    let d = after_poll(
        &known(true, true),
        OperationPoll::Succeeded,
        ClusterRead::Found(Box::new(ours(ProvisioningState::Succeeded))),
    );
    assert!(matches!(d.next, Next::Ended(Ok(()))), "{d:?}");
    assert!(d.observed.is_some());
    // The operation is done but the cluster not yet: follow the cluster from here.
    let d = after_poll(
        &known(true, true),
        OperationPoll::Succeeded,
        ClusterRead::Found(Box::new(ours(ProvisioningState::Creating))),
    );
    assert!(matches!(d.next, Next::Poll), "{d:?}");
    assert!(d.forget_operation);
    // Followed by the cluster alone: its state ends it.
    let d = after_poll(
        &known(false, true),
        OperationPoll::NotAsked,
        ClusterRead::Found(Box::new(ours(ProvisioningState::Succeeded))),
    );
    assert!(matches!(d.next, Next::Ended(Ok(()))), "{d:?}");
}

#[test]
fn failed_and_cancelled_end_with_azures_error() {
    let failure = ArmFailure::from(ArmError::OperationFailed {
        state: crate::azure::OperationState::Failed,
        error: Box::new(crate::azure::ArmErrorDetail {
            code: "ZonalAllocationFailed".into(),
            message: "no capacity".into(),
            ..Default::default()
        }),
        causes: vec![],
        raw_body: String::new(),
    });
    let d = after_poll(
        &known(true, true),
        OperationPoll::Ended(failure),
        ClusterRead::Found(Box::new(ours(ProvisioningState::Failed))),
    );
    match d.next {
        Next::Ended(Err(f)) => assert_eq!(f.info.code, "ZonalAllocationFailed"),
        other => panic!("{other:?}"),
    }
    // The operation said Succeeded, the cluster says Failed: failed.
    let d = after_poll(
        &known(true, true),
        OperationPoll::Succeeded,
        ClusterRead::Found(Box::new(ours(ProvisioningState::Failed))),
    );
    match d.next {
        Next::Ended(Err(f)) => assert_eq!(f.info.code, "ProvisioningFailed"),
        other => panic!("{other:?}"),
    }
    // No operation to ask: the cluster's own Canceled ends it.
    let d = after_poll(
        &known(false, true),
        OperationPoll::NotAsked,
        ClusterRead::Found(Box::new(ours(ProvisioningState::Canceled))),
    );
    match d.next {
        Next::Ended(Err(f)) => assert_eq!(f.info.code, "Canceled"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn azure_not_answering_is_waited_out_and_an_end_wins_over_it() {
    let d = after_poll(
        &known(true, true),
        OperationPoll::Unanswered(azure_said(429, "TooManyRequests", "slow down")),
        ClusterRead::NotRead,
    );
    assert!(matches!(d.next, Next::Slow(_)), "{d:?}");
    let d = after_poll(
        &known(false, true),
        OperationPoll::NotAsked,
        ClusterRead::Unanswered(ArmError::Timeout(std::time::Duration::from_secs(30))),
    );
    assert!(matches!(d.next, Next::Slow(_)), "{d:?}");
    let d = after_poll(
        &known(true, true),
        OperationPoll::Succeeded,
        ClusterRead::Unanswered(ArmError::Network("reset".into())),
    );
    assert!(matches!(d.next, Next::Ended(Ok(()))), "{d:?}");
}

#[test]
fn a_cluster_lost_or_replaced_meanwhile_is_told_apart() {
    // The operation expired and the cluster was never seen: the create step finds out.
    let d = after_poll(
        &known(false, false),
        OperationPoll::Gone,
        ClusterRead::Absent,
    );
    assert!(matches!(d.next, Next::CreateAgain), "{d:?}");
    // Seen, and now absent: look a while before calling it deleted.
    let d = after_poll(
        &known(false, true),
        OperationPoll::NotAsked,
        ClusterRead::Absent,
    );
    assert!(matches!(d.next, Next::ConfirmAbsent), "{d:?}");
    // A cluster of this name that is not this job's: never touched, not observed.
    let d = after_poll(
        &known(true, true),
        OperationPoll::Running,
        ClusterRead::Found(Box::new(cluster(
            Some("another-job"),
            Some(ProvisioningState::Succeeded),
        ))),
    );
    assert!(matches!(d.next, Next::NotOurs(_)), "{d:?}");
    assert!(d.observed.is_none());
}

#[test]
fn a_list_answers_for_running_and_done_creates_and_sends_the_rest_to_azure() {
    use ListSays::*;
    let following = known(true, true);
    let new = known(true, false);
    let creating = ours(ProvisioningState::Creating);
    let succeeded = ours(ProvisioningState::Succeeded);
    let failed = ours(ProvisioningState::Failed);
    let canceled = ours(ProvisioningState::Canceled);
    let someone_elses = cluster(Some("another-job"), Some(ProvisioningState::Creating));
    let untagged = cluster(None, Some(ProvisioningState::Succeeded));
    for (known, listed, past_grace, expected) in [
        // Running and done: the list is enough.
        (following, Listed::Found(&creating), true, Poll),
        (new, Listed::Found(&creating), false, Poll),
        (following, Listed::Found(&succeeded), false, Succeeded),
        // Failed and cancelled: Azure's error is the operation's, asked by the job.
        (following, Listed::Found(&failed), false, AskAzure),
        (following, Listed::Found(&canceled), false, AskAzure),
        // A cluster of this name that is not this job's.
        (following, Listed::Found(&someone_elses), false, NotOurs),
        (new, Listed::Found(&untagged), false, NotOurs),
        // Not in the list: a new create may take a moment to show; past that, or seen before
        // and gone, the job asks.
        (new, Listed::Missing, false, Poll),
        (new, Listed::Missing, true, AskAzure),
        (following, Listed::Missing, false, AskAzure),
        // No list this poll: the job asks.
        (new, Listed::NotRead, false, AskAzure),
        (following, Listed::NotRead, true, AskAzure),
    ] {
        assert_eq!(
            from_list(&known, listed, past_grace),
            expected,
            "{listed:?}, seen {}, past grace {past_grace}",
            known.seen_by_read
        );
    }
}
