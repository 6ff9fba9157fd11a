//! Which creates wait for an admin: `APPROVAL_RULES` (`SCOPE>AMOUNT`: a create whose monthly
//! estimate is over AMOUNT; `>0`: every create there) and `SCOPE_BUDGETS` (`SUB/GROUP=AMOUNT`: a
//! create that would take the scope's clusters past AMOUNT a month). SCOPE is written as in
//! `AZURE_SCOPES`: `SUB/GROUP` or `SUB/*`. Entries are separated by commas or spaces; ids and
//! names compare without case. Pure: the estimate and what the scope already spends are given.

use crate::domain::money;

/// Where an entry applies: one resource group, or every group of a subscription (`None`).
#[derive(Debug, Clone, PartialEq)]
struct Place {
    subscription_id: String,
    resource_group: Option<String>,
}

impl Place {
    fn read(setting: &str, entry: &str, text: &str, group_only: bool) -> Result<Place, String> {
        let (sub, rg) = text.split_once('/').ok_or_else(|| {
            format!(
                "{setting} entry {entry:?}: write SUBSCRIPTION/GROUP{}",
                if group_only { "" } else { " or SUBSCRIPTION/*" }
            )
        })?;
        if sub.is_empty() || !sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!(
                "{setting} entry {entry:?}: {sub:?} is not a subscription id"
            ));
        }
        let resource_group = match rg {
            "*" if !group_only => None,
            rg if crate::domain::validation::is_valid_resource_group(rg) => Some(rg.to_owned()),
            rg => {
                return Err(format!(
                    "{setting} entry {entry:?}: {rg:?} is not a resource group name{}",
                    if group_only { "" } else { " (or *)" }
                ));
            }
        };
        Ok(Place {
            subscription_id: sub.to_owned(),
            resource_group,
        })
    }

    fn covers(&self, subscription_id: &str, resource_group: &str) -> bool {
        self.subscription_id.eq_ignore_ascii_case(subscription_id)
            && self
                .resource_group
                .as_deref()
                .is_none_or(|rg| rg.eq_ignore_ascii_case(resource_group))
    }
}

fn amount(setting: &str, entry: &str, text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(a) if a.is_finite() && a >= 0.0 => Ok(a),
        _ => Err(format!(
            "{setting} entry {entry:?}: {text:?} is not an amount (a number, 0 or more)"
        )),
    }
}

fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ' ', '\n', '\t']).filter(|e| !e.is_empty())
}

/// The approval rules and scope budgets of this dashboard (both empty: no create waits).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApprovalRules {
    thresholds: Vec<(Place, f64)>,
    budgets: Vec<(Place, f64)>,
}

impl ApprovalRules {
    /// `APPROVAL_RULES` and `SCOPE_BUDGETS` as written; an error names the setting, the entry and
    /// what is wrong with it.
    pub fn parse(rules: Option<&str>, budgets: Option<&str>) -> Result<Self, String> {
        let mut this = Self::default();
        for entry in entries(rules.unwrap_or_default()) {
            let (place, limit) = entry.split_once('>').ok_or_else(|| {
                format!("APPROVAL_RULES entry {entry:?}: write SCOPE>AMOUNT, e.g. SUB/rg-prod>500 or SUB/*>0")
            })?;
            this.thresholds.push((
                Place::read("APPROVAL_RULES", entry, place, false)?,
                amount("APPROVAL_RULES", entry, limit)?,
            ));
        }
        for entry in entries(budgets.unwrap_or_default()) {
            let (place, limit) = entry.split_once('=').ok_or_else(|| {
                format!(
                    "SCOPE_BUDGETS entry {entry:?}: write SUB/GROUP=AMOUNT, e.g. SUB/rg-dev=2000"
                )
            })?;
            this.budgets.push((
                Place::read("SCOPE_BUDGETS", entry, place, true)?,
                amount("SCOPE_BUDGETS", entry, limit)?,
            ));
        }
        Ok(this)
    }

    /// Whether no create ever waits.
    pub fn is_empty(&self) -> bool {
        self.thresholds.is_empty() && self.budgets.is_empty()
    }

    /// The budget of a scope, if it has one (the smallest, if several entries name it).
    pub fn budget(&self, subscription_id: &str, resource_group: &str) -> Option<f64> {
        self.budgets
            .iter()
            .filter(|(p, _)| p.covers(subscription_id, resource_group))
            .map(|(_, a)| *a)
            .reduce(f64::min)
    }

    /// Why a create in `subscription_id`/`resource_group` waits for an admin, or `None` when it
    /// does not: `estimate` is its monthly estimate (`None`: prices could not be read), `spent`
    /// what the clusters this dashboard created there and that still exist are estimated at.
    /// With several rules, the strictest threshold speaks; a budget is checked after it.
    pub fn decide(
        &self,
        subscription_id: &str,
        resource_group: &str,
        estimate: Option<f64>,
        spent: f64,
        currency: &str,
    ) -> Option<String> {
        let threshold = self
            .thresholds
            .iter()
            .filter(|(p, _)| p.covers(subscription_id, resource_group))
            .map(|(_, a)| *a)
            .reduce(f64::min);
        let budget = self.budget(subscription_id, resource_group);
        if threshold.is_none() && budget.is_none() {
            return None;
        }
        let Some(estimate) = estimate else {
            return Some(format!(
                "no estimate: prices could not be read, and creates in {resource_group} are checked against {}",
                match (threshold, budget) {
                    (Some(t), _) if t <= 0.0 => "an approval rule".to_owned(),
                    (Some(t), _) => format!("a limit of {}/month", money(t, currency)),
                    (None, Some(b)) => format!("a budget of {}/month", money(b, currency)),
                    (None, None) => unreachable!("checked above"),
                }
            ));
        };
        match threshold {
            Some(t) if t <= 0.0 => {
                return Some(format!(
                    "every create in {resource_group} needs an admin's approval"
                ));
            }
            Some(t) if estimate > t => {
                return Some(format!(
                    "over {}/month in {resource_group}",
                    money(t, currency)
                ));
            }
            _ => {}
        }
        match budget {
            Some(b) if spent + estimate > b => Some(format!(
                "past the {resource_group} budget of {}/month ({} already, this one {})",
                money(b, currency),
                money(spent, currency),
                money(estimate, currency)
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "11111111-2222-3333-4444-555555555555";

    fn rules(r: &str, b: &str) -> ApprovalRules {
        ApprovalRules::parse(Some(r), Some(b)).expect("parses")
    }

    #[test]
    fn a_threshold_waits_only_above_its_amount_in_its_scope() {
        let r = rules(&format!("{SUB}/rg-prod>500"), "");
        let why = r.decide(SUB, "RG-PROD", Some(500.01), 0.0, "USD");
        assert_eq!(why.as_deref(), Some("over 500.00 USD/month in RG-PROD"));
        assert_eq!(r.decide(SUB, "rg-prod", Some(500.0), 0.0, "USD"), None);
        assert_eq!(r.decide(SUB, "rg-dev", Some(9_000.0), 0.0, "USD"), None);
        assert_eq!(
            r.decide("other", "rg-prod", Some(9_000.0), 0.0, "USD"),
            None
        );
    }

    #[test]
    fn zero_means_every_create_and_a_wildcard_every_group() {
        let r = rules(&format!("{SUB}/*>0"), "");
        let why = r
            .decide(SUB, "rg-any", Some(0.0), 0.0, "USD")
            .expect("waits");
        assert!(why.contains("every create in rg-any"), "{why}");
    }

    #[test]
    fn the_strictest_threshold_speaks() {
        let r = rules(&format!("{SUB}/*>1000 {SUB}/rg-prod>200"), "");
        assert!(
            r.decide(SUB, "rg-prod", Some(300.0), 0.0, "EUR")
                .expect("waits")
                .contains("200.00 EUR")
        );
        assert_eq!(r.decide(SUB, "rg-dev", Some(300.0), 0.0, "EUR"), None);
    }

    #[test]
    fn a_budget_counts_what_the_scope_already_spends() {
        let r = rules("", &format!("{SUB}/rg-dev=1000"));
        assert_eq!(r.decide(SUB, "rg-dev", Some(400.0), 600.0, "USD"), None);
        let why = r
            .decide(SUB, "rg-dev", Some(400.01), 600.0, "USD")
            .expect("waits");
        assert!(why.contains("budget of 1000.00 USD/month"), "{why}");
        assert!(why.contains("600.00 USD already"), "{why}");
        assert_eq!(r.budget(SUB, "RG-DEV"), Some(1000.0));
    }

    #[test]
    fn without_prices_a_create_under_a_rule_waits_and_others_do_not() {
        let r = rules(&format!("{SUB}/rg-prod>500"), &format!("{SUB}/rg-dev=100"));
        let why = r.decide(SUB, "rg-prod", None, 0.0, "USD").expect("waits");
        assert!(why.starts_with("no estimate"), "{why}");
        assert!(
            r.decide(SUB, "rg-dev", None, 0.0, "USD")
                .expect("waits")
                .contains("budget")
        );
        assert_eq!(r.decide(SUB, "rg-test", None, 0.0, "USD"), None);
        assert!(ApprovalRules::default().is_empty());
        assert_eq!(
            ApprovalRules::default().decide(SUB, "rg", None, 0.0, "USD"),
            None
        );
    }

    #[test]
    fn a_wrong_entry_is_named_with_its_setting() {
        let err = ApprovalRules::parse(Some("sub/rg-prod"), None).expect_err("no amount");
        assert!(
            err.starts_with("APPROVAL_RULES") && err.contains("SCOPE>AMOUNT"),
            "{err}"
        );
        let err = ApprovalRules::parse(Some("sub/rg>-5"), None).expect_err("negative");
        assert!(err.contains("\"-5\""), "{err}");
        let err = ApprovalRules::parse(Some("sub/rg.>5"), None).expect_err("group");
        assert!(err.contains("rg."), "{err}");
        let err = ApprovalRules::parse(None, Some("sub/*=5")).expect_err("budget of a wildcard");
        assert!(err.starts_with("SCOPE_BUDGETS"), "{err}");
        let err = ApprovalRules::parse(None, Some("sub/rg>5")).expect_err("shape");
        assert!(err.contains("SUB/GROUP=AMOUNT"), "{err}");
        assert!(
            ApprovalRules::parse(Some(" , "), Some(""))
                .expect("empty")
                .is_empty()
        );
    }
}
