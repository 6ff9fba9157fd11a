//! The rules of the last failure, as plain functions: which failure the banner shows, what the
//! local copy becomes, and what a dismiss made while the server is away turns into (what the
//! end of a provision means for the banner is `ending.rs`). No signals, no browser: tested
//! natively below.
//!
//! One time field orders failures and says whether one is recent enough: `created_at`, the
//! moment the attempt was made. The server windows and sorts by it (its index is on it, and a
//! later success supersedes by it); it never changes after the row is written, whereas
//! `updated_at` moves with every progress write, lease renewal and dismiss.

use serde::{Deserialize, Serialize};

#[cfg(test)]
use crate::domain::PartialCluster;
use crate::domain::{FailedProvision, RecentFailures};

/// A failure older than this is no longer "the last attempt" (the server's window is the same).
pub const MAX_AGE_MS: i64 = 24 * 60 * 60 * 1000;

/// The local copy of the last failure, as stored in the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalCopy {
    /// Whose failure it is: a browser can be shared by several signed-in users.
    pub user: String,
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

/// The freshness rule, applied to the raw stored value.
pub fn read_local(raw: Option<&str>, user: &str, now_ms: i64) -> LocalRead {
    let Some(raw) = raw else {
        return LocalRead::Absent;
    };
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
    now_ms.saturating_sub(failure.created_at) <= MAX_AGE_MS
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

/// One source of truth. Once the server has answered, the banner shows the newest failure it
/// lists (less the ones dismissed here and not yet confirmed), and that becomes the local copy;
/// a local copy the server does not list was dismissed elsewhere or superseded, and goes. Without
/// an answer the local copy stands, unless it was dismissed here.
pub fn merge(
    user: &str,
    local: Option<&LocalCopy>,
    dismissed: &[String],
    server: ServerAnswer<'_>,
) -> Merged {
    let is_dismissed = |f: &FailedProvision| dismissed.contains(&f.job_id);
    let ServerAnswer::Jobs(jobs) = server else {
        return match local {
            Some(l) if is_dismissed(&l.failure) => Merged {
                shown: None,
                write: LocalWrite::Remove,
            },
            _ => Merged {
                shown: local.map(|l| l.failure.clone()),
                write: LocalWrite::Keep,
            },
        };
    };
    let shown = jobs.iter().find(|j| !is_dismissed(j)).cloned();
    let write = match (&shown, local) {
        (Some(s), Some(l)) if &l.failure == s => LocalWrite::Keep,
        (Some(s), _) => LocalWrite::Save(LocalCopy {
            user: user.to_owned(),
            failure: s.clone(),
        }),
        (None, Some(_)) => LocalWrite::Remove,
        (None, None) => LocalWrite::Keep,
    };
    Merged { shown, write }
}

/// What to show when this tab sees a failure before the server's list says so: the newer
/// attempt stays. A second report of the same job keeps the partial cluster an earlier one knew
/// of. `None`: nothing changes.
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
            if incoming.delete_blocked.is_none() {
                incoming.delete_blocked = c.delete_blocked.clone();
            }
            (c != &incoming).then_some(incoming)
        }
        Some(c) => (incoming.created_at >= c.created_at).then_some(incoming),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::{MINUTE, NOW, failure};

    fn copy(job_id: &str, created_at: i64) -> LocalCopy {
        LocalCopy {
            user: "alice".into(),
            failure: failure(job_id, created_at),
        }
    }

    fn raw<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).expect("serializes")
    }

    fn saved(f: &FailedProvision) -> LocalWrite {
        LocalWrite::Save(LocalCopy {
            user: "alice".into(),
            failure: f.clone(),
        })
    }

    #[test]
    fn a_fresh_copy_of_the_same_user_is_read() {
        let c = copy("j1", NOW - 5 * MINUTE);
        assert_eq!(
            read_local(Some(&raw(&c)), "alice", NOW),
            LocalRead::Fresh(c)
        );
        assert_eq!(read_local(None, "alice", NOW), LocalRead::Absent);
    }

    #[test]
    fn a_copy_written_before_this_version_is_still_read() {
        // Copies used to carry a `confirmed` flag: unknown fields are ignored.
        let mut value = serde_json::to_value(copy("j1", NOW)).expect("serializes");
        value["confirmed"] = serde_json::Value::Bool(true);
        assert!(matches!(
            read_local(Some(&value.to_string()), "alice", NOW),
            LocalRead::Fresh(_)
        ));
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
    fn freshness_counts_from_when_the_attempt_was_made() {
        let just_in_time = copy("j1", NOW - MAX_AGE_MS);
        assert!(matches!(
            read_local(Some(&raw(&just_in_time)), "alice", NOW),
            LocalRead::Fresh(_)
        ));
        // Ended recently, but made more than a day ago: out of the server's window, out here.
        let mut stale = copy("j1", NOW - MAX_AGE_MS - 1);
        stale.failure.updated_at = NOW - MINUTE;
        assert_eq!(
            read_local(Some(&raw(&stale)), "alice", NOW),
            LocalRead::Discard
        );
    }

    #[test]
    fn another_users_copy_is_neither_shown_nor_removed() {
        let c = copy("j1", NOW);
        assert_eq!(read_local(Some(&raw(&c)), "bob", NOW), LocalRead::OtherUser);
    }

    #[test]
    fn the_servers_newest_is_shown_and_becomes_the_local_copy() {
        let jobs = [failure("j2", NOW), failure("j1", NOW - MINUTE)];
        let m = merge("alice", None, &[], ServerAnswer::Jobs(&jobs));
        assert_eq!(m.shown, Some(jobs[0].clone()));
        assert_eq!(m.write, saved(&jobs[0]));

        // Already the local copy: nothing to write (no storage event for the other tabs).
        let local = LocalCopy {
            user: "alice".into(),
            failure: jobs[0].clone(),
        };
        let m = merge("alice", Some(&local), &[], ServerAnswer::Jobs(&jobs));
        assert_eq!(m.write, LocalWrite::Keep);
    }

    #[test]
    fn what_the_server_lists_wins_over_a_newer_local_copy() {
        // The laptop watched j2 fail; the tablet dismissed it; the server lists only j1 now.
        let local = copy("j2", NOW);
        let listed = [failure("j1", NOW - 10 * MINUTE)];
        let m = merge("alice", Some(&local), &[], ServerAnswer::Jobs(&listed));
        assert_eq!(m.shown, Some(listed[0].clone()));
        assert_eq!(m.write, saved(&listed[0]));
    }

    #[test]
    fn a_local_copy_the_server_does_not_list_goes() {
        // Dismissed on another device, or superseded by a success of its cluster.
        let local = copy("j1", NOW);
        let m = merge("alice", Some(&local), &[], ServerAnswer::Jobs(&[]));
        assert_eq!(
            m,
            Merged {
                shown: None,
                write: LocalWrite::Remove
            }
        );
        assert_eq!(
            merge("alice", None, &[], ServerAnswer::Jobs(&[])),
            Merged {
                shown: None,
                write: LocalWrite::Keep
            }
        );
    }

    #[test]
    fn a_newer_answer_of_the_same_job_refreshes_the_local_copy() {
        let local = copy("j1", NOW);
        let mut listed = failure("j1", NOW);
        listed.delete_blocked = Some("Created again since.".into());
        let m = merge(
            "alice",
            Some(&local),
            &[],
            ServerAnswer::Jobs(std::slice::from_ref(&listed)),
        );
        assert_eq!(m.write, saved(&listed));
    }

    #[test]
    fn when_the_server_cannot_answer_the_local_copy_stands() {
        let local = copy("j1", NOW);
        let m = merge("alice", Some(&local), &[], ServerAnswer::Unavailable);
        assert_eq!(
            m,
            Merged {
                shown: Some(local.failure.clone()),
                write: LocalWrite::Keep
            }
        );
        let degraded = RecentFailures {
            jobs: vec![failure("j9", NOW)],
            degraded: true,
        };
        assert!(matches!(
            ServerAnswer::of(Some(&degraded)),
            ServerAnswer::Unavailable
        ));
        assert!(matches!(ServerAnswer::of(None), ServerAnswer::Unavailable));
        assert_eq!(
            merge("alice", None, &[], ServerAnswer::Unavailable),
            Merged {
                shown: None,
                write: LocalWrite::Keep
            }
        );
    }

    #[test]
    fn a_pending_dismiss_hides_its_failure_whatever_the_server_says() {
        let dismissed = vec!["j2".to_owned()];
        let jobs = [failure("j2", NOW), failure("j1", NOW - MINUTE)];
        // The server has not heard of the dismiss yet: the next failure shows.
        let m = merge("alice", None, &dismissed, ServerAnswer::Jobs(&jobs));
        assert_eq!(m.shown, Some(jobs[1].clone()));
        // The server is away: the local copy, dismissed here, does not come back.
        let local = copy("j2", NOW);
        let m = merge("alice", Some(&local), &dismissed, ServerAnswer::Unavailable);
        assert_eq!(
            m,
            Merged {
                shown: None,
                write: LocalWrite::Remove
            }
        );
    }

    #[test]
    fn the_attempt_made_last_stays_when_this_tab_sees_one() {
        let shown = failure("j2", NOW);
        assert_eq!(recorded(None, shown.clone()), Some(shown.clone()));
        // Made earlier, even if it ended later: not the last attempt.
        let mut earlier = failure("j1", NOW - MINUTE);
        earlier.updated_at = NOW + 10 * MINUTE;
        assert_eq!(recorded(Some(&shown), earlier), None);
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
        let mut second = failure("j1", NOW);
        second.error_message = Some("Cancelled.".into());
        let kept = recorded(Some(&first), second).expect("the newer report is shown");
        assert_eq!(kept.partial_cluster, first.partial_cluster);
        assert_eq!(kept.error_message.as_deref(), Some("Cancelled."));
    }
}
