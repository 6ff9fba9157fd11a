//! What the simulated subscription offers before anyone creates anything: VM sizes, regions
//! with their vCPU limits and restrictions, Kubernetes versions and the resource groups that
//! exist from the start. The default is the world PRODUCT.md describes; `aks-dashboard armsim
//! --world FILE` reads another one from JSON (format in `docs/arm-simulator.md`), and
//! `--quota-scale N` multiplies every vCPU limit.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A VM size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VmSize {
    pub name: String,
    pub family: String,
    pub vcpus: u32,
    #[serde(default)]
    pub memory_gb: u32,
}

/// The vCPU limit of one family in a region, and what is used outside the simulated clusters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyQuota {
    pub family: String,
    pub limit: i64,
    #[serde(default)]
    pub used: i64,
}

/// A size blocked in a whole region, with the reason code `Microsoft.Compute/skus` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Restriction {
    pub vm_size: String,
    #[serde(default = "not_available_for_subscription")]
    pub reason: String,
}

fn not_available_for_subscription() -> String {
    "NotAvailableForSubscription".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub name: String,
    pub regional_limit: i64,
    #[serde(default)]
    pub regional_used: i64,
    #[serde(default)]
    pub families: Vec<FamilyQuota>,
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
}

impl Region {
    pub fn family(&self, family: &str) -> Option<&FamilyQuota> {
        self.families
            .iter()
            .find(|f| f.family.eq_ignore_ascii_case(family))
    }

    /// The reason code when `size` is blocked in this region.
    pub fn restriction(&self, size: &str) -> Option<&str> {
        self.restrictions
            .iter()
            .find(|r| r.vm_size.eq_ignore_ascii_case(size))
            .map(|r| r.reason.as_str())
    }
}

/// One Kubernetes minor version: its patches, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubernetesMinor {
    pub version: String,
    pub patches: Vec<String>,
    #[serde(default)]
    pub is_default: bool,
}

/// A resource group that exists from the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitialResourceGroup {
    pub name: String,
    pub location: String,
}

/// The world file: every part optional; what is left out comes from the default world.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldFile {
    #[serde(default)]
    pub vm_sizes: Option<Vec<VmSize>>,
    #[serde(default)]
    pub regions: Option<Vec<Region>>,
    #[serde(default)]
    pub kubernetes_versions: Option<Vec<KubernetesMinor>>,
    #[serde(default)]
    pub resource_groups: Option<Vec<InitialResourceGroup>>,
}

/// What the simulated subscription offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    vm_sizes: Vec<VmSize>,
    /// Lower-case size name → index in `vm_sizes`: every PUT looks sizes up.
    size_index: HashMap<String, usize>,
    regions: Vec<Region>,
    pub kubernetes_versions: Vec<KubernetesMinor>,
    /// Resource groups that exist from the start, besides the configured one.
    pub resource_groups: Vec<InitialResourceGroup>,
}

impl Default for Catalog {
    /// The default world of PRODUCT.md.
    fn default() -> Self {
        let size = |name: &str, family: &str, vcpus, memory_gb| VmSize {
            name: name.into(),
            family: family.into(),
            vcpus,
            memory_gb,
        };
        let family = |family: &str, limit, used| FamilyQuota {
            family: family.into(),
            limit,
            used,
        };
        let minor = |version: &str, patches: &[&str], is_default| KubernetesMinor {
            version: version.into(),
            patches: patches.iter().map(|p| p.to_string()).collect(),
            is_default,
        };
        Self::new(
            vec![
                size("Standard_D2s_v3", "standardDSv3Family", 2, 8),
                size("Standard_D4s_v3", "standardDSv3Family", 4, 16),
                size("Standard_D8s_v3", "standardDSv3Family", 8, 32),
                size("Standard_E16s_v5", "standardESv5Family", 16, 128),
                size(
                    "Standard_NC24ads_A100_v4",
                    "standardNCADSA100v4Family",
                    24,
                    220,
                ),
            ],
            vec![
                Region {
                    name: "koreacentral".into(),
                    regional_limit: 100,
                    regional_used: 0,
                    families: vec![
                        family("standardDSv3Family", 48, 0),
                        family("standardESv5Family", 32, 0),
                        family("standardNCADSA100v4Family", 0, 0),
                    ],
                    restrictions: vec![Restriction {
                        vm_size: "Standard_NC24ads_A100_v4".into(),
                        reason: not_available_for_subscription(),
                    }],
                },
                Region {
                    name: "eastus".into(),
                    regional_limit: 10,
                    regional_used: 4,
                    families: vec![
                        family("standardDSv3Family", 10, 4),
                        family("standardESv5Family", 0, 0),
                    ],
                    restrictions: vec![],
                },
                Region {
                    name: "westeurope".into(),
                    regional_limit: 200,
                    regional_used: 0,
                    families: vec![
                        family("standardDSv3Family", 100, 0),
                        family("standardESv5Family", 64, 0),
                        family("standardNCADSA100v4Family", 48, 0),
                    ],
                    restrictions: vec![],
                },
            ],
            vec![
                minor("1.29", &["1.29.9", "1.29.8"], false),
                minor("1.30", &["1.30.5", "1.30.4"], true),
                minor("1.31", &["1.31.1"], false),
            ],
            vec![],
        )
    }
}

impl Catalog {
    pub fn new(
        vm_sizes: Vec<VmSize>,
        regions: Vec<Region>,
        kubernetes_versions: Vec<KubernetesMinor>,
        resource_groups: Vec<InitialResourceGroup>,
    ) -> Self {
        let size_index = vm_sizes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.to_ascii_lowercase(), i))
            .collect();
        let regions = regions
            .into_iter()
            .map(|mut r| {
                r.name = normalize_location(&r.name);
                r
            })
            .collect();
        let resource_groups = resource_groups
            .into_iter()
            .map(|mut rg| {
                rg.location = normalize_location(&rg.location);
                rg
            })
            .collect();
        Self {
            vm_sizes,
            size_index,
            regions,
            kubernetes_versions,
            resource_groups,
        }
    }

    /// The default world with the parts a world file gives replaced.
    pub fn from_file(file: WorldFile) -> Result<Self, String> {
        let default = Self::default();
        let catalog = Self::new(
            file.vm_sizes.unwrap_or(default.vm_sizes),
            file.regions.unwrap_or(default.regions),
            file.kubernetes_versions
                .unwrap_or(default.kubernetes_versions),
            file.resource_groups.unwrap_or(default.resource_groups),
        );
        catalog.check()?;
        Ok(catalog)
    }

    /// Reads a world file (JSON).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("world file {}: {e}", path.display()))?;
        let file: WorldFile = serde_json::from_str(&text)
            .map_err(|e| format!("world file {}: {e}", path.display()))?;
        Self::from_file(file).map_err(|e| format!("world file {}: {e}", path.display()))
    }

    /// Every vCPU limit (regional and per family) multiplied by `factor`; what is used stays.
    pub fn with_quota_scale(mut self, factor: f64) -> Result<Self, String> {
        if !(factor.is_finite() && factor >= 0.0) {
            return Err(format!(
                "quota scale {factor} must be a non-negative number"
            ));
        }
        let scale = |limit: i64| (limit as f64 * factor).round() as i64;
        for region in &mut self.regions {
            region.regional_limit = scale(region.regional_limit);
            for family in &mut region.families {
                family.limit = scale(family.limit);
            }
        }
        Ok(self)
    }

    fn check(&self) -> Result<(), String> {
        if self.regions.is_empty() {
            return Err("at least one region is needed".into());
        }
        if self.vm_sizes.is_empty() {
            return Err("at least one VM size is needed".into());
        }
        if self.size_index.len() != self.vm_sizes.len() {
            return Err("VM size names must be unique".into());
        }
        if self.kubernetes_versions.iter().all(|v| !v.is_default) {
            return Err("one Kubernetes version must be `is_default`".into());
        }
        if let Some(rg) = self
            .resource_groups
            .iter()
            .find(|rg| self.region(&rg.location).is_none())
        {
            return Err(format!(
                "resource group {} is in {}, which is not a region of the world",
                rg.name, rg.location
            ));
        }
        Ok(())
    }

    pub fn vm_sizes(&self) -> &[VmSize] {
        &self.vm_sizes
    }

    pub fn vm_size(&self, name: &str) -> Option<&VmSize> {
        self.size_index
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.vm_sizes[i])
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn region(&self, location: &str) -> Option<&Region> {
        let location = normalize_location(location);
        self.regions.iter().find(|r| r.name == location)
    }

    /// The patch version a requested version means: the default when none is given, the newest
    /// patch of a minor version, or the exact patch.
    pub fn resolve_kubernetes_version(&self, requested: Option<&str>) -> Option<&str> {
        let versions = &self.kubernetes_versions;
        match requested.map(str::trim).filter(|v| !v.is_empty()) {
            None => versions
                .iter()
                .find(|v| v.is_default)
                .and_then(|v| v.patches.first())
                .map(String::as_str),
            Some(wanted) => versions.iter().find_map(|v| {
                if v.version == wanted {
                    v.patches.first().map(String::as_str)
                } else {
                    v.patches.iter().find(|p| *p == wanted).map(String::as_str)
                }
            }),
        }
    }
}

/// ARM accepts "Korea Central" and "koreacentral" alike.
pub fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_versions_resolve_to_a_patch() {
        let catalog = Catalog::default();
        assert_eq!(catalog.resolve_kubernetes_version(None), Some("1.30.5"));
        assert_eq!(
            catalog.resolve_kubernetes_version(Some("1.29")),
            Some("1.29.9")
        );
        assert_eq!(
            catalog.resolve_kubernetes_version(Some("1.31.1")),
            Some("1.31.1")
        );
        assert_eq!(catalog.resolve_kubernetes_version(Some("1.20")), None);
    }

    #[test]
    fn locations_are_normalized() {
        assert_eq!(normalize_location("Korea Central"), "koreacentral");
        assert!(Catalog::default().region("West Europe").is_some());
    }

    #[test]
    fn sizes_are_found_whatever_their_case() {
        let catalog = Catalog::default();
        assert_eq!(catalog.vm_size("standard_d4s_v3").map(|s| s.vcpus), Some(4));
        assert!(catalog.vm_size("Standard_Z1").is_none());
    }

    #[test]
    fn a_world_file_replaces_only_what_it_gives() {
        let file: WorldFile = serde_json::from_value(serde_json::json!({
            "regions": [{
                "name": "West Europe",
                "regional_limit": 5000,
                "families": [{"family": "standardDSv3Family", "limit": 5000}]
            }],
            "resource_groups": [{"name": "rg-bench", "location": "westeurope"}]
        }))
        .expect("world file");
        let catalog = Catalog::from_file(file).expect("valid world");
        assert_eq!(catalog.regions().len(), 1);
        assert_eq!(catalog.regions()[0].name, "westeurope");
        assert_eq!(
            catalog.vm_sizes().len(),
            Catalog::default().vm_sizes().len()
        );
        assert_eq!(catalog.resource_groups[0].name, "rg-bench");
    }

    #[test]
    fn a_world_file_with_a_group_outside_its_regions_is_refused() {
        let file: WorldFile = serde_json::from_value(serde_json::json!({
            "resource_groups": [{"name": "rg", "location": "marscentral"}]
        }))
        .expect("world file");
        let refused = Catalog::from_file(file).expect_err("unknown region");
        assert!(refused.contains("marscentral"), "{refused}");
        let typo: Result<WorldFile, _> = serde_json::from_value(serde_json::json!({"regoins": []}));
        assert!(typo.is_err(), "unknown keys are refused");
    }

    #[test]
    fn the_benchmark_world_fits_a_thousand_small_clusters_in_westeurope() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/world-big.json");
        let catalog = Catalog::load(&path).expect("bench/world-big.json loads");
        let westeurope = catalog.region("westeurope").expect("westeurope");
        let d2 = catalog.vm_size("Standard_D2s_v3").expect("D2s_v3").vcpus;
        // One system node and one user node of Standard_D2s_v3 per cluster.
        let needed = 1000 * 2 * i64::from(d2);
        assert!(westeurope.regional_limit >= needed);
        assert!(
            westeurope
                .family("standardDSv3Family")
                .is_some_and(|f| f.limit >= needed)
        );
        assert_eq!(catalog.resource_groups[0].name, "rg-bench");
    }

    #[test]
    fn quota_scale_multiplies_limits_not_usage() {
        let catalog = Catalog::default().with_quota_scale(10.0).expect("scale");
        let eastus = catalog.region("eastus").expect("eastus");
        assert_eq!((eastus.regional_limit, eastus.regional_used), (100, 4));
        assert_eq!(
            eastus.family("standardDSv3Family").map(|f| f.limit),
            Some(100)
        );
        assert!(Catalog::default().with_quota_scale(-1.0).is_err());
    }
}
