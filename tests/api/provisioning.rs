//! The provisioning API: the real server with its embedded ARM simulator (short create times),
//! spoken to over HTTP as `curl` would.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, creating, finished, provision_request, start_simulator};

#[tokio::test]
async fn a_provision_succeeds_and_shows_its_progress_on_the_way() {
    let api = TestApp::spawn().await;
    let accepted = api
        .provision(
            "alice",
            provision_request("koreacentral", "aks-ok", "Standard_D4s_v3", 2),
        )
        .await;
    assert_eq!(accepted["status"], "queued");
    let task_id = accepted["task_id"].as_str().expect("task id").to_owned();
    assert_eq!(accepted["status_url"], format!("/api/tasks/{task_id}"));
    assert!(accepted["job_id"].is_string());

    let seen = api.wait_task("alice", &task_id, finished).await;
    let last = seen.last().expect("answers");
    assert_eq!(last["status"], "succeeded", "{last}");
    assert_eq!(last["progress"]["phase"], "completed");
    assert!(
        last["result"]["portal_url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("https://portal.azure.com/#@")
    );

    // On the way the task showed the create step with Azure's view of the cluster.
    let creating = seen
        .iter()
        .find(|t| t["progress"]["cluster_state"] == "Creating")
        .expect("a Creating state was published");
    assert_eq!(creating["status"], "running");
    assert_eq!(creating["progress"]["phase"], "arm_create_or_update");
    assert_eq!(creating["progress"]["step"], 2);
    assert_eq!(creating["progress"]["total_steps"], 3);
    let pools = creating["progress"]["pools"].as_array().expect("pools");
    assert!(
        pools.iter().any(|p| p["name"] == "nodepool1"
            && p["vm_size"] == "Standard_D4s_v3"
            && p["count"] == 2)
    );
    assert!(creating["progress"]["arm_elapsed_seconds"].is_number());

    let state = api.simulator.state::<Value>().await;
    assert_eq!(state["counters"]["create_puts_accepted"], 1);
    let (_, clusters) = api.get("alice", "/api/aks/clusters").await;
    assert!(
        clusters["clusters"]
            .as_array()
            .expect("clusters")
            .iter()
            .any(|c| c["name"] == "aks-ok" && c["provisioning_state"] == "Succeeded")
    );
    // The card's list as the page shows it: server HTML with the new cluster's row.
    let (status, html) = api.get("alice", "/api/aks/cluster-list-html").await;
    assert_eq!(status, 200);
    let html = html.as_str().expect("the list is one JSON string of HTML");
    assert!(
        html.contains(r#"data-name="aks-ok""#) && html.contains(r#"data-state="Succeeded""#),
        "{html}"
    );
    assert!(!html.contains("No clusters in"), "{html}");
}

#[tokio::test]
async fn quota_and_blocked_size_failures_keep_azures_code_message_and_category() {
    let api = TestApp::spawn().await;
    let quota = api
        .provision(
            "bob",
            provision_request("eastus", "aks-quota", "Standard_D4s_v3", 3),
        )
        .await;
    let blocked = api
        .provision(
            "bob",
            provision_request("koreacentral", "aks-gpu", "Standard_NC24ads_A100_v4", 1),
        )
        .await;

    for (accepted, category) in [(&quota, "quota"), (&blocked, "sku_blocked")] {
        let task_id = accepted["task_id"].as_str().expect("task id");
        let seen = api.wait_task("bob", task_id, finished).await;
        let task = seen.last().expect("answers");
        assert_eq!(task["status"], "failed", "{task}");
        let error = &task["error"];
        assert_eq!(error["category"], category, "{task}");
        assert!(!error["code"].as_str().unwrap_or_default().is_empty());
        assert!(!error["message"].as_str().unwrap_or_default().is_empty());
        assert!(
            error["raw"]
                .as_str()
                .unwrap_or_default()
                .contains("\"code\""),
            "raw Azure body kept (AKS answers these unwrapped)"
        );
        // The error card's words come from the server, in the category it stored.
        assert_eq!(error["explanation"]["category"], category, "{task}");
        assert!(
            error["explanation"]["headline"]
                .as_str()
                .is_some_and(|h| !h.is_empty())
        );
    }

    let (status, recent) = api
        .get("bob", "/api/aks/recent-failed-provisions?hours=24&limit=10")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(recent["degraded"], false);
    let jobs = recent["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2);
    // Newest first, with the region from the payload.
    assert_eq!(jobs[0]["cluster_name"], "aks-gpu");
    assert_eq!(jobs[0]["region"], "koreacentral");
    assert_eq!(jobs[1]["cluster_name"], "aks-quota");
    assert_eq!(jobs[1]["error_code"], "ErrCode_InsufficientVCPUQuota");
    assert_eq!(jobs[1]["category"], "quota");
    assert_eq!(jobs[1]["explanation"]["category"], "quota", "{recent}");
    assert!(
        jobs[1]["explanation"]["headline"]
            .as_str()
            .is_some_and(|h| h.contains("vCPU")),
        "{recent}"
    );
    assert!(
        !jobs[1]["explanation"]["actions"]
            .as_array()
            .expect("actions")
            .is_empty()
    );
    assert_eq!(
        jobs[0]["explanation"]["category"], "sku_blocked",
        "{recent}"
    );
    assert!(jobs[0]["created_at"].as_i64() >= jobs[1]["created_at"].as_i64());

    // Other users see none of it.
    let (_, theirs) = api.get("carol", "/api/aks/recent-failed-provisions").await;
    assert_eq!(theirs["jobs"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn recent_failures_bounds_and_degraded_answer() {
    let api = TestApp::spawn().await;
    for (query, bound) in [
        ("hours=0", "hours"),
        ("hours=169", "hours"),
        ("limit=0", "limit"),
        ("limit=21", "limit"),
    ] {
        let (status, body) = api
            .get(
                "dana",
                &format!("/api/aks/recent-failed-provisions?{query}"),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(
            body["fields"][bound].is_string(),
            "{query} names {bound}: {body}"
        );
    }
    let (status, _) = api
        .get(
            "dana",
            "/api/aks/recent-failed-provisions?hours=168&limit=20",
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The database goes away: the answer is degraded, never a 500.
    api.server.state.storage.pool.close().await;
    let (status, body) = api.get("dana", "/api/aks/recent-failed-provisions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "jobs": [], "degraded": true }));

    // And a provision that cannot be stored is a 503 the client may retry, not a lost job.
    let (status, body) = api
        .post(
            "dana",
            "/api/aks/provision",
            &provision_request("koreacentral", "aks-x", "Standard_D2s_v3", 1),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["retryable"], true);
    assert!(body["retry_after_seconds"].as_u64().is_some());
}

#[tokio::test]
async fn bad_input_is_a_400_that_names_each_field() {
    let api = TestApp::spawn().await;
    let mut body = provision_request("mars", "-bad-", "Standard_Z9", 0);
    body["system_node_count"] = json!(4);
    body["resource_group"] = json!("x".repeat(91));
    let (status, err) = api.post("erin", "/api/aks/provision", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    for field in [
        "region",
        "cluster_name",
        "node_sku",
        "node_count",
        "system_node_count",
        "resource_group",
    ] {
        assert!(err["fields"][field].is_string(), "{field} named: {err}");
    }
    assert!(
        err["fields"]["cluster_name"]
            .as_str()
            .unwrap_or_default()
            .contains("63")
    );

    let res = api
        .http
        .post(format!("{}/api/aks/provision", api.base))
        .header("X-Dev-User", "erin")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Nothing half-written: no job exists for erin.
    let (_, active) = api.get("erin", "/api/aks/active-provisions").await;
    assert_eq!(active, json!([]));
}

#[tokio::test]
async fn another_users_task_is_forbidden_and_unknown_ones_are_not_found() {
    let api = TestApp::spawn().await;
    let accepted = api
        .provision(
            "frank",
            provision_request("koreacentral", "aks-frank", "Standard_D2s_v3", 1),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task id");

    let (status, _) = api.get("grace", &format!("/api/tasks/{task_id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api
        .post(
            "grace",
            &format!("/api/aks/cancel-provision/{task_id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api
        .get("frank", "/api/tasks/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.get("frank", "/api/tasks/not-a-task-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cancel_of_a_queued_job_stops_it_before_it_starts() {
    // No workers: the job stays queued.
    let api = TestApp::builder().job_workers(0).spawn().await;
    let accepted = api
        .provision(
            "hank",
            provision_request("koreacentral", "aks-q", "Standard_D2s_v3", 1),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task id");
    let (status, out) = api
        .post(
            "hank",
            &format!("/api/aks/cancel-provision/{task_id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["previous_status"], "queued");
    assert_eq!(out["cancelled"], true);
    assert_eq!(out["was_running"], false);
    assert_eq!(out["partial_cluster"], Value::Null);
    assert_eq!(
        api.simulator.state::<Value>().await["counters"]["create_puts_accepted"],
        0
    );
}

#[tokio::test]
async fn cancel_while_azure_creates_aborts_and_reports_the_partial_cluster() {
    let api = TestApp::builder().create_seconds(30.0).spawn().await;
    let accepted = api
        .provision(
            "ivy",
            provision_request("koreacentral", "aks-stop", "Standard_D2s_v3", 1),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task id").to_owned();
    api.wait_task("ivy", &task_id, creating).await;
    // Azure is slow to answer the abort: the job cannot end for 5 s, and the cancel does not
    // wait for it.
    api.simulator
        .add_fault(json!({"operation": "abort", "delay_seconds": 5}))
        .await;

    let (status, out) = api
        .post(
            "ivy",
            &format!("/api/aks/cancel-provision/{task_id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["previous_status"], "running");
    assert_eq!(out["was_running"], true);
    // Answered at once with the accepted state: the stop is under way, not waited for.
    assert_eq!(out["stopping"], true, "{out}");
    assert_eq!(out["cancelled"], false, "{out}");
    // The end comes on the task (and as a `task_ended` event).
    let ended = api
        .wait_task("ivy", &task_id, finished)
        .await
        .pop()
        .expect("answers");
    assert_eq!(ended["status"], "cancelled", "{ended}");
    let out = &ended["error"];
    let partial = &out["partial_cluster"];
    assert!(
        partial["resource_id"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/managedClusters/aks-stop"),
        "{out}"
    );
    assert!(
        partial["portal_url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("https://portal.azure.com/")
    );

    // The abort reached Azure, and the cluster resource is still there.
    let state = api.simulator.state::<Value>().await;
    assert!(
        state["counters"]["abort_requests"].as_u64() >= Some(1),
        "{state}"
    );
    assert!(
        state["clusters"]
            .as_array()
            .expect("clusters")
            .iter()
            .any(|c| c["name"] == "aks-stop")
    );

    // The failure list carries the partial cluster; deleting it removes the cluster.
    let (_, recent) = api.get("ivy", "/api/aks/recent-failed-provisions").await;
    let job = &recent["jobs"][0];
    assert_eq!(job["status"], "cancelled");
    assert!(job["partial_cluster"].is_object());
    let job_id = job["job_id"].as_str().expect("job id");
    let (status, del) = api
        .post(
            "ivy",
            "/api/aks/delete-partial-cluster",
            &json!({ "job_id": job_id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{del}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = api.simulator.state::<Value>().await;
        if !state["clusters"]
            .as_array()
            .expect("clusters")
            .iter()
            .any(|c| c["name"] == "aks-stop")
        {
            break;
        }
        assert!(Instant::now() < deadline, "cluster not deleted: {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A finished task: cancel is a no-op.
    let (status, out) = api
        .post(
            "ivy",
            &format!("/api/aks/cancel-provision/{task_id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(out["was_running"], false);
    assert_eq!(out["cancelled"], false);
    assert_eq!(out["previous_status"], "cancelled");
}

#[tokio::test]
async fn dismissed_and_superseded_failures_are_gone() {
    let api = TestApp::builder().create_seconds(0.5).spawn().await;
    let dismissed = api
        .provision(
            "jack",
            provision_request("eastus", "aks-d", "Standard_D4s_v3", 3),
        )
        .await;
    api.wait_task("jack", dismissed["task_id"].as_str().expect("id"), finished)
        .await;
    let superseded = api
        .provision(
            "jack",
            provision_request("eastus", "aks-s", "Standard_D4s_v3", 3),
        )
        .await;
    api.wait_task(
        "jack",
        superseded["task_id"].as_str().expect("id"),
        finished,
    )
    .await;
    let (_, recent) = api.get("jack", "/api/aks/recent-failed-provisions").await;
    assert_eq!(recent["jobs"].as_array().map(Vec::len), Some(2));

    let (status, _) = api
        .post(
            "jack",
            "/api/aks/dismiss-failure",
            &json!({ "job_id": dismissed["job_id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Someone else cannot dismiss it.
    let (status, _) = api
        .post(
            "kate",
            "/api/aks/dismiss-failure",
            &json!({ "job_id": superseded["job_id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The same cluster, now small enough: it succeeds and supersedes the failure.
    let retry = api
        .provision(
            "jack",
            provision_request("eastus", "aks-s", "Standard_D2s_v3", 1),
        )
        .await;
    let seen = api
        .wait_task("jack", retry["task_id"].as_str().expect("id"), finished)
        .await;
    assert_eq!(seen.last().expect("answers")["status"], "succeeded");

    let (_, recent) = api.get("jack", "/api/aks/recent-failed-provisions").await;
    assert_eq!(recent["jobs"], json!([]), "{recent}");
}

/// The request travels as the body's top-level fields (the server functions take it as one
/// flattened struct): pre-flight needs no cluster name; a provision without one is refused with
/// the field named, and a wrong type inside the request still names its field.
#[tokio::test]
async fn the_request_is_the_bodys_top_level_fields_and_the_name_is_optional_for_preflight_only() {
    let api = TestApp::spawn().await;
    let mut body = provision_request("westeurope", "aks-nameless", "Standard_D4s_v3", 2);
    body.as_object_mut().expect("object").remove("cluster_name");

    let (status, report) = api.post("nia", "/api/aks/preflight", &body).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(
        report["checks"].as_array().is_some_and(|c| !c.is_empty()),
        "{report}"
    );

    let (status, err) = api.post("nia", "/api/aks/provision", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(err["fields"]["cluster_name"].is_string(), "{err}");

    let mut wrong_type = provision_request("westeurope", "aks-typed", "Standard_D4s_v3", 2);
    wrong_type["node_count"] = json!("two");
    for path in ["/api/aks/provision", "/api/aks/preflight"] {
        let (status, err) = api.post("nia", path, &wrong_type).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {err}");
        assert!(err["fields"]["node_count"].is_string(), "{path}: {err}");
    }
    let (_, jobs) = api.get("nia", "/api/aks/active-provisions").await;
    assert_eq!(jobs, json!([]), "nothing half-written: {jobs}");
}

#[tokio::test]
async fn preflight_for_the_default_world() {
    let api = TestApp::spawn().await;
    let (status, report) = api
        .post(
            "lee",
            "/api/aks/preflight",
            &provision_request("eastus", "", "Standard_D4s_v3", 3),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], false);
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .expect("check")
    };
    assert_eq!(check("quota")["status"], "fail");
    assert_eq!(check("quota")["details"]["max_node_count"], 1);
    assert_eq!(report["max_node_count"], 1);
    assert_eq!(check("skus")["status"], "ok");
    // rg-aks-dev lives in koreacentral: a cluster of any region may belong to it.
    assert_eq!(check("resource_group")["status"], "ok");
    assert!(
        check("resource_group")["message"]
            .as_str()
            .unwrap_or_default()
            .contains("koreacentral")
    );

    let (_, report) = api
        .post(
            "lee",
            "/api/aks/preflight",
            &provision_request("koreacentral", "", "Standard_NC24ads_A100_v4", 1),
        )
        .await;
    assert_eq!(check_status(&report, "skus"), "fail");
    assert!(check_message(&report, "skus").contains("NotAvailableForSubscription"));

    // Another resource group is outside the default scope (AZURE_SCOPES unset): refused
    // before Azure is asked. (`scopes.rs` shows where a missing group may be created.)
    let mut other_rg = provision_request("westeurope", "", "Standard_D4s_v3", 3);
    other_rg["resource_group"] = json!("rg-new-one");
    let (status, refused) = api.post("lee", "/api/aks/preflight", &other_rg).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["code"], "scope_not_allowed");

    let (status, skus) = api
        .get("lee", "/api/aks/available-skus?region=koreacentral")
        .await;
    assert_eq!(status, StatusCode::OK);
    let gpu = skus["skus"]
        .as_array()
        .expect("skus")
        .iter()
        .find(|s| s["name"] == "Standard_NC24ads_A100_v4")
        .cloned()
        .expect("gpu sku");
    assert_eq!(gpu["available"], false);
    assert_eq!(gpu["reason"], "NotAvailableForSubscription");
}

fn check_status(report: &Value, name: &str) -> String {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == name)
        .map(|c| c["status"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

fn check_message(report: &Value, name: &str) -> String {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == name)
        .map(|c| c["message"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_dashboard_page_renders_with_200_while_storage_is_down() {
    let api = TestApp::spawn().await;
    api.server.state.storage.pool.close().await;
    let res = api
        .http
        .get(format!("{}/", api.base))
        .header("X-Dev-User", "mona")
        .send()
        .await
        .expect("page");
    // The page explains what it cannot show; a failing server function inside it does not turn
    // the whole page into an error answer.
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"data-testid="cluster-card""#));
}

#[tokio::test]
async fn a_failure_recorded_by_one_server_shows_through_another_on_the_same_postgres() {
    // Two replicas: one PostgreSQL database, one Azure (a standalone simulator).
    let azure = start_simulator(Duration::from_secs(2)).await;
    let worker = TestApp::builder()
        .fresh_postgres()
        .standalone_simulator(&azure)
        .spawn()
        .await;
    let reader = TestApp::builder()
        .database_url(worker.database_url())
        .standalone_simulator(&azure)
        .job_workers(0)
        .spawn()
        .await;
    worker
        .simulator
        .add_fault(json!({
            "operation": "create",
            "cluster_name": "aks-pg",
            "fail_after_seconds": 0.5,
            "code": "ZonalAllocationFailed",
            "message": "Allocation failed. We do not have sufficient capacity for the requested VM size in this zone."
        }))
        .await;

    let accepted = worker
        .provision(
            "olga",
            provision_request("koreacentral", "aks-pg", "Standard_D2s_v3", 1),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task id");
    let seen = worker.wait_task("olga", task_id, finished).await;
    assert_eq!(seen.last().expect("answers")["status"], "failed");

    let (status, task) = reader.get("olga", &format!("/api/tasks/{task_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(task["status"], "failed", "{task}");
    let (_, recent) = reader
        .get("olga", "/api/aks/recent-failed-provisions")
        .await;
    assert_eq!(recent["jobs"][0]["job_id"], accepted["job_id"], "{recent}");
    assert_eq!(recent["jobs"][0]["error_code"], "ZonalAllocationFailed");
    assert_eq!(recent["jobs"][0]["category"], "allocation");
    let state = reader.simulator.state::<Value>().await;
    assert_eq!(state["counters"]["faults_fired"], 1, "{state}");
    azure.shutdown().await;
}

/// A failure is classified once, as its job ends: the explanation is stored with the job and
/// every view reads it (issue 37). Shown by changing what a view would classify — Azure's
/// recorded code and raw answer — under the stored row: the views keep the stored words.
#[tokio::test]
async fn a_failures_explanation_is_stored_as_it_ends_and_read_not_classified_again() {
    let api = TestApp::spawn().await;
    let accepted = api
        .provision(
            "bob",
            provision_request("eastus", "aks-quota", "Standard_D4s_v3", 3),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task id");
    let seen = api.wait_task("bob", task_id, finished).await;
    let ended = seen.last().expect("answers").clone();
    assert_eq!(ended["status"], "failed", "{ended}");
    assert_eq!(
        ended["error"]["explanation"]["category"], "quota",
        "{ended}"
    );

    let storage = aks_dashboard::storage::Storage::connect(api.database_url())
        .await
        .expect("the server's database");
    let job_id = accepted["job_id"].as_str().expect("job id");
    let (stored,): (Option<String>,) =
        sqlx::query_as("SELECT explanation FROM job_state WHERE id = $1")
            .bind(job_id)
            .fetch_one(&storage.pool)
            .await
            .expect("the row");
    let stored: Value = serde_json::from_str(&stored.expect("stored as the job ended"))
        .expect("the explanation's JSON");
    assert_eq!(
        stored, ended["error"]["explanation"],
        "the API shows what is stored"
    );

    // What a view would classify now says something else entirely.
    let other = r#"{"error":{"code":"SkuNotAvailable","message":"not offered here"}}"#;
    sqlx::query(
        "UPDATE job_state SET error_code = 'SkuNotAvailable', raw_error = $1 WHERE id = $2",
    )
    .bind(other)
    .bind(job_id)
    .execute(&storage.pool)
    .await
    .expect("change the recorded error");
    let (_, task) = api.get("bob", &format!("/api/tasks/{task_id}")).await;
    assert_eq!(task["error"]["code"], "SkuNotAvailable", "{task}");
    assert_eq!(task["error"]["explanation"], stored, "{task}");
    assert_eq!(task["error"]["headline"], stored["headline"], "{task}");
    let (_, recent) = api.get("bob", "/api/aks/recent-failed-provisions").await;
    assert_eq!(recent["jobs"][0]["explanation"], stored, "{recent}");

    // A job that ended without one (before explanations were stored) is classified when read.
    sqlx::query("UPDATE job_state SET explanation = NULL WHERE id = $1")
        .bind(job_id)
        .execute(&storage.pool)
        .await
        .expect("forget it");
    let (_, task) = api.get("bob", &format!("/api/tasks/{task_id}")).await;
    assert_eq!(
        task["error"]["explanation"]["category"], "sku_blocked",
        "{task}"
    );
}

/// Issue 38: a runner reads a resource group's existence at most once a minute, however many of
/// its creates go there — not once per job.
#[tokio::test]
async fn creates_in_one_resource_group_read_it_once_between_them() {
    let api = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for (i, user) in ["ana", "ben", "cy", "dee"].into_iter().enumerate() {
        let accepted = api
            .provision(
                user,
                provision_request(
                    "koreacentral",
                    &format!("aks-rg-once-{i}"),
                    "Standard_D2s_v3",
                    1,
                ),
            )
            .await;
        tasks.push((
            user,
            accepted["task_id"].as_str().expect("task id").to_owned(),
        ));
    }
    for (user, task_id) in &tasks {
        let seen = api
            .wait_task(user, task_id, |t| creating(t) || finished(t))
            .await;
        let last = seen.last().expect("answers");
        assert!(last["status"] != "failed", "{last}");
    }
    let state: Value = api.simulator.state().await;
    assert_eq!(
        crate::helpers::arm_requests(&state, "resource_group"),
        1,
        "four creates, one read of their group: {state}"
    );
    assert_eq!(crate::helpers::arm_requests(&state, "create"), 4, "{state}");
}
