//! The create form: its fields (one [`FormField`] each), the live pre-flight rows with their
//! fixes, the cost, and the Create button. One file per part:
//! - `answers.rs`: what the form has read from the server, by question;
//! - `field.rs`: one field of the request;
//! - `state.rs`: what the form holds, and the Create button's state from it;
//! - `choices.rs`: what the form offers and says from its state (choices, hints);
//! - `preflight.rs`: running the checks, and the server functions they call;
//! - `checks.rs`: the pre-flight rows;
//! - `estimate.rs`: the cost, and the price server function;
//! - `create.rs`: the Create button's states and the request it sends.

mod answers;
mod checks;
mod choices;
mod create;
mod estimate;
mod field;
mod preflight;
mod state;

pub use answers::FormAnswers;
pub use create::CreateButton;
pub use field::{Choice, FieldKind, FormField, field_id};
pub(crate) use preflight::start_checks;
pub use state::FormState;

use leptos::either::Either;
use leptos::prelude::*;

use super::Modal;
use crate::components::erase::erased_on_server;
use crate::components::session::SignInAgainNotice;
use crate::domain::RequestField;
use crate::domain::validation::{NODE_COUNT_RANGE, SYSTEM_NODE_COUNT_RANGE};
use choices::region_choices;
use create::{on_submit, start_create};

/// The form: its fields in two sections, the pre-flight rows, what the server said, Cancel and
/// Create.
#[component]
pub(super) fn ProvisionForm(modal: Modal) -> impl IntoView {
    let state = modal.form;
    provide_context(state);
    let create = Memo::new(move |_| state.create_button(modal.submitting()));
    // A Create pressed while the checks ran starts once they pass; if they fail, the form says
    // why nothing was created.
    Effect::new(move |_| {
        if !state.pending_create.get() {
            return;
        }
        match create.get() {
            CreateButton::Ready => {
                state.pending_create.set(false);
                start_create(modal);
            }
            CreateButton::FixErrors => {
                state.pending_create.set(false);
                state.notice.set(Some(
                    "Nothing was created: the checks above found a problem. Fix it, then press \
                     Create again."
                        .into(),
                ));
            }
            CreateButton::Validating | CreateButton::Starting => {}
        }
    });
    // The first field takes the focus when the form appears.
    Effect::new(move |_| request_animation_frame(move || state.focus_first()));

    let (lo, hi) = NODE_COUNT_RANGE;
    let (sys_lo, sys_hi) = SYSTEM_NODE_COUNT_RANGE;
    let regions = Signal::stored(region_choices());
    let sizes = Signal::derive(move || state.size_choices());
    let versions = Signal::derive(move || state.version_choices());
    let subscriptions = Signal::stored(state.subscription_choices());
    // Memos: the resource-group field changes with the subscription, not with every key typed.
    let groups = Memo::new(move |_| state.group_choices());
    let any_group = Memo::new(move |_| state.any_group());
    let node_sku = state.text(RequestField::NodeSku);
    let system_vm_size = state.text(RequestField::SystemVmSize);
    let notice = move || {
        state.notice.get().map(|n| {
            view! {
                <div class="notice notice-error" role="alert">
                    {n}
                </div>
            }
        })
    };
    let waiting = move || {
        (state.pending_create.get() && create.get() == CreateButton::Validating).then(|| {
            view! {
                <p class="checks-note" role="status">
                    "Create starts as soon as the checks pass."
                </p>
            }
        })
    };
    erased_on_server(view! {
        <form class="provision-form" novalidate on:submit=move |ev| on_submit(modal, ev)>
            <div class="form-fields">
                <fieldset class="form-section">
                    <legend>"Cluster"</legend>
                    <div class="form-grid">
                        <FormField
                            field=RequestField::ClusterName
                            label="Cluster name"
                            hint=Signal::stored(Some(
                                "Letters, digits, '-' and '_'; starts and ends with a letter or digit."
                                    .to_owned(),
                            ))
                        />
                        <FormField field=RequestField::Region label="Region" kind=FieldKind::Select choices=regions />
                        <FormField
                            field=RequestField::KubernetesVersion
                            label="Kubernetes version"
                            kind=FieldKind::Select
                            choices=versions
                        />
                        <FormField
                            field=RequestField::SubscriptionId
                            label="Subscription"
                            kind=FieldKind::Select
                            choices=subscriptions
                        />
                        {move || {
                            if any_group.get() {
                                Either::Left(view! {
                                    <FormField
                                        field=RequestField::ResourceGroup
                                        label="Resource group"
                                        hint=Signal::stored(Some(
                                            "Any group of this subscription; a missing one is created."
                                                .to_owned(),
                                        ))
                                    />
                                })
                            } else {
                                Either::Right(view! {
                                    <FormField
                                        field=RequestField::ResourceGroup
                                        label="Resource group"
                                        kind=FieldKind::Select
                                        choices=groups
                                    />
                                })
                            }
                        }}
                    </div>
                </fieldset>
                <fieldset class="form-section">
                    <legend>"Node pools"</legend>
                    <div class="form-grid">
                        <FormField
                            field=RequestField::NodeSku
                            label="Node VM size"
                            kind=FieldKind::Select
                            choices=sizes
                            hint=Signal::derive(move || state.size_hint(node_sku.get()))
                            warn=true
                        />
                        <FormField
                            field=RequestField::NodeCount
                            label="Node count"
                            kind=FieldKind::Count { min: lo, max: hi }
                            hint=Signal::derive(move || state.node_count_hint())
                        />
                        <FormField
                            field=RequestField::SystemVmSize
                            label="System VM size"
                            kind=FieldKind::Select
                            choices=sizes
                            hint=Signal::derive(move || state.size_hint(system_vm_size.get()))
                            warn=true
                        />
                        <FormField
                            field=RequestField::SystemNodeCount
                            label="System node count"
                            kind=FieldKind::Count { min: sys_lo, max: sys_hi }
                        />
                    </div>
                </fieldset>
            </div>
            <checks::PreflightChecks state />
            <estimate::CostEstimate state />
            <SignInAgainNotice />
            {notice}
            <footer class="modal-footer">
                {waiting}
                <button type="button" class="btn" on:click=move |_| modal.request_close()>
                    "Cancel"
                </button>
                <button
                    type="submit"
                    class="btn btn-primary"
                    data-testid="create-button"
                    data-state=move || create.get().as_str()
                    disabled=move || create.get().refuses_press()
                    aria-disabled=move || {
                        if create.get() == CreateButton::Ready { "false" } else { "true" }
                    }
                >
                    {move || create.get().label()}
                </button>
            </footer>
        </form>
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::provision_modal::Phase;
    use crate::domain::ProvisionRequest;
    use crate::identity::SessionInfo;

    /// The form for `session`, rendered on the server as the browser would build it.
    fn form_html_for(session: SessionInfo) -> String {
        crate::components::fixtures::server_html(move || {
            let modal = Modal {
                form: FormState::new(&session, None),
                phase: RwSignal::new(Phase::Form),
                task: RwSignal::new(None),
                cancel_partial: RwSignal::new(None),
                confirm_close: RwSignal::new(false),
                data: FormAnswers::new(),
                control: None,
                in_flight: None,
                approvals: None,
            };
            view! { <ProvisionForm modal /> }
        })
    }

    fn form_html() -> String {
        form_html_for(crate::components::fixtures::session(
            "simulator",
            "rg-aks-dev",
        ))
    }

    #[test]
    fn subscription_and_group_are_chosen_from_the_allowed_scopes() {
        use crate::identity::ScopeChoice;
        let mut session = crate::components::fixtures::session("simulator", "rg-aks-dev");
        session.scopes.push(ScopeChoice {
            subscription_id: session.scope.subscription_id.clone(),
            resource_group: Some("rg-aks-test".into()),
        });
        session.scopes.push(ScopeChoice {
            subscription_id: "22222222-3333-4444-5555-666666666666".into(),
            resource_group: None,
        });
        let html = form_html_for(session);
        let select = |field: RequestField| {
            let start = html
                .find(&format!(r#"<select id="{}""#, field_id(field)))
                .unwrap_or_else(|| panic!("{} is a select: {html}", field.name()));
            let end = start + html[start..].find("</select>").expect("closed");
            html[start..end].to_owned()
        };
        let subs = select(RequestField::SubscriptionId);
        assert!(
            subs.contains("11111111-2222-3333-4444-555555555555"),
            "{subs}"
        );
        assert!(
            subs.contains("22222222-3333-4444-5555-666666666666"),
            "{subs}"
        );
        let groups = select(RequestField::ResourceGroup);
        assert!(
            groups.contains("rg-aks-dev") && groups.contains("rg-aks-test"),
            "{groups}"
        );
    }

    #[test]
    fn every_field_of_the_request_is_in_the_form() {
        let html = form_html();
        let Ok(serde_json::Value::Object(fields)) =
            serde_json::to_value(ProvisionRequest::default())
        else {
            panic!("a request is a JSON object");
        };
        for name in fields.keys() {
            let field = RequestField::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .unwrap_or_else(|| panic!("{name} has no `RequestField`: add one"));
            assert!(
                html.contains(&format!(r#"id="{}""#, field_id(field))),
                "{name} has no field in the form: add one `<FormField field=RequestField::… />`"
            );
            assert!(
                html.contains(&format!(r#"for="{}""#, field_id(field))),
                "{name} has no label"
            );
        }
    }

    #[test]
    fn the_fields_say_where_their_hint_and_message_are() {
        let html = form_html();
        assert!(
            html.contains(r#"aria-describedby="pm-node_count-hint pm-node_count-error""#),
            "{html}"
        );
        assert!(html.contains(r#"data-testid="create-button""#), "{html}");
    }
}
