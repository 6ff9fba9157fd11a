//! The dialog around the modal's screens: the focus kept inside, Escape and the backdrop, and
//! "Close this window?" while a create runs.

use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::html;
use leptos::prelude::*;

use super::Modal;
use crate::components::confirm::ConfirmPanel;

/// The dialog: backdrop, header, the close confirmation, and the screen (`children`, typed: the
/// modal is built in the browser only, and erased children would carry hydration code).
#[component]
pub(super) fn Dialog<V>(modal: Modal, children: TypedChildren<V>) -> impl IntoView
where
    V: IntoView + 'static,
{
    let children = children.into_inner();
    let confirm_close = modal.confirm_close;
    let dialog = NodeRef::<html::Div>::new();
    let on_keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            if confirm_close.get_untracked() {
                confirm_close.set(false);
            } else {
                modal.request_close();
            }
        }
        "Tab" => trap_focus(&ev, dialog),
        _ => {}
    };
    // A click that starts and ends on the backdrop closes (a text selection that ends there
    // does not).
    let pressed_on_backdrop = StoredValue::new(false);
    let on_backdrop_down =
        move |ev: MouseEvent| pressed_on_backdrop.set_value(ev.target() == ev.current_target());
    let on_backdrop_click = move |ev: MouseEvent| {
        if pressed_on_backdrop.get_value() && ev.target() == ev.current_target() {
            modal.request_close();
        }
    };
    let ask = move || {
        confirm_close.get().then(|| {
            view! {
                <ConfirmPanel
                    label="Close this window?"
                    confirm_label="Close window"
                    confirm_class="btn-primary"
                    confirm_testid="confirm-close"
                    cancel_label="Keep watching"
                    on_confirm=move |_| modal.close()
                    on_cancel=move |_| confirm_close.set(false)
                    alert=true
                    extra_class="confirm-close"
                >
                    "Close this window? Provisioning goes on in the background — you can follow it and stop it from the dashboard."
                </ConfirmPanel>
            }
        })
    };
    view! {
        <div class="modal-backdrop" on:mousedown=on_backdrop_down on:click=on_backdrop_click>
            <div
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby="provision-modal-title"
                aria-describedby="provision-modal-desc"
                data-testid="provision-modal"
                node_ref=dialog
                on:keydown=on_keydown
            >
                <header class="modal-header">
                    <div>
                        <h2 id="provision-modal-title" class="modal-title">
                            "Add an AKS cluster"
                        </h2>
                        <p id="provision-modal-desc" class="muted modal-desc">
                            "Checks run as you edit; nothing is created until you press Create."
                        </p>
                    </div>
                    <button
                        type="button"
                        class="btn btn-icon"
                        aria-label="Close"
                        on:click=move |_| modal.request_close()
                    >
                        "✕"
                    </button>
                </header>
                {ask}
                <div class="modal-body">{children()}</div>
            </div>
        </div>
    }
}

/// What Tab can reach inside the dialog.
#[cfg(feature = "hydrate")]
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), \
select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

/// Keeps Tab and Shift+Tab inside the dialog.
#[cfg(feature = "hydrate")]
fn trap_focus(ev: &KeyboardEvent, dialog: NodeRef<html::Div>) {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::HtmlElement;
    let Some(root) = dialog.get_untracked() else {
        return;
    };
    let Ok(list) = root.query_selector_all(FOCUSABLE) else {
        return;
    };
    let items: Vec<HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .filter(|e| e.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return;
    };
    let active = document().active_element();
    let is = |el: &HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == el.unchecked_ref::<leptos::web_sys::Element>())
    };
    let inside = active.as_ref().is_some_and(|a| root.contains(Some(a)));
    if ev.shift_key() && (is(first) || !inside) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && (is(last) || !inside) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

#[cfg(not(feature = "hydrate"))]
fn trap_focus(_ev: &KeyboardEvent, _dialog: NodeRef<html::Div>) {}
