//! Dismisses the server has not confirmed yet: made while it could not be reached, kept in the
//! browser (per user, for a day) so that their failures stay hidden on every load, and sent
//! until the server has them. Plain functions over the stored list, tested natively below.

use serde::{Deserialize, Serialize};

use super::rules::MAX_AGE_MS;

/// A Dismiss the server has not confirmed yet (it could not be reached). Kept in the browser,
/// it hides its failure on every load until the server has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDismiss {
    pub user: String,
    pub job_id: String,
    /// When the user pressed Dismiss (ms since epoch).
    pub at: i64,
}

/// The stored pending dismisses, all users': malformed storage counts as none, and one older than
/// a day goes (its failure is out of every window by then).
pub fn read_pending(raw: Option<&str>, now_ms: i64) -> Vec<PendingDismiss> {
    raw.and_then(|r| serde_json::from_slice::<Vec<PendingDismiss>>(r.as_bytes()).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| now_ms.saturating_sub(p.at) <= MAX_AGE_MS)
        .collect()
}

/// The job ids `user` dismissed and the server has not confirmed.
pub fn pending_of(list: &[PendingDismiss], user: &str) -> Vec<String> {
    list.iter()
        .filter(|p| p.user == user)
        .map(|p| p.job_id.clone())
        .collect()
}

/// `list` with `user`'s dismiss of `job_id` added (once).
pub fn with_pending(
    mut list: Vec<PendingDismiss>,
    user: &str,
    job_id: &str,
    now_ms: i64,
) -> Vec<PendingDismiss> {
    if !list.iter().any(|p| p.user == user && p.job_id == job_id) {
        list.push(PendingDismiss {
            user: user.to_owned(),
            job_id: job_id.to_owned(),
            at: now_ms,
        });
    }
    list
}

/// `list` without `user`'s dismiss of `job_id`.
pub fn without_pending(
    mut list: Vec<PendingDismiss>,
    user: &str,
    job_id: &str,
) -> Vec<PendingDismiss> {
    list.retain(|p| !(p.user == user && p.job_id == job_id));
    list
}

/// Whether a dismiss the server refused is worth sending again. A refusal that names the job
/// (unknown, another user's) never changes; anything else (no network, a server or storage that
/// is down) is sent again once the server is back.
pub fn send_again(error_code: &str) -> bool {
    use crate::refusal::Refusal::{Forbidden, InvalidRequest, NotFound, Unauthenticated};
    !matches!(
        crate::refusal::Refusal::parse(error_code),
        Some(NotFound | Forbidden | Unauthenticated | InvalidRequest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::NOW;

    fn raw<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).expect("serializes")
    }

    #[test]
    fn pending_dismisses_are_kept_per_user_and_for_a_day() {
        let list = with_pending(vec![], "alice", "j1", NOW - MAX_AGE_MS - 1);
        let list = with_pending(list, "alice", "j2", NOW);
        let list = with_pending(list, "alice", "j2", NOW);
        let list = with_pending(list, "bob", "j3", NOW);
        assert_eq!(list.len(), 4 - 1, "the same dismiss is kept once");
        let read = read_pending(Some(&raw(&list)), NOW);
        assert_eq!(pending_of(&read, "alice"), vec!["j2".to_owned()]);
        assert_eq!(pending_of(&read, "bob"), vec!["j3".to_owned()]);
        let read = without_pending(read, "alice", "j2");
        assert!(pending_of(&read, "alice").is_empty());
        assert_eq!(pending_of(&read, "bob"), vec!["j3".to_owned()]);
        for bad in [None, Some(""), Some("{}"), Some("[1]")] {
            assert!(read_pending(bad, NOW).is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn a_dismiss_is_sent_again_unless_the_server_refused_it_for_good() {
        use crate::refusal::Refusal;
        assert!(send_again(Refusal::Network.code()));
        assert!(send_again(Refusal::StorageUnavailable.code()));
        assert!(send_again(Refusal::Internal.code()));
        assert!(!send_again(Refusal::NotFound.code()));
        assert!(!send_again(Refusal::Forbidden.code()));
    }
}
