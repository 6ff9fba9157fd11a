//! What a region of the simulated subscription offers, as `Microsoft.Compute` and
//! `Microsoft.ContainerService` answer it: VM sizes with their restrictions, vCPU usages that
//! grow with the clusters, Kubernetes versions.

use serde_json::{Value, json};

use super::World;
use crate::armsim::answer::Answer;
use crate::armsim::catalog::normalize_location;
use crate::armsim::rules;

impl World {
    /// `Microsoft.Compute/skus`: every size in every region (or in `location` only).
    pub fn skus(&self, location: Option<&str>) -> Answer {
        let location = location.map(normalize_location);
        let mut value = Vec::new();
        for region in self.catalog.regions() {
            if location.as_deref().is_some_and(|l| l != region.name) {
                continue;
            }
            for size in self.catalog.vm_sizes() {
                let restrictions: Vec<Value> = region
                    .restriction(&size.name)
                    .map(|reason| {
                        json!({
                            "type": "Location",
                            "values": [region.name],
                            "restrictionInfo": { "locations": [region.name] },
                            "reasonCode": reason,
                        })
                    })
                    .into_iter()
                    .collect();
                value.push(json!({
                    "resourceType": "virtualMachines",
                    "name": size.name,
                    "tier": "Standard",
                    "size": size.name.trim_start_matches("Standard_"),
                    "family": size.family,
                    "locations": [region.name],
                    "locationInfo": [{ "location": region.name, "zones": ["1", "2", "3"] }],
                    "capabilities": [
                        { "name": "vCPUs", "value": size.vcpus.to_string() },
                        { "name": "MemoryGB", "value": size.memory_gb.to_string() },
                    ],
                    "restrictions": restrictions,
                }));
            }
        }
        Answer::json(200, json!({ "value": value }))
    }

    /// `Microsoft.Compute/locations/{region}/usages`: the regional total and each family.
    pub fn usages(&self, location: &str) -> Answer {
        let (Some(region), Some(usage)) = (self.catalog.region(location), self.usage(location))
        else {
            return rules::location_not_found(location);
        };
        let mut value = vec![json!({
            "unit": "Count",
            "currentValue": usage.regional,
            "limit": region.regional_limit,
            "name": { "value": "cores", "localizedValue": "Total Regional vCPUs" },
        })];
        for family in &region.families {
            let label = family
                .family
                .trim_start_matches("standard")
                .trim_end_matches("Family");
            value.push(json!({
                "unit": "Count",
                "currentValue": usage.family(&family.family),
                "limit": family.limit,
                "name": { "value": family.family, "localizedValue": format!("Standard {label} Family vCPUs") },
            }));
        }
        Answer::json(200, json!({ "value": value }))
    }

    pub fn kubernetes_versions(&self, location: &str) -> Answer {
        if self.catalog.region(location).is_none() {
            return rules::location_not_found(location);
        }
        let values: Vec<Value> = self
            .catalog
            .kubernetes_versions
            .iter()
            .map(|minor| {
                let patch_versions: serde_json::Map<String, Value> = minor
                    .patches
                    .iter()
                    .map(|p| (p.clone(), json!({ "upgrades": [] })))
                    .collect();
                json!({
                    "version": minor.version,
                    "isDefault": minor.is_default,
                    "isPreview": false,
                    "capabilities": { "supportPlan": ["KubernetesOfficial"] },
                    "patchVersions": patch_versions,
                })
            })
            .collect();
        Answer::json(200, json!({ "values": values }))
    }
}
