//! The API's one route table: every route of `/api` with what it takes (parameters and their
//! bounds, body), what it answers, the per-user limit it counts against and how its input is
//! checked before it runs. The OpenAPI document (`openapi`), the rate limits
//! (`http::rate_limit`) and the input gate (`http::input_errors`) read it; none keeps a list of
//! its own. A server function's path is its own `PATH`, so the table cannot name a route that
//! does not exist.
//!
//! The bounds are the ones validation reads (`domain::validation`, the recent failures' and the
//! history's ranges), never copies of them.

use http::Method;
use server_fn::ServerFn;

use super::approvals::{DecideApproval, ListApprovals};
use super::clusters::{ClusterListHtml, ListClusters};
use super::failures::{DeletePartialCluster, DismissFailedProvision, RecentFailedProvisions};
use super::history::LoadHistory;
use super::input::{InputCheck, json, provision_input, query};
use super::provision::{EstimateCost, FormOpening, GetAvailableSkus, Preflight, Provision};
use super::session::GetSession;
use super::tasks::{ActiveProvisions, CancelProvision, GetTaskStatus};
use crate::domain::ProvisionRequest;
use crate::domain::history::{HistoryKind, Outcome};
use crate::domain::validation::{
    KNOWN_REGIONS, KNOWN_VM_SIZES, NODE_COUNT_RANGE, SUBSCRIPTION_ID_PATTERN,
    SYSTEM_NODE_COUNT_RANGE, resource_group_pattern,
};
use crate::limits::Limited;
use crate::pricing::TIERS;
use crate::services::failures::{HOURS_RANGE, LIMIT_RANGE};
use crate::services::history::{MAX_LIMIT, TEXT_MAX_CHARS};
use crate::storage::history::Cursor;

/// The create's body: a `ProvisionRequest` bounded as validation reads it (see `openapi`).
pub const CREATE_BODY: &str = "ProvisionRequestBody";
/// Pre-flight's body: the same, where the cluster name may be empty.
pub const PREFLIGHT_BODY: &str = "PreflightRequestBody";
/// The form's opening: any request (its problems are answers) and `count_defaults`.
pub const FORM_OPENING_BODY: &str = "FormOpeningBody";

/// What a parameter may be, as validation enforces it.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    Text,
    /// Text matching a regular expression (ECMA 262, as JSON Schema reads it).
    Pattern(String),
    /// One of these words.
    OneOf(Vec<&'static str>),
    /// An integer within these bounds, where there are any.
    Integer {
        min: Option<u64>,
        max: Option<u64>,
    },
    /// Text of at most this many characters.
    ShortText(u64),
    /// A moment: milliseconds since 1970, a date (UTC) or an RFC 3339 time.
    Moment,
}

impl ParamType {
    pub fn between((lo, hi): (u32, u32)) -> Self {
        ParamType::Integer {
            min: Some(lo.into()),
            max: Some(hi.into()),
        }
    }
}

/// One query parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub description: &'static str,
    pub ty: ParamType,
}

fn param(name: &'static str, required: bool, description: &'static str, ty: ParamType) -> Param {
    Param {
        name,
        required,
        description,
        ty,
    }
}

/// What a route answers on success.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Schema(&'static str),
    ListOf(&'static str),
    Text,
    Nothing,
    EventStream,
}

/// One route of the API.
pub struct Route {
    pub method: Method,
    /// The path, with `{name}` for its path parameter.
    pub path: &'static str,
    pub summary: &'static str,
    pub query: Vec<Param>,
    /// The path parameter, `{name}` in the path.
    pub path_param: Option<&'static str>,
    /// The JSON body's schema.
    pub body: Option<&'static str>,
    /// Whether the body may be left out.
    pub body_optional: bool,
    pub status: u16,
    pub answer: Answer,
    /// The per-user limit it counts against before it runs.
    pub limit: Option<Limited>,
    /// How its input is read before it runs (server functions), naming a field it cannot read.
    pub input: Option<InputCheck>,
}

impl Route {
    fn new(method: Method, path: &'static str, summary: &'static str, answer: Answer) -> Self {
        Self {
            method,
            path,
            summary,
            query: Vec::new(),
            path_param: None,
            body: None,
            body_optional: false,
            status: 200,
            answer,
            limit: None,
            input: None,
        }
    }

    fn get(path: &'static str, summary: &'static str, answer: Answer) -> Self {
        Self::new(Method::GET, path, summary, answer)
    }

    fn post(path: &'static str, summary: &'static str, answer: Answer) -> Self {
        Self::new(Method::POST, path, summary, answer)
    }

    fn query(mut self, query: Vec<Param>) -> Self {
        self.query = query;
        self
    }

    fn body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self
    }

    /// A body that may be left out.
    fn optional_body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self.body_optional = true;
        self
    }

    fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    fn limit(mut self, limit: Limited) -> Self {
        self.limit = Some(limit);
        self
    }

    fn input(mut self, check: InputCheck) -> Self {
        self.input = Some(check);
        self
    }

    fn path_param(mut self, name: &'static str) -> Self {
        self.path_param = Some(name);
        self
    }

    /// Whether a request's method and path are this route's.
    pub fn matches(&self, method: &Method, path: &str) -> bool {
        if self.method != method {
            return false;
        }
        match self.path.split_once('{') {
            None => self.path == path,
            Some((prefix, param)) => {
                // `{name}` is one non-empty segment, between the prefix and what follows it.
                let Some((_, suffix)) = param.split_once('}') else {
                    return false;
                };
                path.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_suffix(suffix))
                    .is_some_and(|segment| !segment.is_empty() && !segment.contains('/'))
            }
        }
    }
}

fn regions() -> ParamType {
    ParamType::OneOf(KNOWN_REGIONS.to_vec())
}

fn vm_sizes() -> ParamType {
    ParamType::OneOf(KNOWN_VM_SIZES.iter().map(|(name, _, _)| *name).collect())
}

fn scope(description: &'static str) -> Param {
    param(
        "scope",
        false,
        description,
        // `Scope::read`: a subscription of letters, digits and '-', and a group by Azure's rule.
        ParamType::Pattern(resource_group_pattern("^$|^[0-9A-Za-z-]+/", "$")),
    )
}

/// A text filter of the history.
fn short_text() -> ParamType {
    ParamType::ShortText(TEXT_MAX_CHARS as u64)
}

/// The history's kinds, one or more, comma-separated.
fn kinds_pattern() -> String {
    let kind = HistoryKind::ALL.map(HistoryKind::as_str).join("|");
    format!("^$|^({kind})(,({kind}))*$")
}

/// Every route of the API.
pub fn all() -> Vec<Route> {
    use Answer::{EventStream, ListOf, Nothing, Schema, Text};
    vec![
        Route::post(
            Provision::PATH,
            "Create a cluster (202: queued); a create made from a one-click fix adds applied_fix (AppliedFix) to the body",
            Schema("ProvisionAccepted"),
        )
        .body(CREATE_BODY)
        .status(202)
        .limit(Limited::Write)
        // The request is flattened: serde loses the field's path through `flatten`, so the
        // gate reads the request itself.
        .input(provision_input),
        Route::post(
            Preflight::PATH,
            "Check a would-be create: VM sizes, quota, version, resource group, name, cost",
            Schema("PreflightReport"),
        )
        .body(PREFLIGHT_BODY)
        .limit(Limited::Preflight)
        .input(json::<ProvisionRequest>),
        Route::post(
            FormOpening::PATH,
            "What the create form opens on, in one request: {skus: AvailableSkus?, checks: [{request, answer: PreflightReport?, error: ApiError?}], prices: [{request, answer: PriceEstimate?, error: ApiError?}]} for the request given and, with count_defaults: true in the body, the node count that fits the quota",
            Nothing,
        )
        .body(FORM_OPENING_BODY)
        .limit(Limited::Preflight)
        .input(json::<FormOpening>),
        Route::get(
            GetAvailableSkus::PATH,
            "The VM sizes and Kubernetes versions of a region",
            Schema("AvailableSkus"),
        )
        .query(vec![
            param("region", true, "Azure region", regions()),
            param(
                "subscription_id",
                false,
                "default: the caller's",
                ParamType::Pattern(format!("^$|{SUBSCRIPTION_ID_PATTERN}")),
            ),
        ])
        .input(query::<GetAvailableSkus>),
        Route::get(
            EstimateCost::PATH,
            "What a create would cost per month at pay-as-you-go Linux prices",
            Schema("PriceEstimate"),
        )
        .query(vec![
            param("region", true, "Azure region, e.g. eastus", regions()),
            param("node_sku", true, "VM size of the user pool", vm_sizes()),
            param(
                "node_count",
                true,
                "nodes of the user pool",
                ParamType::between(NODE_COUNT_RANGE),
            ),
            param("system_vm_size", true, "VM size of the system pool", vm_sizes()),
            param(
                "system_node_count",
                true,
                "nodes of the system pool",
                ParamType::between(SYSTEM_NODE_COUNT_RANGE),
            ),
            param(
                "tier",
                false,
                "free (default), standard or premium",
                ParamType::OneOf(TIERS.to_vec()),
            ),
        ])
        .input(query::<EstimateCost>),
        Route::get(
            RecentFailedProvisions::PATH,
            "The caller's recent failures, newest first",
            Schema("RecentFailures"),
        )
        .query(vec![
            param(
                "hours",
                false,
                "1-168, default 24",
                ParamType::between(HOURS_RANGE),
            ),
            param(
                "limit",
                false,
                "1-20, default 10",
                ParamType::between(LIMIT_RANGE),
            ),
        ])
        .input(query::<RecentFailedProvisions>),
        Route::post(
            DismissFailedProvision::PATH,
            "Dismiss a failure on every device",
            Nothing,
        )
        .body("JobIdBody")
        .limit(Limited::Write)
        .input(json::<DismissFailedProvision>),
        Route::post(
            DeletePartialCluster::PATH,
            "Delete the cluster a failed or stopped create left",
            Schema("DeletePartialOutcome"),
        )
        .body("JobIdBody")
        .limit(Limited::Write)
        .input(json::<DeletePartialCluster>),
        Route::post(
            CancelProvision::PATH,
            "Stop a create (the page's door; answers at once)",
            Schema("CancelOutcome"),
        )
        .body("TaskIdBody")
        .limit(Limited::Write)
        .input(json::<CancelProvision>),
        Route::get(
            ActiveProvisions::PATH,
            "The caller's creates in flight (an admin: everyone's)",
            ListOf("TaskStatus"),
        )
        .input(query::<ActiveProvisions>),
        Route::get(
            GetTaskStatus::PATH,
            "One task (the page's door)",
            Schema("TaskStatus"),
        )
        .query(vec![param(
            "task_id",
            true,
            "the task's id",
            ParamType::Text,
        )])
        .input(query::<GetTaskStatus>),
        Route::get(
            ListClusters::PATH,
            "The clusters of a scope",
            Schema("ClusterList"),
        )
        .query(vec![scope(
            "subscription/resource-group; default: the caller's",
        )])
        .input(query::<ListClusters>),
        Route::get(
            ClusterListHtml::PATH,
            "The cluster list as the page renders it (HTML in a JSON string)",
            Text,
        )
        .query(vec![scope("subscription/resource-group")])
        .input(query::<ClusterListHtml>),
        Route::get(
            GetSession::PATH,
            "Who is signed in, with what role, and where",
            Schema("SessionInfo"),
        )
        .query(vec![param(
            "scope",
            false,
            "subscription/resource-group",
            ParamType::Text,
        )])
        .input(query::<GetSession>),
        Route::get(
            LoadHistory::PATH,
            "One page of the history as the History page shows it (the same filters as /api/history, as text)",
            Nothing,
        )
        .input(query::<LoadHistory>),
        Route::get(
            "/api/events",
            "Server-Sent Events of the caller: failure_recorded, failure_dismissed, task_progress, task_ended, clusters_changed, approvals_changed, resync",
            EventStream,
        )
        .query(vec![param(
            "since",
            false,
            "ms since the epoch (the server's clock) when the page read what it shows: a resync comes first if anything the caller hears happened since",
            ParamType::Integer {
                min: Some(0),
                max: None,
            },
        )]),
        Route::get(
            "/api/history",
            "Who did what to which cluster, when: newest first, a page at a time (format=csv or \
             Accept: text/csv: every matching entry as CSV, streamed). Own entries; an admin's \
             are everyone's",
            Schema("HistoryPage"),
        )
        .query(vec![
            param("cluster", false, "cluster name (any case)", short_text()),
            param("actor", false, "user id, or system", short_text()),
            param(
                "kind",
                false,
                "one or more kinds, comma-separated or repeated",
                ParamType::Pattern(kinds_pattern()),
            ),
            param(
                "outcome",
                false,
                "ok, refused, failed, succeeded or cancelled",
                ParamType::OneOf(Outcome::ALL.iter().map(|o| o.as_str()).collect()),
            ),
            param(
                "scope",
                false,
                "subscription/resource-group, or subscription/*",
                ParamType::Pattern(resource_group_pattern("^$|^[0-9A-Za-z-]+/(\\*|", ")$")),
            ),
            param(
                "since",
                false,
                "from: RFC 3339, a date (UTC) or milliseconds",
                ParamType::Moment,
            ),
            param(
                "until",
                false,
                "before: RFC 3339, a date (through that day, UTC) or milliseconds; later than \
                 since",
                ParamType::Moment,
            ),
            param(
                "q",
                false,
                "text in the cluster name or Azure's message",
                short_text(),
            ),
            param(
                "cursor",
                false,
                "next_cursor of the previous page",
                ParamType::Pattern(format!("^$|{}", Cursor::PATTERN)),
            ),
            param(
                "limit",
                false,
                "1-500, default 50",
                ParamType::Integer {
                    min: Some(1),
                    max: Some(MAX_LIMIT.into()),
                },
            ),
            param(
                "format",
                false,
                "json (default) or csv",
                ParamType::OneOf(vec!["json", "csv"]),
            ),
        ]),
        Route::get("/api/openapi.json", "This document", Nothing),
        Route::get(
            "/api/tasks/{task_id}",
            "One task: status, progress, error, result",
            Schema("TaskStatus"),
        )
        .path_param("task_id"),
        Route::post(
            "/api/aks/cancel-provision/{task_id}",
            "Stop a create; answers at once (stopping: true), the end comes as task_ended",
            Schema("CancelOutcome"),
        )
        .path_param("task_id")
        .limit(Limited::Write),
        Route::get(
            ListApprovals::PATH,
            "Creates awaiting an admin's approval: queue (an admin's: every pending one in their scopes) and mine (the caller's own of the last week)",
            Schema("ApprovalList"),
        )
        .input(query::<ListApprovals>),
        Route::post(
            DecideApproval::PATH,
            "Approve, deny (a note is required) or withdraw a request (the page's door)",
            Schema("Approval"),
        )
        .body("DecideApprovalBody")
        .limit(Limited::Write)
        .input(json::<DecideApproval>),
        Route::post(
            "/api/approvals/{approval_id}/approve",
            "Approve (admins, not the requester unless APPROVAL_SELF): pre-flight runs again and the create is queued, owned by the requester; body {note} optional",
            Schema("Approval"),
        )
        .path_param("approval_id")
        .optional_body("ApprovalNoteBody")
        .limit(Limited::Write),
        Route::post(
            "/api/approvals/{approval_id}/deny",
            "Deny (admins): body {note}, required; the requester sees it",
            Schema("Approval"),
        )
        .path_param("approval_id")
        .body("ApprovalNoteBody")
        .limit(Limited::Write),
        Route::post(
            "/api/approvals/{approval_id}/withdraw",
            "Withdraw one's own pending request",
            Schema("Approval"),
        )
        .path_param("approval_id")
        .optional_body("ApprovalNoteBody")
        .limit(Limited::Write),
    ]
}

/// The table, built once.
fn table() -> &'static [Route] {
    static TABLE: std::sync::OnceLock<Vec<Route>> = std::sync::OnceLock::new();
    TABLE.get_or_init(all)
}

/// The route a request is for, if it is one of the API's.
pub fn route(method: &Method, path: &str) -> Option<&'static Route> {
    table().iter().find(|r| r.matches(method, path))
}

/// The per-user limit a request counts against, if any.
pub fn limited(method: &Method, path: &str) -> Option<Limited> {
    route(method, path).and_then(|r| r.limit)
}

/// How a request's input is checked before its handler runs, if it is.
pub fn input_check(method: &Method, path: &str) -> Option<InputCheck> {
    route(method, path).and_then(|r| r.input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_preflight_are_limited_and_reads_are_not() {
        assert_eq!(
            limited(&Method::POST, Provision::PATH),
            Some(Limited::Write)
        );
        assert_eq!(
            limited(&Method::POST, "/api/aks/cancel-provision/abc"),
            Some(Limited::Write)
        );
        assert_eq!(
            limited(&Method::POST, Preflight::PATH),
            Some(Limited::Preflight)
        );
        assert_eq!(
            limited(&Method::POST, FormOpening::PATH),
            Some(Limited::Preflight)
        );
        assert_eq!(limited(&Method::GET, "/api/tasks/abc"), None);
        assert_eq!(limited(&Method::GET, Provision::PATH), None);
        assert_eq!(
            limited(&Method::POST, "/api/aks/cancel-provision/a/b"),
            None
        );
        assert_eq!(
            limited(&Method::POST, "/api/approvals/abc/approve"),
            Some(Limited::Write)
        );
        assert_eq!(limited(&Method::POST, "/api/approvals//approve"), None);
        assert_eq!(limited(&Method::POST, "/api/approvals/a/b/approve"), None);
    }

    #[test]
    fn every_server_function_has_its_input_checked() {
        let unchecked: Vec<_> = table()
            .iter()
            .filter(|r| r.input.is_none())
            .map(|r| r.path)
            .collect();
        assert_eq!(
            unchecked,
            [
                "/api/events",
                "/api/history",
                "/api/openapi.json",
                "/api/tasks/{task_id}",
                "/api/aks/cancel-provision/{task_id}",
                "/api/approvals/{approval_id}/approve",
                "/api/approvals/{approval_id}/deny",
                "/api/approvals/{approval_id}/withdraw"
            ],
            "only the axum routes read their own input"
        );
        let mut paths: Vec<_> = table()
            .iter()
            .map(|r| (r.method.as_str(), r.path))
            .collect();
        let count = paths.len();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), count, "a route is listed twice");
    }
}
