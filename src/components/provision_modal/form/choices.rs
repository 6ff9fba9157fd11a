//! What the form offers and says from its state: the choices of its selects (regions, VM sizes
//! with what Azure blocks, Kubernetes versions, the subscriptions and resource groups the user
//! may create in) and the hints under the fields.

use leptos::prelude::*;

use super::FormState;
use super::field::Choice;
use crate::domain::validation::{KNOWN_REGIONS, KNOWN_VM_SIZES};
use crate::identity::ScopeChoice;

impl FormState {
    /// Under the node count: how many nodes fit the quota (tracked).
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

    /// Under a size: why Azure does not offer the chosen one here (tracked).
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
        self.scopes
            .with_value(|scopes| opens_any_group(scopes, &sub))
    }

    /// The resource groups of the chosen subscription the user may create in (tracked).
    pub(super) fn group_choices(self) -> Vec<Choice> {
        let sub = self.request.with(|r| r.subscription_id.clone());
        self.scopes.with_value(|scopes| groups_of(scopes, &sub))
    }

    /// Another subscription was chosen: a resource group it does not allow gives way to its
    /// first one.
    pub(super) fn keep_group_in_subscription(self) {
        let r = self.request_untracked();
        let replacement = self.scopes.with_value(|scopes| {
            let groups = groups_of(scopes, &r.subscription_id);
            let keep = opens_any_group(scopes, &r.subscription_id)
                || groups
                    .iter()
                    .any(|g| g.value.eq_ignore_ascii_case(&r.resource_group));
            (!keep).then(|| groups.first().map(|g| g.value.clone()).unwrap_or_default())
        });
        if let Some(group) = replacement {
            self.request.update(|r| r.resource_group = group);
        }
    }
}

/// Whether `scopes` open every resource group of `subscription`.
fn opens_any_group(scopes: &[ScopeChoice], subscription: &str) -> bool {
    scopes
        .iter()
        .any(|s| s.resource_group.is_none() && s.subscription_id.eq_ignore_ascii_case(subscription))
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
