//! Requests Azure accepts and answers Azure gives, through the whole product: names AKS allows
//! are created (a valid DNS prefix is derived), names AKS would refuse are refused at submit
//! time, and a subscription Azure cannot find never reads as "will be created".

use aks_dashboard::config::DEFAULT_SUBSCRIPTION_ID;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, finished, provision_request};

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no {name} check in {report}"))
}

#[tokio::test]
async fn a_63_character_name_with_underscores_is_created_with_a_valid_dns_prefix() {
    // A short resource group: only a `subscription/*` scope lets a create make a missing one.
    let api = TestApp::builder()
        .create_seconds(1.0)
        .configure(|c| c.azure_scopes = Some(format!("{DEFAULT_SUBSCRIPTION_ID}/*")))
        .spawn()
        .await;
    // MC_rg_<63>_westeurope is exactly the 80 characters AKS allows.
    let name = format!("aks_team_{}", "a".repeat(54));
    assert_eq!(name.len(), 63);
    let mut request = provision_request("westeurope", &name, "Standard_D2s_v3", 1);
    request["resource_group"] = json!("rg");
    let accepted = api.provision("una", request).await;
    let task_id = accepted["task_id"].as_str().expect("task id");
    let seen = api.wait_task("una", task_id, finished).await;
    let last = seen.last().expect("answers");
    assert_eq!(last["status"], "succeeded", "{last}");

    let state: Value = api.simulator.state().await;
    let cluster = state["clusters"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name.as_str()))
        .cloned()
        .expect("created in Azure");
    let prefix = cluster["dns_prefix"].as_str().unwrap_or_default();
    assert!(
        !prefix.contains('_') && prefix.len() <= 54 && !prefix.ends_with('-'),
        "{prefix}"
    );
}

#[tokio::test]
async fn a_name_whose_node_resource_group_would_pass_80_characters_is_refused_at_submit() {
    let api = TestApp::spawn().await;
    let name = format!("aks_team_{}", "a".repeat(54));
    let (status, refused) = api
        .post(
            "una",
            "/api/aks/provision",
            &provision_request("westeurope", &name, "Standard_D2s_v3", 1),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let rule = refused["fields"]["cluster_name"]
        .as_str()
        .unwrap_or_default();
    assert!(rule.contains("at most 80"), "{refused}");
    let state: Value = api.simulator.state().await;
    assert_eq!(state["counters"]["create_puts_accepted"], 0);
}

#[tokio::test]
async fn a_subscription_azure_cannot_find_fails_preflight_instead_of_will_be_created() {
    let unknown = "99999999-2222-3333-4444-555555555555";
    // The dashboard may work there (AZURE_SCOPES), but Azure does not know the subscription.
    let api = TestApp::builder()
        .configure(move |c| c.azure_scopes = Some(format!("{unknown}/*")))
        .spawn()
        .await;
    let mut request = provision_request("westeurope", "aks-elsewhere", "Standard_D2s_v3", 1);
    assert_ne!(unknown, DEFAULT_SUBSCRIPTION_ID);
    request["subscription_id"] = json!(unknown);
    let (status, report) = api.post("una", "/api/aks/preflight", &request).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let rg = check(&report, "resource_group");
    assert_eq!(rg["status"], "fail", "{report}");
    assert!(
        !rg["message"]
            .as_str()
            .unwrap_or_default()
            .contains("will be created"),
        "{report}"
    );
    assert_eq!(report["ok"], false);
}
