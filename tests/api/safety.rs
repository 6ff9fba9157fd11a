//! Safe on a shared subscription: a create never touches a cluster it did not create, the
//! partial-cluster delete deletes only what the job left, following an accepted create rides out
//! Azure's bad moments, Stop always reaches Azure, and no job gets stuck (issue 9).

use std::time::{Duration, Instant};

use aks_dashboard::azure::{
    AgentPoolMode, AgentPoolProfile, ArmClient, ClusterRef, ManagedCluster,
};
use aks_dashboard::config::{DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ApiClient, DashboardProcess, PostgresDatabase, TestApp, arm_requests, clusters_named, creating,
    finished, provision_request, start_simulator,
};

fn cluster_ref(name: &str) -> ClusterRef {
    ClusterRef::new(DEFAULT_SUBSCRIPTION_ID, DEFAULT_RESOURCE_GROUP, name)
}

/// A colleague creates `name` without the dashboard (no job tag), and it finishes.
async fn create_outside_the_dashboard(arm: &ArmClient, name: &str) {
    let body = ManagedCluster::for_create(
        name,
        "koreacentral",
        None,
        vec![AgentPoolProfile::new(
            "system",
            "Standard_D2s_v3",
            1,
            AgentPoolMode::System,
        )],
    );
    let started = arm
        .create_or_update_cluster(&cluster_ref(name), &body)
        .await
        .expect("create outside the dashboard");
    arm.wait_for_operation(
        started.status_url().expect("operation url"),
        Duration::from_secs(30),
    )
    .await
    .expect("it finishes");
}

/// Deletes `name` without the dashboard (the portal) and waits until it is gone.
async fn delete_outside_the_dashboard(app: &TestApp, name: &str) {
    app.server
        .state
        .arm
        .delete_cluster(&cluster_ref(name))
        .await
        .expect("delete");
    wait_until(&format!("{name} is gone"), || async {
        cluster_of(app, name).await.is_none()
    })
    .await;
}

async fn cluster_of(app: &TestApp, name: &str) -> Option<Value> {
    let state: Value = app.simulator.state().await;
    state["clusters"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["name"] == name).cloned())
}

async fn wait_until<F, Fut>(what: &str, condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

fn counter(state: &Value, name: &str) -> u64 {
    state["counters"][name].as_u64().unwrap_or(0)
}

async fn start(app: &ApiClient, user: &str, name: &str) -> String {
    let accepted = app
        .provision(
            user,
            provision_request("koreacentral", name, "Standard_D2s_v3", 1),
        )
        .await;
    accepted["task_id"].as_str().expect("task id").to_owned()
}

async fn end_of(app: &ApiClient, user: &str, task_id: &str) -> Value {
    app.wait_task(user, task_id, finished)
        .await
        .pop()
        .expect("answers")
}

/// Stops a running create as the page does: the cancel is accepted at once (`stopping`), and
/// the end comes on the task. What the page then knows: `{job_id, cancelled, partial_cluster}`.
async fn stop(app: &ApiClient, user: &str, task_id: &str) -> Value {
    let (status, out) = app
        .post(
            user,
            &format!("/api/aks/cancel-provision/{task_id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert!(
        out["stopping"] == true || out["cancelled"] == true,
        "the stop was accepted: {out}"
    );
    let ended = end_of(app, user, task_id).await;
    json!({
        "job_id": out["job_id"],
        "cancelled": ended["status"] == "cancelled",
        "partial_cluster": ended["error"]["partial_cluster"],
    })
}

async fn failure_of(app: &ApiClient, user: &str, name: &str) -> Option<Value> {
    let (status, recent) = app.get(user, "/api/aks/recent-failed-provisions").await;
    assert_eq!(status, StatusCode::OK, "{recent}");
    recent["jobs"]
        .as_array()
        .and_then(|jobs| jobs.iter().find(|j| j["cluster_name"] == name).cloned())
}

async fn delete_partial(app: &ApiClient, user: &str, job_id: &str) -> (StatusCode, Value) {
    app.post(
        user,
        "/api/aks/delete-partial-cluster",
        &json!({ "job_id": job_id }),
    )
    .await
}

#[tokio::test]
async fn a_create_never_touches_a_cluster_someone_else_has() {
    let app = TestApp::spawn().await;
    create_outside_the_dashboard(&app.server.state.arm, "shared-x").await;

    // The dashboard has not read the resource group yet: the job finds the cluster in Azure.
    let task_id = start(&app, "alice", "shared-x").await;
    let end = end_of(&app, "alice", &task_id).await;
    assert_eq!(end["status"], "failed", "{end}");
    assert_eq!(end["error"]["code"], "cluster_exists", "{end}");
    assert!(end["error"]["partial_cluster"].is_null(), "{end}");
    let state: Value = app.simulator.state().await;
    assert_eq!(
        counter(&state, "create_puts_accepted"),
        1,
        "only the colleague's create was sent"
    );
    let theirs = cluster_of(&app, "shared-x").await.expect("still there");
    assert_eq!(theirs["provisioning_state"], "Succeeded");
    assert_eq!(theirs["agent_pools"].as_array().map(Vec::len), Some(1));

    // Once the dashboard knows the cluster, the API refuses at once.
    let (status, _) = app.get("alice", "/api/aks/clusters").await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = app
        .post(
            "alice",
            "/api/aks/provision",
            &provision_request("koreacentral", "SHARED-X", "Standard_D2s_v3", 1),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["code"], "cluster_exists");
    assert!(err["fields"]["cluster_name"].is_string(), "{err}");

    // Pre-flight says so in its `name` row.
    let (status, report) = app
        .post(
            "alice",
            "/api/aks/preflight",
            &provision_request("koreacentral", "shared-x", "Standard_D2s_v3", 1),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let name_row = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "name"))
        .expect("a name row");
    assert_eq!(name_row["status"], "fail");
    assert!(
        name_row["message"]
            .as_str()
            .unwrap_or_default()
            .contains("already exists"),
        "{name_row}"
    );
    assert_eq!(report["ok"], false);
}

#[tokio::test]
async fn concurrent_creates_of_one_cluster_make_one_job() {
    let app = TestApp::builder().job_workers(0).spawn().await;
    let body = provision_request("koreacentral", "same-second", "Standard_D2s_v3", 1);
    let answers = futures_util::future::join_all((0..10).map(|i| {
        let body = body.clone();
        let app = &app;
        async move {
            app.post(&format!("user{}", i % 4), "/api/aks/provision", &body)
                .await
        }
    }))
    .await;
    let accepted = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::ACCEPTED)
        .count();
    assert_eq!(accepted, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::ACCEPTED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "cluster_busy", "{body}");
    }
}

#[tokio::test]
async fn following_rides_out_azure_failing_to_answer() {
    let app = TestApp::builder().create_seconds(5.0).spawn().await;
    // Longer than the client's own retry budget (5 s in tests): each poll gets a 503.
    app.simulator
        .add_fault(json!({"operation": "operation_status", "status": 503, "times": 6}))
        .await;
    let task_id = start(&app, "alice", "aks-slow").await;
    let seen = app.wait_task("alice", &task_id, finished).await;
    let end = seen.last().expect("answers");
    assert_eq!(end["status"], "succeeded", "{end}");
    assert!(
        seen.iter().any(|t| t["progress"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Azure is slow to answer; still following")),
        "the progress said so while Azure failed"
    );
    let cluster = cluster_of(&app, "aks-slow").await.expect("cluster");
    assert_eq!(cluster["provisioning_state"], "Succeeded");
    assert!(failure_of(&app, "alice", "aks-slow").await.is_none());
}

#[tokio::test]
async fn a_create_is_given_up_only_past_the_horizon_and_says_it_may_still_come_up() {
    let app = TestApp::builder()
        .create_seconds(20.0)
        .configure(|c| c.jobs.follow_horizon_seconds = 3.0)
        .spawn()
        .await;
    app.simulator
        .add_fault(json!({"operation": "operation_status", "status": 503, "times": 1000}))
        .await;
    let task_id = start(&app, "alice", "aks-dark").await;
    // Once Azure has accepted the create, it stops answering about the cluster too.
    wait_until("Azure has the cluster", || async {
        cluster_of(&app, "aks-dark").await.is_some()
    })
    .await;
    app.simulator
        .add_fault(
            json!({"operation": "get", "cluster_name": "aks-dark", "status": 503, "times": 1000}),
        )
        .await;
    let end = end_of(&app, "alice", &task_id).await;
    assert_eq!(end["status"], "failed", "{end}");
    assert_eq!(end["error"]["code"], "arm_unreachable", "{end}");
    assert!(
        end["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("may still be coming up"),
        "{end}"
    );
    // Azure answers again, and goes on creating it: the dashboard does not offer to delete it.
    app.simulator.clear_faults().await;
    let failure = failure_of(&app, "alice", "aks-dark").await.expect("listed");
    let (status, refused) =
        delete_partial(&app, "alice", failure["job_id"].as_str().expect("job id")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "cluster_not_partial", "{refused}");
    assert!(failure["delete_blocked"].is_string(), "{failure}");
    assert!(cluster_of(&app, "aks-dark").await.is_some());
}

#[tokio::test]
async fn stop_after_a_graceful_restart_reaches_azure() {
    let sim = start_simulator(Duration::from_secs(60)).await;
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let first = TestApp::builder()
        .database_url(&db)
        .standalone_simulator(&sim)
        .spawn()
        .await;
    let task_id = start(&first, "alice", "aks-restart").await;
    first.wait_task("alice", &task_id, creating).await;
    // The server stops gracefully: its runner hands the job back to the queue.
    let TestApp { server, .. } = first;
    server.stop().await.expect("graceful stop");

    let second = TestApp::builder()
        .database_url(&db)
        .standalone_simulator(&sim)
        .spawn()
        .await;
    let out = stop(&second, "alice", &task_id).await;
    assert_eq!(out["cancelled"], true, "{out}");
    assert!(out["partial_cluster"].is_object(), "{out}");
    assert_eq!(out["partial_cluster"]["abort_requested"], true, "{out}");
    let state = serde_json::to_value(sim.state()).expect("state");
    assert_eq!(counter(&state, "aborts_accepted"), 1, "{state}");
    sim.shutdown().await;
}

#[tokio::test]
async fn stop_after_a_crash_between_the_put_and_its_record_reaches_azure() {
    let app = TestApp::builder()
        .create_seconds(60.0)
        .configure(|c| c.jobs.test_panic = Some("aks-crashy@after_put".into()))
        .spawn()
        .await;
    let task_id = start(&app, "alice", "aks-crashy").await;
    // The run dies right after Azure accepted the create, before it wrote the operation down;
    // the job waits in the queue for another try.
    wait_until("Azure has the cluster", || async {
        cluster_of(&app, "aks-crashy").await.is_some()
    })
    .await;
    let out = stop(&app, "alice", &task_id).await;
    assert_eq!(out["cancelled"], true, "{out}");
    assert!(
        out["partial_cluster"].is_object(),
        "the cluster exists, so the cancel says so: {out}"
    );
    let state: Value = app.simulator.state().await;
    assert_eq!(counter(&state, "aborts_accepted"), 1, "{state}");
}

#[tokio::test]
async fn a_panicking_job_fails_with_internal_error_after_a_few_tries() {
    let app = TestApp::builder()
        .configure(|c| c.jobs.test_panic = Some("aks-boom".into()))
        .spawn()
        .await;
    let task_id = start(&app, "alice", "aks-boom").await;
    let end = end_of(&app, "alice", &task_id).await;
    assert_eq!(end["status"], "failed", "{end}");
    assert_eq!(end["error"]["code"], "internal_error", "{end}");
    let job = app
        .server
        .state
        .jobs
        .get_by_task_id(&task_id)
        .await
        .expect("read")
        .expect("job");
    assert_eq!(job.internal_errors, 3);
    assert_eq!(job.lease_holder, None);
    // Shown like any failure, and dismissable.
    let failure = failure_of(&app, "alice", "aks-boom").await.expect("listed");
    let (status, _) = app
        .post(
            "alice",
            "/api/aks/dismiss-failure",
            &json!({ "job_id": failure["job_id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(failure_of(&app, "alice", "aks-boom").await.is_none());
}

/// Provisions `name`, waits until Azure shows it `Creating`, and stops it: a partial cluster.
async fn stopped_while_creating(app: &TestApp, user: &str, name: &str) -> String {
    let task_id = start(app, user, name).await;
    app.wait_task(user, &task_id, creating).await;
    let out = stop(app, user, &task_id).await;
    assert!(out["partial_cluster"].is_object(), "{out}");
    wait_until("the abort ends", || async {
        cluster_of(app, name)
            .await
            .is_some_and(|c| c["provisioning_state"] == "Canceled")
    })
    .await;
    out["job_id"].as_str().expect("job id").to_owned()
}

#[tokio::test]
async fn delete_partial_cluster_deletes_only_what_the_job_left() {
    let app = TestApp::builder().create_seconds(4.0).spawn().await;

    // A leftover of one's own stopped create: offered, and deleted.
    let job = stopped_while_creating(&app, "alice", "aks-left").await;
    let failure = failure_of(&app, "alice", "aks-left").await.expect("listed");
    assert!(failure["delete_blocked"].is_null(), "{failure}");
    let (status, out) = delete_partial(&app, "alice", &job).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["status"], "deleting");

    // Deleted in the portal, then created again by a colleague: no longer alice's to delete.
    let job = stopped_while_creating(&app, "alice", "aks-again").await;
    delete_outside_the_dashboard(&app, "aks-again").await;
    let bob = start(&app, "bob", "aks-again").await;
    assert_eq!(end_of(&app, "bob", &bob).await["status"], "succeeded");
    let failure = failure_of(&app, "alice", "aks-again")
        .await
        .expect("listed");
    assert!(failure["delete_blocked"].is_string(), "{failure}");
    let (status, out) = delete_partial(&app, "alice", &job).await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");
    assert_eq!(out["code"], "cluster_recreated", "{out}");
    assert_eq!(
        cluster_of(&app, "aks-again").await.expect("kept")["provisioning_state"],
        "Succeeded"
    );

    // The same after one's own later success.
    let job = stopped_while_creating(&app, "alice", "aks-mine").await;
    delete_outside_the_dashboard(&app, "aks-mine").await;
    let again = start(&app, "alice", "aks-mine").await;
    assert_eq!(end_of(&app, "alice", &again).await["status"], "succeeded");
    let (status, out) = delete_partial(&app, "alice", &job).await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");
    assert!(cluster_of(&app, "aks-mine").await.is_some());

    // Deleted, then a cluster of that name made outside the dashboard: not this job's.
    let job = stopped_while_creating(&app, "alice", "aks-other").await;
    delete_outside_the_dashboard(&app, "aks-other").await;
    create_outside_the_dashboard(&app.server.state.arm, "aks-other").await;
    let (status, out) = delete_partial(&app, "alice", &job).await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");
    assert_eq!(out["code"], "not_created_by_this_job", "{out}");
    assert!(cluster_of(&app, "aks-other").await.is_some());
}

#[tokio::test]
async fn a_read_that_lags_behind_the_create_does_not_create_twice() {
    let app = TestApp::spawn().await;
    // ARM forgets the operation and does not show the cluster for a while after the PUT.
    app.simulator
        .add_fault(
            json!({"operation": "operation_status", "status": 404, "code": "NotFound", "times": 1}),
        )
        .await;
    app.simulator
        .add_fault(
            json!({"operation": "get", "cluster_name": "aks-lag", "status": 404,
                          "code": "ResourceNotFound", "times": 6}),
        )
        .await;
    let task_id = start(&app, "alice", "aks-lag").await;
    let end = end_of(&app, "alice", &task_id).await;
    assert_eq!(end["status"], "succeeded", "{end}");
    let state: Value = app.simulator.state().await;
    assert_eq!(counter(&state, "create_puts_accepted"), 1, "{state}");
    assert_eq!(clusters_named(&state, "aks-lag"), 1);
}

#[tokio::test]
async fn an_unreadable_operation_status_is_not_success() {
    let app = TestApp::builder().create_seconds(4.0).spawn().await;
    app.simulator
        .add_fault(json!({"operation": "operation_status", "status": 200,
                          "raw_body": "<html>Bad gateway</html>", "content_type": "text/html",
                          "times": 2}))
        .await;
    let task_id = start(&app, "alice", "aks-html").await;
    let end = end_of(&app, "alice", &task_id).await;
    assert_eq!(end["status"], "succeeded", "{end}");
    // It ended because Azure finished, not because of an answer that said nothing.
    let cluster = cluster_of(&app, "aks-html").await.expect("cluster");
    assert_eq!(cluster["provisioning_state"], "Succeeded", "{cluster}");
}

#[tokio::test]
async fn an_unreadable_job_row_breaks_nothing_and_fails_after_a_few_tries() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let api_only = TestApp::builder()
        .database_url(&db)
        .job_workers(0)
        .spawn()
        .await;
    let broken = start(&api_only, "alice", "aks-broken").await;
    let fine = start(&api_only, "alice", "aks-fine").await;
    sqlx::query("UPDATE job_state SET payload = '{not json' WHERE task_id = $1")
        .bind(&broken)
        .execute(&api_only.server.state.storage.pool)
        .await
        .expect("corrupt the row");

    // The owner's lists skip the row instead of failing.
    let (status, recent) = api_only
        .get("alice", "/api/aks/recent-failed-provisions")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(recent["degraded"], false, "{recent}");
    let (status, active) = api_only.get("alice", "/api/aks/active-provisions").await;
    assert_eq!(status, StatusCode::OK, "{active}");
    assert_eq!(active.as_array().map(Vec::len), Some(1), "{active}");

    // A runner takes it up a few times, then fails it instead of trying forever.
    let runner = TestApp::builder().database_url(&db).spawn().await;
    assert_eq!(end_of(&runner, "alice", &fine).await["status"], "succeeded");
    wait_until("the unreadable job fails", || async {
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM job_state WHERE task_id = $1")
                .bind(&broken)
                .fetch_optional(&runner.server.state.storage.pool)
                .await
                .expect("read");
        status.as_deref() == Some("failed")
    })
    .await;
}

#[tokio::test]
async fn stop_is_seen_at_once_even_when_polls_are_far_apart() {
    let app = TestApp::builder()
        .create_seconds(120.0)
        .configure(|c| {
            c.jobs.poll_min_seconds = 60.0;
            c.jobs.poll_max_seconds = 60.0;
        })
        .spawn()
        .await;
    let task_id = start(&app, "alice", "aks-patient").await;
    app.wait_task("alice", &task_id, creating).await;
    // The run sleeps a minute between polls; the cancel waits 15 s at most for its record.
    let out = stop(&app, "alice", &task_id).await;
    assert_eq!(out["cancelled"], true, "{out}");
    let state: Value = app.simulator.state().await;
    assert_eq!(counter(&state, "aborts_accepted"), 1);
}

#[tokio::test]
async fn a_page_view_on_a_warm_cache_asks_azure_nothing() {
    let app = TestApp::spawn().await;
    let page = |app: &TestApp| {
        let request = app.http.get(app.url("/")).header("X-Dev-User", "alice");
        async move {
            let res = request.send().await.expect("page");
            assert_eq!(res.status(), StatusCode::OK);
        }
    };
    page(&app).await;
    let before: Value = app.simulator.state().await;
    for _ in 0..5 {
        page(&app).await;
    }
    let after: Value = app.simulator.state().await;
    assert_eq!(
        before["counters"]["requests"], after["counters"]["requests"],
        "no ARM call for warm page views"
    );

    // Pre-flight on a warm cache: no ARM call either.
    let body = provision_request("eastus", "aks-pre", "Standard_D2s_v3", 1);
    let (status, _) = app.post("alice", "/api/aks/preflight", &body).await;
    assert_eq!(status, StatusCode::OK);
    let before: Value = app.simulator.state().await;
    let (status, _) = app.post("alice", "/api/aks/preflight", &body).await;
    assert_eq!(status, StatusCode::OK);
    let after: Value = app.simulator.state().await;
    for kind in ["skus", "usages", "resource_group", "list"] {
        assert_eq!(
            arm_requests(&before, kind),
            arm_requests(&after, kind),
            "{kind}: {after}"
        );
    }
}

#[tokio::test]
async fn a_server_with_a_skewed_clock_does_not_take_live_jobs() {
    let sim = start_simulator(Duration::from_secs(8)).await;
    let dir = tempfile::tempdir().expect("dir");
    let pg = PostgresDatabase::create().await;
    let honest = DashboardProcess::spawn(&pg.url, &sim, dir.path()).await;
    let task_id = start(&honest, "alice", "aks-skew").await;
    honest.wait_task("alice", &task_id, creating).await;
    // A second server whose clock is two minutes ahead: every lease looks expired to it.
    let ahead = DashboardProcess::spawn_with_env(
        &pg.url,
        &sim,
        dir.path(),
        &[("AKSDASH_TEST_CLOCK_OFFSET_SECONDS", "120")],
    )
    .await;
    let end = end_of(&ahead, "alice", &task_id).await;
    assert_eq!(end["status"], "succeeded", "{end}");
    let pool = sqlx::PgPool::connect(&pg.url).await.expect("connect");
    let attempts: i64 =
        sqlx::query_scalar("SELECT lease_attempts FROM job_state WHERE task_id = $1")
            .bind(&task_id)
            .fetch_one(&pool)
            .await
            .expect("read");
    assert_eq!(attempts, 1, "the job was never taken from its holder");
    pool.close().await;
    let state = serde_json::to_value(sim.state()).expect("state");
    assert_eq!(counter(&state, "create_puts_accepted"), 1);
    drop((honest, ahead));
    pg.drop_database().await;
    sim.shutdown().await;
}

/// A credential that hands out a new token each time it is asked, and counts.
#[derive(Debug, Default)]
struct CountingCredential {
    calls: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl azure_core::credentials::TokenCredential for CountingCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        Ok(azure_core::credentials::AccessToken::new(
            format!("token-{n}"),
            azure_core::time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
        ))
    }
}

#[tokio::test]
async fn a_token_azure_refuses_is_dropped_and_asked_for_again_once() {
    let sim = start_simulator(Duration::from_secs(1)).await;
    let counting = std::sync::Arc::new(CountingCredential::default());
    let credential = aks_dashboard::azure::ArmCredential::from_azure_credentials(
        "https://management.azure.com/.default",
        vec![("counting", counting.clone())],
    );
    let arm = ArmClient::new(
        aks_dashboard::azure::ArmClientConfig::new(sim.base_url()),
        credential,
    )
    .expect("client");
    let faults = crate::helpers::SimulatorClient::new(sim.base_url());
    // Azure revoked the token before it expired: the first call is refused.
    faults
        .add_fault(json!({"operation": "get", "status": 401,
                          "code": "InvalidAuthenticationToken", "times": 1}))
        .await;
    let found = arm
        .get_cluster(&cluster_ref("aks-none"))
        .await
        .expect("answered with a new token");
    assert!(found.is_none());
    assert_eq!(
        counting.calls.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "one token, refused, then one more"
    );
    // A refusal that persists is not asked about forever.
    faults
        .add_fault(json!({"operation": "get", "status": 401,
                          "code": "InvalidAuthenticationToken", "times": 5}))
        .await;
    let refused = arm.get_cluster(&cluster_ref("aks-none")).await;
    assert_eq!(refused.err().and_then(|e| e.status()), Some(401));
    assert_eq!(counting.calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn stop_pressed_on_another_server_reaches_the_run_at_once() {
    let pg = PostgresDatabase::create().await;
    let slow_polls = |c: &mut aks_dashboard::config::ServeConfig| {
        c.jobs.poll_min_seconds = 60.0;
        c.jobs.poll_max_seconds = 60.0;
    };
    let sim = start_simulator(Duration::from_secs(120)).await;
    let runner = TestApp::builder()
        .database_url(&pg.url)
        .standalone_simulator(&sim)
        .configure(slow_polls)
        .spawn()
        .await;
    let other = TestApp::builder()
        .database_url(&pg.url)
        .standalone_simulator(&sim)
        .job_workers(0)
        .spawn()
        .await;
    let task_id = start(&runner, "alice", "aks-far").await;
    runner.wait_task("alice", &task_id, creating).await;
    // The Stop arrives at a server that does not run the job.
    let out = stop(&other, "alice", &task_id).await;
    assert_eq!(out["cancelled"], true, "{out}");
    assert!(out["partial_cluster"].is_object(), "{out}");
    drop((runner, other));
    pg.drop_database().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_not_sent_again() {
    let app = TestApp::spawn().await;
    // Azure creates the cluster, and the answer never arrives (a reset, then a 502 from a
    // gateway): the job finds its cluster by its tag and follows it.
    app.simulator
        .add_fault(json!({"operation": "create", "cluster_name": "aks-lost",
                          "pass_through": true, "drop_connection": true}))
        .await;
    app.simulator
        .add_fault(json!({"operation": "create", "cluster_name": "aks-lost2",
                          "pass_through": true, "status": 502,
                          "raw_body": "<html>Bad Gateway</html>", "content_type": "text/html"}))
        .await;
    for name in ["aks-lost", "aks-lost2"] {
        let task_id = start(&app, "alice", name).await;
        let end = end_of(&app, "alice", &task_id).await;
        assert_eq!(end["status"], "succeeded", "{name}: {end}");
        let cluster = cluster_of(&app, name).await.expect("cluster");
        assert_eq!(
            cluster["tags"]["aks-dashboard-job"], end["job_id"],
            "{cluster}"
        );
    }
    let state: Value = app.simulator.state().await;
    assert_eq!(
        counter(&state, "create_puts_accepted"),
        2,
        "one PUT per job: {state}"
    );
}

#[tokio::test]
async fn a_create_refused_as_throttled_is_sent_again_when_azure_says() {
    let app = TestApp::spawn().await;
    // 429: Azure did not take the request, so sending it again is safe.
    app.simulator
        .add_fault(json!({"operation": "create", "cluster_name": "aks-429",
                          "status": 429, "retry_after_seconds": 1, "times": 2}))
        .await;
    let task_id = start(&app, "alice", "aks-429").await;
    let end = end_of(&app, "alice", &task_id).await;
    assert_eq!(end["status"], "succeeded", "{end}");
    let state: Value = app.simulator.state().await;
    assert_eq!(counter(&state, "create_puts_accepted"), 1, "{state}");
}
