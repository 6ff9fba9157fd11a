//! The dialog around the modal's screens: the focus (first field on open, kept inside, back to
//! the opener on close), Escape and the backdrop, and "Close this window?" while a create runs.

use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::html;
use leptos::prelude::*;

use super::form::{self, FIELD_ORDER, focus_field};
use super::{Modal, creating};
use crate::components::confirm_panel::ConfirmMarkup;
use crate::components::erase::erased_on_server;
use crate::components::markup::{Clicked, Html, Place, Slot, keep_drawn};

/// The dialog, with an empty body the screens are drawn into. Its listeners take the events of
/// every screen's markup: the buttons by their `data-action`, and the form's submit, edits and
/// focus.
pub(super) fn dialog(modal: Modal) -> impl IntoView {
    let confirm_close = modal.confirm_close;
    let close = move || modal.close();
    let request_close = move || modal.request_close();
    let dialog_ref = NodeRef::<html::Div>::new();

    // Focus: the first field on open, kept inside the dialog, back to the opener on close.
    let opener = StoredValue::new_local(None::<leptos::web_sys::Element>);
    Effect::new(move |_| {
        opener.set_value(document().active_element());
        request_animation_frame(|| focus_field(FIELD_ORDER[0]));
    });
    on_cleanup(move || restore_focus(opener));

    let on_keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            if confirm_close.get_untracked() {
                confirm_close.set(false);
            } else {
                request_close();
            }
        }
        "Tab" => trap_focus(&ev, dialog_ref),
        _ => {}
    };
    let pressed_on_backdrop = StoredValue::new(false);
    let on_backdrop_down =
        move |ev: MouseEvent| pressed_on_backdrop.set_value(ev.target() == ev.current_target());
    let on_backdrop_click = move |ev: MouseEvent| {
        if pressed_on_backdrop.get_value() && ev.target() == ev.current_target() {
            request_close();
        }
    };

    // The header and "Close this window?" are markup; one listener takes their buttons.
    let confirm_slot = Slot::new();
    keep_drawn(
        Place::Slot(confirm_slot),
        Box::new(move || confirm_close_markup(confirm_close.get())),
    );
    let on_click = move |ev: MouseEvent| {
        if let Some(clicked) = Clicked::of(&ev) {
            match clicked.action.as_str() {
                "dialog-close" | "form-cancel" | "creating-close" => request_close(),
                "dialog-close-confirmed" | "ended-close" => close(),
                "dialog-keep-open" => confirm_close.set(false),
                "fix" => form::on_fix(modal, &clicked),
                _ => creating::on_click(modal, &clicked),
            }
        }
    };

    erased_on_server(view! {
        <div class="modal-backdrop" on:mousedown=on_backdrop_down on:click=on_backdrop_click>
            <div
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby="provision-modal-title"
                aria-describedby="provision-modal-desc"
                data-testid="provision-modal"
                node_ref=dialog_ref
                on:keydown=on_keydown
                on:click=on_click
                on:submit=move |ev| form::on_submit(modal, ev)
                on:input=move |ev| form::on_input(modal, &ev)
                on:change=move |ev| form::on_change(modal, &ev)
                on:focusout=move |ev| form::on_focusout(modal, &ev)
            >
                <header class="modal-header" inner_html=header_markup()></header>
                <div class="notice-slot" node_ref=confirm_slot></div>
                <div class="modal-body" node_ref=modal.body></div>
            </div>
        </div>
    })
}

/// The inside of the dialog's header: its title, what it does, and Close.
fn header_markup() -> String {
    let mut h = Html::new();
    h.start("div")
        .end()
        .element(
            "h2",
            &[("id", "provision-modal-title"), ("class", "modal-title")],
            "Add an AKS cluster",
        )
        .element(
            "p",
            &[
                ("id", "provision-modal-desc"),
                ("class", "muted modal-desc"),
            ],
            "Checks run as you edit; nothing is created until you press Create.",
        )
        .close("div")
        .element(
            "button",
            &[
                ("type", "button"),
                ("class", "btn btn-icon"),
                ("aria-label", "Close"),
                ("data-action", "dialog-close"),
            ],
            "✕",
        );
    h.finish()
}

/// "Close this window?", asked while a create starts or runs; nothing when not asked.
fn confirm_close_markup(asked: bool) -> String {
    let mut h = Html::new();
    if asked {
        ConfirmMarkup {
            label: "Close this window?",
            confirm_label: "Close window",
            confirm_class: "btn-primary",
            confirm_testid: "confirm-close",
            cancel_label: "Keep watching",
            actions: ("dialog-close-confirmed", "dialog-keep-open"),
            alert: true,
            extra_class: "confirm-close",
        }
        .write(&mut h, |h| {
            h.text(
                "Close this window? Provisioning goes on in the background — you can follow it \
                 and stop it from the dashboard.",
            );
        });
    }
    h.finish()
}

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

/// Gives the focus back to what had it before the dialog opened, or to Add cluster.
fn restore_focus(opener: StoredValue<Option<leptos::web_sys::Element>, LocalStorage>) {
    use leptos::wasm_bindgen::JsCast;
    let target = opener
        .try_get_value()
        .flatten()
        .filter(|el| el.is_connected())
        .or_else(|| document().get_element_by_id("add-cluster"));
    if let Some(el) = target.and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
        request_animation_frame(move || {
            let _ = el.focus();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_the_dialog_and_offers_close() {
        let html = header_markup();
        assert!(html.contains(r#"<h2 id="provision-modal-title""#), "{html}");
        assert!(html.contains(r#"id="provision-modal-desc""#), "{html}");
        assert!(
            html.contains(r#"aria-label="Close" data-action="dialog-close""#),
            "{html}"
        );
    }

    #[test]
    fn closing_while_a_create_runs_asks_as_an_alertdialog() {
        assert_eq!(confirm_close_markup(false), "");
        let html = confirm_close_markup(true);
        assert!(
            html.contains(r#"class="confirm confirm-close" role="alertdialog""#),
            "{html}"
        );
        assert!(html.contains(r#"data-testid="confirm-close""#), "{html}");
        assert!(
            html.contains(r#"data-action="dialog-close-confirmed""#),
            "{html}"
        );
        assert!(html.contains(r#"data-action="dialog-keep-open""#), "{html}");
        assert!(
            html.contains("Provisioning goes on in the background"),
            "{html}"
        );
    }
}
