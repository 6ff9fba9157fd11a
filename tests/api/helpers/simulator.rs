//! The ARM simulator as tests use it: a standalone one with short operation times, and a client
//! for its test-only routes (`POST /_armsim/faults`, `GET /_armsim/state`), whichever simulator
//! it is — standalone or embedded in a dashboard server.

use std::time::Duration;

use aks_dashboard::azure::{ArmSimulator, SimulatorConfig, SimulatorHandle};
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
