//! Where the ARM client's bearer tokens come from: a fixed token for the simulator, or
//! `azure_identity` for real Azure (a client secret from the environment, then developer tools
//! such as the Azure CLI, then managed identity; the first that answers is kept).
//!
//! azure_identity's HTTP calls go through our own reqwest client (see [`AzureHttp`]), so the
//! server has one HTTP and TLS stack. Tokens never reach a log: [`BearerToken`] prints redacted.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential};
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{
    AsyncRawResponse, Body, ClientOptions, HttpClient, Method, Request, Transport,
};
use azure_core::time::OffsetDateTime;
use azure_identity::{
    ClientSecretCredential, ClientSecretCredentialOptions, DeveloperToolsCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
};

use super::cloud::CloudSettings;
use super::error::ArmError;

/// The token the ARM client sends to the simulator (which accepts any bearer token).
pub const SIMULATOR_TOKEN: &str = "armsim-local-token";

/// How long one credential may take to answer before the next one is tried.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// A cached token is renewed this long before it expires.
const EXPIRY_MARGIN: time::Duration = time::Duration::minutes(5);

/// A bearer token; `Debug` never shows it.
#[derive(Clone)]
pub struct BearerToken(String);

impl BearerToken {
    /// The `Authorization` header value, marked sensitive so that HTTP layers do not print it.
    pub(crate) fn header_value(&self) -> Result<reqwest::header::HeaderValue, ArmError> {
        let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.0))
            .map_err(|_| ArmError::Credential("the token is not a valid header value".into()))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// The token source of an [`ArmClient`](super::ArmClient).
#[derive(Clone)]
pub struct ArmCredential {
    source: Source,
}

#[derive(Clone)]
enum Source {
    Fixed(Arc<str>),
    Azure(Arc<AzureTokenSource>),
}

impl fmt::Debug for ArmCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArmCredential({})", self.describe())
    }
}

impl ArmCredential {
    /// Always the same token: for the simulator, and for tests.
    pub fn fixed(token: impl Into<String>) -> Self {
        Self {
            source: Source::Fixed(Arc::from(token.into())),
        }
    }

    /// The token the simulator expects.
    pub fn simulator() -> Self {
        Self::fixed(SIMULATOR_TOKEN)
    }

    /// azure_identity credentials, tried in order until one gives a token; that one is kept.
    pub fn from_azure_credentials(
        scope: impl Into<String>,
        credentials: Vec<(&'static str, Arc<dyn TokenCredential>)>,
    ) -> Self {
        Self {
            source: Source::Azure(Arc::new(AzureTokenSource {
                scope: scope.into(),
                credentials,
                chosen: AtomicUsize::new(usize::MAX),
                forgotten: AtomicBool::new(false),
                cache: tokio::sync::Mutex::new(None),
            })),
        }
    }

    /// The credentials this environment offers for `arm_endpoint` in `cloud`:
    /// a client secret when `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET` are
    /// set; then developer tools (Azure CLI, Azure Developer CLI); then managed identity
    /// (user-assigned when `AZURE_CLIENT_ID` is set). Token requests use `http`, and go to the
    /// cloud's sign-in authority.
    pub fn from_environment(
        arm_endpoint: &str,
        http: reqwest::Client,
        cloud: &CloudSettings,
    ) -> Result<Self, ArmError> {
        let env = |name: &str| std::env::var(name).ok();
        let transport = Transport::new(Arc::new(AzureHttp(http)));
        Self::from_lookup(env, transport, arm_endpoint, cloud)
    }

    /// [`from_environment`](Self::from_environment) with the environment and the transport
    /// given (tests use their own).
    fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        transport: Transport,
        arm_endpoint: &str,
        cloud: &CloudSettings,
    ) -> Result<Self, ArmError> {
        let env = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let client_options = ClientOptions {
            transport: Some(transport),
            cloud: Some(cloud.identity_cloud()),
            ..ClientOptions::default()
        };
        let identity_error = |e: azure_core::Error| ArmError::Credential(e.to_string());

        let mut credentials: Vec<(&'static str, Arc<dyn TokenCredential>)> = Vec::new();
        if let (Some(tenant), Some(client_id), Some(secret)) = (
            env("AZURE_TENANT_ID"),
            env("AZURE_CLIENT_ID"),
            env("AZURE_CLIENT_SECRET"),
        ) {
            let options = ClientSecretCredentialOptions {
                client_options: client_options.clone(),
            };
            let credential =
                ClientSecretCredential::new(&tenant, client_id, Secret::new(secret), Some(options))
                    .map_err(identity_error)?;
            credentials.push(("client secret", credential));
        }
        credentials.push((
            "developer tools",
            DeveloperToolsCredential::new(None).map_err(identity_error)?,
        ));
        // Without a secret, AZURE_CLIENT_ID names a user-assigned identity.
        let user_assigned_id = match env("AZURE_CLIENT_SECRET") {
            Some(_) => None,
            None => env("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
        };
        let mi_options = ManagedIdentityCredentialOptions {
            user_assigned_id,
            client_options,
        };
        credentials.push((
            "managed identity",
            ManagedIdentityCredential::new(Some(mi_options)).map_err(identity_error)?,
        ));
        Ok(Self::from_azure_credentials(
            arm_scope(arm_endpoint),
            credentials,
        ))
    }

    /// What kind of credential this is, for logs.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Fixed(_) => "fixed token".into(),
            Source::Azure(azure) => {
                let names: Vec<&str> = azure.credentials.iter().map(|(n, _)| *n).collect();
                format!("azure_identity: {}", names.join(", "))
            }
        }
    }

    /// Drops the cached token, so that the next [`token`](Self::token) asks the credential
    /// again. For a token Azure rejected (401) before it expired, e.g. after a role change or a
    /// revoked session. A fixed token has nothing to forget.
    pub fn forget_cached_token(&self) {
        if let Source::Azure(azure) = &self.source {
            // A flag, not the cache itself: a refresh may hold the cache's lock right now, and
            // this must not wait for it.
            azure.forgotten.store(true, Ordering::Release);
        }
    }

    pub(crate) async fn token(&self) -> Result<BearerToken, ArmError> {
        match &self.source {
            Source::Fixed(token) => Ok(BearerToken(token.to_string())),
            Source::Azure(azure) => azure.token().await,
        }
    }
}

/// The token scope of an ARM endpoint: `https://management.azure.com/.default` for public Azure.
pub fn arm_scope(arm_endpoint: &str) -> String {
    format!("{}/.default", arm_endpoint.trim_end_matches('/'))
}

struct AzureTokenSource {
    scope: String,
    credentials: Vec<(&'static str, Arc<dyn TokenCredential>)>,
    chosen: AtomicUsize,
    /// Set by [`ArmCredential::forget_cached_token`]; the next `token()` refreshes.
    forgotten: AtomicBool,
    // One refresh at a time; other requests wait for it instead of asking too.
    cache: tokio::sync::Mutex<Option<AccessToken>>,
}

impl AzureTokenSource {
    async fn token(&self) -> Result<BearerToken, ArmError> {
        let mut cache = self.cache.lock().await;
        if self.forgotten.swap(false, Ordering::AcqRel) {
            *cache = None;
        }
        if let Some(token) = cache.as_ref()
            && token.expires_on > OffsetDateTime::now_utc() + EXPIRY_MARGIN
        {
            return Ok(BearerToken(token.token.secret().to_string()));
        }
        let chosen = self.chosen.load(Ordering::Relaxed);
        let candidates: Vec<usize> = if chosen < self.credentials.len() {
            vec![chosen]
        } else {
            (0..self.credentials.len()).collect()
        };
        let mut failures = Vec::new();
        for index in candidates {
            let (name, credential) = &self.credentials[index];
            let scopes = [self.scope.as_str()];
            let attempt = credential.get_token(&scopes, None);
            match tokio::time::timeout(ATTEMPT_TIMEOUT, attempt).await {
                Ok(Ok(token)) => {
                    if chosen != index {
                        tracing::info!(credential = name, "Azure access token acquired");
                    }
                    self.chosen.store(index, Ordering::Relaxed);
                    let bearer = BearerToken(token.token.secret().to_string());
                    *cache = Some(token);
                    return Ok(bearer);
                }
                Ok(Err(e)) => failures.push(format!("{name}: {e}")),
                Err(_) => failures.push(format!("{name}: no answer within {ATTEMPT_TIMEOUT:?}")),
            }
        }
        Err(ArmError::Credential(failures.join("; ")))
    }
}

/// azure_core's HTTP client interface over our reqwest client.
#[derive(Debug, Clone)]
pub struct AzureHttp(pub reqwest::Client);

#[async_trait::async_trait]
impl HttpClient for AzureHttp {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        use azure_core::error::ErrorKind;
        let method = match request.method() {
            Method::Delete => reqwest::Method::DELETE,
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
            Method::Patch => reqwest::Method::PATCH,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            other => {
                return Err(azure_core::Error::with_message(
                    ErrorKind::Other,
                    format!("HTTP method {other:?} is not supported"),
                ));
            }
        };
        let mut builder = self.0.request(method, request.url().as_str());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        match request.body() {
            Body::Bytes(bytes) => builder = builder.body(bytes.clone()),
            #[allow(unreachable_patterns)]
            _ => {
                return Err(azure_core::Error::with_message(
                    ErrorKind::Other,
                    "streamed request bodies are not supported",
                ));
            }
        }
        let response = builder.send().await.map_err(|e| {
            let kind = if e.is_connect() {
                ErrorKind::Connection
            } else {
                ErrorKind::Io
            };
            azure_core::Error::with_error(kind, e, "token request failed")
        })?;
        let status = response.status().as_u16();
        let mut headers = Headers::new();
        for (name, value) in response.headers() {
            if let Ok(value) = value.to_str() {
                headers.insert(
                    HeaderName::from(name.as_str().to_owned()),
                    HeaderValue::from(value.to_owned()),
                );
            }
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| azure_core::Error::with_error(ErrorKind::Io, e, "token response body"))?;
        Ok(AsyncRawResponse::from_bytes(status.into(), headers, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_of_public_azure() {
        assert_eq!(
            arm_scope("https://management.azure.com/"),
            "https://management.azure.com/.default"
        );
    }

    #[tokio::test]
    async fn the_environment_chain_builds_without_touching_the_network() {
        let credential = ArmCredential::from_environment(
            "https://management.azure.com",
            reqwest::Client::new(),
            &CloudSettings::default(),
        );
        let Ok(credential) = credential else {
            panic!("credential chain: {credential:?}");
        };
        let described = credential.describe();
        assert!(described.contains("developer tools") && described.contains("managed identity"));
    }

    /// A credential that hands out `token-1`, `token-2`, … and counts how often it was asked.
    #[derive(Debug, Default)]
    struct CountingCredential {
        calls: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl TokenCredential for CountingCredential {
        async fn get_token(
            &self,
            _scopes: &[&str],
            _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(AccessToken::new(
                format!("token-{n}"),
                OffsetDateTime::now_utc() + time::Duration::hours(1),
            ))
        }
    }

    fn secret_of(token: &BearerToken) -> &str {
        &token.0
    }

    #[tokio::test]
    async fn a_forgotten_token_is_asked_for_again_and_a_fresh_one_is_kept() {
        let counting = Arc::new(CountingCredential::default());
        let credential = ArmCredential::from_azure_credentials(
            "https://management.azure.com/.default",
            vec![("counting", counting.clone() as Arc<dyn TokenCredential>)],
        );
        let first = credential.token().await.expect("first token");
        let cached = credential.token().await.expect("cached token");
        assert_eq!(secret_of(&first), "token-1");
        assert_eq!(secret_of(&cached), "token-1");
        assert_eq!(counting.calls.load(Ordering::SeqCst), 1);

        credential.forget_cached_token();
        let renewed = credential.token().await.expect("renewed token");
        assert_eq!(secret_of(&renewed), "token-2");
        let kept = credential.token().await.expect("kept token");
        assert_eq!(secret_of(&kept), "token-2");
        assert_eq!(counting.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn forgetting_a_fixed_token_changes_nothing() {
        let credential = ArmCredential::fixed("always");
        credential.forget_cached_token();
        let token = credential.token().await.expect("fixed token");
        assert_eq!(secret_of(&token), "always");
    }

    /// A transport that records where requests go and refuses them all.
    #[derive(Debug, Default)]
    struct RecordingTransport {
        urls: std::sync::Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl HttpClient for RecordingTransport {
        async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
            if let Ok(mut urls) = self.urls.lock() {
                urls.push(request.url().to_string());
            }
            // A refusal, not a network error: credentials give up at once instead of retrying.
            Ok(AsyncRawResponse::from_bytes(
                400u16.into(),
                Headers::new(),
                br#"{"error":"invalid_client"}"#.as_slice(),
            ))
        }
    }

    #[tokio::test]
    async fn a_client_secret_signs_in_at_the_authority_of_the_configured_cloud() {
        let recording = Arc::new(RecordingTransport::default());
        let env = |name: &str| match name {
            "AZURE_TENANT_ID" => Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".to_string()),
            "AZURE_CLIENT_ID" => Some("client".to_string()),
            "AZURE_CLIENT_SECRET" => Some("secret".to_string()),
            _ => None,
        };
        let china = CloudSettings {
            cloud: super::super::cloud::AzureCloud::China,
            ..CloudSettings::default()
        };
        let credential = ArmCredential::from_lookup(
            env,
            Transport::new(recording.clone()),
            "https://management.chinacloudapi.cn",
            &china,
        )
        .expect("credentials");
        assert!(credential.token().await.is_err(), "nothing answers");
        let urls = recording.urls.lock().map(|u| u.clone()).unwrap_or_default();
        assert!(
            urls.first().is_some_and(|u| u.starts_with(
                "https://login.chinacloudapi.cn/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/oauth2/v2.0/token"
            )),
            "{urls:?}"
        );
        assert!(
            !urls.iter().any(|u| u.contains("login.microsoftonline.com")),
            "{urls:?}"
        );
    }

    #[test]
    fn tokens_do_not_show_in_debug_output() {
        let token = BearerToken("secret-value".into());
        assert!(!format!("{token:?}").contains("secret-value"));
        assert!(!format!("{:?}", ArmCredential::fixed("secret-value")).contains("secret-value"));
    }
}
