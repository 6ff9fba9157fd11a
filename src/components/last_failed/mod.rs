//! `LastFailedProvision`: the newest failed provision of the signed-in user, as every surface
//! shows it — whether the server said so (R-1), this tab saw it, or another tab of this browser
//! did (R-2). The one module that knows the localStorage key `elb_last_failed_provision_v1`.
//!
//! The rules are plain functions (tested natively below); [`LastFailed`] applies them to a
//! signal and to the browser's storage.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::provisioning::model::{
    FailedProvision, JobStatus, PartialCluster, RecentFailures, TaskStatus,
};

/// The localStorage key of the local copy. Versioned: a new shape gets a new key.
pub const STORAGE_KEY: &str = "elb_last_failed_provision_v1";
/// A failure older than this is no longer "the last attempt".
pub const MAX_AGE_MS: i64 = 24 * 60 * 60 * 1000;
/// What the dashboard asks `recent_failed_provisions` for.
pub const RECENT_HOURS: u32 = 24;
pub const RECENT_LIMIT: u32 = 10;

/// The local copy as stored under [`STORAGE_KEY`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalCopy {
    /// Whose failure it is: a browser can be shared by several signed-in users.
    pub user: String,
    /// The server has listed this job at least once. When the server later stops listing it,
    /// it was dismissed on another device or its cluster was re-created, so it goes.
    #[serde(default)]
    pub confirmed: bool,
    pub failure: FailedProvision,
}

/// What a read of the local copy found.
// Built a few times per page view: boxing the copy would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum LocalRead {
    Absent,
    Fresh(LocalCopy),
    /// Another user's copy: not ours to show, not ours to remove.
    OtherUser,
    /// Malformed or older than 24 h: ignored, and removed.
    Discard,
}

/// The freshness rule, applied to the raw localStorage value.
pub fn read_local(raw: Option<&str>, user: &str, now_ms: i64) -> LocalRead {
    let Some(raw) = raw else {
        return LocalRead::Absent;
    };
    // From bytes: the same decoder as the API's answers (see `page_json`).
    let Ok(copy) = serde_json::from_slice::<LocalCopy>(raw.as_bytes()) else {
        return LocalRead::Discard;
    };
    if copy.failure.job_id.is_empty() || !is_fresh(&copy.failure, now_ms) {
        LocalRead::Discard
    } else if copy.user != user {
        LocalRead::OtherUser
    } else {
        LocalRead::Fresh(copy)
    }
}

/// Whether a failure is recent enough to be "the last attempt".
pub fn is_fresh(failure: &FailedProvision, now_ms: i64) -> bool {
    now_ms.saturating_sub(failure.updated_at) <= MAX_AGE_MS
}

/// The server's answer to "my recent failures", as the merge sees it.
#[derive(Debug, Clone, Copy)]
pub enum ServerAnswer<'a> {
    /// Newest first.
    Jobs(&'a [FailedProvision]),
    /// `degraded`, or no answer at all: the local copy stands.
    Unavailable,
}

impl<'a> ServerAnswer<'a> {
    pub fn of(answer: Option<&'a RecentFailures>) -> Self {
        match answer {
            Some(r) if !r.degraded => ServerAnswer::Jobs(&r.jobs),
            _ => ServerAnswer::Unavailable,
        }
    }
}

/// What to do with the local copy after a merge.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum LocalWrite {
    Keep,
    Save(LocalCopy),
    Remove,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub shown: Option<FailedProvision>,
    pub write: LocalWrite,
}

/// The merge rule: the server's newest failure wins only when it is strictly newer than the
/// local copy, and then it becomes the local copy. Without an answer the local copy stands.
pub fn merge(user: &str, local: Option<&LocalCopy>, server: ServerAnswer<'_>) -> Merged {
    let ServerAnswer::Jobs(jobs) = server else {
        return Merged {
            shown: local.map(|l| l.failure.clone()),
            write: LocalWrite::Keep,
        };
    };
    let newest = jobs.first();
    let adopt = |f: &FailedProvision| Merged {
        shown: Some(f.clone()),
        write: LocalWrite::Save(LocalCopy {
            user: user.to_owned(),
            confirmed: true,
            failure: f.clone(),
        }),
    };
    let Some(local) = local else {
        return match newest {
            Some(s) => adopt(s),
            None => Merged {
                shown: None,
                write: LocalWrite::Keep,
            },
        };
    };
    if let Some(s) = newest.filter(|s| s.updated_at > local.failure.updated_at) {
        return adopt(s);
    }
    if jobs.iter().any(|j| j.job_id == local.failure.job_id) {
        let write = if local.confirmed {
            LocalWrite::Keep
        } else {
            LocalWrite::Save(LocalCopy {
                confirmed: true,
                ..local.clone()
            })
        };
        return Merged {
            shown: Some(local.failure.clone()),
            write,
        };
    }
    if local.confirmed {
        // The server knew this failure and no longer lists it: dismissed elsewhere or resolved.
        return match newest {
            Some(s) => adopt(s),
            None => Merged {
                shown: None,
                write: LocalWrite::Remove,
            },
        };
    }
    Merged {
        shown: Some(local.failure.clone()),
        write: LocalWrite::Keep,
    }
}

/// What to show when this tab sees a failure: the newer of the two stays. A second report of
/// the same job keeps the partial cluster an earlier one knew of.
pub fn recorded(
    current: Option<&FailedProvision>,
    mut incoming: FailedProvision,
) -> Option<FailedProvision> {
    match current {
        None => Some(incoming),
        Some(c) if c.job_id == incoming.job_id => {
            if incoming.partial_cluster.is_none() {
                incoming.partial_cluster = c.partial_cluster.clone();
            }
            (c != &incoming).then_some(incoming)
        }
        Some(c) => (incoming.updated_at >= c.updated_at).then_some(incoming),
    }
}

/// A finished task as a failed provision, or `None` when it did not fail. `cancel_partial` is
/// what the cancel answer said was left in Azure, for when the task's error does not say.
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
        delete_blocked: None,
        fixes: vec![],
    })
}

/// The last failure of the signed-in user, shared by every component of the page through
/// context. Cheap to copy.
#[derive(Clone, Copy)]
pub struct LastFailed {
    shown: RwSignal<Option<FailedProvision>>,
    user: StoredValue<String>,
}

impl LastFailed {
    /// Starts from the server's answer, so the first HTML and the hydrated page agree.
    pub fn new(user: String, server: Option<&RecentFailures>) -> Self {
        let initial = match ServerAnswer::of(server) {
            ServerAnswer::Jobs(jobs) => jobs.first().cloned(),
            ServerAnswer::Unavailable => None,
        };
        Self {
            shown: RwSignal::new(initial),
            user: StoredValue::new(user),
        }
    }

    /// The failure to show (tracked).
    pub fn get(&self) -> Option<FailedProvision> {
        self.shown.get()
    }

    /// In the browser, once hydrated: merges the local copy with the server's answer the page
    /// was rendered with, then follows the other tabs (`storage` events) and asks the server
    /// again whenever the window gets the focus back.
    pub fn attach(self, server: Option<RecentFailures>) {
        Effect::new(move |_| {
            untrack(|| self.merge_server_answer(server.as_ref()));
            let storage = window_event_listener(leptos::ev::storage, move |ev| {
                // `key` is null when another tab called `localStorage.clear()`.
                if ev.key().is_none_or(|k| k == STORAGE_KEY) {
                    self.follow_local_copy();
                }
            });
            let last_ask = StoredValue::new(super::clock::now_ms());
            let focus = window_event_listener(leptos::ev::focus, move |_| {
                let now = super::clock::now_ms();
                if now - last_ask.get_value() > 15_000 {
                    last_ask.set_value(now);
                    self.refresh_from_server();
                }
            });
            on_cleanup(move || {
                storage.remove();
                focus.remove();
            });
        });
    }

    /// Asks the server for the newest failures and merges the answer.
    pub fn refresh_from_server(self) {
        leptos::task::spawn_local(async move {
            let answer = super::provision_error_card::recent_failed_provisions(
                Some(RECENT_HOURS),
                Some(RECENT_LIMIT),
            )
            .await;
            self.merge_server_answer(answer.ok().as_ref());
        });
    }

    /// Applies the merge rule to the local copy and a server answer.
    pub fn merge_server_answer(self, server: Option<&RecentFailures>) {
        let user = self.user.get_value();
        let local = self.read_local_copy();
        self.apply(merge(&user, local.as_ref(), ServerAnswer::of(server)));
    }

    /// This tab saw a provision fail: show it, keep it for the other tabs and for reloads.
    pub fn record(self, failure: FailedProvision) {
        let current = self.shown.get_untracked();
        let Some(failure) = recorded(current.as_ref(), failure) else {
            return;
        };
        let user = self.user.get_value();
        let confirmed = self
            .read_local_copy()
            .is_some_and(|c| c.confirmed && c.failure.job_id == failure.job_id);
        store::write(&LocalCopy {
            user,
            confirmed,
            failure: failure.clone(),
        });
        self.set_shown(Some(failure));
    }

    /// The user dismissed the failure (the caller tells the server).
    pub fn dismiss(self, job_id: &str) {
        store::remove();
        if self
            .shown
            .get_untracked()
            .is_some_and(|f| f.job_id == job_id)
        {
            self.set_shown(None);
        }
    }

    /// The failure was dealt with (its partial cluster is being deleted): the other tabs and
    /// later visits need not show it, this one keeps it until dismissed.
    pub fn resolved(self, job_id: &str) {
        if self
            .read_local_copy()
            .is_some_and(|c| c.failure.job_id == job_id)
        {
            store::remove();
        }
    }

    /// A provision succeeded: the last attempt no longer failed.
    pub fn clear_after_success(self) {
        store::remove();
        self.set_shown(None);
    }

    /// Another tab changed the local copy: show what it holds now.
    fn follow_local_copy(self) {
        let raw = store::read();
        match read_local(
            raw.as_deref(),
            &self.user.get_value(),
            super::clock::now_ms(),
        ) {
            LocalRead::Fresh(copy) => self.set_shown(Some(copy.failure)),
            LocalRead::Absent => self.set_shown(None),
            LocalRead::Discard => {
                store::remove();
                self.set_shown(None);
            }
            LocalRead::OtherUser => {}
        }
    }

    fn read_local_copy(self) -> Option<LocalCopy> {
        let raw = store::read();
        match read_local(
            raw.as_deref(),
            &self.user.get_value(),
            super::clock::now_ms(),
        ) {
            LocalRead::Fresh(copy) => Some(copy),
            LocalRead::Discard => {
                store::remove();
                None
            }
            LocalRead::Absent | LocalRead::OtherUser => None,
        }
    }

    fn apply(self, merged: Merged) {
        match merged.write {
            LocalWrite::Keep => {}
            LocalWrite::Save(copy) => store::write(&copy),
            LocalWrite::Remove => store::remove(),
        }
        self.set_shown(merged.shown);
    }

    fn set_shown(self, value: Option<FailedProvision>) {
        if self.shown.get_untracked() != value {
            self.shown.set(value);
        }
    }
}

/// The browser's localStorage; nothing on the server. Storage may be unavailable (privacy
/// settings, quota): then the local copy simply does not exist.
#[cfg(feature = "hydrate")]
mod store {
    use gloo_storage::{LocalStorage, Storage};

    use super::{LocalCopy, STORAGE_KEY};

    fn available() -> bool {
        leptos::web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .is_some()
    }

    pub fn read() -> Option<String> {
        if !available() {
            return None;
        }
        LocalStorage::raw().get_item(STORAGE_KEY).ok().flatten()
    }

    pub fn write(copy: &LocalCopy) {
        if available() {
            let _ = LocalStorage::set(STORAGE_KEY, copy);
        }
    }

    pub fn remove() {
        if available() {
            LocalStorage::delete(STORAGE_KEY);
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod store {
    use super::LocalCopy;

    pub fn read() -> Option<String> {
        None
    }

    pub fn write(_copy: &LocalCopy) {}

    pub fn remove() {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provisioning::model::{ProvisionRequest, TaskError};

    const NOW: i64 = 1_800_000_000_000;
    const MINUTE: i64 = 60_000;

    fn failure(job_id: &str, updated_at: i64) -> FailedProvision {
        FailedProvision {
            job_id: job_id.into(),
            task_id: format!("task-{job_id}"),
            status: JobStatus::Failed,
            phase: Some("arm_create_or_update".into()),
            error_code: Some("ErrCode_InsufficientVCPUQuota".into()),
            error_message: Some(
                "Insufficient regional vcpu quota left for location eastus.".into(),
            ),
            category: Some("quota".into()),
            cluster_name: "aks-demo".into(),
            region: "eastus".into(),
            resource_group: "rg-aks-dev".into(),
            subscription_id: "11111111-2222-3333-4444-555555555555".into(),
            portal_url: None,
            partial_cluster: None,
            created_at: updated_at - MINUTE,
            updated_at,
            request: None,
            raw_error: None,
            delete_blocked: None,
            fixes: vec![],
        }
    }

    fn copy(job_id: &str, updated_at: i64, confirmed: bool) -> LocalCopy {
        LocalCopy {
            user: "alice".into(),
            confirmed,
            failure: failure(job_id, updated_at),
        }
    }

    fn raw(copy: &LocalCopy) -> String {
        serde_json::to_string(copy).expect("a local copy serializes")
    }

    #[test]
    fn a_fresh_copy_of_the_same_user_is_read() {
        let c = copy("j1", NOW - 5 * MINUTE, false);
        assert_eq!(
            read_local(Some(&raw(&c)), "alice", NOW),
            LocalRead::Fresh(c)
        );
        assert_eq!(read_local(None, "alice", NOW), LocalRead::Absent);
    }

    #[test]
    fn a_malformed_copy_is_discarded() {
        for bad in [
            "",
            "{",
            "null",
            "42",
            r#"{"user":"alice"}"#,
            r#"{"failure":{}}"#,
        ] {
            assert_eq!(
                read_local(Some(bad), "alice", NOW),
                LocalRead::Discard,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_copy_older_than_a_day_is_discarded() {
        let just_in_time = copy("j1", NOW - MAX_AGE_MS, false);
        assert!(matches!(
            read_local(Some(&raw(&just_in_time)), "alice", NOW),
            LocalRead::Fresh(_)
        ));
        let stale = copy("j1", NOW - MAX_AGE_MS - 1, false);
        assert_eq!(
            read_local(Some(&raw(&stale)), "alice", NOW),
            LocalRead::Discard
        );
    }

    #[test]
    fn another_users_copy_is_neither_shown_nor_removed() {
        let c = copy("j1", NOW, false);
        assert_eq!(read_local(Some(&raw(&c)), "bob", NOW), LocalRead::OtherUser);
    }

    #[test]
    fn with_no_local_copy_the_servers_newest_becomes_the_local_copy() {
        let jobs = [failure("j2", NOW), failure("j1", NOW - MINUTE)];
        let m = merge("alice", None, ServerAnswer::Jobs(&jobs));
        assert_eq!(m.shown, Some(jobs[0].clone()));
        assert_eq!(
            m.write,
            LocalWrite::Save(LocalCopy {
                user: "alice".into(),
                confirmed: true,
                failure: jobs[0].clone()
            })
        );
        let m = merge("alice", None, ServerAnswer::Jobs(&[]));
        assert_eq!(
            m,
            Merged {
                shown: None,
                write: LocalWrite::Keep
            }
        );
    }

    #[test]
    fn the_server_wins_only_when_strictly_newer() {
        let local = copy("j1", NOW - MINUTE, false);
        let newer = [failure("j2", NOW)];
        let m = merge("alice", Some(&local), ServerAnswer::Jobs(&newer));
        assert_eq!(m.shown, Some(newer[0].clone()));
        assert!(
            matches!(m.write, LocalWrite::Save(ref c) if c.failure.job_id == "j2" && c.confirmed)
        );

        let same_time = [failure("j0", NOW - MINUTE)];
        let m = merge("alice", Some(&local), ServerAnswer::Jobs(&same_time));
        assert_eq!(
            m,
            Merged {
                shown: Some(local.failure.clone()),
                write: LocalWrite::Keep
            }
        );

        let older = [failure("j0", NOW - 2 * MINUTE)];
        let m = merge("alice", Some(&local), ServerAnswer::Jobs(&older));
        assert_eq!(
            m,
            Merged {
                shown: Some(local.failure.clone()),
                write: LocalWrite::Keep
            }
        );
    }

    #[test]
    fn when_the_server_cannot_answer_the_local_copy_stands() {
        let local = copy("j1", NOW, true);
        let m = merge("alice", Some(&local), ServerAnswer::Unavailable);
        assert_eq!(
            m,
            Merged {
                shown: Some(local.failure.clone()),
                write: LocalWrite::Keep
            }
        );
        let degraded = RecentFailures {
            jobs: vec![],
            degraded: true,
        };
        assert!(matches!(
            ServerAnswer::of(Some(&degraded)),
            ServerAnswer::Unavailable
        ));
        assert!(matches!(ServerAnswer::of(None), ServerAnswer::Unavailable));
        assert_eq!(
            merge("alice", None, ServerAnswer::Unavailable),
            Merged {
                shown: None,
                write: LocalWrite::Keep
            }
        );
    }

    #[test]
    fn a_local_copy_the_server_lists_is_marked_confirmed() {
        let local = copy("j1", NOW, false);
        let jobs = [failure("j1", NOW)];
        let m = merge("alice", Some(&local), ServerAnswer::Jobs(&jobs));
        assert_eq!(m.shown, Some(local.failure.clone()));
        assert_eq!(
            m.write,
            LocalWrite::Save(LocalCopy {
                confirmed: true,
                ..local.clone()
            })
        );
        let confirmed = copy("j1", NOW, true);
        assert_eq!(
            merge("alice", Some(&confirmed), ServerAnswer::Jobs(&jobs)).write,
            LocalWrite::Keep
        );
    }

    #[test]
    fn a_failure_dismissed_on_another_device_goes_once_the_server_stops_listing_it() {
        let local = copy("j1", NOW, true);
        let m = merge("alice", Some(&local), ServerAnswer::Jobs(&[]));
        assert_eq!(
            m,
            Merged {
                shown: None,
                write: LocalWrite::Remove
            }
        );

        let older = [failure("j0", NOW - MINUTE)];
        let m = merge("alice", Some(&local), ServerAnswer::Jobs(&older));
        assert_eq!(m.shown, Some(older[0].clone()));
    }

    #[test]
    fn a_failure_the_server_has_not_listed_yet_stands() {
        let local = copy("j1", NOW, false);
        let m = merge("alice", Some(&local), ServerAnswer::Jobs(&[]));
        assert_eq!(
            m,
            Merged {
                shown: Some(local.failure.clone()),
                write: LocalWrite::Keep
            }
        );
    }

    #[test]
    fn the_newer_failure_stays_when_this_tab_sees_one() {
        let shown = failure("j2", NOW);
        assert_eq!(recorded(None, shown.clone()), Some(shown.clone()));
        assert_eq!(recorded(Some(&shown), failure("j1", NOW - MINUTE)), None);
        assert_eq!(
            recorded(Some(&shown), failure("j3", NOW + MINUTE)).map(|f| f.job_id),
            Some("j3".into())
        );
        assert_eq!(recorded(Some(&shown), shown.clone()), None, "nothing new");
    }

    #[test]
    fn a_second_report_of_the_same_job_keeps_the_partial_cluster() {
        let mut first = failure("j1", NOW);
        first.partial_cluster = Some(PartialCluster {
            resource_id: "/x".into(),
            portal_url: "https://portal.azure.com/#resource/x".into(),
            last_state: Some("Creating".into()),
            abort_requested: false,
        });
        let mut second = failure("j1", NOW + 1);
        second.error_message = Some("Cancelled.".into());
        let kept = recorded(Some(&first), second).expect("the newer report is shown");
        assert_eq!(kept.partial_cluster, first.partial_cluster);
        assert_eq!(kept.error_message.as_deref(), Some("Cancelled."));
    }

    fn task(status: JobStatus, error: Option<TaskError>) -> TaskStatus {
        TaskStatus {
            task_id: "t1".into(),
            job_id: "j1".into(),
            status,
            ready: status.is_finished(),
            progress: None,
            error,
            result: None,
            request: ProvisionRequest {
                subscription_id: "11111111-2222-3333-4444-555555555555".into(),
                resource_group: "rg-aks-dev".into(),
                region: "koreacentral".into(),
                cluster_name: "aks-one".into(),
                node_sku: "Standard_D2s_v3".into(),
                node_count: 2,
                system_vm_size: "Standard_D2s_v3".into(),
                system_node_count: 1,
            },
            created_at: NOW - MINUTE,
            updated_at: NOW,
        }
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
        };
        let f = failure_from_task(&task(JobStatus::Failed, Some(error)), None).expect("a failure");
        assert_eq!(f.job_id, "j1");
        assert_eq!(f.error_code.as_deref(), Some("ZonalAllocationFailed"));
        assert_eq!(f.category.as_deref(), Some("allocation"));
        assert_eq!(f.cluster_name, "aks-one");
        assert_eq!(f.request.as_ref().map(|r| r.node_count), Some(2));
        assert_eq!(f.updated_at, NOW);
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
    fn running_and_succeeded_tasks_are_not_failures() {
        assert!(failure_from_task(&task(JobStatus::Running, None), None).is_none());
        assert!(failure_from_task(&task(JobStatus::Succeeded, None), None).is_none());
    }
}
