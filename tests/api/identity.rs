//! Who may sign in, and how: OpenID Connect against the simulator's issuer (a whole sign-in, a
//! token the issuer spoiled, sign-out), dev mode answering only this machine, Easy Auth's roles.

use aks_dashboard::config::AuthMode;
use base64::Engine;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HOST, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const OIDC_COOKIE: &str = "aksdash_session";

/// A browser's view of one dashboard: its session cookie, and no redirect followed by itself.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self { app, cookie: None }
    }

    /// Keeps the session cookie an answer sets, and checks its attributes.
    fn keep_cookie(&mut self, res: &reqwest::Response) {
        for raw in res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            if let Some(rest) = raw.strip_prefix(&format!("{OIDC_COOKIE}=")) {
                if rest.starts_with(';') {
                    // Removed (signed out).
                    self.cookie = None;
                    continue;
                }
                assert!(raw.contains("HttpOnly"), "{raw}");
                assert!(raw.contains("SameSite=Lax"), "{raw}");
                assert!(!raw.contains("Secure"), "not Secure over plain http: {raw}");
                let value = rest.split(';').next().unwrap_or_default();
                self.cookie = Some(format!("{OIDC_COOKIE}={value}"));
            }
        }
    }

    async fn get(&mut self, url: &str) -> reqwest::Response {
        let mut req = self.app.http.get(url);
        if let Some(cookie) = &self.cookie {
            req = req.header(COOKIE, cookie);
        }
        let res = req.send().await.expect("get");
        self.keep_cookie(&res);
        res
    }

    async fn session(&mut self) -> (StatusCode, Value) {
        let res = self.get(&self.app.url("/api/session")).await;
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Signs in through the issuer's page as `user` with `role` ("" for none); the callback's
    /// answer (a redirect to `next` when it worked).
    async fn sign_in(&mut self, user: &str, role: &str) -> reqwest::Response {
        let login = self
            .get(&self.app.url("/auth/login?next=%2F%3Fscope%3Dx"))
            .await;
        assert!(login.status().is_redirection(), "{}", login.status());
        let authorize = location(&login);
        assert!(
            self.cookie.is_some(),
            "the sign-in is kept in a server-side session"
        );
        let page = self.app.http.get(&authorize).send().await.expect("page");
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("html");
        assert!(html.contains(r#"name="user""#), "{html}");
        // The page's form posts back to the same address, with what the query carried.
        let url = reqwest::Url::parse(&authorize).expect("url");
        let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        form.push(("user".into(), user.into()));
        form.push(("roles".into(), role.into()));
        let back = self
            .app
            .http
            .post(&authorize)
            .form(&form)
            .send()
            .await
            .expect("submit");
        assert!(back.status().is_redirection(), "{}", back.status());
        let callback = location(&back);
        assert!(
            callback.starts_with(&self.app.url("/auth/callback?")),
            "{callback}"
        );
        self.get(&callback).await
    }
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

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

    // Sign-out ends the session on the server: the same cookie no longer signs anyone in.
    let kept = browser.cookie.clone();
    let out = browser.get(&app.url("/auth/logout")).await;
    assert_eq!(out.status(), StatusCode::OK);
    assert!(out.text().await.expect("page").contains("Signed out"));
    let mut replay = Browser::new(&app);
    replay.cookie = kept;
    assert_eq!(replay.session().await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_user_without_a_role_claim_gets_the_configured_default_role() {
    let app = oidc_app().await;
    let mut reader = Browser::new(&app);
    reader.sign_in("Nora", "").await;
    assert_eq!(reader.session().await.1["role"], "reader", "the default");

    let app = TestApp::builder()
        .auth_mode(AuthMode::Oidc)
        .configure(|c| c.default_role = aks_dashboard::identity::Role::Operator)
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
    assert!(
        browser
            .sign_in("Olga", "Operator")
            .await
            .status()
            .is_redirection()
    );
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
