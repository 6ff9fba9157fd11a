//! `classify_arm_error`: one pure function from an Azure Resource Manager error to what a person
//! needs — a category, a one-line headline, a details line and the actions that fix it. The
//! server stores its category with every failure; the browser renders its headline and actions.

use serde::{Deserialize, Serialize};

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

/// Where the error object sits in one of Azure's error bodies: ARM wraps it
/// (`{"error": {"code", "message", …}}`, also the `error` of a failed operation's status), the
/// AKS resource provider answers it bare (`{"code", "details": null, "message", …}`). `None` when
/// the body is neither (an HTML page from a gateway, say). The one place that knows the shapes.
pub fn arm_error_object(body: &serde_json::Value) -> Option<&serde_json::Value> {
    let object = body.as_object()?;
    if let Some(inner) = object.get("error").filter(|e| e.is_object()) {
        return Some(inner);
    }
    object
        .get("code")
        .and_then(serde_json::Value::as_str)
        .filter(|code| !code.is_empty())
        .map(|_| body)
}

/// Reads one of Azure's error bodies: code, message, and the nested `details` flattened to any
/// depth (the real cause is often several levels down). `null` anywhere reads as missing.
pub fn parse_arm_error(raw: &str) -> Option<ArmErrorInfo> {
    let body: serde_json::Value = serde_json::from_str(raw).ok()?;
    let error = arm_error_object(&body)?;
    let mut details = Vec::new();
    flatten_details(error, &mut details);
    Some(ArmErrorInfo {
        status: None,
        code: text_field(error, "code"),
        message: text_field(error, "message"),
        details,
    })
}

fn text_field(value: &serde_json::Value, key: &str) -> String {
    value
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The `details` of `error`, depth first; a detail without code or message is skipped but its
/// own details are not.
fn flatten_details(error: &serde_json::Value, out: &mut Vec<ArmErrorCause>) {
    let Some(details) = error.get("details").and_then(serde_json::Value::as_array) else {
        return;
    };
    for detail in details {
        let cause = ArmErrorCause {
            code: text_field(detail, "code"),
            message: text_field(detail, "message"),
        };
        if !(cause.code.is_empty() && cause.message.is_empty()) {
            out.push(cause);
        }
        flatten_details(detail, out);
    }
}

/// An ARM error as a failed job recorded it: the recorded code and message (when there are any),
/// with the nested details read from Azure's raw answer. Server and browser read stored failures
/// through this one function.
pub fn recorded_arm_error(
    code: Option<&str>,
    message: Option<&str>,
    raw: Option<&str>,
) -> ArmErrorInfo {
    let mut info = raw.and_then(parse_arm_error).unwrap_or_default();
    if let Some(code) = code.filter(|c| !c.is_empty()) {
        info.code = code.to_owned();
    }
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        info.message = message.to_owned();
    }
    info
}

/// Where the failure happened; used for action links and headlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClassifyContext {
    pub subscription_id: String,
    pub region: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Quota,
    SkuBlocked,
    Region,
    RgPermission,
    Auth,
    Allocation,
    Policy,
    ProviderRegistration,
    Throttled,
    Cancelled,
    Unknown,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Quota => "quota",
            Category::SkuBlocked => "sku_blocked",
            Category::Region => "region",
            Category::RgPermission => "rg_permission",
            Category::Auth => "auth",
            Category::Allocation => "allocation",
            Category::Policy => "policy",
            Category::ProviderRegistration => "provider_registration",
            Category::Throttled => "throttled",
            Category::Cancelled => "cancelled",
            Category::Unknown => "unknown",
        }
    }
}

/// A link the error card offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAction {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub category: Category,
    pub headline: String,
    pub details: String,
    pub actions: Vec<ErrorAction>,
}

const QUOTA_CODES: &[&str] = &[
    "ErrCode_InsufficientVCPUQuota",
    "InsufficientVCPUQuota",
    "QuotaExceeded",
    "OperationNotAllowed",
];
const SKU_CODES: &[&str] = &[
    "SkuNotAvailable",
    "VMSizeNotSupported",
    "ErrCode_VMSizeNotAllowed",
];
const REGION_CODES: &[&str] = &[
    "LocationNotAvailableForResourceType",
    "InvalidLocation",
    "LocationRequired",
    "RegionIsOfferRestricted",
];
const ALLOCATION_CODES: &[&str] = &[
    "ZonalAllocationFailed",
    "AllocationFailed",
    "OverconstrainedAllocationRequest",
    "OverconstrainedZonalAllocationRequest",
];
const PROVIDER_CODES: &[&str] = &[
    "MissingSubscriptionRegistration",
    "NoRegisteredProviderFound",
];
const AUTH_CODES: &[&str] = &[
    "AuthenticationFailed",
    "InvalidAuthenticationToken",
    "ExpiredAuthenticationToken",
    "InvalidAuthenticationTokenTenant",
    "CredentialUnavailable",
];
const PERMISSION_CODES: &[&str] = &["AuthorizationFailed", "LinkedAuthorizationFailed"];
const THROTTLE_CODES: &[&str] = &[
    "TooManyRequests",
    "SubscriptionRequestsThrottled",
    "Throttled",
];
const CANCEL_CODES: &[&str] = &[
    "Canceled",
    "Cancelled",
    "OperationCanceled",
    "OperationCancelled",
];

/// Classifies an ARM error. The outer code and every nested detail code are considered; the most
/// specific match wins (Azure often wraps the real cause in a generic `BadRequest`).
pub fn classify_arm_error(err: &ArmErrorInfo, ctx: &ClassifyContext) -> Classification {
    let codes: Vec<&str> = std::iter::once(err.code.as_str())
        .chain(err.details.iter().map(|d| d.code.as_str()))
        .collect();
    let text = full_text(err);
    let has = |list: &[&str]| {
        codes
            .iter()
            .any(|c| list.iter().any(|l| l.eq_ignore_ascii_case(c)))
    };
    let lower = text.to_ascii_lowercase();

    if has(CANCEL_CODES) {
        return cancelled();
    }
    if has(POLICY_CODE) {
        return policy(&text);
    }
    if has(PROVIDER_CODES) {
        return provider_registration(&text, ctx);
    }
    if has(ALLOCATION_CODES) {
        return allocation(&codes, ctx);
    }
    if has(SKU_CODES) || lower.contains("is not allowed in your subscription") {
        return sku_blocked(&text, ctx);
    }
    if has(QUOTA_CODES) && (lower.contains("quota") || !codes.contains(&"OperationNotAllowed")) {
        return quota(&text, ctx);
    }
    if has(REGION_CODES) {
        return region(&text, ctx);
    }
    if has(AUTH_CODES) || err.status == Some(401) {
        return auth();
    }
    if has(PERMISSION_CODES) || err.status == Some(403) {
        return rg_permission(&text);
    }
    if has(THROTTLE_CODES) || err.status == Some(429) {
        return throttled();
    }
    unknown(err)
}

const POLICY_CODE: &[&str] = &["RequestDisallowedByPolicy"];

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

/// The first whole number after `label` (case-insensitive), e.g. `Current Limit: 10` → 10.
fn number_after(text: &str, label: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find(&label.to_ascii_lowercase())? + label.len();
    let digits: String = text[start..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The text between the first `open` after `after` and the next `close`.
fn quoted_after<'a>(text: &'a str, after: &str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(after)? + after.len();
    let rest = &text[start..];
    let from = rest.find(open)? + open.len();
    let rest = &rest[from..];
    let to = rest.find(close)?;
    Some(&rest[..to]).filter(|s| !s.is_empty())
}

fn quota_portal_url() -> String {
    "https://portal.azure.com/#view/Microsoft_Azure_Capacity/QuotaMenuBlade/~/myQuotas".into()
}

fn quota(text: &str, ctx: &ClassifyContext) -> Classification {
    // AKS: "left regional vcpu quota 6, requested quota 12"; Compute: "Current Limit: 10,
    // Current Usage: 4, Additional Required: 12"; also "requested 12, remaining 6".
    let needed = number_after(text, "Additional Required")
        .or_else(|| number_after(text, "requested quota"))
        .or_else(|| number_after(text, "requested"));
    let free = number_after(text, "vcpu quota left")
        .or_else(|| number_after(text, "left regional vcpu quota"))
        .or_else(|| number_after(text, "remaining"))
        .or_else(|| {
            let limit = number_after(text, "Current Limit")?;
            let usage = number_after(text, "Current Usage")?;
            Some(limit.saturating_sub(usage))
        });
    let region = region_in(text).unwrap_or_else(|| ctx.region.clone());
    let where_ = if region.is_empty() {
        String::new()
    } else {
        format!(" in {region}")
    };
    let headline = match (needed, free) {
        (Some(n), Some(f)) => format!("Not enough vCPU quota{where_}: needs {n} vCPUs, {f} free."),
        (Some(n), None) => format!("Not enough vCPU quota{where_}: needs {n} vCPUs."),
        _ => format!("Not enough vCPU quota{where_}."),
    };
    Classification {
        category: Category::Quota,
        headline,
        details: format!(
            "Use fewer or smaller nodes, pick another region, or request a quota increase for \
             subscription {}{where_}.",
            ctx.subscription_id
        ),
        actions: vec![ErrorAction {
            label: format!("Request a quota increase{where_}"),
            url: quota_portal_url(),
        }],
    }
}

/// `location eastus`, `location 'eastus'` or `Location: eastus`.
fn region_in(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let idx = lower.find("location")? + "location".len();
    let region: String = text[idx..]
        .trim_start_matches([' ', ':', '\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    Some(region.to_ascii_lowercase()).filter(|r| r.len() >= 4)
}

fn sku_blocked(text: &str, ctx: &ClassifyContext) -> Classification {
    let size = text
        .split(|c: char| c.is_whitespace() || c == '\'' || c == '"' || c == ',')
        .find(|w| w.starts_with("Standard_") || w.starts_with("Basic_"))
        .map(str::to_owned);
    let region = region_in(text).unwrap_or_else(|| ctx.region.clone());
    let headline = match &size {
        Some(size) => format!("{size} is not available to this subscription in {region}."),
        None => format!("The chosen VM size is not available to this subscription in {region}."),
    };
    Classification {
        category: Category::SkuBlocked,
        headline,
        details: "Choose another VM size, or another region where this size is offered.".into(),
        actions: vec![ErrorAction {
            label: "VM sizes available for AKS".into(),
            url: "https://learn.microsoft.com/azure/aks/quotas-skus-regions".into(),
        }],
    }
}

fn region(text: &str, ctx: &ClassifyContext) -> Classification {
    let region = region_in(text).unwrap_or_else(|| ctx.region.clone());
    Classification {
        category: Category::Region,
        headline: format!("AKS clusters cannot be created in {region} for this subscription."),
        details: "Pick a region where Azure Kubernetes Service is available to you.".into(),
        actions: vec![ErrorAction {
            label: "AKS regions".into(),
            url: "https://azure.microsoft.com/explore/global-infrastructure/products-by-region/"
                .into(),
        }],
    }
}

fn rg_permission(text: &str) -> Classification {
    let action = quoted_after(text, "perform action", "'", "'");
    let headline = match action {
        Some(a) => format!("Permission denied: your identity may not perform {a}."),
        None => "Permission denied on the resource group.".into(),
    };
    Classification {
        category: Category::RgPermission,
        headline,
        details: "Ask an owner of the subscription or resource group for the Contributor role \
                  (or Azure Kubernetes Service Contributor), then retry."
            .into(),
        actions: vec![ErrorAction {
            label: "Check access (IAM)".into(),
            url: "https://learn.microsoft.com/azure/role-based-access-control/check-access".into(),
        }],
    }
}

fn auth() -> Classification {
    Classification {
        category: Category::Auth,
        headline: "The dashboard could not sign in to Azure.".into(),
        details: "Its credential is missing or expired: sign in again (az login), or check the \
                  managed identity or client secret of the server."
            .into(),
        actions: vec![ErrorAction {
            label: "Azure identity for the server".into(),
            url: "https://learn.microsoft.com/azure/developer/intro/passwordless-overview".into(),
        }],
    }
}

fn allocation(codes: &[&str], ctx: &ClassifyContext) -> Classification {
    let zonal = codes.iter().any(|c| c.contains("Zonal"));
    let headline = if zonal {
        format!(
            "Azure has no capacity for this VM size in the chosen zones of {}.",
            ctx.region
        )
    } else {
        format!(
            "Azure has no capacity for this VM size in {} right now.",
            ctx.region
        )
    };
    Classification {
        category: Category::Allocation,
        headline,
        details: "Retry later, or choose another VM size, fewer zones or another region.".into(),
        actions: vec![ErrorAction {
            label: "Resolve allocation failures".into(),
            url:
                "https://learn.microsoft.com/troubleshoot/azure/virtual-machines/allocation-failure"
                    .into(),
        }],
    }
}

fn policy(text: &str) -> Classification {
    let name = quoted_after(text, "policyAssignment", "\"name\":\"", "\"")
        .or_else(|| quoted_after(text, "policyAssignment", "\\\"name\\\":\\\"", "\\\""))
        .or_else(|| quoted_after(text, "policy assignment", "'", "'"));
    let headline = match name {
        Some(n) => format!("Blocked by the Azure Policy \"{n}\"."),
        None => "Blocked by an Azure Policy of this subscription.".into(),
    };
    Classification {
        category: Category::Policy,
        headline,
        details: "Change the request to comply (e.g. region, tags, VM size) or ask the policy's \
                  owner for an exemption."
            .into(),
        actions: vec![ErrorAction {
            label: "Policy compliance in the portal".into(),
            url:
                "https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyMenuBlade/~/Compliance"
                    .into(),
        }],
    }
}

fn provider_registration(text: &str, ctx: &ClassifyContext) -> Classification {
    let namespace = quoted_after(text, "namespace", "'", "'")
        .or_else(|| quoted_after(text, "namespace", "\"", "\""))
        .unwrap_or("Microsoft.ContainerService")
        .to_owned();
    Classification {
        category: Category::ProviderRegistration,
        headline: format!("The subscription is not registered for {namespace}."),
        details: format!(
            "Register the resource provider once (az provider register --namespace {namespace}), \
             wait until it shows Registered, then retry."
        ),
        actions: vec![ErrorAction {
            label: format!("Register {namespace}"),
            url: format!(
                "https://portal.azure.com/#@/resource/subscriptions/{}/resourceproviders",
                ctx.subscription_id
            ),
        }],
    }
}

fn throttled() -> Classification {
    Classification {
        category: Category::Throttled,
        headline: "Azure is throttling requests from this subscription.".into(),
        details: "Wait a minute and retry; the dashboard already retried with back-off.".into(),
        actions: vec![],
    }
}

fn cancelled() -> Classification {
    Classification {
        category: Category::Cancelled,
        headline: "Provisioning was cancelled.".into(),
        details: "The create was stopped at your request.".into(),
        actions: vec![],
    }
}

fn unknown(err: &ArmErrorInfo) -> Classification {
    let cleaned = clean_message(&err.message);
    let headline = first_sentence(&cleaned);
    let headline = if headline.is_empty() {
        format!(
            "Azure answered with an error ({}).",
            if err.code.is_empty() {
                "no code"
            } else {
                &err.code
            }
        )
    } else {
        headline
    };
    Classification {
        category: Category::Unknown,
        headline,
        details: if err.code.is_empty() {
            cleaned
        } else {
            format!("{} · {}", err.code, cleaned)
        },
        actions: vec![],
    }
}

/// Removes the `Code: X Message: Y` tails Azure repeats when it wraps one error in another.
pub fn clean_message(message: &str) -> String {
    let mut text = message.trim();
    // "Code: X Message: Y" on its own: Y is the message.
    if let Some(rest) = text.strip_prefix("Code:")
        && let Some(i) = rest.find("Message:")
    {
        text = rest[i + "Message:".len()..].trim();
    }
    // Anything from a repeated tail on says nothing new.
    for marker in [" Code:", " Details:", " Message:", " Code="] {
        if let Some(i) = text.find(marker) {
            text = &text[..i];
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_sentence(text: &str) -> String {
    let end = text
        .char_indices()
        .find(|(i, c)| *c == '.' && text[i + 1..].starts_with(' '))
        .map(|(i, _)| i + 1)
        .unwrap_or(text.len());
    let s = text[..end].trim();
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(197).collect();
        format!("{cut}…")
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(region: &str) -> ClassifyContext {
        ClassifyContext {
            subscription_id: "11111111-2222-3333-4444-555555555555".into(),
            region: region.into(),
        }
    }

    fn err(status: u16, code: &str, message: &str) -> ArmErrorInfo {
        ArmErrorInfo {
            status: Some(status),
            code: code.into(),
            message: message.into(),
            details: vec![],
        }
    }

    #[test]
    fn aks_regional_quota_names_needed_and_free_vcpus() {
        let e = err(
            400,
            "ErrCode_InsufficientVCPUQuota",
            "Insufficient regional vcpu quota left for location eastus. left regional vcpu quota \
             6, requested quota 14. Please refer to https://aka.ms/aks/quotaincrease",
        );
        let c = classify_arm_error(&e, &ctx("eastus"));
        assert_eq!(c.category, Category::Quota);
        assert_eq!(
            c.headline,
            "Not enough vCPU quota in eastus: needs 14 vCPUs, 6 free."
        );
        assert!(c.actions[0].label.contains("quota increase"));
        assert!(c.details.contains("11111111-2222-3333-4444-555555555555"));
    }

    #[test]
    fn compute_family_quota_from_a_nested_detail() {
        let e = ArmErrorInfo {
            status: Some(409),
            code: "OperationNotAllowed".into(),
            message: "Operation could not be completed as it results in exceeding approved \
                      standardDSv3Family Cores quota. Additional details - Deployment Model: \
                      Resource Manager, Location: westeurope, Current Limit: 10, Current Usage: 8, \
                      Additional Required: 4, (Minimum) New Limit Required: 12."
                .into(),
            details: vec![],
        };
        let c = classify_arm_error(&e, &ctx("westeurope"));
        assert_eq!(c.category, Category::Quota);
        assert_eq!(
            c.headline,
            "Not enough vCPU quota in westeurope: needs 4 vCPUs, 2 free."
        );
    }

    #[test]
    fn blocked_size_names_the_size_and_region() {
        let e = err(
            400,
            "BadRequest",
            "The VM size of Standard_NC24ads_A100_v4 is not allowed in your subscription in \
             location 'koreacentral'.",
        );
        let c = classify_arm_error(&e, &ctx("koreacentral"));
        assert_eq!(c.category, Category::SkuBlocked);
        assert_eq!(
            c.headline,
            "Standard_NC24ads_A100_v4 is not available to this subscription in koreacentral."
        );
    }

    #[test]
    fn allocation_failures_are_recognised_inside_a_generic_wrapper() {
        for code in [
            "ZonalAllocationFailed",
            "AllocationFailed",
            "OverconstrainedAllocationRequest",
        ] {
            let e = ArmErrorInfo {
                status: None,
                code: "ReconcileVMSSAgentPoolFailed".into(),
                message: "Code=\"ZonalAllocationFailed\" Message=\"Allocation failed. We do not \
                          have sufficient capacity for the requested VM size in this zone.\""
                    .into(),
                details: vec![ArmErrorCause {
                    code: code.into(),
                    message: "Allocation failed.".into(),
                }],
            };
            let c = classify_arm_error(&e, &ctx("westeurope"));
            assert_eq!(c.category, Category::Allocation, "{code}");
            assert!(c.headline.contains("no capacity"));
        }
    }

    #[test]
    fn policy_denial_names_the_policy() {
        let e = err(
            403,
            "RequestDisallowedByPolicy",
            "Resource 'aks-prod' was disallowed by policy. Policy identifiers: \
             '[{\"policyAssignment\":{\"name\":\"Allowed locations\",\"id\":\"/subscriptions/1/\
             providers/Microsoft.Authorization/policyAssignments/abc\"},\"policyDefinition\":{\
             \"name\":\"Allowed locations\"}}]'.",
        );
        let c = classify_arm_error(&e, &ctx("eastus"));
        assert_eq!(c.category, Category::Policy);
        assert_eq!(
            c.headline,
            "Blocked by the Azure Policy \"Allowed locations\"."
        );
    }

    #[test]
    fn unregistered_provider_says_which_namespace() {
        let e = err(
            409,
            "MissingSubscriptionRegistration",
            "The subscription is not registered to use namespace 'Microsoft.ContainerService'. \
             See https://aka.ms/rps-not-found for how to register subscriptions.",
        );
        let c = classify_arm_error(&e, &ctx("eastus"));
        assert_eq!(c.category, Category::ProviderRegistration);
        assert!(c.headline.contains("Microsoft.ContainerService"));
        assert!(
            c.details
                .contains("az provider register --namespace Microsoft.ContainerService")
        );
        let e = err(
            400,
            "NoRegisteredProviderFound",
            "No registered resource provider found for location 'eastus' and API version '2099-01-01' for type 'managedClusters'.",
        );
        assert_eq!(
            classify_arm_error(&e, &ctx("eastus")).category,
            Category::ProviderRegistration
        );
    }

    #[test]
    fn permission_auth_throttling_region_and_cancel() {
        let e = err(
            403,
            "AuthorizationFailed",
            "The client 'x' with object id 'y' does not have authorization to perform action \
             'Microsoft.Resources/subscriptions/resourcegroups/write' over scope \
             '/subscriptions/1/resourcegroups/rg' or the scope is invalid.",
        );
        let c = classify_arm_error(&e, &ctx("eastus"));
        assert_eq!(c.category, Category::RgPermission);
        assert!(
            c.headline
                .contains("Microsoft.Resources/subscriptions/resourcegroups/write")
        );

        let e = err(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
        assert_eq!(
            classify_arm_error(&e, &ctx("eastus")).category,
            Category::Auth
        );

        let e = err(429, "TooManyRequests", "The request is being throttled.");
        assert_eq!(
            classify_arm_error(&e, &ctx("eastus")).category,
            Category::Throttled
        );

        let e = err(
            400,
            "LocationNotAvailableForResourceType",
            "The provided location 'marscentral' is not available for resource type \
             'Microsoft.ContainerService/managedClusters'.",
        );
        let c = classify_arm_error(&e, &ctx("marscentral"));
        assert_eq!(c.category, Category::Region);
        assert!(c.headline.contains("marscentral"));

        let e = err(0, "Canceled", "Operation was canceled by the user.");
        assert_eq!(
            classify_arm_error(&e, &ctx("eastus")).category,
            Category::Cancelled
        );
    }

    #[test]
    fn unknown_errors_keep_the_text_without_repeated_tails() {
        let e = err(
            500,
            "InternalServerError",
            "Something unexpected happened in the cluster reconciler. Code: InternalServerError \
             Message: Something unexpected happened in the cluster reconciler.",
        );
        let c = classify_arm_error(&e, &ctx("eastus"));
        assert_eq!(c.category, Category::Unknown);
        assert_eq!(
            c.headline,
            "Something unexpected happened in the cluster reconciler."
        );
        assert_eq!(
            c.details,
            "InternalServerError · Something unexpected happened in the cluster reconciler."
        );
    }
}
