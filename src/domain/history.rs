//! History: who did what to which cluster, when (issue 27). The types here are what
//! `GET /api/history` answers and what the History page, the error card and the modal's ended
//! screen show; they are shared by the server and the browser. The table, its writes and its
//! reads are in `storage::history` (server only); docs/history.md says what is recorded.

use serde::{Deserialize, Serialize};

/// What happened. One entry per thing: the API's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// A user asked for a create (the request is in `details`), and the job was stored.
    CreateRequested,
    /// A create was refused before any job existed: `details.reason` is `validation`,
    /// `cluster_exists`, `cluster_busy`, `cap`, `scope` or `role`.
    CreateRefused,
    /// The runner is about to send the create to Azure (written before the PUT leaves).
    AzureCreateSent,
    /// Azure accepted the create (201 with an operation to follow).
    AzureAccepted,
    /// The cluster's provisioning state changed, as the job saw it (`details.from`, `to`).
    StateChanged,
    Succeeded,
    /// The job failed: Azure's code and message (or the dashboard's) are in `details`.
    Failed,
    /// A user pressed Stop.
    StopRequested,
    /// The runner asked Azure to abort the create.
    AbortSent,
    Cancelled,
    /// A failure was dismissed (on every device).
    Dismissed,
    /// A create was made from a one-click fix: `details.fix` (its kind and label) and
    /// `details.changes` (field, from, to).
    FixApplied,
    /// A user asked to delete the partial cluster a job left.
    DeleteRequested,
    /// That cluster is gone from Azure.
    Deleted,
    /// Another server took the job over after the lease of the one running it ran out.
    TakenOver,
    /// A create waits for an admin (`details.reason`, `details.request`, `details.approval_id`).
    ApprovalRequested,
    /// An admin approved it: the create is queued (the same transaction as its job).
    Approved,
    /// An admin denied it (the note is the message).
    Denied,
    /// Nobody decided in time.
    Expired,
    /// The requester took it back.
    Withdrawn,
}

impl HistoryKind {
    pub const ALL: [Self; 20] = [
        Self::CreateRequested,
        Self::CreateRefused,
        Self::AzureCreateSent,
        Self::AzureAccepted,
        Self::StateChanged,
        Self::Succeeded,
        Self::Failed,
        Self::StopRequested,
        Self::AbortSent,
        Self::Cancelled,
        Self::Dismissed,
        Self::FixApplied,
        Self::DeleteRequested,
        Self::Deleted,
        Self::TakenOver,
        Self::ApprovalRequested,
        Self::Approved,
        Self::Denied,
        Self::Expired,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateRequested => "create_requested",
            Self::CreateRefused => "create_refused",
            Self::AzureCreateSent => "azure_create_sent",
            Self::AzureAccepted => "azure_accepted",
            Self::StateChanged => "state_changed",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::StopRequested => "stop_requested",
            Self::AbortSent => "abort_sent",
            Self::Cancelled => "cancelled",
            Self::Dismissed => "dismissed",
            Self::FixApplied => "fix_applied",
            Self::DeleteRequested => "delete_requested",
            Self::Deleted => "deleted",
            Self::TakenOver => "taken_over",
            Self::ApprovalRequested => "approval_requested",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// How the kind reads in a list and in a short timeline ("requested", "Azure accepted").
    pub fn label(self) -> &'static str {
        match self {
            Self::CreateRequested => "requested",
            Self::CreateRefused => "refused",
            Self::AzureCreateSent => "sent to Azure",
            Self::AzureAccepted => "Azure accepted",
            Self::StateChanged => "state changed",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::StopRequested => "Stop",
            Self::AbortSent => "aborted",
            Self::Cancelled => "cancelled",
            Self::Dismissed => "dismissed",
            Self::FixApplied => "fix applied",
            Self::DeleteRequested => "delete requested",
            Self::Deleted => "deleted",
            Self::TakenOver => "taken over",
            Self::ApprovalRequested => "awaits approval",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Expired => "approval expired",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// How it ended: the API's `outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It happened as asked.
    Ok,
    /// The dashboard or Azure said no before anything changed.
    Refused,
    Failed,
    Succeeded,
    Cancelled,
}

impl Outcome {
    pub const ALL: [Self; 5] = [
        Self::Ok,
        Self::Refused,
        Self::Failed,
        Self::Succeeded,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Refused => "refused",
            Self::Failed => "failed",
            Self::Succeeded => "succeeded",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The actor of what the runner does on its own.
pub const SYSTEM_ACTOR: &str = "system";

/// Azure's ids of one call, to find it in the Activity Log or in a support case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzureIds {
    /// `x-ms-correlation-request-id`: every Activity Log entry of the operation carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// `x-ms-request-id`: this one call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl AzureIds {
    pub fn is_empty(&self) -> bool {
        self.correlation_id.is_none() && self.request_id.is_none()
    }
}

/// One entry of `GET /api/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub id: String,
    /// When, on the database's clock: milliseconds since the Unix epoch.
    pub at: i64,
    /// A user id, or `system` for what the runner did.
    pub actor: String,
    pub actor_name: Option<String>,
    pub kind: HistoryKind,
    pub outcome: Outcome,
    pub subscription_id: String,
    pub resource_group: String,
    pub cluster_name: String,
    /// Absent for a create refused before a job existed.
    pub job_id: Option<String>,
    /// What the entry needs said: the request, Azure's code and message, the fix's changes, …
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub details: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_request_id: Option<String>,
}

impl HistoryEntry {
    /// The name people read: the display name, else the id.
    pub fn who(&self) -> &str {
        self.actor_name.as_deref().unwrap_or(&self.actor)
    }

    /// A string field of `details`.
    pub fn detail(&self, name: &str) -> Option<&str> {
        self.details.get(name).and_then(|v| v.as_str())
    }
}

/// `GET /api/history`: one page, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// Pass as `cursor` for the next (older) page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// One step of a job's short timeline (error card, modal's ended screen): "Stop 10:05 by ben".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineStep {
    pub kind: HistoryKind,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// Who, when a person did it (absent for the runner's own steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl TimelineStep {
    pub fn of(entry: &HistoryEntry) -> Self {
        Self {
            kind: entry.kind,
            at: entry.at,
            by: (entry.actor != SYSTEM_ACTOR).then(|| entry.who().to_owned()),
        }
    }
}

/// The kinds a short timeline shows (state changes and the like are on the History page).
pub fn in_timeline(kind: HistoryKind) -> bool {
    !matches!(
        kind,
        HistoryKind::StateChanged | HistoryKind::AzureCreateSent | HistoryKind::CreateRefused
    )
}

/// The query of `GET /api/history` (and of the History page's address), as typed: every field
/// is text, read by `HistoryQuery::read` into a filter or a 400 naming the field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    /// One kind, or several separated by commas.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    /// `subscription/resource-group`, or `subscription/*`.
    #[serde(default)]
    pub scope: Option<String>,
    /// RFC 3339 (`2026-12-01T10:00:00Z`), a date (`2026-12-01`, UTC), or milliseconds.
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

/// What the History page shows: one page of entries, with the links each needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryView {
    pub page: HistoryPage,
    /// Per entry (same order): the cluster in the portal, and its Activity Log.
    pub links: Vec<EntryLinks>,
    /// The caller sees everyone's entries (an Admin), not only their own.
    pub everyone: bool,
    /// The filters as given, for the form.
    pub query: HistoryQuery,
    /// The same view's export (CSV), its older page and its first page (when not on it).
    pub export_url: String,
    pub older_url: Option<String>,
    pub newest_url: Option<String>,
    /// When the page was made (ms), for "5 min ago".
    pub now: i64,
}

/// Where an entry's cluster is in the portal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntryLinks {
    /// The History page filtered to the entry's cluster.
    pub cluster_history_url: String,
    pub cluster_url: Option<String>,
    pub activity_log_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_outcomes_read_back() {
        for kind in HistoryKind::ALL {
            assert_eq!(HistoryKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(HistoryKind::parse("nope"), None);
    }
}
