//! Create: the button's states, a press kept while the checks run, and the request sent.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::super::{Modal, Phase};
use crate::api::provision::provision;
use crate::components::notify;
use crate::components::session::SignInAgain;

/// What the Create button says and whether it can be pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateButton {
    Ready,
    /// The checks run: a press is kept, and the create starts once they pass.
    Validating,
    FixErrors,
    Starting,
}

impl CreateButton {
    pub fn decide(
        submitting: bool,
        checks_running: bool,
        any_check_fails: bool,
        field_errors: bool,
    ) -> Self {
        if submitting {
            CreateButton::Starting
        } else if checks_running {
            CreateButton::Validating
        } else if any_check_fails || field_errors {
            CreateButton::FixErrors
        } else {
            CreateButton::Ready
        }
    }

    /// The state's name, for the button's `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            CreateButton::Ready => "ready",
            CreateButton::Validating => "validating",
            CreateButton::FixErrors => "fixerrors",
            CreateButton::Starting => "starting",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CreateButton::Ready => "Create cluster",
            CreateButton::Validating => "Validating…",
            CreateButton::FixErrors => "Fix errors above",
            CreateButton::Starting => "Starting…",
        }
    }

    /// Whether the button refuses a press. While the checks run it takes one (it starts the
    /// create once they pass): the checks often start because the press itself took the focus
    /// from a field, and a button disabled under the pointer would lose the click.
    pub fn refuses_press(self) -> bool {
        matches!(self, CreateButton::FixErrors | CreateButton::Starting)
    }
}

/// Create: the form's own rules first; then, if the checks have passed, the server (which
/// answers with the create's task or with what to correct); while they run, the press is kept.
pub(super) fn on_submit(modal: Modal, ev: SubmitEvent) {
    ev.prevent_default();
    let state = modal.form;
    state.submitted.set(true);
    let errors = state.client_errors.get_untracked();
    if !errors.is_empty() {
        state.focus_first_invalid(&errors);
        return;
    }
    let now = untrack(|| state.create_button(modal.submitting()));
    if now.refuses_press() {
        return;
    }
    // The first Create is when the user learns provisions take a while: the browser asks
    // whether the dashboard may tell them when one ends (asked here, during the press; never
    // on page load).
    notify::ask_permission();
    if now == CreateButton::Ready {
        start_create(modal);
    } else {
        state.pending_create.set(true);
    }
}

/// Sends the form's request; the modal follows the create it starts, or the form shows what to
/// correct.
pub(super) fn start_create(modal: Modal) {
    let state = modal.form;
    let req = state.request_untracked();
    modal.phase.set(Phase::Submitting);
    state.notice.set(None);
    leptos::task::spawn_local(async move {
        let answer = provision(req, state.applied_fix.get_untracked()).await;
        if modal.phase.is_disposed() {
            return;
        }
        match answer {
            Ok(mut accepted) => {
                state.applied_fix.set(None);
                // An approval rule holds it: the page's approvals show it waiting, and the
                // modal has nothing to follow.
                if let Some(approval) = accepted.approval.take() {
                    if let Some(approvals) = modal.approvals {
                        approvals.requested(approval);
                    }
                    modal.phase.set(Phase::Form);
                    modal.close();
                    return;
                }
                // The quota the checks read has changed.
                modal.data.forget_checks();
                if let Some(control) = modal.control {
                    control.forget_opening();
                }
                if let Some(in_flight) = modal.in_flight {
                    in_flight.started(accepted.task_id.clone());
                }
                modal.phase.set(Phase::Creating(accepted.task_id));
            }
            Err(e) => {
                modal.phase.set(Phase::Form);
                if SignInAgain::note(&e) {
                    return;
                }
                let known = state.known_fields(e.fields);
                if known.is_empty() {
                    let retry = e
                        .retry_after_seconds
                        .map(|s| format!(" Try again in {s} s."))
                        .unwrap_or_default();
                    state.notice.set(Some(format!("{}{retry}", e.message)));
                } else {
                    state.focus_first_invalid(&known);
                    state.server_errors.set(known);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_button_says_what_it_waits_for() {
        use CreateButton::*;
        assert_eq!(CreateButton::decide(true, true, true, true), Starting);
        assert_eq!(CreateButton::decide(false, true, true, true), Validating);
        assert_eq!(CreateButton::decide(false, false, true, false), FixErrors);
        assert_eq!(CreateButton::decide(false, false, false, true), FixErrors);
        assert_eq!(CreateButton::decide(false, false, false, false), Ready);
        assert_eq!(Validating.label(), "Validating…");
        assert_eq!(FixErrors.label(), "Fix errors above");
    }

    #[test]
    fn a_press_while_the_checks_run_is_taken() {
        assert!(!CreateButton::Ready.refuses_press());
        assert!(!CreateButton::Validating.refuses_press());
        assert!(CreateButton::FixErrors.refuses_press());
        assert!(CreateButton::Starting.refuses_press());
    }
}
