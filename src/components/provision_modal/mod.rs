//! ProvisionModal: the create form with live pre-flight, then the steps of the create with Stop,
//! then how it ended.
//!
//! [`ModalControl`] is the small part every page carries: whether the modal is open, and with
//! what. The modal itself is behind a `#[lazy]` function: `cargo leptos build --split` puts its
//! code in a wasm file of its own, fetched when the user heads for a button that opens it
//! ([`ModalControl::preload`]) or, at the latest, when it opens. One file per part:
//! - `dialog.rs`: the dialog around every screen (focus, Escape, the backdrop, the close
//!   confirmation);
//! - `form/`: the form (one [`form::FormField`] per field), its pre-flight rows, the Create
//!   button, and the server functions it calls;
//! - `creating.rs`: following the create (steps, Stop) and how it ended.

mod creating;
mod dialog;
pub mod form;

pub use form::{
    CreateButton, EstimateCost, GetAvailableSkus, Preflight, Provision, default_node_count,
    estimate_cost, get_available_skus, preflight, provision,
};

use leptos::either::EitherOf3;
use leptos::html;
use leptos::prelude::*;

use crate::components::in_flight::InFlight;
use crate::identity::SessionInfo;
use crate::provisioning::model::{
    AppliedFix, FailedProvision, PartialCluster, ProvisionAccepted, ProvisionRequest, TaskStatus,
};

/// The page's handle on the modal: opens it (with values to start from), closes it, and fetches
/// its code ahead of time. Provided by the `ClusterCard` island; cheap to copy.
#[derive(Clone, Copy)]
pub struct ModalControl {
    // Read where the modal is mounted: in the browser.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    session: StoredValue<SessionInfo>,
    /// `Some(prefill)` while the modal is open.
    open: RwSignal<Option<Option<ProvisionRequest>>>,
    /// Where the focus goes when the modal closes and what opened it is gone: Add cluster.
    fallback_focus: StoredValue<Option<NodeRef<html::Button>>>,
    preloading: StoredValue<bool>,
    /// The one-click fix the next opening's request came from (for the history).
    pending_fix: StoredValue<Option<AppliedFix>>,
}

impl ModalControl {
    /// Creates the page's modal control and provides it to the components below.
    pub fn provide(session: SessionInfo) -> Self {
        let control = Self {
            session: StoredValue::new(session),
            open: RwSignal::new(None),
            fallback_focus: StoredValue::new(None),
            preloading: StoredValue::new(false),
            pending_fix: StoredValue::new(None),
        };
        provide_context(control);
        control
    }

    /// Opens the modal, empty or with a request to start from (Edit & retry, a fix).
    pub fn open(self, prefill: Option<ProvisionRequest>) {
        self.pending_fix.set_value(None);
        self.open.set(Some(prefill));
    }

    /// Opens the modal with a request, made from a one-click fix when `fix` says which.
    pub fn open_with_fix(self, request: ProvisionRequest, fix: Option<AppliedFix>) {
        self.pending_fix.set_value(fix);
        self.open.set(Some(Some(request)));
    }

    pub fn close(self) {
        self.open.set(None);
    }

    /// Whether the modal is open (tracked).
    pub fn is_open(self) -> bool {
        self.open.with(Option::is_some)
    }

    /// Fetches the modal's code now, so that opening it does not wait for the network.
    pub fn preload(self) {
        if self.preloading.get_value() {
            return;
        }
        self.preloading.set_value(true);
        #[cfg(feature = "hydrate")]
        {
            let _loaded = lazy_preload!(mount_provision_modal);
        }
    }

    /// Add cluster, for the focus to return to.
    pub fn set_fallback_focus(self, button: NodeRef<html::Button>) {
        self.fallback_focus.set_value(Some(button));
    }

    fn focus_fallback(self) {
        if let Some(button) = self
            .fallback_focus
            .get_value()
            .and_then(|b| b.get_untracked())
        {
            let _ = button.focus();
        }
    }

    /// Where the modal goes: an empty slot in the first HTML and on a page where it is closed.
    /// Opening it fetches its code (when it was not fetched yet) and mounts it there; closing it
    /// takes it down.
    pub fn host(self) -> impl IntoView {
        let slot = NodeRef::<html::Div>::new();
        #[cfg(feature = "hydrate")]
        {
            // The mounted modal: dropped, it unmounts and disposes its reactive owner.
            let shown = StoredValue::new_local(None::<Box<dyn std::any::Any>>);
            let openings = StoredValue::new(0u64);
            Effect::new(move |_| {
                let open = self.open.get();
                // Taken out first and dropped once the stored value is no longer borrowed:
                // taking the modal down disposes reactive nodes of its own.
                let previous = shown.try_update_value(Option::take).flatten();
                drop(previous);
                openings.update_value(|n| *n += 1);
                let (Some(prefill), Some(parent)) = (open, slot.get_untracked()) else {
                    return;
                };
                let this = openings.get_value();
                let session = self.session.get_value();
                // Scoped: the modal's owner is a child of this one, so it sees the page's
                // contexts (the live events, the in-flight provisions, this control).
                leptos::task::spawn_local_scoped(async move {
                    let modal = mount_provision_modal(parent.into(), session, prefill).await;
                    // Closed (or opened again) while its code was on the way.
                    if openings.try_get_value() == Some(this) {
                        shown.set_value(Some(modal));
                    }
                });
            });
        }
        view! { <div class="modal-slot" node_ref=slot></div> }
    }
}

/// Mounts the modal under `parent`, from a split of the bundle of its own. It is built, never
/// hydrated (the server never renders it), so it is mounted rather than returned as an
/// `AnyView`, which would carry hydration code for every screen of it (docs/bundle.md). The
/// handle, dropped, unmounts it and disposes its reactive owner, a child of the caller's.
#[cfg(feature = "hydrate")]
#[lazy]
fn mount_provision_modal(
    parent: leptos::web_sys::HtmlElement,
    session: SessionInfo,
    prefill: Option<ProvisionRequest>,
) -> Box<dyn std::any::Any> {
    Box::new(leptos::mount::mount_to(parent, move || {
        view! { <ProvisionModal session prefill /> }
    }))
}

/// Where the modal is: filling in the form, starting, following the create, or showing how it
/// ended.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Form,
    Submitting,
    Creating(ProvisionAccepted),
    Ended(Box<FailedProvision>),
}

/// The screen the modal shows: starting a create keeps the form on screen (and its focus).
#[derive(Debug, Clone, PartialEq)]
enum Screen {
    Form,
    Creating(String),
    Ended(Box<FailedProvision>),
}

/// What the modal's screens share: the form's state, where the modal is, and the create it
/// follows.
#[derive(Clone, Copy)]
pub struct Modal {
    form: form::FormState,
    phase: RwSignal<Phase>,
    /// The followed create's task, as last read.
    task: RwSignal<Option<TaskStatus>>,
    /// The partial cluster Stop reported, shown with how the create ended.
    cancel_partial: RwSignal<Option<PartialCluster>>,
    /// "Close this window?" is asked.
    confirm_close: RwSignal<bool>,
    control: Option<ModalControl>,
    in_flight: Option<InFlight>,
}

impl Modal {
    fn close(self) {
        if let Some(control) = self.control {
            control.close();
        }
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

    /// Whether a create is starting (tracked).
    fn submitting(self) -> bool {
        self.phase.with(|p| matches!(p, Phase::Submitting))
    }

    /// Back to the form from how a create ended, optionally with a request to start from.
    fn back_to_form(self, r: Option<ProvisionRequest>) {
        if let Some(r) = r {
            self.form.load(&r);
        }
        self.task.set(None);
        self.cancel_partial.set(None);
        self.form.reset_after_create();
        self.phase.set(Phase::Form);
    }
}

/// The create form with live pre-flight; after Create, the steps of the create with Stop, and
/// how it ended when it failed or was stopped (R-3: with the partial cluster's portal action).
#[component]
pub fn ProvisionModal(
    session: SessionInfo,
    /// Values to start from, e.g. the failed attempt for Edit & retry.
    prefill: Option<ProvisionRequest>,
) -> impl IntoView {
    let control = use_context::<ModalControl>();
    let modal = Modal {
        form: form::FormState::new(&session, prefill.as_ref()),
        phase: RwSignal::new(Phase::Form),
        task: RwSignal::new(None),
        cancel_partial: RwSignal::new(None),
        confirm_close: RwSignal::new(false),
        control,
        in_flight: use_context::<InFlight>(),
    };
    if let Some(control) = control {
        modal
            .form
            .applied_fix
            .set(control.pending_fix.try_update_value(Option::take).flatten());
    }
    form::start_checks(modal.form);
    creating::follow(modal);
    // The focus goes back where it was when the modal opened (or to Add cluster).
    let opener = StoredValue::new_local(document().active_element());
    on_cleanup(move || restore_focus(opener, control));

    let screen = Memo::new(move |_| match modal.phase.get() {
        Phase::Form | Phase::Submitting => Screen::Form,
        Phase::Creating(accepted) => Screen::Creating(accepted.task_id),
        Phase::Ended(failure) => Screen::Ended(failure),
    });
    let body = move || match screen.get() {
        Screen::Form => EitherOf3::A(view! { <form::ProvisionForm modal /> }),
        Screen::Creating(task_id) => {
            EitherOf3::B(view! { <creating::CreatingScreen modal task_id /> })
        }
        Screen::Ended(failure) => {
            EitherOf3::C(view! { <creating::EndedScreen modal failure=*failure /> })
        }
    };
    view! { <dialog::Dialog modal>{body}</dialog::Dialog> }
}

/// Gives the focus back to what had it before the modal opened, or to Add cluster.
fn restore_focus(
    opener: StoredValue<Option<leptos::web_sys::Element>, LocalStorage>,
    control: Option<ModalControl>,
) {
    use leptos::wasm_bindgen::JsCast;
    let opener = opener
        .try_get_value()
        .flatten()
        .filter(|el| el.is_connected())
        .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok());
    request_animation_frame(move || match opener {
        Some(el) => {
            let _ = el.focus();
        }
        None => {
            if let Some(control) = control {
                control.focus_fallback();
            }
        }
    });
}
