//! Who may sign in, and how: OpenID Connect against the simulator's issuer (a whole sign-in, a
//! token the issuer spoiled, the issuer's key rollover, sign-out at the provider too, an error
//! the link carries), dev mode answering only this machine, Easy Auth's roles and its forwarded
//! ID token, and users with no role under `DEFAULT_ROLE=none`.

use aks_dashboard::config::AuthMode;
use base64::Engine;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HOST, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::browser::{Browser, location};

async fn oidc_app() -> TestApp {
    TestApp::builder().auth_mode(AuthMode::Oidc).spawn().await
}

#[tokio::test]
async fn oidc_sign_in_through_the_issuer_gives_a_server_side_session_with_the_users_role() {
    let app = oidc_app().await;
    let mut browser = Browser::new(&app);
    // Nobody yet: the API says 401, a page goes to the sign-in (keeping where it was).
    assert_eq!(browser.session().await.0, StatusCode::UNAUTHORIZED);
    let page = browser.get(&app.url("/?scope=a%2Fb")).await;
    assert!(page.status().is_redirection());
    assert_eq!(location(&page), "/auth/login?next=%2F%3Fscope%3Da%252Fb");

    let before_sign_in = browser.cookie.clone();
    let done = browser.sign_in("Olga Operator", "Operator").await;
    assert!(done.status().is_redirection(), "{}", done.status());
    assert_eq!(
        location(&done),
        "/?scope=x",
        "back where the sign-in started"
    );
    assert_ne!(
        browser.cookie, before_sign_in,
        "a signed-in session gets a new id"
    );
    let (status, session) = browser.session().await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"], "Olga Operator");
    assert_eq!(session["role"], "operator");
    let id = session["user_id"].as_str().unwrap_or_default();
    assert!(
        id.len() == 36 && id != "Olga Operator",
        "the owner key is the object id: {session}"
    );
    assert_eq!(session["can_sign_out"], true);

    // The session id from before the sign-in is worth nothing (no session fixation).
    let mut stale = Browser::new(&app);
    stale.cookie = before_sign_in;
    assert_eq!(stale.session().await.0, StatusCode::UNAUTHORIZED);

    // A dev header means nothing in this mode.
    let (status, _) = app.get("mallory", "/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Sign-out is a button: a GET (a link, an image on another site) only shows it.
    let page = browser.get(&app.url("/auth/logout")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("page");
    assert!(
        html.contains(r#"<form method="post" action="/auth/logout">"#),
        "{html}"
    );
    assert_eq!(browser.session().await.0, StatusCode::OK, "still signed in");
    // Another site's form cannot post it either.
    let cross = app
        .http
        .post(app.url("/auth/logout"))
        .header(COOKIE, browser.cookie.clone().unwrap_or_default())
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("post");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    assert_eq!(browser.session().await.0, StatusCode::OK, "still signed in");

    // The button ends the session on the server, then the provider's own session: the browser
    // goes to its end_session_endpoint, which sends it back to the dashboard.
    let kept = browser.cookie.clone();
    let out = browser.post(&app.url("/auth/logout")).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let at_provider = reqwest::Url::parse(&location(&out)).expect("url");
    assert!(
        at_provider.path().ends_with("/oauth2/v2.0/logout"),
        "{at_provider}"
    );
    let query: std::collections::HashMap<String, String> =
        at_provider.query_pairs().into_owned().collect();
    assert_eq!(query["post_logout_redirect_uri"], app.url("/"));
    assert_eq!(query["client_id"], "aks-dashboard");
    assert!(query.contains_key("id_token_hint"), "{query:?}");
    let back = app.http.get(at_provider).send().await.expect("provider");
    assert_eq!(location(&back), app.url("/"));
    let mut replay = Browser::new(&app);
    replay.cookie = kept;
    assert_eq!(replay.session().await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(browser.session().await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_survives_the_issuers_key_rollover_without_a_restart() {
    let app = oidc_app().await;
    let mut before = Browser::new(&app);
    before.signed_in("Olga", "Operator").await;
    assert_eq!(before.session().await.0, StatusCode::OK);

    let rotated: Value = app
        .http
        .post(format!("{}/_armsim/oidc/rotate", app.simulator.base_url))
        .send()
        .await
        .expect("rotate")
        .json()
        .await
        .expect("json");
    let keys: Value = app
        .http
        .get(format!(
            "{}/{}/discovery/v2.0/keys",
            app.simulator.base_url,
            aks_dashboard::config::DEFAULT_TENANT_ID
        ))
        .send()
        .await
        .expect("keys")
        .json()
        .await
        .expect("json");
    let kids: Vec<&str> = keys["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert_eq!(
        kids,
        vec![rotated["kid"].as_str().expect("kid")],
        "only the new key"
    );

    // Same server, no restart: the token signed with the new key is taken.
    let mut after = Browser::new(&app);
    let done = after.sign_in("Olga", "Operator").await;
    assert!(done.status().is_redirection(), "{}", done.status());
    assert_eq!(after.session().await.0, StatusCode::OK);
    // The session made before the rollover goes on: it is the dashboard's, not the key's.
    assert_eq!(before.session().await.0, StatusCode::OK);

    // A token signed with a key nobody published is still refused (the keys were read again,
    // and it is not among them).
    app.http
        .post(format!("{}/_armsim/oidc/faults", app.simulator.base_url))
        .json(&json!({ "token": "bad_signature" }))
        .send()
        .await
        .expect("fault");
    let mut mallory = Browser::new(&app);
    assert_eq!(
        mallory.sign_in("Mallory", "Admin").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_error_in_the_callback_link_is_told_in_our_words_never_the_links() {
    let app = oidc_app().await;
    for (code, said) in [
        ("access_denied", "cancelled"),
        ("temporarily_unavailable", "Try again in a moment"),
        ("made_up_code", "refused the sign-in"),
    ] {
        let url = app.url(&format!(
            "/auth/callback?error={code}&error_description=%3Cb%3EYour%20account%20is%20locked%2C%20call%20%2B1-555-0100%3C%2Fb%3E"
        ));
        let res = app.http.get(url).send().await.expect("callback");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{code}");
        let page = res.text().await.expect("page");
        assert!(page.contains(said), "{code}: {page}");
        assert!(
            !page.contains("555-0100"),
            "{code}: the link's text is shown: {page}"
        );
        assert!(!page.contains("locked"), "{code}: {page}");
    }
}

#[tokio::test]
async fn on_https_the_session_cookie_is_a_host_cookie() {
    let app = TestApp::builder()
        .auth_mode(AuthMode::Oidc)
        .configure(|c| c.public_url = Some("https://aks.example.test".into()))
        .spawn()
        .await;
    let res = app
        .http
        .get(app.url("/auth/login"))
        .send()
        .await
        .expect("login");
    assert!(res.status().is_redirection());
    let cookies: Vec<String> = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-aksdash_session="))
        .unwrap_or_else(|| panic!("a __Host- session cookie: {cookies:?}"));
    assert!(session.contains("Secure"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(
        !session.to_ascii_lowercase().contains("domain="),
        "{session}"
    );
}

#[tokio::test]
async fn with_default_role_none_a_user_without_a_role_is_let_in_nowhere() {
    let app = TestApp::builder()
        .auth_mode(AuthMode::Oidc)
        .configure(|c| {
            c.default_role = aks_dashboard::config::DefaultRole(None);
            c.access_contact = Some("the platform team in #aks-help".into());
        })
        .spawn()
        .await;
    let mut nora = Browser::new(&app);
    nora.signed_in("Nora", "").await;
    let (status, body) = nora.session().await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "no_role");
    let page = nora.get(&app.url("/")).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let html = page.text().await.expect("page");
    assert!(html.contains("the platform team in #aks-help"), "{html}");
    assert!(html.contains("Nora"), "{html}");
    assert!(html.contains(r#"action="/auth/logout""#), "{html}");
    let res = nora.post(&app.url("/api/aks/provision")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // She may still sign out.
    assert_eq!(
        nora.post(&app.url("/auth/logout")).await.status(),
        StatusCode::SEE_OTHER
    );
    // A user with a role is let in as before.
    let mut olga = Browser::new(&app);
    olga.sign_in("Olga", "Operator").await;
    assert_eq!(olga.session().await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_user_without_a_role_claim_gets_the_configured_default_role() {
    let app = oidc_app().await;
    let mut reader = Browser::new(&app);
    reader.sign_in("Nora", "").await;
    assert_eq!(reader.session().await.1["role"], "reader", "the default");

    let app = TestApp::builder()
        .auth_mode(AuthMode::Oidc)
        .configure(|c| {
            c.default_role =
                aks_dashboard::config::DefaultRole(Some(aks_dashboard::identity::Role::Operator))
        })
        .spawn()
        .await;
    let mut operator = Browser::new(&app);
    operator.sign_in("Nora", "").await;
    assert_eq!(operator.session().await.1["role"], "operator");
    let mut admin = Browser::new(&app);
    admin.sign_in("Ada", "Admin").await;
    assert_eq!(admin.session().await.1["role"], "admin");
}

#[tokio::test]
async fn a_spoiled_id_token_is_refused_and_signs_nobody_in() {
    let app = oidc_app().await;
    let faults = format!("{}/_armsim/oidc/faults", app.simulator.base_url);
    for fault in [
        "bad_signature",
        "expired",
        "wrong_audience",
        "wrong_issuer",
        "wrong_nonce",
    ] {
        let res = app
            .http
            .post(&faults)
            .json(&json!({ "token": fault }))
            .send()
            .await
            .expect("fault");
        assert!(res.status().is_success(), "{fault}");
        let mut browser = Browser::new(&app);
        let done = browser.sign_in("Mallory", "Admin").await;
        assert_eq!(done.status(), StatusCode::UNAUTHORIZED, "{fault}");
        let page = done.text().await.expect("page");
        assert!(page.contains("Sign-in failed"), "{fault}: {page}");
        assert_eq!(
            browser.session().await.0,
            StatusCode::UNAUTHORIZED,
            "{fault} signed nobody in"
        );
    }
    // The issuer's next token is fine again: the refusals were about the tokens.
    let mut browser = Browser::new(&app);
    browser.signed_in("Olga", "Operator").await;
    assert_eq!(browser.session().await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_callback_that_no_sign_in_of_this_browser_started_is_refused() {
    let app = oidc_app().await;
    let mut victim = Browser::new(&app);
    // An attacker's own code and state, replayed into another browser (login CSRF).
    let mut attacker = Browser::new(&app);
    let login = attacker.get(&app.url("/auth/login")).await;
    let authorize = location(&login);
    let url = reqwest::Url::parse(&authorize).expect("url");
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.push(("user".into(), "attacker".into()));
    let back = app
        .http
        .post(&authorize)
        .form(&form)
        .send()
        .await
        .expect("submit");
    let res = victim.get(&location(&back)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(victim.session().await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn dev_mode_refuses_a_foreign_host_and_anything_that_came_through_a_proxy() {
    let app = TestApp::spawn().await;
    let port = reqwest::Url::parse(&app.url("/"))
        .expect("url")
        .port()
        .expect("port");
    let ask = |headers: Vec<(&'static str, String)>| {
        let mut req = app
            .http
            .get(app.url("/api/session"))
            .header("X-Dev-User", "dev");
        for (name, value) in headers {
            req = req.header(name, value);
        }
        req.send()
    };
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        let res = ask(vec![(HOST.as_str(), host.clone())]).await.expect("ask");
        assert_eq!(res.status(), StatusCode::OK, "{host}");
    }
    // A page that rebound its DNS name to this machine sends its own name as Host.
    let res = ask(vec![(HOST.as_str(), format!("attacker.example:{port}"))])
        .await
        .expect("ask");
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
    let body: Value = res.json().await.expect("json");
    assert!(body["code"].is_string(), "{body}");
    for (name, value) in [
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-Host", "dashboard.example"),
        ("Forwarded", "for=203.0.113.9"),
    ] {
        let res = ask(vec![(name, value.to_owned())]).await.expect("ask");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["code"], "forbidden", "{name}: {body}");
    }
}

#[tokio::test]
async fn dev_sign_in_takes_roles_and_refuses_a_link_from_another_site() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .get(app.url("/auth/dev?user=rita&roles=reader"))
        .send()
        .await
        .expect("sign in");
    assert!(res.status().is_redirection());
    let cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("aksdash_user="))
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_owned();
    let session: Value = app
        .http
        .get(app.url("/api/session"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (session["user"].as_str(), session["role"].as_str()),
        (Some("rita"), Some("reader"))
    );

    let res = app
        .http
        .get(app.url("/auth/dev?user=mallory&roles=admin"))
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        !res.headers()
            .get_all(SET_COOKIE)
            .iter()
            .any(|v| v.to_str().unwrap_or_default().contains("mallory")),
        "no session for the link's user"
    );

    let (status, refused) = app.get("x", "/auth/dev?user=ok&roles=root").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused["fields"]["roles"]
            .as_str()
            .is_some_and(|r| r.contains("reader, operator or admin")),
        "{refused}"
    );
}

#[tokio::test]
async fn easyauth_takes_the_role_from_the_principals_claims() {
    let app = TestApp::builder()
        .auth_mode(AuthMode::Easyauth)
        .spawn()
        .await;
    let principal = |roles: &[&str]| {
        let claims: Vec<Value> = roles
            .iter()
            .map(|r| json!({ "typ": "roles", "val": r }))
            .chain([json!({ "typ": "name", "val": "Erin Easy" })])
            .collect();
        let body =
            json!({ "auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles" });
        base64::engine::general_purpose::STANDARD.encode(body.to_string())
    };
    let session = |roles: &'static [&'static str]| {
        app.http
            .get(app.url("/api/session"))
            .header(
                "X-MS-CLIENT-PRINCIPAL-ID",
                "6f1c0de5-0000-4000-8000-000000000001",
            )
            .header("X-MS-CLIENT-PRINCIPAL", principal(roles))
            .send()
    };
    let admin: Value = session(&["Admin"])
        .await
        .expect("s")
        .json()
        .await
        .expect("json");
    assert_eq!(admin["role"], "admin", "{admin}");
    assert_eq!(admin["user"], "Erin Easy");
    assert_eq!(admin["user_id"], "6f1c0de5-0000-4000-8000-000000000001");
    let none: Value = session(&[]).await.expect("s").json().await.expect("json");
    assert_eq!(none["role"], "reader", "no role claim: the default role");
    // A reader's create is refused before anything happens, naming the role.
    let res = app
        .http
        .post(app.url("/api/aks/provision"))
        .header(
            "X-MS-CLIENT-PRINCIPAL-ID",
            "6f1c0de5-0000-4000-8000-000000000002",
        )
        .header("X-MS-CLIENT-PRINCIPAL", principal(&["Reader"]))
        .json(&crate::helpers::provision_request(
            "koreacentral",
            "aks-r",
            "Standard_D2s_v3",
            1,
        ))
        .send()
        .await
        .expect("provision");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["needed_role"], "operator", "{body}");
}

/// An ID token from the simulator's issuer, as App Service's token store forwards one.
async fn forwarded_id_token(app: &TestApp, user: &str, roles: &[&str]) -> String {
    let minted: Value = app
        .http
        .post(format!("{}/_armsim/oidc/id-token", app.simulator.base_url))
        .json(&json!({ "user": user, "roles": roles }))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("json");
    minted["id_token"].as_str().expect("a token").to_owned()
}

#[tokio::test]
async fn easyauth_takes_the_identity_from_the_forwarded_id_token_and_refuses_a_forged_one() {
    let app = TestApp::builder()
        .auth_mode(AuthMode::Easyauth)
        .configure(|c| c.easyauth_require_token = Some(true))
        .spawn()
        .await;
    let session = |headers: Vec<(&'static str, String)>| {
        let mut req = app.http.get(app.url("/api/session"));
        for (name, value) in headers {
            req = req.header(name, value);
        }
        async move {
            let res = req.send().await.expect("session");
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let token = forwarded_id_token(&app, "Erin Easy", &["Operator"]).await;
    let oid = aks_dashboard::armsim::issuer::object_id_of("Erin Easy");

    // The token alone, or with headers that agree: the identity is the token's.
    let (status, me) = session(vec![("x-ms-token-aad-id-token", token.clone())]).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        (me["user_id"].as_str(), me["role"].as_str()),
        (Some(oid.as_str()), Some("operator"))
    );
    let (status, me) = session(vec![
        ("x-ms-client-principal-id", oid.clone()),
        ("x-ms-client-principal-name", "erin@example.com".into()),
        ("x-ms-token-aad-id-token", token.clone()),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"], "erin@example.com");

    // Headers alone (someone who reached the port around App Service): nobody.
    let (status, _) = session(vec![
        ("x-ms-client-principal-id", oid.clone()),
        ("x-ms-client-principal", "e30=".into()),
    ])
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Headers naming someone else than the token: refused.
    let (status, body) = session(vec![
        (
            "x-ms-client-principal-id",
            "00000000-0000-0000-0000-0000000000ad".into(),
        ),
        ("x-ms-token-aad-id-token", token.clone()),
    ])
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // A token with its roles rewritten (the signature no longer holds): refused.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&parts[1])
        .expect("claims");
    let forged = String::from_utf8(claims)
        .expect("json")
        .replace("\"Operator\"", "\"Admin\"");
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
    let (status, body) = session(vec![("x-ms-token-aad-id-token", parts.join("."))]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // A token for another application: refused.
    let other: Value = app
        .http
        .post(format!("{}/_armsim/oidc/id-token", app.simulator.base_url))
        .json(&json!({ "user": "Erin Easy", "roles": ["Admin"], "audience": "another-app" }))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("json");
    let (status, _) = session(vec![(
        "x-ms-token-aad-id-token",
        other["id_token"].as_str().expect("token").to_owned(),
    )])
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The tenant's key rolls over: the next forwarded token (new key) is taken, no restart.
    app.http
        .post(format!("{}/_armsim/oidc/rotate", app.simulator.base_url))
        .send()
        .await
        .expect("rotate");
    let fresh = forwarded_id_token(&app, "Erin Easy", &["Admin"]).await;
    let (status, me) = session(vec![("x-ms-token-aad-id-token", fresh)]).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "admin");
}

#[tokio::test]
async fn easyauth_off_loopback_starts_only_with_the_token_required_or_the_headers_trusted() {
    let on_network = |require: Option<bool>, trust: bool| {
        TestApp::builder()
            .auth_mode(AuthMode::Easyauth)
            .configure(move |c| {
                c.listen = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
                c.easyauth_require_token = require;
                c.easyauth_trust_headers = trust;
            })
            .try_spawn()
    };
    let refused = on_network(Some(false), false)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(refused.contains("EASYAUTH_REQUIRE_TOKEN"), "{refused}");
    assert!(refused.contains("EASYAUTH_TRUST_HEADERS"), "{refused}");
    assert_eq!(refused.lines().count(), 1, "{refused}");

    // The default off loopback: the token is required, so headers alone sign nobody in; with
    // the operator's word that App Service is the only way in, the headers are believed.
    for (trust, expected) in [(false, StatusCode::UNAUTHORIZED), (true, StatusCode::OK)] {
        let app = on_network(None, trust).await.expect("starts");
        let res = app
            .http
            .get(app.url("/api/session"))
            .header(
                "x-ms-client-principal-id",
                "6f1c0de5-0000-4000-8000-000000000001",
            )
            .send()
            .await
            .expect("session");
        assert_eq!(res.status(), expected, "EASYAUTH_TRUST_HEADERS={trust}");
    }
}

#[tokio::test]
async fn easyauth_with_default_role_none_answers_no_role() {
    let app = TestApp::builder()
        .auth_mode(AuthMode::Easyauth)
        .configure(|c| c.default_role = aks_dashboard::config::DefaultRole(None))
        .spawn()
        .await;
    let res = app
        .http
        .get(app.url("/api/aks/clusters"))
        .header(
            "x-ms-client-principal-id",
            "6f1c0de5-0000-4000-8000-000000000003",
        )
        .send()
        .await
        .expect("clusters");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "no_role", "{body}");
    let page = app
        .http
        .get(app.url("/"))
        .header(
            "x-ms-client-principal-id",
            "6f1c0de5-0000-4000-8000-000000000003",
        )
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.expect("html").contains("no role"));
}
