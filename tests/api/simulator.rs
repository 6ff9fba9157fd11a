//! The ARM client against the ARM simulator, over real HTTP: every call the product makes to
//! Azure, and every way Azure answers that the product must handle.

use std::time::{Duration, Instant};

use aks_dashboard::azure::{
    AgentPoolMode, AgentPoolProfile, ArmError, ClusterRef, ManagedCluster, OperationState,
    ProvisioningState,
};
use aks_dashboard::config::{DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID};
use serde_json::{Value, json};

use crate::helpers::{SimulatedAzure as Azure, TestApp};

const SUB: &str = DEFAULT_SUBSCRIPTION_ID;
const RG: &str = DEFAULT_RESOURCE_GROUP;
const WAIT: Duration = Duration::from_secs(20);

/// A simulator whose creates take `create_seconds`, and a client with a small retry budget.
async fn azure(create_seconds: f64) -> Azure {
    Azure::start(create_seconds).await
}

async fn azure_with_retry_budget(create_seconds: f64, retry_budget: Duration) -> Azure {
    Azure::with_retry_budget(create_seconds, retry_budget).await
}

fn cluster(name: &str) -> ClusterRef {
    ClusterRef::new(SUB, RG, name)
}

/// A system pool and a node pool, as the provision modal asks for them.
fn body(
    location: &str,
    node_size: &str,
    node_count: u32,
    system_size: &str,
    system_count: u32,
) -> ManagedCluster {
    ManagedCluster::for_create(
        "ignored",
        location,
        None,
        vec![
            AgentPoolProfile::new("system", system_size, system_count, AgentPoolMode::System),
            AgentPoolProfile::new("nodepool1", node_size, node_count, AgentPoolMode::User),
        ],
    )
}

fn usage(usages: &[aks_dashboard::azure::Usage], name: &str) -> (i64, i64) {
    let u = usages
        .iter()
        .find(|u| u.name.value == name)
        .unwrap_or_else(|| panic!("no usage {name}"));
    (u.current_value, u.limit)
}

#[tokio::test]
async fn a_create_shows_creating_with_its_pools_then_succeeds() {
    let azure = azure(1.5).await;
    let aks = cluster("aks-create");
    let started = azure
        .arm
        .create_or_update_cluster(
            &aks,
            &body("koreacentral", "Standard_D4s_v3", 2, "Standard_D2s_v3", 1),
        )
        .await
        .expect("create accepted");
    assert_eq!(started.http_status, 201);
    assert!(started.retry_after.is_some());
    let status_url = started
        .status_url()
        .expect("Azure-AsyncOperation")
        .to_string();
    assert!(status_url.starts_with(azure.sim.base_url()), "{status_url}");
    assert!(status_url.contains("api-version="));
    assert_eq!(
        started.body.and_then(|b| b.properties.provisioning_state),
        Some(ProvisioningState::Creating)
    );

    let creating = azure
        .arm
        .get_cluster(&aks)
        .await
        .expect("get")
        .expect("cluster exists at once");
    assert_eq!(
        creating.provisioning_state(),
        Some(&ProvisioningState::Creating)
    );
    assert_eq!(creating.location, "koreacentral");
    let pools: Vec<(String, String, u32, AgentPoolMode)> = creating
        .properties
        .agent_pool_profiles
        .iter()
        .map(|p| (p.name.clone(), p.vm_size.clone(), p.count, p.mode.clone()))
        .collect();
    assert_eq!(
        pools,
        vec![
            (
                "system".into(),
                "Standard_D2s_v3".into(),
                1,
                AgentPoolMode::System
            ),
            (
                "nodepool1".into(),
                "Standard_D4s_v3".into(),
                2,
                AgentPoolMode::User
            ),
        ]
    );
    assert!(creating.properties.kubernetes_version.is_some());

    let first_poll = azure.arm.operation_status(&status_url).await.expect("poll");
    assert_eq!(first_poll.status.status, OperationState::InProgress);
    assert!(first_poll.retry_after.is_some());

    let done = azure
        .arm
        .wait_for_operation(&status_url, WAIT)
        .await
        .expect("operation ends");
    assert_eq!(done.status, OperationState::Succeeded);
    assert!(done.into_result().is_ok());
    let created = azure
        .arm
        .get_cluster(&aks)
        .await
        .expect("get")
        .expect("cluster");
    assert_eq!(
        created.provisioning_state(),
        Some(&ProvisioningState::Succeeded)
    );

    let listed = azure.arm.list_clusters(SUB, RG).await.expect("list");
    assert_eq!(
        listed
            .iter()
            .filter_map(|c| c.name.as_deref())
            .collect::<Vec<_>>(),
        vec!["aks-create"]
    );

    let state = azure.state().await;
    assert_eq!(state.counters.create_puts_accepted, 1);
    assert_eq!(state.counters.clusters_created, 1);
    assert_eq!(
        state.clusters[0].provisioning_state,
        ProvisioningState::Succeeded
    );
}

#[tokio::test]
async fn a_create_beyond_the_quota_is_refused_at_put_with_azures_numbers() {
    let azure = azure(1.5).await;
    // eastus: 10 regional vCPUs, 4 used. 3 × D4s_v3 + 1 × D2s_v3 = 14 > 6 left.
    let error = azure
        .arm
        .create_or_update_cluster(
            &cluster("aks-quota"),
            &body("eastus", "Standard_D4s_v3", 3, "Standard_D2s_v3", 1),
        )
        .await
        .expect_err("refused");
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.code(), Some("ErrCode_InsufficientVCPUQuota"));
    let message = error.message();
    assert!(
        message.contains("eastus") && message.contains("quota 6") && message.contains("14"),
        "{message}"
    );
    assert!(
        error
            .raw_body()
            .is_some_and(|b| b.contains("ErrCode_InsufficientVCPUQuota"))
    );

    let state = azure.state().await;
    assert!(state.clusters.is_empty());
    assert_eq!(state.counters.create_puts_accepted, 0);
    assert_eq!(
        state.counters.requests.get("create"),
        Some(&1),
        "a 4xx is not retried"
    );
}

#[tokio::test]
async fn a_blocked_size_is_refused_as_blocked() {
    let azure = azure(1.5).await;
    let error = azure
        .arm
        .create_or_update_cluster(
            &cluster("aks-gpu"),
            &body(
                "koreacentral",
                "Standard_NC24ads_A100_v4",
                1,
                "Standard_D2s_v3",
                1,
            ),
        )
        .await
        .expect_err("refused");
    assert_eq!(error.status(), Some(400));
    // AKS names the pool, not the size, and lists the sizes that are available.
    let message = error.message();
    assert!(
        message.starts_with(
            "The VM size of AgentPoolProfile:nodepool1 is not allowed in your subscription in location 'koreacentral'. The available VM sizes are Standard_D2s_v3,"
        ),
        "{message}"
    );
    assert!(!message.contains("NC24ads"), "{message}");
    assert!(azure.state().await.clusters.is_empty());
}

#[tokio::test]
async fn an_allocation_failure_ends_the_operation_failed_after_the_scripted_delay() {
    let azure = azure(10.0).await;
    azure
        .fault(json!({
            "operation": "create",
            "cluster_name": "aks-zonal",
            "fail_after_seconds": 2,
            "code": "ZonalAllocationFailed",
            "message": "Allocation failed. We do not have sufficient capacity for the requested VM size in this zone."
        }))
        .await;
    let aks = cluster("aks-zonal");
    let started = azure
        .arm
        .create_or_update_cluster(
            &aks,
            &body("koreacentral", "Standard_D4s_v3", 1, "Standard_D2s_v3", 1),
        )
        .await
        .expect("the PUT itself is accepted");
    let status_url = started.status_url().expect("status URL").to_string();
    let began = Instant::now();
    assert_eq!(
        azure
            .arm
            .operation_status(&status_url)
            .await
            .expect("poll")
            .status
            .status,
        OperationState::InProgress
    );

    let ended = azure
        .arm
        .wait_for_operation(&status_url, WAIT)
        .await
        .expect("operation ends");
    assert!(began.elapsed() >= Duration::from_millis(1500));
    assert_eq!(ended.status, OperationState::Failed);
    let error = ended
        .into_result()
        .expect_err("a failed operation is an error");
    assert_eq!(error.code(), Some("ZonalAllocationFailed"));
    assert!(error.message().contains("sufficient capacity"));
    assert!(
        error
            .raw_body()
            .is_some_and(|b| b.contains("ZonalAllocationFailed"))
    );
    assert!(matches!(
        error,
        ArmError::OperationFailed {
            state: OperationState::Failed,
            ..
        }
    ));

    let failed = azure
        .arm
        .get_cluster(&aks)
        .await
        .expect("get")
        .expect("cluster");
    assert_eq!(
        failed.provisioning_state(),
        Some(&ProvisioningState::Failed)
    );
}

#[tokio::test]
async fn a_429_storm_answered_with_retry_after_is_waited_out() {
    let azure = azure(1.5).await;
    azure
        .fault(json!({"operation": "create", "status": 429, "retry_after_seconds": 1, "times": 2}))
        .await;
    let began = Instant::now();
    let started = azure
        .arm
        .create_or_update_cluster(
            &cluster("aks-throttled"),
            &body("koreacentral", "Standard_D2s_v3", 1, "Standard_D2s_v3", 1),
        )
        .await
        .expect("succeeds after the storm");
    assert_eq!(started.http_status, 201);
    assert!(
        began.elapsed() >= Duration::from_millis(1900),
        "Retry-After was honoured"
    );
    let state = azure.state().await;
    assert_eq!(state.counters.requests.get("create"), Some(&3));
    assert_eq!(state.counters.faults_fired, 2);
    assert_eq!(state.counters.create_puts_accepted, 1);
}

#[tokio::test]
async fn throttling_longer_than_the_retry_budget_gives_up_with_the_429() {
    let azure = azure_with_retry_budget(1.5, Duration::from_millis(300)).await;
    azure
        .fault(json!({"operation": "skus", "status": 429, "retry_after_seconds": 30, "times": 5}))
        .await;
    let began = Instant::now();
    let error = azure
        .arm
        .list_vm_skus(SUB, "koreacentral")
        .await
        .expect_err("gives up");
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "did not wait 30 s"
    );
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.code(), Some("TooManyRequests"));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
}

#[tokio::test]
async fn a_500_is_retried() {
    let azure = azure(1.5).await;
    azure
        .fault(json!({"operation": "usages", "status": 500, "times": 2}))
        .await;
    azure.fault(json!({"operation": "resource_group", "status": 503, "code": "ServiceUnavailable", "message": "try later"})).await;
    let usages = azure
        .arm
        .list_compute_usages(SUB, "eastus")
        .await
        .expect("succeeds on the third try");
    assert_eq!(usage(&usages, "cores"), (4, 10));
    assert!(
        azure
            .arm
            .get_resource_group(SUB, RG)
            .await
            .expect("retried")
            .is_some()
    );
    let state = azure.state().await;
    assert_eq!(state.counters.requests.get("usages"), Some(&3));
    assert_eq!(state.counters.requests.get("resource_group"), Some(&2));
}

#[tokio::test]
async fn a_second_create_while_one_runs_is_refused_with_409() {
    let azure = azure(10.0).await;
    let aks = cluster("aks-twice");
    let request = body("koreacentral", "Standard_D2s_v3", 1, "Standard_D2s_v3", 1);
    azure
        .arm
        .create_or_update_cluster(&aks, &request)
        .await
        .expect("first create");
    let error = azure
        .arm
        .create_or_update_cluster(&aks, &request)
        .await
        .expect_err("second refused");
    assert_eq!(error.status(), Some(409));
    assert_eq!(error.code(), Some("OperationNotAllowed"));
    assert!(error.message().contains("in progress"));
    let state = azure.state().await;
    assert_eq!(state.counters.create_puts_accepted, 1);
    assert_eq!(state.counters.clusters_created, 1);
    assert_eq!(
        state.counters.requests.get("create"),
        Some(&2),
        "a 409 is not retried"
    );
}

#[tokio::test]
async fn abort_leaves_a_canceled_partial_cluster() {
    let azure = azure(10.0).await;
    let aks = cluster("aks-abort");
    let started = azure
        .arm
        .create_or_update_cluster(
            &aks,
            &body("koreacentral", "Standard_D4s_v3", 2, "Standard_D2s_v3", 1),
        )
        .await
        .expect("create");
    let create_url = started.status_url().expect("status URL").to_string();

    let abort = azure
        .arm
        .abort_cluster_operation(&aks)
        .await
        .expect("abort accepted");
    assert_eq!(abort.http_status, 202);
    let abort_url = abort.status_url().expect("abort status URL").to_string();
    assert_eq!(
        azure
            .arm
            .operation_status(&create_url)
            .await
            .expect("poll")
            .status
            .status,
        OperationState::Canceling
    );

    let create = azure
        .arm
        .wait_for_operation(&create_url, WAIT)
        .await
        .expect("create ends");
    assert_eq!(create.status, OperationState::Canceled);
    assert!(matches!(
        create.into_result(),
        Err(ArmError::OperationFailed {
            state: OperationState::Canceled,
            ..
        })
    ));
    let aborted = azure
        .arm
        .wait_for_operation(&abort_url, WAIT)
        .await
        .expect("abort ends");
    assert_eq!(aborted.status, OperationState::Succeeded);

    let partial = azure
        .arm
        .get_cluster(&aks)
        .await
        .expect("get")
        .expect("the partial cluster remains");
    assert_eq!(
        partial.provisioning_state(),
        Some(&ProvisioningState::Canceled)
    );
    let state = azure.state().await;
    assert_eq!(state.counters.abort_requests, 1);
    assert_eq!(state.counters.aborts_accepted, 1);

    let nothing_to_abort = azure
        .arm
        .abort_cluster_operation(&aks)
        .await
        .expect_err("nothing running");
    assert_eq!(nothing_to_abort.status(), Some(409));
    assert_eq!(azure.state().await.counters.abort_requests, 2);
}

#[tokio::test]
async fn delete_removes_the_cluster() {
    let azure = azure(0.5).await;
    let aks = cluster("aks-delete");
    let started = azure
        .arm
        .create_or_update_cluster(
            &aks,
            &body("westeurope", "Standard_D2s_v3", 1, "Standard_D2s_v3", 1),
        )
        .await
        .expect("create");
    azure
        .arm
        .wait_for_operation(started.status_url().expect("url"), WAIT)
        .await
        .expect("created");

    let deletion = azure
        .arm
        .delete_cluster(&aks)
        .await
        .expect("delete")
        .expect("accepted, not already gone");
    assert_eq!(deletion.http_status, 202);
    let location = deletion.location.clone().expect("Location header");
    assert!(deletion.azure_async_operation.is_some());
    let deleting = azure
        .arm
        .get_cluster(&aks)
        .await
        .expect("get")
        .expect("still there while deleting");
    assert_eq!(
        deleting.provisioning_state(),
        Some(&ProvisioningState::Deleting)
    );
    // The Location flavour: 202 while running, then 204.
    assert_eq!(
        azure
            .arm
            .operation_status(&location)
            .await
            .expect("poll")
            .status
            .status,
        OperationState::InProgress
    );
    let done = azure
        .arm
        .wait_for_operation(&location, WAIT)
        .await
        .expect("deleted");
    assert_eq!(done.status, OperationState::Succeeded);

    assert!(azure.arm.get_cluster(&aks).await.expect("get").is_none());
    assert!(
        azure
            .arm
            .list_clusters(SUB, RG)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        azure
            .arm
            .delete_cluster(&aks)
            .await
            .expect("delete again")
            .is_none(),
        "204: nothing to delete"
    );
}

#[tokio::test]
async fn a_call_without_a_token_is_refused() {
    let azure = azure(1.5).await;
    let url = format!(
        "{}/subscriptions/{SUB}/resourcegroups/{RG}?api-version=2021-04-01",
        azure.sim.base_url()
    );
    let anonymous = azure.http.get(&url).send().await.expect("request");
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let body: Value = anonymous.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "AuthenticationFailed");

    let basic = azure
        .http
        .get(&url)
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("request");
    assert_eq!(basic.status(), 401);

    let no_api_version = azure
        .http
        .get(format!(
            "{}/subscriptions/{SUB}/resourcegroups/{RG}",
            azure.sim.base_url()
        ))
        .bearer_auth("t")
        .send()
        .await
        .expect("request");
    assert_eq!(no_api_version.status(), 400);
    let body: Value = no_api_version.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "MissingApiVersionParameter");

    assert_eq!(azure.state().await.counters.unauthorized_requests, 2);
}

#[tokio::test]
async fn skus_and_usages_reflect_the_world_and_grow_with_clusters() {
    let azure = azure(0.5).await;
    let skus = azure
        .arm
        .list_vm_skus(SUB, "koreacentral")
        .await
        .expect("skus");
    let names: Vec<&str> = skus.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Standard_D2s_v3",
            "Standard_D4s_v3",
            "Standard_D8s_v3",
            "Standard_E16s_v5",
            "Standard_NC24ads_A100_v4"
        ]
    );
    let gpu = skus
        .iter()
        .find(|s| s.name == "Standard_NC24ads_A100_v4")
        .expect("gpu size");
    assert_eq!(
        gpu.location_restriction("koreacentral"),
        Some("NotAvailableForSubscription")
    );
    assert_eq!(gpu.vcpus(), Some(24));
    assert_eq!(gpu.family.as_deref(), Some("standardNCADSA100v4Family"));
    assert!(
        skus.iter()
            .filter(|s| s.name != gpu.name)
            .all(|s| s.restrictions.is_empty())
    );
    let westeurope = azure
        .arm
        .list_vm_skus(SUB, "westeurope")
        .await
        .expect("skus");
    assert!(
        westeurope
            .iter()
            .all(|s| s.restrictions.is_empty() && s.locations == ["westeurope"])
    );

    let eastus = azure
        .arm
        .list_compute_usages(SUB, "eastus")
        .await
        .expect("usages");
    assert_eq!(usage(&eastus, "cores"), (4, 10));
    assert_eq!(usage(&eastus, "standardDSv3Family"), (4, 10));
    assert_eq!(usage(&eastus, "standardESv5Family"), (0, 0));
    let korea = azure
        .arm
        .list_compute_usages(SUB, "koreacentral")
        .await
        .expect("usages");
    assert_eq!(usage(&korea, "cores"), (0, 100));
    assert_eq!(usage(&korea, "standardNCADSA100v4Family"), (0, 0));

    // 1 × D2s_v3 + 2 × D8s_v3 = 18 vCPUs, counted from the moment the cluster exists.
    let aks = cluster("aks-usage");
    let started = azure
        .arm
        .create_or_update_cluster(
            &aks,
            &body("westeurope", "Standard_D8s_v3", 2, "Standard_D2s_v3", 1),
        )
        .await
        .expect("create");
    let grown = azure
        .arm
        .list_compute_usages(SUB, "westeurope")
        .await
        .expect("usages");
    assert_eq!(usage(&grown, "cores"), (18, 200));
    assert_eq!(usage(&grown, "standardDSv3Family"), (18, 100));
    azure
        .arm
        .wait_for_operation(started.status_url().expect("url"), WAIT)
        .await
        .expect("created");
    let deletion = azure
        .arm
        .delete_cluster(&aks)
        .await
        .expect("delete")
        .expect("accepted");
    azure
        .arm
        .wait_for_operation(deletion.status_url().expect("url"), WAIT)
        .await
        .expect("deleted");
    let after = azure
        .arm
        .list_compute_usages(SUB, "westeurope")
        .await
        .expect("usages");
    assert_eq!(usage(&after, "cores"), (0, 200));

    let versions = azure
        .arm
        .list_kubernetes_versions(SUB, "koreacentral")
        .await
        .expect("versions");
    assert_eq!(versions.iter().filter(|v| v.is_default).count(), 1);
}

#[tokio::test]
async fn resource_groups_are_created_on_demand() {
    let azure = azure(1.5).await;
    let existing = azure
        .arm
        .get_resource_group(SUB, RG)
        .await
        .expect("get")
        .expect("rg-aks-dev exists");
    assert_eq!(existing.location, "koreacentral");
    assert!(
        azure
            .arm
            .get_resource_group(SUB, "rg-new")
            .await
            .expect("get")
            .is_none()
    );
    let created = azure
        .arm
        .create_resource_group(SUB, "rg-new", "westeurope")
        .await
        .expect("create");
    assert_eq!(created.name.as_deref(), Some("rg-new"));
    assert_eq!(created.location, "westeurope");
    assert!(
        azure
            .arm
            .get_resource_group(SUB, "rg-new")
            .await
            .expect("get")
            .is_some()
    );

    let orphan = azure
        .arm
        .create_or_update_cluster(
            &ClusterRef::new(SUB, "rg-missing", "aks"),
            &body("westeurope", "Standard_D2s_v3", 1, "Standard_D2s_v3", 1),
        )
        .await
        .expect_err("no such group");
    assert_eq!(orphan.status(), Some(404));
    assert_eq!(orphan.code(), Some("ResourceGroupNotFound"));
}

#[tokio::test]
async fn faults_can_be_listed_and_cleared() {
    let azure = azure(1.5).await;
    let url = format!("{}/_armsim/faults", azure.sim.base_url());
    let invalid = azure
        .http
        .post(&url)
        .json(&json!({"operation": "create"}))
        .send()
        .await
        .expect("request");
    assert_eq!(invalid.status(), 400);
    azure
        .fault(json!({"operation": "get", "cluster_name": "x", "status": 500, "times": 3}))
        .await;
    assert_eq!(azure.state().await.faults.len(), 1);
    let cleared = azure.http.delete(&url).send().await.expect("request");
    assert_eq!(cleared.status(), 204);
    assert!(azure.state().await.faults.is_empty());
}

#[tokio::test]
async fn the_server_without_an_arm_endpoint_talks_to_an_embedded_simulator() {
    let app = TestApp::spawn().await;
    let armsim = app.server.state.armsim.clone().expect("embedded simulator");
    assert_eq!(app.server.state.arm.base_url(), armsim.base_url());
    let groups = app
        .server
        .state
        .arm
        .get_resource_group(SUB, RG)
        .await
        .expect("ARM answers");
    assert!(groups.is_some());
    app.server.stop().await.expect("stops");
    assert!(
        reqwest::get(format!("{}/_armsim/state", armsim.base_url()))
            .await
            .is_err(),
        "simulator stopped"
    );
}

/// The value at a dotted path (`properties.agentPoolProfiles.0.name`) of a JSON value.
fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(value, |v, key| match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[key],
        })
}

/// Issue 38: the simulator's cluster list answers as Azure's `ManagedClusters_ListByResourceGroup`
/// does — pages of the list result (`value`, `nextLink` on the caller's host, `$skipToken`), each
/// cluster the same JSON as its single GET, with the fields the specification's example shows —
/// and the product's client follows the pages to the whole list.
#[tokio::test]
async fn the_cluster_list_comes_in_pages_as_azures_does() {
    let sim = aks_dashboard::armsim::ArmSimulator::start(aks_dashboard::armsim::SimulatorConfig {
        create_duration: Duration::from_millis(300),
        list_page_size: 2,
        ..aks_dashboard::armsim::SimulatorConfig::default()
    })
    .await
    .expect("simulator starts");
    let azure = Azure::for_simulator(sim, Duration::from_secs(6));
    let names = ["aks-e", "aks-a", "aks-d", "aks-b", "aks-c"];
    for name in names {
        azure
            .arm
            .create_cluster(
                &cluster(name),
                &crate::helpers::small_cluster(name, "koreacentral"),
            )
            .await
            .expect("create accepted");
    }

    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/azure/clusters/list-by-resource-group-paged.json"),
        )
        .expect("the example"),
    )
    .expect("JSON");
    let first = format!(
        "{}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters?api-version=2025-10-01",
        azure.sim.base_url()
    );
    let mut next = Some(first);
    let mut pages: Vec<Vec<String>> = Vec::new();
    while let Some(url) = next.take() {
        let answer = azure
            .http
            .get(&url)
            .bearer_auth("t")
            .send()
            .await
            .expect("request");
        assert_eq!(answer.status(), 200, "{url}");
        let page: Value = answer.json().await.expect("JSON");
        let keys: Vec<&String> = page.as_object().expect("object").keys().collect();
        assert!(
            keys.iter().all(|k| *k == "value" || *k == "nextLink"),
            "the list result's fields only: {keys:?}"
        );
        let mut listed = Vec::new();
        for item in page["value"].as_array().expect("value") {
            for field in example["expect"]["item_fields"].as_array().expect("fields") {
                let field = field.as_str().expect("a path");
                assert!(!at(item, field).is_null(), "{field} missing in {item}");
            }
            let name = item["name"].as_str().expect("name");
            let single: Value = azure
                .http
                .get(format!(
                    "{}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/{name}?api-version=2025-10-01",
                    azure.sim.base_url()
                ))
                .bearer_auth("t")
                .send()
                .await
                .expect("request")
                .json()
                .await
                .expect("JSON");
            assert_eq!(
                at(item, "properties.provisioningState"),
                at(&single, "properties.provisioningState"),
                "the list says what the single GET says"
            );
            assert_eq!(
                item["properties"]["agentPoolProfiles"],
                single["properties"]["agentPoolProfiles"]
            );
            listed.push(name.to_owned());
        }
        if let Some(link) = page["nextLink"].as_str() {
            assert!(
                link.starts_with(azure.sim.base_url()) && link.contains("$skipToken="),
                "{link}"
            );
            next = Some(link.to_owned());
        }
        pages.push(listed);
        assert!(pages.len() <= 5, "the pages end");
    }
    assert_eq!(
        pages,
        [
            vec!["aks-a", "aks-b"],
            vec!["aks-c", "aks-d"],
            vec!["aks-e"]
        ],
        "two a page, in order of name, each once"
    );

    // The product's client follows every page; it reads the example's shape too.
    let listed = azure.arm.list_clusters(SUB, RG).await.expect("list");
    let mut got: Vec<String> = listed.iter().filter_map(|c| c.name.clone()).collect();
    got.sort();
    assert_eq!(got, ["aks-a", "aks-b", "aks-c", "aks-d", "aks-e"]);
    let read: aks_dashboard::azure::ArmList<ManagedCluster> =
        serde_json::from_value(example["body"].clone()).expect("the example reads");
    assert_eq!(read.value[0].name.as_deref(), Some("aks-page-a"));
    assert!(read.next_link.is_some_and(|l| l.contains("$skipToken=")));
}
