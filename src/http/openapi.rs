//! The OpenAPI 3.1 description of `/api`, served at `GET /api/openapi.json`. The schemas are
//! derived from the types the server sends (`utoipa::ToSchema` beside `serde`), so they cannot
//! say something the code does not; the operations are listed here, one line each, with the
//! server function or route that answers them. The black-box tests validate every answer they
//! see against this document (tests/api/helpers/openapi.rs).

use axum::Json;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::SchemaType;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Schema, Type};

use crate::api_error::ApiError;
use crate::domain::classify::{Category, Classification, ErrorAction};
use crate::domain::history::{HistoryEntry, HistoryKind, HistoryPage, Outcome, TimelineStep};
use crate::domain::*;
use crate::identity::{Role, Scope, ScopeChoice, SessionInfo};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AKS provisioning dashboard",
        description = "Create AKS clusters, watch them come up, stop them, understand every \
                       failure. Every route needs a signed-in caller; errors are ApiError with \
                       the HTTP status."
    ),
    components(schemas(
        ApiError,
        Role,
        Scope,
        ScopeChoice,
        SessionInfo,
        Category,
        ErrorAction,
        Classification,
        ProvisionRequest,
        ProvisionAccepted,
        JobStatus,
        PoolProgress,
        Progress,
        FixKind,
        Fix,
        FixCost,
        PriceEstimate,
        PoolPrice,
        PartialCluster,
        TaskError,
        TaskStatus,
        TaskResult,
        CancelOutcome,
        FailedProvision,
        RecentFailures,
        CheckStatus,
        PreflightCheck,
        PreflightReport,
        SkuAvailability,
        AvailableSkus,
        ClusterSummary,
        ClusterList,
        DeletePartialOutcome,
        AppliedFix,
        FieldChange,
        HistoryKind,
        Outcome,
        HistoryEntry,
        HistoryPage,
        TimelineStep
    ))
)]
struct Schemas;

/// What an operation answers on success.
enum Answer {
    Schema(&'static str),
    ListOf(&'static str),
    Text,
    Nothing,
    EventStream,
}

struct Op {
    method: HttpMethod,
    path: &'static str,
    summary: &'static str,
    /// `(name, required, description)`: query parameters (strings or integers; see below).
    query: &'static [(&'static str, bool, &'static str)],
    /// A path parameter, `{name}` in the path.
    path_param: Option<&'static str>,
    body: Option<&'static str>,
    status: u16,
    answer: Answer,
}

const INTEGER_PARAMS: [&str; 5] = ["hours", "limit", "node_count", "system_node_count", "since"];

fn ops() -> Vec<Op> {
    use HttpMethod::{Get, Post};
    let op = |method,
              path,
              summary,
              query: &'static [(&'static str, bool, &'static str)],
              body,
              status,
              answer| Op {
        method,
        path,
        summary,
        query,
        path_param: None,
        body,
        status,
        answer,
    };
    let estimate: &'static [(&'static str, bool, &'static str)] = &[
        ("region", true, "Azure region, e.g. eastus"),
        ("node_sku", true, "VM size of the user pool"),
        ("node_count", true, "nodes of the user pool"),
        ("system_vm_size", true, "VM size of the system pool"),
        ("system_node_count", true, "nodes of the system pool"),
        ("tier", false, "free (default), standard or premium"),
    ];
    let mut list = vec![
        op(
            Post,
            "/api/aks/provision",
            "Create a cluster (202: queued); a create made from a one-click fix adds applied_fix (AppliedFix) to the body",
            &[],
            Some("ProvisionRequest"),
            202,
            Answer::Schema("ProvisionAccepted"),
        ),
        op(
            Post,
            "/api/aks/preflight",
            "Check a would-be create: VM sizes, quota, version, resource group, name, cost",
            &[],
            Some("ProvisionRequest"),
            200,
            Answer::Schema("PreflightReport"),
        ),
        op(
            Post,
            "/api/aks/form-opening",
            "What the create form opens on, in one request: {skus: AvailableSkus?, checks: [{request, answer: PreflightReport?, error: ApiError?}], prices: [{request, answer: PriceEstimate?, error: ApiError?}]} for the request given and, with count_defaults: true in the body, the node count that fits the quota",
            &[],
            Some("ProvisionRequest"),
            200,
            Answer::Nothing,
        ),
        op(
            Get,
            "/api/aks/available-skus",
            "The VM sizes and Kubernetes versions of a region",
            &[
                ("region", true, "Azure region"),
                ("subscription_id", false, "default: the caller's"),
            ],
            None,
            200,
            Answer::Schema("AvailableSkus"),
        ),
        op(
            Get,
            "/api/aks/price-estimate",
            "What a create would cost per month at pay-as-you-go Linux prices",
            estimate,
            None,
            200,
            Answer::Schema("PriceEstimate"),
        ),
        op(
            Get,
            "/api/aks/recent-failed-provisions",
            "The caller's recent failures, newest first",
            &[
                ("hours", false, "1-168, default 24"),
                ("limit", false, "1-20, default 10"),
            ],
            None,
            200,
            Answer::Schema("RecentFailures"),
        ),
        op(
            Post,
            "/api/aks/dismiss-failure",
            "Dismiss a failure on every device",
            &[],
            Some("JobIdBody"),
            200,
            Answer::Nothing,
        ),
        op(
            Post,
            "/api/aks/delete-partial-cluster",
            "Delete the cluster a failed or stopped create left",
            &[],
            Some("JobIdBody"),
            200,
            Answer::Schema("DeletePartialOutcome"),
        ),
        op(
            Post,
            "/api/aks/cancel",
            "Stop a create (the page's door; answers at once)",
            &[],
            Some("TaskIdBody"),
            200,
            Answer::Schema("CancelOutcome"),
        ),
        op(
            Get,
            "/api/aks/active-provisions",
            "The caller's creates in flight (an admin: everyone's)",
            &[],
            None,
            200,
            Answer::ListOf("TaskStatus"),
        ),
        op(
            Get,
            "/api/aks/task-status",
            "One task (the page's door)",
            &[("task_id", true, "the task's id")],
            None,
            200,
            Answer::Schema("TaskStatus"),
        ),
        op(
            Get,
            "/api/aks/clusters",
            "The clusters of a scope",
            &[(
                "scope",
                false,
                "subscription/resource-group; default: the caller's",
            )],
            None,
            200,
            Answer::Schema("ClusterList"),
        ),
        op(
            Get,
            "/api/aks/cluster-list-html",
            "The cluster list as the page renders it (HTML in a JSON string)",
            &[("scope", false, "subscription/resource-group")],
            None,
            200,
            Answer::Text,
        ),
        op(
            Get,
            "/api/session",
            "Who is signed in, with what role, and where",
            &[("scope", false, "subscription/resource-group")],
            None,
            200,
            Answer::Schema("SessionInfo"),
        ),
        op(
            Get,
            "/api/events",
            "Server-Sent Events of the caller: failure_recorded, failure_dismissed, task_progress, task_ended, clusters_changed, resync",
            &[(
                "since",
                false,
                "ms since the epoch (the server's clock) when the page read what it shows: a resync comes first if anything the caller hears happened since",
            )],
            None,
            200,
            Answer::EventStream,
        ),
        op(
            Get,
            "/api/history",
            "Who did what to which cluster, when: newest first, a page at a time (format=csv or \
             Accept: text/csv: every matching entry as CSV, streamed). Own entries; an admin's \
             are everyone's",
            &[
                ("cluster", false, "cluster name (any case)"),
                ("actor", false, "user id, or system"),
                (
                    "kind",
                    false,
                    "one or more kinds, comma-separated or repeated",
                ),
                (
                    "outcome",
                    false,
                    "ok, refused, failed, succeeded or cancelled",
                ),
                (
                    "scope",
                    false,
                    "subscription/resource-group, or subscription/*",
                ),
                (
                    "since",
                    false,
                    "from: RFC 3339, a date (UTC) or milliseconds",
                ),
                (
                    "until",
                    false,
                    "before: RFC 3339, a date (through that day, UTC) or milliseconds",
                ),
                ("q", false, "text in the cluster name or Azure's message"),
                ("cursor", false, "next_cursor of the previous page"),
                ("limit", false, "1-500, default 50"),
                ("format", false, "json (default) or csv"),
            ],
            None,
            200,
            Answer::Schema("HistoryPage"),
        ),
        op(
            Get,
            "/api/openapi.json",
            "This document",
            &[],
            None,
            200,
            Answer::Nothing,
        ),
    ];
    list.push(Op {
        path_param: Some("task_id"),
        ..op(
            Get,
            "/api/tasks/{task_id}",
            "One task: status, progress, error, result",
            &[],
            None,
            200,
            Answer::Schema("TaskStatus"),
        )
    });
    list.push(Op {
        path_param: Some("task_id"),
        ..op(
            Post,
            "/api/aks/cancel-provision/{task_id}",
            "Stop a create; answers at once (stopping: true), the end comes as task_ended",
            &[],
            None,
            200,
            Answer::Schema("CancelOutcome"),
        )
    });
    list
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn json_content(schema: RefOr<Schema>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

/// `{field: string}` bodies of the door-per-id routes.
fn id_body(field: &str) -> Schema {
    Schema::Object(
        utoipa::openapi::ObjectBuilder::new()
            .property(field, typed(Type::String))
            .required(field)
            .build(),
    )
}

/// A schema of one type (`AnyValue`: any JSON).
fn typed(ty: impl Into<SchemaType>) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(ty)
            .build(),
    ))
}

/// A parameter of an operation.
fn parameter(name: &str, place: ParameterIn, required: bool, ty: Type) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(place)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .schema(Some(typed(ty)))
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Schemas::openapi();
    if let Some(components) = doc.components.as_mut() {
        components
            .schemas
            .insert("JobIdBody".into(), RefOr::T(id_body("job_id")));
        components
            .schemas
            .insert("TaskIdBody".into(), RefOr::T(id_body("task_id")));
    }
    for op in ops() {
        let mut builder = OperationBuilder::new().summary(Some(op.summary));
        for (name, required, description) in op.query {
            let ty = if INTEGER_PARAMS.contains(name) {
                Type::Integer
            } else {
                Type::String
            };
            builder = builder.parameter(
                parameter(name, ParameterIn::Query, *required, ty).description(Some(*description)),
            );
        }
        if let Some(name) = op.path_param {
            builder = builder.parameter(parameter(name, ParameterIn::Path, true, Type::String));
        }
        if let Some(body) = op.body {
            builder = builder.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json_content(schema_ref(body)))
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        let success = match op.answer {
            Answer::Schema(name) => ResponseBuilder::new()
                .description("OK")
                .content("application/json", json_content(schema_ref(name))),
            Answer::ListOf(name) => ResponseBuilder::new().description("OK").content(
                "application/json",
                json_content(RefOr::T(Schema::Array(
                    utoipa::openapi::schema::Array::new(schema_ref(name)),
                ))),
            ),
            Answer::Text => ResponseBuilder::new()
                .description("OK")
                .content("application/json", json_content(typed(Type::String))),
            Answer::Nothing => ResponseBuilder::new().description("OK").content(
                "application/json",
                json_content(typed(SchemaType::AnyValue)),
            ),
            Answer::EventStream => ResponseBuilder::new()
                .description("text/event-stream")
                .content("text/event-stream", ContentBuilder::new().build()),
        };
        builder = builder
            .response(op.status.to_string(), success.build())
            .response(
                "default",
                ResponseBuilder::new()
                    .description("An error: its status, and `code` says which")
                    .content("application/json", json_content(schema_ref("ApiError")))
                    .build(),
            );
        let item = PathItem::new(op.method, builder.build());
        match doc.paths.paths.get_mut(op.path) {
            Some(existing) => existing.merge_operations(item),
            None => {
                doc.paths.paths.insert(op.path.to_owned(), item);
            }
        }
    }
    doc
}

/// `GET /api/openapi.json`: the document, built once.
pub async fn serve() -> impl IntoResponse {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(|| serde_json::to_value(document()).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_route_and_schema() {
        let doc = serde_json::to_value(document()).expect("JSON");
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{doc}"
        );
        for path in [
            "/api/aks/provision",
            "/api/aks/price-estimate",
            "/api/tasks/{task_id}",
            "/api/aks/cancel-provision/{task_id}",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        let task = &doc["components"]["schemas"]["TaskStatus"];
        assert_eq!(
            task["properties"]["status"]["$ref"],
            "#/components/schemas/JobStatus"
        );
        if std::env::var("PRINT_OPENAPI").is_ok() {
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
    }
}
