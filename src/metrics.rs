//! What the platform team alerts on, in Prometheus' text format at `GET /metrics` (the
//! `metrics` facade, rendered by `metrics-exporter-prometheus`): creates started, ended by status
//! and category, their duration, jobs by status and in flight, Azure calls by operation and
//! status with their latency, throttling and the waits it asked for, the read budget's queue,
//! lease takeovers, open event streams, event resyncs, rate-limited requests, and HTTP requests
//! by route and status with their latency. docs/operations.md has the alerts worth having.
//!
//! The `/metrics` handler, which reads gauges from the server's state, is `http/metrics.rs`.
//!
//! The recorder is the process's: one per process, installed by the first server that starts
//! (tests run several servers in one process; they then share it).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets in seconds: from a fast cache hit to a slow Azure call.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Create durations in seconds: AKS takes minutes, the simulator seconds.
const CREATE_BUCKETS: [f64; 10] = [
    5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
];

/// Installs the process's recorder (once) and returns its handle; `None` when another recorder
/// was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".into()),
                    &LATENCY_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("aks_create_duration_seconds".into()),
                        &CREATE_BUCKETS,
                    )
                });
            let recorder = match builder {
                Ok(builder) => builder.build_recorder(),
                Err(err) => {
                    tracing::warn!(error = %err, "metrics: bad buckets; no metrics");
                    return None;
                }
            };
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => {
                    describe_families();
                    Some(handle)
                }
                Err(err) => {
                    tracing::warn!(error = %err, "metrics: a recorder is already installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Every family's `# HELP` line (and unit), said once when the recorder is installed.
fn describe_families() {
    use metrics::Unit;
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by route template, method and status."
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request (to its first byte for streamed bodies), by route template."
    );
    describe_counter!(
        "azure_requests_total",
        "Calls to Azure Resource Manager, by kind of operation and HTTP status (or network / timeout)."
    );
    describe_histogram!(
        "azure_request_duration_seconds",
        Unit::Seconds,
        "Time an Azure Resource Manager call took, by kind of operation."
    );
    describe_counter!(
        "azure_throttled_total",
        "Azure answers 429 (throttled), by kind of operation."
    );
    describe_counter!(
        "azure_retry_after_wait_seconds_total",
        Unit::Seconds,
        "Seconds the dashboard waited because Azure's Retry-After asked it to."
    );
    describe_gauge!(
        "arm_read_budget_waiting",
        "Runs waiting for this server's Azure read budget (JOB_ARM_READS_PER_SECOND)."
    );
    describe_counter!(
        "aks_approval_webhook_total",
        "Approval announcements to APPROVAL_WEBHOOK_URL, by outcome: delivered, retried (one more attempt), failed (given up), dropped (the queue was full)."
    );
    describe_counter!(
        "aks_approvals_total",
        "Requests awaiting approval, by event: requested, approved, denied, expired, withdrawn."
    );
    describe_counter!(
        "aks_follow_reads_total",
        "Azure reads spent following running creates, by kind: list_page (one page of a resource group's cluster list, shared by every create there), operation_status and cluster (one create's own)."
    );
    describe_gauge!(
        "aks_follow_list_groups",
        "Resource groups whose running creates this server follows by one list read per poll."
    );
    describe_counter!(
        "aks_creates_started_total",
        "Creates claimed for their first run."
    );
    describe_counter!(
        "aks_lease_takeovers_total",
        "Creates taken over from a runner whose lease ran out (a crashed or stopped server)."
    );
    describe_counter!(
        "aks_creates_ended_total",
        "Creates that ended, by status and failure category."
    );
    describe_counter!(
        "aks_creates_failed_by_code_total",
        "Failed creates by Azure's (or the dashboard's) error code."
    );
    describe_histogram!(
        "aks_create_duration_seconds",
        Unit::Seconds,
        "Time from a create's request to its end, by status."
    );
    describe_counter!(
        "event_streams_opened_total",
        "Live-update streams opened (page loads)."
    );
    describe_counter!(
        "event_stream_resyncs_total",
        "Open pages that fell behind the event bus and were told to read everything again."
    );
    describe_counter!(
        "event_stream_missed_events_total",
        "Events open pages missed by falling behind (each followed by a resync)."
    );
    describe_counter!(
        "rate_limited_total",
        "Requests refused by a per-user or per-server limit, by limit."
    );
    describe_gauge!(
        "event_streams_open",
        "Live-update streams open on this server now."
    );
    describe_gauge!(
        "aks_jobs_in_flight_here",
        "Creates this server's runner follows now."
    );
    describe_gauge!(
        "aks_jobs",
        "Creates queued or running in the job store (all servers), by status, read at scrape."
    );
    describe_gauge!(
        "aks_jobs_storage_up",
        "1 when the job store answered this scrape's count in time, else 0."
    );
    describe_counter!(
        "sessions_swept_total",
        "Expired sign-in sessions deleted by the runners' sweep."
    );
    describe_gauge!(
        "sessions_sweep_last_success_timestamp_seconds",
        Unit::Seconds,
        "When this server's session sweep last finished (Unix time): an old value means expired sessions pile up."
    );
    describe_gauge!(
        "history_exports_open",
        "History CSV exports streaming from this server now."
    );
    describe_counter!(
        "oidc_key_refreshes_total",
        "Reads of the identity provider's discovery document and keys after the first, by reason (unknown_key, daily) and outcome."
    );
}

/// The nine methods HTTP defines by name; any other is `other`, so that a client cannot add a
/// series per made-up method.
fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    const STANDARD: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::CONNECT, "CONNECT"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::TRACE, "TRACE"),
        (Method::PATCH, "PATCH"),
    ];
    STANDARD
        .iter()
        .find(|(m, _)| m == method)
        .map_or("other", |(_, label)| label)
}

/// Middleware: every HTTP request by route (its template, never its ids; `unmatched` for a path
/// no route knows), method (the standard nine, else `other`) and status, with its latency.
pub async fn count_requests(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| {
            if req.uri().path().starts_with("/pkg/") {
                "/pkg/{file}".to_owned()
            } else {
                "unmatched".to_owned()
            }
        });
    let method = method_label(req.method());
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    counter!("http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

/// The kind of an ARM call, from its method and path (a few values, never a name or an id).
pub fn arm_operation(method: &http::Method, path: &str) -> &'static str {
    let p = path.to_ascii_lowercase();
    if p.contains("/operations/")
        || p.contains("/operationresults/")
        || p.contains("/asyncoperations/")
        || p.contains("/operationstatuses/")
    {
        return "operation_status";
    }
    if p.ends_with("/abort") {
        return "abort";
    }
    if p.contains("/kubernetesversions") {
        return "kubernetes_versions";
    }
    if p.ends_with("/skus") {
        return "skus";
    }
    if p.contains("/usages") {
        return "usages";
    }
    if let Some((_, rest)) = p.split_once("/managedclusters") {
        let named = rest
            .trim_start_matches('/')
            .split('/')
            .next()
            .is_some_and(|n| !n.is_empty());
        return match (named, method.as_str()) {
            (false, _) => "list_clusters",
            (true, "PUT") => "create",
            (true, "DELETE") => "delete",
            (true, _) => "get_cluster",
        };
    }
    if p.contains("/resourcegroups/") {
        return "resource_group";
    }
    "other"
}

/// One ARM call's answer (`status`: the HTTP status, or `network` / `timeout`).
pub fn azure_call(operation: &'static str, status: &str, elapsed: Duration) {
    counter!("azure_requests_total", "operation" => operation, "status" => status.to_owned())
        .increment(1);
    histogram!("azure_request_duration_seconds", "operation" => operation)
        .record(elapsed.as_secs_f64());
}

/// Azure throttled a call (429) and the client waits `wait` before trying again.
pub fn azure_throttled(operation: &'static str, wait: Duration) {
    counter!("azure_throttled_total", "operation" => operation).increment(1);
    counter!("azure_retry_after_wait_seconds_total").increment(wait.as_secs());
}

/// What a read spent following creates was: `list_page`, `operation_status`, `cluster`.
pub fn follow_read(kind: &'static str) {
    counter!("aks_follow_reads_total", "kind" => kind).increment(1);
}

/// One approval announcement's outcome: `delivered`, `retried`, `failed`, `dropped`.
pub fn approval_webhook(outcome: &'static str) {
    counter!("aks_approval_webhook_total", "outcome" => outcome).increment(1);
}

/// A request awaiting approval was made or decided (`requested`, `approved`, …).
pub fn approval(event: &'static str) {
    counter!("aks_approvals_total", "event" => event).increment(1);
}

/// A resource group starts (1) or stops (-1) being followed by list.
pub fn follow_list_groups(delta: f64) {
    gauge!("aks_follow_list_groups").increment(delta);
}

/// A run starts to wait for the read budget, or stops waiting.
pub fn read_budget_waiting(delta: f64) {
    gauge!("arm_read_budget_waiting").increment(delta);
}

/// A job was claimed: its first run (a create starts) or a takeover of one another run held.
pub fn job_claimed(attempt: u32) {
    if attempt <= 1 {
        counter!("aks_creates_started_total").increment(1);
    } else {
        counter!("aks_lease_takeovers_total").increment(1);
    }
}

/// A create ended (`succeeded`, `failed`, `cancelled`), with its category and Azure's (or the
/// dashboard's, e.g. `arm_unreachable`) error code when it failed.
pub fn create_ended(status: &str, category: Option<&str>, code: Option<&str>, took: Duration) {
    counter!(
        "aks_creates_ended_total",
        "status" => status.to_owned(),
        "category" => category.unwrap_or("none").to_owned()
    )
    .increment(1);
    if let Some(code) = code {
        // Codes are identifiers from a set Azure documents; anything else is not a label.
        let code = if code.len() <= 64
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            code.to_owned()
        } else {
            "other".to_owned()
        };
        counter!("aks_creates_failed_by_code_total", "code" => code).increment(1);
    }
    histogram!("aks_create_duration_seconds", "status" => status.to_owned())
        .record(took.as_secs_f64());
}

/// An event stream started or ended.
pub fn stream_opened() {
    counter!("event_streams_opened_total").increment(1);
}

/// An open page fell behind the event bus and was told to read everything again.
pub fn stream_resync(missed: u64) {
    counter!("event_stream_resyncs_total").increment(1);
    counter!("event_stream_missed_events_total").increment(missed);
}

/// A request was refused by a per-user limit.
pub fn rate_limited(limit: &'static str) {
    counter!("rate_limited_total", "limit" => limit).increment(1);
}

/// The runners' session sweep deleted `n` expired sessions and finished a pass.
pub fn sessions_swept(n: u64) {
    counter!("sessions_swept_total").increment(n);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    gauge!("sessions_sweep_last_success_timestamp_seconds").set(now);
}

/// A history export started (`1.0`) or ended (`-1.0`).
pub fn history_exports_open(delta: f64) {
    gauge!("history_exports_open").increment(delta);
}

/// The identity provider's discovery and keys were read again: why (`unknown_key`, `daily`)
/// and whether it worked (`ok`, `failed`).
pub fn oidc_key_refresh(reason: &'static str, outcome: &'static str) {
    counter!("oidc_key_refreshes_total", "reason" => reason, "outcome" => outcome).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every family the server can record, once: what a scrape may show.
    fn touch_every_family() {
        azure_call("create", "201", Duration::from_millis(3));
        azure_throttled("create", Duration::from_secs(1));
        read_budget_waiting(0.0);
        job_claimed(1);
        job_claimed(2);
        create_ended(
            "failed",
            Some("quota"),
            Some("QuotaExceeded"),
            Duration::from_secs(9),
        );
        stream_opened();
        stream_resync(0);
        rate_limited("write");
        sessions_swept(0);
        history_exports_open(0.0);
        oidc_key_refresh("unknown_key", "ok");
        gauge!("event_streams_open").set(0.0);
        gauge!("aks_jobs_in_flight_here").set(0.0);
        gauge!("aks_jobs", "status" => "queued").set(0.0);
        gauge!("aks_jobs_storage_up").set(1.0);
    }

    #[tokio::test]
    async fn made_up_methods_and_paths_add_no_series_and_every_family_has_help() {
        use tower::ServiceExt;
        let handle = install().expect("the recorder");
        let app = axum::Router::new()
            .route("/probe/{id}", axum::routing::get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(count_requests));
        for i in 0..200 {
            let method =
                http::Method::from_bytes(format!("MADEUP{i}").as_bytes()).expect("a token");
            for path in [format!("/probe/{i}"), format!("/nowhere-{i}/x")] {
                let req = http::Request::builder()
                    .method(method.clone())
                    .uri(path)
                    .body(axum::body::Body::empty())
                    .expect("request");
                let _ = app.clone().oneshot(req).await;
            }
        }
        touch_every_family();
        let text = handle.render();
        let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
            .expect("Prometheus text format");
        let ours: std::collections::BTreeSet<String> = scrape
            .samples
            .iter()
            .filter(|s| s.metric == "http_requests_total")
            .filter(|s| matches!(s.labels.get("route"), Some("/probe/{id}" | "unmatched")))
            .map(|s| format!("{:?}", s.labels))
            .collect();
        for series in &ours {
            assert!(!series.contains("MADEUP"), "{series}");
            assert!(!series.contains("nowhere"), "{series}");
        }
        // {/probe/{id}, unmatched} × {other} × {405, 404}: a few, not 400.
        assert!(!ours.is_empty() && ours.len() <= 4, "{ours:#?}");
        let undocumented: std::collections::BTreeSet<&str> = scrape
            .samples
            .iter()
            .map(|s| s.metric.as_str())
            .map(|m| {
                ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| m.strip_suffix(suffix))
                    .filter(|base| scrape.docs.contains_key(*base))
                    .unwrap_or(m)
            })
            .filter(|m| !scrape.docs.contains_key(*m))
            .collect();
        assert!(undocumented.is_empty(), "no # HELP: {undocumented:?}");
        assert!(scrape.docs.len() >= 24, "{:?}", scrape.docs.keys());
    }

    #[test]
    fn arm_calls_are_named_by_kind_without_ids() {
        let get = http::Method::GET;
        let put = http::Method::PUT;
        let cluster = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-1";
        assert_eq!(arm_operation(&put, cluster), "create");
        assert_eq!(arm_operation(&get, cluster), "get_cluster");
        assert_eq!(arm_operation(&http::Method::DELETE, cluster), "delete");
        assert_eq!(
            arm_operation(&http::Method::POST, &format!("{cluster}/abort")),
            "abort"
        );
        assert_eq!(
            arm_operation(
                &get,
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters"
            ),
            "list_clusters"
        );
        assert_eq!(
            arm_operation(
                &get,
                "/subscriptions/s/providers/Microsoft.ContainerService/locations/eastus/operations/abc"
            ),
            "operation_status"
        );
        assert_eq!(
            arm_operation(&get, "/subscriptions/s/providers/Microsoft.Compute/skus"),
            "skus"
        );
        assert_eq!(
            arm_operation(
                &get,
                "/subscriptions/s/providers/Microsoft.Compute/locations/eastus/usages"
            ),
            "usages"
        );
        assert_eq!(
            arm_operation(&get, "/subscriptions/s/resourcegroups/rg"),
            "resource_group"
        );
    }
}
