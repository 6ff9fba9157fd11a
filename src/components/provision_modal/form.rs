//! The create form: its fields, the live pre-flight rows with their fixes, the Create button,
//! and the server functions the form calls.

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::{Modal, Phase};
use crate::api_error::ApiError;
use crate::app::SessionInfo;
use crate::components::erase::erased_on_server;
use crate::components::markup::{Clicked, Html, Slot, keep_drawn, optional_element, set_text};
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
#[server(prefix = "/api", endpoint = "aks/provision", input = server_fn::codec::Json, output = crate::wire::Wire)]
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
#[server(prefix = "/api", endpoint = "aks/preflight", input = server_fn::codec::Json, output = crate::wire::Wire)]
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
#[server(prefix = "/api", endpoint = "aks/available-skus", input = server_fn::codec::GetUrl, output = crate::wire::Wire)]
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
}

impl FormState {
    pub(super) fn new(session: &SessionInfo, prefill: Option<&ProvisionRequest>) -> Self {
        let state = Self {
            values: Form::new(session),
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

    /// A request to start from (Edit & retry, a fix): the form takes it and checks it at once.
    pub(super) fn load(self, r: &ProvisionRequest) {
        self.values.fill(r);
        self.count_touched.set(r.node_count > 0);
        self.name_for_checks.set(checked_name(&r.cluster_name));
        self.immediate.set_value(true);
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

/// The form: its fields, the pre-flight rows with their fixes, and Create.
pub(super) fn form_view(modal: Modal, on_started: Callback<String>) -> impl IntoView {
    let state = modal.form;
    let FormState {
        values: form,
        count_touched,
        name_for_checks,
        touched,
        submitted,
        server_errors,
        notice,
        checks,
        skus,
        ..
    } = state;
    let phase = modal.phase;
    let request_close = move || modal.request_close();

    let client_errors = Memo::new(move |_| validate_provision_request(&form.request()));
    // A field's message: the server's from the last Create, else the form's own rule once the
    // field was left or Create was pressed.
    let error_text = move |name: &'static str| {
        server_errors.with(|s| s.get(name).cloned()).or_else(|| {
            let show = submitted.get() || touched.with(|t| t.contains(&name));
            if show {
                client_errors.with(|c| c.get(name).cloned())
            } else {
                None
            }
        })
    };
    let edited = move |name: &'static str| {
        server_errors.update(|s| {
            s.remove(name);
        });
        notice.set(None);
    };
    let blurred = move |name: &'static str| {
        if touched.try_with_untracked(|t| !t.contains(&name)) == Some(true) {
            touched.update(|t| t.push(name));
        }
        // Blur also fires while the dialog is taken down: by then the signals are gone.
        if name == "cluster_name"
            && let Some(typed) = form.cluster_name.try_get_untracked()
        {
            let now = checked_name(&typed);
            if name_for_checks
                .try_get_untracked()
                .is_some_and(|c| c != now)
            {
                let _ = name_for_checks.try_set(now);
            }
        }
    };

    let first_invalid_focus = move |errors: &BTreeMap<String, String>| {
        if let Some(name) = FIELD_ORDER.iter().find(|f| errors.contains_key(**f)) {
            focus_field(name);
        }
    };

    let any_check_fails = move || {
        checks.with(|c| {
            c.report
                .as_ref()
                .is_some_and(|r| !r.ok || r.checks.iter().any(|k| k.status == CheckStatus::Fail))
        })
    };
    let shown_field_errors = move || FIELD_ORDER.iter().any(|f| error_text(f).is_some());
    let create_state = Memo::new(move |_| {
        CreateButton::decide(
            phase.with(|p| matches!(p, Phase::Submitting)),
            checks.with(|c| c.running),
            any_check_fails(),
            shown_field_errors(),
        )
    });

    // Create says what it waits for: its label, `data-state` and `disabled` set in place.
    let create_button = NodeRef::<leptos::html::Button>::new();
    let first_state = create_state.get_untracked();
    Effect::new(move |_| {
        let state = create_state.get();
        if let Some(button) = create_button.get() {
            let _ = button.set_attribute("data-state", state.as_str());
            button.set_disabled(state != CreateButton::Ready);
            set_text(&button, state.label());
        }
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let errors = client_errors.get_untracked();
        if !errors.is_empty() {
            first_invalid_focus(&errors);
            return;
        }
        if create_state.get_untracked() != CreateButton::Ready {
            return;
        }
        let req = form.request();
        // The first Create is when the user learns provisions take a while: the browser asks
        // whether the dashboard may tell them when one ends (never on page load).
        notify::ask_permission();
        phase.set(Phase::Submitting);
        notice.set(None);
        leptos::task::spawn_local(async move {
            let answer = provision(req).await;
            match answer {
                Ok(accepted) => {
                    on_started.try_run(accepted.task_id.clone());
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
                        notice.set(Some(format!("{}{retry}", e.message)));
                    } else {
                        first_invalid_focus(&known);
                        server_errors.set(known);
                    }
                }
            }
        });
    };

    // A fix from a failing check: the form takes it, and the focus goes to what it changed
    // (the button itself goes away with the check's new answer).
    let apply_fix = move |r: ProvisionRequest| {
        let changed = first_changed_field(&form.request(), &r);
        state.load(&r);
        request_animation_frame(move || focus_field(changed));
    };

    // The choices of the selects, and the hints under the fields.
    let region_choices = Signal::stored(regions_offered());
    let size_choices = Signal::derive(move || skus.with(|s| size_choices_of(s.as_ref())));
    let no_hint = Signal::stored(None::<String>);
    let name_hint = Signal::stored(Some(
        "Letters, digits, '-' and '_'; starts and ends with a letter or digit.".to_owned(),
    ));
    let quota_hint = Signal::derive(move || {
        checks
            .with(|c| c.report.as_ref().and_then(|r| r.max_node_count))
            .map(|max| {
                let region = form.region.get();
                match (max, count_touched.get()) {
                    (0, _) => format!("No node of this size fits your vCPU quota in {region}."),
                    (1, _) => format!("1 node fits your vCPU quota in {region}."),
                    (_, true) => format!("Up to {max} nodes fit your vCPU quota in {region}."),
                    (_, false) => {
                        format!("Set to the most that fit your vCPU quota in {region}: {max}.")
                    }
                }
            })
    });
    // Why a chosen size is blocked, under its field.
    let blocked_hint = move |sig: RwSignal<String>| {
        Signal::derive(move || {
            let size = sig.get();
            skus.with(|s| {
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
        })
    };
    let on_edit = Callback::new(move |name: &'static str| {
        if name == "node_count" {
            count_touched.set(true);
        }
        edited(name);
    });
    let on_leave = Callback::new(blurred);

    // The rows are markup (`check_rows_markup`); a fix button says which check's fix it is.
    let check_rows =
        move || checks.with(|c| check_rows_markup(c, !name_for_checks.get_untracked().is_empty()));
    let on_fix = move |ev: leptos::ev::MouseEvent| {
        let Some(clicked) = Clicked::of(&ev) else {
            return;
        };
        let check = clicked.around("data-check");
        let request = checks.with_untracked(|c| {
            let report = c.report.as_ref()?;
            let check = report
                .checks
                .iter()
                .find(|k| Some(&k.name) == check.as_ref())?;
            check.fixes.get(clicked.index()?)?.request.clone()
        });
        if clicked.action == "fix"
            && let Some(r) = request
        {
            apply_fix(r);
        }
    };
    // Why the checks could not run, and the form's own notice: markup that comes and goes.
    let checks_note = Slot::new();
    keep_drawn(
        checks_note,
        Box::new(move || {
            checks.with(|c| {
                optional_element("p", &[("class", "checks-note")], c.unavailable.as_deref())
            })
        }),
    );
    let notice_slot = Slot::new();
    keep_drawn(
        notice_slot,
        Box::new(move || {
            notice.with(|n| {
                optional_element(
                    "div",
                    &[("class", "notice notice-error"), ("role", "alert")],
                    n.as_deref(),
                )
            })
        }),
    );

    // The fields are markup (`fields_markup`), drawn once with the form's values; one effect
    // per field keeps its value, hint and message current, and three listeners on the form
    // read what is typed, chosen and left.
    let fields = [
        (form.cluster_name, name_hint, None),
        (form.region, no_hint, Some(region_choices)),
        (form.subscription_id, no_hint, None),
        (form.resource_group, no_hint, None),
        (
            form.node_sku,
            blocked_hint(form.node_sku),
            Some(size_choices),
        ),
        (form.node_count, quota_hint, None),
        (
            form.system_vm_size,
            blocked_hint(form.system_vm_size),
            Some(size_choices),
        ),
        (form.system_node_count, no_hint, None),
    ];
    for (name, (value, hint, choices)) in FIELD_ORDER.into_iter().zip(fields) {
        bind_field(
            name,
            value,
            hint,
            choices,
            Signal::derive(move || error_text(name)),
        );
    }
    let fields_html = fields_markup(
        &form.request_untracked(),
        &region_choices.get_untracked(),
        &size_choices.get_untracked(),
    );
    let field_of = move |ev: &leptos::ev::Event| {
        use leptos::wasm_bindgen::JsCast;
        let name = ev
            .target()?
            .dyn_into::<leptos::web_sys::Element>()
            .ok()?
            .get_attribute("data-field")?;
        let name = FIELD_ORDER.into_iter().find(|f| *f == name)?;
        Some((name, form.field(name)?))
    };
    let on_input = move |ev: leptos::ev::Event| {
        if let Some((name, value)) = field_of(&ev) {
            value.set(event_target_value(&ev));
            on_edit.run(name);
        }
    };
    // A select is chosen and left in one go; a text field's `change` is its `input`s again.
    let on_change = move |ev: leptos::ev::Event| {
        let select = event_target::<leptos::web_sys::Element>(&ev).tag_name() == "SELECT";
        if let Some((name, value)) = field_of(&ev).filter(|_| select) {
            value.set(event_target_value(&ev));
            on_edit.run(name);
            on_leave.run(name);
        }
    };
    let on_focusout = move |ev: leptos::ev::FocusEvent| {
        if let Some((name, _)) = field_of(&ev) {
            // Focus also leaves while the dialog is taken down: by then the form is gone.
            on_leave.try_run(name);
        }
    };

    let form_view = move || {
        erased_on_server(view! {
            <form
                class="provision-form"
                novalidate=true
                on:submit=submit
                on:input=on_input
                on:change=on_change
                on:focusout=on_focusout
            >
                <div class="form-fields" inner_html=fields_html.clone()></div>
                {erased_on_server(view! {
                <section class="checks" aria-labelledby="pm-checks-title">
                    <h3 id="pm-checks-title" class="checks-title">"Pre-flight checks"</h3>
                    <ul
                        class="check-list"
                        aria-live="polite"
                        aria-busy=move || checks.with(|c| c.running).to_string()
                        inner_html=check_rows
                        on:click=on_fix
                    ></ul>
                    <div class="notice-slot" node_ref=checks_note></div>
                </section>
                })}
                <div class="notice-slot" node_ref=notice_slot></div>
                <footer class="modal-footer">
                    <button type="button" class="btn" on:click=move |_| request_close()>"Cancel"</button>
                    <button
                        type="submit"
                        class="btn btn-primary"
                        data-testid="create-button"
                        node_ref=create_button
                        data-state=first_state.as_str()
                        disabled=first_state != CreateButton::Ready
                    >
                        {first_state.label()}
                    </button>
                </footer>
            </form>
        })
    };

    form_view()
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
enum FieldKind<'a> {
    Text {
        mono: bool,
    },
    Count {
        min: u32,
        max: u32,
    },
    /// `(value, label)` choices.
    Select(&'a [(String, String)]),
}

/// The form's fields in their two sections, as markup, with these values and choices: label,
/// input, hint and message of each, ids from `field_id`. [`bind_field`] keeps them current.
fn fields_markup(
    values: &ProvisionRequest,
    regions: &[(String, String)],
    sizes: &[(String, String)],
) -> String {
    let (lo, hi) = NODE_COUNT_RANGE;
    let (sys_lo, sys_hi) = SYSTEM_NODE_COUNT_RANGE;
    let count = |n: u32| if n == 0 { String::new() } else { n.to_string() };
    let text = FieldKind::Text { mono: false };
    let mut h = Html::new();
    section_start(&mut h, "Cluster");
    field_markup(
        &mut h,
        "cluster_name",
        "Cluster name",
        text,
        &values.cluster_name,
    );
    field_markup(
        &mut h,
        "region",
        "Region",
        FieldKind::Select(regions),
        &values.region,
    );
    let mono = FieldKind::Text { mono: true };
    field_markup(
        &mut h,
        "subscription_id",
        "Subscription ID",
        mono,
        &values.subscription_id,
    );
    field_markup(
        &mut h,
        "resource_group",
        "Resource group",
        text,
        &values.resource_group,
    );
    h.close("div").close("fieldset");
    section_start(&mut h, "Node pools");
    let size = FieldKind::Select(sizes);
    field_markup(&mut h, "node_sku", "Node VM size", size, &values.node_sku);
    let nodes = FieldKind::Count { min: lo, max: hi };
    field_markup(
        &mut h,
        "node_count",
        "Node count",
        nodes,
        &count(values.node_count),
    );
    field_markup(
        &mut h,
        "system_vm_size",
        "System VM size",
        size,
        &values.system_vm_size,
    );
    let system = FieldKind::Count {
        min: sys_lo,
        max: sys_hi,
    };
    let system_count = count(values.system_node_count);
    field_markup(
        &mut h,
        "system_node_count",
        "System node count",
        system,
        &system_count,
    );
    h.close("div").close("fieldset");
    h.finish()
}

/// `<fieldset>` with its legend, and the grid its fields go in.
fn section_start(h: &mut Html, legend: &str) {
    h.start("fieldset").attr("class", "form-section").end();
    h.element("legend", &[], legend);
    h.start("div").attr("class", "form-grid").end();
}

/// One labelled field: the input, its hint and its message (both empty until
/// [`bind_field`] fills them).
fn field_markup(h: &mut Html, name: &'static str, label: &str, kind: FieldKind, value: &str) {
    let id = field_id(name);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let select = matches!(kind, FieldKind::Select(_));
    h.start("div").attr("class", "field").end();
    h.element("label", &[("class", "field-label"), ("for", &id)], label);
    h.start(if select { "select" } else { "input" })
        .attr("id", &id)
        .attr("data-field", name)
        .attr("aria-invalid", "false")
        .attr("aria-describedby", &format!("{hint_id} {error_id}"));
    match kind {
        FieldKind::Select(choices) => {
            h.end();
            options_into(h, choices, value);
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
    h.element("p", &[("class", hint_class), ("id", &hint_id)], "")
        .element(
            "p",
            &[
                ("class", "field-error"),
                ("id", &error_id),
                ("data-field", name),
            ],
            "",
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

/// Keeps one field of [`fields_markup`] current: its value (when it changed other than by
/// typing), its choices, its hint, and its message (with `aria-invalid` and the field's
/// invalid style).
fn bind_field(
    name: &'static str,
    value: RwSignal<String>,
    hint: Signal<Option<String>>,
    choices: Option<Signal<Vec<(String, String)>>>,
    error: Signal<Option<String>>,
) {
    use leptos::wasm_bindgen::JsValue;
    use leptos::web_sys::js_sys::Reflect;
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
        let Some(input) = by_id("") else {
            return shown;
        };
        let value = value.get();
        // A select's choices first (with the value selected), then the value.
        let options = choices.map(|c| c.with(|c| options_markup(c, &value)));
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
        let error = error.get();
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
        set_text(by_id("-hint"), hint.get().as_deref().unwrap_or_default());
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
        let html = fields_markup(&values, &regions_offered(), &size_choices_of(None));
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
