//! `classify_arm_error`: one pure function from an Azure Resource Manager error to what a person
//! needs — a category, a one-line headline, a details line, the actions that fix it and, where
//! one command fixes it, that command. The server stores its category with every failure; the
//! browser renders its headline and actions. `docs/error-classifier.md` lists the codes it knows
//! and where the real messages it is tested on come from (`tests/fixtures/azure`).
//!
//! - [`body`]: reading Azure's error bodies (the one parser, shared by server and browser);
//! - [`text`]: facts in message text; [`headlines`]: one builder per category.

mod body;
mod families;
mod headlines;
mod text;

use serde::{Deserialize, Serialize};

pub use body::{
    arm_error_object, codes_in_text, errors_in_text, parse_arm_error, read_arm_error,
    recorded_arm_error,
};
pub use text::clean_message;

pub use super::explain::{Category, Classification, ErrorAction};
use super::{FailedProvision, JobStatus, ProvisionRequest, SYSTEM_POOL, USER_POOL};

/// The portal of public Azure; sovereign clouds configure their own.
pub const PUBLIC_PORTAL: &str = "https://portal.azure.com";

/// An ARM error as recorded: HTTP status (when there was an answer), code, message, details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ArmErrorInfo {
    pub status: Option<u16>,
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub details: Vec<ArmErrorCause>,
}

/// One nested cause of an ARM error (a `details` entry, at any depth), as the classifier reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ArmErrorCause {
    pub code: String,
    pub message: String,
}

/// A node pool of the failed request: AKS names pools, not sizes, in some refusals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RequestedPool {
    pub name: String,
    pub vm_size: String,
}

/// Where the failure happened; used for action links and headlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClassifyContext {
    pub subscription_id: String,
    pub region: String,
    /// The pools the request asked for.
    #[serde(default)]
    pub pools: Vec<RequestedPool>,
    /// The Azure portal of the configured cloud (`https://portal.azure.com` when empty).
    #[serde(default)]
    pub portal: String,
}

impl ClassifyContext {
    /// The context of a provision request: its subscription, region and pools.
    pub fn for_request(req: &ProvisionRequest) -> Self {
        Self {
            subscription_id: req.subscription_id.clone(),
            region: req.region.clone(),
            pools: vec![
                RequestedPool {
                    name: SYSTEM_POOL.into(),
                    vm_size: req.system_vm_size.clone(),
                },
                RequestedPool {
                    name: USER_POOL.into(),
                    vm_size: req.node_sku.clone(),
                },
            ],
            portal: String::new(),
        }
    }

    /// With the portal of the configured cloud.
    pub fn with_portal(mut self, portal: impl Into<String>) -> Self {
        self.portal = portal.into();
        self
    }

    /// With the portal a link of the configured cloud points into (`https://portal.azure.cn/#@…`
    /// → `https://portal.azure.cn`); unchanged without a link.
    pub fn with_portal_of(self, link: Option<&str>) -> Self {
        match link.and_then(|l| l.split_once("/#")).map(|(base, _)| base) {
            Some(base) if base.starts_with("https://") => self.with_portal(base),
            _ => self,
        }
    }

    /// A link into the portal of the configured cloud; `path` starts with `#`.
    pub fn portal_link(&self, path: &str) -> String {
        let base = if self.portal.trim().is_empty() {
            PUBLIC_PORTAL
        } else {
            self.portal.trim_end_matches('/')
        };
        format!("{base}/{path}")
    }
}

const CANCEL_CODES: &[&str] = &[
    "Canceled",
    "Cancelled",
    "OperationCanceled",
    "OperationCancelled",
];
const POLICY_CODES: &[&str] = &["RequestDisallowedByPolicy"];
const PROVIDER_CODES: &[&str] = &[
    "MissingSubscriptionRegistration",
    "NoRegisteredProviderFound",
];
const CAPACITY_CODES: &[&str] = &["AKSCapacityError", "AksCapacityHeavyUsage"];
const ALLOCATION_CODES: &[&str] = &[
    "ZonalAllocationFailed",
    "AllocationFailed",
    "OverconstrainedAllocationRequest",
    "OverconstrainedZonalAllocationRequest",
];
const SKU_CODES: &[&str] = &[
    "SkuNotAvailable",
    "VMSizeNotSupported",
    "ErrCode_VMSizeNotAllowed",
];
const ZONE_CODES: &[&str] = &["AvailabilityZoneNotSupported"];
/// Quota codes that always mean quota; `OperationNotAllowed` only does when the text says so.
const QUOTA_CODES: &[&str] = &[
    "ErrCode_InsufficientVCPUQuota",
    "InsufficientVCPUQuota",
    "QuotaExceeded",
    "PublicIPCountLimitReached",
];
const CONFLICT_CODES: &[&str] = &[
    "AKSOperationPreempted",
    "AKSOperationPreemptedByDelete",
    "CanceledAndSupersededDueToAnotherOperation",
    "OperationPreempted",
];
const NETWORK_CODES: &[&str] = &[
    "SubnetIsFull",
    "InsufficientSubnetSize",
    "ServiceCidrOverlapExistingSubnetsCidr",
    "NetworkProfileCIDROverlapVNET",
    "PodCidrOverlapExistingSubnetsCidr",
    "DnsServiceIPOutOfServiceCidr",
    "InvalidResourceReference",
    "SubnetIsDelegated",
    "SubnetWithExternalResourcesCannotBeUsedByOtherResources",
    "VirtualNetworkNotInSucceededState",
    "InvalidLoadBalancerProfileAllocatedOutboundPorts",
    "CreateOrUpdateVirtualNetworkLinkFailed",
    "CustomRouteTableWithUnsupportedMSIType",
];
/// The node-setup failures AKS names by code (besides `VMExtension…` and `…VMExtensionError`).
/// (`CreateVMSSAgentPoolFailed` is one only with an exit status in its text: it also wraps
/// throttling and allocation failures.)
const NODE_BOOTSTRAP_CODES: &[&str] = &["NodesNotReady"];
/// The cluster's own identity: its service principal, its secret, its rights on resources it
/// must manage.
const CLUSTER_IDENTITY_CODES: &[&str] = &[
    "ServicePrincipalNotFound",
    "ServicePrincipalValidationClientError",
    "InvalidClientSecret",
    "CustomPrivateDNSZoneMissingPermissionError",
    "CustomRouteTableMissingPermission",
    "CustomKubeletIdentityMissingPermissionError",
];
const VERSION_CODES: &[&str] = &[
    "K8sVersionNotSupported",
    "AgentPoolK8sVersionNotSupported",
    "NodePoolMcVersionIncompatible",
    "ControlPlaneAddOnsNotReady_VersionNotSupported",
];
const SUBSCRIPTION_STATE_CODES: &[&str] = &[
    "ReadOnlyDisabledSubscription",
    "ReadOnlyWarnedSubscription",
    "SubscriptionDisabled",
    "DisabledSubscription",
    "SubscriptionWarned",
    "SubscriptionPastDue",
];
const REGION_CODES: &[&str] = &[
    "LocationNotAvailableForResourceType",
    "InvalidLocation",
    "LocationRequired",
    "RegionIsOfferRestricted",
];
/// The dashboard's own sign-in to Azure: ARM refused its token, or it could get none.
const AUTH_CODES: &[&str] = &[
    "AuthenticationFailed",
    "InvalidAuthenticationToken",
    "ExpiredAuthenticationToken",
    "InvalidAuthenticationTokenTenant",
    "InvalidAuthenticationTokenAudience",
    "CredentialUnavailable",
];
const THROTTLE_CODES: &[&str] = &[
    "TooManyRequests",
    "TooManyRequestsReceived",
    "SubscriptionRequestsThrottled",
    "AKSRequestsThrottled",
    "Throttled",
];
const NOT_FOUND_CODES: &[&str] = &["ResourceGroupNotFound", "SubscriptionNotFound"];
const INVALID_CODES: &[&str] = &[
    "InvalidParameter",
    "ReservedResourceName",
    "InvalidRequestContent",
    "InvalidApiVersionParameter",
    "PreconditionFailed",
];

/// Classifies an ARM error. The outer code, every nested detail code and the codes written into
/// message text are considered; the most specific match wins (Azure often wraps the real cause in
/// a generic `BadRequest` or `ResourceOperationFailure`).
pub fn classify_arm_error(err: &ArmErrorInfo, ctx: &ClassifyContext) -> Classification {
    let text = full_text(err);
    let lower = text.to_ascii_lowercase();
    let mut codes: Vec<String> = std::iter::once(err.code.clone())
        .chain(err.details.iter().map(|d| d.code.clone()))
        .filter(|c| !c.is_empty())
        .collect();
    for code in codes_in_text(&text) {
        if !codes.iter().any(|c| c.eq_ignore_ascii_case(&code)) {
            codes.push(code);
        }
    }
    let has = |list: &[&str]| {
        codes
            .iter()
            .any(|c| list.iter().any(|l| l.eq_ignore_ascii_case(c)))
    };
    let says_quota =
        lower.contains("quota") && (lower.contains("insufficient") || lower.contains("exceed"));

    // The dashboard's own credential: ARM refused its token (401), or it got none. Anything
    // else about a service principal or AADSTS is the cluster's identity.
    let dashboard_sign_in = err.status == Some(401) || has(AUTH_CODES);
    let node_setup = codes.iter().any(|c| {
        let lower = c.to_ascii_lowercase();
        lower.starts_with("vmextension")
            || lower.ends_with("vmextensionerror")
            || lower.starts_with("windows_cse_error")
    }) || has(NODE_BOOTSTRAP_CODES)
        || lower.contains("vmsscse")
        || lower.contains("exit status=");
    let cluster_identity = !dashboard_sign_in
        && (has(CLUSTER_IDENTITY_CODES)
            || lower.contains("serviceprincipalprofile")
            || lower.contains("service principal clientid")
            || lower.contains("customer auth is not valid")
            || lower.contains("aadsts"));

    if has(CANCEL_CODES) {
        return headlines::cancelled();
    }
    if has(SUBSCRIPTION_STATE_CODES) {
        return families::subscription_state(&text, ctx);
    }
    if has(&[crate::refusal::Refusal::ClusterExists.code()]) {
        return headlines::name_taken(&text);
    }
    if has(POLICY_CODES) {
        return headlines::policy(&text, ctx);
    }
    if has(PROVIDER_CODES) {
        if lower.contains("api version") && !lower.contains("not registered") {
            return headlines::unsupported_api_version(&text);
        }
        return headlines::provider_registration(&text, ctx);
    }
    if has(CAPACITY_CODES) || lower.contains("aks is experiencing heavy usage") {
        return headlines::capacity(&text, ctx);
    }
    if has(ALLOCATION_CODES) {
        return headlines::allocation(&codes, &text, ctx);
    }
    if has(ZONE_CODES) {
        return headlines::zone_not_supported(&text, ctx);
    }
    if has(SKU_CODES)
        || lower.contains("is not allowed in your subscription")
        || lower.contains("is not available in the current region")
    {
        return headlines::sku_blocked(&text, ctx);
    }
    if has(QUOTA_CODES) || says_quota {
        return headlines::quota(&text, ctx);
    }
    if has(VERSION_CODES)
        || lower.contains("long-term support (lts)")
        || (has(&["OperationNotAllowed"]) && lower.contains("kubernetes version"))
    {
        return families::kubernetes_version(&codes, &text, ctx);
    }
    if has(CONFLICT_CODES)
        || (has(&["OperationNotAllowed"])
            && (lower.contains("in progress") || lower.contains("deletion was issued")))
    {
        return headlines::operation_conflict(&codes, &text);
    }
    if cluster_identity {
        return families::cluster_identity(&codes, &text);
    }
    if has(NETWORK_CODES) {
        return families::network(&codes, &text);
    }
    if node_setup {
        return families::node_bootstrap(&codes, &text);
    }
    if has(REGION_CODES) {
        return headlines::region(&text, ctx);
    }
    if has(AUTH_CODES) || err.status == Some(401) || lower.contains("aadsts") {
        return headlines::auth(&text);
    }
    if has(&["LinkedAuthorizationFailed"]) {
        return headlines::linked_authorization_failed(&text);
    }
    if has(&["AuthorizationFailed"]) || err.status == Some(403) {
        return headlines::authorization_failed(&text);
    }
    if has(THROTTLE_CODES) || err.status == Some(429) {
        return headlines::throttled(&text);
    }
    if has(NOT_FOUND_CODES) {
        return headlines::not_found(&codes, &text, ctx);
    }
    if has(INVALID_CODES) {
        return headlines::invalid_request(err);
    }
    headlines::unknown(err)
}

/// The message and every detail message not already in it.
fn full_text(err: &ArmErrorInfo) -> String {
    let mut text = err.message.clone();
    for d in &err.details {
        if !d.message.is_empty() && !text.contains(&d.message) {
            text.push(' ');
            text.push_str(&d.message);
        }
    }
    text
}

/// What the classifier reads of a job that ended failed or cancelled: the same fields a
/// [`FailedProvision`] shows, borrowed from wherever they are (the runner as it ends the job,
/// the API's view of an older row, the browser's copy).
#[derive(Debug, Clone, Copy)]
pub struct Ended<'a> {
    pub request: Option<&'a ProvisionRequest>,
    pub subscription_id: &'a str,
    pub region: &'a str,
    pub portal_url: Option<&'a str>,
    pub status: JobStatus,
    pub category: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub raw_error: Option<&'a str>,
    pub partial_cluster: bool,
}

impl<'a> From<&'a FailedProvision> for Ended<'a> {
    fn from(failure: &'a FailedProvision) -> Self {
        Ended {
            request: failure.request.as_ref(),
            subscription_id: &failure.subscription_id,
            region: &failure.region,
            portal_url: failure.portal_url.as_deref(),
            status: failure.status,
            category: failure.category.as_deref(),
            error_code: failure.error_code.as_deref(),
            error_message: failure.error_message.as_deref(),
            raw_error: failure.raw_error.as_deref(),
            partial_cluster: failure.partial_cluster.is_some(),
        }
    }
}

/// A failed provision in the classifier's words. A cancel is always "cancelled", whatever code
/// the job recorded; otherwise the recorded code and message, with the nested details of
/// Azure's raw answer, are classified.
pub fn explain_failure(failure: &FailedProvision) -> Classification {
    explain_ended(&Ended::from(failure))
}

/// [`explain_failure`] of a job as it ends: the runner stores this with the job, so that no
/// view classifies it again.
pub fn explain_ended(failure: &Ended<'_>) -> Classification {
    let ctx = match failure.request {
        Some(request) => ClassifyContext::for_request(request),
        None => ClassifyContext {
            subscription_id: failure.subscription_id.to_owned(),
            region: failure.region.to_owned(),
            ..ClassifyContext::default()
        },
    }
    .with_portal_of(failure.portal_url);
    if failure.status == JobStatus::Cancelled || failure.category == Some("cancelled") {
        let cancelled = ArmErrorInfo {
            code: "Canceled".into(),
            ..ArmErrorInfo::default()
        };
        let mut c = classify_arm_error(&cancelled, &ctx);
        if failure.partial_cluster {
            c.details = "The create was stopped at your request after Azure had started the \
                         cluster, so part of it may remain in the resource group."
                .into();
        }
        return c;
    }
    let mut err = failure
        .raw_error
        .and_then(parse_arm_error)
        .unwrap_or_default();
    if let Some(code) = failure.error_code.filter(|c| !c.is_empty()) {
        err.code = code.to_owned();
    }
    if let Some(message) = failure.error_message.filter(|m| !m.is_empty()) {
        err.message = message.to_owned();
    }
    classify_arm_error(&err, &ctx)
}

#[cfg(test)]
mod tests;
