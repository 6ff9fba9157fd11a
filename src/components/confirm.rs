//! The one shape of "are you sure?" in the dashboard — a sentence that says what will happen, a
//! button that does it, and one that keeps things as they are. Used by Stop, by Delete partial
//! cluster, and by closing the modal while a create runs.

use leptos::html;
use leptos::prelude::*;

/// A confirmation. It takes the focus when it appears (the button that asked for it is gone);
/// the part that shows it gives the focus back when it goes. With `alert`, it is an
/// `alertdialog` (it interrupts: the modal asks before closing); otherwise a labelled group that
/// sits where the button that asked was.
#[component]
pub fn ConfirmPanel<V>(
    /// What is being confirmed, for screen readers ("Confirm stop").
    label: &'static str,
    confirm_label: &'static str,
    /// The confirming button's class besides `btn`, e.g. `btn-danger-solid`.
    confirm_class: &'static str,
    /// The confirming button's `data-testid`.
    confirm_testid: &'static str,
    cancel_label: &'static str,
    #[prop(into)] on_confirm: Callback<()>,
    #[prop(into)] on_cancel: Callback<()>,
    #[prop(optional)] alert: bool,
    /// A class of the panel besides `confirm`.
    #[prop(optional)]
    extra_class: &'static str,
    /// The question (typed: a confirmation is never hydrated, and erased children would carry
    /// hydration code).
    children: TypedChildren<V>,
) -> impl IntoView
where
    V: IntoView + 'static,
{
    let children = children.into_inner();
    let confirm = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm.get() {
            let _ = button.focus();
        }
    });
    view! {
        <div
            class=format!("confirm {extra_class}")
            role=if alert { "alertdialog" } else { "group" }
            aria-label=label
        >
            <p class="confirm-text">{children()}</p>
            <div class="confirm-actions">
                <button
                    type="button"
                    class=format!("btn {confirm_class}")
                    data-testid=confirm_testid
                    node_ref=confirm
                    on:click=move |_| on_confirm.run(())
                >
                    {confirm_label}
                </button>
                <button type="button" class="btn" on:click=move |_| on_cancel.run(())>
                    {cancel_label}
                </button>
            </div>
        </div>
    }
}

/// The button that asked for a confirmation, and the way back to it: when the confirmation is
/// put off, the focus returns to the button (which comes back in its place). Cheap to copy.
#[derive(Clone, Copy)]
pub struct AskingButton {
    pub node: NodeRef<html::Button>,
    refocus: RwSignal<bool>,
}

impl AskingButton {
    pub fn new() -> Self {
        let asking = Self {
            node: NodeRef::new(),
            refocus: RwSignal::new(false),
        };
        // Runs once the button is back on screen (its node is set).
        Effect::new(move |_| {
            if asking.refocus.get()
                && let Some(button) = asking.node.get()
            {
                let _ = button.focus();
                asking.refocus.set(false);
            }
        });
        asking
    }

    /// The confirmation was put off: the focus goes back to the button when it is shown again.
    pub fn refocus(self) {
        self.refocus.set(true);
    }
}

impl Default for AskingButton {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confirmation_says_what_happens_and_offers_both_ways() {
        let html = crate::components::fixtures::server_html(|| {
            view! {
                <ConfirmPanel
                    label="Confirm stop"
                    confirm_label="Stop provisioning"
                    confirm_class="btn-danger-solid"
                    confirm_testid="confirm-stop"
                    cancel_label="Keep creating"
                    on_confirm=|_| {}
                    on_cancel=|_| {}
                >
                    "Stop creating " <strong>"aks-<one>"</strong> "?"
                </ConfirmPanel>
            }
        });
        assert!(
            html.starts_with(r#"<div role="group" aria-label="Confirm stop""#),
            "{html}"
        );
        assert!(html.contains("<strong>aks-&lt;one&gt;</strong>"), "{html}");
        assert!(html.contains(r#"data-testid="confirm-stop""#), "{html}");
        assert!(html.contains(">Keep creating</button>"), "{html}");
    }

    #[test]
    fn an_interrupting_confirmation_is_an_alertdialog() {
        let html = crate::components::fixtures::server_html(|| {
            view! {
                <ConfirmPanel
                    label="Close this window?"
                    confirm_label="Close window"
                    confirm_class="btn-primary"
                    confirm_testid="confirm-close"
                    cancel_label="Keep watching"
                    on_confirm=|_| {}
                    on_cancel=|_| {}
                    alert=true
                    extra_class="confirm-close"
                >
                    "Close?"
                </ConfirmPanel>
            }
        });
        assert!(html.starts_with(r#"<div role="alertdialog""#), "{html}");
        assert!(html.contains(r#"class="confirm confirm-close""#), "{html}");
    }
}
