//! The create form: its fields, the live pre-flight rows with their fixes, the Create button,
//! and the server functions the form calls.

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::{Modal, Phase};
use crate::api_error::ApiError;
use crate::app::SessionInfo;
use crate::components::markup::{Clicked, Html, Place, keep_drawn, optional_element, set_text};
use crate::components::notify;
use crate::components::provision_error_card::fix_actions;
use crate::provisioning::model::{
    AvailableSkus, CheckStatus, Fix, PreflightReport, ProvisionAccepted, ProvisionRequest,
};
use crate::provisioning::validate::{
    KNOWN_REGIONS, KNOWN_VM_SIZES, NODE_COUNT_RANGE, SYSTEM_NODE_COUNT_RANGE,
    validate_provision_request,
};

/// Starts a provision. 202 with the job and task ids; 400 with per-field errors; 503 when the
/// job cannot be stored. The request's fields are the JSON body's top-level fields.
#[server(prefix = "/api", endpoint = "aks/provision", protocol = crate::server_call::Api<server_fn::codec::Json>)]
pub async fn provision(
    #[server(flatten)] request: ProvisionRequest,
) -> Result<ProvisionAccepted, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    let accepted = service::provision(&state, &caller, request)
        .await
        .map_err(service::respond)?;
    service::set_status(202);
    Ok(accepted)
}

/// Live pre-flight checks (`skus`, `quota`, `resource_group`) for a would-be provision; the
/// cluster name may be left out.
#[server(prefix = "/api", endpoint = "aks/preflight", protocol = crate::server_call::Api<server_fn::codec::Json>)]
pub async fn preflight(
    #[server(flatten)] request: ProvisionRequest,
) -> Result<PreflightReport, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::preflight(&state, &caller, request)
        .await
        .map_err(service::respond)
}

/// The VM sizes of a region, with availability and Azure's reason when blocked.
#[server(prefix = "/api", endpoint = "aks/available-skus", protocol = crate::server_call::Api<server_fn::codec::GetUrl>)]
pub async fn get_available_skus(region: String) -> Result<AvailableSkus, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::available_skus(&state, &caller, &region)
        .await
        .map_err(service::respond)
}

/// The form's fields in screen order: focus goes to the first one with an error.
pub(super) const FIELD_ORDER: [&str; 8] = [
    "cluster_name",
    "region",
    "subscription_id",
    "resource_group",
    "node_sku",
    "node_count",
    "system_vm_size",
    "system_node_count",
];

/// The pre-flight checks the server runs, with their names on screen.
const CHECKS: [(&str, &str); 4] = [
    ("skus", "VM sizes"),
    ("quota", "vCPU quota"),
    ("resource_group", "Resource group"),
    ("name", "Name"),
];

/// How long the form waits after an edit before it runs the checks again.
const PREFLIGHT_DEBOUNCE: Duration = Duration::from_millis(500);

fn field_id(name: &str) -> String {
    format!("pm-{name}")
}

/// A count typed into a number field; 0 (out of every range) when it is not a number.
fn parse_count(text: &str) -> u32 {
    text.trim().parse().unwrap_or(0)
}

/// The count the form starts with: the quota's largest fit, within the product's bounds.
pub fn default_node_count(max_node_count: Option<u32>) -> Option<u32> {
    let (lo, hi) = NODE_COUNT_RANGE;
    max_node_count.filter(|m| *m >= lo).map(|m| m.min(hi))
}

/// What the Create button says and whether it can be pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateButton {
    Ready,
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
}

/// The form's values, one signal each.
#[derive(Clone, Copy)]
struct Form {
    subscription_id: RwSignal<String>,
    resource_group: RwSignal<String>,
    region: RwSignal<String>,
    cluster_name: RwSignal<String>,
    node_sku: RwSignal<String>,
    node_count: RwSignal<String>,
    system_vm_size: RwSignal<String>,
    system_node_count: RwSignal<String>,
}

impl Form {
    fn new(session: &SessionInfo) -> Self {
        Self {
            subscription_id: RwSignal::new(session.subscription_id.clone()),
            resource_group: RwSignal::new(session.resource_group.clone()),
            region: RwSignal::new(KNOWN_REGIONS[0].to_owned()),
            cluster_name: RwSignal::new(String::new()),
            node_sku: RwSignal::new(KNOWN_VM_SIZES[0].0.to_owned()),
            node_count: RwSignal::new("1".to_owned()),
            system_vm_size: RwSignal::new(KNOWN_VM_SIZES[0].0.to_owned()),
            system_node_count: RwSignal::new("1".to_owned()),
        }
    }

    /// Fills the form from a request; empty values keep what the form has.
    fn fill(&self, r: &ProvisionRequest) {
        let set = |sig: RwSignal<String>, v: &str| {
            if !v.is_empty() {
                sig.set(v.to_owned());
            }
        };
        set(self.subscription_id, &r.subscription_id);
        set(self.resource_group, &r.resource_group);
        set(self.region, &r.region);
        set(self.cluster_name, &r.cluster_name);
        set(self.node_sku, &r.node_sku);
        set(self.system_vm_size, &r.system_vm_size);
        if r.node_count > 0 {
            self.node_count.set(r.node_count.to_string());
        }
        if r.system_node_count > 0 {
            self.system_node_count.set(r.system_node_count.to_string());
        }
    }

    /// The signal of the field called `name` (see [`FIELD_ORDER`]).
    fn field(&self, name: &str) -> Option<RwSignal<String>> {
        Some(match name {
            "subscription_id" => self.subscription_id,
            "resource_group" => self.resource_group,
            "region" => self.region,
            "cluster_name" => self.cluster_name,
            "node_sku" => self.node_sku,
            "node_count" => self.node_count,
            "system_vm_size" => self.system_vm_size,
            "system_node_count" => self.system_node_count,
            _ => return None,
        })
    }

    /// The request the values make, read without subscribing to them.
    fn request_untracked(&self) -> ProvisionRequest {
        untrack(|| self.request())
    }

    fn request(&self) -> ProvisionRequest {
        ProvisionRequest {
            subscription_id: self.subscription_id.get().trim().to_owned(),
            resource_group: self.resource_group.get().trim().to_owned(),
            region: self.region.get(),
            cluster_name: self.cluster_name.get().trim().to_owned(),
            node_sku: self.node_sku.get(),
            node_count: parse_count(&self.node_count.get()),
            system_vm_size: self.system_vm_size.get(),
            system_node_count: parse_count(&self.system_node_count.get()),
        }
    }
}

/// Pre-flight as the form knows it.
#[derive(Debug, Clone, PartialEq, Default)]
struct Checks {
    running: bool,
    report: Option<PreflightReport>,
    /// Why the checks could not run (the server could not answer, or fields are invalid).
    unavailable: Option<String>,
}

/// The form's state, shared with the screens that lead back to it.
#[derive(Clone, Copy)]
pub(super) struct FormState {
    values: Form,
    /// The node count was typed or loaded: the quota's largest fit no longer replaces it.
    count_touched: RwSignal<bool>,
    /// The name the `name` check looks at: set when the name field is left (typing alone does
    /// not run the checks) and when a request is loaded.
    name_for_checks: RwSignal<String>,
    /// Fields the user has left: their own rule's message shows from then on.
    touched: RwSignal<Vec<&'static str>>,
    /// Create was pressed: every field's message shows.
    pub(super) submitted: RwSignal<bool>,
    /// The server's messages by field, from the last Create.
    pub(super) server_errors: RwSignal<BTreeMap<String, String>>,
    /// The server's answer to the last Create when it names no field.
    notice: RwSignal<Option<String>>,
    checks: RwSignal<Checks>,
    /// The VM sizes of the chosen region.
    skus: RwSignal<Option<AvailableSkus>>,
    /// The next pre-flight runs at once instead of after the debounce.
    immediate: StoredValue<bool>,
    /// The form's own rules broken by its values, by field.
    client_errors: Memo<BTreeMap<String, String>>,
}

impl FormState {
    pub(super) fn new(session: &SessionInfo, prefill: Option<&ProvisionRequest>) -> Self {
        let values = Form::new(session);
        let state = Self {
            values,
            count_touched: RwSignal::new(false),
            name_for_checks: RwSignal::new(String::new()),
            touched: RwSignal::new(Vec::new()),
            submitted: RwSignal::new(false),
            server_errors: RwSignal::new(BTreeMap::new()),
            notice: RwSignal::new(None),
            checks: RwSignal::new(Checks {
                running: true,
                ..Checks::default()
            }),
            skus: RwSignal::new(None),
            immediate: StoredValue::new(true),
            client_errors: Memo::new(move |_| validate_provision_request(&values.request())),
        };
        if let Some(r) = prefill {
            state.load(r);
        }
        state
    }

    /// The request the form's values make.
    pub(super) fn request(&self) -> ProvisionRequest {
        self.values.request()
    }

    /// The same, read without subscribing to the values.
    pub(super) fn request_untracked(&self) -> ProvisionRequest {
        self.values.request_untracked()
    }

    /// A request to start from (Edit & retry, a fix): the form takes it and checks it at once.
    pub(super) fn load(self, r: &ProvisionRequest) {
        self.values.fill(r);
        self.count_touched.set(r.node_count > 0);
        self.name_for_checks.set(checked_name(&r.cluster_name));
        self.immediate.set_value(true);
    }

    /// A field's message: the server's from the last Create, else the form's own rule once the
    /// field was left or Create was pressed.
    fn error_text(self, name: &str) -> Option<String> {
        self.server_errors
            .with(|s| s.get(name).cloned())
            .or_else(|| {
                let show = self.submitted.get() || self.touched.with(|t| t.contains(&name));
                if show {
                    self.client_errors.with(|c| c.get(name).cloned())
                } else {
                    None
                }
            })
    }

    /// What the Create button says, and whether it can be pressed.
    pub(super) fn create_button(self, submitting: bool) -> CreateButton {
        let (running, any_fails) = self.checks.with(|c| {
            let fails = c
                .report
                .as_ref()
                .is_some_and(|r| !r.ok || r.checks.iter().any(|k| k.status == CheckStatus::Fail));
            (c.running, fails)
        });
        CreateButton::decide(
            submitting,
            running,
            any_fails,
            FIELD_ORDER.iter().any(|f| self.error_text(f).is_some()),
        )
    }

    /// The hint under a field: how many nodes fit the quota, or why a chosen size is blocked.
    fn hint(self, name: &str) -> Option<String> {
        let form = self.values;
        match name {
            "cluster_name" => Some(
                "Letters, digits, '-' and '_'; starts and ends with a letter or digit.".to_owned(),
            ),
            "node_count" => {
                let max = self
                    .checks
                    .with(|c| c.report.as_ref().and_then(|r| r.max_node_count))?;
                let region = form.region.get();
                Some(match (max, self.count_touched.get()) {
                    (0, _) => format!("No node of this size fits your vCPU quota in {region}."),
                    (1, _) => format!("1 node fits your vCPU quota in {region}."),
                    (_, true) => format!("Up to {max} nodes fit your vCPU quota in {region}."),
                    (_, false) => {
                        format!("Set to the most that fit your vCPU quota in {region}: {max}.")
                    }
                })
            }
            "node_sku" | "system_vm_size" => {
                let size = form.field(name)?.get();
                self.skus.with(|s| {
                    let s = s.as_ref()?;
                    let k = s.skus.iter().find(|k| k.name.eq_ignore_ascii_case(&size))?;
                    let reason = k.reason.clone().unwrap_or_else(|| "restricted".into());
                    (!k.available).then(|| {
                        format!(
                            "Not offered to this subscription in {} ({reason}).",
                            s.region
                        )
                    })
                })
            }
            _ => None,
        }
    }

    /// The choices of a select field; none for the other fields.
    fn choices(self, name: &str) -> Option<Vec<(String, String)>> {
        match name {
            "region" => Some(regions_offered()),
            "node_sku" | "system_vm_size" => Some(self.skus.with(|s| size_choices_of(s.as_ref()))),
            _ => None,
        }
    }
}

/// Runs pre-flight whenever what it checks changes (debounced; the name once its field is left)
/// and reads the VM sizes of the chosen region, for as long as the modal is open.
pub(super) fn start_checks(state: FormState) {
    let FormState {
        values: form,
        count_touched,
        name_for_checks,
        checks,
        skus,
        immediate,
        ..
    } = state;

    // Pre-flight: every change of what it checks runs it again, debounced; the name only once
    // its field is left.
    let preflight_input = Memo::new(move |_| ProvisionRequest {
        cluster_name: name_for_checks.get(),
        ..form.request()
    });
    let run_seq = StoredValue::new(0u64);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let req = preflight_input.get();
        if let Some(t) = timer.get_value() {
            t.clear();
        }
        run_seq.update_value(|n| *n += 1);
        let seq = run_seq.get_value();
        let probe = ProvisionRequest {
            cluster_name: "x".into(),
            ..req.clone()
        };
        if !validate_provision_request(&probe).is_empty() {
            checks.set(Checks {
                running: false,
                report: None,
                unavailable: Some("Correct the highlighted fields to run the checks.".into()),
            });
            return;
        }
        checks.update(|c| c.running = true);
        let run = move || {
            leptos::task::spawn_local(async move {
                let answer = preflight(req).await;
                if run_seq.try_get_value() != Some(seq) {
                    // A newer edit ran the checks again, or the modal is gone.
                    return;
                }
                match answer {
                    Ok(report) => {
                        let default = default_node_count(report.max_node_count);
                        checks.set(Checks {
                            running: false,
                            report: Some(report),
                            unavailable: None,
                        });
                        let untouched = !count_touched.get_untracked();
                        if let Some(n) = default.filter(|n| {
                            untouched && form.node_count.get_untracked() != n.to_string()
                        }) {
                            immediate.set_value(true);
                            form.node_count.set(n.to_string());
                        }
                    }
                    Err(e) => checks.set(Checks {
                        running: false,
                        report: None,
                        unavailable: Some(format!(
                            "The checks could not run ({}). Azure checks again when you create.",
                            e.message
                        )),
                    }),
                }
            });
        };
        let delay = if immediate.get_value() {
            Duration::ZERO
        } else {
            PREFLIGHT_DEBOUNCE
        };
        immediate.set_value(false);
        timer.set_value(set_timeout_with_handle(run, delay).ok());
    });
    on_cleanup(move || {
        if let Some(t) = timer.get_value() {
            t.clear();
        }
    });

    // The VM sizes of the chosen region, to say which ones Azure blocks.
    Effect::new(move |_| {
        let region = form.region.get();
        leptos::task::spawn_local(async move {
            if let Ok(list) = get_available_skus(region.clone()).await
                && form.region.try_get_untracked().as_deref() == Some(region.as_str())
            {
                skus.set(Some(list));
            }
        });
    });
}

/// Keeps the form's markup current while it is on screen: each field's value, choices, hint and
/// message, the pre-flight rows, the notices, and the Create button.
pub(super) fn keep_current(modal: Modal) {
    let state = modal.form;
    for name in FIELD_ORDER {
        bind_field(state, name);
    }
    let checks = state.checks;
    Effect::new(move |_| {
        let name_checked = !state.name_for_checks.get_untracked().is_empty();
        let (busy, rows) = checks.with(|c| (c.running, check_rows_markup(c, name_checked)));
        if let Some(list) = document().get_element_by_id("pm-checks") {
            let _ = list.set_attribute("aria-busy", if busy { "true" } else { "false" });
            list.set_inner_html(&rows);
        }
    });
    keep_drawn(
        Place::Id("pm-checks-note"),
        Box::new(move || checks.with(|c| checks_note_markup(c.unavailable.as_deref()))),
    );
    keep_drawn(
        Place::Id("pm-notice"),
        Box::new(move || state.notice.with(|n| notice_markup(n.as_deref()))),
    );
    // Create says what it waits for: its label, `data-state` and `disabled` set in place.
    Effect::new(move |_| {
        let now = modal.create_button();
        if let Some(button) = document().get_element_by_id("pm-create") {
            let _ = button.set_attribute("data-state", now.as_str());
            let _ = if now == CreateButton::Ready {
                button.remove_attribute("disabled")
            } else {
                button.set_attribute("disabled", "")
            };
            set_text(&button, now.label());
        }
    });
}

/// Draws the form into `body` as it stands.
pub(super) fn draw(modal: Modal, body: &leptos::web_sys::Element) {
    let html = untrack(|| form_markup(modal));
    body.set_inner_html(&html);
}

/// The whole form as markup, with the state it has now: fields, pre-flight rows, notices and
/// the Create button (the ids [`keep_current`] keeps current).
fn form_markup(modal: Modal) -> String {
    let state = modal.form;
    let create = modal.create_button();
    let name_checked = !state.name_for_checks.get().is_empty();
    let mut h = Html::new();
    h.start("form")
        .attr("class", "provision-form")
        .attr("novalidate", "")
        .end();
    h.start("div").attr("class", "form-fields").end();
    let field = |name: &str| FieldNow {
        hint: state.hint(name),
        error: state.error_text(name),
        choices: state.choices(name).unwrap_or_default(),
    };
    fields_into(&mut h, &state.request(), &field);
    h.close("div");
    h.start("section")
        .attr("class", "checks")
        .attr("aria-labelledby", "pm-checks-title")
        .end()
        .element(
            "h3",
            &[("id", "pm-checks-title"), ("class", "checks-title")],
            "Pre-flight checks",
        );
    state.checks.with(|c| {
        h.start("ul")
            .attr("class", "check-list")
            .attr("id", "pm-checks")
            .attr("aria-live", "polite")
            .attr("aria-busy", if c.running { "true" } else { "false" })
            .end()
            .raw(&check_rows_markup(c, name_checked))
            .close("ul");
        h.start("div")
            .attr("class", "notice-slot")
            .attr("id", "pm-checks-note")
            .end()
            .raw(&checks_note_markup(c.unavailable.as_deref()))
            .close("div");
    });
    h.close("section");
    h.start("div")
        .attr("class", "notice-slot")
        .attr("id", "pm-notice")
        .end()
        .raw(&state.notice.with(|n| notice_markup(n.as_deref())))
        .close("div");
    h.start("footer").attr("class", "modal-footer").end();
    h.element(
        "button",
        &[
            ("type", "button"),
            ("class", "btn"),
            ("data-action", "form-cancel"),
        ],
        "Cancel",
    );
    h.start("button")
        .attr("type", "submit")
        .attr("class", "btn btn-primary")
        .attr("data-testid", "create-button")
        .attr("id", "pm-create")
        .attr("data-state", create.as_str())
        .attr_if(create != CreateButton::Ready, "disabled", "")
        .end()
        .text(create.label())
        .close("button")
        .close("footer")
        .close("form");
    h.finish()
}

/// Why the checks could not run.
fn checks_note_markup(unavailable: Option<&str>) -> String {
    optional_element("p", &[("class", "checks-note")], unavailable)
}

/// The server's answer to the last Create when it names no field.
fn notice_markup(notice: Option<&str>) -> String {
    optional_element(
        "div",
        &[("class", "notice notice-error"), ("role", "alert")],
        notice,
    )
}

/// The field an event happened in (its `data-field`), with its value's signal.
fn field_of(state: FormState, ev: &leptos::ev::Event) -> Option<(&'static str, RwSignal<String>)> {
    use leptos::wasm_bindgen::JsCast;
    let name = ev
        .target()?
        .dyn_into::<leptos::web_sys::Element>()
        .ok()?
        .get_attribute("data-field")?;
    let name = FIELD_ORDER.into_iter().find(|f| *f == name)?;
    Some((name, state.values.field(name)?))
}

/// Something was typed into a field.
pub(super) fn on_input(modal: Modal, ev: &leptos::ev::Event) {
    let state = modal.form;
    if let Some((name, value)) = field_of(state, ev) {
        value.set(event_target_value(ev));
        edited(state, name);
    }
}

/// A select is chosen and left in one go; a text field's `change` is its `input`s again.
pub(super) fn on_change(modal: Modal, ev: &leptos::ev::Event) {
    let state = modal.form;
    let select = event_target::<leptos::web_sys::Element>(ev).tag_name() == "SELECT";
    if let Some((name, value)) = field_of(state, ev).filter(|_| select) {
        value.set(event_target_value(ev));
        edited(state, name);
        left(state, name);
    }
}

/// The focus left a field.
pub(super) fn on_focusout(modal: Modal, ev: &leptos::ev::FocusEvent) {
    // Focus also leaves while the dialog is taken down: by then the form is gone.
    if modal.form.touched.is_disposed() {
        return;
    }
    if let Some((name, _)) = field_of(modal.form, ev) {
        left(modal.form, name);
    }
}

/// A field was edited: the server's message about it and the form's notice go.
fn edited(state: FormState, name: &'static str) {
    if name == "node_count" {
        state.count_touched.set(true);
    }
    state.server_errors.update(|s| {
        s.remove(name);
    });
    state.notice.set(None);
}

/// A field was left: its own rule's message shows from now on, and a name the checks can ask
/// about is checked.
fn left(state: FormState, name: &'static str) {
    if state.touched.with_untracked(|t| !t.contains(&name)) {
        state.touched.update(|t| t.push(name));
    }
    if name == "cluster_name" {
        let now = checked_name(&state.values.cluster_name.get_untracked());
        if state.name_for_checks.get_untracked() != now {
            state.name_for_checks.set(now);
        }
    }
}

/// Focus goes to the first field (in screen order) with an error.
fn focus_first_invalid(errors: &BTreeMap<String, String>) {
    if let Some(name) = FIELD_ORDER.iter().find(|f| errors.contains_key(**f)) {
        focus_field(name);
    }
}

/// Create: the form's own rules first, then the server, which answers with the create's task
/// or with what to correct.
pub(super) fn on_submit(modal: Modal, ev: SubmitEvent) {
    ev.prevent_default();
    let state = modal.form;
    let phase = modal.phase;
    state.submitted.set(true);
    let errors = state.client_errors.get_untracked();
    if !errors.is_empty() {
        focus_first_invalid(&errors);
        return;
    }
    if untrack(|| modal.create_button()) != CreateButton::Ready {
        return;
    }
    let req = state.request_untracked();
    // The first Create is when the user learns provisions take a while: the browser asks
    // whether the dashboard may tell them when one ends (never on page load).
    notify::ask_permission();
    phase.set(Phase::Submitting);
    state.notice.set(None);
    leptos::task::spawn_local(async move {
        let answer = provision(req).await;
        match answer {
            Ok(accepted) => {
                modal.on_started.try_run(accepted.task_id.clone());
                phase.set(Phase::Creating(accepted));
            }
            Err(e) => {
                phase.set(Phase::Form);
                // The messages of the form's fields (kept in place: `collect` into a map would
                // bring a sort into the bundle for a handful of entries).
                let mut known = e.fields;
                known.retain(|k, _| FIELD_ORDER.contains(&k.as_str()));
                if known.is_empty() {
                    let retry = e
                        .retry_after_seconds
                        .map(|s| format!(" Try again in {s} s."))
                        .unwrap_or_default();
                    state.notice.set(Some(format!("{}{retry}", e.message)));
                } else {
                    focus_first_invalid(&known);
                    state.server_errors.set(known);
                }
            }
        }
    });
}

/// A fix from a failing check (its `data-index` in the check's fixes): the form takes it, and
/// the focus goes to what it changed (the button itself goes away with the check's new answer).
pub(super) fn on_fix(modal: Modal, clicked: &Clicked) {
    let state = modal.form;
    let check = clicked.around("data-check");
    let request = state.checks.with_untracked(|c| {
        let report = c.report.as_ref()?;
        let check = report
            .checks
            .iter()
            .find(|k| Some(&k.name) == check.as_ref())?;
        check.fixes.get(clicked.index()?)?.request.clone()
    });
    if let Some(r) = request {
        let changed = first_changed_field(&state.request_untracked(), &r);
        state.load(&r);
        request_animation_frame(move || focus_field(changed));
    }
}

/// The pre-flight rows as markup: each check with its state and message, and the fixes of a
/// failing one (`fix_actions`: a button's `data-index` is its place in the check's fixes).
/// While the checks run, the last answer's rows say "Checking…", or, before any answer, the
/// checks that will run.
fn check_rows_markup(c: &Checks, name_checked: bool) -> String {
    type Row = (String, String, &'static str, String, Vec<Fix>);
    let rows: Vec<Row> = match &c.report {
        Some(r) => r
            .checks
            .iter()
            .map(|k| {
                let status = match k.status {
                    _ if c.running => "pending",
                    CheckStatus::Ok => "ok",
                    CheckStatus::Warn => "warn",
                    CheckStatus::Fail => "fail",
                };
                let fixes = if c.running { vec![] } else { k.fixes.clone() };
                (
                    k.name.clone(),
                    check_label(&k.name),
                    status,
                    k.message.clone(),
                    fixes,
                )
            })
            .collect(),
        None if c.running => CHECKS
            .iter()
            .filter(|(n, _)| *n != "name" || name_checked)
            .map(|(n, l)| {
                (
                    (*n).to_owned(),
                    (*l).to_owned(),
                    "pending",
                    "Checking…".to_owned(),
                    vec![],
                )
            })
            .collect(),
        None => vec![],
    };
    let mut h = Html::new();
    for (name, label, status, message, fixes) in rows {
        let (icon, badge, word) = match status {
            "ok" => ("✓", "badge badge-ok", "OK"),
            "warn" => ("!", "badge badge-warn", "Warning"),
            "fail" => ("✕", "badge badge-fail", "Failed"),
            _ => ("…", "badge badge-neutral", "Checking"),
        };
        h.start("li")
            .attr("class", "check")
            .attr("data-testid", "preflight-check")
            .attr("data-check", &name)
            .attr("data-status", status)
            .end()
            .element(
                "span",
                &[("class", "check-icon"), ("aria-hidden", "true")],
                icon,
            )
            .element("span", &[("class", "check-name")], &label)
            .element("span", &[("class", badge)], word)
            .element("span", &[("class", "check-message")], &message);
        if !fixes.is_empty() {
            h.start("div").attr("class", "check-fixes").end();
            fix_actions(&mut h, &fixes);
            h.close("div");
        }
        h.close("li");
    }
    h.finish()
}

/// The first field of the form (in screen order) whose value differs between two requests.
fn first_changed_field(before: &ProvisionRequest, after: &ProvisionRequest) -> &'static str {
    let value = |r: &ProvisionRequest, name: &str| match name {
        "cluster_name" => r.cluster_name.clone(),
        "region" => r.region.clone(),
        "subscription_id" => r.subscription_id.clone(),
        "resource_group" => r.resource_group.clone(),
        "node_sku" => r.node_sku.clone(),
        "node_count" => r.node_count.to_string(),
        "system_vm_size" => r.system_vm_size.clone(),
        _ => r.system_node_count.to_string(),
    };
    FIELD_ORDER
        .iter()
        .find(|f| value(before, f) != value(after, f))
        .copied()
        .unwrap_or(FIELD_ORDER[0])
}

/// The name the `name` check is asked about: a name Azure would accept, else none.
fn checked_name(typed: &str) -> String {
    let name = typed.trim();
    if crate::provisioning::validate::is_valid_cluster_name(name) {
        name.to_owned()
    } else {
        String::new()
    }
}

/// The name of a check on screen.
fn check_label(name: &str) -> String {
    CHECKS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| name.replace('_', " "))
}

/// What kind of input a form field is.
#[derive(Clone, Copy)]
enum FieldKind {
    Text { mono: bool },
    Count { min: u32, max: u32 },
    Select,
}

/// What a field shows besides its value: its hint, its message, and a select's
/// `(value, label)` choices.
#[derive(Default)]
struct FieldNow {
    hint: Option<String>,
    error: Option<String>,
    choices: Vec<(String, String)>,
}

/// The form's fields in their two sections, as markup, with these values and what `now` says
/// of each field: label, input, hint and message, ids from `field_id`. [`bind_field`] keeps
/// them current.
fn fields_into(h: &mut Html, values: &ProvisionRequest, now: &dyn Fn(&str) -> FieldNow) {
    let (lo, hi) = NODE_COUNT_RANGE;
    let (sys_lo, sys_hi) = SYSTEM_NODE_COUNT_RANGE;
    let count = |n: u32| if n == 0 { String::new() } else { n.to_string() };
    let text = FieldKind::Text { mono: false };
    let mono = FieldKind::Text { mono: true };
    let nodes = FieldKind::Count { min: lo, max: hi };
    let system = FieldKind::Count {
        min: sys_lo,
        max: sys_hi,
    };
    let fields: [(&'static str, &str, FieldKind, String); 8] = [
        (
            "cluster_name",
            "Cluster name",
            text,
            values.cluster_name.clone(),
        ),
        ("region", "Region", FieldKind::Select, values.region.clone()),
        (
            "subscription_id",
            "Subscription ID",
            mono,
            values.subscription_id.clone(),
        ),
        (
            "resource_group",
            "Resource group",
            text,
            values.resource_group.clone(),
        ),
        (
            "node_sku",
            "Node VM size",
            FieldKind::Select,
            values.node_sku.clone(),
        ),
        ("node_count", "Node count", nodes, count(values.node_count)),
        (
            "system_vm_size",
            "System VM size",
            FieldKind::Select,
            values.system_vm_size.clone(),
        ),
        (
            "system_node_count",
            "System node count",
            system,
            count(values.system_node_count),
        ),
    ];
    for (i, (name, label, kind, value)) in fields.into_iter().enumerate() {
        if i % 4 == 0 {
            let legend = if i == 0 { "Cluster" } else { "Node pools" };
            h.start("fieldset").attr("class", "form-section").end();
            h.element("legend", &[], legend);
            h.start("div").attr("class", "form-grid").end();
        }
        field_into(h, name, label, kind, &value, &now(name));
        if i % 4 == 3 {
            h.close("div").close("fieldset");
        }
    }
}

/// One labelled field: the input, its hint and its message.
fn field_into(
    h: &mut Html,
    name: &'static str,
    label: &str,
    kind: FieldKind,
    value: &str,
    now: &FieldNow,
) {
    let id = field_id(name);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let select = matches!(kind, FieldKind::Select);
    let invalid = now.error.is_some();
    h.start("div")
        .attr(
            "class",
            if invalid {
                "field field-invalid"
            } else {
                "field"
            },
        )
        .end();
    h.element("label", &[("class", "field-label"), ("for", &id)], label);
    h.start(if select { "select" } else { "input" })
        .attr("id", &id)
        .attr("data-field", name)
        .attr("aria-invalid", if invalid { "true" } else { "false" })
        .attr("aria-describedby", &format!("{hint_id} {error_id}"));
    match kind {
        FieldKind::Select => {
            h.end();
            options_into(h, &now.choices, value);
            h.close("select");
        }
        FieldKind::Count { min, max } => {
            h.attr("type", "number")
                .attr("inputmode", "numeric")
                .attr("min", &min.to_string())
                .attr("max", &max.to_string());
        }
        FieldKind::Text { mono } => {
            h.attr("type", "text")
                .attr("inputmode", "text")
                .attr_if(mono, "class", "mono");
        }
    }
    if !select {
        h.attr("autocomplete", "off")
            .attr("spellcheck", "false")
            .attr("value", value)
            .end();
    }
    let hint_class = if select {
        "field-hint field-hint-warn"
    } else {
        "field-hint"
    };
    h.element(
        "p",
        &[("class", hint_class), ("id", &hint_id)],
        now.hint.as_deref().unwrap_or_default(),
    )
    .element(
        "p",
        &[
            ("class", "field-error"),
            ("id", &error_id),
            ("data-field", name),
        ],
        now.error.as_deref().unwrap_or_default(),
    )
    .close("div");
}

/// The regions the form offers.
fn regions_offered() -> Vec<(String, String)> {
    KNOWN_REGIONS
        .iter()
        .map(|r| ((*r).to_owned(), (*r).to_owned()))
        .collect()
}

/// The VM sizes a select offers, each with its vCPUs, or "blocked here" where the region's
/// list says Azure blocks it.
fn size_choices_of(skus: Option<&AvailableSkus>) -> Vec<(String, String)> {
    KNOWN_VM_SIZES
        .iter()
        .map(|(name, _, vcpus)| {
            let blocked = skus.is_some_and(|s| {
                s.skus
                    .iter()
                    .any(|k| k.name.eq_ignore_ascii_case(name) && !k.available)
            });
            let label = if blocked {
                format!("{name} (blocked here)")
            } else {
                format!("{name} ({vcpus} vCPU)")
            };
            ((*name).to_owned(), label)
        })
        .collect()
}

/// Keeps one field of the form current while it is on screen: its value (when it changed other
/// than by typing), its choices, its hint, and its message (with `aria-invalid` and the field's
/// invalid style).
fn bind_field(state: FormState, name: &'static str) {
    use leptos::wasm_bindgen::JsValue;
    use leptos::web_sys::js_sys::Reflect;
    let Some(value) = state.values.field(name) else {
        return;
    };
    let id = field_id(name);
    let by_id = move |suffix: &str| document().get_element_by_id(&format!("{id}{suffix}"));
    let set_text = |el: Option<leptos::web_sys::Element>, text: &str| {
        if let Some(el) = el {
            set_text(&el, text);
        }
    };
    // Remembers the options it last wrote (a select's only).
    Effect::new(move |shown: Option<Option<String>>| {
        let shown = shown.flatten();
        let value = value.get();
        let options = state.choices(name).map(|c| options_markup(&c, &value));
        let error = state.error_text(name);
        let hint = state.hint(name);
        let Some(input) = by_id("") else {
            return shown;
        };
        // A select's choices first (with the value selected), then the value.
        if let Some(options) = options.as_ref().filter(|o| shown.as_ref() != Some(*o)) {
            input.set_inner_html(options);
        }
        let key = JsValue::from_str("value");
        if Reflect::get(&input, &key)
            .ok()
            .and_then(|v| v.as_string())
            .as_deref()
            != Some(&value)
        {
            let _ = Reflect::set(&input, &key, &JsValue::from_str(&value));
        }
        let _ = input.set_attribute(
            "aria-invalid",
            if error.is_some() { "true" } else { "false" },
        );
        if let Some(field) = input.parent_element() {
            let _ = field
                .class_list()
                .toggle_with_force("field-invalid", error.is_some());
        }
        set_text(by_id("-error"), error.as_deref().unwrap_or_default());
        set_text(by_id("-hint"), hint.as_deref().unwrap_or_default());
        options
    });
}

/// A select's `(value, label)` choices as `<option>` markup, `current` selected.
fn options_markup(choices: &[(String, String)], current: &str) -> String {
    let mut h = Html::new();
    options_into(&mut h, choices, current);
    h.finish()
}

fn options_into(h: &mut Html, choices: &[(String, String)], current: &str) {
    for (value, label) in choices {
        h.start("option")
            .attr("value", value)
            .attr_if(value == current, "selected", "")
            .end()
            .text(label)
            .close("option");
    }
}

/// Moves the focus to a field of the form.
pub(super) fn focus_field(name: &str) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(el) = document()
        .get_element_by_id(&field_id(name))
        .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_create_button_says_what_stands_in_the_way() {
        use CreateButton::*;
        assert_eq!(CreateButton::decide(false, false, false, false), Ready);
        assert_eq!(CreateButton::decide(false, true, true, true), Validating);
        assert_eq!(CreateButton::decide(false, false, true, false), FixErrors);
        assert_eq!(CreateButton::decide(false, false, false, true), FixErrors);
        assert_eq!(CreateButton::decide(true, true, false, false), Starting);
        assert_eq!(Validating.label(), "Validating…");
        assert_eq!(FixErrors.label(), "Fix errors above");
    }

    #[test]
    fn the_node_count_defaults_to_the_largest_that_fits() {
        assert_eq!(default_node_count(Some(23)), Some(23));
        assert_eq!(default_node_count(Some(500)), Some(NODE_COUNT_RANGE.1));
        assert_eq!(
            default_node_count(Some(0)),
            None,
            "nothing fits: keep what the form has"
        );
        assert_eq!(default_node_count(None), None);
    }

    #[test]
    fn a_fix_moves_the_focus_to_what_it_changed() {
        let before = ProvisionRequest {
            region: "eastus".into(),
            node_sku: "Standard_D4s_v3".into(),
            node_count: 3,
            ..ProvisionRequest::default()
        };
        let fewer = ProvisionRequest {
            node_count: 1,
            ..before.clone()
        };
        assert_eq!(first_changed_field(&before, &fewer), "node_count");
        let elsewhere = ProvisionRequest {
            region: "westeurope".into(),
            ..before.clone()
        };
        assert_eq!(first_changed_field(&before, &elsewhere), "region");
        assert_eq!(first_changed_field(&before, &before), "cluster_name");
    }

    #[test]
    fn counts_that_are_not_numbers_fail_validation() {
        assert_eq!(parse_count(" 3 "), 3);
        assert_eq!(parse_count(""), 0);
        assert_eq!(parse_count("-1"), 0);
    }

    fn quota_report() -> PreflightReport {
        use crate::components::fixtures::quota_fixes;
        use crate::provisioning::model::PreflightCheck;
        let check = |name: &str, status, fixes| PreflightCheck {
            name: name.into(),
            status,
            message: format!("{name} says <so>"),
            details: serde_json::Value::Null,
            fixes,
        };
        PreflightReport {
            ok: false,
            checks: vec![
                check("skus", CheckStatus::Ok, vec![]),
                check(
                    "quota",
                    CheckStatus::Fail,
                    quota_fixes(ProvisionRequest::default()),
                ),
            ],
            portal_url: String::new(),
            max_node_count: Some(1),
        }
    }

    #[test]
    fn a_failing_check_offers_its_fixes_by_their_place() {
        let checks = Checks {
            running: false,
            report: Some(quota_report()),
            unavailable: None,
        };
        let html = check_rows_markup(&checks, true);
        assert!(
            html.contains(r#"data-check="skus" data-status="ok""#),
            "{html}"
        );
        assert!(
            html.contains(r#"data-check="quota" data-status="fail""#),
            "{html}"
        );
        // The link first, then the request fix at index 1: the click handler reads the same
        // index from the check's fixes.
        assert!(
            html.contains(r##"href="https://portal.azure.com/#quota""##),
            "{html}"
        );
        assert!(
            html.contains(r#"data-action="fix" data-index="1""#),
            "{html}"
        );
        assert!(html.contains("quota says &lt;so&gt;"), "{html}");
    }

    #[test]
    fn while_the_checks_run_every_row_says_checking_and_offers_nothing() {
        let running = Checks {
            running: true,
            report: Some(quota_report()),
            unavailable: None,
        };
        let html = check_rows_markup(&running, true);
        assert_eq!(
            html.matches(r#"data-status="pending""#).count(),
            2,
            "{html}"
        );
        assert!(!html.contains("data-action"), "{html}");
        let first = Checks {
            running: true,
            report: None,
            unavailable: None,
        };
        let html = check_rows_markup(&first, false);
        assert_eq!(
            html.matches(r#"data-status="pending""#).count(),
            3,
            "{html}"
        );
        assert!(!html.contains(r#"data-check="name""#), "{html}");
        assert_eq!(
            check_rows_markup(&first, true)
                .matches(r#"data-status="pending""#)
                .count(),
            4
        );
    }

    #[test]
    fn a_select_shows_its_choices_with_the_current_one_selected() {
        let choices = vec![
            ("a".to_owned(), "A (2 vCPU)".to_owned()),
            ("b".to_owned(), "B <blocked here>".to_owned()),
        ];
        let html = options_markup(&choices, "b");
        assert!(
            html.contains(r#"<option value="a">A (2 vCPU)</option>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<option value="b" selected="">B &lt;blocked here&gt;</option>"#),
            "{html}"
        );
    }

    #[test]
    fn the_fields_are_drawn_with_the_forms_values_and_ids() {
        let values = ProvisionRequest {
            cluster_name: "aks-\"one\"".into(),
            region: "westeurope".into(),
            node_count: 3,
            system_node_count: 0,
            ..ProvisionRequest::default()
        };
        let now = |name: &str| FieldNow {
            choices: match name {
                "region" => regions_offered(),
                "node_sku" | "system_vm_size" => size_choices_of(None),
                _ => vec![],
            },
            error: (name == "node_count").then(|| "Between 1 and <100>.".to_owned()),
            hint: (name == "cluster_name").then(|| "Letters & digits.".to_owned()),
        };
        let mut h = Html::new();
        fields_into(&mut h, &values, &now);
        let html = h.finish();
        assert!(
            html.contains(r#"<div class="field field-invalid"><label class="field-label" for="pm-node_count">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"id="pm-node_count" data-field="node_count" aria-invalid="true""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<p class="field-error" id="pm-node_count-error" data-field="node_count">Between 1 and &lt;100&gt;.</p>"#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<p class="field-hint" id="pm-cluster_name-hint">Letters &amp; digits.</p>"#
            ),
            "{html}"
        );
        for name in FIELD_ORDER {
            assert!(
                html.contains(&format!(r#"id="pm-{name}" data-field="{name}""#)),
                "{name}: {html}"
            );
            assert!(html.contains(&format!(r#"id="pm-{name}-hint""#)), "{name}");
            assert!(
                html.contains(&format!(r#"id="pm-{name}-error" data-field="{name}""#)),
                "{name}"
            );
            assert!(
                html.contains(&format!(r#"<label class="field-label" for="pm-{name}">"#)),
                "{name}"
            );
        }
        assert!(html.contains(r#"value="aks-&quot;one&quot;""#), "{html}");
        assert!(
            html.contains(r#"<option value="westeurope" selected="">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"type="number" inputmode="numeric" min="1""#),
            "{html}"
        );
        // An unknown count is left empty for the user, not written as 0.
        assert!(html.contains(r#"value="3""#), "{html}");
        assert!(!html.contains(r#"value="0""#), "{html}");
        assert_eq!(html.matches("<fieldset").count(), 2);
        assert_eq!(
            html.matches("<fieldset").count(),
            html.matches("</fieldset>").count()
        );
        assert_eq!(html.matches("<div").count(), html.matches("</div>").count());
    }
}
