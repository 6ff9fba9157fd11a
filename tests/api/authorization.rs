//! The authorization matrix: every API door (route or server function) as Alice (the owner of
//! the objects it names), Bob (another signed-in user) and nobody, with the status the contract
//! gives each. Bob and nobody go first, and must leave Alice's data exactly as it was and read
//! none of it; then Alice, whose writes must take effect (so the refusals are not vacuous).
//!
//! A new route is one line in [`DOORS`].

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::time::{Instant, timeout};

use crate::helpers::{TestApp, creating, finished, provision_request};

const ALICE: &str = "alice";
const BOB: &str = "bob";

/// A provision request; `{caller}` makes the cluster name the caller's own (one in-flight job
/// per cluster, whoever asks).
const PROVISION: &str = r#"{"subscription_id":"11111111-2222-3333-4444-555555555555","resource_group":"rg-aks-dev","region":"koreacentral","cluster_name":"aks-door-{caller}","node_sku":"Standard_D2s_v3","node_count":1,"system_vm_size":"Standard_D2s_v3","system_node_count":1}"#;

/// One door: method, path and JSON body ("" for none), with `{failed_task}`, `{failed_job}`,
/// `{running_task}`, `{partial_job}`, `{caller}` standing for Alice's objects and the caller;
/// then the status for Alice, Bob and nobody. Reads come first: Alice's writes run in this order.
struct Door(&'static str, &'static str, &'static str, [u16; 3]);

#[rustfmt::skip]
const DOORS: &[Door] = &[
    Door("GET", "/api/session", "", [200, 200, 401]),
    Door("GET", "/api/tasks/{failed_task}", "", [200, 403, 401]),
    Door("GET", "/api/tasks/{running_task}", "", [200, 403, 401]),
    Door("GET", "/api/tasks/00000000-0000-4000-8000-000000000000", "", [404, 404, 401]),
    Door("GET", "/api/tasks/not-a-task-id", "", [404, 404, 401]),
    Door("GET", "/api/aks/task-status?task_id={failed_task}", "", [200, 403, 401]),
    Door("GET", "/api/aks/recent-failed-provisions?hours=24&limit=10", "", [200, 200, 401]),
    Door("GET", "/api/aks/active-provisions", "", [200, 200, 401]),
    Door("GET", "/api/aks/clusters", "", [200, 200, 401]),
    Door("GET", "/api/aks/cluster-list-html", "", [200, 200, 401]),
    Door("GET", "/api/aks/available-skus?region=koreacentral", "", [200, 200, 401]),
    Door("POST", "/api/aks/preflight", PROVISION, [200, 200, 401]),
    Door("GET", "/api/events", "", [200, 200, 401]),
    Door("POST", "/api/aks/provision", PROVISION, [202, 202, 401]),
    Door("POST", "/api/aks/cancel", r#"{"task_id":"{running_task}"}"#, [200, 403, 401]),
    Door("POST", "/api/aks/cancel-provision/{running_task}", "", [200, 403, 401]),
    Door("POST", "/api/aks/cancel-provision/00000000-0000-4000-8000-000000000000", "", [404, 404, 401]),
    Door("POST", "/api/aks/dismiss-failure", r#"{"job_id":"{failed_job}"}"#, [200, 403, 401]),
    Door("POST", "/api/aks/dismiss-failure", r#"{"job_id":"no-such-job"}"#, [404, 404, 401]),
    Door("POST", "/api/aks/delete-partial-cluster", r#"{"job_id":"{partial_job}"}"#, [200, 403, 401]),
    Door("POST", "/api/aks/delete-partial-cluster", r#"{"job_id":"no-such-job"}"#, [404, 404, 401]),
];

/// Alice's objects: a failed provision, one still creating, and one stopped that left a cluster.
struct AliceObjects {
    failed_task: String,
    failed_job: String,
    running_task: String,
    running_job: String,
    partial_task: String,
    partial_job: String,
}

impl AliceObjects {
    async fn create(app: &TestApp) -> Self {
        let failed = app
            .provision(
                ALICE,
                provision_request("eastus", "aks-alice-quota", "Standard_D4s_v3", 3),
            )
            .await;
        let partial = app
            .provision(
                ALICE,
                provision_request("koreacentral", "aks-alice-partial", "Standard_D2s_v3", 1),
            )
            .await;
        let running = app
            .provision(
                ALICE,
                provision_request("koreacentral", "aks-alice-running", "Standard_D2s_v3", 1),
            )
            .await;
        let id = |v: &Value, key: &str| v[key].as_str().expect("id").to_owned();
        let objects = Self {
            failed_task: id(&failed, "task_id"),
            failed_job: id(&failed, "job_id"),
            running_task: id(&running, "task_id"),
            running_job: id(&running, "job_id"),
            partial_task: id(&partial, "task_id"),
            partial_job: id(&partial, "job_id"),
        };
        app.wait_task(ALICE, &objects.failed_task, finished).await;
        app.wait_task(ALICE, &objects.partial_task, creating).await;
        app.wait_task(ALICE, &objects.running_task, creating).await;
        let (status, stopped) = app
            .post(
                ALICE,
                &format!("/api/aks/cancel-provision/{}", objects.partial_task),
                &Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{stopped}");
        app.wait_task(ALICE, &objects.partial_task, finished).await;
        objects
    }

    fn ids(&self) -> [&str; 6] {
        [
            &self.failed_task,
            &self.failed_job,
            &self.running_task,
            &self.running_job,
            &self.partial_task,
            &self.partial_job,
        ]
    }

    fn fill(&self, template: &str, caller: &str) -> String {
        template
            .replace("{failed_task}", &self.failed_task)
            .replace("{failed_job}", &self.failed_job)
            .replace("{running_task}", &self.running_task)
            .replace("{partial_job}", &self.partial_job)
            .replace("{caller}", caller)
    }
}

/// Goes through a door as `caller` (`None`: no identity at all); the status and the body as
/// text. An event stream is not read: it stays open.
async fn knock(
    app: &TestApp,
    door: &Door,
    objects: &AliceObjects,
    caller: Option<&str>,
) -> (String, StatusCode, String) {
    let Door(method, path, body, _) = door;
    let path = objects.fill(path, caller.unwrap_or("nobody"));
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = app.http.request(method.clone(), app.url(&path));
    if let Some(user) = caller {
        request = request.header("X-Dev-User", user);
    }
    if !body.is_empty() {
        request = request
            .header("Content-Type", "application/json")
            .body(objects.fill(body, caller.unwrap_or("nobody")));
    }
    let res = request.send().await.expect("request");
    let status = res.status();
    let is_stream = res
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let text = if is_stream {
        String::new()
    } else {
        res.text().await.expect("body")
    };
    (format!("{method} {path}"), status, text)
}

/// What Alice's data looks like, through her own reads and Azure's state.
async fn alice_snapshot(app: &TestApp, objects: &AliceObjects) -> Value {
    let (_, running) = app
        .get(ALICE, &format!("/api/tasks/{}", objects.running_task))
        .await;
    let (_, failures) = app.get(ALICE, "/api/aks/recent-failed-provisions").await;
    let (_, active) = app.get(ALICE, "/api/aks/active-provisions").await;
    let azure = app.simulator.state::<Value>().await;
    let failure_ids: BTreeSet<String> = failures["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|j| j["job_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let active_ids: BTreeSet<String> = active
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["task_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let clusters: BTreeSet<String> = azure["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .filter(|name| name.starts_with("aks-alice"))
        .collect();
    serde_json::json!({
        "running_status": running["status"],
        "failures": failure_ids,
        "active": active_ids,
        "clusters": clusters,
        "aborts": azure["counters"]["abort_requests"],
        "deletes": azure["counters"]["delete_requests"],
    })
}

/// Reads an event stream until `stop` says so or nothing more comes for `idle`; the text seen.
async fn read_events(
    res: &mut reqwest::Response,
    idle: Duration,
    stop: impl Fn(&str) -> bool,
) -> String {
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && !stop(&seen) {
        match timeout(idle, res.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    seen
}

#[tokio::test]
async fn every_door_answers_each_caller_as_the_contract_says_and_no_one_reaches_anothers_data() {
    let app = TestApp::builder().create_seconds(60.0).spawn().await;
    let alice = AliceObjects::create(&app).await;
    let open_stream = |user: &'static str| {
        app.http
            .get(app.url("/api/events"))
            .header("X-Dev-User", user)
            .send()
    };
    let mut alice_events = open_stream(ALICE).await.expect("Alice's events");
    let mut bob_events = open_stream(BOB).await.expect("Bob's events");

    let before = alice_snapshot(&app, &alice).await;
    assert_eq!(before["running_status"], "running", "{before}");
    let mut wrong = Vec::new();
    for door in DOORS {
        for (caller, expected) in [(Some(BOB), door.3[1]), (None, door.3[2])] {
            let (what, status, body) = knock(&app, door, &alice, caller).await;
            let who = caller.unwrap_or("nobody");
            if status.as_u16() != expected {
                wrong.push(format!(
                    "{who}: {what} → {status}, expected {expected}: {body}"
                ));
            }
            // Nothing of Alice's in the answer, except an id the caller named itself.
            for id in alice.ids() {
                if body.contains(id) && !what.contains(id) && !alice.fill(door.2, who).contains(id)
                {
                    wrong.push(format!("{who}: {what} read Alice's {id}: {body}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        alice_snapshot(&app, &alice).await,
        before,
        "Bob and nobody changed nothing of Alice's"
    );

    for door in DOORS {
        let (what, status, body) = knock(&app, door, &alice, Some(ALICE)).await;
        assert_eq!(status.as_u16(), door.3[0], "alice: {what}: {body}");
    }
    // Alice's own writes took effect.
    let after = alice_snapshot(&app, &alice).await;
    assert_eq!(after["running_status"], "cancelled", "{after}");
    assert!(
        !after["failures"]
            .as_array()
            .expect("ids")
            .iter()
            .any(|id| id == alice.failed_job.as_str() || id == alice.partial_job.as_str()),
        "dismissed and deleted failures are gone: {after}"
    );

    // Alice's stream heard her dismiss; Bob's, open all along, heard nothing of hers.
    let heard = read_events(&mut alice_events, Duration::from_secs(10), |seen| {
        seen.contains(&alice.failed_job)
    })
    .await;
    assert!(heard.contains("failure_dismissed"), "{heard}");
    let bob_heard = read_events(&mut bob_events, Duration::from_millis(300), |_| false).await;
    for id in alice.ids() {
        assert!(
            !bob_heard.contains(id),
            "Bob's stream carried Alice's {id}: {bob_heard}"
        );
    }
}
