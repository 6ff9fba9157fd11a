//! Azure's real answers (`tests/fixtures/azure`, each with its source) against the product: the
//! error parser, the classifier and the model readers give what each sample expects, and the
//! same bytes replayed by the ARM simulator reach the product's client over HTTP unchanged.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aks_dashboard::armsim::SimulatorHandle;
use aks_dashboard::azure::{
    AgentPoolMode, ArmClient, ArmClientConfig, ArmCredential, ArmError, ArmList, ClusterRef,
    ManagedCluster, OperationState, ResourceSku, RetryPolicy,
};
use aks_dashboard::config::{DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID};
use aks_dashboard::domain::ProvisionRequest;
use aks_dashboard::domain::classify::{
    ArmErrorInfo, Classification, ClassifyContext, classify_arm_error, recorded_arm_error,
};
use serde_json::{Value, json};

use crate::helpers::{SimulatorClient, small_cluster, start_simulator};

const SUB: &str = DEFAULT_SUBSCRIPTION_ID;
const RG: &str = DEFAULT_RESOURCE_GROUP;

/// One sample file.
struct Sample {
    name: String,
    json: Value,
}

impl Sample {
    /// The body exactly as Azure sent it.
    fn raw(&self) -> String {
        match self.json.get("body_text").and_then(Value::as_str) {
            Some(text) => text.to_owned(),
            None => self.json["body"].to_string(),
        }
    }

    fn expect(&self, key: &str) -> Option<&str> {
        self.json["expect"][key].as_str()
    }

    /// The classifier's context: the sample's region and the pools of the request.
    fn context(&self) -> ClassifyContext {
        let ctx = &self.json["context"];
        let field = |key: &str, default: &str| ctx[key].as_str().unwrap_or(default).to_owned();
        ClassifyContext::for_request(&ProvisionRequest {
            subscription_id: SUB.into(),
            resource_group: RG.into(),
            region: field("region", "eastus"),
            cluster_name: "aks-demo".into(),
            node_sku: field("node_sku", "Standard_D4s_v3"),
            node_count: 3,
            system_vm_size: field("system_vm_size", "Standard_D2s_v3"),
            system_node_count: 1,
            kubernetes_version: String::new(),
        })
    }

    /// The expected category, headline and command of a classification.
    fn check(&self, classified: &Classification) {
        let problems = self.problems(classified);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// What differs from the expected category, headline, command and facts.
    fn problems(&self, classified: &Classification) -> Vec<String> {
        let name = &self.name;
        let mut problems = Vec::new();
        if let Some(category) = self.expect("category")
            && classified.category.as_str() != category
        {
            problems.push(format!(
                "{name}: category {category} expected: {classified:?}"
            ));
        }
        if let Some(headline) = self.expect("headline")
            && classified.headline != headline
        {
            problems.push(format!(
                "{name}: headline {headline:?} expected, got {:?}",
                classified.headline
            ));
        }
        if let Some(command) = self.expect("command")
            && classified.command.as_deref() != Some(command)
        {
            problems.push(format!(
                "{name}: command {command:?} expected, got {:?}",
                classified.command
            ));
        }
        if classified.headline.is_empty() {
            problems.push(format!("{name}: no headline"));
        }
        // The facts of the error a person needs are on the card: in the headline or the
        // sentence under it.
        let shown = format!("{} {}", classified.headline, classified.details).to_lowercase();
        for fact in self.json["expect"]["facts"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let fact = fact.as_str().unwrap_or_default();
            if !shown.contains(&fact.to_lowercase()) {
                problems.push(format!(
                    "{name}: {fact:?} is not in {:?} / {:?}",
                    classified.headline, classified.details
                ));
            }
        }
        // The cluster's own credential is never taken for the dashboard's sign-in.
        if classified.category.as_str() == "cluster_identity" {
            let all = format!("{classified:?}").to_lowercase();
            for wrong in [
                "dashboard could not sign in",
                "azure_client_secret",
                "az login",
            ] {
                if all.contains(wrong) {
                    problems.push(format!(
                        "{name}: points at the dashboard's sign-in ({wrong})"
                    ));
                }
            }
        }
        problems
    }
}

fn samples(folder: &str) -> Vec<Sample> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/azure")
        .join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let samples: Vec<Sample> = paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("sample readable");
            let json: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let source = json["source"].as_str().unwrap_or_default();
            assert!(
                !source.is_empty(),
                "{} says where it comes from",
                path.display()
            );
            Sample {
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                json,
            }
        })
        .collect();
    assert!(!samples.is_empty(), "samples in {folder}");
    samples
}

/// The error as the product records it from the client's `ArmError`, then classifies it.
fn classify(err: &ArmError, ctx: &ClassifyContext) -> Classification {
    let info = ArmErrorInfo {
        status: err.status(),
        ..recorded_arm_error(err.code(), Some(&err.message()), err.raw_body())
    };
    classify_arm_error(&info, ctx)
}

/// A simulator and a client that does not retry, so every scripted answer is seen once.
async fn replay() -> (SimulatorHandle, ArmClient, SimulatorClient) {
    let sim = start_simulator(Duration::from_secs(60)).await;
    let mut config = ArmClientConfig::new(sim.base_url());
    config.request_timeout = Duration::from_secs(5);
    config.retry = RetryPolicy {
        max_elapsed: Duration::ZERO,
        ..RetryPolicy::default()
    };
    let arm = ArmClient::new(config, ArmCredential::simulator()).expect("client");
    let controls = SimulatorClient::new(sim.base_url());
    (sim, arm, controls)
}

fn create_body() -> ManagedCluster {
    small_cluster("aks-demo", "koreacentral")
}

#[tokio::test]
async fn every_error_sample_is_parsed_and_classified_as_expected_directly_and_over_http() {
    let (_sim, arm, controls) = replay().await;
    for sample in samples("errors") {
        let name = &sample.name;
        let status = sample.json["status"].as_u64().expect("status") as u16;
        let raw = sample.raw();
        let ctx = sample.context();

        let parsed = ArmError::from_response(status, raw.clone(), None);
        assert_eq!(parsed.code(), sample.expect("code"), "{name}");
        sample.check(&classify(&parsed, &ctx));

        let content_type = sample.json["content_type"]
            .as_str()
            .unwrap_or("application/json");
        controls
            .add_fault(json!({
                "operation": "create", "status": status, "raw_body": raw,
                "content_type": content_type
            }))
            .await;
        let over_http = arm
            .create_or_update_cluster(&ClusterRef::new(SUB, RG, "aks-demo"), &create_body())
            .await
            .expect_err("the scripted refusal");
        assert_eq!(over_http.status(), Some(status), "{name}");
        assert_eq!(
            over_http.raw_body(),
            Some(raw.as_str()),
            "{name}: bytes unchanged"
        );
        assert_eq!(over_http.code(), sample.expect("code"), "{name}");
        sample.check(&classify(&over_http, &ctx));
    }
}

#[tokio::test]
async fn every_operation_sample_reads_as_its_state_and_failures_classify() {
    let (_sim, arm, controls) = replay().await;
    let started = arm
        .create_or_update_cluster(&ClusterRef::new(SUB, RG, "aks-ops"), &create_body())
        .await
        .expect("a real operation to poll");
    let status_url = started.status_url().expect("status URL").to_string();
    for sample in samples("operations") {
        let name = &sample.name;
        controls
            .add_fault(json!({"operation": "operation_status", "raw_body": sample.raw()}))
            .await;
        let poll = arm.operation_status(&status_url).await.expect("a status");
        let state = OperationState::from(sample.expect("status").unwrap_or_default().to_owned());
        assert_eq!(poll.status.status, state, "{name}");
        match poll.status.into_result() {
            Ok(_) => assert!(sample.expect("category").is_none(), "{name} should fail"),
            Err(err) => {
                assert_eq!(err.code(), sample.expect("code"), "{name}");
                sample.check(&classify(&err, &sample.context()));
            }
        }
    }
}

/// A catalogue sample as the product meets it over HTTP: a refused create (`sync`), or the
/// failed status of an accepted one (`async`).
async fn catalogue_error(
    sample: &Sample,
    arm: &ArmClient,
    controls: &SimulatorClient,
    status_url: &str,
) -> ArmError {
    let raw = sample.raw();
    match sample.json["shape"].as_str() {
        Some("async") => {
            controls
                .add_fault(json!({"operation": "operation_status", "raw_body": raw}))
                .await;
            let poll = arm.operation_status(status_url).await.expect("a status");
            assert_eq!(
                poll.status.status,
                OperationState::Failed,
                "{}",
                sample.name
            );
            poll.status.into_result().expect_err("a failed operation")
        }
        _ => {
            let status = sample.json["status"].as_u64().expect("status") as u16;
            // A 401 is sent once more with a fresh token: it answers both.
            let times = if status == 401 { 2 } else { 1 };
            controls
                .add_fault(
                    json!({"operation": "create", "status": status, "raw_body": raw,
                                  "times": times}),
                )
                .await;
            let err = arm
                .create_or_update_cluster(&ClusterRef::new(SUB, RG, "aks-demo"), &create_body())
                .await
                .expect_err("the scripted refusal");
            assert_eq!(err.status(), Some(status), "{}", sample.name);
            assert_eq!(
                err.raw_body(),
                Some(raw.as_str()),
                "{}: bytes unchanged",
                sample.name
            );
            err
        }
    }
}

/// One cell of a markdown table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

const TABLE_START: &str = "<!-- catalogue table: generated by tests/api/azure_corpus.rs -->";
const TABLE_END: &str = "<!-- end of catalogue table -->";

#[tokio::test]
async fn every_catalogue_code_is_explained_with_its_facts_and_the_docs_table_is_current() {
    let (_sim, arm, controls) = replay().await;
    let started = arm
        .create_or_update_cluster(&ClusterRef::new(SUB, RG, "aks-catalogue"), &create_body())
        .await
        .expect("a real operation to poll");
    let status_url = started.status_url().expect("status URL").to_string();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for sample in samples("catalogue") {
        let err = catalogue_error(&sample, &arm, &controls, &status_url).await;
        assert_eq!(err.code(), sample.expect("code"), "{}", sample.name);
        let classified = classify(&err, &sample.context());
        problems.extend(sample.problems(&classified));
        if classified.actions.is_empty() && classified.command.is_none() {
            problems.push(format!("{}: no page or command that fixes it", sample.name));
        }
        let source = sample.json["source"].as_str().unwrap_or_default();
        let link = source.split_whitespace().next().unwrap_or(source);
        rows.push((
            classified.category.as_str().to_owned(),
            sample.expect("code").unwrap_or_default().to_owned(),
            format!(
                "| `{}` | {} | {} | {} | [{}]({link}) |",
                cell(sample.expect("code").unwrap_or_default()),
                classified.category.as_str(),
                cell(&classified.headline),
                cell(&classified.details),
                sample.name.trim_end_matches(".json"),
            ),
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    rows.sort();
    let mut table = vec![
        TABLE_START.to_owned(),
        String::new(),
        "| code | category | headline | fix | sample and source |".to_owned(),
        "| --- | --- | --- | --- | --- |".to_owned(),
    ];
    table.extend(rows.into_iter().map(|(_, _, row)| row));
    table.push(String::new());
    table.push(TABLE_END.to_owned());
    let table = table.join("\n");

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/error-classifier.md");
    let doc = std::fs::read_to_string(&path).expect("docs/error-classifier.md");
    let (before, rest) = doc
        .split_once(TABLE_START)
        .expect("the table's start marker");
    let (_, after) = rest.split_once(TABLE_END).expect("the table's end marker");
    let current = format!("{before}{table}{after}");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &current).expect("docs written");
        return;
    }
    assert!(
        doc == current,
        "docs/error-classifier.md's catalogue table is not what the classifier does: run \
         `UPDATE_DOCS=1 cargo test --features ssr --test api catalogue` and commit the result"
    );
}

fn pools_of(cluster: &ManagedCluster) -> Vec<Value> {
    cluster
        .properties
        .agent_pool_profiles
        .iter()
        .map(|p| json!([p.name, p.vm_size, p.count, p.mode.as_str()]))
        .collect()
}

#[tokio::test]
async fn clusters_with_fields_we_do_not_model_read_whole() {
    let (_sim, arm, controls) = replay().await;
    let samples = samples("clusters");
    let single = samples
        .iter()
        .find(|s| s.name == "managed-cluster-unmodeled-fields.json")
        .expect("sample");
    let cluster: ManagedCluster =
        serde_json::from_value(single.json["body"].clone()).expect("reads despite unknown fields");
    assert_eq!(cluster.name.as_deref(), single.expect("name"));
    assert_eq!(
        cluster.provisioning_state().map(|s| s.as_str()),
        single.expect("provisioning_state")
    );
    assert!(cluster.tags.is_empty(), "tags: null reads as none");
    assert_eq!(json!(pools_of(&cluster)), single.json["expect"]["pools"]);
    assert_eq!(
        cluster.properties.agent_pool_profiles[1].mode,
        AgentPoolMode::Other("Gateway".into())
    );

    controls
        .add_fault(json!({"operation": "get", "status": 200, "raw_body": single.raw()}))
        .await;
    let over_http = arm
        .get_cluster(&ClusterRef::new(SUB, RG, "aks-demo"))
        .await
        .expect("read over HTTP")
        .expect("exists");
    assert_eq!(over_http, cluster);

    let list = samples
        .iter()
        .find(|s| s.name == "list-with-null-next-link.json")
        .expect("sample");
    controls
        .add_fault(json!({"operation": "list", "status": 200, "raw_body": list.raw()}))
        .await;
    let listed = arm.list_clusters(SUB, RG).await.expect("list over HTTP");
    let names: Vec<Value> = listed.iter().map(|c| json!(c.name)).collect();
    assert_eq!(json!(names), list.json["expect"]["names"]);
    assert!(
        listed[0].properties.agent_pool_profiles.is_empty(),
        "null pools read as none"
    );
}

#[tokio::test]
async fn skus_with_zone_and_location_restrictions_read_whole() {
    let (_sim, arm, controls) = replay().await;
    for sample in samples("skus") {
        let parsed: ArmList<ResourceSku> =
            serde_json::from_value(sample.json["body"].clone()).expect("reads");
        controls
            .add_fault(json!({"operation": "skus", "status": 200, "raw_body": sample.raw()}))
            .await;
        let over_http = arm
            .list_vm_skus(SUB, "eastus")
            .await
            .expect("skus over HTTP");
        let machines: Vec<ResourceSku> = parsed
            .value
            .iter()
            .filter(|s| s.resource_type == "virtualMachines")
            .cloned()
            .collect();
        assert_eq!(over_http, machines, "{}: VM sizes only", sample.name);
        let blocked: Vec<Value> = parsed
            .value
            .iter()
            .filter(|s| s.location_restriction("eastus").is_some())
            .map(|s| json!(s.name))
            .collect();
        assert_eq!(json!(blocked), sample.json["expect"]["location_restricted"]);
        let zonal: Vec<Value> = parsed
            .value
            .iter()
            .flat_map(|s| {
                s.restrictions
                    .iter()
                    .filter(|r| r.restriction_type == "Zone")
                    .flat_map(|r| r.restriction_info.zones.iter().map(|z| json!([s.name, z])))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(json!(zonal), sample.json["expect"]["zone_restricted"]);
    }
}
