//! The HTTP surface of the simulator's OpenID Connect issuer (`issuer.rs`): Entra ID's paths
//! under the tenant (discovery, keys, authorize, token, logout) and the test hooks under
//! `/_armsim/oidc` (spoil the next token, roll the key over, issue a token directly).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::Shared;

/// The issuer's routes, merged into the simulator's.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_armsim/oidc/faults", post(add_token_fault))
        .route("/_armsim/oidc/rotate", post(rotate_signing_key))
        .route("/_armsim/oidc/id-token", post(issue_id_token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(oidc_discovery),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(oidc_keys))
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(oidc_authorize_page).post(oidc_authorize_submit),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(oidc_token))
        .route("/{tenant}/oauth2/v2.0/logout", get(oidc_logout))
}

/// The issuer answers for the simulator's tenant only.
fn issuer_for<'a>(shared: &'a Shared, tenant: &str) -> Option<&'a super::issuer::Issuer> {
    shared.issuer.serves(tenant).then_some(&shared.issuer)
}

fn no_such_tenant() -> Response {
    (StatusCode::NOT_FOUND, "No such tenant.").into_response()
}

async fn oidc_discovery(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(tenant): axum::extract::Path<String>,
) -> Response {
    match issuer_for(&shared, &tenant) {
        Some(issuer) => super::issuer::discovery(issuer, &shared.base_url()),
        None => no_such_tenant(),
    }
}

async fn oidc_keys(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(tenant): axum::extract::Path<String>,
) -> Response {
    match issuer_for(&shared, &tenant) {
        // Making the key the first time takes a moment: not on the async workers.
        Some(_) => {
            let shared = shared.clone();
            tokio::task::spawn_blocking(move || super::issuer::keys(&shared.issuer))
                .await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        None => no_such_tenant(),
    }
}

async fn oidc_authorize_page(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(tenant): axum::extract::Path<String>,
    axum::extract::Query(params): axum::extract::Query<super::issuer::AuthorizeParams>,
) -> Response {
    match issuer_for(&shared, &tenant) {
        Some(issuer) => super::issuer::authorize_page(issuer, params),
        None => no_such_tenant(),
    }
}

async fn oidc_authorize_submit(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(tenant): axum::extract::Path<String>,
    axum::extract::Form(params): axum::extract::Form<super::issuer::AuthorizeParams>,
) -> Response {
    match issuer_for(&shared, &tenant) {
        Some(issuer) => super::issuer::authorize_submit(issuer, params),
        None => no_such_tenant(),
    }
}

async fn oidc_token(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(tenant): axum::extract::Path<String>,
    headers: HeaderMap,
    axum::extract::Form(params): axum::extract::Form<super::issuer::TokenParams>,
) -> Response {
    if issuer_for(&shared, &tenant).is_none() {
        return no_such_tenant();
    }
    let shared = shared.clone();
    tokio::task::spawn_blocking(move || {
        super::issuer::token(&shared.issuer, &shared.base_url(), &headers, params)
    })
    .await
    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn oidc_logout(
    axum::extract::Query(params): axum::extract::Query<super::issuer::LogoutParams>,
) -> Response {
    super::issuer::logout(params)
}

/// `POST /_armsim/oidc/faults {"token": "expired" | …}`: spoils the next ID token.
async fn add_token_fault(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<TokenFaultBody>,
) -> Response {
    shared.issuer.set_fault(body.token);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Debug, serde::Deserialize)]
struct TokenFaultBody {
    token: super::issuer::TokenFault,
}

/// `POST /_armsim/oidc/rotate`: the issuer's key rollover; answers the new key's id.
async fn rotate_signing_key(State(shared): State<Arc<Shared>>) -> Response {
    let shared = shared.clone();
    match tokio::task::spawn_blocking(move || shared.issuer.rotate()).await {
        Ok(kid) => Json(serde_json::json!({ "kid": kid })).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Debug, serde::Deserialize)]
struct IdTokenBody {
    user: String,
    #[serde(default)]
    roles: Vec<String>,
    /// The application the token is for; default the dashboard's client id.
    #[serde(default)]
    audience: Option<String>,
}

/// `POST /_armsim/oidc/id-token {"user", "roles", "audience"?}`: `{"id_token"}`.
async fn issue_id_token(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<IdTokenBody>,
) -> Response {
    let shared = shared.clone();
    let minted = tokio::task::spawn_blocking(move || {
        let audience = body
            .audience
            .or_else(|| shared.issuer.client_id().map(str::to_owned))
            .unwrap_or_else(|| "aks-dashboard".to_owned());
        super::issuer::direct_id_token(
            &shared.issuer,
            &shared.base_url(),
            &body.user,
            body.roles,
            &audience,
        )
    })
    .await;
    match minted {
        Ok(Ok(token)) => Json(serde_json::json!({ "id_token": token })).into_response(),
        Ok(Err(e)) => (StatusCode::BAD_REQUEST, e).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
