//! The OpenAPI 3.1 description of `/api`, served at `GET /api/openapi.json`. The schemas are
//! derived from the types the server sends (`utoipa::ToSchema` beside `serde`), so they cannot
//! say something the code does not; the operations, their parameters and the bounds of each
//! (and of the create request's fields) are the route table's (`routes`) and validation's. The black-box tests validate every answer they
//! see against this document (tests/api/helpers/openapi.rs).

use axum::Json;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::SchemaType;
use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder, Schema, Type,
};

use super::routes::{self, Answer, ParamType};
use crate::api_error::ApiError;
use crate::domain::approval::{
    Approval, ApprovalAction, ApprovalEstimate, ApprovalList, ApprovalStatus,
};
use crate::domain::classify::{Category, Classification, ErrorAction};
use crate::domain::history::{HistoryEntry, HistoryKind, HistoryPage, Outcome, TimelineStep};
use crate::domain::validation::{
    CLUSTER_NAME_PATTERN, KNOWN_REGIONS, KNOWN_VM_SIZES, KUBERNETES_VERSION_PATTERN,
    NODE_COUNT_RANGE, SUBSCRIPTION_ID_PATTERN, SYSTEM_NODE_COUNT_RANGE, resource_group_pattern,
};
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
        TimelineStep,
        Approval,
        ApprovalEstimate,
        ApprovalList,
        ApprovalStatus,
        ApprovalAction
    ))
)]
struct Schemas;

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

/// An approver's note: at most `NOTE_MAX_CHARS` characters (a denial's is required).
fn note_schema() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(crate::domain::approval::NOTE_MAX_CHARS))
            .build(),
    ))
}

/// `{note?}`: the body of approve, deny (required there) and withdraw.
fn note_body() -> Schema {
    Schema::Object(ObjectBuilder::new().property("note", note_schema()).build())
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
fn parameter(
    name: &str,
    place: ParameterIn,
    required: bool,
    schema: RefOr<Schema>,
) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(place)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .schema(Some(schema))
}

/// A parameter's schema, with the bounds validation enforces.
fn param_schema(ty: &ParamType) -> RefOr<Schema> {
    let object = ObjectBuilder::new();
    let object = match ty {
        ParamType::Text => object.schema_type(Type::String),
        ParamType::Pattern(pattern) => object
            .schema_type(Type::String)
            .pattern(Some(pattern.clone())),
        ParamType::OneOf(words) => object
            .schema_type(Type::String)
            .enum_values(Some(words.iter().copied())),
        ParamType::Integer { min, max } => object
            .schema_type(Type::Integer)
            .minimum(min.map(|n| n as f64))
            .maximum(max.map(|n| n as f64)),
        ParamType::ShortText(max) => object
            .schema_type(Type::String)
            .max_length(Some(*max as usize)),
        ParamType::Moment => {
            let of = |format: KnownFormat| {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(format)))
                    .build()
            };
            let moment = utoipa::openapi::schema::OneOfBuilder::new()
                .item(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0.0)),
                )
                .item(of(KnownFormat::Date))
                .item(of(KnownFormat::DateTime))
                .build();
            return RefOr::T(Schema::OneOf(moment));
        }
    };
    RefOr::T(Schema::Object(object.build()))
}

/// The create request as a body the API checks: its fields bounded as
/// `validate_provision_request` reads them (the schema derived from the type says only their
/// types, and answers carry requests that need not pass, e.g. the prices' key). Pre-flight
/// takes an empty cluster name (then no `name` check).
fn bound_provision_request(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>) {
    let Some(RefOr::T(Schema::Object(request))) = schemas.get("ProvisionRequest").cloned() else {
        return;
    };
    let sizes: Vec<&str> = KNOWN_VM_SIZES.iter().map(|(name, _, _)| *name).collect();
    let bounds = [
        (
            "subscription_id",
            ParamType::Pattern(SUBSCRIPTION_ID_PATTERN.to_owned()),
        ),
        (
            "resource_group",
            ParamType::Pattern(resource_group_pattern("^", "$")),
        ),
        ("region", ParamType::OneOf(KNOWN_REGIONS.to_vec())),
        ("node_sku", ParamType::OneOf(sizes.clone())),
        ("system_vm_size", ParamType::OneOf(sizes)),
        ("node_count", ParamType::between(NODE_COUNT_RANGE)),
        (
            "system_node_count",
            ParamType::between(SYSTEM_NODE_COUNT_RANGE),
        ),
        (
            "kubernetes_version",
            ParamType::Pattern(KUBERNETES_VERSION_PATTERN.to_owned()),
        ),
    ];
    let mut body = request;
    for (field, ty) in bounds {
        if body.properties.contains_key(field) {
            body.properties.insert(field.to_owned(), param_schema(&ty));
        }
    }
    let named = |pattern: String| param_schema(&ParamType::Pattern(pattern));
    let mut preflight = body.clone();
    preflight.properties.insert(
        "cluster_name".to_owned(),
        named(format!("^$|{CLUSTER_NAME_PATTERN}")),
    );
    body.properties.insert(
        "cluster_name".to_owned(),
        named(CLUSTER_NAME_PATTERN.to_owned()),
    );
    schemas.insert(
        routes::CREATE_BODY.to_owned(),
        RefOr::T(Schema::Object(body)),
    );
    schemas.insert(
        routes::PREFLIGHT_BODY.to_owned(),
        RefOr::T(Schema::Object(preflight)),
    );
    // The form's opening takes any request (pre-flight's answers say what is wrong with it)
    // and whether to default the node count.
    if let Some(RefOr::T(Schema::Object(mut opening))) = schemas.get("ProvisionRequest").cloned() {
        opening
            .properties
            .insert("count_defaults".to_owned(), typed(Type::Boolean));
        opening.required.push("count_defaults".to_owned());
        schemas.insert(
            routes::FORM_OPENING_BODY.to_owned(),
            RefOr::T(Schema::Object(opening)),
        );
    }
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
        components
            .schemas
            .insert("ApprovalNoteBody".into(), RefOr::T(note_body()));
        let mut decide = ObjectBuilder::new()
            .property("approval_id", typed(Type::String))
            .required("approval_id")
            .property("action", schema_ref("ApprovalAction"))
            .required("action");
        decide = decide.property("note", note_schema());
        components.schemas.insert(
            "DecideApprovalBody".into(),
            RefOr::T(Schema::Object(decide.build())),
        );
        bound_provision_request(&mut components.schemas);
    }
    for op in routes::all() {
        let mut builder = OperationBuilder::new().summary(Some(op.summary));
        for p in &op.query {
            builder = builder.parameter(
                parameter(p.name, ParameterIn::Query, p.required, param_schema(&p.ty))
                    .description(Some(p.description)),
            );
        }
        if let Some(name) = op.path_param {
            builder = builder.parameter(parameter(
                name,
                ParameterIn::Path,
                true,
                typed(Type::String),
            ));
        }
        if let Some(body) = op.body {
            builder = builder.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json_content(schema_ref(body)))
                    .required(Some(if op.body_optional {
                        Required::False
                    } else {
                        Required::True
                    }))
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
        let method = if op.method == http::Method::POST {
            HttpMethod::Post
        } else {
            HttpMethod::Get
        };
        let item = PathItem::new(method, builder.build());
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
