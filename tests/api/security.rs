//! Security edges of the HTTP surface: no dev identity on a network address by accident, no
//! open redirect, JSON for every `/api/` answer, the body limit whatever the framing, and the
//! security headers on every answer.

use std::net::Ipv4Addr;

use reqwest::StatusCode;
use reqwest::header::{ALLOW, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use serde_json::Value;

use crate::helpers::{DashboardProcess, TestApp, provision_request, refused_start};

const FLAG: &str = "--insecure-dev-auth-on-network";

#[tokio::test]
async fn dev_sign_in_on_a_network_address_refuses_to_start_in_one_line() {
    let refused = refused_start(Ipv4Addr::UNSPECIFIED, &[]).await;
    assert!(!refused.success, "exit status says it failed");
    let lines: Vec<&str> = refused
        .stderr
        .lines()
        .filter(|l| l.contains(FLAG))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "one line names the opt-in: {}",
        refused.stderr
    );
    assert!(lines[0].contains("0.0.0.0"), "{}", lines[0]);

    // Explicitly dev mode, a real-looking Azure: refused just the same.
    let refused = refused_start(
        Ipv4Addr::UNSPECIFIED,
        &[
            ("AUTH_MODE", "dev"),
            ("ARM_ENDPOINT", "https://management.azure.com"),
        ],
    )
    .await;
    assert!(!refused.success);
    assert!(refused.stderr.contains(FLAG), "{}", refused.stderr);
}

#[tokio::test]
async fn dev_sign_in_on_a_network_address_starts_only_with_the_insecure_opt_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let opted_in = DashboardProcess::spawn_with(
        Ipv4Addr::UNSPECIFIED,
        dir.path(),
        &[("INSECURE_DEV_AUTH_ON_NETWORK", "true")],
    )
    .await;
    let (status, session) = opted_in.get("alice", "/api/session").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["user"], "alice");

    // Easyauth has no dev identity to expose: it starts on a network address as it is.
    let app = TestApp::builder()
        .auth_mode(aks_dashboard::config::AuthMode::Easyauth)
        .configure(|config| config.listen.set_ip(Ipv4Addr::UNSPECIFIED.into()))
        .spawn()
        .await;
    let res = app.http.get(app.url("/healthz")).send().await.expect("up");
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn dev_sign_in_redirects_only_to_a_path_of_this_site() {
    let app = TestApp::spawn().await;
    for (next, expected) in [
        ("/", "/"),
        ("/clusters?x=1", "/clusters?x=1"),
        // Browsers drop tabs and newlines from URLs: `/\t/evil.example` is `//evil.example`.
        ("/%09/evil.example", "/"),
        ("/%0A/evil.example", "/"),
        ("/%0D%0A/evil.example", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("\\\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("evil.example", "/"),
        // Encoded once more: what a second decoding would turn into an off-site URL.
        ("/%252F%252Fevil.example", "/"),
        ("/%2509/evil.example", "/"),
        ("/%255Cevil.example", "/"),
        ("/caf%C3%A9", "/"),
        ("", "/"),
    ] {
        let res = app
            .http
            .get(app.url(&format!("/auth/dev?user=dev&next={next}")))
            .send()
            .await
            .expect("sign in");
        assert!(
            res.status().is_redirection(),
            "{next}: {} {:?}",
            res.status(),
            res.text().await
        );
        assert_eq!(res.headers()[LOCATION], expected, "next={next}");
    }
}

/// An error answer under `/api/`: JSON `{code, message}`, never the page.
async fn assert_json_error(res: reqwest::Response, status: StatusCode, code: &str) -> Value {
    let what = format!("{} {}", res.status(), res.url());
    assert_eq!(res.status(), status, "{what}");
    let content_type = res.headers()[CONTENT_TYPE].to_str().unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {content_type}"
    );
    let body: Value = res.json().await.expect("JSON error");
    assert_eq!(body["code"], code, "{what}: {body}");
    assert!(
        !body["message"].as_str().unwrap_or_default().is_empty(),
        "{what}: {body}"
    );
    body
}

#[tokio::test]
async fn every_api_path_answers_json_for_unknown_routes_and_wrong_methods() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/tasks/",
        "/api/tasks",
        "/api/nope",
        "/api/aks/",
        "/api/aks/nope/deeper",
        "/api/",
    ] {
        let res = app.get_response("dev", path).await;
        assert_json_error(res, StatusCode::NOT_FOUND, "not_found").await;
    }

    for (method, path, allowed) in [
        (reqwest::Method::GET, "/api/aks/provision", "POST"),
        (reqwest::Method::PUT, "/api/aks/preflight", "POST"),
        (reqwest::Method::POST, "/api/tasks/abc", "GET"),
        (
            reqwest::Method::DELETE,
            "/api/aks/cancel-provision/abc",
            "POST",
        ),
        (reqwest::Method::DELETE, "/api/session", "GET"),
    ] {
        let res = app
            .http
            .request(method.clone(), app.url(path))
            .header("X-Dev-User", "dev")
            .send()
            .await
            .expect("request");
        let allow = res
            .headers()
            .get(ALLOW)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        assert!(allow.contains(allowed), "{method} {path}: Allow {allow:?}");
        assert_json_error(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }

    // Without a caller it is still JSON (401 comes first: nothing about routes leaks).
    let res = app
        .http
        .get(app.url("/api/nope"))
        .send()
        .await
        .expect("get");
    assert_json_error(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn a_chunked_body_over_64_kb_is_refused_with_413_json() {
    let app = TestApp::spawn().await;
    let chunk = vec![b' '; 8 * 1024];
    let chunks: Vec<&[u8]> = std::iter::repeat_n(chunk.as_slice(), 9).collect();
    for path in ["/api/aks/preflight", "/api/aks/provision", "/api/tasks/x"] {
        let (status, body) = app.post_chunked("dev", path, &chunks).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
        assert_eq!(body["code"], "payload_too_large", "{path}: {body}");
    }

    // A small chunked body is read as usual.
    let small = serde_json::to_vec(&provision_request(
        "koreacentral",
        "aks-chunked",
        "Standard_D2s_v3",
        1,
    ))
    .expect("json");
    let (status, report) = app
        .post_chunked("dev", "/api/aks/preflight", &[&small[..10], &small[10..]])
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(report["checks"].is_array(), "{report}");

    // With Content-Length the answer is the same JSON 413.
    let res = app
        .http
        .post(app.url("/api/aks/preflight"))
        .header("X-Dev-User", "dev")
        .header(CONTENT_TYPE, "application/json")
        .body(vec![b' '; 65 * 1024])
        .send()
        .await
        .expect("post");
    assert_json_error(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

/// The `script-src` directive of a policy.
fn script_directive(policy: &str) -> &str {
    policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src "))
        .unwrap_or_default()
}

/// The nonce in `script-src 'nonce-…'` of a page's policy.
fn script_nonce(policy: &str) -> String {
    script_directive(policy)
        .split_whitespace()
        .find(|s| s.starts_with("'nonce-"))
        .map(|s| {
            s.trim_start_matches("'nonce-")
                .trim_end_matches('\'')
                .to_owned()
        })
        .unwrap_or_else(|| panic!("no script nonce in {policy}"))
}

#[tokio::test]
async fn the_page_has_a_nonce_policy_and_every_answer_the_security_headers() {
    let app = TestApp::spawn().await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let res = app.http.get(app.url("/")).send().await.expect("page");
        assert_eq!(res.status(), StatusCode::OK);
        let policy = res.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ASCII")
            .to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("object-src 'none'"), "{policy}");
        assert!(
            !script_directive(&policy).contains("'unsafe-inline'"),
            "{policy}"
        );
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert!(res.headers().contains_key("referrer-policy"));
        let nonce = script_nonce(&policy);
        let html = res.text().await.expect("html");
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "the page has scripts");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "every script carries this answer's nonce: {html}"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce per answer");

    for path in ["/api/session", "/api/nope", "/healthz", "/favicon.svg"] {
        let res = app.get_response("dev", path).await;
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        assert!(res.headers().contains_key("referrer-policy"), "{path}");
        let policy = res.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or_default();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
    }

    // `/api` answers hold Azure's error texts: no cache keeps them.
    for path in [
        "/api/session",
        "/api/nope",
        "/api/aks/recent-failed-provisions",
        "/api/aks/available-skus?region=koreacentral",
    ] {
        let res = app.get_response("dev", path).await;
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn logs_can_be_json_lines_for_log_shippers() {
    let refused = refused_start(Ipv4Addr::UNSPECIFIED, &[("LOG_FORMAT", "json")]).await;
    assert!(!refused.success);
    let lines: Vec<Value> = refused
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let error = lines
        .iter()
        .find(|l| l["level"] == "ERROR")
        .unwrap_or_else(|| panic!("an error line: {}", refused.stdout));
    assert!(error["timestamp"].is_string(), "{error}");
    assert!(
        error["error"].as_str().is_some_and(|e| e.contains(FLAG)),
        "the event's fields are keys of the line: {error}"
    );
}

#[tokio::test]
async fn help_never_prints_the_database_password() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aks-dashboard"))
        .arg("--help")
        .env(
            "DATABASE_URL",
            "postgres://dash:s3cr3t-pass@db.example/dash",
        )
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("DATABASE_URL"), "{help}");
    assert!(!help.contains("s3cr3t-pass"), "{help}");
}

#[tokio::test]
async fn secrets_never_reach_the_logs_nor_the_error_of_a_refused_start() {
    let session = "session-s3cr3t-0123456789012345678901234567890123456789012345678901234567";
    let refused = refused_start(
        Ipv4Addr::LOCALHOST,
        &[
            ("RUST_LOG", "debug"),
            ("DATABASE_URL", "mysql://dash:db-s3cr3t@db.example/dash"),
            ("SESSION_SECRET", session),
            ("ARM_TOKEN", "arm-s3cr3t"),
            ("OIDC_CLIENT_SECRET", "oidc-s3cr3t"),
        ],
    )
    .await;
    assert!(!refused.success);
    let printed = format!("{}\n{}", refused.stdout, refused.stderr);
    for secret in ["db-s3cr3t", session, "arm-s3cr3t", "oidc-s3cr3t"] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
    assert!(
        printed.contains("mysql://dash:***@db.example/dash"),
        "the URL is named without its password: {printed}"
    );
}

#[tokio::test]
async fn served_over_https_the_browser_is_told_to_keep_to_https() {
    let https = TestApp::builder()
        .configure(|c| c.public_url = Some("https://aks.example.com".into()))
        .spawn()
        .await;
    let res = https.get_response("dev", "/healthz").await;
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let plain = TestApp::spawn().await;
    let res = plain.get_response("dev", "/healthz").await;
    assert!(!res.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn one_user_cannot_take_every_event_stream() {
    let app = TestApp::builder()
        .configure(|c| {
            c.max_streams_per_user = 2;
            c.max_streams_per_server = 3;
        })
        .spawn()
        .await;
    let open = |user: &'static str| app.get_response(user, "/api/events");
    let first = open("greedy").await;
    let second = open("greedy").await;
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let third = open("greedy").await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third.headers()["retry-after"], "30");
    let body: Value = third.json().await.expect("json");
    assert_eq!(body["code"], "too_many_streams", "{body}");

    // Another user still gets one; then the server's own cap is reached for everyone.
    let other = open("patient").await;
    assert_eq!(other.status(), StatusCode::OK);
    let late = open("late").await;
    assert_eq!(late.status(), StatusCode::TOO_MANY_REQUESTS);
    drop((first, second, other));
}
