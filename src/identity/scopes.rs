//! Where clusters may be listed and created: the subscription / resource-group pairs a team
//! allows (`AZURE_SCOPES`), each optionally only for a role and above.
//!
//! `AZURE_SCOPES` is a list separated by commas or spaces; each entry is `SUBSCRIPTION/GROUP`
//! or `SUBSCRIPTION/*` (every resource group of the subscription, and the only way the dashboard
//! may create a missing one), with an optional `@role`: `sub1/rg-dev, sub1/rg-test,
//! sub2/rg-prod@admin`. Unset, the one configured subscription and resource group is allowed.
//! Subscription ids and group names compare without case, as Azure's do.

use serde::{Deserialize, Serialize};

use crate::domain::role::Role;

/// A subscription and one of its resource groups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Scope {
    pub subscription_id: String,
    pub resource_group: String,
}

impl Scope {
    pub fn new(subscription_id: impl Into<String>, resource_group: impl Into<String>) -> Self {
        Self {
            subscription_id: subscription_id.into(),
            resource_group: resource_group.into(),
        }
    }

    /// `subscription/group`, as links and the configuration write it.
    pub fn path(&self) -> String {
        format!("{}/{}", self.subscription_id, self.resource_group)
    }

    /// A scope's path (`subscription/group`); `None` unless [`Scope::read`] takes it.
    pub fn parse(text: &str) -> Option<Scope> {
        Self::read(text).ok()
    }

    /// A scope's path (`subscription/group`), or the rule it breaks: two parts, the group
    /// named as Azure allows (so that no made-up text reaches Azure as a resource group).
    pub fn read(text: &str) -> Result<Scope, String> {
        let shape = || "Write SUBSCRIPTION/RESOURCE_GROUP, e.g. 1111…/rg-aks-dev.".to_owned();
        let (sub, rg) = text.trim().split_once('/').ok_or_else(shape)?;
        let sub_ok = !sub.is_empty() && sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !sub_ok || rg.contains('/') {
            return Err(shape());
        }
        if !crate::domain::validation::is_valid_resource_group(rg) {
            return Err(crate::domain::validation::RESOURCE_GROUP_RULE.to_owned());
        }
        Ok(Scope::new(sub, rg))
    }

    /// As a banner names it: the group, and the start of the subscription id
    /// (`rg-aks-dev · 11111111…`).
    pub fn short_label(subscription_id: &str, resource_group: &str) -> String {
        format!(
            "{resource_group} · {}",
            Self::short_subscription(subscription_id)
        )
    }

    /// The start of a subscription id, enough to tell two apart on screen (the whole one goes in
    /// the address and the title).
    pub fn short_subscription(id: &str) -> String {
        let start: String = id.chars().take(8).collect();
        if id.chars().count() > 8 {
            format!("{start}…")
        } else {
            start
        }
    }

    /// Whether this is the scope of `subscription_id` / `resource_group`.
    pub fn is(&self, subscription_id: &str, resource_group: &str) -> bool {
        self.subscription_id.eq_ignore_ascii_case(subscription_id)
            && self.resource_group.eq_ignore_ascii_case(resource_group)
    }
}

/// A scope as the page offers it: a resource group of a subscription, or any group of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScopeChoice {
    pub subscription_id: String,
    /// `None`: any resource group of the subscription (`subscription/*`).
    pub resource_group: Option<String>,
}

/// One entry of `AZURE_SCOPES`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScopeRule {
    subscription_id: String,
    /// `None`: every resource group of the subscription.
    resource_group: Option<String>,
    /// The least role that may use the scope.
    least_role: Role,
}

impl ScopeRule {
    fn covers(&self, subscription_id: &str, resource_group: &str, role: Role) -> bool {
        role.allows(self.least_role)
            && self.subscription_id.eq_ignore_ascii_case(subscription_id)
            && self
                .resource_group
                .as_deref()
                .is_none_or(|rg| rg.eq_ignore_ascii_case(resource_group))
    }
}

/// The scopes this dashboard allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedScopes {
    rules: Vec<ScopeRule>,
    /// The configured subscription and resource group: shown first where allowed.
    default: Scope,
}

impl AllowedScopes {
    /// Only the configured scope, for every role (`AZURE_SCOPES` unset).
    pub fn only(default: Scope) -> Self {
        Self {
            rules: vec![ScopeRule {
                subscription_id: default.subscription_id.clone(),
                resource_group: Some(default.resource_group.clone()),
                least_role: Role::Reader,
            }],
            default,
        }
    }

    /// `AZURE_SCOPES` as written; an error names the entry and what is wrong with it.
    pub fn parse(text: &str, default: Scope) -> Result<Self, String> {
        let mut rules = Vec::new();
        for entry in text.split([',', ' ', '\n', '\t']).filter(|e| !e.is_empty()) {
            let (path, role) = match entry.split_once('@') {
                Some((path, role)) => (
                    path,
                    Role::parse(role).ok_or_else(|| {
                        format!("AZURE_SCOPES entry {entry:?}: unknown role {role:?} (reader, operator or admin)")
                    })?,
                ),
                None => (entry, Role::Reader),
            };
            let (sub, rg) = path.split_once('/').ok_or_else(|| {
                format!("AZURE_SCOPES entry {entry:?}: write SUBSCRIPTION/GROUP or SUBSCRIPTION/*")
            })?;
            let sub_ok =
                !sub.is_empty() && sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !sub_ok {
                return Err(format!(
                    "AZURE_SCOPES entry {entry:?}: {sub:?} is not a subscription id"
                ));
            }
            let resource_group = match rg {
                "*" => None,
                rg if crate::domain::validation::is_valid_resource_group(rg) => Some(rg.to_owned()),
                rg => {
                    return Err(format!(
                        "AZURE_SCOPES entry {entry:?}: {rg:?} is not a resource group name (or *)"
                    ));
                }
            };
            rules.push(ScopeRule {
                subscription_id: sub.to_owned(),
                resource_group,
                least_role: role,
            });
        }
        if rules.is_empty() {
            return Err("AZURE_SCOPES names no scope".into());
        }
        Ok(Self { rules, default })
    }

    /// Whether `role` may list and create clusters in `scope`.
    pub fn allows(&self, scope: &Scope, role: Role) -> bool {
        self.rules
            .iter()
            .any(|r| r.covers(&scope.subscription_id, &scope.resource_group, role))
    }

    /// Whether `role` may work in some resource group of `subscription_id`.
    pub fn allows_subscription(&self, subscription_id: &str, role: Role) -> bool {
        self.rules.iter().any(|r| {
            role.allows(r.least_role) && r.subscription_id.eq_ignore_ascii_case(subscription_id)
        })
    }

    /// Whether a create in `scope` may make its resource group when it is missing: only a
    /// `subscription/*` entry allows that.
    pub fn may_create_resource_group(&self, scope: &Scope, role: Role) -> bool {
        self.rules.iter().any(|r| {
            r.resource_group.is_none()
                && r.covers(&scope.subscription_id, &scope.resource_group, role)
        })
    }

    /// The scopes `role` may pick, in the configuration's order.
    pub fn choices_for(&self, role: Role) -> Vec<ScopeChoice> {
        let mut choices: Vec<ScopeChoice> = Vec::new();
        for r in self.rules.iter().filter(|r| role.allows(r.least_role)) {
            let choice = ScopeChoice {
                subscription_id: r.subscription_id.clone(),
                resource_group: r.resource_group.clone(),
            };
            if !choices.contains(&choice) {
                choices.push(choice);
            }
        }
        choices
    }

    /// The scope a page shows when its address names none (or one `role` may not use): the
    /// configured one where allowed, else the first named resource group `role` may use.
    pub fn default_for(&self, role: Role) -> Option<Scope> {
        if self.allows(&self.default, role) {
            return Some(self.default.clone());
        }
        self.rules
            .iter()
            .filter(|r| role.allows(r.least_role))
            .find_map(|r| Some(Scope::new(&r.subscription_id, r.resource_group.as_deref()?)))
    }

    /// The scope a page asked for (`?scope=`), when `role` may use it; else [`default_for`].
    ///
    /// [`default_for`]: Self::default_for
    pub fn shown(&self, asked: Option<&str>, role: Role) -> Option<Scope> {
        asked
            .and_then(Scope::parse)
            .filter(|s| self.allows(s, role))
            .or_else(|| self.default_for(role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB1: &str = "11111111-2222-3333-4444-555555555555";
    const SUB2: &str = "66666666-7777-8888-9999-000000000000";

    fn scopes(text: &str) -> AllowedScopes {
        AllowedScopes::parse(text, Scope::new(SUB1, "rg-aks-dev")).expect("parses")
    }

    #[test]
    fn unset_the_configured_scope_is_the_only_one() {
        let only = AllowedScopes::only(Scope::new(SUB1, "rg-aks-dev"));
        assert!(only.allows(&Scope::new(SUB1, "RG-AKS-DEV"), Role::Reader));
        assert!(!only.allows(&Scope::new(SUB1, "rg-other"), Role::Admin));
        assert!(!only.may_create_resource_group(&Scope::new(SUB1, "rg-aks-dev"), Role::Admin));
    }

    #[test]
    fn named_groups_wildcards_and_roles() {
        let s = scopes(&format!("{SUB1}/rg-aks-dev, {SUB1}/rg-test {SUB2}/*@admin"));
        assert!(s.allows(&Scope::new(SUB1, "rg-test"), Role::Reader));
        assert!(
            !s.allows(&Scope::new(SUB1, "rg-prod"), Role::Admin),
            "another group"
        );
        assert!(
            !s.allows(&Scope::new(SUB2, "rg-prod"), Role::Operator),
            "admins only"
        );
        assert!(s.allows(&Scope::new(SUB2, "rg-anything"), Role::Admin));
        assert!(s.may_create_resource_group(&Scope::new(SUB2, "rg-new"), Role::Admin));
        assert!(!s.may_create_resource_group(&Scope::new(SUB1, "rg-test"), Role::Admin));
        assert!(s.allows_subscription(SUB2, Role::Admin));
        assert!(!s.allows_subscription(SUB2, Role::Operator));
        assert_eq!(s.choices_for(Role::Operator).len(), 2);
        assert_eq!(
            s.choices_for(Role::Admin)[2],
            ScopeChoice {
                subscription_id: SUB2.into(),
                resource_group: None
            }
        );
    }

    #[test]
    fn a_page_shows_the_scope_it_asked_for_when_allowed_else_the_default() {
        let s = scopes(&format!(
            "{SUB1}/rg-aks-dev,{SUB1}/rg-test,{SUB2}/rg-prod@admin"
        ));
        let asked = format!("{SUB1}/rg-test");
        assert_eq!(
            s.shown(Some(&asked), Role::Reader),
            Some(Scope::new(SUB1, "rg-test"))
        );
        let prod = format!("{SUB2}/rg-prod");
        assert_eq!(
            s.shown(Some(&prod), Role::Operator),
            Some(Scope::new(SUB1, "rg-aks-dev"))
        );
        assert_eq!(
            s.shown(Some(&prod), Role::Admin),
            Some(Scope::new(SUB2, "rg-prod"))
        );
        assert_eq!(
            s.shown(Some("nonsense"), Role::Reader),
            Some(Scope::new(SUB1, "rg-aks-dev"))
        );
        // The configured scope not allowed: the first one named.
        let other = scopes(&format!("{SUB2}/rg-prod"));
        assert_eq!(
            other.default_for(Role::Reader),
            Some(Scope::new(SUB2, "rg-prod"))
        );
    }

    #[test]
    fn a_wrong_entry_is_named() {
        let err = AllowedScopes::parse("sub1", Scope::new(SUB1, "rg")).expect_err("no group");
        assert!(err.contains("\"sub1\""), "{err}");
        let err = AllowedScopes::parse("sub1/rg@owner", Scope::new(SUB1, "rg")).expect_err("role");
        assert!(err.contains("owner"), "{err}");
        let err = AllowedScopes::parse("sub1/rg.", Scope::new(SUB1, "rg")).expect_err("group");
        assert!(err.contains("rg."), "{err}");
        assert!(AllowedScopes::parse(" , ", Scope::new(SUB1, "rg")).is_err());
    }

    #[test]
    fn a_scope_path_reads_back() {
        let s = Scope::new(SUB1, "rg-aks-dev");
        assert_eq!(Scope::parse(&s.path()), Some(s));
        assert_eq!(Scope::parse("a/b/c"), None);
        assert_eq!(Scope::parse("a/*"), None);
    }

    #[test]
    fn a_scope_names_its_group_as_azure_allows() {
        for group in ["rg-aks-dev", "RG_(test).1", "grüße", &"r".repeat(90)] {
            assert!(Scope::read(&format!("{SUB1}/{group}")).is_ok(), "{group}");
        }
        for group in [
            "",
            "rg.",
            "rg with space",
            "rg%2F",
            "<script>",
            "*",
            &"r".repeat(91),
        ] {
            let rule = Scope::read(&format!("{SUB1}/{group}")).expect_err(group);
            assert!(
                rule.contains("90") || rule.contains("SUBSCRIPTION"),
                "{group}: {rule}"
            );
        }
        assert!(Scope::read("no-slash").is_err());
        assert!(Scope::read("sub id/rg").is_err());
    }
}
