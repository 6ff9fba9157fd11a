//! The developer loop, as `cargo leptos watch` runs the server: it listens where cargo-leptos
//! says (`site-addr` → `LEPTOS_SITE_ADDR`) unless `LISTEN_ADDR` says otherwise, and in watch
//! mode (`LEPTOS_WATCH`) the page carries the live-reload script for `LEPTOS_RELOAD_PORT`, which
//! its Content-Security-Policy lets connect.

use reqwest::StatusCode;
use reqwest::header::CONTENT_SECURITY_POLICY;

use crate::helpers::{DashboardProcess, free_port};

#[tokio::test]
async fn the_server_listens_on_cargo_leptos_site_addr_unless_listen_addr_is_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    let site = free_port();
    let site_addr = format!("127.0.0.1:{site}");
    let server =
        DashboardProcess::spawn_answering_on(site, dir.path(), &[("LEPTOS_SITE_ADDR", &site_addr)])
            .await;
    let res = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("up");
    assert_eq!(res.status(), StatusCode::OK);
    drop(server);

    // LISTEN_ADDR (and --listen) still win.
    let dir = tempfile::tempdir().expect("temp dir");
    let (site, listen) = (free_port(), free_port());
    let site_addr = format!("127.0.0.1:{site}");
    let listen_addr = format!("127.0.0.1:{listen}");
    let server = DashboardProcess::spawn_answering_on(
        listen,
        dir.path(),
        &[
            ("LEPTOS_SITE_ADDR", &site_addr),
            ("LISTEN_ADDR", &listen_addr),
        ],
    )
    .await;
    let res = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("up");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        server
            .http
            .get(format!("http://{site_addr}/healthz"))
            .send()
            .await
            .is_err(),
        "nothing listens on the site address"
    );
}

#[tokio::test]
async fn in_watch_mode_the_page_carries_the_live_reload_script_for_the_reload_port() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let reload_port = free_port().to_string();
    let site_addr = format!("127.0.0.1:{port}");
    let watching = DashboardProcess::spawn_answering_on(
        port,
        dir.path(),
        &[
            ("LEPTOS_SITE_ADDR", &site_addr),
            ("LEPTOS_WATCH", "ON"),
            ("LEPTOS_RELOAD_PORT", &reload_port),
        ],
    )
    .await;
    let res = watching.get_response("dev", "/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let policy = res.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ASCII")
        .to_owned();
    let html = res.text().await.expect("html");
    assert!(
        html.contains("/live_reload"),
        "the reload script is in the page"
    );
    assert!(
        html.contains(&format!("({reload_port}, 'ws://')")),
        "it connects to the reload port"
    );
    assert!(
        policy.contains(&format!("ws://*:{reload_port}")),
        "the policy lets it connect: {policy}"
    );
    drop(watching);

    // Not watching: no reload script, and the policy connects to this site only.
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let site_addr = format!("127.0.0.1:{port}");
    let served = DashboardProcess::spawn_answering_on(
        port,
        dir.path(),
        &[
            ("LEPTOS_SITE_ADDR", &site_addr),
            ("LEPTOS_RELOAD_PORT", &reload_port),
        ],
    )
    .await;
    let res = served.get_response("dev", "/").await;
    let policy = res.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ASCII")
        .to_owned();
    let html = res.text().await.expect("html");
    assert!(!html.contains("/live_reload"), "no reload script");
    assert!(policy.contains("connect-src 'self';"), "{policy}");
}
