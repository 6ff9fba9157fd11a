//! Durability: a dashboard server is killed (SIGKILL) in the middle of a create; the job is taken
//! over — by the same server started again, or by another server on the same PostgreSQL — and
//! finishes with exactly one cluster in Azure (a standalone ARM simulator shared by the servers).

#[allow(dead_code)] // shared with the storage contract tests; this file uses a part of it
mod storage_support;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aks_dashboard::azure::{ArmSimulator, SimulatorConfig, SimulatorHandle};
use serde_json::{Value, json};
use storage_support::PostgresDatabase;

/// One `aks-dashboard` process, killed on drop.
struct DashboardProcess {
    child: Child,
    base: String,
}

impl Drop for DashboardProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn spawn_dashboard(
    database_url: &str,
    sim: &SimulatorHandle,
    data_dir: &Path,
) -> DashboardProcess {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_aks-dashboard"))
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", database_url)
        .env("DATA_DIR", data_dir)
        .env("ARM_ENDPOINT", sim.base_url())
        .env("ARM_TOKEN", "test-token")
        .env("JOB_LEASE_SECONDS", "1.5")
        .env("JOB_WORKERS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start aks-dashboard");
    let process = DashboardProcess {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = http.get(format!("{}/readyz", process.base)).send().await
            && res.status().is_success()
        {
            return process;
        }
        assert!(Instant::now() < deadline, "dashboard did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn start_simulator() -> SimulatorHandle {
    ArmSimulator::start(SimulatorConfig {
        create_duration: Duration::from_secs(5),
        delete_duration: Duration::from_millis(500),
        abort_duration: Duration::from_millis(500),
        ..SimulatorConfig::default()
    })
    .await
    .expect("simulator")
}

async fn provision(base: &str, name: &str) -> String {
    let body = json!({
        "subscription_id": "11111111-2222-3333-4444-555555555555",
        "resource_group": "rg-aks-dev",
        "region": "koreacentral",
        "cluster_name": name,
        "node_sku": "Standard_D2s_v3",
        "node_count": 1,
        "system_vm_size": "Standard_D2s_v3",
        "system_node_count": 1
    });
    let res = reqwest::Client::new()
        .post(format!("{base}/api/aks/provision"))
        .header("X-Dev-User", "ops")
        .json(&body)
        .send()
        .await
        .expect("provision");
    assert_eq!(res.status(), reqwest::StatusCode::ACCEPTED);
    let accepted: Value = res.json().await.expect("json");
    accepted["task_id"].as_str().expect("task id").to_owned()
}

async fn wait_task(base: &str, task_id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let res = http
            .get(format!("{base}/api/tasks/{task_id}"))
            .header("X-Dev-User", "ops")
            .send()
            .await
            .expect("task");
        let task: Value = res.json().await.expect("json");
        if done(&task) {
            return task;
        }
        assert!(Instant::now() < deadline, "task did not get there: {task}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

fn clusters_named(sim: &SimulatorHandle, name: &str) -> usize {
    let state = serde_json::to_value(sim.state()).expect("state");
    state["clusters"]
        .as_array()
        .map_or(0, |c| c.iter().filter(|c| c["name"] == name).count())
}

fn creates_accepted(sim: &SimulatorHandle) -> u64 {
    let state = serde_json::to_value(sim.state()).expect("state");
    state["counters"]["create_puts_accepted"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_server_killed_mid_create_finishes_the_job_after_restart_with_one_cluster() {
    let sim = start_simulator().await;
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("jobs.db").display());

    let mut first = spawn_dashboard(&db, &sim, dir.path()).await;
    let task_id = provision(&first.base, "aks-crash").await;
    wait_task(&first.base, &task_id, |t| {
        t["progress"]["cluster_state"] == "Creating"
    })
    .await;
    first.child.kill().expect("SIGKILL");
    let _ = first.child.wait();

    let second = spawn_dashboard(&db, &sim, dir.path()).await;
    let task = wait_task(&second.base, &task_id, |t| t["ready"] == true).await;
    assert_eq!(task["status"], "succeeded", "{task}");
    assert_eq!(clusters_named(&sim, "aks-crash"), 1);
    assert_eq!(creates_accepted(&sim), 1, "no second create was sent");
    sim.shutdown().await;
}

#[tokio::test]
async fn two_servers_on_postgres_one_killed_the_other_finishes_its_job() {
    let sim = start_simulator().await;
    let dir = tempfile::tempdir().expect("dir");
    let pg = PostgresDatabase::create().await;

    let mut doomed = spawn_dashboard(&pg.url, &sim, dir.path()).await;
    let task_id = provision(&doomed.base, "aks-ha").await;
    wait_task(&doomed.base, &task_id, |t| {
        t["progress"]["cluster_state"] == "Creating"
    })
    .await;
    // The survivor joins while the first server holds the job, then the first one dies.
    let survivor = spawn_dashboard(&pg.url, &sim, dir.path()).await;
    doomed.child.kill().expect("SIGKILL");
    let _ = doomed.child.wait();

    let task = wait_task(&survivor.base, &task_id, |t| t["ready"] == true).await;
    assert_eq!(task["status"], "succeeded", "{task}");
    assert_eq!(clusters_named(&sim, "aks-ha"), 1);
    assert_eq!(creates_accepted(&sim), 1, "no second create was sent");
    drop(survivor);
    pg.drop_database().await;
    sim.shutdown().await;
}
