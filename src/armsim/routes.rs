//! The simulator's HTTP surface: ARM's paths (matched case-insensitively, as ARM does) with
//! its bearer-token and `api-version` rules, scripted faults applied on the way, and the test
//! controls under `/_armsim`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::time::Instant;

use super::Shared;
use super::answer::Answer;
use super::connection::ConnectionControl;
use super::faults::{ArmOperation, FaultSpec};
use super::rules::{self, ApiFamily};
use super::world::{Preconditions, World};

/// Request bodies the simulator reads (a managed cluster is a few KB).
const MAX_BODY: usize = 1024 * 1024;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/_armsim/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_armsim/state", get(state))
        .route("/api/retail/prices", get(super::prices::retail_prices))
        .merge(super::issuer_routes::routes())
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

    /// Which `api-version`s the route answers.
    fn api_family(&self) -> ApiFamily {
        match self {
            Self::ResourceGroup { .. } => ApiFamily::Resources,
            Self::ListClusters { .. }
            | Self::Cluster { .. }
            | Self::Abort { .. }
            | Self::KubernetesVersions { .. } => ApiFamily::ContainerService,
            Self::Operation { .. } => ApiFamily::ContainerServiceOperation,
            Self::Skus { .. } => ApiFamily::ComputeSkus,
            Self::Usages { .. } => ApiFamily::ComputeUsages,
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

/// One ARM request as the simulator sees it.
struct Call {
    method: Method,
    route: ArmRoute,
    query: Vec<(String, String)>,
    preconditions: Preconditions,
    body: Bytes,
    /// Operation URLs point back at the host the caller used.
    base: String,
    /// The path asked for (a list's `nextLink` repeats it).
    path: String,
}

impl Call {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn arm(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let connection = parts
        .extensions
        .get::<ConnectInfo<ConnectionControl>>()
        .map(|c| c.0.clone());
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(e) => {
            return Answer::error(400, "InvalidRequestContent", e.to_string()).into_response();
        }
    };
    let base = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_else(|| shared.base_url());
    let accepted = {
        let mut world = shared.lock();
        let now = Instant::now();
        world.advance(now);
        admit(&mut world, &parts.method, &parts.uri, &parts.headers, now)
    };
    let Admitted {
        route,
        query,
        fault,
    } = match accepted {
        Ok(admitted) => admitted,
        Err(answer) => return answer.into_response(),
    };
    let call = Call {
        method: parts.method,
        route,
        query,
        preconditions: preconditions(&parts.headers),
        body,
        base,
        path: parts.uri.path().to_owned(),
    };

    let Some(fault) = fault else {
        return perform(&shared, &call).into_response();
    };
    if let Some(delay) = fault.delay() {
        tokio::time::sleep(delay).await;
    }
    let performed = fault.performs_call().then(|| perform(&shared, &call));
    if fault.drop_connection {
        match connection {
            Some(connection) => connection.drop_connection(),
            None => tracing::warn!("armsim: cannot drop a connection on a mounted router"),
        }
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let answer = match fault.answer() {
        Some(scripted) => {
            if !fault.performs_call() {
                count_refusal(&shared, &call, &scripted);
            }
            scripted
        }
        None => performed.unwrap_or_else(|| Answer::empty(500)),
    };
    tracing::debug!(method = %call.method, status = answer.status, "armsim: scripted answer");
    answer.into_response()
}

/// A call ARM let through its door, with the fault that applies to it.
struct Admitted {
    route: ArmRoute,
    query: Vec<(String, String)>,
    fault: Option<FaultSpec>,
}

/// Authenticates, checks the path and `api-version`, counts the call and takes the fault that
/// applies to it, if any. `Err` is ARM's answer to a call it refuses at the door.
fn admit(
    world: &mut World,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    now: Instant,
) -> Result<Admitted, Answer> {
    if let Err(answer) = authenticate(world, headers) {
        world.counters.unauthorized_requests += 1;
        return Err(answer);
    }
    let query: Vec<(String, String)> = reqwest::Url::parse(&format!("http://armsim{uri}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let api_version = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
        .map(|(_, v)| v.as_str());
    let Some(route) = ArmRoute::parse(uri.path()) else {
        if api_version.is_none_or(|v| v.trim().is_empty()) {
            return Err(rules::missing_api_version());
        }
        return Err(Answer::error(
            404,
            "InvalidResourceType",
            format!("The resource type of '{}' could not be found.", uri.path()),
        ));
    };
    rules::check_api_version(route.api_family(), api_version, world.catalog.regions())?;
    if !route
        .subscription()
        .eq_ignore_ascii_case(&world.subscription_id)
    {
        return Err(Answer::error(
            404,
            "SubscriptionNotFound",
            format!(
                "The subscription '{}' could not be found.",
                route.subscription()
            ),
        ));
    }
    let (operation, cluster_name) = route.operation(method);
    let cluster_name = match (&route, cluster_name) {
        (ArmRoute::Operation { id, .. }, _) => world.operation_cluster(id).map(str::to_string),
        (_, name) => name.map(str::to_string),
    };
    *world
        .counters
        .requests
        .entry(operation.as_str().to_string())
        .or_default() += 1;
    if operation == ArmOperation::Abort {
        world.counters.abort_requests += 1;
    }
    let fault = world
        .faults
        .take_http(operation, cluster_name.as_deref(), now);
    if fault.is_some() {
        world.counters.faults_fired += 1;
        tracing::info!(
            operation = operation.as_str(),
            cluster = cluster_name,
            "armsim: scripted fault fired"
        );
    }
    Ok(Admitted {
        route,
        query,
        fault,
    })
}

/// A scripted answer that replaced the call counts like a refusal of it.
fn count_refusal(shared: &Shared, call: &Call, answer: &Answer) {
    let (operation, _) = call.route.operation(&call.method);
    let mut world = shared.lock();
    if operation == ArmOperation::Create && !answer.is_success() {
        world.counters.create_puts_refused += 1;
    }
    if operation == ArmOperation::Delete {
        world.counters.delete_requests += 1;
    }
}

/// What the simulated Azure does with a call.
fn perform(shared: &Shared, call: &Call) -> Answer {
    let mut world = shared.lock();
    let now = Instant::now();
    world.advance(now);
    let base = call.base.as_str();
    let not_allowed = || {
        Answer::error(
            405,
            "MethodNotAllowed",
            format!(
                "The requested method {} is not allowed on this resource.",
                call.method
            ),
        )
    };
    match (&call.route, call.method.clone()) {
        (ArmRoute::ResourceGroup { rg, .. }, Method::GET) => world.get_resource_group(rg),
        (ArmRoute::ResourceGroup { rg, .. }, Method::PUT) => {
            world.put_resource_group(rg, &call.body)
        }
        (ArmRoute::ListClusters { rg, .. }, Method::GET) => {
            // `nextLink`: this list again from where the page ended, on the caller's host.
            let api_version = call.param("api-version").unwrap_or_default().to_owned();
            let next = |token: &str| {
                let token: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
                format!(
                    "{base}{}?api-version={api_version}&$skipToken={token}",
                    call.path
                )
            };
            world.list_clusters(rg.as_deref(), call.param("$skipToken"), next)
        }
        (ArmRoute::Cluster { rg, name, .. }, Method::GET) => world.get_cluster(rg, name),
        (ArmRoute::Cluster { rg, name, .. }, Method::PUT) => {
            world.put_cluster(rg, name, &call.body, &call.preconditions, base, now)
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
            world.skus(call.param("$filter").and_then(filter_location).as_deref())
        }
        (ArmRoute::Usages { location, .. }, Method::GET) => world.usages(location),
        _ => not_allowed(),
    }
}

fn preconditions(headers: &HeaderMap) -> Preconditions {
    let value = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    Preconditions {
        if_match: value(header::IF_MATCH),
        if_none_match: value(header::IF_NONE_MATCH),
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

// ----- test controls -----

async fn add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let spec = match FaultSpec::from_json(&body) {
        Ok(spec) => spec,
        Err(message) => return Answer::error(400, "InvalidFault", message).into_response(),
    };
    let fault = shared.lock().add_fault(spec, Instant::now());
    tracing::info!(
        id = fault.id,
        operation = fault.spec.operation.as_str(),
        "armsim: fault added"
    );
    (StatusCode::CREATED, Json(fault)).into_response()
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.lock().faults.list(Instant::now())).into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.lock().faults.clear();
    StatusCode::NO_CONTENT
}

async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let mut world = shared.lock();
    let now = Instant::now();
    world.advance(now);
    Json(world.snapshot(now)).into_response()
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
