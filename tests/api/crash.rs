//! Durability: a dashboard server is killed (SIGKILL) in the middle of a create; the job is taken
//! over — by the same server started again, or by another server on the same PostgreSQL — and
//! finishes with exactly one cluster in Azure (a standalone ARM simulator shared by the servers).

use std::time::Duration;

use aks_dashboard::azure::SimulatorHandle;
use serde_json::Value;

use crate::helpers::{
    ApiClient, DashboardProcess, PostgresDatabase, clusters_named, creating, finished,
    provision_request, start_simulator,
};

/// Long enough to kill a server in the middle of a create.
const CREATE: Duration = Duration::from_secs(5);
const USER: &str = "ops";

async fn provision(server: &ApiClient, name: &str) -> String {
    let accepted = server
        .provision(
            USER,
            provision_request("koreacentral", name, "Standard_D2s_v3", 1),
        )
        .await;
    accepted["task_id"].as_str().expect("task id").to_owned()
}

async fn wait_until_finished(server: &ApiClient, task_id: &str) -> Value {
    let seen = server.wait_task(USER, task_id, finished).await;
    seen.last().cloned().expect("answers")
}

fn simulator_state(simulator: &SimulatorHandle) -> Value {
    serde_json::to_value(simulator.state()).expect("state")
}

fn creates_accepted(state: &Value) -> u64 {
    state["counters"]["create_puts_accepted"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_server_killed_mid_create_finishes_the_job_after_restart_with_one_cluster() {
    let sim = start_simulator(CREATE).await;
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("jobs.db").display());

    let mut first = DashboardProcess::spawn(&db, &sim, dir.path()).await;
    let task_id = provision(&first, "aks-crash").await;
    first.wait_task(USER, &task_id, creating).await;
    first.kill();

    let second = DashboardProcess::spawn(&db, &sim, dir.path()).await;
    let task = wait_until_finished(&second, &task_id).await;
    assert_eq!(task["status"], "succeeded", "{task}");
    let state = simulator_state(&sim);
    assert_eq!(clusters_named(&state, "aks-crash"), 1);
    assert_eq!(creates_accepted(&state), 1, "no second create was sent");
    sim.shutdown().await;
}

#[tokio::test]
async fn two_servers_on_postgres_one_killed_the_other_finishes_its_job() {
    let sim = start_simulator(CREATE).await;
    let dir = tempfile::tempdir().expect("dir");
    let pg = PostgresDatabase::create().await;

    let mut doomed = DashboardProcess::spawn(&pg.url, &sim, dir.path()).await;
    let task_id = provision(&doomed, "aks-ha").await;
    doomed.wait_task(USER, &task_id, creating).await;
    // The survivor joins while the first server holds the job, then the first one dies.
    let survivor = DashboardProcess::spawn(&pg.url, &sim, dir.path()).await;
    doomed.kill();

    let task = wait_until_finished(&survivor, &task_id).await;
    assert_eq!(task["status"], "succeeded", "{task}");
    let state = simulator_state(&sim);
    assert_eq!(clusters_named(&state, "aks-ha"), 1);
    assert_eq!(creates_accepted(&state), 1, "no second create was sent");
    drop(survivor);
    pg.drop_database().await;
    sim.shutdown().await;
}
