//! Creates that wait for an admin (issue 39): a request awaiting approval as the API and the page
//! show it ([`Approval`]), its states, and — on the server — the rules that decide which creates
//! wait ([`rules`]: `APPROVAL_RULES`, `SCOPE_BUDGETS`).

use serde::{Deserialize, Serialize};

use super::ProvisionRequest;

/// Where a request awaiting approval is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// Waiting for an admin; nothing has been sent to Azure.
    Pending,
    /// An admin approved it: the create is queued (its `job_id`, `task_id`).
    Approved,
    Denied,
    /// Nobody decided within `APPROVAL_EXPIRES_HOURS`.
    Expired,
    /// The requester took it back.
    Withdrawn,
}

impl ApprovalStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Approved,
        Self::Denied,
        Self::Expired,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The monthly estimate a request was made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApprovalEstimate {
    pub currency: String,
    pub monthly: f64,
}

/// A create awaiting (or past) an admin's decision, as `GET /api/approvals` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Approval {
    pub id: String,
    pub status: ApprovalStatus,
    pub cluster_name: String,
    pub subscription_id: String,
    pub resource_group: String,
    /// The requester's user id.
    pub requester: String,
    pub requester_name: String,
    /// The monthly estimate it was asked with; absent: prices could not be read ("no estimate").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<ApprovalEstimate>,
    /// Why it waits, e.g. "over 500.00 USD/month in rg-prod".
    pub reason: String,
    /// The decider's note (a denial always has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who decided (an admin; the requester for a withdrawal), by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    /// The create an approval queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The whole request as asked (what Edit & retry starts from).
    pub request: ProvisionRequest,
    /// Whether the caller may approve or deny it now.
    #[serde(default)]
    pub may_decide: bool,
    /// Whether the caller may withdraw it now (the requester, while it is pending).
    #[serde(default)]
    pub may_withdraw: bool,
}

/// `GET /api/approvals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApprovalList {
    /// For an admin: every pending request in their scopes, and those they decided in the last
    /// week; for everyone: their own of the last week. Pending ones first (oldest first), then
    /// the rest, newest first.
    pub approvals: Vec<Approval>,
}

/// A decision as the API takes it: `approve`, `deny` or `withdraw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAction {
    Approve,
    Deny,
    Withdraw,
}

impl ApprovalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
            Self::Withdraw => "withdraw",
        }
    }
}

/// Longest note an approver may write.
pub const NOTE_MAX_CHARS: usize = 500;

/// The rule a decision's note breaks, if any: a denial says why; any note is at most
/// [`NOTE_MAX_CHARS`].
pub fn note_error(action: ApprovalAction, note: Option<&str>) -> Option<String> {
    let note = note.map(str::trim).unwrap_or_default();
    if note.chars().count() > NOTE_MAX_CHARS {
        return Some(format!("At most {NOTE_MAX_CHARS} characters."));
    }
    if action == ApprovalAction::Deny && note.is_empty() {
        return Some("Say why: the requester sees this note.".to_owned());
    }
    None
}

#[cfg(feature = "ssr")]
pub mod rules;
