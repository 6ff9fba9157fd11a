//! The ARM simulator as tests use it: a standalone one with short operation times, and a client
//! for its test-only routes (`POST /_armsim/faults`, `GET /_armsim/state`), whichever simulator
//! it is — standalone or embedded in a dashboard server.

use std::time::Duration;

use aks_dashboard::armsim::{ArmSimulator, SimulatorConfig, SimulatorHandle, SimulatorState};
use aks_dashboard::azure::{
    AgentPoolMode, AgentPoolProfile, ArmClient, ArmClientConfig, ArmCredential, ManagedCluster,
    RetryPolicy,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A standalone simulator on a random port whose creates take `create`, and whose deletes and
/// aborts take half a second.
pub async fn start_simulator(create: Duration) -> SimulatorHandle {
    ArmSimulator::start(SimulatorConfig {
        create_duration: create,
        delete_duration: Duration::from_millis(500),
        abort_duration: Duration::from_millis(500),
        ..SimulatorConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// A standalone simulator with the product's ARM client pointed at it (short time-outs, a small
/// retry budget), plain HTTP and its test controls: what the ARM client tests use.
pub struct SimulatedAzure {
    pub sim: SimulatorHandle,
    pub arm: ArmClient,
    pub http: reqwest::Client,
    /// The simulator's test routes (faults, state).
    pub controls: SimulatorClient,
}

impl SimulatedAzure {
    /// Creates take `create_seconds`; the client retries for up to 6 s.
    pub async fn start(create_seconds: f64) -> Self {
        Self::with_retry_budget(create_seconds, Duration::from_secs(6)).await
    }

    pub async fn with_retry_budget(create_seconds: f64, retry_budget: Duration) -> Self {
        let sim = start_simulator(Duration::from_secs_f64(create_seconds)).await;
        Self::for_simulator(sim, retry_budget)
    }

    /// The client and controls for a simulator started otherwise.
    pub fn for_simulator(sim: SimulatorHandle, retry_budget: Duration) -> Self {
        let mut config = ArmClientConfig::new(sim.base_url());
        config.request_timeout = Duration::from_secs(5);
        config.retry = RetryPolicy {
            max_elapsed: retry_budget,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
        };
        config.default_poll_interval = Duration::from_millis(200);
        config.max_poll_interval = Duration::from_secs(1);
        let arm = ArmClient::new(config, ArmCredential::simulator()).expect("client");
        Self {
            controls: SimulatorClient::new(sim.base_url()),
            sim,
            arm,
            http: reqwest::Client::new(),
        }
    }

    pub async fn fault(&self, fault: Value) {
        self.controls.add_fault(fault).await;
    }

    pub async fn state(&self) -> SimulatorState {
        self.controls.state().await
    }
}

/// The body of the smallest create the simulator accepts: one `Standard_D2s_v3` system node.
pub fn small_cluster(name: &str, location: &str) -> ManagedCluster {
    ManagedCluster::for_create(
        name,
        location,
        None,
        vec![AgentPoolProfile::new(
            "system",
            "Standard_D2s_v3",
            1,
            AgentPoolMode::System,
        )],
    )
}

/// Speaks to a simulator's `/_armsim` routes.
#[derive(Clone)]
pub struct SimulatorClient {
    pub base_url: String,
    http: reqwest::Client,
}

impl SimulatorClient {
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Scripts a fault (`{operation, cluster_name, status | fail_after_seconds, …, times}`, see
    /// docs/arm-simulator.md) and checks the simulator took it.
    pub async fn add_fault(&self, fault: Value) {
        let response = self
            .http
            .post(format!("{}/_armsim/faults", self.base_url))
            .json(&fault)
            .send()
            .await
            .expect("fault request");
        assert_eq!(
            response.status(),
            201,
            "fault accepted: {}",
            response.text().await.unwrap_or_default()
        );
    }

    /// `GET /_armsim/state`, as JSON (`serde_json::Value`) or as the simulator's own
    /// `SimulatorState`.
    /// Removes every fault in force.
    pub async fn clear_faults(&self) {
        let response = self
            .http
            .delete(format!("{}/_armsim/faults", self.base_url))
            .send()
            .await
            .expect("clear faults");
        assert!(response.status().is_success());
    }

    pub async fn state<T: DeserializeOwned>(&self) -> T {
        self.http
            .get(format!("{}/_armsim/state", self.base_url))
            .send()
            .await
            .expect("state request")
            .json()
            .await
            .expect("state JSON")
    }
}

/// How many clusters of that name the simulator holds (its state as JSON).
pub fn clusters_named(state: &Value, name: &str) -> usize {
    state["clusters"]
        .as_array()
        .map_or(0, |c| c.iter().filter(|c| c["name"] == name).count())
}

/// ARM calls of one kind (`create`, `get`, `operation_status`, …) the simulator answered, from
/// its `/_armsim/state`.
pub fn arm_requests(state: &Value, kind: &str) -> u64 {
    state["counters"]["requests"][kind].as_u64().unwrap_or(0)
}
