//! The page's first event stream (issue 36): it says when the server read what the page shows
//! (`?since=`), and the server sends `resync` first only when the user would have heard something
//! since — a page that missed nothing does not read everything again right after it loaded.

use std::time::Duration;

use aks_dashboard::clock::now_ms;
use reqwest::StatusCode;

use crate::helpers::{TestApp, finished, provision_request, read_events};

/// Opens `/api/events?since=…` as `ana` and returns what it says within a moment.
async fn first_words(app: &TestApp, since: i64) -> String {
    let mut events = app
        .get_response("ana", &format!("/api/events?since={since}"))
        .await;
    assert_eq!(events.status(), StatusCode::OK);
    read_events(&mut events, Duration::from_millis(1500), |seen| {
        seen.contains("event: ")
    })
    .await
}

/// A failure of `ana`'s, published on the server's bus; when it was.
async fn a_failure(app: &TestApp, name: &str) -> i64 {
    let at = now_ms();
    let accepted = app
        .provision(
            "ana",
            provision_request("eastus", name, "Standard_D4s_v3", 3),
        )
        .await;
    let task_id = accepted["task_id"].as_str().expect("task").to_owned();
    app.wait_task("ana", &task_id, finished).await;
    at
}

#[tokio::test]
async fn a_page_that_missed_nothing_is_not_told_to_read_again() {
    let app = TestApp::spawn().await;
    a_failure(&app, "aks-before").await;
    // The page read everything after that failure.
    let heard = first_words(&app, now_ms() + 5_000).await;
    assert!(!heard.contains("event: resync"), "{heard}");
}

#[tokio::test]
async fn a_page_that_missed_an_event_of_its_user_is_told_to_read_again_first() {
    let app = TestApp::spawn().await;
    // The server keeps what it sent from its start; a page read before then cannot be told.
    assert!(first_words(&app, 1).await.contains("event: resync"));
    // Clocks of two servers may differ by seconds: wait until the start is that far behind.
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    let read_at = a_failure(&app, "aks-missed").await;
    let heard = first_words(&app, read_at).await;
    assert!(heard.starts_with("event: resync"), "{heard}");
}
