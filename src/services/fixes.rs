//! One-click fixes: from a failed (or pre-flighted) request and what Azure says about the regions
//! (VM sizes with their restrictions, vCPU usage), the changed requests that would work — a node
//! count that fits, a size that is offered and fits, a region where the request fits as is, a
//! free variant of a taken name — and, for what no request fixes (permissions, policy, provider
//! registration), the link that does.
//!
//! Pure: [`compute_fixes`] takes the Azure data as arguments; every request it proposes passes the
//! same pre-flight evaluation ([`preflight::evaluate_skus`], [`preflight::evaluate_quota`]) that
//! the create will face, so a proposed fix never fails pre-flight when it is proposed.

use std::collections::HashSet;

use crate::azure::{ResourceSku, Usage};
use crate::domain::classify::Category;
use crate::domain::validation::{KNOWN_REGIONS, is_valid_cluster_name};
use crate::domain::{CheckStatus, Fix, FixKind, ProvisionRequest};
use crate::services::preflight::checks::{self as preflight, size_info};

/// What Azure says about one region.
#[derive(Debug, Clone, Copy)]
pub struct RegionView<'a> {
    pub region: &'a str,
    pub skus: &'a [ResourceSku],
    pub usages: &'a [Usage],
}

/// What the fixes know besides the regions.
#[derive(Debug, Clone, Default)]
pub struct FixContext {
    /// Cluster names taken in the request's resource group (lower-case): in Azure, or by a job in
    /// flight.
    pub taken_names: HashSet<String>,
    /// Portal host for the links, e.g. `https://portal.azure.com`.
    pub portal: String,
    pub tenant_id: String,
}

/// The most region fixes offered.
const MAX_REGIONS: usize = 2;

/// The fixes for a request that failed (or would fail) with `category`. `regions` should hold the
/// request's region and the others the product offers; a region missing from it is not proposed.
pub fn compute_fixes(
    req: &ProvisionRequest,
    category: Category,
    regions: &[RegionView<'_>],
    ctx: &FixContext,
) -> Vec<Fix> {
    let home = regions.iter().find(|r| r.region == req.region);
    let mut fixes = Vec::new();
    match category {
        Category::Quota => {
            if let Some(home) = home {
                fixes.extend(fewer_nodes(req, home));
                fixes.extend(smaller_size(req, home));
            }
            fixes.extend(other_regions(req, regions));
        }
        Category::SkuBlocked | Category::Allocation => {
            if let Some(home) = home {
                fixes.extend(other_size(req, home, category == Category::Allocation));
            }
            fixes.extend(other_regions(req, regions));
        }
        Category::Region => fixes.extend(other_regions(req, regions)),
        // AKS's default version is offered wherever AKS is.
        Category::KubernetesVersion if !req.kubernetes_version.is_empty() => {
            let mut request = req.clone();
            request.kubernetes_version = String::new();
            fixes.push(Fix {
                cost: None,
                kind: FixKind::KubernetesVersion,
                label: "Use AKS's default Kubernetes version".to_owned(),
                request: Some(request),
                url: None,
            });
        }
        Category::NameTaken => fixes.extend(free_name(req, &ctx.taken_names)),
        Category::RgPermission => fixes.push(link(
            "Ask for access to the resource group (IAM)",
            format!(
                "{}/#@{}/resource/subscriptions/{}/resourceGroups/{}/users",
                ctx.portal, ctx.tenant_id, req.subscription_id, req.resource_group
            ),
        )),
        Category::Policy => fixes.push(link(
            "See the policy that blocks it",
            format!(
                "{}/#view/Microsoft_Azure_Policy/PolicyMenuBlade/~/Compliance",
                ctx.portal
            ),
        )),
        Category::ProviderRegistration => fixes.push(link(
            "Register Microsoft.ContainerService",
            format!(
                "{}/#@{}/resource/subscriptions/{}/resourceproviders",
                ctx.portal, ctx.tenant_id, req.subscription_id
            ),
        )),
        _ => {}
    }
    fixes
}

fn link(label: &str, url: String) -> Fix {
    Fix {
        cost: None,
        kind: FixKind::Link,
        label: label.to_owned(),
        request: None,
        url: Some(url),
    }
}

/// Whether `req` passes the pre-flight checks that depend on the region's data.
pub fn passes(req: &ProvisionRequest, view: &RegionView<'_>) -> bool {
    preflight::evaluate_skus(req, view.skus).status != CheckStatus::Fail
        && preflight::evaluate_quota(req, view.skus, view.usages)
            .check
            .status
            != CheckStatus::Fail
}

/// vCPUs still free in a region (the regional total).
fn regional_free(view: &RegionView<'_>) -> Option<i64> {
    view.usages
        .iter()
        .find(|u| u.name.value.eq_ignore_ascii_case("cores"))
        .map(|u| u.available())
}

/// The largest node count that fits the quota where the request asked for more.
fn fewer_nodes(req: &ProvisionRequest, home: &RegionView<'_>) -> Option<Fix> {
    let quota = preflight::evaluate_quota(req, home.skus, home.usages);
    let fits = quota
        .max_node_count
        .filter(|n| *n >= 1 && *n < req.node_count)?;
    let request = ProvisionRequest {
        node_count: fits,
        ..req.clone()
    };
    if !passes(&request, home) {
        return None;
    }
    let free = binding_free(&quota.check.details).or_else(|| regional_free(home));
    let nodes = if fits == 1 { "node" } else { "nodes" };
    let label = match free {
        Some(free) => format!(
            "Use {fits} {nodes} — fits your {free} free vCPUs in {}",
            req.region
        ),
        None => format!("Use {fits} {nodes} — fits your quota in {}", req.region),
    };
    Some(Fix {
        cost: None,
        kind: FixKind::NodeCount,
        label,
        request: Some(request),
        url: None,
    })
}

/// The free vCPUs of the limit that binds, from the quota check's details.
fn binding_free(details: &serde_json::Value) -> Option<i64> {
    let binding = details.get("binding_limit")?.as_str()?;
    details
        .get("limits")?
        .as_array()?
        .iter()
        .find(|row| row.get("limit").and_then(|l| l.as_str()) == Some(binding))
        .and_then(|row| row.get("free")?.as_i64())
}

/// Sizes offered (not restricted) in the region, with their vCPUs and family.
fn offered(home: &RegionView<'_>) -> Vec<(String, String, u32)> {
    home.skus
        .iter()
        .filter_map(|s| size_info(home.skus, &s.name, home.region))
        .filter(|s| s.blocked_reason.is_none() && s.vcpus > 0)
        .map(|s| (s.name, s.family, s.vcpus))
        .collect()
}

/// A smaller size of the same family (then any family) that fits at the requested count.
fn smaller_size(req: &ProvisionRequest, home: &RegionView<'_>) -> Option<Fix> {
    let current = size_info(home.skus, &req.node_sku, home.region)?;
    let mut candidates: Vec<_> = offered(home)
        .into_iter()
        .filter(|(name, _, vcpus)| *vcpus < current.vcpus && name != &current.name)
        .collect();
    // Same family first, then the largest that is still smaller.
    candidates
        .sort_by_key(|(_, family, vcpus)| (family != &current.family, std::cmp::Reverse(*vcpus)));
    candidates.into_iter().find_map(|(name, _, vcpus)| {
        let request = ProvisionRequest {
            node_sku: name.clone(),
            ..req.clone()
        };
        passes(&request, home).then(|| Fix {
            cost: None,
            kind: FixKind::VmSize,
            label: format!(
                "Use {name} ({vcpus} vCPUs) — {} {} fit in {}",
                req.node_count,
                if req.node_count == 1 { "node" } else { "nodes" },
                req.region
            ),
            request: Some(request),
            url: None,
        })
    })
}

/// The size closest to a blocked one (or one Azure had no capacity for): same family and vCPUs
/// first, then the nearest vCPU count, that is offered and fits.
fn other_size(req: &ProvisionRequest, home: &RegionView<'_>, allocation: bool) -> Option<Fix> {
    // Which of the two sizes to change: a blocked one, else (allocation) the node size.
    let blocked = |size: &str| {
        size_info(home.skus, size, home.region).is_none_or(|s| s.blocked_reason.is_some())
    };
    let node_blocked = blocked(&req.node_sku);
    let system_blocked = blocked(&req.system_vm_size);
    let (target, is_node) = if node_blocked || (allocation && !system_blocked) {
        (req.node_sku.clone(), true)
    } else if system_blocked {
        (req.system_vm_size.clone(), false)
    } else {
        return None;
    };
    let wanted = crate::domain::validation::vcpus_of(&target).unwrap_or(0);
    let wanted_family = home
        .skus
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(&target))
        .and_then(|s| s.family.clone())
        .unwrap_or_default();
    let mut candidates: Vec<_> = offered(home)
        .into_iter()
        .filter(|(name, _, _)| !name.eq_ignore_ascii_case(&target))
        .collect();
    candidates.sort_by_key(|(name, family, vcpus)| {
        (
            family != &wanted_family,
            vcpus.abs_diff(wanted),
            // Bigger before smaller at the same distance: it surely holds the workload.
            std::cmp::Reverse(*vcpus),
            name.clone(),
        )
    });
    candidates.into_iter().find_map(|(name, _, vcpus)| {
        let request = if is_node {
            ProvisionRequest {
                node_sku: name.clone(),
                ..req.clone()
            }
        } else {
            ProvisionRequest {
                system_vm_size: name.clone(),
                ..req.clone()
            }
        };
        passes(&request, home).then(|| Fix {
            cost: None,
            kind: FixKind::VmSize,
            label: format!(
                "Use {name} ({vcpus} vCPUs) instead of {target} in {}",
                req.region
            ),
            request: Some(request),
            url: None,
        })
    })
}

/// Regions where the request fits as it is, nearest first.
fn other_regions(req: &ProvisionRequest, regions: &[RegionView<'_>]) -> Vec<Fix> {
    let mut fits: Vec<(&RegionView<'_>, ProvisionRequest)> = regions
        .iter()
        .filter(|r| r.region != req.region)
        .map(|r| {
            (
                r,
                ProvisionRequest {
                    region: r.region.to_owned(),
                    ..req.clone()
                },
            )
        })
        .filter(|(r, request)| passes(request, r))
        .collect();
    fits.sort_by_key(|(r, _)| distance_km(&req.region, r.region));
    fits.into_iter()
        .take(MAX_REGIONS)
        .map(|(r, request)| {
            let label = match regional_free(r) {
                Some(free) => format!("Create in {} — {free} vCPUs free", r.region),
                None => format!("Create in {}", r.region),
            };
            Fix {
                cost: None,
                kind: FixKind::Region,
                label,
                request: Some(request),
                url: None,
            }
        })
        .collect()
}

/// `name-2`, `name-3`, …: the first variant that follows Azure's rule and is not taken.
fn free_name(req: &ProvisionRequest, taken: &HashSet<String>) -> Option<Fix> {
    let base = req.cluster_name.trim_end_matches(['-', '_']);
    (2..100).find_map(|n| {
        let suffix = format!("-{n}");
        let keep = 63usize.saturating_sub(suffix.len()).min(base.len());
        let candidate = format!("{}{suffix}", &base[..keep]);
        (is_valid_cluster_name(&candidate) && !taken.contains(&candidate.to_ascii_lowercase()))
            .then(|| Fix {
                cost: None,
                kind: FixKind::Name,
                label: format!("Name it {candidate}"),
                request: Some(ProvisionRequest {
                    cluster_name: candidate,
                    ..req.clone()
                }),
                url: None,
            })
    })
}

/// Where the product's regions are (latitude, longitude), for "nearest first".
const REGION_PLACES: &[(&str, f64, f64)] = &[
    ("koreacentral", 37.57, 126.98),
    ("eastus", 37.37, -79.82),
    ("westeurope", 52.37, 4.90),
];

/// Great-circle distance in km between two regions; unknown ones are far away.
fn distance_km(a: &str, b: &str) -> u32 {
    let place = |r: &str| {
        REGION_PLACES
            .iter()
            .find(|(n, _, _)| *n == r)
            .map(|(_, la, lo)| (*la, *lo))
    };
    let (Some((la1, lo1)), Some((la2, lo2))) = (place(a), place(b)) else {
        return u32::MAX;
    };
    let (la1, lo1, la2, lo2) = (
        la1.to_radians(),
        lo1.to_radians(),
        la2.to_radians(),
        lo2.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    (2.0 * 6371.0 * h.sqrt().asin()) as u32
}

/// The regions a fix may propose.
pub fn candidate_regions() -> &'static [&'static str] {
    KNOWN_REGIONS
}

/// How long the fixes may wait for Azure (a cold cache) before the answer goes without them.
const FIX_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The fixes for `req` failing with `category`, from the shared cache of Azure's answers (the
/// regions' sizes and usage; the resource group's clusters for a taken name). No fixes when Azure
/// cannot be read in time: the failure is shown without them.
pub async fn fixes_for(
    azure: &crate::azure::ArmCache,
    req: &ProvisionRequest,
    category: Category,
    portal: &str,
    tenant_id: &str,
) -> Vec<Fix> {
    let needs_regions = matches!(
        category,
        Category::Quota | Category::SkuBlocked | Category::Allocation | Category::Region
    );
    let mut ctx = FixContext {
        taken_names: HashSet::new(),
        portal: portal.to_owned(),
        tenant_id: tenant_id.to_owned(),
    };
    let read = async {
        if category == Category::NameTaken {
            let list = azure
                .clusters(&req.subscription_id, &req.resource_group)
                .await
                .ok()?;
            ctx.taken_names = list
                .iter()
                .filter_map(|c| c.name.as_deref().map(str::to_ascii_lowercase))
                .collect();
        }
        let mut data = Vec::new();
        if needs_regions {
            let reads = candidate_regions().iter().map(|region| async move {
                let skus = azure.skus(&req.subscription_id, region).await.ok()?;
                let usages = azure.usages(&req.subscription_id, region).await.ok()?;
                Some((*region, skus, usages))
            });
            data = futures_util::future::join_all(reads)
                .await
                .into_iter()
                .flatten()
                .collect();
        }
        Some(data)
    };
    let Ok(Some(data)) = tokio::time::timeout(FIX_WAIT, read).await else {
        return Vec::new();
    };
    let views: Vec<RegionView<'_>> = data
        .iter()
        .map(|(region, skus, usages)| RegionView {
            region,
            skus,
            usages,
        })
        .collect();
    compute_fixes(req, category, &views, &ctx)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::armsim::answer::AnswerBody;
    use crate::armsim::catalog::Catalog;
    use crate::armsim::world::{Timing, World};
    use crate::azure::ArmList;
    use crate::config::{DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID, DEFAULT_TENANT_ID};

    /// What the simulator's default world (PRODUCT.md) answers about each region.
    fn default_world() -> Vec<(String, Vec<ResourceSku>, Vec<Usage>)> {
        let world = World::new(
            DEFAULT_SUBSCRIPTION_ID,
            DEFAULT_TENANT_ID,
            DEFAULT_RESOURCE_GROUP,
            Catalog::default(),
            Timing {
                create: Duration::from_secs(1),
                delete: Duration::from_secs(1),
                abort: Duration::from_secs(1),
                retry_after: Duration::ZERO,
            },
        );
        fn json<T: serde::de::DeserializeOwned>(body: AnswerBody) -> Vec<T> {
            match body {
                AnswerBody::Json(value) => {
                    serde_json::from_value::<ArmList<T>>(value)
                        .expect("an ARM list")
                        .value
                }
                _ => panic!("a JSON answer"),
            }
        }
        KNOWN_REGIONS
            .iter()
            .map(|r| {
                (
                    (*r).to_owned(),
                    json(world.skus(Some(r)).body),
                    json(world.usages(r).body),
                )
            })
            .collect()
    }

    fn views(data: &[(String, Vec<ResourceSku>, Vec<Usage>)]) -> Vec<RegionView<'_>> {
        data.iter()
            .map(|(region, skus, usages)| RegionView {
                region,
                skus,
                usages,
            })
            .collect()
    }

    fn request(region: &str, node_sku: &str, node_count: u32) -> ProvisionRequest {
        ProvisionRequest {
            subscription_id: DEFAULT_SUBSCRIPTION_ID.into(),
            resource_group: DEFAULT_RESOURCE_GROUP.into(),
            region: region.into(),
            cluster_name: "aks-demo".into(),
            node_sku: node_sku.into(),
            node_count,
            system_vm_size: "Standard_D2s_v3".into(),
            system_node_count: 1,
            kubernetes_version: String::new(),
        }
    }

    fn of_kind(fixes: &[Fix], kind: FixKind) -> Vec<&Fix> {
        fixes.iter().filter(|f| f.kind == kind).collect()
    }

    /// Every proposed request passes the pre-flight checks of its region.
    fn all_pass(fixes: &[Fix], regions: &[RegionView<'_>]) {
        for fix in fixes {
            let Some(req) = &fix.request else { continue };
            let view = regions
                .iter()
                .find(|r| r.region == req.region)
                .expect("a known region");
            assert!(passes(req, view), "{fix:?} does not pass pre-flight");
        }
    }

    #[test]
    fn the_eastus_quota_case_offers_one_node_a_smaller_size_and_roomier_regions() {
        let data = default_world();
        let regions = views(&data);
        // eastus: 6 vCPUs free; 1 × 2 (system) + 3 × 4 = 14 needed.
        let req = request("eastus", "Standard_D4s_v3", 3);
        let fixes = compute_fixes(&req, Category::Quota, &regions, &FixContext::default());
        all_pass(&fixes, &regions);

        let count = of_kind(&fixes, FixKind::NodeCount);
        assert_eq!(count.len(), 1, "{fixes:?}");
        assert_eq!(count[0].request.as_ref().map(|r| r.node_count), Some(1));
        assert_eq!(
            count[0].label,
            "Use 1 node — fits your 6 free vCPUs in eastus"
        );

        // A smaller size at 3 nodes does not fit either (1 × 2 + 3 × 2 = 8 > 6): none offered.
        assert!(of_kind(&fixes, FixKind::VmSize).is_empty(), "{fixes:?}");

        let regions_offered: Vec<&str> = of_kind(&fixes, FixKind::Region)
            .iter()
            .filter_map(|f| f.request.as_ref().map(|r| r.region.as_str()))
            .collect();
        // westeurope is nearer to eastus than koreacentral.
        assert_eq!(regions_offered, ["westeurope", "koreacentral"]);
        assert!(
            of_kind(&fixes, FixKind::Region)[0]
                .label
                .starts_with("Create in westeurope — 200 vCPUs free")
        );
    }

    #[test]
    fn a_smaller_size_of_the_same_family_is_offered_when_it_fits_at_the_count_asked() {
        let data = default_world();
        let regions = views(&data);
        // 1 × 2 + 2 × 4 = 10 > 6; with D2s_v3, 1 × 2 + 2 × 2 = 6 fits.
        let req = request("eastus", "Standard_D4s_v3", 2);
        let fixes = compute_fixes(&req, Category::Quota, &regions, &FixContext::default());
        all_pass(&fixes, &regions);
        let size = of_kind(&fixes, FixKind::VmSize);
        assert_eq!(size.len(), 1, "{fixes:?}");
        let proposed = size[0].request.as_ref().expect("a request");
        assert_eq!(
            (proposed.node_sku.as_str(), proposed.node_count),
            ("Standard_D2s_v3", 2)
        );
        assert_eq!(
            size[0].label,
            "Use Standard_D2s_v3 (2 vCPUs) — 2 nodes fit in eastus"
        );
    }

    #[test]
    fn the_blocked_a100_in_koreacentral_offers_an_available_size_and_a_region_that_has_it() {
        let data = default_world();
        let regions = views(&data);
        let req = request("koreacentral", "Standard_NC24ads_A100_v4", 1);
        let fixes = compute_fixes(&req, Category::SkuBlocked, &regions, &FixContext::default());
        all_pass(&fixes, &regions);
        let size = of_kind(&fixes, FixKind::VmSize);
        assert_eq!(size.len(), 1, "{fixes:?}");
        let proposed = size[0].request.as_ref().expect("a request");
        assert_eq!(proposed.region, "koreacentral");
        assert_ne!(proposed.node_sku, "Standard_NC24ads_A100_v4");
        // The A100 is offered (with quota) in westeurope only.
        let region: Vec<&str> = of_kind(&fixes, FixKind::Region)
            .iter()
            .filter_map(|f| f.request.as_ref().map(|r| r.region.as_str()))
            .collect();
        assert_eq!(region, ["westeurope"]);
    }

    #[test]
    fn an_allocation_failure_offers_another_size_and_another_region() {
        let data = default_world();
        let regions = views(&data);
        let req = request("westeurope", "Standard_D8s_v3", 2);
        let fixes = compute_fixes(&req, Category::Allocation, &regions, &FixContext::default());
        all_pass(&fixes, &regions);
        let size = of_kind(&fixes, FixKind::VmSize);
        let proposed = size[0].request.as_ref().expect("a request");
        assert_ne!(proposed.node_sku, "Standard_D8s_v3");
        assert_eq!(proposed.region, "westeurope");
        assert!(!of_kind(&fixes, FixKind::Region).is_empty(), "{fixes:?}");
    }

    #[test]
    fn a_taken_name_offers_the_first_free_variant() {
        let ctx = FixContext {
            taken_names: ["aks-demo", "aks-demo-2"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            ..FixContext::default()
        };
        let req = request("koreacentral", "Standard_D2s_v3", 1);
        let fixes = compute_fixes(&req, Category::NameTaken, &[], &ctx);
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].kind, FixKind::Name);
        assert_eq!(
            fixes[0].request.as_ref().map(|r| r.cluster_name.as_str()),
            Some("aks-demo-3")
        );
        // A long name stays within Azure's 63 characters.
        let long = ProvisionRequest {
            cluster_name: "a".repeat(63),
            ..req
        };
        let fixes = compute_fixes(&long, Category::NameTaken, &[], &ctx);
        let name = &fixes[0].request.as_ref().expect("a request").cluster_name;
        assert!(name.len() <= 63 && name.ends_with("-2"), "{name}");
    }

    #[test]
    fn permission_policy_and_registration_failures_get_the_link_that_fixes_them() {
        let ctx = FixContext {
            portal: "https://portal.azure.com".into(),
            tenant_id: DEFAULT_TENANT_ID.into(),
            ..FixContext::default()
        };
        let req = request("eastus", "Standard_D2s_v3", 1);
        for category in [
            Category::RgPermission,
            Category::Policy,
            Category::ProviderRegistration,
        ] {
            let fixes = compute_fixes(&req, category, &[], &ctx);
            assert_eq!(fixes.len(), 1, "{category:?}");
            assert_eq!(fixes[0].kind, FixKind::Link);
            assert!(fixes[0].request.is_none());
            assert!(
                fixes[0]
                    .url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://portal.azure.com/"))
            );
        }
    }

    #[test]
    fn nothing_is_proposed_that_would_fail() {
        let data = default_world();
        let regions = views(&data);
        // 100 nodes of E16s fit nowhere: no fix rather than a wrong one.
        let req = request("eastus", "Standard_E16s_v5", 100);
        let fixes = compute_fixes(&req, Category::Quota, &regions, &FixContext::default());
        all_pass(&fixes, &regions);
        assert!(of_kind(&fixes, FixKind::Region).is_empty(), "{fixes:?}");
    }

    #[test]
    fn regions_are_ordered_by_distance() {
        assert!(distance_km("eastus", "westeurope") < distance_km("eastus", "koreacentral"));
        assert!(distance_km("koreacentral", "westeurope") < distance_km("koreacentral", "eastus"));
        assert_eq!(distance_km("eastus", "marscentral"), u32::MAX);
    }

    #[test]
    fn an_unsupported_kubernetes_version_is_fixed_by_aks_default() {
        let mut req = request("eastus", "Standard_D2s_v3", 1);
        req.kubernetes_version = "1.19".into();
        let fixes = compute_fixes(
            &req,
            Category::KubernetesVersion,
            &[],
            &FixContext::default(),
        );
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].kind, FixKind::KubernetesVersion);
        let fixed = fixes[0].request.as_ref().expect("a request");
        assert_eq!(fixed.kubernetes_version, "");
        assert_eq!(fixed.node_sku, req.node_sku);
        req.kubernetes_version.clear();
        assert!(
            compute_fixes(
                &req,
                Category::KubernetesVersion,
                &[],
                &FixContext::default()
            )
            .is_empty()
        );
    }
}
