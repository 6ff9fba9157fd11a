//! ProvisionModal: the create form with live pre-flight, then the steps of the create with Stop,
//! then how it ended. One file per part:
//! - `dialog.rs`: the dialog around every screen (focus, Escape, the backdrop, the close
//!   confirmation);
//! - `form.rs`: the form with its pre-flight rows, and the server functions it calls;
//! - `creating.rs`: following the create (steps, Stop) and how it ended.

mod creating;
mod dialog;
mod form;

pub use form::{
    CreateButton, GetAvailableSkus, Preflight, Provision, default_node_count, get_available_skus,
    preflight, provision,
};

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::app::SessionInfo;
use crate::components::markup::Slot;
use crate::components::provision_progress::StopStates;
use crate::provisioning::model::{
    FailedProvision, PartialCluster, ProvisionAccepted, ProvisionRequest, TaskStatus,
};

/// Where the modal is: filling in the form, starting, following the create, or showing how it
/// ended.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Form,
    Submitting,
    Creating(ProvisionAccepted),
    Ended(Box<FailedProvision>),
}

/// What the modal's screens share: the form's state, where the modal is, and the create it
/// follows.
#[derive(Clone, Copy)]
struct Modal {
    form: form::FormState,
    phase: RwSignal<Phase>,
    /// The followed create's task, as last read.
    task: RwSignal<Option<TaskStatus>>,
    /// The partial cluster Stop reported, shown with how the create ended.
    cancel_partial: RwSignal<Option<PartialCluster>>,
    /// "Close this window?" is asked.
    confirm_close: RwSignal<bool>,
    /// Stop on the creating screen, by task id.
    stops: StopStates,
    /// The screen's container: its markup is drawn here ([`draw_screens`]).
    body: Slot,
    on_started: Callback<String>,
    on_close: Callback<()>,
}

impl Modal {
    fn close(self) {
        self.on_close.run(());
    }

    /// Closing while a create starts or runs asks first.
    fn request_close(self) {
        let busy = matches!(
            self.phase.get_untracked(),
            Phase::Submitting | Phase::Creating(_)
        );
        if busy {
            self.confirm_close.set(true);
        } else {
            self.close();
        }
    }

    /// What the Create button says now (tracked): the form's state, and whether a create is
    /// starting.
    fn create_button(self) -> form::CreateButton {
        let submitting = self.phase.with(|p| matches!(p, Phase::Submitting));
        self.form.create_button(submitting)
    }

    /// Back to the form from how a create ended, optionally with a request to start from.
    fn back_to_form(self, r: Option<ProvisionRequest>) {
        if let Some(r) = r {
            self.form.load(&r);
        }
        self.task.set(None);
        self.cancel_partial.set(None);
        self.form.server_errors.set(BTreeMap::new());
        self.form.submitted.set(false);
        self.phase.set(Phase::Form);
        request_animation_frame(|| form::focus_field(form::FIELD_ORDER[0]));
    }
}

/// The create form with live pre-flight; after Create, the steps of the create with Stop, and
/// how it ended when it failed or was stopped (R-3: with the partial cluster's portal action).
///
/// The dialog is the one view; each screen is markup drawn into its body when the modal moves
/// to it, kept current in place by effects that live as long as the modal, and acted on by the
/// dialog's listeners (docs/bundle.md).
#[component]
pub fn ProvisionModal(
    session: SessionInfo,
    /// Values to start from, e.g. the failed attempt for Edit & retry.
    #[prop(optional_no_strip)]
    prefill: Option<ProvisionRequest>,
    /// A provision was accepted: its task id.
    #[prop(into)]
    on_started: Callback<String>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let modal = Modal {
        form: form::FormState::new(&session, prefill.as_ref()),
        phase: RwSignal::new(Phase::Form),
        task: RwSignal::new(None),
        cancel_partial: RwSignal::new(None),
        confirm_close: RwSignal::new(false),
        stops: RwSignal::new(BTreeMap::new()),
        body: Slot::new(),
        on_started,
        on_close,
    };
    form::start_checks(modal.form);
    form::keep_current(modal);
    creating::follow(modal);
    creating::keep_current(modal);
    draw_screens(modal);
    dialog::dialog(modal)
}

/// Draws the screen the modal is on into its body when it moves to another one (starting keeps
/// the form on screen, and its focus).
fn draw_screens(modal: Modal) {
    let screen = Memo::new(move |_| match modal.phase.get() {
        Phase::Form | Phase::Submitting => None,
        other => Some(other),
    });
    // The error card of the ended screen is a component mounted into it; its handle, dropped,
    // takes it down.
    // Taken out first and dropped once the stored value is no longer borrowed (taking the card
    // down disposes reactive nodes of its own), and before the modal's own nodes go.
    let mounted = StoredValue::new_local(None::<Box<dyn std::any::Any>>);
    let take_down = move || drop(mounted.try_update_value(Option::take).flatten());
    on_cleanup(take_down);
    // Weak: the effect belongs to this owner, and a strong reference would keep it alive.
    let owner = Owner::current().map(|o| o.downgrade());
    Effect::new(move |_| {
        let screen = screen.get();
        take_down();
        let body = modal.body.get()?;
        match screen {
            None => form::draw(modal, &body),
            Some(Phase::Creating(accepted)) => creating::draw(modal, &body, accepted.task_id),
            Some(Phase::Ended(f)) => {
                let owner = owner.as_ref()?.upgrade()?;
                let handle = creating::draw_ended(modal, &body, *f, owner);
                mounted.set_value(handle);
            }
            Some(_) => {}
        }
        Some(())
    });
}
