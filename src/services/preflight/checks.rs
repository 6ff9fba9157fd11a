//! Pre-flight checks before a create: `skus` (is each VM size offered here?), `quota` (do the
//! pools fit the family and regional vCPU limits, and how many nodes would?),
//! `kubernetes_version` (does AKS offer it here?), `resource_group` (exists, elsewhere, or will
//! be created), and with a name `name` (is it taken?). Azure being
//! unreadable is a `warn`, never a crash.
//!
//! The evaluation is pure ([`evaluate_skus`], [`evaluate_quota`], [`evaluate_name`]);
//! [`run_preflight`] reads Azure through the shared cache, so a warm cache costs no ARM call.

use serde_json::json;

use crate::azure::{
    ArmCache, ArmError, KubernetesVersion, ManagedCluster, ResourceGroup, ResourceSku, Usage,
};
use crate::domain::validation::NODE_COUNT_RANGE;
use crate::domain::{
    AvailableSkus, CheckStatus, Fix, FixKind, PreflightCheck, PreflightReport, ProvisionRequest,
    SkuAvailability,
};

/// The usage name of a region's total vCPUs.
const REGIONAL_CORES: &str = "cores";

fn check(
    name: &str,
    status: CheckStatus,
    message: String,
    details: serde_json::Value,
) -> PreflightCheck {
    PreflightCheck {
        name: name.to_owned(),
        status,
        message,
        details,
        fixes: Vec::new(),
    }
}

/// A VM size as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeInfo {
    pub name: String,
    pub family: String,
    pub vcpus: u32,
    pub blocked_reason: Option<String>,
}

pub fn size_info(skus: &[ResourceSku], name: &str, region: &str) -> Option<SizeInfo> {
    let sku = skus.iter().find(|s| s.name.eq_ignore_ascii_case(name))?;
    Some(SizeInfo {
        name: sku.name.clone(),
        family: sku.family.clone().unwrap_or_default(),
        vcpus: sku.vcpus().unwrap_or(0),
        blocked_reason: sku.location_restriction(region).map(str::to_owned),
    })
}

/// What the form offers for a region: its VM sizes with Azure's restrictions, and (when AKS's
/// list was read) its Kubernetes versions and AKS's default.
pub fn available_skus(
    region: &str,
    skus: &[ResourceSku],
    versions: Option<&[KubernetesVersion]>,
) -> AvailableSkus {
    let mut list: Vec<SkuAvailability> = skus
        .iter()
        .map(|s| {
            let reason = s.location_restriction(region).map(str::to_owned);
            SkuAvailability {
                name: s.name.clone(),
                family: s.family.clone().unwrap_or_default(),
                vcpus: s.vcpus().unwrap_or(0),
                available: reason.is_none(),
                reason,
            }
        })
        .collect();
    list.sort_by(|a, b| a.vcpus.cmp(&b.vcpus).then_with(|| a.name.cmp(&b.name)));
    let (kubernetes_versions, default_kubernetes_version) =
        versions.map(offered_versions).unwrap_or_default();
    AvailableSkus {
        region: region.to_owned(),
        skus: list,
        kubernetes_versions,
        default_kubernetes_version,
    }
}

/// The GA minor versions AKS offers (newest first) and its default, from the region's list.
pub fn offered_versions(versions: &[KubernetesVersion]) -> (Vec<String>, Option<String>) {
    let mut minors: Vec<&KubernetesVersion> = versions.iter().filter(|v| !v.is_preview).collect();
    minors.sort_by_key(|v| std::cmp::Reverse(version_key(&v.version)));
    let default = versions
        .iter()
        .find(|v| v.is_default)
        .map(|v| v.version.clone());
    (minors.iter().map(|v| v.version.clone()).collect(), default)
}

/// `1.31.2` → `[1, 31, 2]`, for ordering versions as numbers.
fn version_key(version: &str) -> Vec<u32> {
    version.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// The `kubernetes_version` check: AKS's default, or a minor or patch version the region
/// offers. When it fails, the fix is AKS's default (or the newest version offered).
pub fn evaluate_kubernetes_version(
    req: &ProvisionRequest,
    versions: &[KubernetesVersion],
) -> PreflightCheck {
    let (offered, default) = offered_versions(versions);
    let asked = req.kubernetes_version.trim();
    let details = serde_json::json!({ "offered": offered, "default": default });
    if asked.is_empty() {
        let message = match &default {
            Some(d) => format!("AKS's default version in {}: Kubernetes {d}.", req.region),
            None => format!("AKS chooses the version in {}.", req.region),
        };
        return check("kubernetes_version", CheckStatus::Ok, message, details);
    }
    let known = versions
        .iter()
        .any(|v| !v.is_preview && (v.version == asked || v.patch_versions.contains_key(asked)));
    if known {
        return check(
            "kubernetes_version",
            CheckStatus::Ok,
            format!("Kubernetes {asked} is offered in {}.", req.region),
            details,
        );
    }
    let list = if offered.is_empty() {
        "none".to_owned()
    } else {
        offered.join(", ")
    };
    let mut failing = check(
        "kubernetes_version",
        CheckStatus::Fail,
        format!(
            "Kubernetes {asked} is not offered in {}. Offered: {list}.",
            req.region
        ),
        details,
    );
    if let Some(version) = default.or_else(|| offered.first().cloned()) {
        let mut request = req.clone();
        request.kubernetes_version = version.clone();
        failing.fixes.push(Fix {
            cost: None,
            kind: FixKind::KubernetesVersion,
            label: format!("Use Kubernetes {version}"),
            request: Some(request),
            url: None,
        });
    }
    failing
}

/// The `skus` check: both sizes must be offered in the region and not restricted.
pub fn evaluate_skus(req: &ProvisionRequest, skus: &[ResourceSku]) -> PreflightCheck {
    let mut problems = Vec::new();
    for (role, size) in [("Node", &req.node_sku), ("System", &req.system_vm_size)] {
        match size_info(skus, size, &req.region) {
            None => problems.push(format!(
                "{role} size {size} is not offered in {}.",
                req.region
            )),
            Some(SizeInfo {
                blocked_reason: Some(reason),
                ..
            }) => problems.push(format!(
                "{role} size {size} is blocked in {} ({reason}).",
                req.region
            )),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        check(
            "skus",
            CheckStatus::Ok,
            format!(
                "{} and {} are available in {}.",
                req.node_sku, req.system_vm_size, req.region
            ),
            json!({}),
        )
    } else {
        check(
            "skus",
            CheckStatus::Fail,
            problems.join(" "),
            json!({ "problems": problems }),
        )
    }
}

/// Result of the quota arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaOutcome {
    pub check: PreflightCheck,
    /// Largest user-pool node count that fits (0 when not even the system pool fits).
    pub max_node_count: Option<u32>,
}

fn usage<'a>(usages: &'a [Usage], name: &str) -> Option<&'a Usage> {
    usages
        .iter()
        .find(|u| u.name.value.eq_ignore_ascii_case(name))
}

/// The `quota` check: vCPUs needed per family and in total against what is free, the shortfall,
/// the largest node count that fits and which limit binds.
pub fn evaluate_quota(
    req: &ProvisionRequest,
    skus: &[ResourceSku],
    usages: &[Usage],
) -> QuotaOutcome {
    let (Some(node), Some(system)) = (
        size_info(skus, &req.node_sku, &req.region),
        size_info(skus, &req.system_vm_size, &req.region),
    ) else {
        return QuotaOutcome {
            check: check(
                "quota",
                CheckStatus::Warn,
                "Quota not checked: a VM size is not offered in this region.".into(),
                json!({}),
            ),
            max_node_count: None,
        };
    };
    let node_need = u64::from(node.vcpus) * u64::from(req.node_count);
    let system_need = u64::from(system.vcpus) * u64::from(req.system_node_count);

    // Each limit: (label, free, needed by the system pool, vCPUs per user node).
    let mut limits: Vec<(String, i64, u64, u64)> = Vec::new();
    if let Some(u) = usage(usages, REGIONAL_CORES) {
        limits.push((
            "regional vCPUs".into(),
            u.available(),
            system_need,
            u64::from(node.vcpus),
        ));
    }
    let mut families = vec![node.family.clone()];
    if system.family != node.family {
        families.push(system.family.clone());
    }
    for family in &families {
        let Some(u) = usage(usages, family) else {
            continue;
        };
        let sys = if &system.family == family {
            system_need
        } else {
            0
        };
        let per_node = if &node.family == family {
            u64::from(node.vcpus)
        } else {
            0
        };
        limits.push((family.clone(), u.available(), sys, per_node));
    }
    if limits.is_empty() {
        return QuotaOutcome {
            check: check(
                "quota",
                CheckStatus::Warn,
                "Azure reported no vCPU quota for this region.".into(),
                json!({}),
            ),
            max_node_count: None,
        };
    }

    let mut max_nodes = u64::from(NODE_COUNT_RANGE.1);
    let mut binding: Option<String> = None;
    let mut shortfalls = Vec::new();
    let mut rows = Vec::new();
    for (label, free, sys, per_node) in &limits {
        let free = (*free).max(0) as u64;
        let need = sys + per_node * u64::from(req.node_count);
        rows.push(json!({ "limit": label, "free": free, "needed": need }));
        if need > free {
            shortfalls.push(format!(
                "{label}: needs {need}, {free} free (short by {})",
                need - free
            ));
        }
        if *per_node > 0 {
            let fits = free.saturating_sub(*sys) / per_node;
            let fits = if *sys > free { 0 } else { fits };
            if fits < max_nodes {
                max_nodes = fits;
                binding = Some(label.clone());
            }
        } else if *sys > free {
            max_nodes = 0;
            binding = Some(label.clone());
        }
    }
    let max_node_count = u32::try_from(max_nodes).unwrap_or(NODE_COUNT_RANGE.1);
    let total = node_need + system_need;
    let details = json!({
        "needed_vcpus": total,
        "limits": rows,
        "max_node_count": max_node_count,
        "binding_limit": binding,
    });
    let status_check = if shortfalls.is_empty() {
        check(
            "quota",
            CheckStatus::Ok,
            format!(
                "Needs {total} vCPUs; fits the quota (up to {max_node_count} nodes of {}).",
                node.name
            ),
            details,
        )
    } else {
        let fit = if max_node_count == 0 {
            "Not even one node fits.".to_owned()
        } else {
            format!("At most {max_node_count} node(s) of {} fit.", node.name)
        };
        check(
            "quota",
            CheckStatus::Fail,
            format!(
                "Not enough vCPU quota in {}: {}. {fit}",
                req.region,
                shortfalls.join("; ")
            ),
            details,
        )
    };
    QuotaOutcome {
        check: status_check,
        max_node_count: Some(max_node_count),
    }
}

/// Why Azure could not be read, as a pre-flight row says it: Azure's code and a sentence, never
/// the dashboard's own error text (which can name its identity, or the subscriptions it reaches).
pub fn azure_reason(err: &ArmError) -> (String, serde_json::Value) {
    let code = err.code().map(str::to_owned);
    let sentence = match err {
        ArmError::Network(_) => "Azure could not be reached".to_owned(),
        ArmError::Timeout(_) => "Azure did not answer in time".to_owned(),
        ArmError::Credential(_) => "the dashboard could not get an Azure access token".to_owned(),
        _ => match err.status() {
            Some(401 | 403) => "Azure refused the dashboard's read".to_owned(),
            Some(404) => "Azure does not know it".to_owned(),
            Some(429) => "Azure is throttling reads; it is checked again shortly".to_owned(),
            Some(s) if s >= 500 => "Azure had a problem answering".to_owned(),
            _ => "Azure's answer could not be used".to_owned(),
        },
    };
    let said = match &code {
        Some(code) => format!("{sentence} ({code})"),
        None => sentence,
    };
    (said, json!({ "code": code, "status": err.status() }))
}

/// The `resource_group` check. A missing group is created by the job only where the scope
/// allows it (`may_create`: a `subscription/*` entry of `AZURE_SCOPES` for the caller's role).
pub fn evaluate_resource_group(
    req: &ProvisionRequest,
    rg: &Result<Option<ResourceGroup>, ArmError>,
    may_create: bool,
) -> PreflightCheck {
    match rg {
        Ok(None) if may_create => check(
            "resource_group",
            CheckStatus::Ok,
            format!(
                "{} does not exist yet; it will be created in {}.",
                req.resource_group, req.region
            ),
            json!({ "exists": false }),
        ),
        Ok(None) => check(
            "resource_group",
            CheckStatus::Fail,
            format!(
                "{} does not exist, and this dashboard creates clusters only in existing resource \
                 groups of this subscription. Ask for it to be created, or pick another one.",
                req.resource_group
            ),
            json!({ "exists": false, "may_create": false }),
        ),
        // A group's location is only where its metadata lives: clusters of any region may
        // belong to it, so this is no reason to hesitate — said, not warned.
        Ok(Some(rg)) if !rg.location.eq_ignore_ascii_case(&req.region) => check(
            "resource_group",
            CheckStatus::Ok,
            format!(
                "{} exists (in {}); the cluster goes to {}.",
                req.resource_group, rg.location, req.region
            ),
            json!({ "exists": true, "location": rg.location }),
        ),
        Ok(Some(rg)) => check(
            "resource_group",
            CheckStatus::Ok,
            format!("{} exists in {}.", req.resource_group, rg.location),
            json!({ "exists": true, "location": rg.location }),
        ),
        Err(err) if err.is_subscription_not_found() => check(
            "resource_group",
            CheckStatus::Fail,
            format!(
                "Subscription {} was not found, or the dashboard's identity cannot see it: \
                 nothing can be created there.",
                req.subscription_id
            ),
            azure_reason(err).1,
        ),
        Err(err) => {
            let (said, details) = azure_reason(err);
            check(
                "resource_group",
                CheckStatus::Warn,
                format!("Could not read {}: {said}.", req.resource_group),
                details,
            )
        }
    }
}

/// The `name` check: a cluster of that name in the resource group (whoever made it) is never
/// changed by a create, so the create would fail.
pub fn evaluate_name(req: &ProvisionRequest, taken: Option<&ManagedCluster>) -> PreflightCheck {
    match taken {
        Some(c) => {
            let state = c
                .provisioning_state()
                .map_or("unknown state", |s| s.as_str());
            check(
                "name",
                CheckStatus::Fail,
                format!(
                    "A cluster named {} already exists in {} ({state}).",
                    req.cluster_name, req.resource_group
                ),
                json!({ "exists": true, "state": state }),
            )
        }
        None => check(
            "name",
            CheckStatus::Ok,
            format!("{} is free in {}.", req.cluster_name, req.resource_group),
            json!({ "exists": false }),
        ),
    }
}

fn unreadable(name: &str, what: &str, err: &ArmError) -> PreflightCheck {
    let (said, details) = azure_reason(err);
    check(
        name,
        CheckStatus::Warn,
        format!("Could not read {what}, so this was not checked: {said}."),
        details,
    )
}

/// Runs the checks against Azure's cached answers (reads of a cold cache in parallel). The
/// `name` check runs only when the request names the cluster.
pub async fn run_preflight(
    azure: &ArmCache,
    req: &ProvisionRequest,
    portal_url: String,
    may_create_rg: bool,
) -> PreflightReport {
    let with_name = !req.cluster_name.trim().is_empty();
    let (skus, usages, rg, taken, versions) = tokio::join!(
        azure.skus(&req.subscription_id, &req.region),
        azure.usages(&req.subscription_id, &req.region),
        azure.resource_group(&req.subscription_id, &req.resource_group),
        async {
            match with_name {
                true => Some(
                    azure
                        .known_cluster(
                            &req.subscription_id,
                            &req.resource_group,
                            &req.cluster_name,
                            true,
                        )
                        .await,
                ),
                false => None,
            }
        },
        azure.kubernetes_versions(&req.subscription_id, &req.region),
    );
    let rg = rg.map(|rg| rg.as_ref().clone());
    let mut checks = Vec::with_capacity(4);
    let mut max_node_count = None;
    match &skus {
        Ok(skus) => checks.push(evaluate_skus(req, skus)),
        Err(err) => checks.push(unreadable("skus", "the region's VM sizes", err)),
    }
    match (&skus, &usages) {
        (Ok(skus), Ok(usages)) => {
            let q = evaluate_quota(req, skus, usages);
            max_node_count = q.max_node_count;
            checks.push(q.check);
        }
        (_, Err(err)) | (Err(err), _) => {
            checks.push(unreadable("quota", "the region's quota", err))
        }
    }
    match &versions {
        Ok(versions) => checks.push(evaluate_kubernetes_version(req, versions)),
        Err(err) => checks.push(unreadable(
            "kubernetes_version",
            "the region's Kubernetes versions",
            err,
        )),
    }
    checks.push(evaluate_resource_group(req, &rg, may_create_rg));
    match &taken {
        Some(Ok(taken)) => checks.push(evaluate_name(req, taken.as_ref())),
        Some(Err(err)) => checks.push(unreadable("name", "the resource group's clusters", err)),
        None => {}
    }
    let ok = checks.iter().all(|c| c.status != CheckStatus::Fail);
    PreflightReport {
        ok,
        checks,
        portal_url,
        max_node_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::{SkuCapability, SkuRestriction, SkuRestrictionInfo, UsageName};

    fn sku(name: &str, family: &str, vcpus: u32, blocked_in: Option<&str>) -> ResourceSku {
        ResourceSku {
            resource_type: "virtualMachines".into(),
            name: name.into(),
            tier: Some("Standard".into()),
            size: None,
            family: Some(family.into()),
            locations: vec![],
            location_info: vec![],
            capabilities: vec![SkuCapability {
                name: "vCPUs".into(),
                value: vcpus.to_string(),
            }],
            restrictions: blocked_in
                .map(|r| {
                    vec![SkuRestriction {
                        restriction_type: "Location".into(),
                        values: vec![r.into()],
                        restriction_info: SkuRestrictionInfo::default(),
                        reason_code: Some("NotAvailableForSubscription".into()),
                    }]
                })
                .unwrap_or_default(),
        }
    }

    fn usage(name: &str, limit: i64, used: i64) -> Usage {
        Usage {
            name: UsageName {
                value: name.into(),
                localized_value: None,
            },
            current_value: used,
            limit,
            unit: None,
        }
    }

    fn world_skus(blocked_in: Option<&str>) -> Vec<ResourceSku> {
        vec![
            sku("Standard_D2s_v3", "standardDSv3Family", 2, None),
            sku("Standard_D4s_v3", "standardDSv3Family", 4, None),
            sku(
                "Standard_NC24ads_A100_v4",
                "standardNCADSA100v4Family",
                24,
                blocked_in,
            ),
        ]
    }

    fn req(region: &str, node: &str, count: u32) -> ProvisionRequest {
        ProvisionRequest {
            subscription_id: "11111111-2222-3333-4444-555555555555".into(),
            resource_group: "rg-aks-dev".into(),
            region: region.into(),
            cluster_name: "c1".into(),
            node_sku: node.into(),
            node_count: count,
            system_vm_size: "Standard_D2s_v3".into(),
            system_node_count: 1,
            kubernetes_version: String::new(),
        }
    }

    #[test]
    fn eastus_three_d4s_fails_quota_and_one_node_fits() {
        // eastus: regional 10/4, DSv3 10/4 → 6 free. System 1×2 + 3×4 = 14 needed.
        let usages = vec![usage("cores", 10, 4), usage("standardDSv3Family", 10, 4)];
        let q = evaluate_quota(
            &req("eastus", "Standard_D4s_v3", 3),
            &world_skus(None),
            &usages,
        );
        assert_eq!(q.check.status, CheckStatus::Fail);
        assert_eq!(q.max_node_count, Some(1));
        assert!(
            q.check.message.contains("needs 14, 6 free (short by 8)"),
            "{}",
            q.check.message
        );
        assert!(q.check.message.contains("At most 1 node(s)"));
    }

    #[test]
    fn a_fitting_request_passes_and_reports_the_largest_count() {
        let usages = vec![usage("cores", 100, 0), usage("standardDSv3Family", 48, 0)];
        let q = evaluate_quota(
            &req("koreacentral", "Standard_D4s_v3", 3),
            &world_skus(None),
            &usages,
        );
        assert_eq!(q.check.status, CheckStatus::Ok);
        // DSv3 48 free − 2 for the system pool = 46 → 11 nodes of 4 vCPUs.
        assert_eq!(q.max_node_count, Some(11));
        assert_eq!(q.check.details["binding_limit"], "standardDSv3Family");
    }

    #[test]
    fn blocked_sizes_fail_the_sku_check_with_azures_reason() {
        let c = evaluate_skus(
            &req("koreacentral", "Standard_NC24ads_A100_v4", 1),
            &world_skus(Some("koreacentral")),
        );
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(
            c.message.contains("NotAvailableForSubscription"),
            "{}",
            c.message
        );
        let c = evaluate_skus(
            &req("koreacentral", "Standard_D4s_v3", 1),
            &world_skus(Some("koreacentral")),
        );
        assert_eq!(c.status, CheckStatus::Ok);
    }

    #[test]
    fn resource_group_rules() {
        let r = req("eastus", "Standard_D4s_v3", 1);
        assert_eq!(
            evaluate_resource_group(&r, &Ok(None), true).status,
            CheckStatus::Ok
        );
        let not_ours = evaluate_resource_group(&r, &Ok(None), false);
        assert_eq!(not_ours.status, CheckStatus::Fail);
        assert!(
            not_ours
                .message
                .contains("only in existing resource groups"),
            "{}",
            not_ours.message
        );
        let elsewhere = ResourceGroup {
            id: None,
            name: Some("rg-aks-dev".into()),
            location: "koreacentral".into(),
            tags: Default::default(),
            properties: Default::default(),
        };
        let other_region = evaluate_resource_group(&r, &Ok(Some(elsewhere)), false);
        assert_eq!(other_region.status, CheckStatus::Ok);
        assert!(other_region.message.contains("(in koreacentral)"));
        let err = Err(ArmError::Network("connection refused".into()));
        assert_eq!(
            evaluate_resource_group(&r, &err, true).status,
            CheckStatus::Warn
        );
    }

    #[test]
    fn a_row_says_azures_code_and_a_sentence_never_the_identitys_own_words() {
        let r = req("eastus", "Standard_D4s_v3", 1);
        let refused = Err(ArmError::from_response(
            403,
            r#"{"error":{"code":"AuthorizationFailed","message":"The client 'c0ffee' with object id 'beef' does not have authorization to perform action 'read' over scope '/subscriptions/99999999-aaaa-bbbb-cccc-dddddddddddd'."}}"#.into(),
            None,
        ));
        let check = evaluate_resource_group(&r, &refused, true);
        assert!(
            check.message.contains("AuthorizationFailed"),
            "{}",
            check.message
        );
        assert!(!check.message.contains("beef"), "{}", check.message);
        assert!(
            !check.details.to_string().contains("99999999"),
            "{}",
            check.details
        );
        let token =
            ArmError::Credential("AADSTS700016: application 'c0ffee' not found in tenant".into());
        let check = unreadable("quota", "the region's quota", &token);
        assert!(!check.message.contains("c0ffee"), "{}", check.message);
        assert!(check.message.contains("access token"), "{}", check.message);
    }

    #[test]
    fn a_subscription_azure_cannot_find_fails_rather_than_will_be_created() {
        let r = req("eastus", "Standard_D4s_v3", 1);
        let missing = Err(ArmError::from_response(
            404,
            r#"{"error":{"code":"SubscriptionNotFound","message":"The subscription '99999999-2222-3333-4444-555555555555' could not be found."}}"#.into(),
            None,
        ));
        let check = evaluate_resource_group(&r, &missing, true);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(check.message.contains("was not found"), "{}", check.message);
    }
}
