//! The simulator's OpenID Connect issuer: a stand-in for Microsoft Entra ID, so that a fresh
//! machine, the tests and the browser specs run the dashboard's real sign-in flow offline.
//!
//! It speaks Entra's shape: the issuer is `{base}/{tenant}/v2.0`, with its discovery document,
//! its keys (`/discovery/v2.0/keys`), `authorize` (a sign-in page: a user name and roles, no
//! password), `token` (authorization code with PKCE, the client authenticated by its secret) and
//! `logout`. ID tokens are RS256, signed with a key made when the issuer is first used, and carry
//! Entra's claims: `oid` (the user's object id, derived from the name), `name`,
//! `preferred_username`, `roles`, `tid`, `nonce`.
//!
//! Test hooks: `POST /_armsim/oidc/faults {"token": "expired" | "wrong_audience" |
//! "bad_signature" | "wrong_issuer" | "wrong_nonce"}` spoils the next ID token it issues;
//! `POST /_armsim/oidc/rotate` rolls the signing key over as a provider does once the overlap
//! has passed (a new key signs from now on, and the key set holds only it); `POST
//! /_armsim/oidc/id-token {"user", "roles", "audience"?}` issues an ID token directly, as App
//! Service's token store would forward one (Easy Auth).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use leptos::prelude::*;
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreResponseType, CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
};
use openidconnect::{
    Audience, AuthUrl, EmptyAdditionalProviderMetadata, EndUserName, IdToken, IdTokenClaims,
    IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, LocalizedClaim, Nonce, PrivateSigningKey,
    ResponseTypes, StandardClaims, SubjectIdentifier, TokenUrl,
};
use serde::Deserialize;

use crate::identity::oidc::EntraClaims;
use sha2::{Digest, Sha256};

/// How long an authorization code may be redeemed, and an ID token is valid.
const CODE_LIFETIME: Duration = Duration::from_secs(120);
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// An application that may sign users in here: the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerClient {
    pub client_id: String,
    pub client_secret: String,
}

/// How the next ID token is spoiled (the test hook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenFault {
    Expired,
    WrongAudience,
    BadSignature,
    WrongIssuer,
    WrongNonce,
}

/// A code waiting to be redeemed.
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    user: String,
    roles: Vec<String>,
    issued: SystemTime,
}

/// The signing key and its id.
type SigningKey = Arc<(CoreRsaPrivateSigningKey, String)>;

/// The issuer's state: its key, its client, the codes not redeemed yet, the next fault.
pub struct Issuer {
    tenant_id: String,
    client: Option<IssuerClient>,
    /// Made at the first use; replaced by a rollover.
    key: RwLock<Option<SigningKey>>,
    codes: Mutex<HashMap<String, PendingCode>>,
    next_fault: Mutex<Option<TokenFault>>,
}

impl Issuer {
    pub fn new(tenant_id: &str, client: Option<IssuerClient>) -> Self {
        Self {
            tenant_id: tenant_id.to_owned(),
            client,
            key: RwLock::new(None),
            codes: Mutex::new(HashMap::new()),
            next_fault: Mutex::new(None),
        }
    }

    /// The client id of the application registered here, if one is.
    pub fn client_id(&self) -> Option<&str> {
        self.client.as_ref().map(|c| c.client_id.as_str())
    }

    /// Whether this is the tenant the issuer answers for.
    pub fn serves(&self, tenant: &str) -> bool {
        self.tenant_id.eq_ignore_ascii_case(tenant)
    }

    /// The issuer URL for a simulator at `base`.
    pub fn issuer_url(&self, base: &str) -> String {
        format!("{base}/{}/v2.0", self.tenant_id)
    }

    /// The signing key and its id, made on first use (an RSA key takes a moment).
    fn key(&self) -> SigningKey {
        if let Some(key) = self.key.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return key.clone();
        }
        let mut slot = self.key.write().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert_with(signing_key).clone()
    }

    /// The key rollover: a new key signs from now on, and the old one leaves the key set.
    /// The new key's id.
    pub fn rotate(&self) -> String {
        let fresh = signing_key();
        let kid = fresh.1.clone();
        *self.key.write().unwrap_or_else(|p| p.into_inner()) = Some(fresh);
        kid
    }

    fn lock_codes(&self) -> std::sync::MutexGuard<'_, HashMap<String, PendingCode>> {
        self.codes.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_fault(&self, fault: TokenFault) {
        *self.next_fault.lock().unwrap_or_else(|p| p.into_inner()) = Some(fault);
    }

    fn take_fault(&self) -> Option<TokenFault> {
        self.next_fault
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

/// A fresh RSA signing key with an id derived from it.
fn signing_key() -> SigningKey {
    let (key, pem) = new_rsa_key();
    let kid = format!("armsim-{}", &hex_of(&Sha256::digest(pem.as_bytes()))[..16]);
    let signing = CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(kid.clone())))
        .unwrap_or_else(|e| panic!("the simulator's RSA key: {e}"));
    drop(key);
    Arc::new((signing, kid))
}

fn new_rsa_key() -> (rsa::RsaPrivateKey, String) {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
        .unwrap_or_else(|e| panic!("cannot make an RSA key: {e}"));
    let pem = key
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .unwrap_or_else(|e| panic!("cannot write the RSA key: {e}"))
        .to_string();
    (key, pem)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The user's object id: stable for a user name, shaped like Entra's (a GUID).
pub fn object_id_of(user: &str) -> String {
    let h = hex_of(&Sha256::digest(
        format!("armsim-user:{}", user.to_lowercase()).as_bytes(),
    ));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `GET {tenant}/v2.0/.well-known/openid-configuration`.
pub fn discovery(issuer: &Issuer, base: &str) -> Response {
    let iss = issuer.issuer_url(base);
    let t = &issuer.tenant_id;
    let parse = || -> Result<CoreProviderMetadata, String> {
        Ok(CoreProviderMetadata::new(
            IssuerUrl::new(iss.clone()).map_err(|e| e.to_string())?,
            AuthUrl::new(format!("{base}/{t}/oauth2/v2.0/authorize")).map_err(|e| e.to_string())?,
            JsonWebKeySetUrl::new(format!("{base}/{t}/discovery/v2.0/keys"))
                .map_err(|e| e.to_string())?,
            vec![ResponseTypes::new(vec![CoreResponseType::Code])],
            vec![CoreSubjectIdentifierType::Public],
            vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
            EmptyAdditionalProviderMetadata {},
        )
        .set_token_endpoint(Some(
            TokenUrl::new(format!("{base}/{t}/oauth2/v2.0/token")).map_err(|e| e.to_string())?,
        )))
    };
    match parse() {
        Ok(metadata) => {
            let mut value = serde_json::to_value(&metadata).unwrap_or_default();
            value["end_session_endpoint"] =
                serde_json::Value::String(format!("{base}/{t}/oauth2/v2.0/logout"));
            axum::Json(value).into_response()
        }
        Err(e) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e),
    }
}

/// `GET {tenant}/discovery/v2.0/keys`.
pub fn keys(issuer: &Issuer) -> Response {
    let jwks = CoreJsonWebKeySet::new(vec![issuer.key().0.as_verification_key()]);
    axum::Json(jwks).into_response()
}

/// What `authorize` is asked (as a query, and again as the sign-in form's hidden fields).
#[derive(Debug, Clone, Deserialize)]
pub struct AuthorizeParams {
    pub client_id: String,
    pub redirect_uri: String,
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub code_challenge_method: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    /// The sign-in form's fields.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub roles: Option<String>,
}

/// Whether a redirect may go back to `uri`: only to this machine (the simulator serves local
/// dashboards).
fn is_local_redirect(uri: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(uri) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// Why the authorize request is refused (an unknown client, a redirect elsewhere, a flow
/// other than the code flow), if it is.
fn client_refusal(issuer: &Issuer, p: &AuthorizeParams) -> Option<Response> {
    let known = issuer
        .client
        .as_ref()
        .is_some_and(|c| c.client_id == p.client_id);
    if !known {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "Unknown client_id.",
        ));
    }
    if !is_local_redirect(&p.redirect_uri) {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri must be on this machine.",
        ));
    }
    if p.response_type != "code" {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "Only code.",
        ));
    }
    None
}

/// The simulator's sign-in page: a user name and an app role, standing in for Microsoft's.
#[component]
fn SignInPage(p: AuthorizeParams) -> impl IntoView {
    let hidden = |name: &'static str, value: Option<String>| {
        value.map(|v| view! { <input type="hidden" name=name value=v /> })
    };
    let role = |value: &'static str, label: &'static str| {
        view! {
            <label>
                <input type="radio" name="roles" value=value checked=value.is_empty() />
                " "
                {label}
            </label>
        }
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <title>"Sign in · ARM simulator"</title>
            </head>
            <body>
                <main>
                    <h1>"Sign in"</h1>
                    <p>"The ARM simulator's identity provider, standing in for Microsoft Entra ID."</p>
                    <form method="post">
                        <input type="hidden" name="client_id" value=p.client_id />
                        <input type="hidden" name="redirect_uri" value=p.redirect_uri />
                        <input type="hidden" name="response_type" value="code" />
                        {hidden("state", p.state)}
                        {hidden("nonce", p.nonce)}
                        {hidden("code_challenge", p.code_challenge)}
                        {hidden("code_challenge_method", p.code_challenge_method)}
                        {hidden("scope", p.scope)}
                        <p>
                            <label for="user">"User name"</label>
                            " "
                            <input id="user" name="user" required autocomplete="username" />
                        </p>
                        <fieldset>
                            <legend>"App roles"</legend>
                            {role("", "None")}
                            {role("Reader", "Reader")}
                            {role("Operator", "Operator")}
                            {role("Admin", "Admin")}
                        </fieldset>
                        <p>
                            <button type="submit">"Sign in"</button>
                        </p>
                    </form>
                </main>
            </body>
        </html>
    }
}

/// `GET {tenant}/oauth2/v2.0/authorize`: the sign-in page.
pub fn authorize_page(issuer: &Issuer, p: AuthorizeParams) -> Response {
    if let Some(refused) = client_refusal(issuer, &p) {
        return refused;
    }
    let html = Owner::new().with(|| view! { <SignInPage p /> }.to_html());
    Html(html).into_response()
}

/// `POST {tenant}/oauth2/v2.0/authorize`: the user signed in; back to the client with a code.
pub fn authorize_submit(issuer: &Issuer, p: AuthorizeParams) -> Response {
    if let Some(refused) = client_refusal(issuer, &p) {
        return refused;
    }
    let user = p.user.as_deref().map(str::trim).unwrap_or_default();
    if user.is_empty() || user.len() > 64 {
        return (
            StatusCode::BAD_REQUEST,
            Html("A user name (1–64 characters) is required."),
        )
            .into_response();
    }
    let code = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>());
    let roles = p
        .roles
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    issuer.lock_codes().insert(
        code.clone(),
        PendingCode {
            client_id: p.client_id.clone(),
            redirect_uri: p.redirect_uri.clone(),
            nonce: p.nonce.clone(),
            code_challenge: p.code_challenge.clone(),
            user: user.to_owned(),
            roles,
            issued: SystemTime::now(),
        },
    );
    let mut target = match reqwest::Url::parse(&p.redirect_uri) {
        Ok(url) => url,
        Err(_) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "redirect_uri"),
    };
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = &p.state {
        target.query_pairs_mut().append_pair("state", state);
    }
    Redirect::to(target.as_str()).into_response()
}

/// The token request's form.
#[derive(Debug, Deserialize)]
pub struct TokenParams {
    pub(super) grant_type: String,
    code: String,
    redirect_uri: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    code_verifier: Option<String>,
}

/// The client's credentials: HTTP Basic (`client_secret_basic`) or the form.
fn client_credentials(headers: &HeaderMap, p: &TokenParams) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let unescape = |s: &str| {
            form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        return Some((unescape(id), unescape(secret)));
    }
    Some((p.client_id.clone()?, p.client_secret.clone()?))
}

/// `POST {tenant}/oauth2/v2.0/token`: a code for an ID token.
pub fn token(issuer: &Issuer, base: &str, headers: &HeaderMap, p: TokenParams) -> Response {
    if p.grant_type != "authorization_code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only authorization_code.",
        );
    }
    let Some((client_id, secret)) = client_credentials(headers, &p) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client credentials are missing.",
        );
    };
    let registered = issuer
        .client
        .as_ref()
        .is_some_and(|c| c.client_id == client_id && c.client_secret == secret);
    if !registered {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client or wrong secret.",
        );
    }
    let Some(pending) = issuer.lock_codes().remove(&p.code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Unknown or used code.",
        );
    };
    let fresh = pending
        .issued
        .elapsed()
        .is_ok_and(|age| age <= CODE_LIFETIME);
    if !fresh || pending.client_id != client_id || pending.redirect_uri != p.redirect_uri {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The code does not match this request.",
        );
    }
    if let Some(challenge) = &pending.code_challenge {
        let verified = p.code_verifier.as_deref().is_some_and(|verifier| {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == *challenge
        });
        if !verified {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "PKCE verification failed.",
            );
        }
    }
    match id_token_for(issuer, base, &pending, &client_id) {
        Ok(id_token) => axum::Json(serde_json::json!({
            "access_token": URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>()),
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME.as_secs(),
            "id_token": id_token,
            "scope": "openid profile",
        }))
        .into_response(),
        Err(e) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e),
    }
}

/// An ID token for `user` with `roles`, for the application `audience`, issued without a
/// sign-in (the test hook standing in for App Service's token store). Spoiled as the fault
/// hook says, if it does.
pub fn direct_id_token(
    issuer: &Issuer,
    base: &str,
    user: &str,
    roles: Vec<String>,
    audience: &str,
) -> Result<String, String> {
    let pending = PendingCode {
        client_id: audience.to_owned(),
        redirect_uri: String::new(),
        nonce: None,
        code_challenge: None,
        user: user.to_owned(),
        roles,
        issued: SystemTime::now(),
    };
    id_token_for(issuer, base, &pending, audience)
}

/// The signed ID token of a redeemed code (spoiled as the test hook says, if it does).
fn id_token_for(
    issuer: &Issuer,
    base: &str,
    pending: &PendingCode,
    client_id: &str,
) -> Result<String, String> {
    let fault = issuer.take_fault();
    let now = now_secs();
    let (issued, expires) = match fault {
        Some(TokenFault::Expired) => (now - 7200, now - 3600),
        _ => (now, now + TOKEN_LIFETIME.as_secs()),
    };
    let at = |secs: u64| {
        chrono::DateTime::<chrono::Utc>::from_timestamp(secs as i64, 0).unwrap_or_default()
    };
    let iss = match fault {
        Some(TokenFault::WrongIssuer) => format!("{base}/another-tenant/v2.0"),
        _ => issuer.issuer_url(base),
    };
    let aud = match fault {
        Some(TokenFault::WrongAudience) => "another-application".to_owned(),
        _ => client_id.to_owned(),
    };
    let oid = object_id_of(&pending.user);
    let mut name = LocalizedClaim::new();
    name.insert(None, EndUserName::new(pending.user.clone()));
    let standard = StandardClaims::<CoreGenderClaim>::new(SubjectIdentifier::new(oid.clone()))
        .set_name(Some(name))
        .set_preferred_username(Some(openidconnect::EndUserUsername::new(
            pending.user.clone(),
        )));
    let nonce = match fault {
        Some(TokenFault::WrongNonce) => Some(Nonce::new("not-the-nonce".into())),
        _ => pending.nonce.clone().map(Nonce::new),
    };
    let claims = IdTokenClaims::new(
        IssuerUrl::new(iss).map_err(|e| e.to_string())?,
        vec![Audience::new(aud)],
        at(expires),
        at(issued),
        standard,
        EntraClaims {
            oid: Some(oid),
            roles: pending.roles.clone(),
            tid: Some(issuer.tenant_id.clone()),
        },
    )
    .set_nonce(nonce);
    let alg = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;
    let token = if fault == Some(TokenFault::BadSignature) {
        // The same key id, another key: the signature does not verify.
        let (_, pem) = new_rsa_key();
        let other = CoreRsaPrivateSigningKey::from_pem(
            &pem,
            Some(JsonWebKeyId::new(issuer.key().1.clone())),
        )?;
        IdToken::<EntraClaims, CoreGenderClaim, _, _>::new(claims, &other, alg, None, None)
    } else {
        let key = issuer.key();
        IdToken::<EntraClaims, CoreGenderClaim, _, _>::new(claims, &key.0, alg, None, None)
    };
    let token: IdToken<
        EntraClaims,
        CoreGenderClaim,
        openidconnect::core::CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    > = token.map_err(|e| e.to_string())?;
    Ok(token.to_string())
}

/// `GET {tenant}/oauth2/v2.0/logout`: back to where the client asked, if it is on this machine.
#[derive(Debug, Deserialize)]
pub struct LogoutParams {
    #[serde(default)]
    post_logout_redirect_uri: Option<String>,
}

pub fn logout(p: LogoutParams) -> Response {
    match p.post_logout_redirect_uri.filter(|u| is_local_redirect(u)) {
        Some(uri) => Redirect::to(&uri).into_response(),
        None => Html("<p>Signed out.</p>").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_stable_guids_per_user() {
        let a = object_id_of("alice");
        assert_eq!(a, object_id_of("ALICE"));
        assert_ne!(a, object_id_of("bob"));
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }

    #[test]
    fn redirects_go_only_to_this_machine() {
        assert!(is_local_redirect("http://127.0.0.1:3000/auth/callback"));
        assert!(is_local_redirect("http://localhost:8080/auth/callback"));
        assert!(!is_local_redirect("https://evil.example/cb"));
        assert!(!is_local_redirect("javascript:alert(1)"));
    }
}
