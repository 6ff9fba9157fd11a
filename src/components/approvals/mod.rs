//! `Approvals`: creates that wait for an admin, as the page follows them live — the queue an
//! admin decides from, and the signed-in user's own requests (waiting, denied with who, when and
//! why, expired). Read again on every `approvals_changed` (and `resync`), so a decision shows on
//! every open page of the requester and of every admin; a new request in a hidden tab of an admin
//! is a browser notification. The panel that shows it is [`ApprovalsPanel`] (`panel.rs`).

mod panel;

pub use panel::ApprovalsPanel;

use leptos::prelude::*;

use crate::api::approvals::{decide_approval, list_approvals};
use crate::components::notify::{self, Notice};
use crate::components::session::SignInAgain;
use crate::domain::approval::{Approval, ApprovalAction, ApprovalList, ApprovalStatus};
use crate::domain::money;
use crate::events::DashboardEvent;

/// How long a denied or expired request of the user stays on their page.
const DECIDED_SHOWN_MS: i64 = 24 * 3_600_000;

/// The page's approvals. Cheap to copy; provided by the `ClusterCard` island.
#[derive(Clone, Copy)]
pub struct Approvals {
    list: RwSignal<ApprovalList>,
    /// The signed-in user: their own requests are theirs to follow, others' an admin's to decide.
    viewer: StoredValue<String>,
    /// Requests whose decision is being sent (their buttons wait).
    busy: RwSignal<Vec<String>>,
    /// What went wrong with the last decision, by request.
    errors: RwSignal<Vec<(String, String)>>,
    /// Decided requests the user closed on this page.
    closed: RwSignal<Vec<String>>,
    /// How many reads have been answered (tests wait on it).
    reads: RwSignal<u32>,
}

/// The notification for an admin: a request that came in while the tab was hidden.
pub fn request_notice(a: &Approval) -> Notice {
    let cost = a
        .estimate
        .as_ref()
        .map(|e| format!(" (≈ {}/month)", money(e.monthly, &e.currency)))
        .unwrap_or_default();
    Notice {
        title: format!("Approval requested: {}", a.cluster_name),
        body: format!(
            "{} asks to create {} in {}{cost}: {}.",
            a.requester_name, a.cluster_name, a.resource_group, a.reason
        ),
        tag: format!("approval-{}", a.id),
    }
}

/// The requests an admin's queue shows: waiting, and others' (or decidable).
pub fn in_queue(list: &[Approval], viewer: &str) -> Vec<Approval> {
    list.iter()
        .filter(|a| a.status == ApprovalStatus::Pending && (a.requester != viewer || a.may_decide))
        .cloned()
        .collect()
}

/// Whether a request of the user is shown on their page at `now`: waiting, or denied or expired
/// within the last day (an approved one shows as the create it became).
pub fn shown_to_requester(a: &Approval, now: i64) -> bool {
    match a.status {
        ApprovalStatus::Pending => true,
        ApprovalStatus::Denied | ApprovalStatus::Expired => {
            now - a.decided_at.unwrap_or(a.expires_at) < DECIDED_SHOWN_MS
        }
        ApprovalStatus::Approved | ApprovalStatus::Withdrawn => false,
    }
}

impl Approvals {
    pub fn new(list: ApprovalList, viewer: String) -> Self {
        let this = Self {
            list: RwSignal::new(list),
            viewer: StoredValue::new(viewer),
            busy: RwSignal::new(Vec::new()),
            errors: RwSignal::new(Vec::new()),
            closed: RwSignal::new(Vec::new()),
            reads: RwSignal::new(0),
        };
        provide_context(this);
        this
    }

    /// The admin's queue: others' requests waiting (and one's own where `APPROVAL_SELF` lets
    /// one decide it), oldest first (tracked).
    pub fn queue(self) -> Vec<Approval> {
        let viewer = self.viewer.get_value();
        self.list.with(|l| in_queue(&l.approvals, &viewer))
    }

    /// The user's own requests the page shows (tracked).
    pub fn mine(self, now: i64) -> Vec<Approval> {
        let closed = self.closed.get();
        let viewer = self.viewer.get_value();
        self.list.with(|l| {
            l.approvals
                .iter()
                .filter(|a| {
                    a.requester == viewer && shown_to_requester(a, now) && !closed.contains(&a.id)
                })
                .cloned()
                .collect()
        })
    }

    pub fn reads(self) -> u32 {
        self.reads.get()
    }

    pub fn is_busy(self, id: &str) -> bool {
        self.busy.with(|b| b.iter().any(|x| x == id))
    }

    pub fn error(self, id: &str) -> Option<String> {
        self.errors
            .with(|e| e.iter().find(|(x, _)| x == id).map(|(_, m)| m.clone()))
    }

    pub fn close(self, id: &str) {
        self.closed.update(|c| c.push(id.to_owned()));
    }

    /// What an event means for the approvals.
    pub fn on_event(self, event: &DashboardEvent) {
        if matches!(
            event,
            DashboardEvent::ApprovalsChanged | DashboardEvent::Resync
        ) {
            self.refresh();
        }
    }

    /// This tab asked for a create that waits: shown at once, then read again.
    pub fn requested(self, approval: Approval) {
        self.list.update(|l| {
            l.approvals.retain(|a| a.id != approval.id);
            l.approvals.push(approval);
        });
        self.refresh();
    }

    /// Reads the approvals again; a request new to an admin's queue while the tab is hidden is a
    /// notification.
    pub fn refresh(self) {
        leptos::task::spawn_local(async move {
            let Ok(list) = list_approvals().await.map_err(|e| SignInAgain::note(&e)) else {
                return;
            };
            if self.list.is_disposed() {
                return;
            }
            let viewer = self.viewer.get_value();
            let known: Vec<String> = self.list.with_untracked(|l| {
                in_queue(&l.approvals, &viewer)
                    .into_iter()
                    .map(|a| a.id)
                    .collect()
            });
            for a in in_queue(&list.approvals, &viewer)
                .iter()
                .filter(|a| a.may_decide && !known.contains(&a.id))
            {
                notify::show_if_hidden(&request_notice(a));
            }
            self.list.set(list);
            self.reads.update(|n| *n += 1);
        });
    }

    /// Approves, denies or withdraws `id`; the answer (or what went wrong) shows on the request.
    pub fn decide(self, id: String, action: ApprovalAction, note: Option<String>) {
        self.busy.update(|b| b.push(id.clone()));
        self.errors.update(|e| e.retain(|(x, _)| *x != id));
        leptos::task::spawn_local(async move {
            let answer = decide_approval(id.clone(), action, note).await;
            if self.busy.is_disposed() {
                return;
            }
            self.busy.update(|b| b.retain(|x| *x != id));
            if let Err(e) = answer
                && !SignInAgain::note(&e)
            {
                self.errors
                    .update(|errs| errs.push((id.clone(), e.message)));
            }
            self.refresh();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProvisionRequest;

    fn approval(status: ApprovalStatus, decided_at: Option<i64>) -> Approval {
        Approval {
            id: "a1".into(),
            status,
            cluster_name: "aks-big".into(),
            subscription_id: "sub".into(),
            resource_group: "rg-prod".into(),
            requester: "alice".into(),
            requester_name: "Alice".into(),
            estimate: Some(crate::domain::approval::ApprovalEstimate {
                currency: "USD".into(),
                monthly: 996.45,
            }),
            reason: "over 500.00 USD/month in rg-prod".into(),
            note: None,
            decided_by: None,
            decided_at,
            created_at: 0,
            expires_at: 1_000,
            task_id: None,
            job_id: None,
            request: ProvisionRequest::default(),
            may_decide: true,
            may_withdraw: false,
        }
    }

    #[test]
    fn an_admins_queue_holds_others_waiting_requests_and_own_ones_only_when_decidable() {
        let mut own = approval(ApprovalStatus::Pending, None);
        own.may_decide = false;
        let mut decided = approval(ApprovalStatus::Denied, Some(5));
        decided.id = "a2".into();
        let others = approval(ApprovalStatus::Pending, None);
        assert_eq!(in_queue(&[own.clone(), decided.clone()], "alice"), vec![]);
        assert_eq!(in_queue(&[others.clone(), decided], "ada"), vec![others]);
        own.may_decide = true;
        assert_eq!(in_queue(&[own.clone()], "alice"), vec![own]);
    }

    #[test]
    fn a_requester_sees_waiting_requests_and_recent_refusals_only() {
        let day = DECIDED_SHOWN_MS;
        assert!(shown_to_requester(
            &approval(ApprovalStatus::Pending, None),
            5
        ));
        assert!(shown_to_requester(
            &approval(ApprovalStatus::Denied, Some(10)),
            day
        ));
        assert!(!shown_to_requester(
            &approval(ApprovalStatus::Denied, Some(10)),
            day + 10
        ));
        assert!(!shown_to_requester(
            &approval(ApprovalStatus::Approved, Some(10)),
            20
        ));
        assert!(!shown_to_requester(
            &approval(ApprovalStatus::Withdrawn, Some(10)),
            20
        ));
        assert!(shown_to_requester(
            &approval(ApprovalStatus::Expired, None),
            2_000
        ));
    }

    #[test]
    fn an_admin_is_told_who_asks_for_what_and_why() {
        let n = request_notice(&approval(ApprovalStatus::Pending, None));
        assert_eq!(n.title, "Approval requested: aks-big");
        assert_eq!(
            n.body,
            "Alice asks to create aks-big in rg-prod (≈ 996.45 USD/month): over 500.00 USD/month in rg-prod."
        );
        assert_eq!(n.tag, "approval-a1");
    }
}
