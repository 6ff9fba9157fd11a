//! The browser's localStorage, the one place that knows its keys: the local copy of the last
//! failure and the dismisses the server has not confirmed yet. Nothing on the server.
//! Storage may be unavailable (privacy settings, quota): then nothing is kept.

/// The local copy of the last failure. Versioned: a new shape gets a new key.
pub const LAST_FAILED_KEY: &str = "elb_last_failed_provision_v1";
/// Dismisses made while the server could not be reached, sent when it is back.
pub const PENDING_DISMISSES_KEY: &str = "elb_pending_dismisses_v1";

/// Whether a `storage` event (from another tab) concerns the last failure. `key` is `None` when
/// the other tab called `localStorage.clear()`.
pub fn concerns_us(key: Option<&str>) -> bool {
    key.is_none_or(|k| k == LAST_FAILED_KEY || k == PENDING_DISMISSES_KEY)
}

#[cfg(feature = "hydrate")]
mod browser {
    use gloo_storage::{LocalStorage, Storage};
    use serde::Serialize;

    fn available() -> bool {
        leptos::web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .is_some()
    }

    pub fn read(key: &str) -> Option<String> {
        if !available() {
            return None;
        }
        LocalStorage::raw().get_item(key).ok().flatten()
    }

    pub fn write<T: Serialize>(key: &str, value: &T) {
        if available() {
            let _ = LocalStorage::set(key, value);
        }
    }

    pub fn remove(key: &str) {
        if available() {
            LocalStorage::delete(key);
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use serde::Serialize;

    pub fn read(_key: &str) -> Option<String> {
        None
    }

    pub fn write<T: Serialize>(_key: &str, _value: &T) {}

    pub fn remove(_key: &str) {}
}

pub use browser::{read, remove, write};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_events_of_our_keys_or_a_clear_concern_us() {
        assert!(concerns_us(Some(LAST_FAILED_KEY)));
        assert!(concerns_us(Some(PENDING_DISMISSES_KEY)));
        assert!(concerns_us(None));
        assert!(!concerns_us(Some("something_else")));
    }
}
