//! Where the dashboard may work (`AZURE_SCOPES`): every door that names a subscription and
//! resource group refuses one outside the allowed scopes for the caller's role with 403
//! `scope_not_allowed` before any Azure call; a missing resource group is created only inside a
//! `subscription/*` scope; and each scope has its own cap of in-flight creates.

use aks_dashboard::config::DEFAULT_SUBSCRIPTION_ID as SUB;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, creating, finished, provision_request};

const OTHER_SUB: &str = "33333333-2222-3333-4444-555555555555";

/// A dev caller with a role: the status and JSON body of `method path [body]`.
async fn call(
    app: &TestApp,
    (user, role): (&str, &str),
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app
        .http
        .request(method, app.url(path))
        .header("X-Dev-User", user)
        .header("X-Dev-Roles", role);
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn request_in(subscription: &str, group: &str, name: &str) -> Value {
    let mut r = provision_request("koreacentral", name, "Standard_D2s_v3", 1);
    r["subscription_id"] = json!(subscription);
    r["resource_group"] = json!(group);
    r
}

/// Every authenticated ARM call the simulator has answered.
async fn azure_calls(app: &TestApp) -> u64 {
    let state: Value = app.simulator.state().await;
    state["counters"]["requests"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or_default()
}

/// The answers of every door that names a scope, for `caller` in `sub/group`.
async fn doors_in(
    app: &TestApp,
    caller: (&str, &str),
    sub: &str,
    group: &str,
    name: &str,
) -> Vec<(String, StatusCode, Value)> {
    let scope = format!("{sub}%2F{group}");
    let request = request_in(sub, group, name);
    let mut answers = Vec::new();
    for (method, path, body) in [
        ("POST", "/api/aks/preflight".to_owned(), Some(&request)),
        ("GET", format!("/api/aks/clusters?scope={scope}"), None),
        (
            "GET",
            format!("/api/aks/cluster-list-html?scope={scope}"),
            None,
        ),
        (
            "GET",
            format!("/api/aks/available-skus?region=koreacentral&subscription_id={sub}"),
            None,
        ),
        ("POST", "/api/aks/provision".to_owned(), Some(&request)),
    ] {
        let (status, body) = call(app, caller, method, &path, body).await;
        answers.push((format!("{method} {path}"), status, body));
    }
    answers
}

#[tokio::test]
async fn each_door_answers_in_scope_and_refuses_other_groups_and_subscriptions_before_azure() {
    let app = TestApp::builder()
        .create_seconds(30.0)
        .job_workers(4)
        .configure(|c| {
            c.azure_scopes = Some(format!(
                "{SUB}/rg-aks-dev, {SUB}/rg-aks-test, {SUB}/rg-prod@admin"
            ))
        })
        .spawn()
        .await;
    let otto = ("otto", "operator");
    let ada = ("ada", "admin");

    // Outside: another group, another subscription, a group only admins may use. Refused, and
    // Azure never hears of it (first, while nothing else reads Azure).
    let before = azure_calls(&app).await;
    for (caller, sub, group) in [
        (otto, SUB, "rg-other"),
        (otto, OTHER_SUB, "rg-aks-dev"),
        (otto, SUB, "rg-prod"),
        (ada, OTHER_SUB, "rg-aks-dev"),
    ] {
        for (what, status, body) in doors_in(&app, caller, sub, group, "aks-outside").await {
            // The SKU door names only a subscription: the default one is allowed.
            if what.contains("available-skus") && sub == SUB {
                assert_eq!(status, StatusCode::OK, "{what}: {body}");
                continue;
            }
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{}: {what}: {body}",
                caller.0
            );
            assert_eq!(body["code"], "scope_not_allowed", "{what}: {body}");
        }
    }
    let skus_read = 2; // otto's two SKU reads of the default subscription may reach Azure
    assert!(
        azure_calls(&app).await <= before + skus_read,
        "no refused request reached Azure"
    );

    // In scope, both named groups: every door answers (the second group exists in the
    // simulator's world because the configuration names it).
    for (group, name) in [("rg-aks-dev", "aks-in-dev"), ("rg-aks-test", "aks-in-test")] {
        for (what, status, body) in doors_in(&app, otto, SUB, group, name).await {
            assert!(status.is_success(), "{group}: {what} → {status}: {body}");
        }
    }
    // The clusters door lists the scope it was asked for.
    let (_, list) = call(
        &app,
        otto,
        "GET",
        &format!("/api/aks/clusters?scope={SUB}%2Frg-aks-test"),
        None,
    )
    .await;
    assert_eq!(list["resource_group"], "rg-aks-test", "{list}");

    // The admin-only group is open to an admin.
    for (what, status, body) in doors_in(&app, ada, SUB, "rg-prod", "aks-prod").await {
        assert!(status.is_success(), "ada: {what} → {status}: {body}");
    }

    // A malformed scope names the field.
    let (status, body) = call(&app, otto, "GET", "/api/aks/clusters?scope=nope", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["fields"]["scope"].is_string(), "{body}");

    // The page says which scope it shows when the address asks for one the user may not see.
    let (_, session) = call(
        &app,
        otto,
        "GET",
        &format!("/api/session?scope={SUB}%2Frg-prod"),
        None,
    )
    .await;
    assert_eq!(
        session["scope"]["resource_group"], "rg-aks-dev",
        "{session}"
    );
    assert_eq!(
        session["scope_refused"],
        format!("{SUB}/rg-prod"),
        "{session}"
    );
    assert_eq!(
        session["scopes"].as_array().map(Vec::len),
        Some(2),
        "an operator picks among two: {session}"
    );
}

#[tokio::test]
async fn a_partial_cluster_is_deleted_only_in_a_scope_the_callers_role_may_use() {
    let app = TestApp::builder()
        .create_seconds(30.0)
        .configure(|c| c.azure_scopes = Some(format!("{SUB}/rg-aks-dev, {SUB}/rg-prod@admin")))
        .spawn()
        .await;
    // Ada, an admin, creates in the admin-only group and stops it: a cluster is left.
    let ada = ("ada", "admin");
    let (status, accepted) = call(
        &app,
        ada,
        "POST",
        "/api/aks/provision",
        Some(&request_in(SUB, "rg-prod", "aks-left")),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let task = accepted["task_id"].as_str().expect("task").to_owned();
    let job = accepted["job_id"].as_str().expect("job").to_owned();
    app.wait_task("ada", &task, creating).await;
    let (status, _) = call(
        &app,
        ada,
        "POST",
        &format!("/api/aks/cancel-provision/{task}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.wait_task("ada", &task, finished).await;

    // The same user, signed in as an operator now, may not touch the admin-only group.
    let deletes = |state: &Value| state["counters"]["delete_requests"].as_u64();
    let before: Value = app.simulator.state().await;
    let (status, refused) = call(
        &app,
        ("ada", "operator"),
        "POST",
        "/api/aks/delete-partial-cluster",
        Some(&json!({ "job_id": job })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["code"], "scope_not_allowed", "{refused}");
    let after: Value = app.simulator.state().await;
    assert_eq!(deletes(&after), deletes(&before), "nothing deleted");

    let (status, done) = call(
        &app,
        ada,
        "POST",
        "/api/aks/delete-partial-cluster",
        Some(&json!({ "job_id": job })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
}

#[tokio::test]
async fn a_missing_resource_group_is_created_only_inside_a_subscription_wide_scope() {
    let app = TestApp::builder()
        .create_seconds(1.0)
        .configure(|c| c.azure_scopes = Some(format!("{SUB}/rg-aks-dev, {SUB}/*@admin")))
        .spawn()
        .await;
    let request = request_in(SUB, "rg-made-here", "aks-new-group");
    // An operator's scopes name groups only: a new group is outside them.
    let (status, refused) = call(
        &app,
        ("otto", "operator"),
        "POST",
        "/api/aks/preflight",
        Some(&request),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    let ada = ("ada", "admin");
    let (status, report) = call(&app, ada, "POST", "/api/aks/preflight", Some(&request)).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let rg = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "resource_group"))
        .cloned()
        .expect("resource_group check");
    assert_eq!(rg["status"], "ok", "{report}");
    assert!(
        rg["message"]
            .as_str()
            .unwrap_or_default()
            .contains("will be created"),
        "{rg}"
    );

    let (status, accepted) = call(&app, ada, "POST", "/api/aks/provision", Some(&request)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let task = accepted["task_id"].as_str().expect("task");
    let seen = app.wait_task("ada", task, finished).await;
    assert_eq!(seen.last().expect("answers")["status"], "succeeded");
    let state: Value = app.simulator.state().await;
    assert!(
        state["resource_groups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g["name"] == "rg-made-here")),
        "{state}"
    );
}

#[tokio::test]
async fn each_scope_has_its_own_cap_of_in_flight_creates() {
    let app = TestApp::builder()
        .create_seconds(60.0)
        .job_workers(4)
        .configure(|c| {
            c.azure_scopes = Some(format!("{SUB}/rg-aks-dev, {SUB}/rg-aks-test"));
            c.jobs.max_per_scope = 2;
        })
        .spawn()
        .await;
    // Two users fill rg-aks-dev (each far below their own cap).
    for (user, name) in [("una", "aks-cap-1"), ("uwe", "aks-cap-2")] {
        let (status, body) = call(
            &app,
            (user, "operator"),
            "POST",
            "/api/aks/provision",
            Some(&request_in(SUB, "rg-aks-dev", name)),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let res = app
        .http
        .post(app.url("/api/aks/provision"))
        .header("X-Dev-User", "ulf")
        .json(&request_in(SUB, "rg-aks-dev", "aks-cap-3"))
        .send()
        .await
        .expect("provision");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        res.headers().get("retry-after").is_some(),
        "Retry-After is sent"
    );
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "too_many_provisions_in_scope", "{body}");
    // Another scope is not full.
    let (status, body) = call(
        &app,
        ("ulf", "operator"),
        "POST",
        "/api/aks/provision",
        Some(&request_in(SUB, "rg-aks-test", "aks-cap-3")),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

/// The calls the simulator answered for `operation` (`list`, `resource_group`, …).
async fn azure_calls_of(app: &TestApp, operation: &str) -> u64 {
    let state: Value = app.simulator.state().await;
    state["counters"]["requests"][operation]
        .as_u64()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_reader_typing_group_names_cannot_spend_the_dashboards_azure_reads() {
    let app = TestApp::builder()
        .configure(|c| {
            c.azure_scopes = Some(format!("{SUB}/*"));
            c.reads_per_minute = 120;
        })
        .spawn()
        .await;
    let reader = ("rita", "reader");

    // A group name Azure would refuse never reaches it: 400 naming scope.
    let before = azure_calls(&app).await;
    for group in ["rg%20with%20space", "rg.", "%3Cscript%3E", &"r".repeat(91)] {
        let (status, body) = call(
            &app,
            reader,
            "GET",
            &format!("/api/aks/clusters?scope={SUB}%2F{group}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{group}: {body}");
        assert!(
            body["fields"]["scope"]
                .as_str()
                .is_some_and(|rule| rule.contains("90 characters")),
            "{group}: {body}"
        );
    }
    assert_eq!(azure_calls(&app).await, before, "nothing reached Azure");

    // 600 made-up (well-formed) group names, as fast as a script can ask.
    let lists_before = azure_calls_of(&app, "list").await;
    let mut limited = 0;
    for i in 0..600 {
        let (status, body) = call(
            &app,
            reader,
            "GET",
            &format!("/api/aks/clusters?scope={SUB}%2Frg-made-up-{i}"),
            None,
        )
        .await;
        match status {
            StatusCode::OK => assert_eq!(body["clusters"], json!([]), "{body}"),
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(body["code"], "rate_limited", "{body}");
                limited += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(limited >= 400, "{limited} of 600 refused");
    // A name read before is answered from what Azure said ("no such group"), not asked again,
    // and does not count against the limit.
    for _ in 0..20 {
        let (status, _) = call(
            &app,
            reader,
            "GET",
            &format!("/api/aks/clusters?scope={SUB}%2Frg-made-up-0"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    // Background refreshes included: a group that does not exist is not read again soon.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let reached = azure_calls_of(&app, "list").await - lists_before;
    eprintln!("600 made-up group reads of one reader: {limited} refused, {reached} reached Azure");
    assert!(reached <= 150, "{reached} cluster lists read from Azure");

    // Another user is not held by rita's limit.
    let (status, _) = call(
        &app,
        ("otto", "operator"),
        "GET",
        &format!("/api/aks/clusters?scope={SUB}%2Frg-otto"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
