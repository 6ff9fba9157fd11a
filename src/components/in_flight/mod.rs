//! `InFlight`: the signed-in user's provisions as the dashboard follows them live — which are
//! queued or running (from any tab, device or API client), and what the page does when one
//! ends: a failure becomes the last failure, a success resolves the failure of its cluster only,
//! a plain cancel is a passing notice, and a hidden page gets a browser notification.
//!
//! It reads what the server's events name (see `live`); nothing here polls. The banners that
//! show it are [`InFlightBanners`] (`banners.rs`), each with its [`StopControl`] (`stop.rs`)
//! and the steps and facts of `progress.rs`.

mod banners;
pub mod progress;
mod stop;

pub use banners::InFlightBanners;
pub use stop::StopControl;

use std::time::Duration;

use leptos::prelude::*;

use crate::api::tasks::{active_provisions, get_task_status};
use crate::components::last_failed::{Ending, LastFailed, ending_of};
use crate::components::notify;
use crate::domain::{CancelOutcome, PartialCluster, ProvisionRequest, TaskStatus};
use crate::events::DashboardEvent;
use crate::refusal::Refusal;

/// How long a passing notice stays.
const NOTICE_FOR: Duration = Duration::from_secs(15);
/// How many ended tasks the page remembers, so that an end reported twice is handled once.
const REMEMBERED_ENDS: usize = 64;

/// A one-line notice that goes by itself, e.g. a provision stopped before Azure had anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassingNotice {
    pub task_id: String,
    pub text: String,
}

/// The text of the notice for a provision stopped before Azure created anything.
pub fn cancelled_cleanly_text(request: &ProvisionRequest) -> String {
    format!(
        "Creating {} was stopped before Azure created anything; nothing is left in {}.",
        request.cluster_name, request.resource_group
    )
}

/// The notice for another user's provision that ended (an admin follows everyone's).
pub fn others_end_text(task: &TaskStatus) -> String {
    use crate::domain::JobStatus;
    let who = task.owner_name.as_deref().unwrap_or(&task.owner_id);
    let how = match task.status {
        JobStatus::Succeeded => "is ready",
        JobStatus::Failed => "failed",
        JobStatus::Cancelled => "was stopped",
        _ => "ended",
    };
    format!("{who}'s cluster {} {how}.", task.request.cluster_name)
}

/// `list` with `task` in it: replaced in place when known and not older than what is shown,
/// else first (the list is newest first).
pub fn upsert(list: &[TaskStatus], task: TaskStatus) -> Vec<TaskStatus> {
    let mut list = list.to_vec();
    match list.iter_mut().find(|t| t.task_id == task.task_id) {
        Some(known) if task.updated_at >= known.updated_at => *known = task,
        Some(_) => {}
        None => list.insert(0, task),
    }
    list
}

/// The in-flight provisions of the page and what happens at their end. Cheap to copy.
#[derive(Clone, Copy)]
pub struct InFlight {
    active: RwSignal<Vec<TaskStatus>>,
    /// Tasks the user stopped, with the partial cluster the cancel reported.
    stopped: RwSignal<Vec<(String, Option<PartialCluster>)>>,
    handled: StoredValue<Vec<String>>,
    notice: RwSignal<Option<PassingNotice>>,
    last_failed: LastFailed,
    /// The signed-in user's id: only their own provisions' ends become their last failure (an
    /// admin also follows everyone else's).
    viewer: StoredValue<String>,
}

impl InFlight {
    /// Starts from what the server rendered the page with, for the user `viewer`.
    pub fn new(in_flight: Vec<TaskStatus>, last_failed: LastFailed, viewer: String) -> Self {
        Self {
            active: RwSignal::new(in_flight),
            stopped: RwSignal::new(Vec::new()),
            handled: StoredValue::new(Vec::new()),
            notice: RwSignal::new(None),
            last_failed,
            viewer: StoredValue::new(viewer),
        }
    }

    /// Whether `task` is another user's (an admin follows everyone's).
    pub fn is_others(self, task: &TaskStatus) -> bool {
        !task.owner_id.is_empty() && self.viewer.with_value(|v| *v != task.owner_id)
    }

    /// The queued and running provisions, newest first (tracked).
    pub fn active(self) -> Signal<Vec<TaskStatus>> {
        self.active.into()
    }

    /// The ids of the queued and running provisions, newest first (tracked).
    pub fn ids(self) -> Vec<String> {
        self.active
            .with(|list| list.iter().map(|t| t.task_id.clone()).collect())
    }

    /// One queued or running provision as last read (tracked); `None` once it has left.
    pub fn task(self, task_id: &str) -> Option<TaskStatus> {
        self.active
            .with(|list| list.iter().find(|t| t.task_id == task_id).cloned())
    }

    /// Whether the user pressed Stop on this task (tracked).
    pub fn is_stopping(self, task_id: &str) -> bool {
        self.stopped.with(|s| s.iter().any(|(id, _)| id == task_id))
    }

    /// The passing notice on screen, if any (tracked).
    pub fn notice(self) -> Option<PassingNotice> {
        self.notice.get()
    }

    pub fn close_notice(self) {
        self.notice.set(None);
    }

    /// What an event means for the provisions and the last failure.
    pub fn on_event(self, event: &DashboardEvent) {
        match event {
            DashboardEvent::TaskProgress { task_id }
            | DashboardEvent::TaskEnded { task_id, .. } => self.read_task(task_id.clone()),
            DashboardEvent::FailureRecorded { .. } => {
                self.last_failed.refresh_from_server();
                // A job failed by the runner's safety nets ends without a task event.
                self.read_all();
            }
            DashboardEvent::FailureDismissed { job_id } => {
                self.last_failed.dismissed_elsewhere(job_id)
            }
            DashboardEvent::Resync => {
                self.read_all();
                self.last_failed.refresh_from_server();
                self.last_failed.send_pending();
            }
            DashboardEvent::ClustersChanged | DashboardEvent::ApprovalsChanged => {}
        }
    }

    /// This tab started a provision.
    pub fn started(self, task_id: String) {
        self.read_task(task_id);
    }

    /// The user pressed Stop and the server answered.
    pub fn stopped(self, outcome: CancelOutcome) {
        self.stopped.update(|s| {
            s.retain(|(id, _)| id != &outcome.task_id);
            s.push((outcome.task_id.clone(), outcome.partial_cluster.clone()));
        });
        self.read_task(outcome.task_id);
    }

    /// Reads the whole list again; a task that left it has ended, and is read to learn how.
    pub fn read_all(self) {
        leptos::task::spawn_local(async move {
            let Ok(list) = active_provisions().await else {
                return;
            };
            let Some(known) = self.active.try_get_untracked() else {
                return;
            };
            for gone in known
                .iter()
                .filter(|k| !list.iter().any(|t| t.task_id == k.task_id))
            {
                self.read_task(gone.task_id.clone());
            }
            // The server's list, where this page does not already know a newer state (or the end).
            let handled = self.handled.get_value();
            let fresh: Vec<TaskStatus> = list
                .into_iter()
                .filter(|t| !handled.contains(&t.task_id))
                .map(|t| {
                    known
                        .iter()
                        .find(|k| k.task_id == t.task_id && k.updated_at > t.updated_at)
                        .cloned()
                        .unwrap_or(t)
                })
                .collect();
            if known != fresh {
                self.active.set(fresh);
            }
        });
    }

    /// Reads one task: still running, it is shown as it is now; ended, its end is handled.
    pub fn read_task(self, task_id: String) {
        leptos::task::spawn_local(async move {
            match get_task_status(task_id.clone()).await {
                Ok(task) if task.status.is_finished() => self.ended(task),
                Ok(task) => {
                    if self.handled.try_with_value(|h| h.contains(&task.task_id)) == Some(false) {
                        self.active.update(|list| *list = upsert(list, task));
                    }
                }
                Err(e) if e.is(Refusal::NotFound) || e.is(Refusal::Forbidden) => {
                    self.drop_task(&task_id)
                }
                Err(_) => {}
            }
        });
    }

    fn ended(self, task: TaskStatus) {
        let first_report = self
            .handled
            .try_update_value(|h| {
                if h.contains(&task.task_id) {
                    return false;
                }
                if h.len() >= REMEMBERED_ENDS {
                    h.remove(0);
                }
                h.push(task.task_id.clone());
                true
            })
            .unwrap_or(false);
        if first_report && self.is_others(&task) {
            self.pass_notice(PassingNotice {
                task_id: task.task_id.clone(),
                text: others_end_text(&task),
            });
        } else if first_report {
            let partial = self.stopped.with_untracked(|s| {
                s.iter()
                    .find(|(id, _)| id == &task.task_id)
                    .and_then(|(_, p)| p.clone())
            });
            match ending_of(&task, partial) {
                Some(Ending::Succeeded(request)) => self.last_failed.succeeded(&request),
                Some(Ending::Failed(failure)) => self.last_failed.record(failure),
                Some(Ending::CancelledCleanly(request)) => self.pass_notice(PassingNotice {
                    task_id: task.task_id.clone(),
                    text: cancelled_cleanly_text(&request),
                }),
                None => {}
            }
            if let Some(n) = notify::provision_ended(&task) {
                notify::show_if_hidden(&n);
            }
        }
        self.drop_task(&task.task_id);
    }

    fn drop_task(self, task_id: &str) {
        self.stopped.update(|s| s.retain(|(id, _)| id != task_id));
        if self
            .active
            .with_untracked(|a| a.iter().any(|t| t.task_id == task_id))
        {
            self.active.update(|a| a.retain(|t| t.task_id != task_id));
        }
    }

    fn pass_notice(self, notice: PassingNotice) {
        let task_id = notice.task_id.clone();
        self.notice.set(Some(notice));
        set_timeout(
            move || {
                let still = self
                    .notice
                    .try_with_untracked(|n| n.as_ref().is_some_and(|n| n.task_id == task_id));
                if still == Some(true) {
                    self.notice.set(None);
                }
            },
            NOTICE_FOR,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures;
    use crate::domain::JobStatus;

    fn task(id: &str, updated_at: i64) -> TaskStatus {
        TaskStatus {
            task_id: id.into(),
            updated_at,
            ..fixtures::task(JobStatus::Running, None)
        }
    }

    #[test]
    fn a_new_task_comes_first_and_a_known_one_is_replaced_in_place() {
        let list = vec![task("a", 10), task("b", 10)];
        let list = upsert(&list, task("c", 5));
        assert_eq!(
            list.iter().map(|t| t.task_id.as_str()).collect::<Vec<_>>(),
            ["c", "a", "b"]
        );
        let list = upsert(&list, task("b", 20));
        assert_eq!(list[2].updated_at, 20);
        assert_eq!(list.len(), 3);
    }

    #[test]
    fn an_answer_older_than_what_is_shown_does_not_win() {
        let list = vec![task("a", 20)];
        assert_eq!(upsert(&list, task("a", 10))[0].updated_at, 20);
    }

    #[test]
    fn another_users_end_names_them_and_how_it_ended() {
        let mut t = fixtures::task(JobStatus::Failed, None);
        t.owner_id = "0000-oid".into();
        t.owner_name = Some("Otto Operator".into());
        assert_eq!(
            others_end_text(&t),
            "Otto Operator's cluster aks-one failed."
        );
        t.owner_name = None;
        t.status = JobStatus::Succeeded;
        assert_eq!(others_end_text(&t), "0000-oid's cluster aks-one is ready.");
    }

    #[test]
    fn a_plain_cancel_says_nothing_is_left() {
        let request = ProvisionRequest {
            cluster_name: "aks-one".into(),
            resource_group: "rg-aks-dev".into(),
            ..ProvisionRequest::default()
        };
        let text = cancelled_cleanly_text(&request);
        assert!(text.contains("aks-one") && text.contains("nothing is left in rg-aks-dev"));
    }
}
