//! One builder per category: the headline that names what happened in the user's terms (the
//! size they asked for, the region, the numbers), the details line, and the actions that fix it.

use super::text::{
    clean_message, first_sentence, guid_after, number_after, quoted_after, region_in,
    role_assignment_command, word_after,
};
use super::{ArmErrorInfo, Category, Classification, ClassifyContext, ErrorAction};

pub(super) fn action(label: impl Into<String>, url: impl Into<String>) -> ErrorAction {
    ErrorAction {
        label: label.into(),
        url: url.into(),
    }
}

pub(super) fn classification(
    category: Category,
    headline: String,
    details: impl Into<String>,
    actions: Vec<ErrorAction>,
) -> Classification {
    Classification {
        category,
        headline,
        details: details.into(),
        actions,
        command: None,
    }
}

/// ` in eastus`, or nothing when the region is unknown.
pub(super) fn in_region(region: &str) -> String {
    if region.is_empty() {
        String::new()
    } else {
        format!(" in {region}")
    }
}

fn region_of(text: &str, ctx: &ClassifyContext) -> String {
    region_in(text).unwrap_or_else(|| ctx.region.clone())
}

pub fn quota(text: &str, ctx: &ClassifyContext) -> Classification {
    let lower = text.to_ascii_lowercase();
    let region = region_of(text, ctx);
    let where_ = in_region(&region);
    if lower.contains("public ip") || lower.contains("publicipcountlimitreached") {
        let limit = number_after(text, "more than")
            .map(|n| format!(": the subscription may have at most {n} public IP addresses here"))
            .unwrap_or_default();
        return classification(
            Category::Quota,
            format!("Not enough public IP address quota{where_}{limit}."),
            "Each cluster's load balancer needs a public IP address: delete unused ones, or \
             request a higher Public IP Addresses limit for the subscription.",
            vec![action(
                format!("Request a quota increase{where_}"),
                ctx.portal_link("#view/Microsoft_Azure_Capacity/QuotaMenuBlade/~/myQuotas"),
            )],
        );
    }
    // AKS: "left regional vcpu quota 6, requested quota 14" and "requested 64, remaining 32";
    // Compute: "Current Limit: 10, Current Usage: 8, Additional Required: 4"; ARM:
    // "Maximum allowed: 450, Current in use: 449, Additional requested: 8".
    let needed = number_after(text, "Additional Required")
        .or_else(|| number_after(text, "requested quota"))
        .or_else(|| number_after(text, "requested"));
    let free = number_after(text, "left regional vcpu quota")
        .or_else(|| number_after(text, "remaining"))
        .or_else(|| {
            let limit = number_after(text, "Current Limit")?;
            let usage = number_after(text, "Current Usage")?;
            Some(limit.saturating_sub(usage))
        })
        .or_else(|| {
            let limit = number_after(text, "Maximum allowed")?;
            let usage = number_after(text, "Current in use")?;
            Some(limit.saturating_sub(usage))
        });
    let family = word_after(text, "for family")
        .or_else(|| {
            text.split_whitespace()
                .find(|w| w.starts_with("standard") && w.ends_with("Family"))
        })
        .map(|f| format!(" for {f}"))
        .unwrap_or_default();
    let headline = match (needed, free) {
        (Some(n), Some(f)) => {
            format!("Not enough vCPU quota{family}{where_}: needs {n} vCPUs, {f} free.")
        }
        (Some(n), None) => format!("Not enough vCPU quota{family}{where_}: needs {n} vCPUs."),
        _ => format!("Not enough vCPU quota{family}{where_}."),
    };
    let new_limit = number_after(text, "New Limit Required")
        .map(|n| format!(" (a limit of at least {n})"))
        .unwrap_or_default();
    classification(
        Category::Quota,
        headline,
        format!(
            "Use fewer or smaller nodes, pick another region, or request a quota increase{new_limit} \
             for subscription {}{where_}.",
            ctx.subscription_id
        ),
        vec![action(
            format!("Request a quota increase{where_}"),
            ctx.portal_link("#view/Microsoft_Azure_Capacity/QuotaMenuBlade/~/myQuotas"),
        )],
    )
}

/// The size that was refused: named in the text, or — when AKS names the pool
/// (`The VM size of AgentPoolProfile:nodepool1 is not allowed …`) — the size the request asked
/// for that pool.
fn refused_size(text: &str, ctx: &ClassifyContext) -> Option<String> {
    if let Some(pool) = word_after(text, "AgentPoolProfile:") {
        return ctx
            .pools
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(pool))
            .map(|p| p.vm_size.clone());
    }
    let named = word_after(text, "requested VM size")
        .or_else(|| word_after(text, "The VM size of"))
        .filter(|w| w.starts_with("Standard_") || w.starts_with("Basic_"));
    if let Some(size) = named {
        return Some(size.to_owned());
    }
    // Any size mentioned before Azure starts listing what *is* available.
    let before_list = text
        .to_ascii_lowercase()
        .find("available")
        .map_or(text, |at| &text[..at]);
    before_list
        .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ',' | ':'))
        .find(|w| w.starts_with("Standard_") || w.starts_with("Basic_"))
        .map(str::to_owned)
}

/// The sizes Azure lists as available (`The available VM sizes are A,B,C`).
fn available_sizes(text: &str) -> Vec<&str> {
    let lower = text.to_ascii_lowercase();
    let Some(at) = [
        "available vm sizes are",
        "sizes available in the current region are",
    ]
    .iter()
    .find_map(|label| lower.find(label).map(|i| i + label.len())) else {
        return Vec::new();
    };
    text[at..]
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | '.' | '\''))
        .filter(|w| w.to_ascii_lowercase().starts_with("standard_"))
        .collect()
}

pub fn sku_blocked(text: &str, ctx: &ClassifyContext) -> Classification {
    let region = region_of(text, ctx);
    let where_ = in_region(&region);
    let pool = word_after(text, "AgentPoolProfile:");
    let headline = match (refused_size(text, ctx), pool) {
        (Some(size), _) => format!("{size} is not available to this subscription{where_}."),
        (None, Some(pool)) => {
            format!(
                "The VM size of node pool {pool} is not available to this subscription{where_}."
            )
        }
        (None, None) => {
            format!("The chosen VM size is not available to this subscription{where_}.")
        }
    };
    let available = available_sizes(text);
    let details = match available.len() {
        0 => "Choose another VM size, or another region where this size is offered.".to_owned(),
        n => {
            let shown: Vec<&str> = available.iter().take(5).copied().collect();
            let more = if n > 5 {
                format!(" and {} more", n - 5)
            } else {
                String::new()
            };
            format!(
                "Choose another VM size (available here: {}{more}), or another region.",
                shown.join(", ")
            )
        }
    };
    classification(
        Category::SkuBlocked,
        headline,
        details,
        vec![action(
            "VM sizes available for AKS",
            "https://learn.microsoft.com/azure/aks/quotas-skus-regions",
        )],
    )
}

pub fn zone_not_supported(text: &str, ctx: &ClassifyContext) -> Classification {
    let region = region_of(text, ctx);
    // `The zone(s) '1' for resource 'nodepool1' is not supported.`
    let zones = quoted_after(text, "zone(s)", "'", "'");
    let pool = quoted_after(text, "for resource '", "", "'");
    let headline = match (zones, pool) {
        (Some(z), Some(p)) => format!(
            "The zone(s) '{z}' of node pool {p} are not offered for its VM size{}.",
            in_region(&region)
        ),
        _ => format!(
            "The VM size is not offered in the chosen availability zones{}.",
            in_region(&region)
        ),
    };
    classification(
        Category::SkuBlocked,
        headline,
        "Choose zones where the size is offered, no zones, or another size.",
        vec![action(
            "VM sizes and zones",
            "https://learn.microsoft.com/azure/aks/availability-zones",
        )],
    )
}

pub fn region(text: &str, ctx: &ClassifyContext) -> Classification {
    let region = quoted_after(text, "location", "'", "'")
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| region_of(text, ctx));
    classification(
        Category::Region,
        format!("AKS clusters cannot be created in {region} for this subscription."),
        "Pick a region where Azure Kubernetes Service is available to you.",
        vec![action(
            "AKS regions",
            "https://azure.microsoft.com/explore/global-infrastructure/products-by-region/",
        )],
    )
}

/// `AuthorizationFailed`: the identity lacks an action on a scope; the fix is a role assignment
/// on that scope, offered as a copy-ready command.
pub fn authorization_failed(text: &str) -> Classification {
    let action_name = quoted_after(text, "authorization to perform action", "'", "'");
    let scope = quoted_after(text, "over scope", "'", "'");
    let object_id = quoted_after(text, "object id", "'", "'");
    let headline = match (action_name, scope) {
        (Some(a), Some(s)) => {
            format!("Permission denied: the dashboard may not perform {a} on {s}.")
        }
        (Some(a), None) => format!("Permission denied: the dashboard may not perform {a}."),
        _ => "Permission denied on the resource group.".into(),
    };
    let command = role_assignment_command(object_id, "Contributor", scope);
    let details = match &command {
        Some(command) => format!(
            "Ask an owner of the subscription or resource group to grant the Contributor role \
             (or Azure Kubernetes Service Contributor): {command}"
        ),
        None => "Ask an owner of the subscription or resource group for the Contributor role \
                 (or Azure Kubernetes Service Contributor), then retry."
            .into(),
    };
    let mut c = classification(
        Category::RgPermission,
        headline,
        details,
        vec![action(
            "Assign an Azure role",
            "https://learn.microsoft.com/azure/role-based-access-control/role-assignments-cli",
        )],
    );
    c.command = command;
    c
}

/// `LinkedAuthorizationFailed`: the identity may write the cluster but not use a resource it
/// links to (a subnet, a DDoS plan, a DNS zone). The message first names the action it *has*;
/// the one it lacks follows "does not have permission".
pub fn linked_authorization_failed(text: &str) -> Classification {
    let missing = quoted_after(text, "does not have permission to perform action", "'", "'")
        .or_else(|| quoted_after(text, "doesn't have permission to perform action", "'", "'"));
    let linked_scope = quoted_after(text, "linked scope", "'", "'");
    let object_id = quoted_after(text, "object id", "'", "'");
    let headline = match (missing, linked_scope) {
        (Some(a), Some(s)) => format!("Permission denied on a linked resource: {a} on {s}."),
        (Some(a), None) => format!("Permission denied on a linked resource: {a}."),
        _ => "Permission denied on a resource the cluster links to.".into(),
    };
    let role = if missing.is_some_and(|a| a.to_ascii_lowercase().starts_with("microsoft.network")) {
        "Network Contributor"
    } else {
        "Contributor"
    };
    let command = role_assignment_command(object_id, role, linked_scope);
    let details = match &command {
        Some(command) => {
            format!("The cluster's identity needs access to the linked resource, e.g.: {command}")
        }
        None => format!(
            "Grant the identity a role that allows this action (e.g. {role}) on the linked \
             resource, then retry."
        ),
    };
    let mut c = classification(
        Category::RgPermission,
        headline,
        details,
        vec![action(
            "Troubleshoot LinkedAuthorizationFailed",
            "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/create-upgrade-delete/error-code-linkedauthorizationfailed",
        )],
    );
    c.command = command;
    c
}

/// The dashboard's own sign-in to Azure failed (ARM refused its token, or it got none).
pub fn auth(text: &str) -> Classification {
    let lower = text.to_ascii_lowercase();
    // `InvalidAuthenticationTokenTenant`: `… It must match the tenant 'https://sts.windows.net/<id>/'`.
    let tenant = lower
        .find("must match the tenant")
        .and_then(|at| guid_after(&text[at..], "sts.windows.net/"));
    let (headline, details) = match tenant {
        Some(t) => (
            format!(
                "The dashboard signed in to the wrong tenant: this subscription belongs to tenant {t}."
            ),
            format!(
                "Give the dashboard an identity of tenant {t} (AZURE_TENANT_ID, or az login \
                 --tenant {t} in development)."
            ),
        ),
        None if lower.contains("aadsts7000222") || lower.contains("client secret") => (
            "The dashboard could not sign in to Azure.".to_owned(),
            "The client secret of the dashboard's service principal is invalid or expired: create \
             a new secret and set AZURE_CLIENT_SECRET."
                .to_owned(),
        ),
        None => (
            "The dashboard could not sign in to Azure.".to_owned(),
            "Its credential is missing or expired: sign in again (az login), or check the managed \
             identity or client secret of the server."
                .to_owned(),
        ),
    };
    classification(
        Category::Auth,
        headline,
        details,
        vec![action(
            "Azure identity for the server",
            "https://learn.microsoft.com/azure/developer/intro/passwordless-overview",
        )],
    )
}

pub fn allocation(codes: &[String], text: &str, ctx: &ClassifyContext) -> Classification {
    let region = region_of(text, ctx);
    let where_ = in_region(&region);
    let zonal = codes.iter().any(|c| c.contains("Zonal"))
        || text.to_ascii_lowercase().contains("in this zone");
    let headline = if zonal {
        format!("Azure has no capacity for this VM size in the chosen zones{where_}.")
    } else {
        format!("Azure has no capacity for this VM size{where_} right now.")
    };
    let constraints = text
        .to_ascii_lowercase()
        .find("constraints applied are:")
        .map(|at| {
            let list: Vec<&str> = text[at + "constraints applied are:".len()..]
                .split(" - ")
                .map(|c| c.trim().trim_start_matches("- ").trim())
                .filter(|c| !c.is_empty())
                .collect();
            format!(
                " Constraints Azure could not meet together: {}.",
                list.join("; ")
            )
        })
        .unwrap_or_default();
    classification(
        Category::Allocation,
        headline,
        format!(
            "Retry later, or choose another VM size, fewer zones or another region.{constraints}"
        ),
        vec![action(
            "Resolve allocation failures",
            "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/create-upgrade-delete/error-code-zonalallocationfailed-allocationfailed",
        )],
    )
}

/// `AKSCapacityError` / `AksCapacityHeavyUsage`: AKS itself is short of capacity in the region.
pub fn capacity(text: &str, ctx: &ClassifyContext) -> Classification {
    let region = region_in(text)
        .or_else(|| word_after(text, "heavy usage in region").map(str::to_ascii_lowercase))
        .unwrap_or_else(|| ctx.region.clone());
    classification(
        Category::Capacity,
        format!("AKS is short of capacity{} right now.", in_region(&region)),
        "Create the cluster in another region, or retry later when capacity frees up.",
        vec![action(
            "Troubleshoot AksCapacityHeavyUsage",
            "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/create-upgrade-delete/akscapacityerror",
        )],
    )
}

/// Another operation on the cluster interrupted this one, or is still running.
pub fn operation_conflict(codes: &[String], text: &str) -> Classification {
    let by_delete = codes
        .iter()
        .any(|c| c.contains("ByDelete") || c.contains("Superseded"))
        || text.to_ascii_lowercase().contains("by deleting operation");
    let lower = text.to_ascii_lowercase();
    let in_progress = lower.contains("in progress");
    // `Another agentpool operation (Scaling) is in progress`: the other operation's kind.
    let other = quoted_after(text, "operation", "(", ")")
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    let headline = if lower.contains("deletion was issued") {
        let target = quoted_after(text, "deletion was issued on", "'", "'").unwrap_or("it");
        format!("A deletion was issued on {target}: only deleting it is allowed now.")
    } else if by_delete {
        "The create was interrupted: the cluster is being deleted.".into()
    } else if in_progress {
        format!("Another operation{other} is still running on this cluster.")
    } else {
        "The create was interrupted by another operation on the cluster.".into()
    };
    let id = guid_after(text, "operation with ID")
        .or_else(|| guid_after(text, "(ID"))
        .map(|id| format!(" The other operation: {id}."))
        .unwrap_or_default();
    classification(
        Category::OperationConflict,
        headline,
        format!("Wait for the other operation to finish (or abort it), then retry.{id}"),
        vec![action(
            "Operations that preempt each other",
            "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/create-upgrade-delete/error-code-operationpreempted",
        )],
    )
}

/// `RequestDisallowedByPolicy`: the policy's name, the reason its owner wrote for it
/// (`Reasons: '…'`, from the assignment's non-compliance message) and the resource it refused.
pub fn policy(text: &str, ctx: &ClassifyContext) -> Classification {
    let name = quoted_after(text, "policyAssignment", "\"name\":\"", "\"")
        .or_else(|| quoted_after(text, "policyAssignment", "\\\"name\\\":\\\"", "\\\""))
        .or_else(|| quoted_after(text, "policy assignment", "'", "'"));
    let reason = quoted_after(text, "Reasons:", "'", "'")
        .or_else(|| quoted_after(text, "Reasons:", "\"", "\""))
        .map(|r| {
            let r = r.trim();
            if r.ends_with(['.', '!', '?']) {
                r.to_owned()
            } else {
                format!("{r}.")
            }
        });
    let headline = match (name, &reason) {
        (Some(n), Some(r)) => format!("Blocked by the Azure Policy \"{n}\": {r}"),
        (Some(n), None) => format!("Blocked by the Azure Policy \"{n}\"."),
        (None, Some(r)) => format!("Blocked by an Azure Policy: {r}"),
        (None, None) => "Blocked by an Azure Policy of this subscription.".into(),
    };
    let resource = quoted_after(text, "Resource ", "'", "'")
        .map(|r| format!("The policy refused {r}. "))
        .unwrap_or_default();
    classification(
        Category::Policy,
        headline,
        format!(
            "{resource}Change the request to comply (e.g. region, tags, VM size) or ask the \
             policy's owner for an exemption."
        ),
        vec![
            action(
                "Policy compliance in the portal",
                ctx.portal_link("#view/Microsoft_Azure_Policy/PolicyMenuBlade/~/Compliance"),
            ),
            action(
                "Troubleshoot RequestDisallowedByPolicy",
                "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/error-codes/requestdisallowedbypolicy-error",
            ),
        ],
    )
}

pub fn provider_registration(text: &str, ctx: &ClassifyContext) -> Classification {
    let namespace = quoted_after(text, "namespace", "'", "'")
        .or_else(|| quoted_after(text, "namespace", "\"", "\""))
        .unwrap_or("Microsoft.ContainerService")
        .to_owned();
    classification(
        Category::ProviderRegistration,
        format!("The subscription is not registered for {namespace}."),
        format!(
            "Register the resource provider once (az provider register --namespace {namespace}), \
             wait until it shows Registered, then retry."
        ),
        vec![action(
            format!("Register {namespace}"),
            ctx.portal_link(&format!(
                "#@/resource/subscriptions/{}/resourceproviders",
                ctx.subscription_id
            )),
        )],
    )
}

/// ARM does not know the API version the dashboard used (`NoRegisteredProviderFound … API
/// version`): a product bug or a cloud that lags behind, not something the user can register.
pub fn unsupported_api_version(text: &str) -> Classification {
    let version = quoted_after(text, "API version", "'", "'").unwrap_or("this API version");
    classification(
        Category::InvalidRequest,
        format!("Azure does not accept API version {version} here."),
        "The dashboard uses an API version this cloud or region does not offer; report it to \
         the dashboard's maintainers.",
        vec![],
    )
}

/// Throttled: which of Azure's limits (`The PutManagedClusterHandler.PUT request limit …`) and
/// how long it asks to wait.
pub fn throttled(text: &str) -> Classification {
    let lower = text.to_ascii_lowercase();
    let limit = lower
        .find(" request limit")
        .and_then(|at| text[..at].rsplit(' ').next())
        .filter(|w| !w.is_empty())
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    let wait = number_after(text, "retry again in")
        .or_else(|| number_after(text, "try again after"))
        .map(|n| format!("Azure asks to wait {n} seconds; "))
        .unwrap_or_default();
    classification(
        Category::Throttled,
        format!("Azure is throttling requests from this subscription{limit}."),
        format!(
            "{wait}retry then. The dashboard already retried with back-off; fewer creates and \
             updates at once on this subscription help."
        ),
        vec![action(
            "AKS throttling",
            "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/error-codes/throttled-error",
        )],
    )
}

/// `cluster_exists`: the dashboard's own refusal to touch a cluster it did not create.
pub fn name_taken(text: &str) -> Classification {
    let headline = first_sentence(&clean_message(text));
    let headline = if headline.is_empty() {
        "A cluster with this name already exists.".to_owned()
    } else {
        headline
    };
    classification(
        Category::NameTaken,
        headline,
        "The dashboard never changes a cluster it did not create: choose another name, or \
         delete that cluster first if it is yours to delete.",
        vec![],
    )
}

pub fn cancelled() -> Classification {
    classification(
        Category::Cancelled,
        "Provisioning was cancelled.".into(),
        "The create was stopped at your request.",
        vec![],
    )
}

/// `ResourceGroupNotFound`, `SubscriptionNotFound`: what the request points at is not there.
pub fn not_found(codes: &[String], text: &str, ctx: &ClassifyContext) -> Classification {
    let subscription = codes
        .iter()
        .any(|c| c.eq_ignore_ascii_case("SubscriptionNotFound"));
    let (headline, details) = if subscription {
        let id = quoted_after(text, "subscription", "'", "'").unwrap_or(&ctx.subscription_id);
        (
            format!("Subscription {id} was not found."),
            "Check the subscription ID, and that the dashboard's identity has access to it.",
        )
    } else {
        let rg = quoted_after(text, "resource group", "'", "'").unwrap_or("The resource group");
        (
            format!("Resource group {rg} does not exist."),
            "Create the resource group (or pick an existing one), then retry.",
        )
    };
    classification(Category::NotFound, headline, details, vec![])
}

/// A request Azure refuses as invalid (`InvalidParameter`, reserved names, versions): its own
/// first sentence is the clearest headline.
pub fn invalid_request(err: &ArmErrorInfo) -> Classification {
    let cleaned = clean_message(&err.message);
    let lower = cleaned.to_ascii_lowercase();
    // `The value of parameter name is invalid. Error details: "azure" managed cluster name is
    // invalid because it is reserved.`: the details say why.
    let headline = match lower.find("error details: ") {
        Some(at) => first_sentence(&cleaned[at + "error details: ".len()..].replace("..", ".")),
        None if lower.contains("parameter agentpoolprofile.name is invalid") => {
            "Azure refused a node pool name (agentPoolProfile.name): pool names are 1 to 12 \
             lowercase letters and digits, starting with a letter."
                .to_owned()
        }
        None => first_sentence(&cleaned),
    };
    let headline = if headline.is_empty() {
        format!("Azure refused the request as invalid ({}).", err.code)
    } else {
        headline
    };
    let mut c = classification(
        Category::InvalidRequest,
        headline,
        format!("{} · {cleaned}", err.code),
        vec![],
    );
    let lower = err.message.to_ascii_lowercase();
    if lower.contains("reserved word") || lower.contains("reservedresourcename") {
        c.actions.push(action(
            "Troubleshoot ReservedResourceName",
            "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/create-upgrade-delete/error-code-reservedresourcename",
        ));
    } else if lower.contains("virtual machine scale sets") {
        c.actions.push(action(
            "Features that need Virtual Machine Scale Sets",
            "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/create-upgrade-delete/error-using-feature-requiring-virtual-machine-scale-set",
        ));
    } else if cleaned.contains("aka.ms/aks-naming-rules")
        || lower.contains("agentpoolprofile.name")
        || lower.contains("parameter name is invalid")
    {
        c.actions.push(action(
            "AKS naming rules",
            "https://learn.microsoft.com/azure/aks/faq#what-naming-restrictions-are-enforced-for-aks-resources-and-parameters",
        ));
    }
    c
}

pub fn unknown(err: &ArmErrorInfo) -> Classification {
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
    classification(
        Category::Unknown,
        headline,
        if err.code.is_empty() {
            cleaned
        } else {
            format!("{} · {}", err.code, cleaned)
        },
        vec![],
    )
}
