//! Where a component's view type is erased. On the server a deep view type overflows rustc's
//! query depth when the page is rendered asynchronously, so components erase it there; in the
//! browser every erased type would carry the whole `AnyView` machinery (async hydration
//! included) into the bundle, so the concrete type is kept.

use leptos::prelude::*;

/// The view itself in the browser; an `AnyView` on the server.
#[cfg(not(feature = "ssr"))]
pub fn erased_on_server<V: IntoView>(view: V) -> V {
    view
}

/// The view itself in the browser; an `AnyView` on the server.
#[cfg(feature = "ssr")]
pub fn erased_on_server<V: IntoView + 'static>(view: V) -> AnyView {
    view.into_any()
}
