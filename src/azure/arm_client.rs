//! [`ArmClient`]: every call the product makes to Azure Resource Manager, with bearer tokens,
//! time-outs, retries of throttling and server errors, and long-running operations that can be
//! followed step by step (and resumed from a stored status URL after a restart).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::credential::ArmCredential;
use super::error::ArmError;
use super::models::{
    ArmList, ClusterRef, KubernetesVersion, KubernetesVersionList, ManagedCluster, OperationState,
    OperationStatus, ResourceGroup, ResourceSku, Usage,
};
use super::retry::{RetryPolicy, header, jitter, parse_retry_after};
use crate::domain::history::AzureIds;

/// `Microsoft.ContainerService/managedClusters` (and its locations/operations).
pub const CONTAINER_SERVICE_API_VERSION: &str = "2025-10-01";
/// `Microsoft.Resources/resourceGroups`.
pub const RESOURCES_API_VERSION: &str = "2021-04-01";
/// `Microsoft.Compute/skus`.
pub const COMPUTE_SKUS_API_VERSION: &str = "2021-07-01";
/// `Microsoft.Compute/locations/{region}/usages`.
pub const COMPUTE_USAGES_API_VERSION: &str = "2024-07-01";

/// The most `nextLink` pages one list call follows.
const MAX_PAGES: usize = 100;

#[derive(Debug, Clone)]
pub struct ArmClientConfig {
    /// `https://management.azure.com`, or the simulator's base URL.
    pub base_url: String,
    /// Time-out of each HTTP call.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Wait between operation polls when ARM gives no `Retry-After`.
    pub default_poll_interval: Duration,
    /// Upper bound on any wait between polls, whatever `Retry-After` says.
    pub max_poll_interval: Duration,
}

impl ArmClientConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            default_poll_interval: Duration::from_secs(5),
            max_poll_interval: Duration::from_secs(60),
        }
    }
}

/// A long-running request ARM accepted: its body, and where to follow the operation.
/// Store [`status_url`](Self::status_url) to resume following it after a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OperationStarted<T> {
    /// 200, 201 or 202.
    pub http_status: u16,
    pub body: Option<T>,
    /// The `Azure-AsyncOperation` header.
    pub azure_async_operation: Option<String>,
    /// The `Location` header.
    pub location: Option<String>,
    #[serde(skip)]
    pub retry_after: Option<Duration>,
    /// Azure's ids of the call (`x-ms-correlation-request-id`, `x-ms-request-id`).
    #[serde(default)]
    pub azure: AzureIds,
}

impl<T> OperationStarted<T> {
    /// The URL to poll: `Azure-AsyncOperation` when given, else `Location`.
    pub fn status_url(&self) -> Option<&str> {
        self.azure_async_operation
            .as_deref()
            .or(self.location.as_deref())
    }
}

/// One poll of an operation.
#[derive(Debug, Clone)]
pub struct OperationPoll {
    pub status: OperationStatus,
    /// When ARM asks to poll again.
    pub retry_after: Option<Duration>,
    /// Azure's ids of this poll.
    pub azure: AzureIds,
}

/// The one client for Azure Resource Manager. Cheap to clone.
#[derive(Clone)]
pub struct ArmClient {
    inner: Arc<Inner>,
    /// This handle's retry policy: [`ArmClient::single_attempt`] gives one without retries.
    retry: RetryPolicy,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    config: ArmClientConfig,
    credential: ArmCredential,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("base_url", &self.inner.base_url.as_str())
            .field("credential", &self.inner.credential)
            .finish()
    }
}

/// One page of a cluster list, and the ids Azure gave the read (its `x-ms-request-id` is what
/// a state change read from the list is recorded with).
#[derive(Debug, Clone)]
pub struct ClusterPage {
    pub clusters: Vec<ManagedCluster>,
    pub next_link: Option<String>,
    pub azure: AzureIds,
}

struct HttpAnswer {
    status: u16,
    headers: HeaderMap,
    body: String,
    azure: AzureIds,
}

impl ArmClient {
    pub fn new(config: ArmClientConfig, credential: ArmCredential) -> Result<Self, ArmError> {
        let http = build_http_client(config.request_timeout)?;
        Self::with_http_client(config, credential, http)
    }

    /// As [`new`](Self::new), sharing an existing reqwest client (e.g. the one the credential uses).
    pub fn with_http_client(
        config: ArmClientConfig,
        credential: ArmCredential,
        http: reqwest::Client,
    ) -> Result<Self, ArmError> {
        let base = config.base_url.trim_end_matches('/');
        let base_url = Url::parse(base)
            .map_err(|e| ArmError::InvalidRequest(format!("ARM base URL {base:?}: {e}")))?;
        Ok(Self {
            retry: config.retry.clone(),
            inner: Arc::new(Inner {
                http,
                base_url,
                config,
                credential,
            }),
        })
    }

    /// The same client without retries of 429/5xx/network failures: for callers that decide
    /// themselves what a failed call means and when to try again (following an operation that
    /// may take hours, or a create that must not be sent twice blindly).
    pub fn single_attempt(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            retry: RetryPolicy {
                max_elapsed: Duration::ZERO,
                ..self.retry.clone()
            },
        }
    }

    pub fn base_url(&self) -> &str {
        self.inner.base_url.as_str().trim_end_matches('/')
    }

    pub fn config(&self) -> &ArmClientConfig {
        &self.inner.config
    }

    // ----- managed clusters -----

    /// `PUT …/managedClusters/{name}`: starts a create (201) or an update (200).
    pub async fn create_or_update_cluster(
        &self,
        cluster: &ClusterRef,
        body: &ManagedCluster,
    ) -> Result<OperationStarted<ManagedCluster>, ArmError> {
        self.put_cluster(cluster, body, &[]).await
    }

    /// `PUT …/managedClusters/{name}` with `If-None-Match: *`: a create that must not become an
    /// update of a cluster that exists (Azure answers 412 where it honours the header). Sent
    /// once, whatever this handle's retry policy: after a lost answer only a read of the cluster
    /// can tell whether Azure took it.
    pub async fn create_cluster(
        &self,
        cluster: &ClusterRef,
        body: &ManagedCluster,
    ) -> Result<OperationStarted<ManagedCluster>, ArmError> {
        self.single_attempt()
            .put_cluster(cluster, body, &[("if-none-match", "*")])
            .await
    }

    async fn put_cluster(
        &self,
        cluster: &ClusterRef,
        body: &ManagedCluster,
        headers: &[(&str, &str)],
    ) -> Result<OperationStarted<ManagedCluster>, ArmError> {
        let url = self.cluster_url(cluster, "")?;
        let json = serde_json::to_value(body)
            .map_err(|e| ArmError::InvalidRequest(format!("cluster body: {e}")))?;
        let answer = self.send(Method::PUT, url, Some(&json), headers).await?;
        Ok(started(answer))
    }

    /// `GET …/managedClusters/{name}`; `None` when the cluster (or its group) does not exist.
    pub async fn get_cluster(
        &self,
        cluster: &ClusterRef,
    ) -> Result<Option<ManagedCluster>, ArmError> {
        Ok(self.get_cluster_read(cluster).await?.0)
    }

    /// [`ArmClient::get_cluster`] with Azure's ids of the read (a state change it shows is
    /// recorded with them).
    pub async fn get_cluster_read(
        &self,
        cluster: &ClusterRef,
    ) -> Result<(Option<ManagedCluster>, AzureIds), ArmError> {
        let url = self.cluster_url(cluster, "")?;
        match self.send(Method::GET, url, None, &[]).await {
            Ok(answer) => Ok((Some(parse_body(&answer)?), answer.azure)),
            Err(e) if e.is_not_found() => Ok((None, e.azure_ids())),
            Err(e) => Err(e),
        }
    }

    /// `GET …/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters`.
    pub async fn list_clusters(
        &self,
        subscription_id: &str,
        resource_group: &str,
    ) -> Result<Vec<ManagedCluster>, ArmError> {
        let url = self.cluster_list_url(subscription_id, resource_group)?;
        self.list_all(url).await
    }

    /// One page of a resource group's cluster list: the first (`next_link` `None`), or the one
    /// a page's `nextLink` names (followed on ARM's own host only), with Azure's ids of the read.
    pub async fn list_clusters_page(
        &self,
        subscription_id: &str,
        resource_group: &str,
        next_link: Option<&str>,
    ) -> Result<ClusterPage, ArmError> {
        let url = match next_link {
            Some(link) => self.same_origin(link)?,
            None => self.cluster_list_url(subscription_id, resource_group)?,
        };
        let answer = self.send(Method::GET, url, None, &[]).await?;
        let page: ArmList<ManagedCluster> = parse_body(&answer)?;
        Ok(ClusterPage {
            clusters: page.value,
            next_link: page.next_link.filter(|l| !l.is_empty()),
            azure: answer.azure,
        })
    }

    fn cluster_list_url(
        &self,
        subscription_id: &str,
        resource_group: &str,
    ) -> Result<Url, ArmError> {
        let path = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters",
            segment(subscription_id)?,
            segment(resource_group)?
        );
        self.url(&path, CONTAINER_SERVICE_API_VERSION, &[])
    }

    /// `DELETE …/managedClusters/{name}`; `None` when there was nothing to delete (204).
    pub async fn delete_cluster(
        &self,
        cluster: &ClusterRef,
    ) -> Result<Option<OperationStarted<()>>, ArmError> {
        let url = self.cluster_url(cluster, "")?;
        let answer = self.send(Method::DELETE, url, None, &[]).await?;
        if answer.status == StatusCode::NO_CONTENT.as_u16() {
            return Ok(None);
        }
        Ok(Some(started_without_body(answer)))
    }

    /// `POST …/managedClusters/{name}/abort`: aborts the operation running on the cluster.
    pub async fn abort_cluster_operation(
        &self,
        cluster: &ClusterRef,
    ) -> Result<OperationStarted<()>, ArmError> {
        let url = self.cluster_url(cluster, "/abort")?;
        let answer = self.send(Method::POST, url, None, &[]).await?;
        Ok(started_without_body(answer))
    }

    // ----- long-running operations -----

    /// One poll of an `Azure-AsyncOperation` or `Location` URL. An `Azure-AsyncOperation` URL
    /// answers `{"status": …}`; a `Location` URL answers 202 while running and, when done, 204
    /// or 200 with the resource. Only those mean anything: a body that says nothing readable is
    /// [`ArmError::UnexpectedResponse`], never "done". A failed operation is `Ok` with status
    /// `Failed` and Azure's error (see [`OperationStatus::into_result`]).
    pub async fn operation_status(&self, status_url: &str) -> Result<OperationPoll, ArmError> {
        let url = self.same_origin(status_url)?;
        let answer = self.send(Method::GET, url, None, &[]).await?;
        let retry_after = parse_retry_after(&answer.headers, SystemTime::now());
        let status = read_operation_status(answer.status, &answer.body).ok_or_else(|| {
            ArmError::UnexpectedResponse {
                status: answer.status,
                message: "the operation status could not be read".into(),
                raw_body: answer.body.clone(),
            }
        })?;
        Ok(OperationPoll {
            status,
            retry_after,
            azure: answer.azure,
        })
    }

    /// Polls `status_url` until the operation is `Succeeded`, `Failed` or `Canceled`, waiting
    /// as `Retry-After` asks; [`ArmError::Timeout`] after `max_wait`.
    pub async fn wait_for_operation(
        &self,
        status_url: &str,
        max_wait: Duration,
    ) -> Result<OperationStatus, ArmError> {
        let deadline = Instant::now() + max_wait;
        loop {
            let poll = self.operation_status(status_url).await?;
            if poll.status.status.is_terminal() {
                return Ok(poll.status);
            }
            let delay = poll
                .retry_after
                .unwrap_or(self.inner.config.default_poll_interval)
                .min(self.inner.config.max_poll_interval);
            if Instant::now() + delay > deadline {
                return Err(ArmError::Timeout(max_wait));
            }
            tokio::time::sleep(delay).await;
        }
    }

    // ----- resource groups -----

    /// `GET /subscriptions/{sub}/resourcegroups/{rg}`; `None` when it does not exist.
    pub async fn get_resource_group(
        &self,
        subscription_id: &str,
        resource_group: &str,
    ) -> Result<Option<ResourceGroup>, ArmError> {
        let url = self.resource_group_url(subscription_id, resource_group)?;
        not_found_as_none(self.get_json(url).await)
    }

    /// `PUT /subscriptions/{sub}/resourcegroups/{rg}`: creates the group (or keeps it).
    pub async fn create_resource_group(
        &self,
        subscription_id: &str,
        resource_group: &str,
        location: &str,
    ) -> Result<ResourceGroup, ArmError> {
        let url = self.resource_group_url(subscription_id, resource_group)?;
        let body = serde_json::json!({ "location": location });
        let answer = self.send(Method::PUT, url, Some(&body), &[]).await?;
        parse_body(&answer)
    }

    // ----- what a region offers -----

    /// The VM sizes of `location`, with their restrictions (`Microsoft.Compute/skus`).
    pub async fn list_vm_skus(
        &self,
        subscription_id: &str,
        location: &str,
    ) -> Result<Vec<ResourceSku>, ArmError> {
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.Compute/skus",
            segment(subscription_id)?
        );
        let filter = format!("location eq '{}'", location.replace('\'', "''"));
        let url = self.url(&path, COMPUTE_SKUS_API_VERSION, &[("$filter", &filter)])?;
        let skus: Vec<ResourceSku> = self.list_all(url).await?;
        Ok(skus
            .into_iter()
            .filter(|s| s.resource_type.eq_ignore_ascii_case("virtualMachines"))
            .collect())
    }

    /// vCPU usage and limits of `location`: `cores` and one entry per VM family.
    pub async fn list_compute_usages(
        &self,
        subscription_id: &str,
        location: &str,
    ) -> Result<Vec<Usage>, ArmError> {
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.Compute/locations/{}/usages",
            segment(subscription_id)?,
            segment(location)?
        );
        let url = self.url(&path, COMPUTE_USAGES_API_VERSION, &[])?;
        self.list_all(url).await
    }

    /// The Kubernetes versions AKS offers in `location`.
    pub async fn list_kubernetes_versions(
        &self,
        subscription_id: &str,
        location: &str,
    ) -> Result<Vec<KubernetesVersion>, ArmError> {
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.ContainerService/locations/{}/kubernetesVersions",
            segment(subscription_id)?,
            segment(location)?
        );
        let url = self.url(&path, CONTAINER_SERVICE_API_VERSION, &[])?;
        let list: KubernetesVersionList = self.get_json(url).await?;
        Ok(list.values)
    }

    // ----- plumbing -----

    fn cluster_url(&self, cluster: &ClusterRef, suffix: &str) -> Result<Url, ArmError> {
        let path = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}{suffix}",
            segment(&cluster.subscription_id)?,
            segment(&cluster.resource_group)?,
            segment(&cluster.name)?
        );
        self.url(&path, CONTAINER_SERVICE_API_VERSION, &[])
    }

    fn resource_group_url(
        &self,
        subscription_id: &str,
        resource_group: &str,
    ) -> Result<Url, ArmError> {
        let path = format!(
            "/subscriptions/{}/resourcegroups/{}",
            segment(subscription_id)?,
            segment(resource_group)?
        );
        self.url(&path, RESOURCES_API_VERSION, &[])
    }

    fn url(&self, path: &str, api_version: &str, query: &[(&str, &str)]) -> Result<Url, ArmError> {
        let mut url = self.inner.base_url.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        {
            let mut pairs = url.query_pairs_mut();
            pairs.clear();
            pairs.append_pair("api-version", api_version);
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// A URL from ARM (operation, `nextLink`) is only followed on ARM's own host: the bearer
    /// token must not go anywhere else.
    fn same_origin(&self, raw: &str) -> Result<Url, ArmError> {
        let url = Url::parse(raw)
            .map_err(|e| ArmError::InvalidRequest(format!("operation URL {raw:?}: {e}")))?;
        if url.origin() != self.inner.base_url.origin() {
            return Err(ArmError::InvalidRequest(format!(
                "refusing to send the Azure token to {}, which is not {}",
                url.origin().ascii_serialization(),
                self.inner.base_url.origin().ascii_serialization()
            )));
        }
        Ok(url)
    }

    async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, ArmError> {
        let answer = self.send(Method::GET, url, None, &[]).await?;
        parse_body(&answer)
    }

    async fn list_all<T: DeserializeOwned>(&self, first: Url) -> Result<Vec<T>, ArmError> {
        let mut items = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(url) = next.take() {
            let page: ArmList<T> = self.get_json(url).await?;
            items.extend(page.value);
            pages += 1;
            if let Some(link) = page.next_link.filter(|l| !l.is_empty())
                && pages < MAX_PAGES
            {
                next = Some(self.same_origin(&link)?);
            }
        }
        Ok(items)
    }

    /// One ARM call with retries: 429, 5xx, network errors and time-outs are tried again after
    /// `Retry-After` (or an exponential backoff), until the policy's time budget would be spent.
    /// A 401 makes the credential forget its cached token, and the call is sent once more with a
    /// new one (a token Azure revoked early is otherwise kept until it expires).
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<HttpAnswer, ArmError> {
        let policy = &self.retry;
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut token_renewed = false;
        loop {
            attempt += 1;
            let error = match self.send_once(&method, &url, body, headers).await {
                Ok(answer) if answer.status == 401 && !token_renewed => {
                    token_renewed = true;
                    tracing::info!(%method, path = url.path(), "Azure refused the token; asking for a new one");
                    self.inner.credential.forget_cached_token();
                    continue;
                }
                Ok(answer) if answer.status < 400 => return Ok(answer),
                Ok(answer) => ArmError::from_response(
                    answer.status,
                    answer.body,
                    parse_retry_after(&answer.headers, SystemTime::now()),
                )
                .with_azure_ids(answer.azure),
                Err(error) => error,
            };
            if !error.is_retryable() {
                return Err(error);
            }
            let delay = error
                .retry_after()
                .unwrap_or_else(|| jitter(policy.backoff(attempt)));
            if error.status() == Some(429) {
                crate::metrics::azure_throttled(
                    crate::metrics::arm_operation(&method, url.path()),
                    delay,
                );
            }
            if started.elapsed() + delay > policy.max_elapsed {
                tracing::warn!(%method, path = url.path(), attempt, error = %error, "ARM call failed; giving up");
                return Err(error);
            }
            tracing::info!(%method, path = url.path(), attempt, delay_ms = delay.as_millis() as u64, error = %error, "ARM call failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<HttpAnswer, ArmError> {
        let token = self.inner.credential.token().await?;
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header(reqwest::header::AUTHORIZATION, token.header_value()?)
            .header(reqwest::header::ACCEPT, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = Instant::now();
        let timeout = self.inner.config.request_timeout;
        let operation = crate::metrics::arm_operation(method, url.path());
        let lost = |e: reqwest::Error| {
            let error = transport_error(e, timeout);
            let kind = match error {
                ArmError::Timeout(_) => "timeout",
                _ => "network",
            };
            crate::metrics::azure_call(operation, kind, started.elapsed());
            error
        };
        let response = request.send().await.map_err(lost)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(lost)?;
        crate::metrics::azure_call(operation, &status.to_string(), started.elapsed());
        let elapsed_ms = started.elapsed().as_millis() as u64;
        // Azure's ids of the call, to find it in the Activity Log or in a support case.
        let id = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (request_id, correlation_id) =
            (id("x-ms-request-id"), id("x-ms-correlation-request-id"));
        if method == Method::GET {
            tracing::debug!(%method, url = %url, status, elapsed_ms, azure_request_id = %request_id, azure_correlation_id = %correlation_id, "ARM request");
        } else {
            tracing::info!(%method, url = %url, status, elapsed_ms, azure_request_id = %request_id, azure_correlation_id = %correlation_id, "ARM request");
        }
        let known = |id: String| (!id.is_empty()).then_some(id);
        Ok(HttpAnswer {
            status,
            headers,
            body: text,
            azure: AzureIds {
                correlation_id: known(correlation_id),
                request_id: known(request_id),
            },
        })
    }
}

/// The reqwest client for ARM: a time-out on every call, no redirects (the token stays on ARM's
/// host).
pub fn build_http_client(request_timeout: Duration) -> Result<reqwest::Client, ArmError> {
    reqwest::Client::builder()
        .timeout(request_timeout)
        .connect_timeout(request_timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("aks-dashboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ArmError::Network(format!("cannot build the HTTP client: {e}")))
}

fn transport_error(error: reqwest::Error, timeout: Duration) -> ArmError {
    if error.is_timeout() {
        ArmError::Timeout(timeout)
    } else {
        // Without the URL: it is logged elsewhere, and keeps the message short.
        ArmError::Network(error.without_url().to_string())
    }
}

/// A path segment from a caller: names never contain URL syntax.
fn segment(value: &str) -> Result<&str, ArmError> {
    if value.is_empty() || value.contains(['/', '?', '#', '%', '\\']) {
        return Err(ArmError::InvalidRequest(format!(
            "{value:?} is not a valid Azure name"
        )));
    }
    Ok(value)
}

fn parse_body<T: DeserializeOwned>(answer: &HttpAnswer) -> Result<T, ArmError> {
    serde_json::from_str(&answer.body).map_err(|e| ArmError::UnexpectedResponse {
        status: answer.status,
        message: e.to_string(),
        raw_body: answer.body.clone(),
    })
}

fn not_found_as_none<T>(result: Result<T, ArmError>) -> Result<Option<T>, ArmError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn started<T: DeserializeOwned>(answer: HttpAnswer) -> OperationStarted<T> {
    let body = if answer.body.trim().is_empty() {
        None
    } else {
        serde_json::from_str(&answer.body).ok()
    };
    OperationStarted {
        http_status: answer.status,
        body,
        azure_async_operation: header(&answer.headers, "azure-asyncoperation"),
        location: header(&answer.headers, "location"),
        retry_after: parse_retry_after(&answer.headers, SystemTime::now()),
        azure: answer.azure,
    }
}

fn started_without_body(answer: HttpAnswer) -> OperationStarted<()> {
    let with_body: OperationStarted<serde_json::Value> = started(answer);
    OperationStarted {
        http_status: with_body.http_status,
        body: None,
        azure_async_operation: with_body.azure_async_operation,
        location: with_body.location,
        retry_after: with_body.retry_after,
        azure: with_body.azure,
    }
}

/// What one answer of an operation URL says, or `None` when it says nothing readable.
fn read_operation_status(http_status: u16, body: &str) -> Option<OperationStatus> {
    if let Ok(status) = serde_json::from_str::<OperationStatus>(body) {
        return Some(status);
    }
    let empty = body.trim().is_empty();
    match http_status {
        // A `Location` URL while the operation runs.
        202 => Some(OperationStatus::with_state(OperationState::InProgress)),
        // A `Location` URL once done: no content, or the resource itself.
        204 => Some(OperationStatus::with_state(OperationState::Succeeded)),
        200 | 201 if empty || is_resource_body(body) => {
            Some(OperationStatus::with_state(OperationState::Succeeded))
        }
        _ => None,
    }
}

/// An ARM resource (`{"id": …, "properties": {…}}`), as a `Location` URL answers when done.
fn is_resource_body(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body).is_ok_and(|v| {
        v.get("id").is_some_and(serde_json::Value::is_string)
            && v.get("properties")
                .is_some_and(serde_json::Value::is_object)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_explicit_answer_ends_an_operation() {
        let state = |status, body| read_operation_status(status, body).map(|s| s.status);
        assert_eq!(
            state(200, r#"{"status":"InProgress"}"#),
            Some(OperationState::InProgress)
        );
        assert_eq!(
            state(200, r#"{"status":"Succeeded"}"#),
            Some(OperationState::Succeeded)
        );
        assert_eq!(state(202, ""), Some(OperationState::InProgress));
        assert_eq!(state(204, ""), Some(OperationState::Succeeded));
        assert_eq!(state(200, ""), Some(OperationState::Succeeded));
        assert_eq!(
            state(
                200,
                r#"{"id":"/subscriptions/s/x","properties":{"provisioningState":"Succeeded"}}"#
            ),
            Some(OperationState::Succeeded)
        );
        // A gateway's page or a truncated body says nothing: not "done".
        assert_eq!(state(200, "<html>Bad Gateway</html>"), None);
        assert_eq!(state(200, r#"{"stat"#), None);
        assert_eq!(state(200, r#"{"unexpected":true}"#), None);
    }

    #[test]
    fn names_with_url_syntax_are_refused() {
        assert!(segment("aks-1").is_ok());
        assert!(segment("a/b").is_err());
        assert!(segment("a?b").is_err());
        assert!(segment("").is_err());
    }

    #[test]
    fn operation_urls_on_another_host_are_refused() {
        let client = ArmClient::new(
            ArmClientConfig::new("http://127.0.0.1:4010"),
            ArmCredential::simulator(),
        );
        let Ok(client) = client else { panic!("client") };
        assert!(
            client
                .same_origin("http://127.0.0.1:4010/subscriptions/s/operations/1")
                .is_ok()
        );
        assert!(
            client
                .same_origin("http://evil.example/subscriptions/s/operations/1")
                .is_err()
        );
        assert!(client.same_origin("http://127.0.0.1:4011/x").is_err());
    }
}
