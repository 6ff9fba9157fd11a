//! The pre-flight rows: one per check with its state and message, and the one-click fixes of a
//! failing one. Each row changes in place, so the live region announces only what changed.

use leptos::prelude::*;

use super::FormState;
use super::preflight::Checks;
use crate::components::provision_error_card::FixActions;
use crate::domain::{CheckStatus, Fix};

/// The pre-flight checks the server runs, with their names on screen.
const CHECKS: [(&str, &str); 6] = [
    ("skus", "VM sizes"),
    ("quota", "vCPU quota"),
    ("kubernetes_version", "Kubernetes version"),
    ("resource_group", "Resource group"),
    ("name", "Name"),
    ("cost", "Cost"),
];

/// One row as the form shows it.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    name: String,
    status: &'static str,
    message: String,
    fixes: Vec<Fix>,
}

/// The name of a check on screen.
fn check_label(name: &str) -> String {
    CHECKS
        .iter()
        // Rows the server adds only when they apply.
        .chain(&[("approval", "Approval")])
        .find(|(n, _)| *n == name)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| name.replace('_', " "))
}

/// The rows: every check the form knows, always, in the same order (a row that came or went
/// would move the buttons under a pointer on its way to them), each with its state, message
/// and (when it fails) fixes. While the checks run, the last answer's rows say "pending";
/// a check not asked yet says why ("todo"). A check the server adds comes after them.
fn rows_of(c: &Checks, name_checked: bool) -> Vec<Row> {
    let answered = |name: &str| {
        c.report
            .as_ref()
            .and_then(|r| r.checks.iter().find(|k| k.name == name))
    };
    let row = |name: &str, status: &'static str, message: &str, fixes: Vec<Fix>| Row {
        name: name.to_owned(),
        status,
        message: message.to_owned(),
        fixes,
    };
    let known = CHECKS.iter().map(|(name, _)| match answered(name) {
        Some(k) if *name != "name" || name_checked => row(
            name,
            match k.status {
                _ if c.running => "pending",
                CheckStatus::Ok => "ok",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "fail",
            },
            &k.message,
            if c.running { vec![] } else { k.fixes.clone() },
        ),
        _ if *name == "name" && !name_checked => row(
            name,
            "todo",
            "Checked once a name is entered and its field left.",
            vec![],
        ),
        _ if c.running => row(name, "pending", "Checking…", vec![]),
        _ => row(name, "todo", "Not checked yet.", vec![]),
    });
    let added = c
        .report
        .iter()
        .flat_map(|r| r.checks.iter())
        .filter(|k| !CHECKS.iter().any(|(n, _)| *n == k.name))
        .map(|k| {
            let status = match k.status {
                _ if c.running => "pending",
                CheckStatus::Ok => "ok",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "fail",
            };
            row(&k.name, status, &k.message, k.fixes.clone())
        });
    known.chain(added).collect()
}

/// Icon, badge class and word of a row's state.
fn status_look(status: &str) -> (&'static str, &'static str, &'static str) {
    match status {
        "ok" => ("✓", "badge badge-ok", "OK"),
        "warn" => ("!", "badge badge-warn", "Warning"),
        "fail" => ("✕", "badge badge-fail", "Failed"),
        "todo" => ("○", "badge badge-neutral", "Not yet"),
        _ => ("…", "badge badge-neutral", "Checking"),
    }
}

/// The pre-flight section of the form.
#[component]
pub(super) fn PreflightChecks(state: FormState) -> impl IntoView {
    let checks = state.checks;
    let name_checked = Memo::new(move |_| !state.name_for_checks.get().is_empty());
    let rows = Memo::new(move |_| checks.with(|c| rows_of(c, name_checked.get())));
    let names = move || rows.with(|rs| rs.iter().map(|r| r.name.clone()).collect::<Vec<_>>());
    let note = move || {
        checks
            .with(|c| c.unavailable.clone())
            .map(|text| view! { <p class="checks-note">{text}</p> })
    };
    view! {
        <section class="checks" aria-labelledby="pm-checks-title">
            <h3 id="pm-checks-title" class="checks-title">
                "Pre-flight checks"
            </h3>
            <ul
                class="check-list"
                aria-live="polite"
                aria-busy=move || if checks.with(|c| c.running) { "true" } else { "false" }
            >
                <For each=names key=|name| name.clone() let:name>
                    <CheckRow state rows name />
                </For>
            </ul>
            {note}
        </section>
    }
}

/// One check: its name, state and message, and a failing check's fixes.
#[component]
fn CheckRow(state: FormState, rows: Memo<Vec<Row>>, name: String) -> impl IntoView {
    let row = Memo::new({
        let name = name.clone();
        move |_| rows.with(|rs| rs.iter().find(|r| r.name == name).cloned())
    });
    let status = move || row.with(|r| r.as_ref().map(|r| r.status).unwrap_or("pending"));
    let message = move || row.with(|r| r.as_ref().map(|r| r.message.clone()).unwrap_or_default());
    let fixes =
        Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.fixes.clone()).unwrap_or_default()));
    let apply = Callback::new(move |fix| state.apply_fix(fix));
    view! {
        <li class="check" data-testid="preflight-check" data-check=name.clone() data-status=status>
            <span class="check-icon" aria-hidden="true">
                {move || status_look(status()).0}
            </span>
            <span class="check-name">{check_label(&name)}</span>
            <span class=move || status_look(status()).1>{move || status_look(status()).2}</span>
            <span class="check-message">{message}</span>
            {move || {
                let fixes = fixes.get();
                (!fixes.is_empty())
                    .then(|| view! {
                        <div class="check-fixes">
                            <FixActions fixes on_apply=apply />
                        </div>
                    })
            }}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PreflightCheck, PreflightReport};

    fn report(status: CheckStatus) -> PreflightReport {
        PreflightReport {
            ok: status != CheckStatus::Fail,
            checks: vec![PreflightCheck {
                name: "quota".into(),
                status,
                message: "6 vCPUs free".into(),
                details: serde_json::Value::Null,
                fixes: vec![],
            }],
            portal_url: String::new(),
            max_node_count: Some(3),
        }
    }

    fn statuses(rows: &[Row]) -> Vec<(&str, &str)> {
        rows.iter().map(|r| (r.name.as_str(), r.status)).collect()
    }

    #[test]
    fn every_check_has_its_row_from_the_start_in_the_same_order() {
        let c = Checks {
            running: true,
            ..Checks::default()
        };
        assert_eq!(
            statuses(&rows_of(&c, false)),
            [
                ("skus", "pending"),
                ("quota", "pending"),
                ("kubernetes_version", "pending"),
                ("resource_group", "pending"),
                ("name", "todo"),
                ("cost", "pending"),
            ]
        );
        assert_eq!(
            rows_of(&c, true)[4].status,
            "pending",
            "the name is checked once left"
        );
        let idle = Checks::default();
        assert!(rows_of(&idle, false).iter().all(|r| r.status == "todo"));
    }

    #[test]
    fn while_checks_run_again_the_last_answer_is_pending() {
        let c = Checks {
            running: true,
            report: Some(report(CheckStatus::Fail)),
            unavailable: None,
        };
        assert_eq!(rows_of(&c, false)[1].status, "pending");
        let done = Checks {
            running: false,
            ..c
        };
        let rows = rows_of(&done, false);
        assert_eq!(rows[1].status, "fail");
        assert_eq!(
            rows[0].status, "todo",
            "a check the answer lacks is not asked yet"
        );
        assert_eq!(check_label("quota"), "vCPU quota");
        assert_eq!(check_label("new_check"), "new check");
    }
}
