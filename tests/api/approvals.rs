//! Creates that wait for an admin (issue 39), black-box: each kind of rule (a threshold, `>0`,
//! a scope budget, no prices) sends a create to approval with nothing sent to Azure; approve
//! queues exactly one create owned by the requester, even when two admins press it at once;
//! deny tells the requester who, when and why; requests expire and may be withdrawn; an admin
//! may not decide their own unless `APPROVAL_SELF`; a local webhook receiver hears every
//! request and decision, and a dead one changes nothing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, finished, read_events};

const SUB: &str = "11111111-2222-3333-4444-555555555555";

/// rg-prod: creates over 500 USD/month wait; rg-gate: every create waits; rg-aks-dev: none.
fn rules(app: crate::helpers::TestAppBuilder) -> crate::helpers::TestAppBuilder {
    app.configure(|c| {
        c.azure_scopes = Some(format!("{SUB}/rg-aks-dev, {SUB}/rg-prod, {SUB}/rg-gate"));
        c.approvals.approval_rules = Some(format!("{SUB}/rg-prod>500, {SUB}/rg-gate>0"));
    })
}

/// A create in `group`: `big` is 3 × D8s_v3 (≈ 996 USD/month in koreacentral), else 1 × D2s_v3
/// (≈ 153).
fn create(group: &str, name: &str, big: bool) -> Value {
    let (sku, count) = if big {
        ("Standard_D8s_v3", 3)
    } else {
        ("Standard_D2s_v3", 1)
    };
    json!({
        "subscription_id": SUB,
        "resource_group": group,
        "region": "koreacentral",
        "cluster_name": name,
        "node_sku": sku,
        "node_count": count,
        "system_vm_size": "Standard_D2s_v3",
        "system_node_count": 1
    })
}

/// `method path` as `user` with `roles` (`X-Dev-Roles`), checked against the OpenAPI document.
async fn call(
    app: &TestApp,
    user: &str,
    roles: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let method_ = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app
        .http
        .request(method_, app.url(path))
        .header("X-Dev-User", user)
        .header("X-Dev-Roles", roles);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    crate::helpers::openapi::check(method, path, status.as_u16(), &body);
    (status, body)
}

async fn approvals(app: &TestApp, user: &str, roles: &str) -> Value {
    let (status, list) = call(app, user, roles, "GET", "/api/approvals", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list
}

/// Asks for a create that must wait; the approval as answered.
async fn ask(app: &TestApp, user: &str, roles: &str, body: Value) -> Value {
    let (status, accepted) = call(app, user, roles, "POST", "/api/aks/provision", Some(body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_eq!(accepted["status"], "awaiting_approval", "{accepted}");
    assert_eq!(
        accepted["job_id"],
        Value::Null,
        "no job until approved: {accepted}"
    );
    assert_eq!(
        accepted["approval_id"], accepted["approval"]["id"],
        "{accepted}"
    );
    assert_eq!(
        accepted["reason"], accepted["approval"]["reason"],
        "{accepted}"
    );
    assert_eq!(accepted["approval"]["status"], "pending", "{accepted}");
    accepted["approval"].clone()
}

async fn decide(
    app: &TestApp,
    user: &str,
    roles: &str,
    id: &str,
    action: &str,
    note: Option<&str>,
) -> (StatusCode, Value) {
    let body = note.map(|n| json!({ "note": n }));
    call(
        app,
        user,
        roles,
        "POST",
        &format!("/api/approvals/{id}/{action}"),
        body,
    )
    .await
}

/// Ada (with `note`) and Abe approve `id` at the same moment: one wins, the other is told it was
/// already decided. The winner's answer.
async fn approve_twice_at_once(app: &TestApp, id: &str, note: Option<&str>) -> Value {
    let (a, b) = tokio::join!(
        decide(app, "ada", "admin", id, "approve", note),
        decide(app, "abe", "admin", id, "approve", Some("fine by me")),
    );
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.1, b.1);
    let (winner, loser) = if a.0 == StatusCode::OK {
        (a.1, b.1)
    } else {
        (b.1, a.1)
    };
    assert_eq!(loser["code"], "already_decided", "{loser}");
    let said = loser["message"].as_str().unwrap_or_default();
    assert!(said.contains("approved by"), "{loser}");
    winner
}

async fn creates_accepted(app: &TestApp) -> u64 {
    app.simulator.state::<Value>().await["counters"]["create_puts_accepted"]
        .as_u64()
        .expect("counter")
}

fn row<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
}

/// The kinds of `user`'s history entries about `cluster`, oldest first.
async fn history_kinds(app: &TestApp, user: &str, roles: &str, cluster: &str) -> Vec<String> {
    let (status, page) = call(
        app,
        user,
        roles,
        "GET",
        &format!("/api/history?cluster={cluster}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut kinds: Vec<String> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    kinds.reverse();
    kinds
}

#[tokio::test]
async fn a_create_over_the_threshold_waits_and_one_approval_makes_one_create_owned_by_the_requester()
 {
    let app = rules(TestApp::builder()).spawn().await;
    // Under the threshold: no row, and the create is queued as any other.
    let (status, report) = call(
        &app,
        "alice",
        "operator",
        "POST",
        "/api/aks/preflight",
        Some(create("rg-prod", "aks-small", false)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(row(&report, "approval").is_none(), "{report}");
    let (status, small) = call(
        &app,
        "alice",
        "operator",
        "POST",
        "/api/aks/provision",
        Some(create("rg-prod", "aks-small", false)),
    )
    .await;
    assert_eq!(
        (status, &small["status"]),
        (StatusCode::ACCEPTED, &json!("queued")),
        "{small}"
    );

    // Followed to its end, so that what Azure counts next is the big one's alone.
    let small_task = small["task_id"].as_str().expect("task").to_owned();
    app.wait_task("alice", &small_task, finished).await;

    // Over it: pre-flight says so before Create.
    let big = create("rg-prod", "aks-big", true);
    let (_, report) = call(
        &app,
        "alice",
        "operator",
        "POST",
        "/api/aks/preflight",
        Some(big.clone()),
    )
    .await;
    let approval_row = row(&report, "approval").expect("an approval row");
    assert_eq!(approval_row["status"], "warn");
    let message = approval_row["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Needs approval: over 500.00 USD/month in rg-prod"),
        "{message}"
    );
    assert_eq!(report["ok"], true, "a warning, not a failure: {report}");

    // The operator's page is told of the request and of the decision, live.
    let mut stream = app
        .http
        .get(app.url("/api/events"))
        .header("X-Dev-User", "alice")
        .send()
        .await
        .expect("stream");
    let before = creates_accepted(&app).await;
    let approval = ask(&app, "alice", "operator", big).await;
    let id = approval["id"].as_str().expect("id").to_owned();
    assert!(
        approval["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("over 500.00 USD/month")
    );
    assert!(
        approval["estimate"]["monthly"]
            .as_f64()
            .is_some_and(|m| m > 500.0),
        "{approval}"
    );
    let seen = read_events(&mut stream, Duration::from_secs(3), |s| {
        s.contains("approvals_changed")
    })
    .await;
    assert!(seen.contains("event: approvals_changed"), "{seen}");

    // Nothing reached Azure.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        creates_accepted(&app).await,
        before,
        "a request awaiting approval sends nothing"
    );

    // The requester sees it as theirs; an admin sees it in the queue.
    let mine = approvals(&app, "alice", "operator").await;
    assert_eq!(
        mine["approvals"].as_array().map(Vec::len),
        Some(1),
        "{mine}"
    );
    assert_eq!(mine["approvals"][0]["id"], id.as_str());
    assert_eq!(mine["approvals"][0]["may_withdraw"], true);
    assert_eq!(mine["approvals"][0]["may_decide"], false);
    assert_eq!(
        approvals(&app, "bob", "operator").await["approvals"],
        json!([]),
        "another operator sees none of it"
    );
    let queue = approvals(&app, "ada", "admin").await;
    assert_eq!(queue["approvals"][0]["id"], id.as_str(), "{queue}");
    assert_eq!(queue["approvals"][0]["may_decide"], true);
    assert_eq!(queue["approvals"][0]["requester"], "alice");
    assert_eq!(queue["approvals"][0]["cluster_name"], "aks-big");

    // An operator may not approve.
    let (status, e) = decide(&app, "alice", "operator", &id, "approve", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["needed_role"], "admin");

    // Two admins at once: one create.
    let winner = approve_twice_at_once(&app, &id, Some("ok for the launch")).await;
    assert_eq!(winner["status"], "approved");
    let task_id = winner["task_id"].as_str().expect("task").to_owned();

    // The create is Alice's: her stream hears it, she follows it, it succeeds; Azure saw one.
    let seen = read_events(&mut stream, Duration::from_secs(3), |s| {
        s.contains(&task_id)
    })
    .await;
    assert!(seen.contains(&task_id), "{seen}");
    let seen = app.wait_task("alice", &task_id, finished).await;
    let last = seen.last().expect("an answer");
    assert_eq!(last["status"], "succeeded", "{last}");
    let sim = app.simulator.state::<Value>().await;
    let made = sim["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .filter(|c| c["name"] == "aks-big")
        .count();
    assert_eq!(made, 1);
    assert_eq!(
        creates_accepted(&app).await,
        before + 1,
        "one create for two approvals"
    );

    // Recorded, with who.
    let kinds = history_kinds(&app, "alice", "operator", "aks-big").await;
    assert_eq!(
        kinds[..3],
        ["approval_requested", "approved", "create_requested"],
        "{kinds:?}"
    );
    let csv = app
        .http
        .get(app.url("/api/history?format=csv&cluster=aks-big"))
        .header("X-Dev-User", "alice")
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(
        csv.contains("approval_requested") && csv.contains("approved"),
        "{csv}"
    );
    let note = winner["note"].as_str().expect("the winner's note");
    assert!(csv.contains(note), "the approver's note: {csv}");
}

#[tokio::test]
async fn every_create_of_a_zero_rule_waits_and_a_denial_tells_who_when_and_why() {
    let app = rules(TestApp::builder()).spawn().await;
    let before = creates_accepted(&app).await;
    let approval = ask(
        &app,
        "alice",
        "operator",
        create("rg-gate", "aks-gated", false),
    )
    .await;
    let id = approval["id"].as_str().expect("id").to_owned();
    assert!(
        approval["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("every create in rg-gate"),
        "{approval}"
    );
    // The same cluster asked for again while it waits: refused, naming the field.
    let (status, e) = call(
        &app,
        "alice",
        "operator",
        "POST",
        "/api/aks/provision",
        Some(create("rg-gate", "aks-gated", false)),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], "approval_pending");
    assert!(e["fields"]["cluster_name"].is_string(), "{e}");

    // A denial says why.
    let (status, e) = decide(&app, "ada", "admin", &id, "deny", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["fields"]["note"]
            .as_str()
            .unwrap_or_default()
            .contains("Say why"),
        "{e}"
    );
    let (status, e) = decide(&app, "ada", "admin", &id, "deny", Some(&"x".repeat(501))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["fields"]["note"]
            .as_str()
            .unwrap_or_default()
            .contains("500"),
        "{e}"
    );
    let (status, denied) = decide(
        &app,
        "ada",
        "admin",
        &id,
        "deny",
        Some("use rg-aks-dev for tests"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{denied}");
    assert_eq!(denied["status"], "denied");

    let mine = approvals(&app, "alice", "operator").await;
    let card = &mine["approvals"][0];
    assert_eq!(card["status"], "denied", "{mine}");
    assert_eq!(card["decided_by"], "ada");
    assert_eq!(card["note"], "use rg-aks-dev for tests");
    assert!(
        card["decided_at"]
            .as_i64()
            .is_some_and(|t| t >= card["created_at"].as_i64().unwrap_or(i64::MAX))
    );
    assert_eq!(card["may_withdraw"], false);
    // Ada's list: nothing waits; what she decided is there.
    let adas = approvals(&app, "ada", "admin").await;
    assert_eq!(adas["approvals"][0]["status"], "denied", "{adas}");
    assert_eq!(
        adas["approvals"].as_array().map(Vec::len),
        Some(1),
        "{adas}"
    );

    // Decided once: no approval, no withdrawal after it; nothing reached Azure.
    let (status, e) = decide(&app, "abe", "admin", &id, "approve", None).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_decided")),
        "{e}"
    );
    let (status, _) = decide(&app, "alice", "operator", &id, "withdraw", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(creates_accepted(&app).await, before);
    let kinds = history_kinds(&app, "alice", "operator", "aks-gated").await;
    assert!(kinds.contains(&"denied".to_owned()), "{kinds:?}");
    assert!(!kinds.contains(&"create_requested".to_owned()), "{kinds:?}");

    // Withdraw: only the requester's own, then the name may be asked for again.
    let again = ask(
        &app,
        "alice",
        "operator",
        create("rg-gate", "aks-gated", false),
    )
    .await;
    let again_id = again["id"].as_str().expect("id");
    let (status, e) = decide(&app, "bob", "operator", again_id, "withdraw", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let (status, e) = decide(&app, "ada", "admin", again_id, "withdraw", None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an admin approves or denies: {e}"
    );
    let (status, withdrawn) = decide(&app, "alice", "operator", again_id, "withdraw", None).await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    assert_eq!(withdrawn["status"], "withdrawn");
    let kinds = history_kinds(&app, "alice", "operator", "aks-gated").await;
    assert!(
        kinds.ends_with(&["approval_requested".to_owned(), "withdrawn".to_owned()]),
        "{kinds:?}"
    );
    ask(
        &app,
        "alice",
        "operator",
        create("rg-gate", "aks-gated", false),
    )
    .await;

    // Approve runs pre-flight again: a request that no longer fits the quota is refused with
    // the failing check, and still waits.
    let mut over_quota = create("rg-gate", "aks-quota", false);
    over_quota["region"] = "eastus".into();
    over_quota["node_sku"] = "Standard_D4s_v3".into();
    over_quota["node_count"] = 3.into();
    let waiting = ask(&app, "alice", "operator", over_quota).await;
    let waiting_id = waiting["id"].as_str().expect("id");
    let (status, e) = decide(&app, "ada", "admin", waiting_id, "approve", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], "preflight_failed");
    assert!(e["fields"]["quota"].is_string(), "the failing check: {e}");
    let mine = approvals(&app, "alice", "operator").await;
    let still = mine["approvals"]
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["id"] == waiting_id)
        .expect("listed");
    assert_eq!(still["status"], "pending", "{still}");

    let (status, _) = decide(&app, "ada", "admin", "no-such-request", "approve", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_may_not_decide_their_own_request_unless_allowed() {
    let app = rules(TestApp::builder()).spawn().await;
    let own = ask(&app, "ada", "admin", create("rg-prod", "aks-ada", true)).await;
    let id = own["id"].as_str().expect("id");
    let queue = approvals(&app, "ada", "admin").await;
    assert_eq!(queue["approvals"][0]["may_decide"], false, "{queue}");
    for action in ["approve", "deny"] {
        let (status, e) = decide(&app, "ada", "admin", id, action, Some("mine")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
        assert_eq!(e["code"], "self_approval");
    }
    let (status, _) = decide(&app, "abe", "admin", id, "approve", None).await;
    assert_eq!(status, StatusCode::OK);

    let allowed = rules(TestApp::builder())
        .configure(|c| c.approvals.approval_self = true)
        .spawn()
        .await;
    let own = ask(&allowed, "ada", "admin", create("rg-prod", "aks-ada", true)).await;
    let (status, approved) = decide(
        &allowed,
        "ada",
        "admin",
        own["id"].as_str().expect("id"),
        "approve",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
}

#[tokio::test]
async fn a_budget_counts_what_the_dashboards_clusters_in_the_scope_cost() {
    let app = TestApp::builder()
        .configure(|c| c.approvals.scope_budgets = Some(format!("{SUB}/rg-aks-dev=400")))
        .spawn()
        .await;
    // ≈ 153 USD each: two fit in 400, the third does not.
    for name in ["aks-b1", "aks-b2"] {
        let (status, accepted) = call(
            &app,
            "alice",
            "operator",
            "POST",
            "/api/aks/provision",
            Some(create("rg-aks-dev", name, false)),
        )
        .await;
        assert_eq!(
            (status, &accepted["status"]),
            (StatusCode::ACCEPTED, &json!("queued")),
            "{accepted}"
        );
    }
    let third = ask(
        &app,
        "bob",
        "operator",
        create("rg-aks-dev", "aks-b3", false),
    )
    .await;
    let reason = third["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("budget of 400.00 USD/month"), "{reason}");
    assert!(
        reason.contains("306.60 USD already"),
        "both earlier creates count: {reason}"
    );
}

#[tokio::test]
async fn without_prices_a_create_under_a_rule_waits_with_no_estimate() {
    let app = rules(TestApp::builder()).spawn().await;
    app.simulator
        .add_fault(json!({"operation": "retail_prices", "status": 503, "for_seconds": 120}))
        .await;
    let approval = ask(
        &app,
        "alice",
        "operator",
        create("rg-prod", "aks-unpriced", false),
    )
    .await;
    assert_eq!(approval["estimate"], Value::Null, "{approval}");
    assert!(
        approval["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("no estimate"),
        "{approval}"
    );
    // Where no rule applies, the create goes on without prices.
    let (status, accepted) = call(
        &app,
        "alice",
        "operator",
        "POST",
        "/api/aks/provision",
        Some(create("rg-aks-dev", "aks-free", false)),
    )
    .await;
    assert_eq!(
        (status, &accepted["status"]),
        (StatusCode::ACCEPTED, &json!("queued")),
        "{accepted}"
    );
}

#[tokio::test]
async fn a_request_nobody_decides_expires() {
    let app = rules(TestApp::builder())
        .configure(|c| c.approvals.approval_expires_hours = 0.0005)
        .spawn()
        .await;
    let approval = ask(
        &app,
        "alice",
        "operator",
        create("rg-gate", "aks-late", false),
    )
    .await;
    let id = approval["id"].as_str().expect("id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let kinds = history_kinds(&app, "alice", "operator", "aks-late").await;
        if kinds.contains(&"expired".to_owned()) {
            break;
        }
        assert!(Instant::now() < deadline, "never expired: {kinds:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mine = approvals(&app, "alice", "operator").await;
    assert_eq!(mine["approvals"][0]["status"], "expired", "{mine}");
    let (status, e) = decide(&app, "ada", "admin", &id, "approve", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{e}"
    );
}

/// A local webhook receiver: every JSON body it is sent.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().expect("lock").push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got)
}

#[tokio::test]
async fn the_webhook_hears_every_request_and_decision_and_a_dead_one_changes_nothing() {
    let (url, got) = receiver().await;
    let app = rules(TestApp::builder())
        .configure(move |c| c.approvals.approval_webhook_url = Some(url))
        .spawn()
        .await;
    let a = ask(
        &app,
        "alice",
        "operator",
        create("rg-gate", "aks-w1", false),
    )
    .await;
    let b = ask(
        &app,
        "alice",
        "operator",
        create("rg-gate", "aks-w2", false),
    )
    .await;
    let c = ask(
        &app,
        "alice",
        "operator",
        create("rg-gate", "aks-w3", false),
    )
    .await;
    let id = |v: &Value| v["id"].as_str().expect("id").to_owned();
    assert_eq!(
        decide(&app, "ada", "admin", &id(&a), "approve", None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        decide(&app, "ada", "admin", &id(&b), "deny", Some("too big"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        decide(&app, "alice", "operator", &id(&c), "withdraw", None)
            .await
            .0,
        StatusCode::OK
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let events = loop {
        let events: Vec<Value> = got.lock().expect("lock").clone();
        if events.len() >= 6 || Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "approval_requested",
            "approval_requested",
            "approval_requested",
            "approved",
            "denied",
            "withdrawn"
        ]
    );
    for e in &events {
        let text = e["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("aks-w"),
            "a chat message that names the cluster: {e}"
        );
        assert_eq!(e["approval"]["subscription_id"], SUB);
        assert!(e["approval"]["id"].is_string());
        assert_eq!(
            e.as_object().map(|o| o.len()),
            Some(3),
            "text, event, approval: {e}"
        );
    }
    let denied = events
        .iter()
        .find(|e| e["event"] == "denied")
        .expect("denied");
    assert_eq!(denied["approval"]["note"], "too big");
    assert_eq!(denied["approval"]["decided_by"], "ada");
    assert!(
        denied["text"]
            .as_str()
            .unwrap_or_default()
            .contains("too big")
    );

    // A webhook that never answers: requests and decisions go on, and the failures are counted.
    let dead = rules(TestApp::builder())
        .configure(|c| c.approvals.approval_webhook_url = Some("http://127.0.0.1:9/hook".into()))
        .spawn()
        .await;
    let started = Instant::now();
    let a = ask(
        &dead,
        "alice",
        "operator",
        create("rg-gate", "aks-d1", false),
    )
    .await;
    let (status, approved) = decide(&dead, "ada", "admin", &id(&a), "approve", None).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the webhook held the flow up"
    );
    let seen = dead
        .wait_task(
            "alice",
            approved["task_id"].as_str().expect("task"),
            finished,
        )
        .await;
    assert_eq!(seen.last().expect("answer")["status"], "succeeded");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = dead
            .http
            .get(dead.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        if metrics.contains(r#"aks_approval_webhook_total{outcome="failed"}"#) {
            assert!(metrics.contains(r#"aks_approval_webhook_total{outcome="retried"}"#));
            break;
        }
        assert!(Instant::now() < deadline, "no failure counted:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn on_postgresql_two_approvals_at_once_make_one_create_and_a_second_request_waits_its_turn() {
    let app = rules(TestApp::builder()).fresh_postgres().spawn().await;
    let approval = ask(
        &app,
        "alice",
        "operator",
        create("rg-gate", "aks-pg", false),
    )
    .await;
    let id = approval["id"].as_str().expect("id").to_owned();
    let (status, e) = call(
        &app,
        "bob",
        "operator",
        "POST",
        "/api/aks/provision",
        Some(create("rg-gate", "aks-pg", false)),
    )
    .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("approval_pending")),
        "{e}"
    );
    let before = creates_accepted(&app).await;
    let winner = approve_twice_at_once(&app, &id, None).await;
    let seen = app
        .wait_task("alice", winner["task_id"].as_str().expect("task"), finished)
        .await;
    assert_eq!(seen.last().expect("answer")["status"], "succeeded");
    assert_eq!(creates_accepted(&app).await, before + 1);
}
