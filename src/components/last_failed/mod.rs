//! `LastFailed`: the newest failed provision of the signed-in user, as every surface of the page
//! shows it — the server's list first (R-1, and live through server push), a local copy for the
//! first paint while the server is slow or down, and the other tabs of this browser.
//!
//! [`rules`] and [`pending`] decide (plain functions, tested natively); [`store`] is the
//! browser's storage; this module applies the rules to a signal, and owns the two server
//! functions they need: the caller's recent failures, and Dismiss. The banner that shows it is
//! the card's (`cluster_card::LastFailedBanner`).

pub mod ending;
pub mod pending;
pub mod rules;
pub mod store;

use std::time::Duration;

use leptos::prelude::*;

use crate::api::failures::{dismiss_failed_provision, recent_failed_provisions};
use crate::components::clock::now_ms;
use crate::components::hydration::once_hydrated;
use crate::domain::{FailedProvision, ProvisionRequest, RecentFailures};
use ending::resolved_by_success;
pub use ending::{Ending, ending_of, failure_from_task, failure_request};
use pending::{pending_of, read_pending, send_again, with_pending, without_pending};
use rules::{LocalCopy, LocalRead, LocalWrite, ServerAnswer, merge, read_local, recorded};
use store::{LAST_FAILED_KEY, PENDING_DISMISSES_KEY};

/// What the dashboard asks `recent_failed_provisions` for.
pub const RECENT_HOURS: u32 = 24;
pub const RECENT_LIMIT: u32 = 10;
/// How soon a dismiss the server did not take is sent again.
const RESEND_AFTER: Duration = Duration::from_secs(5);

/// The last failure of the signed-in user, shared by every component of the page through
/// context. Cheap to copy.
#[derive(Clone, Copy)]
pub struct LastFailed {
    shown: RwSignal<Option<FailedProvision>>,
    tab: StoredValue<TabState>,
    /// How many of this page's reads of its recent failures have been answered (used or found
    /// stale): the page says it in `data-failures-read`, for tests to wait on.
    reads: RwSignal<u64>,
}

/// What this tab keeps besides the failure it shows (one stored value: each stored type costs
/// the browser bundle its own copy of the reactive machinery).
#[derive(Default)]
struct TabState {
    user: String,
    /// The number of the latest question to the server: an answer to an older one is stale.
    asked: u64,
    /// A failure whose card this tab keeps although it is resolved: the user is reading how the
    /// delete of its partial cluster went. It goes when they dismiss it.
    held: Option<String>,
    /// What would have been shown while the card was held (a newer failure): shown once the
    /// held card goes.
    deferred: Option<Option<FailedProvision>>,
    /// Dismisses on their way to the server, so none is sent twice at once.
    sending: Vec<String>,
    resend_planned: bool,
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
            tab: StoredValue::new(TabState {
                user,
                ..TabState::default()
            }),
            reads: RwSignal::new(0),
        }
    }

    /// How many reads of the recent failures have been answered (tracked).
    pub fn reads_answered(&self) -> u64 {
        self.reads.get()
    }

    /// The failure to show (tracked).
    pub fn get(&self) -> Option<FailedProvision> {
        self.shown.get()
    }

    /// In the browser, once every island is hydrated: merges the local copy with the server's
    /// answer the page was rendered with and sends the dismisses still pending; and follows the
    /// other tabs.
    pub fn attach(self, server: Option<RecentFailures>) {
        // Once every island is hydrated: until then the banner shows what the server rendered.
        once_hydrated(move || {
            if self.shown.is_disposed() {
                return;
            }
            self.apply_answer(server.as_ref());
            self.send_pending();
        });
        Effect::new(move |_| {
            let storage = window_event_listener(leptos::ev::storage, move |ev| {
                if store::concerns_us(ev.key().as_deref()) {
                    self.follow_other_tab();
                }
            });
            on_cleanup(move || storage.remove());
        });
    }

    /// Asks the server for the newest failures and shows what it lists.
    pub fn refresh_from_server(self) {
        let question = self.outdate_answers();
        leptos::task::spawn_local(async move {
            let answer = recent_failed_provisions(Some(RECENT_HOURS), Some(RECENT_LIMIT)).await;
            // Only the answer to the latest question counts: an older one may list what was
            // dismissed since.
            if self.tab.try_with_value(|t| t.asked) == Some(question) {
                self.apply_answer(answer.ok().as_ref());
            }
            self.reads.try_update(|n| *n += 1);
        });
    }

    /// Makes every answer on its way stale; the number of the next question.
    fn outdate_answers(self) -> u64 {
        let question = self.tab.with_value(|t| t.asked) + 1;
        self.tab.update_value(|t| t.asked = question);
        question
    }

    /// This tab saw a provision fail: show it and keep it for the other tabs and for reloads at
    /// once, then let the server's list (which has it by now) confirm it.
    pub fn record(self, failure: FailedProvision) {
        let current = self.shown.get_untracked();
        if self.pending().contains(&failure.job_id) {
            return;
        }
        if let Some(failure) = recorded(current.as_ref(), failure) {
            store::write(
                LAST_FAILED_KEY,
                &LocalCopy {
                    user: self.user(),
                    failure: failure.clone(),
                },
            );
            self.show(Some(failure));
        }
        self.refresh_from_server();
    }

    /// The user dismissed a failure: it goes at once, here and in the other tabs, and stays gone
    /// on reload even while the server cannot be reached; the server hears of it as soon as it
    /// can (then every device drops it).
    pub fn dismiss(self, job_id: &str) {
        let was_held = self.unhold(job_id);
        // An answer asked for before this Dismiss may still list the failure: it is stale.
        self.outdate_answers();
        let user = self.user();
        let pending = read_pending(store::read(PENDING_DISMISSES_KEY).as_deref(), now_ms());
        write_pending(&with_pending(pending, &user, job_id, now_ms()));
        self.forget(job_id);
        self.send_pending();
        if was_held {
            // While the card was held, a newer failure may have come: it shows now, and the
            // server's list says what else there is.
            let deferred = self
                .tab
                .try_update_value(|t| t.deferred.take())
                .flatten()
                .flatten()
                .filter(|f| f.job_id != job_id && !self.pending().contains(&f.job_id));
            if deferred.is_some() {
                self.show(deferred);
            }
            self.refresh_from_server();
        }
    }

    /// Another device dismissed a failure (or deleted its partial cluster).
    pub fn dismissed_elsewhere(self, job_id: &str) {
        self.forget(job_id);
        self.refresh_from_server();
    }

    /// The user is acting on this failure's card here (deleting its partial cluster): the card
    /// stays on this page while the server resolves the failure (and tells every device), until
    /// the user dismisses it or [`release`](Self::release)s it.
    pub fn hold(self, job_id: &str) {
        self.tab.update_value(|t| {
            t.held = Some(job_id.to_owned());
            t.deferred = None;
        });
    }

    /// The card no longer needs to stay (the action failed): the server's list decides again.
    pub fn release(self, job_id: &str) {
        if self.unhold(job_id) {
            self.tab.update_value(|t| t.deferred = None);
            self.refresh_from_server();
        }
    }

    /// A provision succeeded: the failure of that cluster, if shown, is resolved; a failure of
    /// another cluster stays.
    pub fn succeeded(self, request: &ProvisionRequest) {
        if let Some(f) = self
            .shown
            .get_untracked()
            .filter(|f| resolved_by_success(f, request))
        {
            self.forget(&f.job_id);
        }
        if let Some(c) = self
            .local_copy()
            .filter(|c| resolved_by_success(&c.failure, request))
        {
            self.forget(&c.failure.job_id);
        }
        self.refresh_from_server();
    }

    /// Sends the dismisses the server has not confirmed; those it could not take are sent again
    /// a little later, until it does.
    pub fn send_pending(self) {
        let user = self.user();
        for job_id in self.pending() {
            let already = self.tab.with_value(|t| t.sending.contains(&job_id));
            if already {
                continue;
            }
            self.tab.update_value(|t| t.sending.push(job_id.clone()));
            let user = user.clone();
            leptos::task::spawn_local(async move {
                let answer = dismiss_failed_provision(job_id.clone()).await;
                if self
                    .tab
                    .try_update_value(|t| t.sending.retain(|j| j != &job_id))
                    .is_none()
                {
                    return;
                }
                match answer {
                    Err(e) if send_again(&e.code) => self.plan_resend(),
                    // Taken, or refused for good (an unknown job): no longer pending.
                    _ => {
                        let pending =
                            read_pending(store::read(PENDING_DISMISSES_KEY).as_deref(), now_ms());
                        write_pending(&without_pending(pending, &user, &job_id));
                    }
                }
            });
        }
    }

    fn plan_resend(self) {
        if self.tab.with_value(|t| t.resend_planned) {
            return;
        }
        self.tab.update_value(|t| t.resend_planned = true);
        set_timeout(
            move || {
                // Gone with the page: nothing to send from here.
                if self
                    .tab
                    .try_update_value(|t| t.resend_planned = false)
                    .is_none()
                {
                    return;
                }
                self.send_pending();
            },
            RESEND_AFTER,
        );
    }

    /// Applies the merge rule to the local copy, the pending dismisses and a server answer.
    fn apply_answer(self, server: Option<&RecentFailures>) {
        let user = self.user();
        let local = self.local_copy();
        let merged = merge(
            &user,
            local.as_ref(),
            &self.pending(),
            ServerAnswer::of(server),
        );
        match merged.write {
            LocalWrite::Keep => {}
            LocalWrite::Save(copy) => store::write(LAST_FAILED_KEY, &copy),
            LocalWrite::Remove => store::remove(LAST_FAILED_KEY),
        }
        self.show(merged.shown);
    }

    /// Another tab changed the local copy or the pending dismisses, or cleared the storage. What
    /// it adds shows at once: a dismiss it made, a failure it saw that is newer than the one
    /// shown. What it takes away is not taken on its word — a cleared storage says nothing of the
    /// server's list — so the server is asked, and its list decides (R-2 with R-1).
    fn follow_other_tab(self) {
        let pending = self.pending();
        if self
            .shown
            .get_untracked()
            .is_some_and(|f| pending.contains(&f.job_id))
        {
            self.show(None);
        }
        let seen_there = self
            .local_copy()
            .map(|c| c.failure)
            .filter(|f| !pending.contains(&f.job_id))
            .and_then(|f| recorded(self.shown.get_untracked().as_ref(), f));
        if seen_there.is_some() {
            self.show(seen_there);
        }
        self.refresh_from_server();
    }

    /// Takes a failure off this page (unless its card is held) and out of the local copy.
    fn forget(self, job_id: &str) {
        if self
            .local_copy()
            .is_some_and(|c| c.failure.job_id == job_id)
        {
            store::remove(LAST_FAILED_KEY);
        }
        if self
            .shown
            .get_untracked()
            .is_some_and(|f| f.job_id == job_id)
        {
            self.show(None);
        }
    }

    fn user(self) -> String {
        self.tab.with_value(|t| t.user.clone())
    }

    /// Lets a held card go; whether it was held. What was deferred meanwhile stays for the
    /// caller to show.
    fn unhold(self, job_id: &str) -> bool {
        self.tab
            .try_update_value(|t| {
                let held = t.held.as_deref() == Some(job_id);
                if held {
                    t.held = None;
                }
                held
            })
            .unwrap_or(false)
    }

    /// The local copy, read by the freshness rule (a malformed or stale one is removed).
    fn local_copy(self) -> Option<LocalCopy> {
        let raw = store::read(LAST_FAILED_KEY);
        match read_local(raw.as_deref(), &self.user(), now_ms()) {
            LocalRead::Fresh(copy) => Some(copy),
            LocalRead::Discard => {
                store::remove(LAST_FAILED_KEY);
                None
            }
            LocalRead::Absent | LocalRead::OtherUser => None,
        }
    }

    /// The job ids this user dismissed here and the server has not confirmed.
    fn pending(self) -> Vec<String> {
        let list = read_pending(store::read(PENDING_DISMISSES_KEY).as_deref(), now_ms());
        pending_of(&list, &self.user())
    }

    /// Shows `value`; while this tab holds a resolved card on screen, `value` waits until the
    /// card goes (the newest of what came meanwhile).
    fn show(self, value: Option<FailedProvision>) {
        let Some(current) = self.shown.try_get_untracked() else {
            return;
        };
        let held = self.tab.with_value(|t| t.held.clone());
        if held.is_some() && current.as_ref().map(|f| &f.job_id) == held.as_ref() {
            if value.as_ref().map(|f| &f.job_id) != held.as_ref() {
                self.tab.update_value(|t| t.deferred = Some(value));
            }
            return;
        }
        if current != value {
            self.shown.set(value);
        }
    }
}

fn write_pending(list: &[pending::PendingDismiss]) {
    if list.is_empty() {
        store::remove(PENDING_DISMISSES_KEY);
    } else {
        store::write(PENDING_DISMISSES_KEY, &list);
    }
}
