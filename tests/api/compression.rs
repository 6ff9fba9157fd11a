//! Compression (issue 36): the page and the JSON answers go brotli (or gzip) to a client that
//! accepts it; the event stream never does (an encoder would hold events back until its buffer
//! filled), and neither does a client that asks for none (nor an answer of a few bytes).

use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, VARY};

use crate::helpers::{TestApp, finished, provision_request, read_events};

/// `GET path` as `ana`, accepting `encodings`.
async fn get(app: &TestApp, path: &str, encodings: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .header("X-Dev-User", "ana")
        .header(ACCEPT_ENCODING, encodings)
        .send()
        .await
        .expect("get")
}

fn header(res: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    res.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

fn unbrotli(body: &[u8]) -> String {
    let mut text = String::new();
    brotli::Decompressor::new(body, 4096)
        .read_to_string(&mut text)
        .expect("a brotli stream of UTF-8");
    text
}

fn ungzip(body: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(body)
        .read_to_string(&mut text)
        .expect("a gzip stream of UTF-8");
    text
}

/// A create Azure refuses for quota, ended: `ana` has a failure to list.
async fn a_failure(app: &TestApp) {
    let accepted = app
        .provision(
            "ana",
            provision_request("eastus", "aks-too-big", "Standard_D4s_v3", 3),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task").to_owned();
    app.wait_task("ana", &task_id, finished).await;
}

#[tokio::test]
async fn the_page_and_the_recent_failures_go_brotli_to_a_browser_that_accepts_it() {
    let app = TestApp::spawn().await;
    a_failure(&app).await;
    for (path, says) in [
        ("/", "data-testid=\"cluster-card\""),
        ("/api/aks/recent-failed-provisions", "aks-too-big"),
    ] {
        let res = get(&app, path, "gzip, deflate, br, zstd").await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&res, CONTENT_ENCODING), "br", "{path}");
        assert!(
            header(&res, VARY)
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "{path}: caches keep one answer per encoding"
        );
        let compressed = res.bytes().await.expect("body");
        let text = unbrotli(&compressed);
        assert!(text.contains(says), "{path}: {text}");

        let plain = get(&app, path, "identity").await;
        assert_eq!(header(&plain, CONTENT_ENCODING), "", "{path}");
        let plain = plain.text().await.expect("body");
        assert!(plain.contains(says), "{path}");
        assert!(
            compressed.len() * 2 < plain.len(),
            "{path}: {} B brotli, {} B as it is",
            compressed.len(),
            plain.len()
        );
    }
}

#[tokio::test]
async fn a_client_that_accepts_only_gzip_gets_gzip() {
    let app = TestApp::spawn().await;
    a_failure(&app).await;
    let res = get(&app, "/api/aks/recent-failed-provisions", "gzip").await;
    assert_eq!(header(&res, CONTENT_ENCODING), "gzip");
    let body: serde_json::Value =
        serde_json::from_str(&ungzip(&res.bytes().await.expect("body"))).expect("JSON");
    assert_eq!(body["jobs"][0]["cluster_name"], "aks-too-big", "{body}");
}

#[tokio::test]
async fn the_event_stream_is_never_compressed_and_each_event_comes_as_it_happens() {
    let app = TestApp::spawn().await;
    let mut events = get(&app, "/api/events", "gzip, deflate, br").await;
    assert_eq!(events.status(), StatusCode::OK);
    assert!(header(&events, CONTENT_TYPE).starts_with("text/event-stream"));
    assert_eq!(header(&events, CONTENT_ENCODING), "");

    // A create Azure refuses for quota: its failure reaches the open stream, as text, while the
    // stream stays open (a compressed stream would hold it back).
    app.provision(
        "ana",
        provision_request("eastus", "aks-too-big", "Standard_D4s_v3", 3),
    )
    .await;
    let heard = read_events(&mut events, Duration::from_secs(10), |seen| {
        seen.contains("event: failure_recorded")
    })
    .await;
    assert!(heard.contains("event: failure_recorded"), "{heard}");
}
