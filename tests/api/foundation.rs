//! The foundation: health, sign-in and identity, cross-site and oversized requests, graceful
//! stop — the real server on a random port with a temporary database, spoken to over HTTP.

use aks_dashboard::config::AuthMode;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::TestApp;

async fn start(auth_mode: AuthMode) -> TestApp {
    TestApp::builder().auth_mode(auth_mode).spawn().await
}

/// The `name=value` part of the session cookie a response sets.
fn session_cookie(res: &reqwest::Response) -> String {
    let raw = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("aksdash_user="))
        .expect("a session cookie is set")
        .to_owned();
    assert!(raw.contains("HttpOnly"), "cookie is HttpOnly: {raw}");
    assert!(
        raw.contains("SameSite=Lax"),
        "cookie is SameSite=Lax: {raw}"
    );
    raw.split(';').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let t = start(AuthMode::Dev).await;
    let res = t.http.get(t.url("/healthz")).send().await.expect("healthz");
    assert_eq!(res.status(), StatusCode::OK);
    let res = t.http.get(t.url("/readyz")).send().await.expect("readyz");
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "ready");

    // Once the database is gone, the server is alive but not ready.
    t.server.state.storage.pool.close().await;
    let res = t.http.get(t.url("/readyz")).send().await.expect("readyz");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let res = t.http.get(t.url("/healthz")).send().await.expect("healthz");
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_api_call_without_a_caller_is_401_with_a_json_error() {
    let t = start(AuthMode::Dev).await;
    let res = t
        .http
        .get(t.url("/api/session"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = res.json().await.expect("json error");
    assert_eq!(body["code"], "unauthenticated");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Sign in")
    );

    let t = start(AuthMode::Easyauth).await;
    let res = t
        .http
        .get(t.url("/api/session"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_page_visit_in_dev_mode_signs_in_as_dev_and_shows_it() {
    let t = start(AuthMode::Dev).await;
    let res = t.http.get(t.url("/")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = session_cookie(&res);
    let html = res.text().await.expect("html");
    assert!(
        html.contains(r#"data-testid="signed-in-user""#),
        "user badge rendered"
    );
    assert!(html.contains(">dev</span>"), "signed in as dev: {html}");
    assert!(html.contains(r#"data-testid="cluster-card""#));
    // The cluster list is server HTML inside the card (the browser only swaps it when it
    // changes): the default world's resource group has no cluster yet.
    assert!(html.contains(r#"class="cluster-list""#), "{html}");
    assert!(html.contains("No clusters in"), "{html}");

    // The cookie identifies the caller to the API.
    let res = t
        .http
        .get(t.url("/api/session"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("api");
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["user"], "dev");
    assert_eq!(body["scope"]["resource_group"], "rg-aks-dev");
    assert_eq!(
        body["role"], "operator",
        "a dev user without roles is an operator"
    );
}

#[tokio::test]
async fn dev_sign_in_switches_user_and_redirects_only_locally() {
    let t = start(AuthMode::Dev).await;
    let res = t
        .http
        .get(t.url("/auth/dev?user=alice&next=/"))
        .send()
        .await
        .expect("sign in");
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()[LOCATION], "/");
    // Exactly one session cookie: a browser keeps the last one it is given.
    let sessions = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter(|v| v.to_str().unwrap_or_default().starts_with("aksdash_user="))
        .count();
    assert_eq!(sessions, 1);
    let cookie = session_cookie(&res);

    let html = t
        .http
        .get(t.url("/"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("page");
    let html = html.text().await.expect("html");
    assert!(html.contains(">alice</span>"), "page shows alice");

    // A tampered cookie is not trusted: the visitor is signed in as dev again.
    let forged = cookie.replace("alice", "mallory");
    let res = t
        .http
        .get(t.url("/api/session"))
        .header(COOKIE, &forged)
        .send()
        .await
        .expect("api");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // An off-site `next` falls back to the dashboard.
    let res = t
        .http
        .get(t.url("/auth/dev?user=bob&next=//evil.example/x"))
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.headers()[LOCATION], "/");

    // A bad user name is a 400 that names the field.
    let res = t
        .http
        .get(t.url("/auth/dev?user=has%20space"))
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.expect("json");
    assert!(body["fields"]["user"].is_string(), "{body}");
}

#[tokio::test]
async fn api_clients_in_dev_mode_may_name_themselves_with_a_header() {
    let t = start(AuthMode::Dev).await;
    let res = t
        .http
        .get(t.url("/api/session"))
        .header("X-Dev-User", "carol")
        .send()
        .await
        .expect("api");
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["user"], "carol");

    // The easyauth header means nothing in dev mode.
    let res = t
        .http
        .get(t.url("/api/session"))
        .header("X-MS-CLIENT-PRINCIPAL-ID", "someone")
        .send()
        .await
        .expect("api");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn easyauth_trusts_the_principal_header_and_nothing_else() {
    let t = start(AuthMode::Easyauth).await;
    let res = t
        .http
        .get(t.url("/api/session"))
        .header("X-MS-CLIENT-PRINCIPAL-ID", "0b6f3c1e-principal")
        .send()
        .await
        .expect("api");
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["user"], "0b6f3c1e-principal");

    let res = t
        .http
        .get(t.url("/api/session"))
        .header("X-Dev-User", "dev")
        .send()
        .await
        .expect("api");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = t
        .http
        .get(t.url("/auth/dev?user=alice"))
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_cross_site_post_is_refused() {
    let t = start(AuthMode::Dev).await;
    let res = t
        .http
        .post(t.url("/api/session"))
        .header("X-Dev-User", "dev")
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = t
        .http
        .post(t.url("/api/session"))
        .header("X-Dev-User", "dev")
        .header("Origin", "https://evil.example")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let t = start(AuthMode::Dev).await;
    let res = t
        .http
        .post(t.url("/api/session"))
        .header("X-Dev-User", "dev")
        .header("Content-Type", "application/json")
        .body(vec![b' '; 70 * 1024])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_server_stops_gracefully() {
    let t = start(AuthMode::Dev).await;
    let addr = t.server.addr;
    t.server.stop().await.expect("clean stop");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port closed after stop"
    );
}
