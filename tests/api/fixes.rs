//! One-click fixes through the API: a failure and a failing pre-flight row carry the changed
//! requests that would work, and every one of them passes pre-flight (issue 14).

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, finished, provision_request};

async fn preflight(app: &TestApp, body: &Value) -> Value {
    let (status, report) = app.post("alice", "/api/aks/preflight", body).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no {name} row: {report}"))
}

/// Every fix with a request passes pre-flight as it is proposed.
async fn every_fix_passes(app: &TestApp, fixes: &Value) {
    for fix in fixes.as_array().expect("fixes") {
        if fix["kind"] == "link" {
            assert!(fix["url"].is_string(), "{fix}");
            continue;
        }
        let report = preflight(app, &fix["request"]).await;
        assert_eq!(report["ok"], true, "{fix} fails pre-flight: {report}");
    }
}

#[tokio::test]
async fn a_quota_failure_and_its_preflight_row_offer_what_fits() {
    let app = TestApp::spawn().await;
    let body = provision_request("eastus", "aks-fit", "Standard_D4s_v3", 3);

    let report = preflight(&app, &body).await;
    let quota = row(&report, "quota");
    assert_eq!(quota["status"], "fail");
    let fixes = &quota["fixes"];
    let one_node = fixes
        .as_array()
        .and_then(|f| f.iter().find(|f| f["kind"] == "node_count"))
        .expect("a node count fix");
    assert_eq!(one_node["request"]["node_count"], 1, "{one_node}");
    assert_eq!(
        one_node["label"],
        "Use 1 node — fits your 6 free vCPUs in eastus"
    );
    assert!(
        fixes
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["kind"] == "region")),
        "{fixes}"
    );
    every_fix_passes(&app, fixes).await;

    // The same request, created anyway (a colleague used the quota meanwhile): the failure
    // carries the fixes too, in the task and in the recent failures.
    let accepted = app.provision("alice", body).await;
    let task_id = accepted["task_id"].as_str().expect("task id");
    let end = app
        .wait_task("alice", task_id, finished)
        .await
        .pop()
        .expect("end");
    assert_eq!(end["status"], "failed", "{end}");
    assert!(
        end["error"]["fixes"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["kind"] == "node_count")),
        "{end}"
    );
    let (_, recent) = app.get("alice", "/api/aks/recent-failed-provisions").await;
    let failure = &recent["jobs"][0];
    every_fix_passes(&app, &failure["fixes"]).await;
}

#[tokio::test]
async fn a_blocked_size_offers_an_available_size_or_region() {
    let app = TestApp::spawn().await;
    let body = provision_request("koreacentral", "aks-gpu", "Standard_NC24ads_A100_v4", 1);
    let report = preflight(&app, &body).await;
    let skus = row(&report, "skus");
    assert_eq!(skus["status"], "fail");
    let kinds: Vec<&str> = skus["fixes"]
        .as_array()
        .expect("fixes")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"vm_size") && kinds.contains(&"region"),
        "{kinds:?}"
    );
    every_fix_passes(&app, &skus["fixes"]).await;
}

#[tokio::test]
async fn a_taken_name_offers_a_free_variant() {
    let app = TestApp::spawn().await;
    // Someone has aks-taken; the dashboard knows its resource group.
    let first = app
        .provision(
            "bob",
            provision_request("koreacentral", "aks-taken", "Standard_D2s_v3", 1),
        )
        .await;
    app.wait_task("bob", first["task_id"].as_str().expect("task"), finished)
        .await;
    let report = preflight(
        &app,
        &provision_request("koreacentral", "aks-taken", "Standard_D2s_v3", 1),
    )
    .await;
    let name = row(&report, "name");
    assert_eq!(name["status"], "fail");
    assert_eq!(name["fixes"][0]["kind"], "name");
    assert_eq!(name["fixes"][0]["request"]["cluster_name"], "aks-taken-2");
    every_fix_passes(&app, &name["fixes"]).await;
}
