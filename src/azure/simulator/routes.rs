//! The simulator's HTTP surface: ARM's paths (matched case-insensitively, as ARM does) with
//! its bearer-token and `api-version` rules, plus the test controls under `/_armsim`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::time::Instant;

use super::Shared;
use super::faults::{ArmOperation, FaultSpec};
use super::world::{Answer, World};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/_armsim/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_armsim/state", get(state))
        .fallback(arm)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(shared)
}

/// An ARM path the simulator knows. Names keep the caller's casing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmRoute {
    ResourceGroup {
        subscription: String,
        rg: String,
    },
    ListClusters {
        subscription: String,
        rg: Option<String>,
    },
    Cluster {
        subscription: String,
        rg: String,
        name: String,
    },
    Abort {
        subscription: String,
        rg: String,
        name: String,
    },
    Operation {
        subscription: String,
        id: String,
        as_location: bool,
    },
    KubernetesVersions {
        subscription: String,
        location: String,
    },
    Skus {
        subscription: String,
    },
    Usages {
        subscription: String,
        location: String,
    },
}

impl ArmRoute {
    pub fn parse(path: &str) -> Option<Self> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let lower: Vec<String> = parts.iter().map(|p| p.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();
        let s = |i: usize| parts[i].to_string();
        let route = match l.as_slice() {
            ["subscriptions", _, "resourcegroups", _] => Self::ResourceGroup {
                subscription: s(1),
                rg: s(3),
            },
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.containerservice",
                "managedclusters",
            ] => Self::ListClusters {
                subscription: s(1),
                rg: Some(s(3)),
            },
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.containerservice",
                "managedclusters",
                _,
            ] => Self::Cluster {
                subscription: s(1),
                rg: s(3),
                name: s(7),
            },
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.containerservice",
                "managedclusters",
                _,
                "abort",
            ] => Self::Abort {
                subscription: s(1),
                rg: s(3),
                name: s(7),
            },
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.containerservice",
                "managedclusters",
            ] => Self::ListClusters {
                subscription: s(1),
                rg: None,
            },
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.containerservice",
                "locations",
                _,
                kind @ ("operations" | "operationresults"),
                _,
            ] => Self::Operation {
                subscription: s(1),
                id: s(7),
                as_location: *kind == "operationresults",
            },
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.containerservice",
                "locations",
                _,
                "kubernetesversions",
            ] => Self::KubernetesVersions {
                subscription: s(1),
                location: s(5),
            },
            ["subscriptions", _, "providers", "microsoft.compute", "skus"] => {
                Self::Skus { subscription: s(1) }
            }
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.compute",
                "locations",
                _,
                "usages",
            ] => Self::Usages {
                subscription: s(1),
                location: s(5),
            },
            _ => return None,
        };
        if parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(route)
    }

    fn subscription(&self) -> &str {
        match self {
            Self::ResourceGroup { subscription, .. }
            | Self::ListClusters { subscription, .. }
            | Self::Cluster { subscription, .. }
            | Self::Abort { subscription, .. }
            | Self::Operation { subscription, .. }
            | Self::KubernetesVersions { subscription, .. }
            | Self::Skus { subscription }
            | Self::Usages { subscription, .. } => subscription,
        }
    }

    /// The kind of call (for faults and counters) and the cluster it is about.
    fn operation(&self, method: &Method) -> (ArmOperation, Option<&str>) {
        match self {
            Self::ResourceGroup { .. } => (ArmOperation::ResourceGroup, None),
            Self::ListClusters { .. } => (ArmOperation::List, None),
            Self::Cluster { name, .. } if *method == Method::PUT => {
                (ArmOperation::Create, Some(name))
            }
            Self::Cluster { name, .. } if *method == Method::DELETE => {
                (ArmOperation::Delete, Some(name))
            }
            Self::Cluster { name, .. } => (ArmOperation::Get, Some(name)),
            Self::Abort { name, .. } => (ArmOperation::Abort, Some(name)),
            Self::Operation { .. } => (ArmOperation::OperationStatus, None),
            Self::KubernetesVersions { .. } => (ArmOperation::KubernetesVersions, None),
            Self::Skus { .. } => (ArmOperation::Skus, None),
            Self::Usages { .. } => (ArmOperation::Usages, None),
        }
    }
}

/// The `location eq '…'` clause of a `$filter`.
pub fn filter_location(filter: &str) -> Option<String> {
    let lower = filter.to_ascii_lowercase();
    let start = lower.find("location eq '")? + "location eq '".len();
    let rest = &filter[start..];
    let end = rest.find('\'')?;
    Some(rest[..end].to_string())
}

async fn arm(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Operation URLs point back at the host the caller used.
    let base = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_else(|| shared.base_url());
    let answer = {
        let mut world = shared.lock();
        world.advance(Instant::now());
        handle(&mut world, &method, &uri, &headers, &body, &base)
    };
    tracing::debug!(%method, path = uri.path(), status = answer.status, "armsim");
    render(answer)
}

fn handle(
    world: &mut World,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    base: &str,
) -> Answer {
    if let Err(answer) = authenticate(world, headers) {
        world.counters.unauthorized_requests += 1;
        return answer;
    }
    let query: Vec<(String, String)> = reqwest::Url::parse(&format!("http://armsim{uri}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if param("api-version").is_none_or(|v| v.trim().is_empty()) {
        return Answer::error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    }
    let Some(route) = ArmRoute::parse(uri.path()) else {
        return Answer::error(
            404,
            "InvalidResourceType",
            format!("The resource type of '{}' could not be found.", uri.path()),
        );
    };
    if !route
        .subscription()
        .eq_ignore_ascii_case(&world.subscription_id)
    {
        return Answer::error(
            404,
            "SubscriptionNotFound",
            format!(
                "The subscription '{}' could not be found.",
                route.subscription()
            ),
        );
    }

    let (operation, cluster_name) = route.operation(method);
    let operation_name = serde_json::to_value(operation)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    *world
        .counters
        .requests
        .entry(operation_name.clone())
        .or_default() += 1;
    if operation == ArmOperation::Abort {
        world.counters.abort_requests += 1;
    }
    if let Some(fault) = world.faults.take_http(operation, cluster_name) {
        world.counters.faults_fired += 1;
        if operation == ArmOperation::Create {
            world.counters.create_puts_refused += 1;
        }
        if operation == ArmOperation::Delete {
            world.counters.delete_requests += 1;
        }
        tracing::info!(operation = %operation_name, cluster = cluster_name, "armsim: scripted fault fired");
        let mut answer = Answer::arm_error(fault.status.unwrap_or(500), fault.error());
        if let Some(seconds) = fault.retry_after_seconds {
            answer = answer.with_header("retry-after", seconds.to_string());
        }
        return answer;
    }

    let now = Instant::now();
    let not_allowed = || {
        Answer::error(
            405,
            "MethodNotAllowed",
            format!("The requested method {method} is not allowed on this resource."),
        )
    };
    match (&route, method.clone()) {
        (ArmRoute::ResourceGroup { rg, .. }, Method::GET) => world.get_resource_group(rg),
        (ArmRoute::ResourceGroup { rg, .. }, Method::PUT) => world.put_resource_group(rg, body),
        (ArmRoute::ListClusters { rg, .. }, Method::GET) => world.list_clusters(rg.as_deref()),
        (ArmRoute::Cluster { rg, name, .. }, Method::GET) => world.get_cluster(rg, name),
        (ArmRoute::Cluster { rg, name, .. }, Method::PUT) => {
            world.put_cluster(rg, name, body, base, now)
        }
        (ArmRoute::Cluster { rg, name, .. }, Method::DELETE) => {
            world.delete_cluster(rg, name, base, now)
        }
        (ArmRoute::Abort { rg, name, .. }, Method::POST) => world.abort(rg, name, base, now),
        (
            ArmRoute::Operation {
                id, as_location, ..
            },
            Method::GET,
        ) => world.operation_status(id, *as_location, base, now),
        (ArmRoute::KubernetesVersions { location, .. }, Method::GET) => {
            world.kubernetes_versions(location)
        }
        (ArmRoute::Skus { .. }, Method::GET) => {
            world.skus(param("$filter").and_then(filter_location).as_deref())
        }
        (ArmRoute::Usages { location, .. }, Method::GET) => world.usages(location),
        _ => not_allowed(),
    }
}

/// ARM wants `Authorization: Bearer <token>`; the simulator accepts any token.
fn authenticate(world: &World, headers: &HeaderMap) -> Result<(), Answer> {
    let challenge = format!(
        "Bearer authorization_uri=\"https://login.microsoftonline.com/{}\", error=\"invalid_token\"",
        world.tenant_id
    );
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Answer::error(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
        .with_header("www-authenticate", challenge));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or_default();
    if token.is_empty() {
        return Err(Answer::error(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid: the 'Authorization' header must be 'Bearer <token>'.",
        )
        .with_header("www-authenticate", challenge));
    }
    Ok(())
}

fn render(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match answer.body {
        Some(body) => (status, Json(body)).into_response(),
        None => status.into_response(),
    };
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-ms-request-id", id);
    }
    response
}

// ----- test controls -----

async fn add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let spec: FaultSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(e) => return render(Answer::error(400, "InvalidFault", e.to_string())),
    };
    if let Err(message) = spec.validate() {
        return render(Answer::error(400, "InvalidFault", message));
    }
    let fault = shared.lock().add_fault(spec);
    tracing::info!(id = fault.id, operation = ?fault.spec.operation, "armsim: fault added");
    (StatusCode::CREATED, Json(fault)).into_response()
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.lock().faults.list()).into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.lock().faults.clear();
    StatusCode::NO_CONTENT
}

async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let mut world = shared.lock();
    world.advance(Instant::now());
    Json(world.snapshot()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_paths_match_case_insensitively_and_keep_names() {
        assert_eq!(
            ArmRoute::parse(
                "/subscriptions/S/resourcegroups/RG-1/providers/Microsoft.ContainerService/managedClusters/Aks1"
            ),
            Some(ArmRoute::Cluster {
                subscription: "S".into(),
                rg: "RG-1".into(),
                name: "Aks1".into()
            })
        );
        assert_eq!(
            ArmRoute::parse(
                "/subscriptions/s/resourceGroups/rg/providers/microsoft.containerservice/managedclusters/a/abort"
            ),
            Some(ArmRoute::Abort {
                subscription: "s".into(),
                rg: "rg".into(),
                name: "a".into()
            })
        );
        assert_eq!(
            ArmRoute::parse(
                "/subscriptions/s/providers/Microsoft.ContainerService/locations/eastus/operationresults/42"
            ),
            Some(ArmRoute::Operation {
                subscription: "s".into(),
                id: "42".into(),
                as_location: true
            })
        );
        assert_eq!(
            ArmRoute::parse("/subscriptions/s/providers/Microsoft.Storage/accounts"),
            None
        );
        assert_eq!(ArmRoute::parse("/subscriptions//resourcegroups/rg"), None);
    }

    #[test]
    fn the_location_of_a_sku_filter() {
        assert_eq!(
            filter_location("location eq 'koreacentral'"),
            Some("koreacentral".into())
        );
        assert_eq!(
            filter_location("Location eq 'East US' and x eq 'y'"),
            Some("East US".into())
        );
        assert_eq!(filter_location("name eq 'x'"), None);
    }
}
