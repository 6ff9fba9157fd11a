//! Resource groups: read, created on demand in a region of the world.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{SimResourceGroup, World};
use crate::armsim::answer::Answer;
use crate::armsim::catalog::normalize_location;
use crate::armsim::rules;

impl World {
    pub fn resource_group_exists(&self, name: &str) -> bool {
        self.resource_groups
            .contains_key(&name.to_ascii_lowercase())
    }

    fn resource_group_json(&self, rg: &SimResourceGroup) -> Value {
        json!({
            "id": format!("/subscriptions/{}/resourceGroups/{}", self.subscription_id, rg.name),
            "name": rg.name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": rg.location,
            "properties": { "provisioningState": "Succeeded" },
        })
    }

    pub fn get_resource_group(&self, name: &str) -> Answer {
        match self.resource_groups.get(&name.to_ascii_lowercase()) {
            Some(rg) => Answer::json(200, self.resource_group_json(rg)),
            None => rules::resource_group_not_found(name),
        }
    }

    pub fn put_resource_group(&mut self, name: &str, body: &[u8]) -> Answer {
        #[derive(Deserialize)]
        struct Body {
            location: Option<String>,
        }
        let location = match serde_json::from_slice::<Body>(body) {
            Ok(Body { location: Some(l) }) if !l.trim().is_empty() => normalize_location(&l),
            Ok(_) => {
                return Answer::error(
                    400,
                    "LocationRequired",
                    "The location property is required for this definition.",
                );
            }
            Err(e) => return rules::invalid_content(&e),
        };
        if self.catalog.region(&location).is_none() {
            return Answer::error(
                400,
                "LocationNotAvailableForResourceGroup",
                format!("The provided location '{location}' is not available for resource group."),
            );
        }
        let key = name.to_ascii_lowercase();
        if let Some(existing) = self.resource_groups.get(&key) {
            if existing.location != location {
                return Answer::error(
                    409,
                    "InvalidResourceGroupLocation",
                    format!(
                        "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                        existing.location
                    ),
                );
            }
            return Answer::json(200, self.resource_group_json(existing));
        }
        let rg = SimResourceGroup {
            name: name.into(),
            location,
        };
        let body = self.resource_group_json(&rg);
        self.resource_groups.insert(key, rg);
        Answer::json(201, body)
    }
}
