//! A browser's view of one dashboard in OpenID Connect mode: its session cookie (checked as a
//! browser would keep it), no redirect followed by itself, and the sign-in's two ends at the
//! dashboard (`/auth/login` out, `/auth/callback` back). What happens at the identity provider in
//! between is the test's: the simulator's sign-in page ([`Browser::sign_in`]) or another
//! provider's.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;

use super::TestApp;

/// The session cookie's name on plain http.
pub const OIDC_COOKIE: &str = "aksdash_session";

pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, cookie: None }
    }

    /// Keeps the session cookie an answer sets (or drops it when the answer removes it), and
    /// checks its attributes.
    pub fn keep_cookie(&mut self, res: &reqwest::Response) {
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

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let mut req = self.app.http.get(url);
        if let Some(cookie) = &self.cookie {
            req = req.header(COOKIE, cookie);
        }
        let res = req.send().await.expect("get");
        self.keep_cookie(&res);
        res
    }

    /// A form post from the dashboard's own page (the browser says it is same-origin).
    pub async fn post(&mut self, url: &str) -> reqwest::Response {
        let mut req = self
            .app
            .http
            .post(url)
            .header("sec-fetch-site", "same-origin");
        if let Some(cookie) = &self.cookie {
            req = req.header(COOKIE, cookie);
        }
        let res = req.send().await.expect("post");
        self.keep_cookie(&res);
        res
    }

    /// `GET /api/session`: who the dashboard says this browser is.
    pub async fn session(&mut self) -> (StatusCode, Value) {
        let res = self.get(&self.app.url("/api/session")).await;
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// `/auth/login?next=…`: the provider's authorize URL the dashboard sends the browser to.
    pub async fn begin_sign_in(&mut self, next: &str) -> String {
        let mut login = String::from("/auth/login?next=");
        login.extend(form_urlencoded::byte_serialize(next.as_bytes()));
        let res = self.get(&self.app.url(&login)).await;
        assert!(res.status().is_redirection(), "{}", res.status());
        assert!(
            self.cookie.is_some(),
            "the sign-in is kept in a server-side session"
        );
        location(&res)
    }

    /// Signs in through the simulator's sign-in page as `user` with `role` ("" for none); the
    /// callback's answer (a redirect to `next` when it worked).
    pub async fn sign_in(&mut self, user: &str, role: &str) -> reqwest::Response {
        let authorize = self.begin_sign_in("/?scope=x").await;
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

impl Browser<'_> {
    /// [`Browser::sign_in`], which must work: the callback sends the browser on.
    pub async fn signed_in(&mut self, user: &str, role: &str) {
        let done = self.sign_in(user, role).await;
        assert!(
            done.status().is_redirection(),
            "{user} ({role}) could not sign in: {}",
            done.status()
        );
    }
}

/// Where a redirect points.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_owned()
}
