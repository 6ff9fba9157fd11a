//! ProvisionModal: the create form with live pre-flight, then the steps of the create with Stop,
//! then how it ended.
//!
//! [`ModalControl`] is the small part every page carries: whether the modal is open, and with
//! what; fetching its code and what it opens on (`opening.rs`); saying when the code could not
//! be fetched. The modal itself is a split of the bundle of its own (`cargo leptos build
//! --split`), fetched when the page is idle after hydration, when the user heads for a button
//! that opens it, or at the latest when it opens. One file per part:
//! - `opening.rs`: what the form opens on, asked for by the page with the form's code;
//! - `dialog.rs`: the dialog around every screen (focus, Escape, the backdrop, the close
//!   confirmation);
//! - `form/`: the form (one [`form::FormField`] per field), its pre-flight rows, the Create
//!   button, and the server functions it calls;
//! - `creating.rs`: following the create (steps, Stop) and how it ended.

mod creating;
mod dialog;
pub mod form;
pub mod opening;

pub use form::CreateButton;

use leptos::either::{Either, EitherOf3};
use leptos::html;
use leptos::prelude::*;

use crate::api::provision::form_opening;
use crate::components::clock::now_ms;
use crate::components::hydration::once_hydrated;
use crate::components::in_flight::InFlight;
use crate::domain::{AppliedFix, FailedProvision, PartialCluster, ProvisionRequest, TaskStatus};
use crate::identity::{Role, SessionInfo};
use opening::OpeningAsked;

/// Where the modal stands, as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Only the browser opens it.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Shown {
    Closed,
    /// Asked for; its code is on its way.
    Opening,
    Open,
    /// Its code could not be fetched: the page says so and offers to try again.
    NotLoaded,
}

/// The page's handle on the modal: opens it (with values to start from), closes it, and fetches
/// its code and data ahead of time. Provided by the `ClusterCard` island; cheap to copy.
#[derive(Clone, Copy)]
pub struct ModalControl {
    // Read where the modal is mounted: in the browser.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    session: StoredValue<SessionInfo>,
    /// `Some(prefill)` while the modal is asked to be open.
    open: RwSignal<Option<Option<ProvisionRequest>>>,
    shown: RwSignal<Shown>,
    /// Where the focus goes when the modal closes and what opened it is gone: Add cluster.
    fallback_focus: StoredValue<Option<NodeRef<html::Button>>>,
    /// The form's code was asked for (it is fetched once; a failed fetch is tried again).
    code_asked: StoredValue<bool>,
    /// The one-click fix the next opening's request came from (for the history).
    pending_fix: StoredValue<Option<AppliedFix>>,
    /// What the form opens on, as last asked for.
    opening: RwSignal<Option<OpeningAsked>>,
}

impl ModalControl {
    /// Creates the page's modal control and provides it to the components below. For a user
    /// who may create, the form's code and data are fetched once the page is hydrated and idle.
    pub fn provide(session: SessionInfo) -> Self {
        let may_create = session.role.allows(Role::Operator);
        let control = Self {
            session: StoredValue::new(session),
            open: RwSignal::new(None),
            shown: RwSignal::new(Shown::Closed),
            fallback_focus: StoredValue::new(None),
            code_asked: StoredValue::new(false),
            pending_fix: StoredValue::new(None),
            opening: RwSignal::new(None),
        };
        provide_context(control);
        if may_create {
            once_hydrated(move || request_idle_callback(move || control.prepare(None)));
        }
        control
    }

    /// Opens the modal, empty or with a request to start from (Edit & retry, a fix).
    pub fn open(self, prefill: Option<ProvisionRequest>) {
        self.pending_fix.set_value(None);
        self.prepare(prefill.as_ref());
        self.open.set(Some(prefill));
    }

    /// Opens the modal with a request, made from a one-click fix when `fix` says which.
    pub fn open_with_fix(self, request: ProvisionRequest, fix: Option<AppliedFix>) {
        self.prepare(Some(&request));
        self.pending_fix.set_value(fix);
        self.open.set(Some(Some(request)));
    }

    pub fn close(self) {
        self.open.set(None);
    }

    /// Whether the modal is open (tracked).
    pub fn is_open(self) -> bool {
        self.shown.with(|s| *s == Shown::Open)
    }

    /// Fetches the modal's code, and asks for what the form opens on with `prefill` (in one
    /// request), so that opening it waits for neither.
    pub fn prepare(self, prefill: Option<&ProvisionRequest>) {
        if let Some(session) = self.session.try_get_value() {
            self.ask_opening(&session, prefill);
        }
        if self.code_asked.try_get_value() != Some(false) {
            return;
        }
        self.code_asked.set_value(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            // A failed fetch is not kept: the next one (opening the form) tries again.
            if preload_provision_modal().await.is_err() {
                self.code_asked.try_set_value(false);
            }
        });
    }

    /// Asks for what the form opens on, unless a fresh answer for the same start is there or
    /// on its way.
    fn ask_opening(self, session: &SessionInfo, prefill: Option<&ProvisionRequest>) {
        let start = opening::start_request(session, prefill);
        let now = now_ms();
        let fresh = self.opening.try_with_untracked(|o| {
            o.as_ref()
                .is_some_and(|o| o.start == start && now - o.at <= opening::FRESH_MS)
        });
        if fresh != Some(false) {
            return;
        }
        self.opening.set(Some(OpeningAsked {
            start: start.clone(),
            at: now,
            answer: None,
        }));
        let count_defaults = opening::count_defaults(prefill);
        leptos::task::spawn_local(async move {
            let answer = form_opening(start.clone(), count_defaults).await;
            self.opening.try_update(|o| {
                if let Some(o) = o.as_mut().filter(|o| o.start == start && o.at == now) {
                    o.answer = Some(answer);
                }
            });
        });
    }

    /// What the form opens on, as last asked for (the form reads it).
    pub(crate) fn opening(self) -> RwSignal<Option<OpeningAsked>> {
        self.opening
    }

    /// What the form would open on is no longer true (a create changed the quota).
    pub(crate) fn forget_opening(self) {
        self.opening.set(None);
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

    /// While the form's code is on its way after a click, the page says so; when it could not be
    /// fetched, it says that too, with Retry (and Add cluster tries again as well). Nothing else
    /// on the page waits for it.
    pub fn status(self) -> impl IntoView {
        let retry = NodeRef::<html::Button>::new();
        Effect::new(move |_| {
            if let Some(button) = retry.get() {
                let _ = button.focus();
            }
        });
        move || match self.shown.get() {
            Shown::Opening => Some(Either::Left(view! {
                <p class="notice notice-info form-opening" role="status" data-testid="form-opening">
                    "Opening the form…"
                </p>
            })),
            Shown::NotLoaded => Some(Either::Right(view! {
                <div class="notice notice-error form-load-error" role="alert" data-testid="form-load-error">
                    <span>"Couldn't load the form — "</span>
                    <button
                        type="button"
                        class="btn"
                        node_ref=retry
                        on:click=move |_| self.open.set(self.open.get_untracked())
                    >
                        "Retry"
                    </button>
                    <button
                        type="button"
                        class="btn btn-ghost btn-icon"
                        aria-label="Close notice"
                        on:click=move |_| self.close()
                    >
                        "✕"
                    </button>
                </div>
            })),
            Shown::Closed | Shown::Open => None,
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
            let mounted = StoredValue::new_local(None::<Box<dyn std::any::Any>>);
            let openings = StoredValue::new(0u64);
            Effect::new(move |_| {
                let open = self.open.get();
                // Taken out first and dropped once the stored value is no longer borrowed:
                // taking the modal down disposes reactive nodes of its own.
                let previous = mounted.try_update_value(Option::take).flatten();
                drop(previous);
                openings.update_value(|n| *n += 1);
                let (Some(prefill), Some(parent)) = (open, slot.get_untracked()) else {
                    self.shown.set(Shown::Closed);
                    return;
                };
                self.shown.set(Shown::Opening);
                let this = openings.get_value();
                let session = self.session.get_value();
                // Scoped: the modal's owner is a child of this one, so it sees the page's
                // contexts (the live events, the in-flight provisions, this control).
                leptos::task::spawn_local_scoped(async move {
                    let modal = mount_provision_modal(parent.into(), session, prefill).await;
                    // Closed (or opened again) while its code was on the way.
                    if openings.try_get_value() != Some(this) {
                        return;
                    }
                    match modal {
                        Ok(modal) => {
                            mounted.set_value(Some(modal));
                            self.shown.set(Shown::Open);
                        }
                        Err(CodeNotLoaded) => self.shown.set(Shown::NotLoaded),
                    }
                });
            });
        }
        view! { <div class="modal-slot" node_ref=slot></div> }
    }
}

/// The modal's code could not be fetched (no network, a new version deployed meanwhile).
#[derive(Debug)]
pub struct CodeNotLoaded;

impl From<leptos::wasm_split::SplitLoaderError> for CodeNotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        CodeNotLoaded
    }
}

/// Mounts the modal under `parent`, from a split of the bundle of its own (Leptos' `#[lazy]`
/// without its panic: `fallible` makes a failed fetch an error the page shows, where a panic
/// would stop every island). It is built, never hydrated (the server never renders it), so it
/// is mounted rather than returned as an `AnyView`, which would carry hydration code for every
/// screen of it (docs/bundle.md). The handle, dropped, unmounts it and disposes its reactive
/// owner, a child of the caller's.
#[cfg(feature = "hydrate")]
#[leptos::wasm_split::wasm_split(
    provision_modal,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_provision_modal)
)]
fn mount_provision_modal(
    parent: leptos::web_sys::HtmlElement,
    session: SessionInfo,
    prefill: Option<ProvisionRequest>,
) -> Result<Box<dyn std::any::Any>, CodeNotLoaded> {
    Ok(Box::new(leptos::mount::mount_to(parent, move || {
        view! { <ProvisionModal session prefill /> }
    })))
}

/// Where the modal is: filling in the form, starting, following the create, or showing how it
/// ended.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Form,
    Submitting,
    /// Following the create of this task.
    Creating(String),
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
    /// What the form has read from the server.
    data: form::FormAnswers,
    control: Option<ModalControl>,
    in_flight: Option<InFlight>,
    /// The page's approvals: a create that waits for an admin shows there.
    approvals: Option<crate::components::approvals::Approvals>,
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
    let data = form::FormAnswers::new();
    if let Some(control) = control {
        data.follow_opening(
            control.opening(),
            &opening::start_request(&session, prefill.as_ref()),
        );
    }
    let modal = Modal {
        form: form::FormState::new(&session, prefill.as_ref()),
        phase: RwSignal::new(Phase::Form),
        task: RwSignal::new(None),
        cancel_partial: RwSignal::new(None),
        confirm_close: RwSignal::new(false),
        data,
        control,
        in_flight: use_context::<InFlight>(),
        approvals: use_context::<crate::components::approvals::Approvals>(),
    };
    if let Some(control) = control {
        modal
            .form
            .applied_fix
            .set(control.pending_fix.try_update_value(Option::take).flatten());
    }
    form::start_checks(modal.form, data);
    creating::follow(modal);
    // The focus goes back where it was when the modal opened (or to Add cluster).
    let opener = StoredValue::new_local(document().active_element());
    on_cleanup(move || restore_focus(opener, control));

    let screen = Memo::new(move |_| match modal.phase.get() {
        Phase::Form | Phase::Submitting => Screen::Form,
        Phase::Creating(task_id) => Screen::Creating(task_id),
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
