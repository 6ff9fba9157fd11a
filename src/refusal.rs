//! Why the API refuses a request: every code it answers with, with its HTTP status and the field
//! it names, written here once. An [`ApiError`](crate::api_error::ApiError) is built from a
//! reason (`From`, or `ApiError::refused` with the sentence for this case); the browser reads a
//! code back with [`Refusal::parse`]. Azure's own codes (`InvalidTemplate`, …) and the
//! categories of a failure are other vocabularies.

/// A reason the API refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Input that breaks a rule: the fields say which.
    InvalidRequest,
    /// No caller: sign in first.
    Unauthenticated,
    /// The caller's role may not do this (`needed_role` says which may).
    Forbidden,
    /// Signed in, with no role where `DEFAULT_ROLE=none`.
    NoRole,
    /// The subscription and resource group are outside `AZURE_SCOPES` for the caller.
    ScopeNotAllowed,
    NotFound,
    /// A create of a name Azure already shows: the dashboard never changes a cluster it did not
    /// create.
    ClusterExists,
    /// A create of this cluster is already in flight.
    ClusterBusy,
    /// Delete partial cluster, where the create left nothing.
    NoPartialCluster,
    /// Delete partial cluster, where a later create made the cluster again.
    ClusterRecreated,
    /// Delete partial cluster, where Azure's cluster lacks this create's tag.
    NotCreatedByThisJob,
    /// Delete partial cluster, where the cluster is not a leftover (e.g. it succeeded).
    ClusterNotPartial,
    PayloadTooLarge,
    /// The caller's creates in flight are at `MAX_IN_FLIGHT_PER_USER`.
    TooManyProvisions,
    /// The scope's creates in flight are at `MAX_IN_FLIGHT_PER_SCOPE`.
    TooManyProvisionsInScope,
    /// Over a per-user rate limit.
    RateLimited,
    TooManyStreams,
    TooManyExports,
    /// The job store is not answering; retry.
    StorageUnavailable,
    /// Anything unexpected: the details are in the log.
    Internal,
    /// Prices could not be read from the Retail Prices API; retry.
    PricesUnavailable,
    /// No API route at this path.
    MethodNotAllowed,
    UnsupportedMediaType,
    /// Dev sign-in asked for another host than loopback.
    MisdirectedRequest,
    /// The browser's own: the server could not be reached, or its answer read.
    Network,
    /// A create that ended because Azure could not be reached (a job's error code).
    ArmUnreachable,
    /// A create that ended because its runner failed unexpectedly (a job's error code).
    InternalError,
    /// An admin deciding their own request (allowed only with `APPROVAL_SELF=true`).
    SelfApproval,
    /// The request was approved, denied, withdrawn or expired before this decision.
    ApprovalNotPending,
    /// A create of this cluster already awaits an admin's approval.
    ApprovalPending,
    /// Approve re-ran pre-flight and a check failed (e.g. the quota changed): nothing queued.
    PreflightFailed,
}

impl Refusal {
    pub const ALL: [Refusal; 31] = [
        Refusal::InvalidRequest,
        Refusal::Unauthenticated,
        Refusal::Forbidden,
        Refusal::NoRole,
        Refusal::ScopeNotAllowed,
        Refusal::NotFound,
        Refusal::ClusterExists,
        Refusal::ClusterBusy,
        Refusal::NoPartialCluster,
        Refusal::ClusterRecreated,
        Refusal::NotCreatedByThisJob,
        Refusal::ClusterNotPartial,
        Refusal::PayloadTooLarge,
        Refusal::TooManyProvisions,
        Refusal::TooManyProvisionsInScope,
        Refusal::RateLimited,
        Refusal::TooManyStreams,
        Refusal::TooManyExports,
        Refusal::StorageUnavailable,
        Refusal::Internal,
        Refusal::PricesUnavailable,
        Refusal::MethodNotAllowed,
        Refusal::UnsupportedMediaType,
        Refusal::MisdirectedRequest,
        Refusal::Network,
        Refusal::ArmUnreachable,
        Refusal::InternalError,
        Refusal::SelfApproval,
        Refusal::ApprovalNotPending,
        Refusal::ApprovalPending,
        Refusal::PreflightFailed,
    ];

    /// The `code` of the answer.
    pub const fn code(self) -> &'static str {
        match self {
            Refusal::InvalidRequest => "invalid_request",
            Refusal::Unauthenticated => "unauthenticated",
            Refusal::Forbidden => "forbidden",
            Refusal::NoRole => "no_role",
            Refusal::ScopeNotAllowed => "scope_not_allowed",
            Refusal::NotFound => "not_found",
            Refusal::ClusterExists => "cluster_exists",
            Refusal::ClusterBusy => "cluster_busy",
            Refusal::NoPartialCluster => "no_partial_cluster",
            Refusal::ClusterRecreated => "cluster_recreated",
            Refusal::NotCreatedByThisJob => "not_created_by_this_job",
            Refusal::ClusterNotPartial => "cluster_not_partial",
            Refusal::PayloadTooLarge => "payload_too_large",
            Refusal::TooManyProvisions => "too_many_provisions",
            Refusal::TooManyProvisionsInScope => "too_many_provisions_in_scope",
            Refusal::RateLimited => "rate_limited",
            Refusal::TooManyStreams => "too_many_streams",
            Refusal::TooManyExports => "too_many_exports",
            Refusal::StorageUnavailable => "storage_unavailable",
            Refusal::Internal => "internal",
            Refusal::PricesUnavailable => "prices_unavailable",
            Refusal::MethodNotAllowed => "method_not_allowed",
            Refusal::UnsupportedMediaType => "unsupported_media_type",
            Refusal::MisdirectedRequest => "misdirected_request",
            Refusal::Network => "network",
            Refusal::ArmUnreachable => "arm_unreachable",
            Refusal::InternalError => "internal_error",
            Refusal::SelfApproval => "self_approval",
            Refusal::ApprovalNotPending => "already_decided",
            Refusal::ApprovalPending => "approval_pending",
            Refusal::PreflightFailed => "preflight_failed",
        }
    }

    /// The HTTP status of the answer.
    pub const fn status(self) -> u16 {
        match self {
            Refusal::InvalidRequest => 400,
            Refusal::Unauthenticated => 401,
            Refusal::Forbidden
            | Refusal::NoRole
            | Refusal::ScopeNotAllowed
            | Refusal::SelfApproval => 403,
            Refusal::NotFound => 404,
            Refusal::ClusterExists
            | Refusal::ClusterBusy
            | Refusal::NoPartialCluster
            | Refusal::ClusterRecreated
            | Refusal::NotCreatedByThisJob
            | Refusal::ClusterNotPartial
            | Refusal::ApprovalNotPending
            | Refusal::ApprovalPending
            | Refusal::PreflightFailed => 409,
            Refusal::PayloadTooLarge => 413,
            Refusal::TooManyProvisions
            | Refusal::TooManyProvisionsInScope
            | Refusal::RateLimited
            | Refusal::TooManyStreams
            | Refusal::TooManyExports => 429,
            Refusal::MethodNotAllowed => 405,
            Refusal::UnsupportedMediaType => 415,
            Refusal::MisdirectedRequest => 421,
            Refusal::StorageUnavailable | Refusal::PricesUnavailable => 503,
            Refusal::ArmUnreachable => 502,
            Refusal::Internal | Refusal::InternalError => 500,
            // Never sent by the server: the browser's own answer when it got none.
            Refusal::Network => 0,
        }
    }

    /// The request field the refusal is about, where it is one field's.
    pub const fn field(self) -> Option<&'static str> {
        match self {
            Refusal::ClusterExists | Refusal::ClusterBusy | Refusal::ApprovalPending => {
                Some("cluster_name")
            }
            _ => None,
        }
    }

    /// Whether asking again later may succeed (the answer says `retryable: true`).
    pub const fn retryable(self) -> bool {
        matches!(
            self,
            Refusal::TooManyProvisions
                | Refusal::TooManyProvisionsInScope
                | Refusal::RateLimited
                | Refusal::TooManyStreams
                | Refusal::TooManyExports
                | Refusal::StorageUnavailable
                | Refusal::PricesUnavailable
                | Refusal::Network
        )
    }

    /// The reason a `code` names.
    pub fn parse(code: &str) -> Option<Refusal> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// A sentence for the reason when the caller has none better (`From<Refusal>`).
    pub const fn sentence(self) -> &'static str {
        match self {
            Refusal::InvalidRequest => "The request is not valid.",
            Refusal::Unauthenticated => "Sign in first.",
            Refusal::Forbidden => "Your role may not do this.",
            Refusal::NoRole => "You have no role in this dashboard.",
            Refusal::ScopeNotAllowed => {
                "This subscription and resource group are not open to your role."
            }
            Refusal::NotFound => "Not found.",
            Refusal::ClusterExists => "A cluster of this name already exists.",
            Refusal::ClusterBusy => "A create of this cluster is already in progress.",
            Refusal::NoPartialCluster => "This provision left no cluster to delete.",
            Refusal::ClusterRecreated => "The cluster was created again by a later provision.",
            Refusal::NotCreatedByThisJob => "The cluster was not created by this provision.",
            Refusal::ClusterNotPartial => "The cluster is not a leftover of this provision.",
            Refusal::PayloadTooLarge => "The request body is too large.",
            Refusal::TooManyProvisions => "You have too many provisions in flight.",
            Refusal::TooManyProvisionsInScope => "This scope has too many provisions in flight.",
            Refusal::RateLimited => "Too many requests; try again shortly.",
            Refusal::TooManyStreams => "Too many live pages open; close one.",
            Refusal::TooManyExports => "Too many exports at once; wait for one to finish.",
            Refusal::StorageUnavailable => "The job store is not answering; try again.",
            Refusal::Internal | Refusal::InternalError => "Something went wrong on the server.",
            Refusal::PricesUnavailable => "Prices cannot be read right now; try again.",
            Refusal::MethodNotAllowed => "This route does not take this method.",
            Refusal::UnsupportedMediaType => "Send the request body as JSON.",
            Refusal::MisdirectedRequest => "This server does not answer for this host.",
            Refusal::Network => "The server could not be reached.",
            Refusal::ArmUnreachable => "Azure could not be reached.",
            Refusal::SelfApproval => "Another admin must decide your own request.",
            Refusal::ApprovalNotPending => "This request no longer awaits approval.",
            Refusal::ApprovalPending => "A create of this cluster already awaits approval.",
            Refusal::PreflightFailed => "Pre-flight fails now: nothing was created.",
        }
    }

    /// Whether an answer's `code` is this reason's.
    pub fn is(self, code: &str) -> bool {
        self.code() == code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_read_back_as_its_reason_and_none_is_shared() {
        for reason in Refusal::ALL {
            assert_eq!(Refusal::parse(reason.code()), Some(reason));
            if reason != Refusal::Network {
                assert!((400..600).contains(&reason.status()), "{reason:?}");
                assert_eq!(
                    reason.retryable(),
                    reason.status() == 429 || reason.status() == 503
                );
            }
        }
        let mut codes: Vec<_> = Refusal::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Refusal::ALL.len());
        assert_eq!(Refusal::parse("cluster_exist"), None);
    }

    #[test]
    fn an_answer_is_built_from_a_reason() {
        let err: crate::api_error::ApiError = Refusal::TooManyExports.into();
        assert!(err.is(Refusal::TooManyExports));
        assert_eq!((err.status, err.retryable), (429, Some(true)));
        assert_eq!(err.message, Refusal::TooManyExports.sentence());
    }
}
