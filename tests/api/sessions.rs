//! Signed-in sessions (OpenID Connect) over time: sign-in starts nobody finishes are swept
//! from the table, a session in use moves its idle end, every session ends at its absolute
//! lifetime (and the role is read again at the next sign-in), and a sign-in that never comes
//! back ends after 10 minutes.

use std::time::Duration;

use aks_dashboard::config::AuthMode;
use aks_dashboard::storage::sessions::DbSessionStore;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::helpers::browser::Browser;

fn store(app: &TestApp) -> DbSessionStore {
    DbSessionStore::new(app.server.state.storage.clone())
}

/// `(data, expires_at)` of every stored session.
async fn rows(app: &TestApp) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT data, expires_at FROM sessions")
        .fetch_all(&app.server.state.storage.pool)
        .await
        .expect("sessions")
}

fn now() -> i64 {
    aks_dashboard::clock::wall_seconds()
}

#[tokio::test]
async fn four_hundred_abandoned_sign_ins_are_swept_from_the_table() {
    let app = TestApp::builder()
        .auth_mode(AuthMode::Oidc)
        .configure(|c| c.session_idle_minutes = 1)
        .spawn()
        .await;
    // Anyone can start a sign-in: each start is a session row.
    let starts = (0..400).map(|_| app.http.get(app.url("/auth/login")).send());
    for res in futures_util::future::join_all(starts).await {
        assert!(res.expect("login").status().is_redirection());
    }
    let stored = store(&app).count().await.expect("count");
    assert!(stored >= 400, "{stored}");
    // A sign-in that never comes back lives as long as an idle session (1 minute here).
    let latest = rows(&app)
        .await
        .iter()
        .map(|(_, at)| *at)
        .max()
        .unwrap_or(0);
    assert!(latest <= now() + 61, "{latest} vs {}", now());

    // The runners sweep them: back under 40 rows within 200 s, nothing done by the test.
    let started = tokio::time::Instant::now();
    let deadline = started + Duration::from_secs(200);
    loop {
        let left = store(&app).count().await.expect("count");
        if left < 40 {
            eprintln!(
                "400 abandoned sign-ins: {left} rows left after {:?}",
                started.elapsed()
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{left} sessions still stored after 200 s"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[tokio::test]
async fn a_sign_in_that_never_comes_back_ends_after_ten_minutes() {
    let app = TestApp::builder().auth_mode(AuthMode::Oidc).spawn().await;
    let mut browser = Browser::new(&app);
    browser.begin_sign_in("/").await;
    let (_, expires_at) = rows(&app).await.pop().expect("the pending sign-in");
    let left = expires_at - now();
    assert!(
        (590..=601).contains(&left),
        "{left} s, not the 8 h idle time"
    );
}

#[tokio::test]
async fn a_session_in_use_moves_its_idle_end() {
    let app = TestApp::builder()
        .auth_mode(AuthMode::Oidc)
        .configure(|c| c.session_idle_minutes = 30)
        .spawn()
        .await;
    let mut browser = Browser::new(&app);
    browser.signed_in("Olga", "Operator").await;
    // As if the session had last been used 25 minutes ago, and ended in 5.
    let pool = &app.server.state.storage.pool;
    let (data, _) = rows(&app).await.pop().expect("the session");
    let mut data: serde_json::Value = serde_json::from_str(&data).expect("json");
    data["seen_at"] = serde_json::json!(now() - 25 * 60);
    sqlx::query("UPDATE sessions SET data = $1, expires_at = $2")
        .bind(data.to_string())
        .bind(now() + 5 * 60)
        .execute(pool)
        .await
        .expect("age the session");

    // One use: the end moves to 30 minutes from now, and the cookie is sent again with it.
    let res = browser.get(&app.url("/api/session")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let resent = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("aksdash_session=") && c.contains("Max-Age="));
    assert!(resent, "the cookie's end moves too");
    let (_, expires_at) = rows(&app).await.pop().expect("the session");
    let left = expires_at - now();
    assert!((29 * 60..=30 * 60 + 1).contains(&left), "{left} s");

    // A second use within the minute writes nothing (the end moves at most once a minute).
    sqlx::query("UPDATE sessions SET expires_at = expires_at - 100")
        .execute(pool)
        .await
        .expect("mark");
    assert_eq!(browser.session().await.0, StatusCode::OK);
    let (_, unchanged) = rows(&app).await.pop().expect("the session");
    assert_eq!(unchanged, expires_at - 100);
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_and_the_role_is_read_again() {
    let app = TestApp::builder()
        .auth_mode(AuthMode::Oidc)
        // 2 seconds, however active.
        .configure(|c| c.session_max_hours = 2.0 / 3600.0)
        .spawn()
        .await;
    let mut browser = Browser::new(&app);
    browser.signed_in("Olga", "Admin").await;
    assert_eq!(browser.session().await.1["role"], "admin");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while browser.session().await.0 == StatusCode::OK {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session outlived its lifetime"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(browser.session().await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        store(&app).count().await.expect("count"),
        0,
        "the row went with it"
    );
    // Meanwhile her Admin role was taken away: the next sign-in reads what the provider says.
    browser.signed_in("Olga", "Reader").await;
    assert_eq!(browser.session().await.1["role"], "reader");
}
