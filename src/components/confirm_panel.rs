//! ConfirmPanel: the one shape of "are you sure?" in the dashboard — a sentence that says what
//! will happen, a button that does it, and one that keeps things as they are. Used by Stop, by
//! Delete partial cluster, and by closing the modal while a create runs.

use leptos::prelude::*;

use crate::components::markup::Html;

/// A confirmation. `children` is the sentence; `confirm_testid` names the confirming button for
/// tests. With `alert`, it is an `alertdialog` (it interrupts: the modal asks before closing);
/// otherwise a labelled group that sits where the button that asked was. [`ConfirmMarkup`] is
/// the same panel for a part drawn as markup.
#[component]
pub fn ConfirmPanel(
    /// What is being confirmed, for screen readers ("Confirm stop").
    label: &'static str,
    confirm_label: &'static str,
    confirm_class: &'static str,
    confirm_testid: &'static str,
    cancel_label: &'static str,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    #[prop(optional)] alert: bool,
    #[prop(optional)] extra_class: &'static str,
    children: Children,
) -> impl IntoView {
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

/// The same panel as markup, for a part of the page drawn as markup (the error card): the
/// buttons carry `actions` as their `data-action`, `sentence` writes the question.
pub struct ConfirmMarkup {
    pub label: &'static str,
    pub confirm_label: &'static str,
    pub confirm_class: &'static str,
    pub confirm_testid: &'static str,
    pub cancel_label: &'static str,
    /// The `data-action` of the confirming and of the cancelling button.
    pub actions: (&'static str, &'static str),
}

impl ConfirmMarkup {
    pub fn write(&self, h: &mut Html, sentence: impl FnOnce(&mut Html)) {
        h.start("div")
            .attr("class", "confirm")
            .attr("role", "group")
            .attr("aria-label", self.label)
            .end();
        h.start("p").attr("class", "confirm-text").end();
        sentence(h);
        h.close("p");
        h.start("div").attr("class", "confirm-actions").end();
        h.start("button")
            .attr("type", "button")
            .attr("class", &format!("btn {}", self.confirm_class))
            .attr("data-testid", self.confirm_testid)
            .attr("data-action", self.actions.0)
            .end()
            .text(self.confirm_label)
            .close("button");
        h.element(
            "button",
            &[
                ("type", "button"),
                ("class", "btn"),
                ("data-action", self.actions.1),
            ],
            self.cancel_label,
        );
        h.close("div").close("div");
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn rendered(alert: bool) -> String {
        let owner = Owner::new();
        owner.with(|| {
            view! {
                <ConfirmPanel
                    label="Confirm stop"
                    confirm_label="Stop provisioning"
                    confirm_class="btn-danger-solid"
                    confirm_testid="confirm-stop"
                    cancel_label="Keep creating"
                    on_confirm=Callback::new(|()| {})
                    on_cancel=Callback::new(|()| {})
                    alert=alert
                >
                    "Stop creating " <strong>"aks-one"</strong> "?"
                </ConfirmPanel>
            }
            .to_html()
        })
    }

    #[test]
    fn a_confirmation_says_what_happens_and_offers_both_ways() {
        let html = rendered(false);
        assert!(html.contains(r#"role="group""#), "{html}");
        assert!(html.contains(r#"aria-label="Confirm stop""#), "{html}");
        assert!(
            html.contains("Stop creating <strong>aks-one</strong>?"),
            "{html}"
        );
        assert!(html.contains(r#"data-testid="confirm-stop""#), "{html}");
        assert!(html.contains("btn btn-danger-solid"), "{html}");
        assert!(html.contains("Stop provisioning"), "{html}");
        assert!(html.contains("Keep creating"), "{html}");
        assert_eq!(html.matches(r#"type="button""#).count(), 2, "{html}");
    }

    #[test]
    fn an_interrupting_confirmation_is_an_alertdialog() {
        assert!(rendered(true).contains(r#"role="alertdialog""#));
    }
}
