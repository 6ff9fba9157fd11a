//! The long answers open on this server, by user, within their caps: event streams
//! (`MAX_STREAMS_PER_USER`, `MAX_STREAMS_PER_SERVER`) and history exports (2 per user, 8 per
//! server). A slot is taken when one starts and comes back when it ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::api_error::ApiError;
use crate::refusal::Refusal;

/// When a refused stream may be asked for again.
const STREAMS_RETRY_AFTER_SECONDS: u64 = 30;
/// When a refused export may be asked for again.
const EXPORTS_RETRY_AFTER_SECONDS: u64 = 10;

/// What the slots are for: it decides what a refusal says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Streams,
    Exports,
}

/// The event streams open on this server, by user, within their caps: one user's pages (or a
/// script that opens streams in a loop) cannot take the slots everyone shares.
#[derive(Clone)]
pub struct StreamSlots {
    inner: Arc<Slots>,
}

struct Slots {
    kind: Kind,
    per_user: usize,
    per_server: usize,
    open: Mutex<(usize, HashMap<String, usize>)>,
}

/// One open stream's slot, given back when the stream ends (the page went away).
pub struct StreamSlot {
    slots: Arc<Slots>,
    user: String,
}

impl StreamSlots {
    /// Event streams (open pages).
    pub fn new(per_user: usize, per_server: usize) -> Self {
        Self::of(Kind::Streams, per_user, per_server)
    }

    /// History exports: each reads the database a batch at a time while its client downloads.
    pub fn exports(per_user: usize, per_server: usize) -> Self {
        Self::of(Kind::Exports, per_user, per_server)
    }

    fn of(kind: Kind, per_user: usize, per_server: usize) -> Self {
        Self {
            inner: Arc::new(Slots {
                kind,
                per_user,
                per_server,
                open: Mutex::new((0, HashMap::new())),
            }),
        }
    }

    /// A slot for one more of `user`'s, or the 429 that says which cap is reached.
    pub fn take(&self, user: &str) -> Result<StreamSlot, ApiError> {
        let mut open = self.inner.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, by_user) = &mut *open;
        let mine = by_user.get(user).copied().unwrap_or(0);
        let kind = self.inner.kind;
        let refusal = if mine >= self.inner.per_user {
            Some(match kind {
                Kind::Streams => format!(
                    "You have {mine} dashboard pages receiving live updates on this server, the \
                     most allowed; close one, or reload this page later."
                ),
                Kind::Exports => format!(
                    "You have {mine} history exports downloading, the most allowed at once; let \
                     one finish, then try again."
                ),
            })
        } else if *total >= self.inner.per_server {
            Some(
                match kind {
                    Kind::Streams => {
                        "This server holds as many live dashboard pages as it may; try again soon."
                    }
                    Kind::Exports => {
                        "This server is sending as many history exports as it may; try again soon."
                    }
                }
                .to_owned(),
            )
        } else {
            None
        };
        if let Some(message) = refusal {
            let (reason, retry_after) = match kind {
                Kind::Streams => (Refusal::TooManyStreams, STREAMS_RETRY_AFTER_SECONDS),
                Kind::Exports => (Refusal::TooManyExports, EXPORTS_RETRY_AFTER_SECONDS),
            };
            return Err(ApiError::try_again(reason, message, retry_after));
        }
        *total += 1;
        *by_user.entry(user.to_owned()).or_default() += 1;
        Ok(StreamSlot {
            slots: self.inner.clone(),
            user: user.to_owned(),
        })
    }

    /// Streams open now: all users, and `user`'s.
    pub fn open(&self, user: &str) -> (usize, usize) {
        let open = self.inner.open.lock().unwrap_or_else(|e| e.into_inner());
        (open.0, open.1.get(user).copied().unwrap_or(0))
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, by_user) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(mine) = by_user.get_mut(&self.user) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                by_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_capped_per_user_and_per_server_and_slots_come_back() {
        let slots = StreamSlots::new(2, 3);
        let a1 = slots.take("ann").expect("first");
        let _a2 = slots.take("ann").expect("second");
        let refused = slots.take("ann").err().expect("third of one user");
        assert_eq!(refused.status, 429);
        assert!(refused.is(Refusal::TooManyStreams), "{refused:?}");
        assert_eq!(
            refused.retry_after_seconds,
            Some(STREAMS_RETRY_AFTER_SECONDS)
        );
        let _b1 = slots.take("bob").expect("another user");
        assert!(slots.take("cy").is_err(), "the server's cap");
        drop(a1);
        assert_eq!(slots.open("ann"), (2, 1));
        assert!(slots.take("cy").is_ok(), "a slot came back");
    }
}
