//! Azure App Service authentication (`AUTH_MODE=easyauth`): App Service signs the user in and
//! hands every request on with who it is. `X-MS-CLIENT-PRINCIPAL-ID` is the object id (the owner
//! key), `X-MS-CLIENT-PRINCIPAL-NAME` the name, and `X-MS-CLIENT-PRINCIPAL` the token's claims
//! (base64 JSON), from which the app roles come. Trusted only in this mode: App Service strips
//! these headers from what browsers send, and the port must be reachable through it alone.
//!
//! A second line, for when the port may be reachable some other way: with its token store on,
//! App Service also forwards the signed ID token (`X-MS-TOKEN-AAD-ID-TOKEN`). When it is
//! present it is verified (issuer, audience, signature against the tenant's keys, expiry) and
//! the identity comes from it; when the deployment requires it ([`TokenCheck::required`], the
//! default off loopback), a request without it is nobody.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use serde::Deserialize;

use super::oidc::{OidcClient, SignedIn};

pub const PRINCIPAL_ID: &str = "x-ms-client-principal-id";
/// The ID token App Service's token store forwards (Entra ID as the provider).
pub const ID_TOKEN: &str = "x-ms-token-aad-id-token";
pub const PRINCIPAL_NAME: &str = "x-ms-client-principal-name";
pub const PRINCIPAL: &str = "x-ms-client-principal";

/// The role claim's type when the principal does not name one.
const ROLE_CLAIM: &str = "roles";
const LEGACY_ROLE_CLAIM: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

#[derive(Debug, Deserialize)]
struct Principal {
    #[serde(default)]
    claims: Vec<Claim>,
    #[serde(default)]
    role_typ: Option<String>,
    #[serde(default)]
    name_typ: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claim {
    typ: String,
    val: String,
}

/// How the forwarded ID token is checked: against the tenant's issuer, for this application.
#[derive(Clone)]
pub struct TokenCheck {
    pub client: OidcClient,
    /// A request without the token is nobody (else the principal headers alone are believed).
    pub required: bool,
}

/// Who App Service says this is: from the verified ID token when there is one (or one is
/// required), else from the principal headers. `Ok(None)`: nobody signed in; `Err`: the request
/// carries an identity that does not hold, and why.
pub async fn principal(
    headers: &HeaderMap,
    check: Option<&TokenCheck>,
) -> Result<Option<SignedIn>, String> {
    let from_headers = principal_from_headers(headers);
    let token = headers
        .get(ID_TOKEN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(check) = check else {
        return Ok(from_headers);
    };
    let Some(token) = token else {
        return if check.required && from_headers.is_some() {
            Err(
                "App Service forwarded no ID token (X-MS-TOKEN-AAD-ID-TOKEN): turn on its token \
                 store, or set EASYAUTH_TRUST_HEADERS"
                    .into(),
            )
        } else if check.required {
            Ok(None)
        } else {
            Ok(from_headers)
        };
    };
    let verified = check
        .client
        .verify_forwarded(token)
        .await
        .map_err(|e| format!("the forwarded ID token does not hold: {e}"))?;
    if let Some(said) = &from_headers
        && !said.id.eq_ignore_ascii_case(&verified.id)
    {
        return Err("the principal headers and the ID token name different users".into());
    }
    Ok(Some(SignedIn {
        // A name the headers give (the UPN App Service shows) wins over the token's.
        name: from_headers
            .map(|h| h.name)
            .filter(|n| *n != verified.id)
            .unwrap_or(verified.name.clone()),
        ..verified
    }))
}

/// The user the principal headers name, or `None` without a principal id.
pub fn principal_from_headers(headers: &HeaderMap) -> Option<SignedIn> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let id = text(PRINCIPAL_ID).filter(|id| id.len() <= 128)?.to_owned();
    let principal: Option<Principal> = text(PRINCIPAL)
        .and_then(|b64| STANDARD.decode(b64).ok())
        .and_then(|json| serde_json::from_slice(&json).ok());
    let claim_values = |typ: &str| -> Vec<&str> {
        principal
            .iter()
            .flat_map(|p| p.claims.iter())
            .filter(|c| c.typ == typ)
            .map(|c| c.val.as_str())
            .collect()
    };
    let role_typ = principal.as_ref().and_then(|p| p.role_typ.as_deref());
    let roles: Vec<&str> = match role_typ {
        Some(typ) => claim_values(typ),
        None => [claim_values(ROLE_CLAIM), claim_values(LEGACY_ROLE_CLAIM)].concat(),
    };
    let name_typ = principal
        .as_ref()
        .and_then(|p| p.name_typ.clone())
        .unwrap_or_else(|| "name".into());
    let name = text(PRINCIPAL_NAME)
        .map(str::to_owned)
        .or_else(|| claim_values(&name_typ).first().map(|n| (*n).to_owned()))
        .unwrap_or_else(|| id.clone());
    Some(SignedIn {
        id,
        name,
        roles: roles.into_iter().map(str::to_owned).collect(),
        signed_in_at: 0,
        id_token: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;

    /// The caller the headers alone give, with `default_role` for one without a role claim.
    fn caller(headers: &HeaderMap, default_role: Role) -> Option<crate::identity::Caller> {
        principal_from_headers(headers).map(|p| crate::identity::Caller {
            role: Role::from_claims(p.roles.iter().map(String::as_str)).unwrap_or(default_role),
            id: p.id,
            name: p.name,
        })
    }

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    fn principal(json: &str) -> String {
        STANDARD.encode(json)
    }

    #[test]
    fn the_roles_and_the_name_come_from_the_principals_claims() {
        let h = headers(&[
            (PRINCIPAL_ID, "0000-oid".into()),
            (
                PRINCIPAL,
                principal(
                    r#"{"auth_typ":"aad","claims":[{"typ":"roles","val":"Operator"},{"typ":"roles","val":"Admin"},{"typ":"name","val":"Ana Lopez"}],"name_typ":"name","role_typ":"roles"}"#,
                ),
            ),
        ]);
        let c = caller(&h, Role::Reader).expect("caller");
        assert_eq!(
            (c.id.as_str(), c.name.as_str(), c.role),
            ("0000-oid", "Ana Lopez", Role::Admin)
        );
    }

    #[test]
    fn without_a_role_claim_the_default_role_applies() {
        let h = headers(&[
            (PRINCIPAL_ID, "oid".into()),
            (PRINCIPAL_NAME, "ana@example.com".into()),
        ]);
        let c = caller(&h, Role::Reader).expect("caller");
        assert_eq!((c.name.as_str(), c.role), ("ana@example.com", Role::Reader));
        let legacy = headers(&[
            (PRINCIPAL_ID, "oid".into()),
            (
                PRINCIPAL,
                principal(&format!(
                    r#"{{"claims":[{{"typ":"{LEGACY_ROLE_CLAIM}","val":"operator"}}]}}"#
                )),
            ),
        ]);
        assert_eq!(
            caller(&legacy, Role::Reader).map(|c| c.role),
            Some(Role::Operator)
        );
        assert_eq!(caller(&HeaderMap::new(), Role::Reader), None);
        let garbage = headers(&[(PRINCIPAL_ID, "oid".into()), (PRINCIPAL, "%%%".into())]);
        assert_eq!(
            caller(&garbage, Role::Operator).map(|c| c.role),
            Some(Role::Operator)
        );
    }
}
