//! The authorization matrix: every API door (route or server function) as Alice (an operator,
//! the owner of the objects it names), Bob (another operator), Rita (a reader), Ada (an admin)
//! and nobody, with the status the contract gives each. Bob, Rita and nobody go first, and must
//! leave Alice's data exactly as it was and read none of it; then Ada, whose stops and deletes of
//! Alice's jobs must take effect; then Alice on a second set of her objects, whose writes must
//! take effect (so the refusals are not vacuous).
//!
//! A new route is one line in [`DOORS`].

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, creating, finished, provision_request, read_events};

const ALICE: Caller = Caller("alice", "operator");
const BOB: Caller = Caller("bob", "operator");
const RITA: Caller = Caller("rita", "reader");
const ADA: Caller = Caller("ada", "admin");

/// A dev user and their roles (`X-Dev-User`, `X-Dev-Roles`).
#[derive(Clone, Copy)]
struct Caller(&'static str, &'static str);

/// 403 `forbidden` that names the role needed (`needed_role: "operator"`).
const ROLE: u16 = 1403;
/// 403 `forbidden` that names the admin role (`needed_role: "admin"`).
const ADMIN: u16 = 2403;

/// A provision request; `{caller}` makes the cluster name the caller's own (one in-flight job
/// per cluster, whoever asks).
const PROVISION: &str = r#"{"subscription_id":"11111111-2222-3333-4444-555555555555","resource_group":"rg-aks-dev","region":"koreacentral","cluster_name":"aks-door-{caller}","node_sku":"Standard_D2s_v3","node_count":1,"system_vm_size":"Standard_D2s_v3","system_node_count":1}"#;

/// One door: method, path and JSON body ("" for none), with `{failed_task}`, `{failed_job}`,
/// `{running_task}`, `{partial_job}`, `{caller}` standing for Alice's objects and the caller;
/// then the status for Alice, Bob, Rita (reader), Ada (admin) and nobody. Reads come first:
/// writes run in this order.
struct Door(&'static str, &'static str, &'static str, [u16; 5]);

#[rustfmt::skip]
const DOORS: &[Door] = &[
    //                                                                    alice bob  rita  ada  nobody
    Door("GET", "/api/session", "",                                       [200, 200, 200, 200, 401]),
    Door("GET", "/api/tasks/{failed_task}", "",                           [200, 403, 403, 200, 401]),
    Door("GET", "/api/tasks/{running_task}", "",                          [200, 403, 403, 200, 401]),
    Door("GET", "/api/tasks/00000000-0000-4000-8000-000000000000", "",    [404, 404, 404, 404, 401]),
    Door("GET", "/api/tasks/not-a-task-id", "",                           [404, 404, 404, 404, 401]),
    Door("GET", "/api/aks/task-status?task_id={failed_task}", "",         [200, 403, 403, 200, 401]),
    Door("GET", "/api/aks/recent-failed-provisions?hours=24&limit=10", "",[200, 200, 200, 200, 401]),
    Door("GET", "/api/aks/active-provisions", "",                         [200, 200, 200, 200, 401]),
    Door("GET", "/api/aks/clusters", "",                                  [200, 200, 200, 200, 401]),
    Door("GET", "/api/aks/cluster-list-html", "",                         [200, 200, 200, 200, 401]),
    Door("GET", "/api/aks/available-skus?region=koreacentral", "",        [200, 200, ROLE, 200, 401]),
    Door("POST", "/api/aks/preflight", PROVISION,                         [200, 200, ROLE, 200, 401]),
    Door("GET", "/api/events", "",                                        [200, 200, 200, 200, 401]),
    Door("POST", "/api/aks/provision", PROVISION,                         [202, 202, ROLE, 202, 401]),
    Door("POST", "/api/aks/cancel", r#"{"task_id":"{running_task}"}"#,    [200, 403, ROLE, 200, 401]),
    Door("POST", "/api/aks/cancel-provision/{running_task}", "",          [200, 403, ROLE, 200, 401]),
    Door("POST", "/api/aks/cancel-provision/00000000-0000-4000-8000-000000000000", "", [404, 404, ROLE, 404, 401]),
    // A failure is dismissed by its owner only (an admin deletes what a job left, which clears it).
    Door("POST", "/api/aks/dismiss-failure", r#"{"job_id":"{failed_job}"}"#, [200, 403, ROLE, 403, 401]),
    Door("POST", "/api/aks/dismiss-failure", r#"{"job_id":"no-such-job"}"#, [404, 404, ROLE, 404, 401]),
    Door("POST", "/api/aks/delete-partial-cluster", r#"{"job_id":"{partial_job}"}"#, [200, 403, ROLE, 200, 401]),
    Door("POST", "/api/aks/delete-partial-cluster", r#"{"job_id":"no-such-job"}"#, [404, 404, ROLE, 404, 401]),
    // Creates awaiting approval: admins decide (never their own), the requester withdraws.
    Door("GET", "/api/approvals", "",                                     [200, 200, 200, 200, 401]),
    Door("POST", "/api/approvals/{approval}/approve", "",                 [ADMIN, ADMIN, ADMIN, 200, 401]),
    Door("POST", "/api/approvals/{denied}/deny", r#"{"note":"no"}"#,      [ADMIN, ADMIN, ADMIN, 200, 401]),
    Door("POST", "/api/approvals/{withdrawn}/withdraw", "",               [200, 403, ROLE, 403, 401]),
    Door("POST", "/api/approvals/decide", r#"{"approval_id":"{withdrawn}","action":"withdraw"}"#, [409, 403, ROLE, 403, 401]),
    Door("POST", "/api/approvals/decide", r#"{"approval_id":"{denied}","action":"approve"}"#, [ADMIN, ADMIN, ADMIN, 409, 401]),
    Door("POST", "/api/approvals/no-such-request/approve", "",           [ADMIN, ADMIN, ADMIN, 404, 401]),
];

/// Alice's objects: a failed provision, one still creating, and one stopped that left a cluster.
struct AliceObjects {
    failed_task: String,
    failed_job: String,
    running_task: String,
    running_job: String,
    partial_task: String,
    partial_job: String,
    /// Creates awaiting approval: one for Ada to approve, one to deny, one for Alice to withdraw.
    approval: String,
    denied: String,
    withdrawn: String,
}

impl AliceObjects {
    /// Alice's objects; `set` tells the cluster names of two sets apart.
    async fn create(app: &TestApp, set: &str) -> Self {
        let alice = ALICE.0;
        let failed = app
            .provision(
                alice,
                provision_request(
                    "eastus",
                    &format!("aks-alice-quota-{set}"),
                    "Standard_D4s_v3",
                    3,
                ),
            )
            .await;
        let partial = app
            .provision(
                alice,
                provision_request(
                    "koreacentral",
                    &format!("aks-alice-partial-{set}"),
                    "Standard_D2s_v3",
                    1,
                ),
            )
            .await;
        let running = app
            .provision(
                alice,
                provision_request(
                    "koreacentral",
                    &format!("aks-alice-running-{set}"),
                    "Standard_D2s_v3",
                    1,
                ),
            )
            .await;
        let id = |v: &Value, key: &str| v[key].as_str().expect("id").to_owned();
        let mut waiting = Vec::new();
        for what in ["approve", "deny", "withdraw"] {
            // ≈ 1,044 USD/month: over the matrix's 900.
            let mut big = provision_request(
                "westeurope",
                &format!("aks-alice-{what}-{set}"),
                "Standard_D8s_v3",
                3,
            );
            big["system_vm_size"] = "Standard_D2s_v3".into();
            let answer = app.provision(alice, big).await;
            assert_eq!(answer["status"], "awaiting_approval", "{answer}");
            waiting.push(answer["approval_id"].as_str().expect("id").to_owned());
        }
        let objects = Self {
            failed_task: id(&failed, "task_id"),
            failed_job: id(&failed, "job_id"),
            running_task: id(&running, "task_id"),
            running_job: id(&running, "job_id"),
            partial_task: id(&partial, "task_id"),
            partial_job: id(&partial, "job_id"),
            approval: waiting[0].clone(),
            denied: waiting[1].clone(),
            withdrawn: waiting[2].clone(),
        };
        app.wait_task(alice, &objects.failed_task, finished).await;
        app.wait_task(alice, &objects.partial_task, creating).await;
        app.wait_task(alice, &objects.running_task, creating).await;
        let (status, stopped) = app
            .post(
                alice,
                &format!("/api/aks/cancel-provision/{}", objects.partial_task),
                &Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{stopped}");
        app.wait_task(alice, &objects.partial_task, finished).await;
        objects
    }

    fn ids(&self) -> [&str; 9] {
        [
            &self.failed_task,
            &self.failed_job,
            &self.running_task,
            &self.running_job,
            &self.partial_task,
            &self.partial_job,
            &self.approval,
            &self.denied,
            &self.withdrawn,
        ]
    }

    fn fill(&self, template: &str, caller: &str) -> String {
        template
            .replace("{failed_task}", &self.failed_task)
            .replace("{failed_job}", &self.failed_job)
            .replace("{running_task}", &self.running_task)
            .replace("{partial_job}", &self.partial_job)
            .replace("{approval}", &self.approval)
            .replace("{denied}", &self.denied)
            .replace("{withdrawn}", &self.withdrawn)
            .replace("{caller}", caller)
    }
}

/// Goes through a door as `caller` (`None`: no identity at all); the status and the body as
/// text. An event stream is not read: it stays open.
async fn knock(
    app: &TestApp,
    door: &Door,
    objects: &AliceObjects,
    caller: Option<Caller>,
) -> (String, StatusCode, String) {
    let Door(method, path, body, _) = door;
    let who = caller.map_or("nobody", |c| c.0);
    let path = objects.fill(path, who);
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = app.http.request(method.clone(), app.url(&path));
    if let Some(Caller(user, roles)) = caller {
        request = request
            .header("X-Dev-User", user)
            .header("X-Dev-Roles", roles);
    }
    if !body.is_empty() {
        request = request
            .header("Content-Type", "application/json")
            .body(objects.fill(body, who));
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
        .get(ALICE.0, &format!("/api/tasks/{}", objects.running_task))
        .await;
    let (_, failures) = app.get(ALICE.0, "/api/aks/recent-failed-provisions").await;
    let (_, active) = app.get(ALICE.0, "/api/aks/active-provisions").await;
    let (_, approvals) = app.get(ALICE.0, "/api/approvals").await;
    let approvals: Vec<(String, String)> = approvals["approvals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let text = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
            (text("id"), text("status"))
        })
        .collect();
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
        "approvals": approvals,
        "aborts": azure["counters"]["abort_requests"],
        "deletes": azure["counters"]["delete_requests"],
    })
}

/// Whether an answer is the one expected: the status, and for [`ROLE`] a 403 that names the
/// role needed.
fn answers_as_expected(status: StatusCode, body: &str, expected: u16) -> bool {
    if expected == ROLE {
        status == StatusCode::FORBIDDEN && body.contains(r#""needed_role":"operator""#)
    } else if expected == ADMIN {
        status == StatusCode::FORBIDDEN && body.contains(r#""needed_role":"admin""#)
    } else {
        status.as_u16() == expected
    }
}

/// Goes through every door as `caller` (the contract's column `column`); what was wrong.
async fn knock_all(
    app: &TestApp,
    objects: &AliceObjects,
    caller: Option<Caller>,
    column: usize,
    may_read_alices: bool,
) -> Vec<String> {
    let who = caller.map_or("nobody", |c| c.0);
    let mut wrong = Vec::new();
    for door in DOORS {
        let expected = door.3[column];
        let (what, status, body) = knock(app, door, objects, caller).await;
        if !answers_as_expected(status, &body, expected) {
            wrong.push(format!(
                "{who}: {what} → {status}, expected {expected}: {body}"
            ));
        }
        if may_read_alices {
            continue;
        }
        // Nothing of Alice's in the answer, except an id the caller named itself.
        for id in objects.ids() {
            if body.contains(id) && !what.contains(id) && !objects.fill(door.2, who).contains(id) {
                wrong.push(format!("{who}: {what} read Alice's {id}: {body}"));
            }
        }
    }
    wrong
}

#[tokio::test]
async fn every_door_answers_each_caller_and_role_as_the_contract_says() {
    // Workers enough for both sets' creates and the callers' own at once.
    let app = TestApp::builder()
        .create_seconds(60.0)
        .job_workers(8)
        .configure(|c| {
            c.approvals.approval_rules =
                Some("11111111-2222-3333-4444-555555555555/rg-aks-dev>900".into())
        })
        .spawn()
        .await;
    let first = AliceObjects::create(&app, "a").await;
    let second = AliceObjects::create(&app, "b").await;
    let open_stream = |Caller(user, roles): Caller| {
        app.http
            .get(app.url("/api/events"))
            .header("X-Dev-User", user)
            .header("X-Dev-Roles", roles)
            .send()
    };
    let mut alice_events = open_stream(ALICE).await.expect("Alice's events");
    let mut bob_events = open_stream(BOB).await.expect("Bob's events");
    let mut rita_events = open_stream(RITA).await.expect("Rita's events");
    let mut ada_events = open_stream(ADA).await.expect("Ada's events");

    // Bob, Rita and nobody: refused what is not theirs, and nothing of Alice's changes.
    let before = alice_snapshot(&app, &first).await;
    assert_eq!(before["running_status"], "running", "{before}");
    let mut wrong = Vec::new();
    wrong.extend(knock_all(&app, &first, Some(BOB), 1, false).await);
    wrong.extend(knock_all(&app, &first, Some(RITA), 2, false).await);
    wrong.extend(knock_all(&app, &first, None, 4, false).await);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        alice_snapshot(&app, &first).await,
        before,
        "Bob, Rita and nobody changed nothing of Alice's"
    );

    // Ada, an admin: sees Alice's tasks, stops her create and deletes what her stop left.
    let wrong = knock_all(&app, &first, Some(ADA), 3, true).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Stop answers at once; the create ends once the runner has aborted it in Azure.
    app.wait_task(ALICE.0, &first.running_task, finished).await;
    let after_ada = alice_snapshot(&app, &first).await;
    assert_eq!(after_ada["running_status"], "cancelled", "{after_ada}");
    assert!(
        after_ada["deletes"].as_u64() > before["deletes"].as_u64(),
        "the partial cluster's delete reached Azure: {after_ada}"
    );
    let failures = after_ada["failures"].as_array().expect("ids");
    assert!(
        failures.iter().any(|id| id == first.failed_job.as_str()),
        "an admin does not dismiss another user's failure: {after_ada}"
    );
    assert!(
        !failures.iter().any(|id| id == first.partial_job.as_str()),
        "what the admin deleted no longer needs Alice's attention: {after_ada}"
    );

    // Alice on her second set: her own writes take effect.
    for door in DOORS {
        let (what, status, body) = knock(&app, door, &second, Some(ALICE)).await;
        assert!(
            answers_as_expected(status, &body, door.3[0]),
            "alice: {what} → {status}: {body}"
        );
    }
    app.wait_task(ALICE.0, &second.running_task, finished).await;
    let after = alice_snapshot(&app, &second).await;
    assert_eq!(after["running_status"], "cancelled", "{after}");
    assert!(
        !after["failures"]
            .as_array()
            .expect("ids")
            .iter()
            .any(|id| id == second.failed_job.as_str() || id == second.partial_job.as_str()),
        "dismissed and deleted failures are gone: {after}"
    );

    // Alice's stream heard Ada stop her create and her own dismiss; Ada's heard Alice's create
    // end but none of her failures; Bob's and Rita's, open all along, heard nothing of hers.
    let heard = read_events(&mut alice_events, Duration::from_secs(10), |seen| {
        seen.contains(&second.failed_job) && seen.contains(&first.running_task)
    })
    .await;
    assert!(heard.contains("failure_dismissed"), "{heard}");
    assert!(heard.contains(&first.running_task), "{heard}");
    let ada_heard = read_events(&mut ada_events, Duration::from_secs(5), |seen| {
        seen.contains(&first.running_task)
    })
    .await;
    assert!(ada_heard.contains(&first.running_task), "{ada_heard}");
    assert!(!ada_heard.contains("failure_dismissed"), "{ada_heard}");
    for (who, events) in [("Bob", &mut bob_events), ("Rita", &mut rita_events)] {
        let heard = read_events(events, Duration::from_millis(300), |_| false).await;
        for id in first.ids().into_iter().chain(second.ids()) {
            assert!(
                !heard.contains(id),
                "{who}'s stream carried Alice's {id}: {heard}"
            );
        }
    }
}
