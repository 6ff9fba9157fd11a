//! When the page is the browser's: once every island of it is hydrated.
//!
//! Leptos' island script hydrates the islands one after the other, with an `await` between
//! two, so an effect of one island can run before the islands after it are hydrated. State that
//! changes as soon as the page is the browser's (what this browser's storage says, that the page
//! is hydrated) changes in the next task instead, after every island took over the server's HTML
//! as it was rendered (none of the page's islands is lazy). Changed earlier, a nested island
//! would find other DOM than its view expects.

use std::time::Duration;

use leptos::prelude::*;

/// Runs `f` in the browser once every island of the page is hydrated; never on the server.
pub fn once_hydrated(f: impl FnOnce() + 'static) {
    let f = std::cell::Cell::new(Some(f));
    Effect::new(move |_| {
        if let Some(f) = f.take() {
            set_timeout(f, Duration::ZERO);
        }
    });
}
