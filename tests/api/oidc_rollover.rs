//! Sign-in against a second, independent OpenID Connect provider (panva's `oidc-provider`, see
//! `helpers::oidc_provider`), and through its signing-key rollover: once the provider publishes
//! only a new key, a fresh sign-in must still work without restarting the dashboard.

use std::net::SocketAddr;

use aks_dashboard::config::AuthMode;
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::oidc_provider::IndependentProvider;
use crate::helpers::{TestApp, free_port};

/// Signs `browser` in at the independent provider as `user` with `roles`: the callback's
/// status and, when it is not a redirect, its page.
async fn sign_in(
    browser: &mut Browser<'_>,
    provider: &IndependentProvider,
    user: &str,
    roles: &[&str],
) -> (StatusCode, String) {
    let authorize = browser.begin_sign_in("/").await;
    assert!(
        authorize.starts_with(&format!("{}/", provider.issuer_url)),
        "the dashboard sends the browser to the independent provider: {authorize}"
    );
    let callback = provider.sign_in(&authorize, user, roles).await;
    assert!(
        callback.starts_with(&browser.app.url("/auth/callback?")),
        "the provider sends the browser back to the dashboard: {callback}"
    );
    let done = browser.get(&callback).await;
    let status = done.status();
    let page = if status.is_redirection() {
        String::new()
    } else {
        done.text().await.unwrap_or_default()
    };
    (status, page)
}

#[tokio::test]
async fn sign_in_survives_an_independent_providers_key_rollover_without_a_restart() {
    // The provider registers the dashboard's redirect URI before the dashboard listens.
    let port = free_port();
    let public_url = format!("http://127.0.0.1:{port}");
    let provider = IndependentProvider::start(
        &format!("{public_url}/auth/callback"),
        &format!("{public_url}/"),
    )
    .await;
    let (issuer, client_id, secret) = (
        provider.issuer_url.clone(),
        provider.client_id.clone(),
        provider.client_secret.clone(),
    );
    let app = TestApp::builder()
        .auth_mode(AuthMode::Oidc)
        .configure(move |c| {
            c.oidc_issuer_url = Some(issuer);
            c.oidc_client_id = client_id;
            c.oidc_client_secret = Some(secret);
            c.listen = SocketAddr::from(([127, 0, 0, 1], port));
            c.public_url = Some(public_url);
        })
        .spawn()
        .await;

    let keys_before = provider.key_ids().await;
    assert_eq!(keys_before.len(), 1, "{keys_before:?}");
    let mut first = Browser::new(&app);
    let (status, page) = sign_in(&mut first, &provider, "Olga Operator", &["Operator"]).await;
    assert!(
        status.is_redirection(),
        "the first sign-in: {status} {page}"
    );
    let (status, session) = first.session().await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"], "Olga Operator");
    assert_eq!(session["role"], "operator");

    // The provider rolls its key over: the old one is no longer published at all.
    provider.rotate().await;
    let keys_after = provider.key_ids().await;
    assert_eq!(keys_after.len(), 1, "{keys_after:?}");
    assert_ne!(keys_after, keys_before, "the rollover published a new key");

    // A fresh browser, the same running dashboard: its ID token is signed with the new key.
    let mut second = Browser::new(&app);
    let (status, page) = sign_in(&mut second, &provider, "Olga Operator", &["Operator"]).await;
    assert!(
        status.is_redirection(),
        "the sign-in after the provider's key rollover was refused ({status}): the dashboard \
         checked the ID token against the keys it read before the rollover\n{page}"
    );
    let (status, again) = second.session().await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["user"], "Olga Operator");
    assert_eq!(again["role"], "operator");
    assert_eq!(again["user_id"], session["user_id"], "the same subject");
}
