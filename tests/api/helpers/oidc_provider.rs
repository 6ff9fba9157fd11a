//! A second, independent OpenID Connect provider for sign-in tests: panva's certified
//! `oidc-provider` (npm, installed in `end2end/node_modules` by `scripts/install.sh`), run by
//! `end2end/oidc-provider/provider.mjs` as a child process on a random loopback port, with one
//! confidential client (code flow, PKCE, `client_secret_basic`). It proves sign-in against
//! someone else's reading of the specifications, not only our simulator's. Its users sign in
//! without a password through JSON interaction pages; this module plays that user with a small
//! cookie jar of its own (the tests' reqwest has no cookie store). `rotate` is a key rollover
//! after the overlap: the new key is the only one published, and signs every ID token after it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{RequestBuilder, Response, StatusCode, Url};
use serde_json::Value;

/// How long node may take to load the provider and answer.
const READY_DEADLINE: Duration = Duration::from_secs(30);
/// Authorize, login, resume, consent, resume: a sign-in takes 7 hops; more is a loop.
const MAX_HOPS: usize = 16;

/// The provider process, killed on drop.
pub struct IndependentProvider {
    /// `http://127.0.0.1:PORT`, exactly as its discovery document states it.
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// No redirects followed: `sign_in` follows them itself, with the provider's cookies.
    http: reqwest::Client,
    child: Child,
    /// Held open: the provider exits when it closes, so a test that dies leaves no orphan.
    _stdin: ChildStdin,
}

impl Drop for IndependentProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl IndependentProvider {
    /// Starts the provider with its one client registered for these redirect URIs; returns once
    /// it is ready. Panics, naming `scripts/install.sh`, when the npm package is not installed.
    pub async fn start(redirect_uri: &str, post_logout_redirect_uri: &str) -> Self {
        let end2end = Path::new(env!("CARGO_MANIFEST_DIR")).join("end2end");
        assert!(
            end2end
                .join("node_modules/oidc-provider/package.json")
                .is_file(),
            "the independent OpenID Connect provider needs the npm package oidc-provider in \
             end2end/node_modules: run scripts/install.sh (it runs `npm ci` in end2end/)"
        );
        let client_id = "dashboard-under-test".to_owned();
        let client_secret = "independent-provider-s3cret".to_owned();
        let mut child = Command::new("node")
            .arg(end2end.join("oidc-provider/provider.mjs"))
            .args(["--port", "0", "--client-id", client_id.as_str()])
            .args(["--client-secret", client_secret.as_str()])
            .args(["--redirect-uri", redirect_uri])
            .args(["--post-logout-redirect-uri", post_logout_redirect_uri])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start node (Node.js, see scripts/install.sh): {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");

        // The first JSON line names the issuer; anything else it prints is passed on.
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<String>();
        std::thread::spawn(move || {
            let mut ready_tx = Some(ready_tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let issuer = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v["issuer"].as_str().map(str::to_owned));
                match (issuer, ready_tx.take()) {
                    (Some(issuer), Some(tx)) => {
                        let _ = tx.send(issuer);
                    }
                    (_, tx) => {
                        ready_tx = tx;
                        eprintln!("independent provider: {line}");
                    }
                }
            }
        });
        let issuer_url = match tokio::time::timeout(READY_DEADLINE, ready_rx).await {
            Ok(Ok(issuer)) => issuer,
            Ok(Err(_)) => give_up(
                &mut child,
                "exited before it was ready (see its error above)",
            ),
            Err(_) => give_up(&mut child, "was not ready within 30 s"),
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        Self {
            issuer_url,
            client_id,
            client_secret,
            http,
            child,
            _stdin: stdin,
        }
    }

    /// The key rollover: a new signing key (new kid) becomes the only key in the JWKS.
    pub async fn rotate(&self) {
        let res = self
            .http
            .post(format!("{}/__test/rotate", self.issuer_url))
            .send()
            .await
            .expect("rotate the provider's key");
        assert_eq!(res.status(), StatusCode::OK, "rotate the provider's key");
    }

    /// The kid of every key the provider publishes at its `jwks_uri`.
    pub async fn key_ids(&self) -> Vec<String> {
        let discovery = self
            .get_json(&format!(
                "{}/.well-known/openid-configuration",
                self.issuer_url
            ))
            .await;
        let jwks_uri = discovery["jwks_uri"].as_str().expect("a jwks_uri");
        let jwks = self.get_json(jwks_uri).await;
        jwks["keys"]
            .as_array()
            .expect("a key set")
            .iter()
            .filter_map(|key| key["kid"].as_str().map(str::to_owned))
            .collect()
    }

    /// Plays the user at the provider, in a browser of its own: from the authorize URL the
    /// dashboard redirected to, signs in as `user` with these app `roles`, consents, and returns
    /// the URL the provider finally sends the browser to (the client's redirect URI with
    /// `code` and `state`, or with `error`).
    pub async fn sign_in(&self, authorize_url: &str, user: &str, roles: &[&str]) -> String {
        let provider = Url::parse(&self.issuer_url).expect("issuer URL");
        let mut url = Url::parse(authorize_url).expect("authorize URL");
        let mut jar = CookieJar::default();
        let form = [("user", user.to_owned()), ("roles", roles.join(","))];
        for _ in 0..MAX_HOPS {
            if url.origin() != provider.origin() {
                return url.to_string();
            }
            let res = jar.send(self.http.get(url.clone()), &url).await;
            if res.status() != StatusCode::OK {
                url = redirected(&url, res, "the sign-in").await;
                continue;
            }
            // An interaction page: {"prompt": "login" | "consent", "submit": "/interaction/…"}.
            let page: Value = res.json().await.expect("an interaction page (JSON)");
            let step = page["prompt"].as_str().unwrap_or("?").to_owned();
            let submit = url
                .join(page["submit"].as_str().expect("where the page submits to"))
                .expect("submit URL");
            let res = jar
                .send(self.http.post(submit.clone()).form(&form), &submit)
                .await;
            url = redirected(&submit, res, &step).await;
        }
        panic!("the provider never sent the browser back to the client (last at {url})");
    }

    async fn get_json(&self, url: &str) -> Value {
        let res = self.http.get(url).send().await.expect(url);
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        res.json().await.expect(url)
    }
}

fn give_up(child: &mut Child, why: &str) -> ! {
    let _ = child.kill();
    let _ = child.wait();
    panic!("the independent OpenID Connect provider (end2end/oidc-provider/provider.mjs) {why}");
}

/// Where a redirect goes; any other answer fails the test with what the provider said.
async fn redirected(from: &Url, res: Response, step: &str) -> Url {
    let status = res.status();
    if status.is_redirection()
        && let Some(location) = res.headers().get(LOCATION).and_then(|v| v.to_str().ok())
    {
        return from.join(location).expect("a valid Location");
    }
    let body = res.text().await.unwrap_or_default();
    panic!("the provider refused {step} at {from}: {status} {body}");
}

/// One browser's cookies at the provider (one host): kept by name and path, sent back to the
/// paths they were set for, forgotten when the provider clears them.
#[derive(Default)]
struct CookieJar {
    cookies: Vec<Cookie>,
}

struct Cookie {
    name: String,
    value: String,
    path: String,
}

impl CookieJar {
    async fn send(&mut self, req: RequestBuilder, to: &Url) -> Response {
        let sent: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| path_matches(to.path(), &c.path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        let req = if sent.is_empty() {
            req
        } else {
            req.header(COOKIE, sent.join("; "))
        };
        let res = req.send().await.unwrap_or_else(|e| panic!("{to}: {e}"));
        self.keep(&res);
        res
    }

    fn keep(&mut self, res: &Response) {
        let set = res.headers().get_all(SET_COOKIE);
        for raw in set.iter().filter_map(|v| v.to_str().ok()) {
            let mut parts = raw.split(';').map(str::trim);
            let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else {
                continue;
            };
            // koa's cookies always name a path; "/" is the fallback, not RFC 6265's default.
            let mut path = "/".to_owned();
            let mut cleared = value.is_empty();
            for attribute in parts {
                let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
                if key.eq_ignore_ascii_case("path") {
                    path = val.to_owned();
                } else if key.eq_ignore_ascii_case("max-age") {
                    cleared |= val.parse::<i64>().is_ok_and(|age| age <= 0);
                } else if key.eq_ignore_ascii_case("expires") {
                    cleared |= val.contains("1970");
                }
            }
            self.cookies.retain(|c| !(c.name == name && c.path == path));
            if !cleared {
                self.cookies.push(Cookie {
                    name: name.to_owned(),
                    value: value.to_owned(),
                    path,
                });
            }
        }
    }
}

/// RFC 6265's path match: the same path, or below it.
fn path_matches(request: &str, cookie: &str) -> bool {
    request
        .strip_prefix(cookie)
        .is_some_and(|below| below.is_empty() || cookie.ends_with('/') || below.starts_with('/'))
}
