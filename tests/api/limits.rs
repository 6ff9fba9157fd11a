//! Per-user limits (issue 29): pre-flight and writes beyond a user's budget per minute get 429
//! `rate_limited` with `Retry-After`, other users are not held, and the limit lifts after the
//! time it named.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, finished, provision_request, read_events};

async fn post_raw(app: &TestApp, user: &str, path: &str, body: &Value) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("X-Dev-User", user)
        .json(body)
        .send()
        .await
        .expect("post")
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds")
}

#[tokio::test]
async fn preflight_over_the_users_budget_is_429_with_retry_after_and_lifts_after_it() {
    let app = TestApp::builder()
        .configure(|c| c.preflights_per_minute = 30)
        .spawn()
        .await;
    let req = provision_request("koreacentral", "", "Standard_D2s_v3", 1);
    // A minute's worth at once.
    for _ in 0..30 {
        let res = post_raw(&app, "ana", "/api/aks/preflight", &req).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let refused = post_raw(&app, "ana", "/api/aks/preflight", &req).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&refused);
    assert!((1..=2).contains(&wait), "one every 2 s: {wait}");
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert_eq!(body["retryable"], true);
    // Another user is not held by ana's loop.
    let other = post_raw(&app, "ben", "/api/aks/preflight", &req).await;
    assert_eq!(other.status(), StatusCode::OK);
    // After the time it named, ana may ask again.
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let again = post_raw(&app, "ana", "/api/aks/preflight", &req).await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn writes_over_the_users_budget_are_refused_before_anything_is_done() {
    let app = TestApp::builder()
        .configure(|c| c.writes_per_minute = 2)
        .spawn()
        .await;
    let unknown = json!({"job_id": "00000000-0000-4000-8000-000000000000"});
    for _ in 0..2 {
        let res = post_raw(&app, "ana", "/api/aks/dismiss-failure", &unknown).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    // The third write of the minute, a create: refused, and no job is made.
    let refused = post_raw(
        &app,
        "ana",
        "/api/aks/provision",
        &provision_request("koreacentral", "aks-limited", "Standard_D2s_v3", 1),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&refused) >= 1);
    let (_, active) = app.get("ana", "/api/aks/active-provisions").await;
    assert_eq!(active.as_array().map(Vec::len), Some(0), "{active}");
    // Reads are not limited.
    let (status, _) = app.get("ana", "/api/aks/recent-failed-provisions").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn dismissing_a_dismissed_failure_again_tells_no_page() {
    let app = TestApp::spawn().await;
    let mut events = app.get_response("ana", "/api/events").await;
    assert_eq!(events.status(), StatusCode::OK);
    let mut req = provision_request("eastus", "aks-too-big", "Standard_D4s_v3", 3);
    req["system_vm_size"] = "Standard_D2s_v3".into();
    let accepted = app.provision("ana", req).await;
    let task_id = accepted["task_id"].as_str().expect("task").to_owned();
    app.wait_task("ana", &task_id, finished).await;
    let job = json!({"job_id": accepted["job_id"]});
    // A page, or a script, dismissing in a loop.
    for _ in 0..5 {
        let (status, _) = app.post("ana", "/api/aks/dismiss-failure", &job).await;
        assert_eq!(status, StatusCode::OK);
    }
    let heard = read_events(&mut events, std::time::Duration::from_millis(1500), |_| {
        false
    })
    .await;
    assert_eq!(
        heard.matches("event: failure_dismissed").count(),
        1,
        "one dismiss, one event: {heard}"
    );
}
