//! The form's state: the request its fields make (one typed value, each field one of its
//! fields), what the user did with the fields, what the checks and the server said, and the
//! Create button's state from it. What the form offers from it (choices, hints) is in
//! `choices.rs`.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::create::CreateButton;
use super::preflight::Checks;
use crate::components::provision_modal::opening::{checked_name, start_request};
use crate::domain::validation::validate_provision_request;
use crate::domain::{
    AppliedFix, AvailableSkus, CheckStatus, Fix, PriceEstimate, ProvisionRequest, RequestField,
};
use crate::identity::{ScopeChoice, SessionInfo};

/// The form's state. Shared with the screens that lead back to the form, and by context with
/// its fields. Cheap to copy.
#[derive(Clone, Copy)]
pub struct FormState {
    /// The request the fields make. A count that is not a whole number (or was cleared) is 0,
    /// which its rule refuses; its field shows it empty.
    pub(super) request: RwSignal<ProvisionRequest>,
    /// The node count was typed or loaded: the quota's largest fit no longer replaces it.
    pub(super) count_touched: RwSignal<bool>,
    /// The name the `name` check looks at: set when the name field is left (typing alone does
    /// not run the checks) and when a request is loaded.
    pub(super) name_for_checks: RwSignal<String>,
    /// Fields the user edited: leaving one of them shows its rule's message.
    pub(super) edited: StoredValue<Vec<RequestField>>,
    /// Fields the user edited and left: their own rule's message shows from then on (a field
    /// only passed through says nothing until Create).
    pub(super) touched: RwSignal<Vec<RequestField>>,
    /// Create was pressed: every field's message shows.
    pub(super) submitted: RwSignal<bool>,
    /// The server's messages by field name, from the last Create.
    pub(super) server_errors: RwSignal<BTreeMap<String, String>>,
    /// The server's answer to the last Create when it names no field.
    pub(super) notice: RwSignal<Option<String>>,
    pub(super) checks: RwSignal<Checks>,
    /// The VM sizes of the chosen region.
    pub(super) skus: RwSignal<Option<AvailableSkus>>,
    /// What the checked request costs: the last answer, or why the prices could not be read.
    pub(super) prices: RwSignal<Option<Result<PriceEstimate, String>>>,
    /// The next pre-flight runs at once instead of after the debounce.
    pub(super) immediate: StoredValue<bool>,
    /// The form's own rules broken by its values, by field name.
    pub(super) client_errors: Memo<BTreeMap<String, String>>,
    /// Create was pressed while the checks ran: it starts when they pass.
    pub(super) pending_create: RwSignal<bool>,
    /// How to focus each field, in screen order (each [`FormField`] adds itself).
    ///
    /// [`FormField`]: super::FormField
    pub(super) fields: StoredValue<Vec<(RequestField, Callback<()>)>>,
    /// Where the user may create: the subscription and resource-group choices come from these.
    pub(super) scopes: StoredValue<Vec<ScopeChoice>>,
    /// The one-click fix the request was last made from, sent with Create for the history.
    pub(crate) applied_fix: RwSignal<Option<AppliedFix>>,
}

impl FormState {
    pub(crate) fn new(session: &SessionInfo, prefill: Option<&ProvisionRequest>) -> Self {
        let request = RwSignal::new(start_request(session, prefill));
        Self {
            request,
            count_touched: RwSignal::new(prefill.is_some_and(|r| r.node_count > 0)),
            name_for_checks: RwSignal::new(
                prefill
                    .map(|r| checked_name(&r.cluster_name))
                    .unwrap_or_default(),
            ),
            edited: StoredValue::new(Vec::new()),
            touched: RwSignal::new(Vec::new()),
            submitted: RwSignal::new(false),
            server_errors: RwSignal::new(BTreeMap::new()),
            notice: RwSignal::new(None),
            checks: RwSignal::new(Checks {
                running: true,
                ..Checks::default()
            }),
            skus: RwSignal::new(None),
            prices: RwSignal::new(None),
            immediate: StoredValue::new(true),
            client_errors: Memo::new(move |_| request.with(validate_provision_request)),
            pending_create: RwSignal::new(false),
            fields: StoredValue::new(Vec::new()),
            scopes: StoredValue::new(session.scopes.clone()),
            applied_fix: RwSignal::new(None),
        }
    }

    /// The request the form's values make, read without subscribing to them.
    pub(crate) fn request_untracked(self) -> ProvisionRequest {
        self.request.get_untracked()
    }

    /// One field's text (tracked, and only when that field changes).
    pub(super) fn text(self, field: RequestField) -> Memo<String> {
        let request = self.request;
        Memo::new(move |_| request.with(|r| field.text(r)))
    }

    /// A request to start from (Edit & retry, a fix): the form takes its values (an empty one
    /// keeps what the form has, but for the Kubernetes version, where empty is AKS's default)
    /// and checks it at once.
    pub(crate) fn load(self, r: &ProvisionRequest) {
        self.request.update(|request| {
            for field in RequestField::ALL {
                let text = field.text(r);
                if !text.is_empty() || field == RequestField::KubernetesVersion {
                    field.set(request, &text);
                }
            }
        });
        self.count_touched.set(r.node_count > 0);
        self.name_for_checks.set(checked_name(&r.cluster_name));
        self.immediate.set_value(true);
    }

    /// Back from a create to the form: the last create's messages go.
    pub(crate) fn reset_after_create(self) {
        self.server_errors.set(BTreeMap::new());
        self.submitted.set(false);
        self.pending_create.set(false);
    }

    /// Something was typed or chosen in a field: the server's message about it and the form's
    /// notice go.
    pub(super) fn edit(self, field: RequestField, text: String) {
        self.request.update(|r| field.set(r, &text));
        match field {
            RequestField::NodeCount => self.count_touched.set(true),
            RequestField::SubscriptionId => self.keep_group_in_subscription(),
            _ => {}
        }
        if self.edited.with_value(|e| !e.contains(&field)) {
            self.edited.update_value(|e| e.push(field));
        }
        if self
            .server_errors
            .with_untracked(|s| s.contains_key(field.name()))
        {
            self.server_errors.update(|s| {
                s.remove(field.name());
            });
        }
        self.notice.set(None);
    }

    /// A field was left: once edited, its own rule's message shows from now on; a name the checks
    /// can ask about is checked.
    pub(super) fn left(self, field: RequestField) {
        // Focus also leaves while the form is taken down: by then there is nothing to do.
        if self.touched.is_disposed() {
            return;
        }
        let edited = self.edited.with_value(|e| e.contains(&field));
        if edited && self.touched.with_untracked(|t| !t.contains(&field)) {
            self.touched.update(|t| t.push(field));
        }
        if field == RequestField::ClusterName {
            let now = checked_name(&self.request_untracked().cluster_name);
            if self.name_for_checks.get_untracked() != now {
                self.name_for_checks.set(now);
            }
        }
    }

    /// A field's message: the server's from the last Create, else the form's own rule once the
    /// field was left or Create was pressed.
    fn error_text(self, field: RequestField) -> Option<String> {
        let name = field.name();
        self.server_errors
            .with(|s| s.get(name).cloned())
            .or_else(|| {
                let show = self.submitted.get() || self.touched.with(|t| t.contains(&field));
                if show {
                    self.client_errors.with(|c| c.get(name).cloned())
                } else {
                    None
                }
            })
    }

    /// [`error_text`](Self::error_text) of one field, as a memo.
    pub(super) fn error_of(self, field: RequestField) -> Memo<Option<String>> {
        Memo::new(move |_| self.error_text(field))
    }

    /// A field tells the form how to focus it (again, when the form is shown again).
    pub(super) fn register(self, field: RequestField, focus: impl Fn() + Send + Sync + 'static) {
        let focus = Callback::new(move |()| focus());
        self.fields.update_value(
            |fields| match fields.iter_mut().find(|(f, _)| *f == field) {
                Some(known) => known.1 = focus,
                None => fields.push((field, focus)),
            },
        );
    }

    /// The fields in screen order.
    pub(super) fn field_order(self) -> Vec<RequestField> {
        self.fields
            .with_value(|fields| fields.iter().map(|(f, _)| *f).collect())
    }

    fn focus(self, field: RequestField) {
        let focus = self
            .fields
            .with_value(|fields| fields.iter().find(|(f, _)| *f == field).map(|(_, c)| *c));
        if let Some(focus) = focus {
            focus.try_run(());
        }
    }

    /// The first field (in screen order) takes the focus.
    pub(super) fn focus_first(self) {
        if let Some(first) = self.field_order().first() {
            self.focus(*first);
        }
    }

    /// The first field (in screen order) with an error (by field name) takes the focus.
    pub(super) fn focus_first_invalid(self, errors: &BTreeMap<String, String>) {
        if let Some(field) = self
            .field_order()
            .into_iter()
            .find(|f| errors.contains_key(f.name()))
        {
            self.focus(field);
        }
    }

    /// Server errors of the fields the form has (by name), the others left out.
    pub(super) fn known_fields(
        self,
        mut errors: BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let order = self.field_order();
        errors.retain(|name, _| order.iter().any(|f| f.name() == name));
        errors
    }

    /// A fix from a failing check: the form takes its request, and the focus goes to the first
    /// field it changed (the button itself goes with the check's new answer).
    pub(super) fn apply_fix(self, fix: Fix) {
        let before = self.request_untracked();
        let Some(request) = fix.request.clone() else {
            return;
        };
        self.applied_fix.set(AppliedFix::of(&fix, &before, None));
        let changed = self
            .field_order()
            .into_iter()
            .find(|f| f.text(&before) != f.text(&request));
        self.load(&request);
        request_animation_frame(move || {
            if let Some(field) = changed {
                self.focus(field);
            }
        });
    }

    /// What the Create button says, and whether it can be pressed (tracked).
    pub(crate) fn create_button(self, submitting: bool) -> CreateButton {
        let (running, any_fails) = self.checks.with(|c| {
            let fails = c
                .report
                .as_ref()
                .is_some_and(|r| !r.ok || r.checks.iter().any(|k| k.status == CheckStatus::Fail));
            (c.running, fails)
        });
        let field_errors = self.server_errors.with(|s| !s.is_empty())
            || RequestField::ALL.into_iter().any(|f| {
                self.client_errors.with(|c| c.contains_key(f.name()))
                    && self.error_text(f).is_some()
            });
        CreateButton::decide(submitting, running, any_fails, field_errors)
    }
}
