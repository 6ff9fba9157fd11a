//! History, black-box: each action leaves exactly the entries it should, with its actor and
//! Azure's ids; `GET /api/history` filters, pages and exports (CSV of 100,000 entries in bounded
//! memory); readers see their own entries, admins everyone's; old entries are pruned.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aks_dashboard::domain::history::{HistoryKind, Outcome};
use aks_dashboard::storage::{HistoryEvent, Storage, Subject};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    DashboardProcess, TestApp, creating, finished, provision_request, start_simulator,
};

/// `GET /api/history?query` as `user` (with `role` when given): status and body.
async fn history(
    app: &TestApp,
    user: &str,
    role: Option<&str>,
    query: &str,
) -> (StatusCode, Value) {
    let path = if query.is_empty() {
        "/api/history".to_owned()
    } else {
        format!("/api/history?{query}")
    };
    match role {
        None => app.get(user, &path).await,
        Some(role) => {
            let res = app
                .http
                .get(app.url(&path))
                .header("X-Dev-User", user)
                .header("X-Dev-Roles", role)
                .send()
                .await
                .expect("get");
            let status = res.status();
            (status, res.json().await.unwrap_or(Value::Null))
        }
    }
}

/// The entries of one cluster, oldest first, as `(kind, actor)`.
async fn steps(app: &TestApp, user: &str, cluster: &str) -> Vec<(String, String)> {
    let (status, page) = history(app, user, None, &format!("cluster={cluster}&limit=500")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut list: Vec<(String, String)> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_owned(),
                e["actor"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    list.reverse();
    list
}

fn step(kind: &str, actor: &str) -> (String, String) {
    (kind.to_owned(), actor.to_owned())
}

/// Entries of `cluster` of `kind` (newest first).
async fn entries_of(app: &TestApp, user: &str, cluster: &str, kind: &str) -> Vec<Value> {
    let (_, page) = history(app, user, None, &format!("cluster={cluster}&kind={kind}")).await;
    page["entries"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_create_that_succeeds_leaves_its_steps_with_azures_ids() {
    let app = TestApp::spawn().await;
    let accepted = app
        .provision(
            "ana",
            provision_request("koreacentral", "aks-h1", "Standard_D2s_v3", 1),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task");
    let last = app.wait_task("ana", task_id, finished).await;
    assert_eq!(last.last().expect("task")["status"], "succeeded");

    assert_eq!(
        steps(&app, "ana", "aks-h1").await,
        vec![
            step("create_requested", "ana"),
            step("azure_create_sent", "system"),
            step("azure_accepted", "system"),
            step("state_changed", "system"),
            step("state_changed", "system"),
            step("succeeded", "system"),
        ]
    );
    let accepted_entry = &entries_of(&app, "ana", "aks-h1", "azure_accepted").await[0];
    let correlation = accepted_entry["azure_correlation_id"]
        .as_str()
        .expect("correlation id");
    assert!(accepted_entry["azure_request_id"].is_string());
    assert_eq!(accepted_entry["job_id"], accepted["job_id"]);
    assert_eq!(accepted_entry["outcome"], "ok");
    // Every later entry of the create carries the create's correlation id (its Activity Log's).
    let ended = &entries_of(&app, "ana", "aks-h1", "succeeded").await[0];
    assert_eq!(ended["azure_correlation_id"], correlation);
    assert_eq!(ended["outcome"], "succeeded");
    let states = entries_of(&app, "ana", "aks-h1", "state_changed").await;
    assert_eq!(states[0]["details"]["to"], "Succeeded");
    assert_eq!(states[1]["details"]["to"], "Creating");
    let requested = &entries_of(&app, "ana", "aks-h1", "create_requested").await[0];
    assert_eq!(requested["details"]["request"]["cluster_name"], "aks-h1");
    // Newest first, on one clock.
    let (_, page) = history(&app, "ana", None, "").await;
    let times: Vec<i64> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["at"].as_i64().expect("at"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // The task's short timeline.
    let (_, task) = app.get("ana", &format!("/api/tasks/{task_id}")).await;
    let kinds: Vec<&str> = task["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["create_requested", "azure_accepted", "succeeded"]);
    assert_eq!(task["timeline"][0]["by"], "ana");
}

#[tokio::test]
async fn stop_abort_dismiss_and_delete_are_each_recorded_with_who_did_them() {
    let app = TestApp::builder().create_seconds(30.0).spawn().await;
    let accepted = app
        .provision(
            "ana",
            provision_request("koreacentral", "aks-h2", "Standard_D2s_v3", 1),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task").to_owned();
    let job_id = accepted["job_id"].as_str().expect("job").to_owned();
    app.wait_task("ana", &task_id, creating).await;
    let (status, _) = app
        .post(
            "ana",
            &format!("/api/aks/cancel-provision/{task_id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let last = app.wait_task("ana", &task_id, finished).await;
    assert_eq!(last.last().expect("task")["status"], "cancelled");
    let (status, _) = app
        .post(
            "ana",
            "/api/aks/dismiss-failure",
            &json!({"job_id": job_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Dismissing again changes nothing, and records nothing.
    app.post(
        "ana",
        "/api/aks/dismiss-failure",
        &json!({"job_id": job_id}),
    )
    .await;
    let (status, answer) = app
        .post(
            "ana",
            "/api/aks/delete-partial-cluster",
            &json!({"job_id": job_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // The delete's end comes when Azure says so.
    let deadline = Instant::now() + Duration::from_secs(20);
    while entries_of(&app, "ana", "aks-h2", "deleted")
        .await
        .is_empty()
    {
        assert!(Instant::now() < deadline, "no deleted entry");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = steps(&app, "ana", "aks-h2").await;
    let expected = [
        step("create_requested", "ana"),
        step("azure_create_sent", "system"),
        step("azure_accepted", "system"),
        step("state_changed", "system"),
        step("stop_requested", "ana"),
        step("abort_sent", "system"),
    ];
    assert_eq!(got[..6], expected, "{got:?}");
    let tail: Vec<&str> = got[6..].iter().map(|(k, _)| k.as_str()).collect();
    // Azure may show the abort's `Canceled` before the cancel is written, or not at all.
    let tail: Vec<&str> = tail.into_iter().filter(|k| *k != "state_changed").collect();
    assert_eq!(
        tail,
        ["cancelled", "dismissed", "delete_requested", "deleted"],
        "{got:?}"
    );
    let abort = &entries_of(&app, "ana", "aks-h2", "abort_sent").await[0];
    assert!(abort["azure_request_id"].is_string(), "{abort}");
    let deleted = &entries_of(&app, "ana", "aks-h2", "deleted").await[0];
    assert_eq!(deleted["outcome"], "succeeded");
    // The ended task's timeline says it the way a person reads it.
    let (_, task) = app.get("ana", &format!("/api/tasks/{task_id}")).await;
    let kinds: Vec<&str> = task["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds[..4],
        [
            "create_requested",
            "azure_accepted",
            "stop_requested",
            "abort_sent"
        ]
    );
}

#[tokio::test]
async fn a_queued_create_stopped_before_it_started_never_reached_azure() {
    let app = TestApp::builder().job_workers(0).spawn().await;
    let accepted = app
        .provision(
            "ana",
            provision_request("koreacentral", "aks-h3", "Standard_D2s_v3", 1),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task");
    let (status, _) = app
        .post(
            "ana",
            &format!("/api/aks/cancel-provision/{task_id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        steps(&app, "ana", "aks-h3").await,
        vec![
            step("create_requested", "ana"),
            step("stop_requested", "ana"),
            step("cancelled", "ana"),
        ]
    );
}

#[tokio::test]
async fn refusals_say_why_and_change_nothing() {
    let app = TestApp::builder()
        .job_workers(0)
        .configure(|c| c.jobs.max_per_user = 2)
        .spawn()
        .await;
    let reason_of = |page: &Value| -> Vec<String> {
        page["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                e["details"]["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    // Validation: the name breaks Azure's rule.
    let (status, _) = app
        .post(
            "ana",
            "/api/aks/provision",
            &provision_request("koreacentral", "-bad-", "Standard_D2s_v3", 1),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Role: a reader may not create.
    let res = app
        .http
        .post(app.url("/api/aks/provision"))
        .header("X-Dev-User", "ana")
        .header("X-Dev-Roles", "reader")
        .json(&provision_request(
            "koreacentral",
            "aks-r1",
            "Standard_D2s_v3",
            1,
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Scope: a resource group outside AZURE_SCOPES.
    let mut outside = provision_request("koreacentral", "aks-r2", "Standard_D2s_v3", 1);
    outside["resource_group"] = json!("rg-somewhere-else");
    let (status, _) = app.post("ana", "/api/aks/provision", &outside).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // In flight already (anyone's), then over the user's cap.
    app.provision(
        "ana",
        provision_request("koreacentral", "aks-r3", "Standard_D2s_v3", 1),
    )
    .await;
    let (status, _) = app
        .post(
            "ben",
            "/api/aks/provision",
            &provision_request("koreacentral", "aks-r3", "Standard_D2s_v3", 1),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.provision(
        "ana",
        provision_request("koreacentral", "aks-r4", "Standard_D2s_v3", 1),
    )
    .await;
    let (status, _) = app
        .post(
            "ana",
            "/api/aks/provision",
            &provision_request("koreacentral", "aks-r5", "Standard_D2s_v3", 1),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    let (_, ana) = history(&app, "ana", None, "kind=create_refused").await;
    assert_eq!(reason_of(&ana), ["cap", "scope", "role", "validation"]);
    let validation = &ana["entries"][3];
    assert_eq!(validation["outcome"], "refused");
    assert!(validation["details"]["fields"]["cluster_name"].is_string());
    assert_eq!(validation["job_id"], Value::Null);
    let (_, ben) = history(&app, "ben", None, "kind=create_refused").await;
    assert_eq!(reason_of(&ben), ["cluster_busy"]);
    // Nothing else was written: two accepted creates.
    let (_, requested) = history(&app, "ana", None, "kind=create_requested").await;
    assert_eq!(requested["entries"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_create_refused_by_azure_keeps_its_code_message_and_request_id() {
    let app = TestApp::spawn().await;
    // eastus has 6 free DSv3 vCPUs: 4 × D4s_v3 is refused at the PUT.
    let accepted = app
        .provision(
            "ana",
            provision_request("eastus", "aks-h5", "Standard_D4s_v3", 4),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task");
    let last = app.wait_task("ana", task_id, finished).await;
    assert_eq!(last.last().expect("task")["status"], "failed");
    let failed = &entries_of(&app, "ana", "aks-h5", "failed").await[0];
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(
        failed["details"]["code"], "ErrCode_InsufficientVCPUQuota",
        "{failed}"
    );
    assert!(
        failed["details"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("quota")),
        "{failed}"
    );
    assert!(failed["azure_request_id"].is_string(), "{failed}");
    // Searchable by Azure's words.
    let (_, found) = history(&app, "ana", None, "q=InsufficientVCPU").await;
    assert!(
        found["entries"].as_array().expect("entries").is_empty(),
        "the code is not text"
    );
    let (_, found) = history(&app, "ana", None, "q=QUOTA").await;
    assert_eq!(found["entries"][0]["kind"], "failed");
}

#[tokio::test]
async fn a_create_made_from_a_fix_says_which_fix_and_what_it_changed() {
    let app = TestApp::builder().job_workers(0).spawn().await;
    let mut body = provision_request("eastus", "aks-h6", "Standard_D2s_v3", 1);
    body["applied_fix"] = json!({
        "kind": "node_count",
        "label": "Use 1 node — fits your 6 free vCPUs in eastus",
        "from_job_id": "0190b3c2-7d1e-7000-8000-000000000001",
        "changes": [{"field": "node_count", "from": "4", "to": "1"}]
    });
    app.provision("ana", body.clone()).await;
    assert_eq!(
        steps(&app, "ana", "aks-h6").await,
        vec![step("fix_applied", "ana"), step("create_requested", "ana")]
    );
    let fix = &entries_of(&app, "ana", "aks-h6", "fix_applied").await[0];
    assert_eq!(fix["details"]["fix"]["kind"], "node_count");
    assert_eq!(fix["details"]["changes"][0]["to"], "1");
    // A fix that says too much is refused, naming the field.
    body["cluster_name"] = json!("aks-h7");
    body["applied_fix"]["changes"] = json!(vec![json!({"field": "f", "from": "a", "to": "b"}); 13]);
    let (status, answer) = app.post("ana", "/api/aks/provision", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["fields"]["applied_fix"].is_string(), "{answer}");
    assert_eq!(
        steps(&app, "ana", "aks-h7").await,
        vec![step("create_refused", "ana")]
    );
}

#[tokio::test]
async fn readers_see_their_own_entries_and_admins_everyones() {
    let app = TestApp::builder().create_seconds(30.0).spawn().await;
    let accepted = app
        .provision(
            "ana",
            provision_request("koreacentral", "aks-v1", "Standard_D2s_v3", 1),
        )
        .await;
    app.provision(
        "ben",
        provision_request("koreacentral", "aks-v2", "Standard_D2s_v3", 1),
    )
    .await;
    // An admin stops ana's create: on ana's job, by the admin.
    let task_id = accepted["task_id"].as_str().expect("task");
    let res = app
        .http
        .post(app.url(&format!("/api/aks/cancel-provision/{task_id}")))
        .header("X-Dev-User", "ada")
        .header("X-Dev-Roles", "admin")
        .json(&json!({}))
        .send()
        .await
        .expect("cancel");
    assert_eq!(res.status(), StatusCode::OK);

    let clusters = |page: &Value| -> HashSet<String> {
        page["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["cluster_name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let (_, ana) = history(&app, "ana", None, "").await;
    assert_eq!(clusters(&ana), HashSet::from(["aks-v1".to_owned()]));
    let (_, stop) = history(&app, "ana", None, "kind=stop_requested").await;
    assert_eq!(stop["entries"][0]["actor"], "ada");
    let (_, ben) = history(&app, "ben", Some("reader"), "").await;
    assert_eq!(clusters(&ben), HashSet::from(["aks-v2".to_owned()]));
    // Asking for someone else's entries finds none of them.
    let (_, peek) = history(&app, "ben", None, "actor=ana").await;
    assert!(peek["entries"].as_array().expect("entries").is_empty());
    let (_, admin) = history(&app, "ada", Some("admin"), "").await;
    assert_eq!(
        clusters(&admin),
        HashSet::from(["aks-v1".to_owned(), "aks-v2".to_owned()])
    );
}

#[tokio::test]
async fn bad_queries_name_their_field_and_pages_chain() {
    let app = TestApp::builder().job_workers(0).spawn().await;
    for (query, field) in [
        ("kind=exploded", "kind"),
        ("outcome=maybe", "outcome"),
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=nope", "cursor"),
        ("scope=no-slash", "scope"),
        ("format=xml", "format"),
        ("clutser=x", "clutser"),
    ] {
        let (status, body) = history(&app, "ana", None, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["fields"][field].is_string(), "{query}: {body}");
    }
    for i in 0..5 {
        app.provision(
            "ana",
            provision_request("koreacentral", &format!("aks-p{i}"), "Standard_D2s_v3", 1),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut query = "limit=2".to_owned();
    loop {
        let (status, page) = history(&app, "ana", None, &query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for e in page["entries"].as_array().expect("entries") {
            seen.push(e["cluster_name"].as_str().unwrap_or_default().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["aks-p4", "aks-p3", "aks-p2", "aks-p1", "aks-p0"]);
    // Filters combine with the scope and the time.
    let (_, page) = history(
        &app,
        "ana",
        None,
        "kind=create_requested&scope=11111111-2222-3333-4444-555555555555/*&since=2020-01-01",
    )
    .await;
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(5));
    let (_, page) = history(&app, "ana", None, "until=2020-01-01").await;
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(0));
}

/// A `Vm…` field of a process's `/proc/PID/status`, in kB: `VmRSS` now, `VmHWM` the highest
/// since its counters were last reset.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

const EXPORT_ENTRIES: usize = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_100k_entries_streams_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    {
        let storage = Storage::connect(&url).await.expect("storage");
        let history = aks_dashboard::storage::JobStateRepository::new(storage.clone()).history();
        // Each entry carries a message of Azure's length: the file is tens of megabytes.
        seed_failures(&history, "ana", EXPORT_ENTRIES, 6).await;
        // As a server that has run a while: the write-ahead log copied back into the file.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&storage.pool)
            .await
            .expect("checkpoint");
        storage.close().await;
    }
    let sim = start_simulator(Duration::from_secs(2)).await;
    let server = DashboardProcess::spawn(&url, &sim, dir.path()).await;
    let pid = server.pid();
    // A page first, so the server has done its one-time work (pools, templates).
    let (status, _) = server.get("ana", "/api/history?limit=500").await;
    assert_eq!(status, StatusCode::OK);
    let before = status_kb(pid, "VmRSS");
    // Reset the peak: what follows is the export's.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("clear_refs");
    let mut res = server.get_response("ana", "/api/history?format=csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert!(
        res.headers().get(reqwest::header::CONTENT_LENGTH).is_none(),
        "streamed, not built first"
    );
    let (mut bytes, mut lines) = (0usize, 0usize);
    let mut first_line = Vec::new();
    while let Some(chunk) = res.chunk().await.expect("chunk") {
        if lines == 0 {
            first_line.extend_from_slice(&chunk[..chunk.len().min(200)]);
        }
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let peak = status_kb(pid, "VmHWM");
    assert!(
        String::from_utf8_lossy(&first_line).starts_with("id,at,actor,actor_name,kind,outcome"),
        "header row first"
    );
    assert_eq!(lines, EXPORT_ENTRIES + 1, "a header and one row per entry");
    let grew_kb = peak.saturating_sub(before);
    eprintln!(
        "CSV export: {} MB in {} lines; server RSS {} kB before, peak {} kB",
        bytes / 1_000_000,
        lines,
        before,
        peak
    );
    // A server that built the file before sending it would grow by at least its size; one that
    // streams it grows by its batches, its connections' page caches and its allocator's slack,
    // however long the file is.
    assert!(bytes > 120_000_000, "{bytes} bytes");
    assert!(
        (grew_kb as usize) * 1024 < bytes / 2,
        "the server's memory grew by {grew_kb} kB during a {bytes}-byte export"
    );
    drop(server);
    sim.shutdown().await;
}

#[tokio::test]
async fn entries_past_their_retention_are_pruned_by_the_runner() {
    let app = TestApp::builder()
        .job_workers(0)
        .configure(|c| {
            // About 2 s, swept every 0.2 s.
            c.jobs.history_retention_days = 2.0 / 86_400.0;
            c.jobs.history_prune_every_seconds = 0.2;
        })
        .spawn()
        .await;
    app.provision(
        "ana",
        provision_request("koreacentral", "aks-old", "Standard_D2s_v3", 1),
    )
    .await;
    let (_, page) = history(&app, "ana", None, "").await;
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(1));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, page) = history(&app, "ana", None, "").await;
        if page["entries"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(Instant::now() < deadline, "not pruned: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Seeds `count` failure entries of `owner`, each with Azure's quota message `repeat` times
/// (about 120 bytes each time).
async fn seed_failures(
    history: &aks_dashboard::storage::HistoryRepository,
    owner: &str,
    count: usize,
    repeat: usize,
) {
    let subject = Subject::request(
        owner,
        &serde_json::from_value(provision_request(
            "koreacentral",
            "aks-export",
            "Standard_D2s_v3",
            1,
        ))
        .expect("request"),
    );
    let message = "Operation could not be completed as it results in exceeding approved \
                   standardDSv3Family Cores quota. "
        .repeat(repeat);
    for _ in 0..count / 1_000 {
        let events: Vec<HistoryEvent> = (0..1_000)
            .map(|_| {
                HistoryEvent::system(HistoryKind::Failed, Outcome::Failed).message(message.clone())
            })
            .collect();
        history.record(&subject, &events).await.expect("seed");
    }
}

/// Starts a CSV export as `user` and reads nothing after the status line: a download that
/// stalls. The connection is kept open (returned) until the test drops it.
async fn stalled_export(app: &TestApp, user: &str, role: &str) -> (u16, tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.server.addr;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /api/history?format=csv HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Dev-User: {user}\r\n\
         X-Dev-Roles: {role}\r\n\r\n",
        addr.port()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    // The status line, and nothing more.
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.expect("status line");
    let status = std::str::from_utf8(&head[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, stream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stalled_exports_hold_no_connection_and_are_capped_per_user_and_server() {
    for postgres in [false, true] {
        let mut builder = TestApp::builder().configure(|c| c.export_idle_seconds = Some(3.0));
        if postgres {
            builder = builder.fresh_postgres();
        }
        let app = builder.spawn().await;
        for user in 0..10 {
            seed_failures(
                &app.server.state.jobs.history(),
                &format!("user{user}"),
                8_000,
                8,
            )
            .await;
        }
        // Twenty downloads that stall: two per user, for ten users.
        let mut stalled = Vec::new();
        let mut refused = Vec::new();
        for user in 0..10 {
            for _ in 0..2 {
                let (status, stream) = stalled_export(&app, &format!("user{user}"), "reader").await;
                match status {
                    200 => stalled.push(stream),
                    other => refused.push(other),
                }
            }
        }
        assert_eq!(
            stalled.len(),
            8,
            "8 exports at once on a server (postgres: {postgres})"
        );
        assert!(refused.iter().all(|s| *s == 429), "{refused:?}");
        // A user's third export is refused by name, with when to try again.
        let res = app
            .http
            .get(app.url("/api/history?format=csv"))
            .header("X-Dev-User", "user0")
            .send()
            .await
            .expect("export");
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().contains_key(reqwest::header::RETRY_AFTER));
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["code"], "too_many_exports", "{body}");

        // Meanwhile another user reads and creates as always: the stalled downloads hold none
        // of the database's connections.
        let started = Instant::now();
        let (status, page) = app.get("olga", "/api/history?limit=10").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let (status, accepted) = app
            .post(
                "olga",
                "/api/aks/provision",
                &provision_request("koreacentral", "aks-beside-exports", "Standard_D2s_v3", 1),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        eprintln!(
            "beside 8 stalled exports (postgres: {postgres}): a read and a create in {} ms",
            started.elapsed().as_millis()
        );

        // A client that takes nothing is dropped: its slot comes back without it reading.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let res = app
                .http
                .get(app.url("/api/history?format=csv&limit=1"))
                .header("X-Dev-User", "user0")
                .send()
                .await
                .expect("export");
            if res.status() == StatusCode::OK {
                break;
            }
            assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
            assert!(
                Instant::now() < deadline,
                "the stalled exports were never dropped"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        drop(stalled);
    }
}
