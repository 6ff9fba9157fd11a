//! An explicit refusal of the create is Azure's answer, not a lost one (issue 26): a `4xx` with
//! an error body ends the job at once with Azure's reason; a `401` is sent once more with a
//! fresh token, then it is the answer; only the `409`s that name another operation in progress
//! are waited on.

use serde_json::{Value, json};

use crate::helpers::{ApiClient, TestApp, arm_requests, finished, provision_request};

async fn create(app: &ApiClient, name: &str) -> Vec<Value> {
    let accepted = app
        .provision(
            "alice",
            provision_request("koreacentral", name, "Standard_D2s_v3", 1),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task id");
    app.wait_task("alice", task_id, finished).await
}

/// The job failed with Azure's own code and category, and never said an answer was lost.
fn assert_refused(seen: &[Value], code: &str, category: &str) {
    let end = seen.last().expect("answers");
    assert_eq!(end["status"], "failed", "{end}");
    assert_eq!(end["error"]["code"], code, "{end}");
    assert_eq!(end["error"]["category"], category, "{end}");
    assert_eq!(end["error"]["explanation"]["category"], category, "{end}");
    for answer in seen {
        let text = answer.to_string();
        assert!(
            !text.contains("was lost") && !text.contains("slow to answer"),
            "a refusal is not a lost answer: {answer}"
        );
    }
}

#[tokio::test]
async fn a_401_from_the_wrong_tenant_is_sent_once_more_with_a_fresh_token_then_ends_the_job() {
    let app = TestApp::spawn().await;
    app.simulator
        .add_fault(json!({
            "operation": "create", "cluster_name": "aks-tenant", "status": 401,
            "for_seconds": 600,
            "raw_body": json!({"error": {
                "code": "InvalidAuthenticationTokenTenant",
                "message": "The access token is from the wrong issuer 'https://sts.windows.net/11111111-1111-1111-1111-111111111111/'. It must match the tenant 'https://sts.windows.net/22222222-2222-2222-2222-222222222222/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/22222222-2222-2222-2222-222222222222' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later."
            }}).to_string(),
        }))
        .await;
    let seen = create(&app, "aks-tenant").await;
    assert_refused(&seen, "InvalidAuthenticationTokenTenant", "auth");
    let state = app.simulator.state().await;
    assert_eq!(
        arm_requests(&state, "create"),
        2,
        "one PUT, one more with a fresh token: {state}"
    );
}

#[tokio::test]
async fn a_409_for_a_read_only_subscription_ends_the_job_at_once() {
    let app = TestApp::spawn().await;
    app.simulator
        .add_fault(json!({
            "operation": "create", "cluster_name": "aks-readonly", "status": 409,
            "for_seconds": 600,
            "raw_body": json!({"error": {
                "code": "ReadOnlyDisabledSubscription",
                "message": "The subscription '00000000-0000-0000-0000-000000000000' is disabled and therefore marked as read only. You cannot perform any write actions on this subscription until it is re-enabled."
            }}).to_string(),
        }))
        .await;
    let seen = create(&app, "aks-readonly").await;
    assert_refused(&seen, "ReadOnlyDisabledSubscription", "subscription_state");
    let headline = seen.last().expect("end")["error"]["explanation"]["headline"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        headline.contains("read-only") || headline.contains("disabled"),
        "{headline}"
    );
    let state = app.simulator.state().await;
    assert_eq!(arm_requests(&state, "create"), 1, "{state}");
}

#[tokio::test]
async fn a_403_is_azures_answer_and_ends_the_job_at_once() {
    let app = TestApp::spawn().await;
    app.simulator
        .add_fault(json!({
            "operation": "create", "cluster_name": "aks-denied", "status": 403,
            "for_seconds": 600,
            "code": "AuthorizationFailed",
            "message": "The client 'aaaaaaaa-0000-0000-0000-000000000001' with object id 'aaaaaaaa-0000-0000-0000-000000000001' does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/write' over scope '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-denied' or the scope is invalid. If access was recently granted, please refresh your credentials."
        }))
        .await;
    let seen = create(&app, "aks-denied").await;
    assert_refused(&seen, "AuthorizationFailed", "rg_permission");
    let state = app.simulator.state().await;
    assert_eq!(arm_requests(&state, "create"), 1, "{state}");
}

#[tokio::test]
async fn a_409_naming_another_operation_in_progress_is_waited_on_and_the_create_goes_through() {
    let app = TestApp::spawn().await;
    app.simulator
        .add_fault(json!({
            "operation": "create", "cluster_name": "aks-busy", "status": 409, "times": 1,
            "code": "OperationNotAllowed",
            "message": "Operation is not allowed because there's an in progress create managed cluster operation (ID 2f2b4d7e-0000-0000-0000-000000000000) on managed cluster 'aks-busy' started at 2026-11-29T10:00:00Z. Please wait for it to finish before starting a new operation."
        }))
        .await;
    let seen = create(&app, "aks-busy").await;
    let end = seen.last().expect("answers");
    assert_eq!(end["status"], "succeeded", "{end}");
    let state = app.simulator.state().await;
    assert_eq!(arm_requests(&state, "create"), 2, "{state}");
}

#[tokio::test]
async fn a_400_refusal_ends_the_job_with_one_put() {
    let app = TestApp::spawn().await;
    app.simulator
        .add_fault(json!({
            "operation": "create", "cluster_name": "aks-k8s", "status": 400,
            "for_seconds": 600,
            "code": "K8sVersionNotSupported",
            "message": "Version 1.24.9 is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region. For more information, please check https://aka.ms/supported-version-list"
        }))
        .await;
    let seen = create(&app, "aks-k8s").await;
    assert_refused(&seen, "K8sVersionNotSupported", "kubernetes_version");
    let state = app.simulator.state().await;
    assert_eq!(arm_requests(&state, "create"), 1, "{state}");
}

/// A catalogue sample (`tests/fixtures/azure/catalogue`) by file name.
fn catalogue(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/azure/catalogue")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("sample")).expect("json")
}

/// One sample of each family the catalogue added, as Azure sends it to a job: refusing the
/// create (sync), or failing the accepted create's operation (async). The job records Azure's
/// code, the family and a headline with the error's facts.
#[tokio::test]
async fn each_family_reaches_the_job_sync_and_async_and_is_explained() {
    let app = TestApp::spawn().await;
    let cases = [
        ("subnet-is-delegated.json", "aks-net-sync"),
        (
            "insufficient-subnet-size-nodepool-subnet-name.json",
            "aks-net-async",
        ),
        ("cse-exit-50-outbound-conn-fail.json", "aks-cse-async"),
        (
            "cse-exit-50-create-vmss-agentpool-failed.json",
            "aks-cse-async2",
        ),
        ("service-principal-not-found.json", "aks-sp-sync"),
        (
            "sp-profile-invalid-aadsts7000222-expired-badrequest.json",
            "aks-sp-sync2",
        ),
        ("k8s-version-lts-only.json", "aks-k8s-sync"),
        ("read-only-disabled-subscription.json", "aks-sub-sync"),
        (
            "request-disallowed-by-policy-reasons.json",
            "aks-policy-sync",
        ),
        (
            "request-disallowed-by-policy-mc-group.json",
            "aks-policy-async",
        ),
    ];
    let mut tasks = Vec::new();
    for (file, cluster) in cases {
        let sample = catalogue(file);
        let raw = sample["body"].to_string();
        let fault = match sample["shape"].as_str() {
            Some("async") => json!({"operation": "operation_status", "cluster_name": cluster,
                                    "raw_body": raw, "for_seconds": 600}),
            _ => json!({"operation": "create", "cluster_name": cluster,
                        "status": sample["status"], "raw_body": raw, "for_seconds": 600}),
        };
        app.simulator.add_fault(fault).await;
        let accepted = app
            .provision(
                "alice",
                provision_request("koreacentral", cluster, "Standard_D2s_v3", 1),
            )
            .await;
        tasks.push((
            sample,
            accepted["task_id"].as_str().expect("task id").to_owned(),
        ));
    }
    for (sample, task_id) in tasks {
        let seen = app.wait_task("alice", &task_id, finished).await;
        let end = seen.last().expect("answers");
        let expect = &sample["expect"];
        assert_eq!(end["status"], "failed", "{end}");
        assert_eq!(end["error"]["code"], expect["code"], "{end}");
        assert_eq!(end["error"]["category"], expect["category"], "{end}");
        let explanation = &end["error"]["explanation"];
        let shown =
            format!("{} {}", explanation["headline"], explanation["details"]).to_lowercase();
        for fact in expect["facts"].as_array().into_iter().flatten() {
            let fact = fact.as_str().unwrap_or_default().to_lowercase();
            assert!(shown.contains(&fact), "{fact:?} in {explanation}");
        }
        if expect["category"] == "cluster_identity" {
            assert!(
                !shown.contains("dashboard could not sign in") && !shown.contains("az login"),
                "the cluster's credential, not the dashboard's: {explanation}"
            );
        }
    }
}
