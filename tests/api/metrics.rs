//! `/metrics` (issue 29): Prometheus' text format that moves with what the server does — a
//! create started, in flight and ended, a throttled Azure answer, an event stream opened and
//! closed, HTTP requests by route — behind its switch, and on METRICS_ADDR too.
//!
//! The recorder is the process's and the black-box tests run servers side by side, so counters
//! are compared before and after (they only grow), never to a fixed value.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, creating, finished, free_port, provision_request};

/// The sum of the series of `name` whose labels include `labels`.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (series_name, series_labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            (series_name == name
                && labels
                    .iter()
                    .all(|(k, v)| series_labels.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().ok())
            .flatten()
        })
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let res = app.http.get(app.url("/metrics")).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    res.text().await.expect("text")
}

#[tokio::test]
async fn metrics_move_with_a_create_from_start_to_end() {
    let app = TestApp::builder().create_seconds(3.0).spawn().await;
    let before = scrape(&app).await;
    let accepted = app
        .provision(
            "ana",
            provision_request("koreacentral", "aks-metered", "Standard_D2s_v3", 1),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task").to_owned();
    app.wait_task("ana", &task_id, creating).await;
    let during = scrape(&app).await;
    assert!(
        metric(&during, "aks_creates_started_total", &[])
            >= metric(&before, "aks_creates_started_total", &[]) + 1.0,
        "{during}"
    );
    assert!(
        metric(&during, "aks_jobs", &[("status", "running")]) >= 1.0,
        "{during}"
    );
    assert!(
        metric(&during, "azure_requests_total", &[("operation", "create")])
            >= metric(&before, "azure_requests_total", &[("operation", "create")]) + 1.0,
        "{during}"
    );
    app.wait_task("ana", &task_id, finished).await;
    let after = scrape(&app).await;
    let ended = [("status", "succeeded")];
    assert!(
        metric(&after, "aks_creates_ended_total", &ended)
            >= metric(&before, "aks_creates_ended_total", &ended) + 1.0,
        "{after}"
    );
    assert!(
        metric(&after, "aks_create_duration_seconds_count", &ended) >= 1.0,
        "{after}"
    );
    // Every request is counted by its route's template, never by its ids.
    assert!(
        metric(
            &after,
            "http_requests_total",
            &[("route", "/api/tasks/{task_id}"), ("status", "200")]
        ) >= 2.0,
        "{after}"
    );
    assert!(!after.contains(&task_id), "no ids in labels");
}

#[tokio::test]
async fn a_throttled_azure_answer_is_counted_with_its_wait() {
    let app = TestApp::spawn().await;
    let before = scrape(&app).await;
    app.simulator
        .add_fault(json!({"operation": "skus", "status": 429, "retry_after_seconds": 1}))
        .await;
    let (status, _) = app
        .get("ana", "/api/aks/available-skus?region=westeurope")
        .await;
    assert_eq!(status, StatusCode::OK, "answered after the wait");
    let after = scrape(&app).await;
    let skus = [("operation", "skus")];
    assert!(
        metric(&after, "azure_throttled_total", &skus)
            >= metric(&before, "azure_throttled_total", &skus) + 1.0,
        "{after}"
    );
    assert!(
        metric(
            &after,
            "azure_requests_total",
            &[("operation", "skus"), ("status", "429")]
        ) >= 1.0,
        "{after}"
    );
    assert!(metric(&after, "azure_retry_after_wait_seconds_total", &[]) >= 1.0);
}

#[tokio::test]
async fn an_event_stream_is_counted_while_open() {
    let app = TestApp::spawn().await;
    let before = scrape(&app).await;
    let stream = app.get_response("ana", "/api/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    let open = scrape(&app).await;
    assert!(metric(&open, "event_streams_open", &[]) >= 1.0, "{open}");
    assert!(
        metric(&open, "event_streams_opened_total", &[])
            >= metric(&before, "event_streams_opened_total", &[]) + 1.0
    );
    drop(stream);
    let mut closed = String::new();
    for _ in 0..50 {
        closed = scrape(&app).await;
        if metric(&closed, "event_streams_open", &[]) == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(metric(&closed, "event_streams_open", &[]), 0.0, "{closed}");
}

#[tokio::test]
async fn metrics_are_behind_their_switch_and_on_their_own_address_too() {
    let port = free_port();
    let app = TestApp::builder()
        .configure(move |c| {
            c.metrics_enabled = false;
            c.metrics_addr = Some(([127, 0, 0, 1], port).into());
        })
        .spawn()
        .await;
    let off = app.http.get(app.url("/metrics")).send().await.expect("get");
    assert_eq!(off.status(), StatusCode::NOT_FOUND);
    let separate = app
        .http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(separate.status(), StatusCode::OK);
    let text = separate.text().await.expect("text");
    assert!(text.contains("aks_jobs"), "{text}");
}

/// Every series line of a scrape (the lines that are not comments).
fn series(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.rsplit_once(' ').map(|(s, _)| s.to_owned()))
        .collect()
}

#[tokio::test]
async fn made_up_methods_and_paths_add_no_series() {
    let app = TestApp::spawn().await;
    // Once each kind of answer, so its series exists before the count.
    for method in ["BREW0", "GET"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let _ = app
            .http
            .request(method, app.url("/no-such-page-0"))
            .send()
            .await;
    }
    let _ = app
        .http
        .request(
            reqwest::Method::from_bytes(b"BREW0").expect("m"),
            app.url("/healthz"),
        )
        .send()
        .await;
    let before = series(&scrape(&app).await);
    for i in 1..=200 {
        let method = reqwest::Method::from_bytes(format!("BREW{i}").as_bytes()).expect("method");
        for path in [format!("/no-such-page-{i}"), "/healthz".to_owned()] {
            let _ = app
                .http
                .request(method.clone(), app.url(&path))
                .send()
                .await;
        }
    }
    let after = series(&scrape(&app).await);
    // Only this test sends made-up methods: their series are the same set as after one.
    let other = |all: &std::collections::BTreeSet<String>| -> Vec<String> {
        all.iter()
            .filter(|s| s.contains("method=\"other\""))
            .cloned()
            .collect()
    };
    assert!(
        !other(&before).is_empty(),
        "made-up methods are counted as other: {before:#?}"
    );
    assert_eq!(
        other(&after),
        other(&before),
        "200 made-up methods added series"
    );
    let raw: Vec<&String> = after
        .iter()
        .filter(|s| s.contains("BREW") || s.contains("no-such-page"))
        .collect();
    assert!(
        raw.is_empty(),
        "a request's own text became a label: {raw:#?}"
    );
}
