//! A thousand creates followed by their resource groups' cluster lists (one read a poll for
//! every create of a group, not a read per create): a failure, a cancel and a takeover among
//! them each end as they do for a create followed alone, and Azure is asked about one create
//! only when the list cannot tell.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aks_dashboard::armsim::{ArmSimulator, SimulatorConfig};
use aks_dashboard::config::DEFAULT_SUBSCRIPTION_ID;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ApiClient, DashboardProcess, arm_requests, clusters_named, finished};

const CREATES: usize = 1_000;
const GROUPS: usize = 5;
/// Early: Azure fails it 10 s after its PUT. Late (the last POSTs, so that their creates still
/// run when the others have all been sent): the one stopped, the one followed through the kill.
const FAILS: usize = 7;
const STOPPED: usize = CREATES - 1;
const TAKEN_OVER: usize = CREATES - 2;

fn name(i: usize) -> String {
    format!("aks-l{i}")
}

fn body(i: usize) -> Value {
    json!({
        "subscription_id": DEFAULT_SUBSCRIPTION_ID,
        "resource_group": format!("rg-list-{}", i % GROUPS),
        "region": "westeurope",
        "cluster_name": name(i),
        "node_sku": "Standard_D2s_v3",
        "node_count": 1,
        "system_vm_size": "Standard_D2s_v3",
        "system_node_count": 1,
    })
}

fn user(i: usize) -> String {
    format!("list-u{i}")
}

async fn task(server: &ApiClient, i: usize, task_id: &str) -> Value {
    let (status, task) = server.get(&user(i), &format!("/api/tasks/{task_id}")).await;
    assert_eq!(status, StatusCode::OK, "{task}");
    task
}

/// The task of create `i` once it has ended.
async fn ended(server: &ApiClient, i: usize, task_id: &str) -> Value {
    let seen = server.wait_task(&user(i), task_id, finished).await;
    seen.last().cloned().expect("answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_a_cancel_and_a_takeover_among_a_thousand_list_followed_creates_end_as_alone() {
    let world = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/world-big.json");
    let sim = ArmSimulator::start(
        SimulatorConfig {
            create_duration: Duration::from_secs(40),
            abort_duration: Duration::from_millis(500),
            delete_duration: Duration::from_millis(500),
            ..SimulatorConfig::default()
        }
        .with_world(Some(&world), 1.0)
        .expect("the big world"),
    )
    .await
    .expect("simulator starts");
    let fault = json!({"operation": "create", "cluster_name": name(FAILS), "fail_after_seconds": 10,
        "code": "ZonalAllocationFailed", "message": "Allocation failed in zone 1."});
    let answer = reqwest::Client::new()
        .post(format!("{}/_armsim/faults", sim.base_url()))
        .json(&fault)
        .send()
        .await
        .expect("fault");
    assert!(answer.status().is_success());

    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let scopes = format!("{DEFAULT_SUBSCRIPTION_ID}/*");
    let env = [
        ("AZURE_SCOPES", scopes.as_str()),
        ("MAX_IN_FLIGHT_PER_SCOPE", "5000"),
        // Long enough that a thousand POSTs to a debug build on two cores stall no renewal
        // (a stalled one is a takeover of its own job), short enough to take over soon after
        // the kill.
        ("JOB_LEASE_SECONDS", "3"),
    ];
    let spawn = || DashboardProcess::spawn_with_env(&db, &sim, dir.path(), &env);
    let mut server = spawn().await;

    // A thousand POSTs, 32 at a time, each by its own user.
    let posting = std::time::Instant::now();
    let api = Arc::new(ApiClient::new(server.url("")));
    let mut tasks = vec![String::new(); CREATES];
    let all: Vec<usize> = (0..CREATES).collect();
    for chunk in all.chunks(32) {
        let mut posts = tokio::task::JoinSet::new();
        for &i in chunk {
            let api = api.clone();
            posts.spawn(async move {
                let accepted = api.provision(&user(i), body(i)).await;
                (i, accepted["task_id"].as_str().expect("task id").to_owned())
            });
        }
        while let Some(posted) = posts.join_next().await {
            let (i, task_id) = posted.expect("a POST");
            tasks[i] = task_id;
        }
    }
    eprintln!("{CREATES} creates posted in {:?}", posting.elapsed());
    let (stopped, fails, taken) = (STOPPED, FAILS, TAKEN_OVER);

    // Every create sent and accepted: the runs follow by list now.
    let state = loop {
        let state = serde_json::to_value(sim.state()).expect("state");
        if state["counters"]["create_puts_accepted"].as_u64() >= Some(CREATES as u64) {
            break state;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // No read before a first PUT (If-None-Match: * refuses an existing cluster); the first
    // create of each group, followed alone until a second joins, may have read its own.
    assert!(
        arm_requests(&state, "get") <= 4 * GROUPS as u64,
        "{}",
        state["counters"]["requests"]
    );

    // A Stop while Azure creates.
    let (status, out) = server
        .post(
            &user(stopped),
            &format!("/api/aks/cancel-provision/{}", tasks[stopped]),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let cancelled = ended(&server, stopped, &tasks[stopped]).await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");

    // The failure: Azure's own error, from the operation, as for a create followed alone.
    let failed = ended(&server, fails, &tasks[fails]).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["code"], "ZonalAllocationFailed", "{failed}");

    // So far a thousand creates were followed for well over ten seconds at a poll a second:
    // by lists, a few reads a second in all; alone, a thousand.
    let before_kill = serde_json::to_value(sim.state()).expect("state");
    let lists = arm_requests(&before_kill, "list");
    let own = arm_requests(&before_kill, "operation_status") + arm_requests(&before_kill, "get");
    eprintln!(
        "Azure requests before the kill: {}",
        before_kill["counters"]["requests"]
    );
    assert!(
        lists >= GROUPS as u64,
        "the groups' lists were read: {before_kill}"
    );
    // Each missing group read and made once (a read, a PUT, a first read through the cache),
    // not once per create.
    assert!(
        arm_requests(&before_kill, "resource_group") <= 3 * GROUPS as u64,
        "{}",
        before_kill["counters"]["requests"]
    );
    assert!(
        own <= 40,
        "creates asked Azure about themselves only when the list could not tell: {}",
        before_kill["counters"]["requests"]
    );
    let answer = server.get_response(&user(0), "/metrics").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let metrics = answer.text().await.expect("metrics");
    assert!(
        metrics.contains("aks_follow_reads_total{kind=\"list_page\"}"),
        "reads by kind in /metrics"
    );

    // The server dies mid-follow; started again, it takes every running create over.
    eprintln!("killed {:?} after the first POST", posting.elapsed());
    server.kill();
    let server = spawn().await;
    let mut ended = vec![Value::Null; CREATES];
    loop {
        let mut open = 0;
        for (i, task_id) in tasks.iter().enumerate() {
            if ended[i].is_null() {
                let seen = task(&server, i, task_id).await;
                if finished(&seen) {
                    ended[i] = seen;
                } else {
                    open += 1;
                }
            }
        }
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let state = serde_json::to_value(sim.state()).expect("state");
    for (i, task) in ended.iter().enumerate() {
        let expected = match i {
            i if i == fails => "failed",
            i if i == stopped => "cancelled",
            _ => "succeeded",
        };
        assert_eq!(task["status"], expected, "{}: {task}", name(i));
        assert_eq!(clusters_named(&state, &name(i)), 1, "{}", name(i));
    }
    assert_eq!(
        state["counters"]["create_puts_accepted"].as_u64(),
        Some(CREATES as u64),
        "one accepted PUT a job, none twice: {}",
        state["counters"]
    );

    // A create that ran through the kill: taken over once, its states recorded with the ids of
    // the list reads that showed them.
    let (status, page) = server
        .get(
            &user(taken),
            &format!("/api/history?cluster={}&limit=500", name(taken)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["entries"].as_array().expect("entries");
    let count = |kind: &str| entries.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!(count("taken_over"), 1, "{page}");
    assert_eq!(count("succeeded"), 1, "{page}");
    let changes: Vec<&Value> = entries
        .iter()
        .filter(|e| e["kind"] == "state_changed")
        .collect();
    assert!(
        changes.iter().any(|e| e["details"]["to"] == "Succeeded"),
        "{page}"
    );
    assert!(
        changes.iter().all(|e| e["azure_request_id"].is_string()),
        "each state change with the request id of the read (list or own) that showed it: {page}"
    );
    drop(server);
    sim.shutdown().await;
}
