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
use crate::provisioning::classify::Category;
use crate::provisioning::model::{CheckStatus, Fix, FixKind, ProvisionRequest};
use crate::provisioning::preflight::{self, size_info};
use crate::provisioning::validate::{KNOWN_REGIONS, is_valid_cluster_name};

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
    let fits = quota.max_node_count.filter(|n| *n >= 1 && *n < req.node_count)?;
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
    candidates.sort_by_key(|(_, family, vcpus)| (family != &current.family, std::cmp::Reverse(*vcpus)));
    candidates.into_iter().find_map(|(name, _, vcpus)| {
        let request = ProvisionRequest {
            node_sku: name.clone(),
            ..req.clone()
        };
        passes(&request, home).then(|| Fix {
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
    let wanted = crate::provisioning::validate::vcpus_of(&target).unwrap_or(0);
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
    let base = req.cluster_name.trim_end_matches(|c: char| c == '-' || c == '_');
    (2..100).find_map(|n| {
        let suffix = format!("-{n}");
        let keep = 63usize.saturating_sub(suffix.len()).min(base.len());
        let candidate = format!("{}{suffix}", &base[..keep]);
        (is_valid_cluster_name(&candidate) && !taken.contains(&candidate.to_ascii_lowercase()))
            .then(|| Fix {
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
    let place = |r: &str| REGION_PLACES.iter().find(|(n, _, _)| *n == r).map(|(_, la, lo)| (*la, *lo));
    let (Some((la1, lo1)), Some((la2, lo2))) = (place(a), place(b)) else {
        return u32::MAX;
    };
    let (la1, lo1, la2, lo2) = (la1.to_radians(), lo1.to_radians(), la2.to_radians(), lo2.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    (2.0 * 6371.0 * h.sqrt().asin()) as u32
}

/// The regions a fix may propose.
pub fn candidate_regions() -> &'static [&'static str] {
    KNOWN_REGIONS
}
