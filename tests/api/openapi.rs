//! The OpenAPI description (issue 29): served at `/api/openapi.json`, kept in the docs as it is
//! served (`docs/openapi.json`), and every answer of the suite is checked against it
//! (`helpers/openapi.rs`, through `ApiClient`).

use std::path::Path;

use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_description_is_served_and_the_docs_hold_it_as_served() {
    let app = TestApp::spawn().await;
    let (status, served) = app.get("ana", "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served["openapi"], "3.1.0");
    for path in [
        "/api/aks/provision",
        "/api/aks/price-estimate",
        "/api/tasks/{task_id}",
    ] {
        assert!(served["paths"][path].is_object(), "{path}");
    }
    let pretty = serde_json::to_string_pretty(&served).expect("JSON") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &pretty).expect("docs written");
        return;
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == pretty,
        "docs/openapi.json is not what the server serves: run `UPDATE_DOCS=1 cargo test \
         --features ssr --test api openapi` and commit the result"
    );
}

#[tokio::test]
async fn an_answer_the_description_does_not_allow_is_caught() {
    // The check the whole suite runs, shown to bite: a task answer without its status.
    let app = TestApp::spawn().await;
    let (_, session) = app.get("ana", "/api/session").await;
    let bad = serde_json::json!({"task_id": "x", "ready": true});
    let caught = std::panic::catch_unwind(|| {
        crate::helpers::openapi::check("GET", "/api/tasks/abc", 200, &bad);
    });
    assert!(caught.is_err(), "a task answer without its fields passed");
    assert!(session["user"].is_string());
}
