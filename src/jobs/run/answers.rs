//! What Azure's answers mean for a create's next step, as pure functions of what the job knows
//! and what Azure just said — no waiting, reading or writing here (that is the rest of `run/`),
//! so the whole table of answers is tested without a server: accepted, refused, lost,
//! throttled, in progress elsewhere, taken over, succeeded, failed, cancelled, deleted.

use crate::azure::{ArmError, ManagedCluster, ProvisioningState};
use crate::domain::classify::ArmErrorInfo;
use crate::domain::history::AzureIds;

/// An Azure error as the job row records it.
#[derive(Debug)]
pub(super) struct ArmFailure {
    pub info: ArmErrorInfo,
    pub raw: Option<String>,
    /// Azure's ids of the call that answered with the failure (boxed: `Stop` stays small).
    pub azure: Box<AzureIds>,
}

impl ArmFailure {
    pub fn new(code: &str, message: String) -> Self {
        Self {
            info: ArmErrorInfo {
                status: None,
                code: code.to_owned(),
                message,
                details: vec![],
            },
            raw: None,
            azure: Box::default(),
        }
    }
}

impl From<ArmError> for ArmFailure {
    fn from(err: ArmError) -> Self {
        // Azure's error as the client read it; an answer that was no error object is read once
        // here, as it has not been.
        let details = match err.info() {
            Some(info) => info.details,
            None => err
                .raw_body()
                .and_then(crate::domain::classify::parse_arm_error)
                .map(|parsed| parsed.details)
                .unwrap_or_default(),
        };
        let (code, message) = match (err.code(), err.detail()) {
            (Some(code), Some(detail)) => (code.to_owned(), detail.message.clone()),
            (Some(code), None) => (code.to_owned(), err.message()),
            _ => (fallback_code(&err).to_owned(), err.to_string()),
        };
        ArmFailure {
            info: ArmErrorInfo {
                status: err.status(),
                code,
                message,
                details,
            },
            raw: err.raw_body().map(str::to_owned),
            azure: Box::new(err.azure_ids()),
        }
    }
}

fn fallback_code(err: &ArmError) -> &'static str {
    match err {
        ArmError::Network(_) => "NetworkError",
        ArmError::Timeout(_) => "Timeout",
        ArmError::Credential(_) => "CredentialUnavailable",
        _ => "UnexpectedResponse",
    }
}

/// Whether an error while following an accepted operation may go away by itself: anything but an
/// answer that says the request itself is wrong. Azure's operation goes on whatever we hear.
pub(super) fn transient(err: &ArmError) -> bool {
    match err {
        ArmError::Response { status, .. } => {
            matches!(*status, 401 | 403 | 408 | 409 | 429) || *status >= 500
        }
        ArmError::Network(_)
        | ArmError::Timeout(_)
        | ArmError::Credential(_)
        | ArmError::UnexpectedResponse { .. } => true,
        ArmError::OperationFailed { .. } | ArmError::InvalidRequest(_) => false,
    }
}

/// A `409` that names another operation running on the cluster: it ends, and then the create
/// can be sent. Any other `409` (a read-only subscription, a resource group being deleted, …)
/// is a refusal.
fn another_operation_in_progress(err: &ArmError) -> bool {
    if err.status() != Some(409) {
        return false;
    }
    let message = err.message().to_ascii_lowercase();
    match err.code() {
        Some("AnotherOperationInProgress") => true,
        Some("OperationNotAllowed" | "Conflict") => {
            message.contains("in progress") || message.contains("another operation")
        }
        _ => false,
    }
}

/// What the read before a PUT found, and what comes next.
#[derive(Debug)]
pub(super) enum BeforePut {
    /// The cluster is this job's (a resumed or taken-over job): follow it.
    Follow(ManagedCluster),
    /// A cluster of this name that is not this job's: never touched.
    NotOurs(ManagedCluster),
    /// Nothing there, but a PUT may have been sent: look for a while before sending another.
    ConfirmAbsent,
    /// Nothing there, no PUT sent: send it.
    Send,
}

/// The read before a PUT: `found` (the cluster of the job's name, if any), for job `job_id`,
/// which has sent a PUT before (`put_sent`) or not.
pub(super) fn before_put(found: Option<ManagedCluster>, job_id: &str, put_sent: bool) -> BeforePut {
    match found {
        Some(cluster) if cluster.created_by_job(job_id) => BeforePut::Follow(cluster),
        Some(cluster) => BeforePut::NotOurs(cluster),
        None if put_sent => BeforePut::ConfirmAbsent,
        None => BeforePut::Send,
    }
}

/// What a PUT's failure means (its success is simply "accepted").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PutAnswer {
    /// Someone's cluster appeared between the read and the PUT (412), or another operation
    /// runs on it (a 409 that says so): read it again to learn whose.
    Conflict,
    /// Azure refused the create (a 4xx, a 401 even with a fresh token): that is its answer,
    /// and sending it again would get the same one.
    Refused,
    /// Throttled: Azure did not take the request; ask again when it says.
    Throttled,
    /// The answer was lost (or Azure failed midway): the cluster may exist or not.
    Lost,
}

pub(super) fn put_answer(err: &ArmError) -> PutAnswer {
    if err.status() == Some(412) || another_operation_in_progress(err) {
        PutAnswer::Conflict
    } else if err.is_refusal() {
        PutAnswer::Refused
    } else if err.status() == Some(429) {
        PutAnswer::Throttled
    } else if transient(err) {
        PutAnswer::Lost
    } else {
        PutAnswer::Refused
    }
}

/// What one poll of the create's operation said.
#[derive(Debug)]
pub(super) enum OperationPoll {
    /// No operation to ask (its URL is unknown).
    NotAsked,
    Running,
    Succeeded,
    /// `Failed` or `Canceled`, with Azure's error.
    Ended(ArmFailure),
    /// The operation record is gone (expired): the cluster tells from now on.
    Gone,
    /// Azure did not answer usefully.
    Unanswered(ArmError),
}

/// What one read of the cluster said, when it was read.
#[derive(Debug)]
pub(super) enum ClusterRead {
    NotRead,
    Found(Box<ManagedCluster>),
    Absent,
    Unanswered(ArmError),
}

/// What the job knows while it follows its create.
#[derive(Debug, Clone, Copy)]
pub(super) struct Known<'a> {
    pub job_id: &'a str,
    pub cluster_name: &'a str,
    /// The create's operation can still be asked (its URL is known and was not found gone).
    pub following_operation: bool,
    /// A read of the cluster has shown it during this job.
    pub seen_by_read: bool,
    /// Polls so far, this one included.
    pub polls: u32,
}

/// While an operation runs its status is enough; the cluster itself (its state and pools, for
/// the progress) is read now and then, when the operation ended, and when there is no operation
/// to ask.
pub(super) fn read_cluster_now(known: &Known, operation: &OperationPoll, every: u32) -> bool {
    !known.following_operation
        || matches!(
            operation,
            OperationPoll::Succeeded | OperationPoll::Ended(_)
        )
        || !known.seen_by_read
        || known.polls.is_multiple_of(every)
}

/// What the resource group's cluster list (read once for every create of this server there)
/// shows of the job's cluster.
#[derive(Debug, Clone, Copy)]
pub(super) enum Listed<'a> {
    /// The list was not read this poll (too few creates there, or Azure did not answer).
    NotRead,
    /// The list has no cluster of this name.
    Missing,
    Found(&'a ManagedCluster),
}

/// What a list poll means for one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListSays {
    /// Still being created (or not visible yet, within the grace period): wait for the next list.
    Poll,
    /// The cluster is there and done.
    Succeeded,
    /// The cluster of this name is not this job's.
    NotOurs,
    /// The list cannot tell: ask Azure about this create alone, as a job followed by itself
    /// does — the cluster ended `Failed` or `Canceled` (Azure's error is the operation's), was
    /// seen and is gone, has not shown past the grace period, or the list was not read.
    AskAzure,
}

/// The job's cluster in its group's list (`listed`), for a job that knows `known` and has been
/// followed longer than a new cluster may take to show (`past_grace`).
pub(super) fn from_list(known: &Known, listed: Listed, past_grace: bool) -> ListSays {
    match listed {
        Listed::NotRead => ListSays::AskAzure,
        Listed::Found(c) if !c.created_by_job(known.job_id) => ListSays::NotOurs,
        Listed::Found(c) => match c.provisioning_state() {
            Some(ProvisioningState::Succeeded) => ListSays::Succeeded,
            Some(ProvisioningState::Failed | ProvisioningState::Canceled) => ListSays::AskAzure,
            _ => ListSays::Poll,
        },
        Listed::Missing if known.seen_by_read || past_grace => ListSays::AskAzure,
        Listed::Missing => ListSays::Poll,
    }
}

/// The step after a poll.
#[derive(Debug)]
pub(super) enum Next {
    /// Azure's end: the create succeeded, or failed with this.
    Ended(Result<(), ArmFailure>),
    /// The cluster of this name is not this job's.
    NotOurs(ManagedCluster),
    /// No operation to follow and no cluster yet: a PUT whose answer was lost may not have
    /// created it; the create step finds out (at most one more PUT).
    CreateAgain,
    /// The cluster was seen and is gone: look for it a while; still gone, it was deleted.
    ConfirmAbsent,
    /// Azure did not answer usefully: wait it out.
    Slow(ArmError),
    /// Still being created: poll again.
    Poll,
}

/// A poll's decision: the next step, the cluster to record as seen, and whether the operation
/// is no longer asked (the cluster is followed instead).
#[derive(Debug)]
pub(super) struct Decision {
    pub next: Next,
    pub observed: Option<ManagedCluster>,
    pub forget_operation: bool,
}

/// The cluster ended in `Failed`: Azure's operation said so, or the cluster itself does.
pub(super) fn ended_failed(cluster: &ManagedCluster, cluster_name: &str) -> ArmFailure {
    ArmFailure {
        info: ArmErrorInfo {
            status: None,
            code: "ProvisioningFailed".into(),
            message: format!("The cluster {cluster_name} ended in provisioning state Failed."),
            details: vec![],
        },
        raw: serde_json::to_string(cluster).ok(),
        azure: Box::default(),
    }
}

/// What a poll of the operation (`operation`) and a read of the cluster (`cluster`) mean, for a
/// job that knows `known` (its `following_operation` already false when `operation` is
/// [`OperationPoll::Gone`]).
pub(super) fn after_poll(
    known: &Known,
    operation: OperationPoll,
    cluster: ClusterRead,
) -> Decision {
    let name = known.cluster_name;
    let mut forget_operation = false;
    let mut observed = None;
    let (mut ended, mut slow) = match operation {
        OperationPoll::Succeeded => (Some(Ok(())), None),
        OperationPoll::Ended(failure) => (Some(Err(failure)), None),
        OperationPoll::Unanswered(err) => (None, Some(err)),
        OperationPoll::NotAsked | OperationPoll::Running | OperationPoll::Gone => (None, None),
    };
    match cluster {
        ClusterRead::NotRead => {}
        ClusterRead::Found(c) if !c.created_by_job(known.job_id) => {
            return Decision {
                next: Next::NotOurs(*c),
                observed: None,
                forget_operation,
            };
        }
        ClusterRead::Found(c) => {
            let state = c.provisioning_state().cloned();
            match (&ended, state) {
                // The operation says done: the cluster must say so too.
                (Some(Ok(())), Some(ProvisioningState::Succeeded)) => {}
                (Some(Ok(())), Some(ProvisioningState::Failed)) => {
                    ended = Some(Err(ended_failed(&c, name)));
                }
                (Some(Ok(())), _) => {
                    // Not yet visible as done: follow the cluster from here.
                    ended = None;
                    forget_operation = true;
                }
                (None, state) if !known.following_operation => {
                    ended = match state {
                        Some(ProvisioningState::Succeeded) => Some(Ok(())),
                        Some(ProvisioningState::Failed) => Some(Err(ended_failed(&c, name))),
                        Some(ProvisioningState::Canceled) => Some(Err(ArmFailure::new(
                            "Canceled",
                            format!("The create of {name} was canceled in Azure."),
                        ))),
                        _ => None,
                    };
                }
                _ => {}
            }
            observed = Some(*c);
        }
        ClusterRead::Absent if !known.following_operation => {
            let next = if known.seen_by_read {
                Next::ConfirmAbsent
            } else {
                Next::CreateAgain
            };
            return Decision {
                next,
                observed,
                forget_operation,
            };
        }
        // Accepted, but not visible yet (ARM read lag): the operation tells.
        ClusterRead::Absent => {}
        ClusterRead::Unanswered(err) => slow = slow.or(Some(err)),
    }
    let next = match (ended, slow) {
        (Some(end), _) => Next::Ended(end),
        (None, Some(err)) => Next::Slow(err),
        (None, None) => Next::Poll,
    };
    Decision {
        next,
        observed,
        forget_operation,
    }
}

#[cfg(test)]
mod tests;
