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

use leptos::either::EitherOf3;
use leptos::prelude::*;

use crate::app::SessionInfo;
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
        on_close,
    };
    form::start_checks(modal.form);
    creating::follow(modal);

    // Starting keeps the form on screen (and its focus): only a change of screen re-renders.
    let screen = Memo::new(move |_| match modal.phase.get() {
        Phase::Form | Phase::Submitting => None,
        other => Some(other),
    });
    let body = move || match screen.get() {
        Some(Phase::Creating(accepted)) => EitherOf3::B(creating::creating_view(modal, accepted)),
        Some(Phase::Ended(f)) => EitherOf3::C(creating::ended_view(modal, *f)),
        _ => EitherOf3::A(form::form_view(modal, on_started)),
    };
    dialog::dialog(modal, body)
}
