//! The one shape of "are you sure?" in the dashboard — a sentence that says what will happen, a
//! button that does it, and one that keeps things as they are. Used by Stop, by Delete partial
//! cluster, and by closing the modal while a create runs; written as markup, its buttons name
//! their `data-action` for the click handler of the part that draws it.

use crate::components::markup::Html;

/// A confirmation. `confirm_testid` names the confirming button for tests. With `alert`, it is
/// an `alertdialog` (it interrupts: the modal asks before closing); otherwise a labelled group
/// that sits where the button that asked was.
pub struct ConfirmMarkup {
    /// What is being confirmed, for screen readers ("Confirm stop").
    pub label: &'static str,
    pub confirm_label: &'static str,
    pub confirm_class: &'static str,
    pub confirm_testid: &'static str,
    pub cancel_label: &'static str,
    /// The `data-action` of the confirming and of the cancelling button.
    pub actions: (&'static str, &'static str),
    pub alert: bool,
    /// A class of the panel besides `confirm`.
    pub extra_class: &'static str,
}

impl ConfirmMarkup {
    /// Writes the panel; `sentence` writes the question.
    pub fn write(&self, h: &mut Html, sentence: impl FnOnce(&mut Html)) {
        let class = if self.extra_class.is_empty() {
            "confirm".to_owned()
        } else {
            format!("confirm {}", self.extra_class)
        };
        h.start("div")
            .attr("class", &class)
            .attr("role", if self.alert { "alertdialog" } else { "group" })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(alert: bool) -> String {
        let mut h = Html::new();
        ConfirmMarkup {
            label: "Confirm stop",
            confirm_label: "Stop provisioning",
            confirm_class: "btn-danger-solid",
            confirm_testid: "confirm-stop",
            cancel_label: "Keep creating",
            actions: ("stop-confirm", "stop-keep"),
            alert,
            extra_class: "",
        }
        .write(&mut h, |h| {
            h.text("Stop creating ")
                .element("strong", &[], "aks-<one>")
                .text("?");
        });
        h.finish()
    }

    #[test]
    fn a_confirmation_says_what_happens_and_offers_both_ways() {
        let html = rendered(false);
        assert!(
            html.contains(r#"<div class="confirm" role="group""#),
            "{html}"
        );
        assert!(html.contains(r#"aria-label="Confirm stop""#), "{html}");
        assert!(
            html.contains("Stop creating <strong>aks-&lt;one&gt;</strong>?"),
            "{html}"
        );
        assert!(html.contains(r#"data-testid="confirm-stop""#), "{html}");
        assert!(html.contains(r#"class="btn btn-danger-solid""#), "{html}");
        assert!(html.contains(r#"data-action="stop-confirm""#), "{html}");
        assert!(html.contains(r#"data-action="stop-keep""#), "{html}");
        assert!(html.contains(">Stop provisioning</button>"), "{html}");
        assert!(html.contains(">Keep creating</button>"), "{html}");
        assert_eq!(html.matches(r#"type="button""#).count(), 2, "{html}");
    }

    #[test]
    fn an_interrupting_confirmation_is_an_alertdialog() {
        assert!(rendered(true).contains(r#"role="alertdialog""#));
    }
}
