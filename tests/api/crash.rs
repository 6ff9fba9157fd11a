//! Durability: a dashboard server is killed (SIGKILL) in the middle of a create; the job is taken
//! over — by the same server started again, or by another server on the same PostgreSQL — and
//! finishes with exactly one cluster in Azure (a standalone ARM simulator shared by the servers).

use std::time::Duration;

use aks_dashboard::armsim::SimulatorHandle;
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

/// How many times the crash test kills a server.
const KILLS: usize = 50;

/// Two servers on one PostgreSQL, killed (SIGKILL) 50 times at random moments — mid-claim,
/// mid-PUT, mid-poll — and started again, while a dozen creates are in flight, some of which
/// Azure fails. Every job ends as Azure ended it, with exactly one cluster and one accepted PUT.
/// The seed is printed; `CRASH_SEED=<n>` replays a run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_kills_at_random_moments_lose_no_job_and_double_none() {
    use rand::{Rng, SeedableRng};

    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen());
    eprintln!("crash test seed: CRASH_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let sim = start_simulator(Duration::from_secs(4)).await;
    let dir = tempfile::tempdir().expect("dir");
    let pg = PostgresDatabase::create().await;
    let env = [("JOB_LEASE_SECONDS", "1")];
    let spawn = || DashboardProcess::spawn_with_env(&pg.url, &sim, dir.path(), &env);
    let mut servers = vec![spawn().await, spawn().await];

    // Some creates fail in Azure after a while: those jobs must end failed, not retried.
    let names: Vec<String> = (0..12).map(|i| format!("aks-k{i}")).collect();
    let doomed: Vec<&String> = names.iter().step_by(4).collect();
    for name in &doomed {
        let fault = serde_json::json!({"operation": "create", "cluster_name": name,
            "fail_after_seconds": 2, "code": "ZonalAllocationFailed",
            "message": "Allocation failed in zone 1."});
        reqwest::Client::new()
            .post(format!("{}/_armsim/faults", sim.base_url()))
            .json(&fault)
            .send()
            .await
            .expect("fault");
    }

    let mut tasks: Vec<(String, String)> = Vec::new();
    let mut pending = names.iter();
    for kill in 0..KILLS {
        // A new create every few kills, through whichever server is up.
        if kill % 4 == 0
            && let Some(name) = pending.next()
        {
            let server = &servers[rng.gen_range(0..servers.len())];
            tasks.push((name.clone(), provision(server, name).await));
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(100..2_500))).await;
        let victim = rng.gen_range(0..servers.len());
        servers[victim].kill();
        servers[victim] = spawn().await;
    }
    for name in pending {
        tasks.push((name.clone(), provision(&servers[0], name).await));
    }

    let state = loop {
        let mut ended = 0;
        for (_, task_id) in &tasks {
            let (status, task) = servers[0].get(USER, &format!("/api/tasks/{task_id}")).await;
            assert_eq!(status, reqwest::StatusCode::OK, "{task}");
            if task["ready"] == true {
                ended += 1;
            }
        }
        if ended == tasks.len() {
            break simulator_state(&sim);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for (name, task_id) in &tasks {
        let (_, task) = servers[0].get(USER, &format!("/api/tasks/{task_id}")).await;
        let cluster = state["clusters"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == *name))
            .unwrap_or_else(|| panic!("{name} has no cluster (seed {seed})"));
        let expected = if doomed.contains(&name) {
            ("failed", "Failed")
        } else {
            ("succeeded", "Succeeded")
        };
        assert_eq!(
            (
                task["status"].as_str(),
                cluster["provisioning_state"].as_str()
            ),
            (Some(expected.0), Some(expected.1)),
            "{name} (seed {seed}): {task}"
        );
        assert_eq!(clusters_named(&state, name), 1, "{name} (seed {seed})");
    }
    assert_eq!(
        creates_accepted(&state),
        tasks.len() as u64,
        "one accepted PUT per job (seed {seed}): {}",
        state["counters"]
    );
    // The history says what happened to each job, no more and no less: every entry was
    // written with the change it describes, whatever moment the kills fell on.
    let mut takeovers = 0;
    for (name, task_id) in &tasks {
        let (_, task) = servers[0].get(USER, &format!("/api/tasks/{task_id}")).await;
        let (status, page) = servers[0]
            .get(USER, &format!("/api/history?cluster={name}&limit=500"))
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        let entries = page["entries"].as_array().expect("entries");
        let count = |kind: &str| entries.iter().filter(|e| e["kind"] == kind).count();
        let context = format!("{name} (seed {seed}): {page}");
        assert_eq!(count("create_requested"), 1, "{context}");
        assert!(count("azure_create_sent") >= 1, "{context}");
        assert!(count("azure_accepted") <= 1, "one accepted PUT: {context}");
        let ended = task["status"].as_str().expect("status");
        assert_eq!(count(ended), 1, "one end, the task's: {context}");
        assert_eq!(
            count("succeeded") + count("failed") + count("cancelled"),
            1,
            "{context}"
        );
        assert_eq!(
            entries[0]["kind"], ended,
            "the end is the newest entry: {context}"
        );
        assert!(
            entries
                .iter()
                .filter(|e| e["kind"] == "state_changed")
                .all(|e| e["details"]["from"] != e["details"]["to"]),
            "{context}"
        );
        takeovers += count("taken_over");
    }
    assert!(takeovers > 0, "50 kills took no job over (seed {seed})");
    drop(servers);
    pg.drop_database().await;
    sim.shutdown().await;
}
