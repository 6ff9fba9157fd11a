//! Calling a dashboard server as a user would: HTTP with JSON, the caller named by `X-Dev-User`
//! (dev mode), answers as `(status, body)`. The same client speaks to an in-process server
//! ([`TestApp`](super::TestApp)) and to a spawned process ([`DashboardProcess`](super::DashboardProcess)).

use std::time::{Duration, Instant};

use aks_dashboard::config::{DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long [`ApiClient::wait_task`] polls before the test fails: a safety net, not a timing
/// assertion (the slowest scripted create in the tests takes 30 s).
const TASK_DEADLINE: Duration = Duration::from_secs(60);
const TASK_POLL: Duration = Duration::from_millis(150);

pub struct ApiClient {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Follows no redirects, so that tests see `Location`.
    pub http: reqwest::Client,
}

impl ApiClient {
    pub fn new(base: String) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Self { base, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `GET path` as `user`; a body that is not JSON reads as `Value::Null`.
    pub async fn get(&self, user: &str, path: &str) -> (StatusCode, Value) {
        let res = self.get_response(user, path).await;
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        super::openapi::check("GET", path, status.as_u16(), &body);
        (status, body)
    }

    /// `GET path` as `user`, the whole answer (headers, a body that is not JSON).
    pub async fn get_response(&self, user: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .header("X-Dev-User", user)
            .send()
            .await
            .expect("get")
    }

    /// `POST path` with a JSON body as `user`; a body that is not JSON reads as `Value::Null`.
    pub async fn post(&self, user: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = self
            .http
            .post(self.url(path))
            .header("X-Dev-User", user)
            .json(body)
            .send()
            .await
            .expect("post");
        let status = res.status();
        let answer = res.json().await.unwrap_or(Value::Null);
        super::openapi::check("POST", path, status.as_u16(), &answer);
        (status, answer)
    }

    /// `POST path` as `user` with a body sent in chunks (`Transfer-Encoding: chunked`, no
    /// `Content-Length`), over a raw connection; the answer's status and body (JSON, else
    /// `Value::Null`).
    pub async fn post_chunked(
        &self,
        user: &str,
        path: &str,
        chunks: &[&[u8]],
    ) -> (StatusCode, Value) {
        let host = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nX-Dev-User: {user}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\n"
        );
        let mut request = head.into_bytes();
        for chunk in chunks {
            request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        // The server may answer (and stop reading) before the whole body is sent.
        let _ = stream.write_all(&request).await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        parse_raw_answer(&answer)
    }

    /// Starts a provision as `user` and returns the 202 answer (`job_id`, `task_id`, …).
    pub async fn provision(&self, user: &str, body: Value) -> Value {
        let (status, accepted) = self.post(user, "/api/aks/provision", &body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        accepted
    }

    /// Polls `GET /api/tasks/{task_id}` as `user` until `done` says so, and returns every answer
    /// seen, the last one last.
    pub async fn wait_task(
        &self,
        user: &str,
        task_id: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + TASK_DEADLINE;
        let mut seen = Vec::new();
        loop {
            let (status, task) = self.get(user, &format!("/api/tasks/{task_id}")).await;
            assert_eq!(status, StatusCode::OK, "{task}");
            seen.push(task.clone());
            if done(&task) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "task did not get there in time: {task}"
            );
            tokio::time::sleep(TASK_POLL).await;
        }
    }
}

/// The status and JSON body of a raw HTTP/1.1 answer (a body with `Content-Length`, or chunked).
fn parse_raw_answer(answer: &[u8]) -> (StatusCode, Value) {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        // size line, data, size line, data, …, 0
        body.split("\r\n").skip(1).step_by(2).collect::<String>()
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A task that has ended, whichever way.
pub fn finished(task: &Value) -> bool {
    task["ready"] == true
}

/// A task whose cluster Azure already shows as `Creating`.
pub fn creating(task: &Value) -> bool {
    task["progress"]["cluster_state"] == "Creating"
}

/// A provision request body for the simulator's default subscription and resource group, with a
/// one-node `Standard_D2s_v3` system pool.
pub fn provision_request(
    region: &str,
    cluster_name: &str,
    node_sku: &str,
    node_count: u32,
) -> Value {
    json!({
        "subscription_id": DEFAULT_SUBSCRIPTION_ID,
        "resource_group": DEFAULT_RESOURCE_GROUP,
        "region": region,
        "cluster_name": cluster_name,
        "node_sku": node_sku,
        "node_count": node_count,
        "system_vm_size": "Standard_D2s_v3",
        "system_node_count": 1
    })
}

/// Reads an event stream until `stop` says so or nothing more comes for `idle`; the text seen.
pub async fn read_events(
    res: &mut reqwest::Response,
    idle: Duration,
    stop: impl Fn(&str) -> bool,
) -> String {
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && !stop(&seen) {
        match tokio::time::timeout(idle, res.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    seen
}
