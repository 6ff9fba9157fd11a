//! Sign-in with Microsoft Entra ID (`AUTH_MODE=oidc`): OpenID Connect's authorization code
//! flow with PKCE, through the `openidconnect` crate. The provider is discovered from its issuer
//! URL (once, and again after a failure); the ID token is checked by the crate (signature
//! against the issuer's keys, `iss`, `aud`, `exp`, `nonce`); the user's object id (`oid`) is
//! the owner key, `name` is shown, and the app roles (`roles`) give the [`Role`](super::Role).
//!
//! The sign-in in progress (state, nonce, PKCE verifier, where to go after) waits in the
//! server-side session (`sessions.rs`), never in the browser.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
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
    discovered: tokio::sync::RwLock<Option<Arc<EntraClient>>>,
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
                discovered: tokio::sync::RwLock::new(None),
            }),
        })
    }

    pub fn issuer_url(&self) -> &str {
        self.inner.issuer_url.as_str()
    }

    /// The client as discovery makes it; discovered once, and again after a failure.
    async fn client(&self) -> Result<Arc<EntraClient>, SignInError> {
        if let Some(client) = self.inner.discovered.read().await.as_ref() {
            return Ok(client.clone());
        }
        let mut slot = self.inner.discovered.write().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let metadata =
            CoreProviderMetadata::discover_async(self.inner.issuer_url.clone(), &self.inner.http)
                .await
                .map_err(|e| SignInError::Provider(e.to_string()))?;
        let client = Client::from_provider_metadata(
            metadata,
            self.inner.client_id.clone(),
            self.inner.client_secret.clone(),
        )
        .set_redirect_uri(self.inner.redirect_url.clone());
        let client = Arc::new(client);
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Starts a sign-in: where to send the browser, and what to keep until it comes back.
    pub async fn begin(&self, next: &str) -> Result<(String, PendingSignIn), SignInError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
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
        let client = self.client().await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SignInError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.inner.http)
            .await
            .map_err(|e| SignInError::Refused(e.to_string()))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| SignInError::InvalidToken("no ID token in the answer".into()))?;
        let claims = id_token
            .claims(
                &client.id_token_verifier(),
                &Nonce::new(pending.nonce.clone()),
            )
            .map_err(|e| SignInError::InvalidToken(e.to_string()))?;
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
        Ok(SignedIn {
            id,
            name,
            roles: extra.roles.clone(),
        })
    }
}
