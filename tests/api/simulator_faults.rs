//! What the simulator offers the other tests, over real HTTP: `tags` and `If-None-Match` as ARM
//! handles them, scripted faults of every kind (timed, raw bodies, delays, dropped connections,
//! calls Azure performed but whose answer was lost), and its `Retry-After`.

use std::time::{Duration, Instant};

use aks_dashboard::armsim::{ArmSimulator, SimulatorConfig, SimulatorHandle};
use aks_dashboard::azure::{AgentPoolMode, AgentPoolProfile, ClusterRef, ManagedCluster};
use aks_dashboard::config::{DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID};
use serde_json::{Value, json};

use crate::helpers::{SimulatedAzure as Azure, small_cluster};

const SUB: &str = DEFAULT_SUBSCRIPTION_ID;
const RG: &str = DEFAULT_RESOURCE_GROUP;
const WAIT: Duration = Duration::from_secs(20);
const CLUSTERS: &str = "providers/Microsoft.ContainerService/managedClusters";

async fn azure(create_seconds: f64) -> Azure {
    Azure::start(create_seconds).await
}

fn client_for(sim: SimulatorHandle) -> Azure {
    Azure::for_simulator(sim, Duration::from_secs(6))
}

fn cluster(name: &str) -> ClusterRef {
    ClusterRef::new(SUB, RG, name)
}

/// A system pool and a node pool of one size.
fn body(location: &str, size: &str) -> ManagedCluster {
    ManagedCluster::for_create(
        "ignored",
        location,
        None,
        vec![
            AgentPoolProfile::new("system", size, 1, AgentPoolMode::System),
            AgentPoolProfile::new("nodepool1", size, 1, AgentPoolMode::User),
        ],
    )
}

/// Raw ARM calls, as any client would send them.
trait RawArm {
    fn cluster_url(&self, name: &str) -> String;
    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder;
    async fn put_raw(
        &self,
        name: &str,
        body: &Value,
        if_none_match: Option<&str>,
    ) -> reqwest::Response;
}

impl RawArm for Azure {
    fn cluster_url(&self, name: &str) -> String {
        format!(
            "{}/subscriptions/{SUB}/resourceGroups/{RG}/{CLUSTERS}/{name}?api-version=2024-09-01",
            self.sim.base_url()
        )
    }

    /// A raw ARM call with the simulator's token, as any client would send it.
    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http.request(method, url).bearer_auth("any-token")
    }

    async fn put_raw(
        &self,
        name: &str,
        body: &Value,
        if_none_match: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .request(reqwest::Method::PUT, &self.cluster_url(name))
            .json(body);
        if let Some(value) = if_none_match {
            request = request.header("If-None-Match", value);
        }
        request.send().await.expect("PUT answered")
    }
}

/// A create body as the dashboard sends it, with `tags`.
fn tagged_body(name: &str, tags: Value) -> Value {
    let mut body = serde_json::to_value(small_cluster(name, "koreacentral")).expect("body");
    body["tags"] = tags;
    body
}

#[tokio::test]
async fn tags_written_by_a_put_come_back_on_get_and_list() {
    let azure = azure(1.5).await;
    let tags = json!({"aks-dashboard-job": "job-42", "team": "platform"});
    let put = azure
        .put_raw("aks-tags", &tagged_body("aks-tags", tags.clone()), None)
        .await;
    assert_eq!(put.status(), 201);

    let got = azure
        .arm
        .get_cluster(&cluster("aks-tags"))
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(serde_json::to_value(&got.tags).expect("tags"), tags);
    let listed = azure.arm.list_clusters(SUB, RG).await.expect("list");
    assert_eq!(serde_json::to_value(&listed[0].tags).expect("tags"), tags);
    assert_eq!(
        azure.state().await.clusters[0]
            .tags
            .get("aks-dashboard-job")
            .map(String::as_str),
        Some("job-42")
    );
}

#[tokio::test]
async fn if_none_match_star_refuses_to_touch_an_existing_cluster() {
    let azure = azure(30.0).await;
    let body = tagged_body("aks-taken", json!({"owner": "someone-else"}));
    assert_eq!(
        azure.put_raw("aks-taken", &body, Some("*")).await.status(),
        201
    );

    // While it is still Creating: a create-only PUT is refused, and nothing changes.
    let mine = tagged_body("aks-taken", json!({"aks-dashboard-job": "mine"}));
    let refused = azure.put_raw("aks-taken", &mine, Some("*")).await;
    assert_eq!(refused.status(), 412);
    let error: Value = refused.json().await.expect("error body");
    assert_eq!(error["code"], "PreconditionFailed");
    let state = azure.state().await;
    assert_eq!(
        state.clusters[0].tags.get("owner").map(String::as_str),
        Some("someone-else")
    );
    assert_eq!(state.counters.create_puts_accepted, 1);

    // Without the header the same PUT is what ARM always does: an update.
    azure.fault(json!({"operation": "create", "status": 409, "code": "OperationNotAllowed", "times": 1})).await;
    assert_eq!(
        azure.put_raw("aks-taken", &mine, None).await.status(),
        409,
        "scripted"
    );
}

#[tokio::test]
async fn a_fault_for_seconds_answers_every_matching_call_until_it_expires() {
    let azure = azure(1.5).await;
    azure
        .fault(json!({"operation": "skus", "status": 503, "for_seconds": 5.0}))
        .await;
    let skus = format!(
        "{}/subscriptions/{SUB}/providers/Microsoft.Compute/skus?api-version=2021-07-01",
        azure.sim.base_url()
    );
    for _ in 0..3 {
        let answer = azure
            .request(reqwest::Method::GET, &skus)
            .send()
            .await
            .expect("answer");
        assert_eq!(answer.status(), 503, "every call while the fault lasts");
    }
    let listed = azure.state().await.faults;
    assert_eq!(listed.len(), 1, "a timed fault is not used up by calls");
    assert_eq!(listed[0].remaining, None);
    // Once it expires, calls go through again.
    let deadline = Instant::now() + WAIT;
    while !azure.state().await.faults.is_empty() {
        assert!(Instant::now() < deadline, "fault did not expire");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = azure
        .request(reqwest::Method::GET, &skus)
        .send()
        .await
        .expect("answer");
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn raw_bodies_are_sent_byte_for_byte_with_any_status() {
    let azure = azure(30.0).await;
    let started = azure
        .arm
        .create_or_update_cluster(
            &cluster("aks-raw"),
            &body("koreacentral", "Standard_D2s_v3"),
        )
        .await
        .expect("accepted");
    let status_url = started.status_url().expect("status URL").to_string();

    azure
        .fault(
            json!({"operation": "operation_status", "raw_body": "{\"status\": \"InPr", "times": 1}),
        )
        .await;
    let garbled = azure
        .request(reqwest::Method::GET, &status_url)
        .send()
        .await
        .expect("answer");
    assert_eq!(garbled.status(), 200);
    assert_eq!(
        garbled
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(garbled.text().await.expect("body"), "{\"status\": \"InPr");

    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    azure
        .fault(json!({
            "operation": "get", "cluster_name": "aks-raw", "status": 502,
            "raw_body": html, "content_type": "text/html", "retry_after_seconds": 3
        }))
        .await;
    let gateway = azure
        .request(reqwest::Method::GET, &azure.cluster_url("aks-raw"))
        .send()
        .await
        .expect("answer");
    assert_eq!(gateway.status(), 502);
    assert_eq!(
        gateway
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    assert_eq!(gateway.text().await.expect("body"), html);
}

#[tokio::test]
async fn unwrapped_error_shapes_can_be_scripted() {
    let azure = azure(1.5).await;
    azure
        .fault(json!({
            "operation": "create", "status": 400, "error_shape": "unwrapped",
            "code": "InvalidParameter", "message": "The value of parameter dnsPrefix is invalid."
        }))
        .await;
    let refused = azure
        .put_raw("aks-shape", &tagged_body("aks-shape", json!({})), None)
        .await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(body["code"], "InvalidParameter");
    assert!(body["details"].is_null());
    assert!(body.get("error").is_none());
}

#[tokio::test]
async fn a_delayed_answer_makes_an_impatient_client_time_out_then_arrives_for_a_patient_one() {
    let azure = azure(1.5).await;
    azure
        .fault(json!({"operation": "resource_group", "delay_seconds": 2.0, "times": 2}))
        .await;
    let url = format!(
        "{}/subscriptions/{SUB}/resourcegroups/{RG}?api-version=2021-04-01",
        azure.sim.base_url()
    );
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let timed_out = impatient
        .get(&url)
        .bearer_auth("t")
        .send()
        .await
        .expect_err("no answer in time");
    assert!(timed_out.is_timeout(), "{timed_out}");
    // A delay alone passes the call through: the real answer comes, late.
    let patient = azure
        .request(reqwest::Method::GET, &url)
        .send()
        .await
        .expect("answer");
    assert_eq!(patient.status(), 200);
    let group: Value = patient.json().await.expect("JSON");
    assert_eq!(group["name"], RG);
}

#[tokio::test]
async fn a_dropped_connection_is_a_network_error_and_the_next_call_is_answered() {
    let azure = azure(1.5).await;
    azure
        .fault(json!({"operation": "get", "cluster_name": "aks-gone", "drop_connection": true}))
        .await;
    let url = azure.cluster_url("aks-gone");
    let dropped = azure
        .request(reqwest::Method::GET, &url)
        .send()
        .await
        .expect_err("no answer");
    assert!(
        !dropped.is_timeout() && dropped.status().is_none(),
        "{dropped}"
    );
    let answered = azure
        .request(reqwest::Method::GET, &url)
        .send()
        .await
        .expect("answer");
    assert_eq!(answered.status(), 404);
    // Through the product's client, the same reset is a retryable network error.
    azure
        .fault(json!({"operation": "get", "cluster_name": "aks-gone", "drop_connection": true}))
        .await;
    assert_eq!(
        azure
            .arm
            .get_cluster(&cluster("aks-gone"))
            .await
            .expect("retried"),
        None
    );
}

#[tokio::test]
async fn a_put_that_azure_performed_can_lose_its_answer() {
    let azure = azure(30.0).await;
    azure
        .fault(json!({"operation": "create", "pass_through": true, "drop_connection": true}))
        .await;
    let lost = azure
        .request(reqwest::Method::PUT, &azure.cluster_url("aks-lost"))
        .json(&tagged_body("aks-lost", json!({})))
        .send()
        .await;
    assert!(lost.is_err(), "the client saw no answer");
    let state = azure.state().await;
    assert_eq!(state.clusters.len(), 1, "but Azure created the cluster");
    assert_eq!(state.counters.create_puts_accepted, 1);

    // And a PUT Azure performed can be answered with an error instead.
    azure
        .fault(json!({"operation": "create", "cluster_name": "aks-500", "pass_through": true, "status": 500}))
        .await;
    let answered = azure
        .put_raw("aks-500", &tagged_body("aks-500", json!({})), None)
        .await;
    assert_eq!(answered.status(), 500);
    assert_eq!(azure.state().await.clusters.len(), 2);
}

#[tokio::test]
async fn operation_status_faults_match_the_cluster_of_the_operation() {
    let azure = azure(30.0).await;
    let mut urls = Vec::new();
    for name in ["aks-a", "aks-b"] {
        let started = azure
            .arm
            .create_or_update_cluster(&cluster(name), &body("westeurope", "Standard_D2s_v3"))
            .await
            .expect("accepted");
        urls.push(started.status_url().expect("status URL").to_string());
    }
    azure
        .fault(json!({"operation": "operation_status", "cluster_name": "AKS-A", "status": 500, "for_seconds": 60}))
        .await;
    let a = azure
        .request(reqwest::Method::GET, &urls[0])
        .send()
        .await
        .expect("answer");
    let b = azure
        .request(reqwest::Method::GET, &urls[1])
        .send()
        .await
        .expect("answer");
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (500, 200));
}

#[tokio::test]
async fn accepted_operations_carry_the_configured_retry_after() {
    for (configured, expected) in [
        (Duration::from_secs(30), Some("30")),
        (Duration::ZERO, None),
    ] {
        let sim = ArmSimulator::start(SimulatorConfig {
            retry_after: configured,
            ..SimulatorConfig::default()
        })
        .await
        .expect("simulator");
        let azure = client_for(sim);
        let put = azure
            .put_raw("aks-ra", &tagged_body("aks-ra", json!({})), None)
            .await;
        assert_eq!(put.status(), 201);
        let header = |r: &reqwest::Response, name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(header(&put, "retry-after").as_deref(), expected);
        let status_url = header(&put, "azure-asyncoperation").expect("Azure-AsyncOperation");
        assert!(
            status_url.contains("api-version=2016-03-30"),
            "{status_url}"
        );
        let status = azure
            .request(reqwest::Method::GET, &status_url)
            .send()
            .await
            .expect("status");
        assert_eq!(header(&status, "retry-after").as_deref(), expected);
        let delete = azure
            .request(reqwest::Method::DELETE, &azure.cluster_url("aks-ra"))
            .send()
            .await
            .expect("delete");
        assert_eq!(delete.status(), 202);
        assert_eq!(header(&delete, "retry-after").as_deref(), expected);
    }
}
