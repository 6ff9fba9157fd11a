//! The form's state: each field's text (by its name in `ProvisionRequest`), what the user did
//! with the fields, what the checks and the server said, and what the form offers and says from
//! it (choices, hints, the Create button's state).

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::create::CreateButton;
use super::field::{Choice, request_of, texts_of};
use super::preflight::Checks;
use crate::identity::{ScopeChoice, SessionInfo};
use crate::provisioning::model::{AppliedFix, AvailableSkus, CheckStatus, Fix, ProvisionRequest};
use crate::provisioning::validate::{
    KNOWN_REGIONS, KNOWN_VM_SIZES, is_valid_cluster_name, validate_provision_request,
};

/// The form's state: each field's text (by its name in `ProvisionRequest`), what the user did
/// with the fields, and what the checks and the server said. Shared with the screens that lead
/// back to the form, and by context with its fields. Cheap to copy.
#[derive(Clone, Copy)]
pub struct FormState {
    pub(super) texts: RwSignal<BTreeMap<String, String>>,
    pub(super) request: Memo<ProvisionRequest>,
    /// The node count was typed or loaded: the quota's largest fit no longer replaces it.
    pub(super) count_touched: RwSignal<bool>,
    /// The name the `name` check looks at: set when the name field is left (typing alone does
    /// not run the checks) and when a request is loaded.
    pub(super) name_for_checks: RwSignal<String>,
    /// Fields the user edited: leaving one of them shows its rule's message.
    pub(super) edited: StoredValue<Vec<&'static str>>,
    /// Fields the user edited and left: their own rule's message shows from then on (a field
    /// only passed through says nothing until Create).
    pub(super) touched: RwSignal<Vec<String>>,
    /// Create was pressed: every field's message shows.
    pub(super) submitted: RwSignal<bool>,
    /// The server's messages by field, from the last Create.
    pub(super) server_errors: RwSignal<BTreeMap<String, String>>,
    /// The server's answer to the last Create when it names no field.
    pub(super) notice: RwSignal<Option<String>>,
    pub(super) checks: RwSignal<Checks>,
    /// The VM sizes of the chosen region.
    pub(super) skus: RwSignal<Option<AvailableSkus>>,
    /// The next pre-flight runs at once instead of after the debounce.
    pub(super) immediate: StoredValue<bool>,
    /// The form's own rules broken by its values, by field.
    pub(super) client_errors: Memo<BTreeMap<String, String>>,
    /// Create was pressed while the checks ran: it starts when they pass.
    pub(super) pending_create: RwSignal<bool>,
    /// How to focus each field, in screen order (each [`FormField`] adds itself).
    pub(super) fields: StoredValue<Vec<(&'static str, Callback<()>)>>,
    /// Where the user may create: the subscription and resource-group choices come from these.
    scopes: StoredValue<Vec<ScopeChoice>>,
    /// The one-click fix the request was last made from, sent with Create for the history.
    pub(crate) applied_fix: RwSignal<Option<AppliedFix>>,
}

impl FormState {
    pub(crate) fn new(session: &SessionInfo, prefill: Option<&ProvisionRequest>) -> Self {
        let start = ProvisionRequest {
            subscription_id: session.scope.subscription_id.clone(),
            resource_group: session.scope.resource_group.clone(),
            region: KNOWN_REGIONS[0].to_owned(),
            cluster_name: String::new(),
            node_sku: KNOWN_VM_SIZES[0].0.to_owned(),
            node_count: 1,
            system_vm_size: KNOWN_VM_SIZES[0].0.to_owned(),
            system_node_count: 1,
            kubernetes_version: String::new(),
        };
        let texts = RwSignal::new(texts_of(&start));
        let request = Memo::new(move |_| texts.with(request_of));
        let state = Self {
            texts,
            request,
            count_touched: RwSignal::new(false),
            name_for_checks: RwSignal::new(String::new()),
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
            immediate: StoredValue::new(true),
            client_errors: Memo::new(move |_| request.with(validate_provision_request)),
            pending_create: RwSignal::new(false),
            fields: StoredValue::new(Vec::new()),
            scopes: StoredValue::new(session.scopes.clone()),
            applied_fix: RwSignal::new(None),
        };
        if let Some(r) = prefill {
            state.load(r);
        }
        state
    }

    /// The request the form's values make, read without subscribing to them.
    pub(crate) fn request_untracked(self) -> ProvisionRequest {
        self.request.get_untracked()
    }

    /// One field's text (tracked, and only when that field changes).
    pub(super) fn text(self, name: &'static str) -> Memo<String> {
        let texts = self.texts;
        Memo::new(move |_| texts.with(|t| t.get(name).cloned().unwrap_or_default()))
    }

    /// A request to start from (Edit & retry, a fix): the form takes its values (an empty one
    /// keeps what the form has, but for the Kubernetes version, where empty is AKS's default)
    /// and checks it at once.
    pub(crate) fn load(self, r: &ProvisionRequest) {
        self.texts.update(|texts| {
            for (name, text) in texts_of(r) {
                if !text.is_empty() || name == "kubernetes_version" {
                    texts.insert(name, text);
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
    pub(super) fn edit(self, name: &'static str, text: String) {
        self.texts.update(|t| {
            t.insert(name.to_owned(), text);
        });
        if name == "node_count" {
            self.count_touched.set(true);
        }
        if name == "subscription_id" {
            self.keep_group_in_subscription();
        }
        if self.edited.with_value(|e| !e.contains(&name)) {
            self.edited.update_value(|e| e.push(name));
        }
        if self.server_errors.with_untracked(|s| s.contains_key(name)) {
            self.server_errors.update(|s| {
                s.remove(name);
            });
        }
        self.notice.set(None);
    }

    /// A field was left: once edited, its own rule's message shows from now on; a name the checks
    /// can ask about is checked.
    pub(super) fn left(self, name: &'static str) {
        // Focus also leaves while the form is taken down: by then there is nothing to do.
        if self.touched.is_disposed() {
            return;
        }
        let edited = self.edited.with_value(|e| e.contains(&name));
        if edited
            && self
                .touched
                .with_untracked(|t| !t.iter().any(|n| n == name))
        {
            self.touched.update(|t| t.push(name.to_owned()));
        }
        if name == "cluster_name" {
            let now = checked_name(&self.request_untracked().cluster_name);
            if self.name_for_checks.get_untracked() != now {
                self.name_for_checks.set(now);
            }
        }
    }

    /// A field's message: the server's from the last Create, else the form's own rule once the
    /// field was left or Create was pressed.
    fn error_text(self, name: &str) -> Option<String> {
        self.server_errors
            .with(|s| s.get(name).cloned())
            .or_else(|| {
                let show =
                    self.submitted.get() || self.touched.with(|t| t.iter().any(|n| n == name));
                if show {
                    self.client_errors.with(|c| c.get(name).cloned())
                } else {
                    None
                }
            })
    }

    /// [`error_text`](Self::error_text) of one field, as a memo.
    pub(super) fn error_of(self, name: &'static str) -> Memo<Option<String>> {
        Memo::new(move |_| self.error_text(name))
    }

    /// A field tells the form how to focus it (again, when the form is shown again).
    pub(super) fn register(self, name: &'static str, focus: impl Fn() + Send + Sync + 'static) {
        let focus = Callback::new(move |()| focus());
        self.fields
            .update_value(|fields| match fields.iter_mut().find(|(n, _)| *n == name) {
                Some(known) => known.1 = focus,
                None => fields.push((name, focus)),
            });
    }

    /// The names of the fields in screen order.
    pub(super) fn field_order(self) -> Vec<&'static str> {
        self.fields
            .with_value(|fields| fields.iter().map(|(n, _)| *n).collect())
    }

    fn focus(self, name: &str) {
        let focus = self
            .fields
            .with_value(|fields| fields.iter().find(|(n, _)| *n == name).map(|(_, f)| *f));
        if let Some(focus) = focus {
            focus.try_run(());
        }
    }

    /// The first field (in screen order) takes the focus.
    pub(super) fn focus_first(self) {
        if let Some(first) = self.field_order().first() {
            self.focus(first);
        }
    }

    /// The first field (in screen order) with an error takes the focus.
    pub(super) fn focus_first_invalid(self, errors: &BTreeMap<String, String>) {
        if let Some(name) = self
            .field_order()
            .into_iter()
            .find(|f| errors.contains_key(*f))
        {
            self.focus(name);
        }
    }

    /// The first field (in screen order) whose value differs between two requests.
    fn first_changed(
        self,
        before: &ProvisionRequest,
        after: &ProvisionRequest,
    ) -> Option<&'static str> {
        let (before, after) = (texts_of(before), texts_of(after));
        self.field_order()
            .into_iter()
            .find(|f| before.get(*f) != after.get(*f))
    }

    /// A fix from a failing check: the form takes its request, and the focus goes to what it
    /// changed (the button itself goes with the check's new answer).
    pub(super) fn apply_fix(self, fix: Fix) {
        let before = self.request_untracked();
        let Some(request) = fix.request.clone() else {
            return;
        };
        self.applied_fix.set(AppliedFix::of(&fix, &before, None));
        let changed = self.first_changed(&before, &request);
        self.load(&request);
        request_animation_frame(move || {
            if let Some(name) = changed {
                self.focus(name);
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
            || self
                .client_errors
                .with(|c| c.keys().any(|name| self.error_text(name).is_some()));
        CreateButton::decide(submitting, running, any_fails, field_errors)
    }

    /// Under the node count: how many nodes fit the quota.
    pub(super) fn node_count_hint(self) -> Option<String> {
        let max = self
            .checks
            .with(|c| c.report.as_ref().and_then(|r| r.max_node_count))?;
        let region = self.request.with(|r| r.region.clone());
        Some(match (max, self.count_touched.get()) {
            (0, _) => format!("No node of this size fits your vCPU quota in {region}."),
            (1, _) => format!("1 node fits your vCPU quota in {region}."),
            (_, true) => format!("Up to {max} nodes fit your vCPU quota in {region}."),
            (_, false) => format!("Set to the most that fit your vCPU quota in {region}: {max}."),
        })
    }

    /// Under a size: why Azure does not offer the chosen one here.
    pub(super) fn size_hint(self, size: String) -> Option<String> {
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

    /// The Kubernetes versions the select offers: AKS's default (empty), then the region's
    /// versions, newest first; a version loaded from elsewhere that the region does not offer
    /// stays chosen and says so (tracked).
    pub(super) fn version_choices(self) -> Vec<Choice> {
        let chosen = self.request.with(|r| r.kubernetes_version.clone());
        self.skus.with(|skus| {
            let (offered, default) = skus
                .as_ref()
                .map(|s| {
                    (
                        s.kubernetes_versions.clone(),
                        s.default_kubernetes_version.clone(),
                    )
                })
                .unwrap_or_default();
            let mut choices = vec![Choice {
                value: String::new(),
                label: match default {
                    Some(d) => format!("AKS default ({d})"),
                    None => "AKS default".to_owned(),
                },
            }];
            if !chosen.is_empty() && !offered.contains(&chosen) && skus.is_some() {
                choices.push(Choice {
                    label: format!("{chosen} (not offered here)"),
                    value: chosen,
                });
            }
            choices.extend(offered.into_iter().map(|v| Choice {
                label: v.clone(),
                value: v,
            }));
            choices
        })
    }

    /// The VM sizes a select offers, each with its vCPUs, or "blocked here" where the region's
    /// list says Azure blocks it (tracked).
    pub(super) fn size_choices(self) -> Vec<Choice> {
        self.skus.with(|skus| {
            KNOWN_VM_SIZES
                .iter()
                .map(|(name, _, vcpus)| {
                    let blocked = skus.as_ref().is_some_and(|s| {
                        s.skus
                            .iter()
                            .any(|k| k.name.eq_ignore_ascii_case(name) && !k.available)
                    });
                    let label = if blocked {
                        format!("{name} (blocked here)")
                    } else {
                        format!("{name} ({vcpus} vCPU)")
                    };
                    Choice {
                        value: (*name).to_owned(),
                        label,
                    }
                })
                .collect()
        })
    }
}

impl FormState {
    /// The subscriptions the user may create in, in the configuration's order.
    pub(super) fn subscription_choices(self) -> Vec<Choice> {
        self.scopes.with_value(|scopes| {
            let mut subs: Vec<Choice> = Vec::new();
            for s in scopes {
                if !subs
                    .iter()
                    .any(|c| c.value.eq_ignore_ascii_case(&s.subscription_id))
                {
                    subs.push(Choice {
                        value: s.subscription_id.clone(),
                        label: s.subscription_id.clone(),
                    });
                }
            }
            subs
        })
    }

    /// Whether any resource group of the chosen subscription may be used (a `subscription/*`
    /// scope): the group is typed, and a missing one is created (tracked).
    pub(super) fn any_group(self) -> bool {
        let sub = self.request.with(|r| r.subscription_id.clone());
        self.scopes.with_value(|scopes| {
            scopes
                .iter()
                .any(|s| s.resource_group.is_none() && s.subscription_id.eq_ignore_ascii_case(&sub))
        })
    }

    /// The resource groups of the chosen subscription the user may create in (tracked).
    pub(super) fn group_choices(self) -> Vec<Choice> {
        let sub = self.request.with(|r| r.subscription_id.clone());
        self.scopes.with_value(|scopes| groups_of(scopes, &sub))
    }

    /// Another subscription was chosen: a resource group it does not allow gives way to its
    /// first one.
    fn keep_group_in_subscription(self) {
        let r = self.request_untracked();
        let allowed = self.scopes.with_value(|scopes| {
            let any = scopes.iter().any(|s| {
                s.resource_group.is_none()
                    && s.subscription_id.eq_ignore_ascii_case(&r.subscription_id)
            });
            let groups = groups_of(scopes, &r.subscription_id);
            let keep = any
                || groups
                    .iter()
                    .any(|g| g.value.eq_ignore_ascii_case(&r.resource_group));
            (!keep).then(|| groups.first().map(|g| g.value.clone()).unwrap_or_default())
        });
        if let Some(group) = allowed {
            self.texts.update(|t| {
                t.insert("resource_group".to_owned(), group);
            });
        }
    }
}

/// The named resource groups of `subscription` among `scopes`.
fn groups_of(scopes: &[ScopeChoice], subscription: &str) -> Vec<Choice> {
    scopes
        .iter()
        .filter(|s| s.subscription_id.eq_ignore_ascii_case(subscription))
        .filter_map(|s| s.resource_group.clone())
        .map(|g| Choice {
            value: g.clone(),
            label: g,
        })
        .collect()
}

/// The regions the form offers.
pub(super) fn region_choices() -> Vec<Choice> {
    KNOWN_REGIONS
        .iter()
        .map(|r| Choice {
            value: (*r).to_owned(),
            label: (*r).to_owned(),
        })
        .collect()
}

/// The name the `name` check is asked about: a name Azure would accept, else none.
fn checked_name(typed: &str) -> String {
    let name = typed.trim();
    if is_valid_cluster_name(name) {
        name.to_owned()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_name_azure_accepts_is_checked() {
        assert_eq!(checked_name(" aks-one "), "aks-one");
        assert_eq!(checked_name("-bad"), "");
    }
}
