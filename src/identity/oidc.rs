//! Sign-in with Microsoft Entra ID (`AUTH_MODE=oidc`): OpenID Connect's authorization code
//! flow with PKCE, through the `openidconnect` crate. The ID token is checked by the crate
//! (signature against the issuer's keys, `iss`, `aud`, `exp`, `nonce`); the user's object id
//! (`oid`) is the owner key, `name` is shown, and the app roles (`roles`) give the
//! [`Role`](super::Role). The same checks serve Easy Auth's forwarded ID token
//! ([`OidcClient::verify_forwarded`]).
//!
//! Providers roll their signing keys (Entra ID every few weeks): the discovery document and the
//! keys are read at the first use, again when a token names a key the set does not have (at
//! most once a minute), and again after a day. A read that fails keeps what was read before.
//!
//! The sign-in in progress (state, nonce, PKCE verifier, where to go after) waits in the
//! server-side session (`sessions.rs`), never in the browser.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdToken, IdTokenClaims, IdTokenFields, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    SignatureVerificationError, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};

/// Entra's claims beyond the standard ones, as the dashboard reads them (and the simulator's
/// issuer writes them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraClaims {
    /// The user's object id: the owner of their jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// App roles the user was given.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
}

impl AdditionalClaims for EntraClaims {}

type EntraIdTokenFields = IdTokenFields<
    EntraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type EntraTokenResponse = StandardTokenResponse<EntraIdTokenFields, CoreTokenType>;
type EntraIdToken = IdToken<
    EntraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// The `openidconnect` client as discovery makes it, reading Entra's claims.
type EntraClient = Client<
    EntraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    EntraTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long a call to the identity provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// The discovery document and keys are read again after this long, whatever happens.
const KEYS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// A token naming an unknown key makes the keys be read again at most this often: a stream of
/// made-up tokens cannot make the server hammer the provider.
const UNKNOWN_KEY_REFRESH_GAP: Duration = Duration::from_secs(60);

/// Why a sign-in did not go through, in words for the page that says so.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the identity provider could not be reached ({0})")]
    Provider(String),
    #[error("the sign-in answer does not belong to a sign-in started here")]
    UnknownState,
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the identity provider's ID token is not valid: {0}")]
    InvalidToken(String),
    #[error("configuration: {0}")]
    Config(String),
}

/// A sign-in on its way to the identity provider, kept in the session until it comes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to go once signed in (a local path).
    pub next: String,
}

/// Who signed in, as the ID token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// The object id (`oid`), else the subject.
    pub id: String,
    pub name: String,
    /// The app roles (`roles`) as the token names them.
    pub roles: Vec<String>,
    /// When the user signed in (Unix seconds): the session's absolute lifetime counts from
    /// here. 0 for a session kept before this was recorded (it has run out).
    #[serde(default)]
    pub signed_in_at: i64,
    /// The ID token itself, sent back as `id_token_hint` when signing out at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// The dashboard's OpenID Connect client. Cheap to clone.
#[derive(Clone)]
pub struct OidcClient {
    inner: Arc<Inner>,
}

struct Inner {
    issuer_url: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect_url: RedirectUrl,
    /// No redirects: the flow's calls go where discovery says, nowhere else.
    http: reqwest::Client,
    provider: tokio::sync::RwLock<Option<Arc<Provider>>>,
    /// When a token naming an unknown key last made the keys be read again.
    unknown_key_refresh: std::sync::Mutex<Option<Instant>>,
}

/// What discovery said: the client built from it (endpoints and keys) and where sign-out
/// continues.
struct Provider {
    client: EntraClient,
    end_session: Option<EndSessionUrl>,
    read_at: Instant,
}

/// Why the provider's discovery document or keys were read again.
#[derive(Debug, Clone, Copy)]
enum Refresh {
    UnknownKey,
    Daily,
}

impl OidcClient {
    pub fn new(
        issuer_url: &str,
        client_id: &str,
        client_secret: Option<String>,
        redirect_url: &str,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                issuer_url: IssuerUrl::new(issuer_url.to_owned())
                    .map_err(|e| format!("OIDC_ISSUER_URL {issuer_url:?}: {e}"))?,
                client_id: ClientId::new(client_id.to_owned()),
                client_secret: client_secret.map(ClientSecret::new),
                redirect_url: RedirectUrl::new(redirect_url.to_owned())
                    .map_err(|e| format!("the sign-in redirect {redirect_url:?}: {e}"))?,
                http,
                provider: tokio::sync::RwLock::new(None),
                unknown_key_refresh: std::sync::Mutex::new(None),
            }),
        })
    }

    pub fn issuer_url(&self) -> &str {
        self.inner.issuer_url.as_str()
    }

    /// Reads the discovery document and, through it, the keys.
    async fn discover(&self) -> Result<Provider, SignInError> {
        let metadata = ProviderMetadataWithLogout::discover_async(
            self.inner.issuer_url.clone(),
            &self.inner.http,
        )
        .await
        .map_err(|e| SignInError::Provider(e.to_string()))?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let client = Client::from_provider_metadata(
            metadata,
            self.inner.client_id.clone(),
            self.inner.client_secret.clone(),
        )
        .set_redirect_uri(self.inner.redirect_url.clone());
        Ok(Provider {
            client,
            end_session,
            read_at: Instant::now(),
        })
    }

    /// What discovery said: read at the first use, and again once it is a day old (if that
    /// read fails, the day-old one serves and the next use tries again).
    async fn provider(&self) -> Result<Arc<Provider>, SignInError> {
        if let Some(known) = self.inner.provider.read().await.as_ref()
            && known.read_at.elapsed() < KEYS_MAX_AGE
        {
            return Ok(known.clone());
        }
        let mut slot = self.inner.provider.write().await;
        match slot.clone() {
            Some(known) if known.read_at.elapsed() < KEYS_MAX_AGE => Ok(known),
            Some(old) => Ok(self.refreshed(&mut slot, old, Refresh::Daily).await),
            None => {
                let fresh = Arc::new(self.discover().await?);
                *slot = Some(fresh.clone());
                Ok(fresh)
            }
        }
    }

    /// Reads discovery and keys again in place of `old`; on failure `old` stays.
    async fn refreshed(
        &self,
        slot: &mut Option<Arc<Provider>>,
        old: Arc<Provider>,
        why: Refresh,
    ) -> Arc<Provider> {
        let reason = match why {
            Refresh::UnknownKey => "unknown_key",
            Refresh::Daily => "daily",
        };
        match self.discover().await {
            Ok(fresh) => {
                tracing::info!(issuer = %self.issuer_url(), reason, "identity provider's keys read again");
                crate::metrics::oidc_key_refresh(reason, "ok");
                let fresh = Arc::new(fresh);
                *slot = Some(fresh.clone());
                fresh
            }
            Err(e) => {
                tracing::warn!(issuer = %self.issuer_url(), reason, error = %e, "cannot read the identity provider's keys again; keeping the ones known");
                crate::metrics::oidc_key_refresh(reason, "failed");
                old
            }
        }
    }

    /// A token named a key `seen` does not have: the keys as read again, unless someone read
    /// them since `seen` or the last such read was under a minute ago (`None`: nothing new).
    async fn after_unknown_key(&self, seen: &Arc<Provider>) -> Option<Arc<Provider>> {
        let mut slot = self.inner.provider.write().await;
        if let Some(current) = slot.as_ref()
            && !Arc::ptr_eq(current, seen)
        {
            return Some(current.clone());
        }
        {
            let mut last = self
                .inner
                .unknown_key_refresh
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|at| at.elapsed() < UNKNOWN_KEY_REFRESH_GAP) {
                return None;
            }
            *last = Some(Instant::now());
        }
        let fresh = self
            .refreshed(&mut slot, seen.clone(), Refresh::UnknownKey)
            .await;
        (!Arc::ptr_eq(&fresh, seen)).then_some(fresh)
    }

    /// The token's claims, checked by `check` against the provider's keys; a token signed
    /// with a key the set does not have makes the keys be read again once.
    async fn checked_claims<F>(
        &self,
        token: &EntraIdToken,
        check: F,
    ) -> Result<IdTokenClaims<EntraClaims, CoreGenderClaim>, SignInError>
    where
        F: Fn(
            &EntraIdToken,
            &EntraClient,
        )
            -> Result<IdTokenClaims<EntraClaims, CoreGenderClaim>, ClaimsVerificationError>,
    {
        let provider = self.provider().await?;
        match check(token, &provider.client) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => match self.after_unknown_key(&provider).await {
                Some(fresh) => check(token, &fresh.client),
                None => Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )),
            },
            other => other,
        }
        .map_err(|e| SignInError::InvalidToken(e.to_string()))
    }

    /// Starts a sign-in: where to send the browser, and what to keep until it comes back.
    pub async fn begin(&self, next: &str) -> Result<(String, PendingSignIn), SignInError> {
        let provider = self.provider().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = provider
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            PendingSignIn {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                next: next.to_owned(),
            },
        ))
    }

    /// Finishes a sign-in with the code the provider sent back: redeems it (with the PKCE
    /// verifier) and checks the ID token.
    pub async fn finish(
        &self,
        pending: &PendingSignIn,
        code: &str,
        state: &str,
    ) -> Result<SignedIn, SignInError> {
        if state != pending.state {
            return Err(SignInError::UnknownState);
        }
        let provider = self.provider().await?;
        let response = provider
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SignInError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.inner.http)
            .await
            .map_err(|e| SignInError::Refused(e.to_string()))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| SignInError::InvalidToken("no ID token in the answer".into()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = self
            .checked_claims(id_token, |token, client| {
                token.claims(&client.id_token_verifier(), &nonce).cloned()
            })
            .await?;
        let mut signed_in = signed_in_from(&claims);
        signed_in.id_token = Some(id_token.to_string());
        Ok(signed_in)
    }

    /// Who an ID token another party forwarded says this is (Easy Auth's
    /// `X-MS-TOKEN-AAD-ID-TOKEN`): signature against the provider's keys, issuer, audience
    /// (this client id) and expiry are checked; there is no nonce to compare.
    pub async fn verify_forwarded(&self, token: &str) -> Result<SignedIn, SignInError> {
        let token: EntraIdToken = token
            .parse()
            .map_err(|e: serde_json::Error| SignInError::InvalidToken(e.to_string()))?;
        let no_nonce = |_: Option<&Nonce>| Ok(());
        let claims = self
            .checked_claims(&token, |token, client| {
                token.claims(&client.id_token_verifier(), no_nonce).cloned()
            })
            .await?;
        Ok(signed_in_from(&claims))
    }

    /// The origins sign-out may continue at: the issuer's, and the end-session endpoint's
    /// once discovery has named it (for the page's `form-action`).
    pub fn sign_out_origins(&self) -> Vec<String> {
        let mut origins = vec![self.inner.issuer_url.url().origin().ascii_serialization()];
        if let Ok(known) = self.inner.provider.try_read()
            && let Some(endpoint) = known.as_ref().and_then(|p| p.end_session.as_ref())
        {
            let origin = endpoint.url().origin().ascii_serialization();
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        origins
    }

    /// Where the browser goes to end the provider's own session too, when the provider says
    /// (`end_session_endpoint`); it comes back to `after`.
    pub async fn sign_out_url(&self, id_token: Option<&str>, after: &str) -> Option<String> {
        let provider = self.provider().await.ok()?;
        let endpoint = provider.end_session.clone()?;
        let mut request = LogoutRequest::from(endpoint).set_client_id(self.inner.client_id.clone());
        if let Ok(after) = PostLogoutRedirectUrl::new(after.to_owned()) {
            request = request.set_post_logout_redirect_uri(after);
        }
        if let Some(hint) = id_token.and_then(|t| t.parse::<EntraIdToken>().ok()) {
            request = request.set_id_token_hint(&hint);
        }
        Some(request.http_get_url().to_string())
    }
}

/// The user the checked claims name.
fn signed_in_from(claims: &IdTokenClaims<EntraClaims, CoreGenderClaim>) -> SignedIn {
    let extra = claims.additional_claims();
    let id = extra
        .oid
        .clone()
        .unwrap_or_else(|| claims.subject().as_str().to_owned());
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .or_else(|| claims.preferred_username().map(|u| u.as_str().to_owned()))
        .unwrap_or_else(|| id.clone());
    SignedIn {
        id,
        name,
        roles: extra.roles.clone(),
        signed_in_at: crate::clock::wall_seconds(),
        id_token: None,
    }
}
