//! Input rules for a provision request: Azure's own naming rules and the product's bounds. Pure,
//! so the browser checks the form with exactly the rules the server enforces.

use std::collections::BTreeMap;

use super::ProvisionRequest;

/// The regions the product offers (the simulator's default world knows these).
pub const KNOWN_REGIONS: &[&str] = &["koreacentral", "eastus", "westeurope"];

/// The VM sizes the product offers, with their vCPU count and quota family.
pub const KNOWN_VM_SIZES: &[(&str, &str, u32)] = &[
    ("Standard_D2s_v3", "standardDSv3Family", 2),
    ("Standard_D4s_v3", "standardDSv3Family", 4),
    ("Standard_D8s_v3", "standardDSv3Family", 8),
    ("Standard_E16s_v5", "standardESv5Family", 16),
    ("Standard_NC24ads_A100_v4", "standardNCADSA100v4Family", 24),
];

pub const NODE_COUNT_RANGE: (u32, u32) = (1, 100);
pub const SYSTEM_NODE_COUNT_RANGE: (u32, u32) = (1, 3);
pub const RESOURCE_GROUP_MAX_LEN: usize = 90;
/// AKS names the node resource group `MC_{group}_{cluster}_{region}`; it must fit in 80
/// characters (AKS FAQ: "What naming restrictions are enforced for AKS resources and
/// parameters?").
pub const NODE_RESOURCE_GROUP_MAX_LEN: usize = 80;

/// The node resource group AKS creates for a cluster.
pub fn node_resource_group_name(resource_group: &str, cluster_name: &str, region: &str) -> String {
    format!("MC_{resource_group}_{cluster_name}_{region}")
}

/// vCPUs of a known VM size.
pub fn vcpus_of(size: &str) -> Option<u32> {
    KNOWN_VM_SIZES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(size))
        .map(|(_, _, v)| *v)
}

/// Azure's managed cluster name rule:
/// `^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$`.
pub fn is_valid_cluster_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge = |b: u8| b.is_ascii_alphanumeric();
    match bytes.len() {
        1 => edge(bytes[0]),
        2..=63 => {
            edge(bytes[0])
                && edge(bytes[bytes.len() - 1])
                && bytes[1..bytes.len() - 1]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        }
        _ => false,
    }
}

/// Azure's agent pool name rule: `^[a-z][a-z0-9]{0,11}$`.
pub fn is_valid_pool_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=12).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Azure's resource group rule, as an error names it (`RESOURCE_GROUP_MAX_LEN` characters).
pub const RESOURCE_GROUP_RULE: &str =
    "1–90 characters: letters, digits, '_', '-', '.', '(' or ')', not ending in '.'.";

/// Azure's resource group rule: 1–90 of letters, digits, `_ - . ( )`, not ending in a period.
pub fn is_valid_resource_group(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= RESOURCE_GROUP_MAX_LEN
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')'))
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(len, p)| p.len() == *len && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The rules above as JSON Schema patterns (ECMA 262), for the OpenAPI document: a value a
/// pattern allows, the rule takes (a client that follows the document is never refused). A test
/// holds each to its function over a sample of names, with a JSON Schema validator nobody here
/// wrote.
pub const SUBSCRIPTION_ID_PATTERN: &str =
    "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";
/// See [`is_valid_cluster_name`].
pub const CLUSTER_NAME_PATTERN: &str = "^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$";
/// See [`is_valid_resource_group`]: the characters of a group's name, and of its last one, as
/// Azure's own specification writes them (`\w`: ASCII in ECMA 262, so the pattern may refuse
/// a letter the rule takes, never the other way round).
pub const RESOURCE_GROUP_CHARS: (&str, &str) = (r"[-\w._()]", r"[-\w_()]");
/// See [`is_valid_kubernetes_version`] (empty: AKS's default).
pub const KUBERNETES_VERSION_PATTERN: &str = r"^$|^[0-9]{1,4}\.[0-9]{1,4}(\.[0-9]{1,4})?$";

/// [`is_valid_resource_group`] as a pattern, framed by `before` and `after` (`^` and `$` for a
/// whole value).
pub fn resource_group_pattern(before: &str, after: &str) -> String {
    let (all, last) = RESOURCE_GROUP_CHARS;
    format!(
        "{before}{all}{{0,{}}}{last}{after}",
        RESOURCE_GROUP_MAX_LEN - 1
    )
}

/// The rule a region breaks, if any: it must be one the product offers.
pub fn region_error(region: &str) -> Option<String> {
    (!KNOWN_REGIONS.contains(&region))
        .then(|| format!("Must be one of: {}.", KNOWN_REGIONS.join(", ")))
}

/// The rule the cluster's node resource group (`MC_{group}_{cluster}_{region}`) breaks: AKS
/// refuses a create whose node resource group name would pass 80 characters.
pub fn node_resource_group_error(req: &ProvisionRequest) -> Option<String> {
    let name = node_resource_group_name(&req.resource_group, &req.cluster_name, &req.region);
    let length = name.chars().count();
    (length > NODE_RESOURCE_GROUP_MAX_LEN).then(|| {
        let spare = length - NODE_RESOURCE_GROUP_MAX_LEN;
        format!(
            "Too long with this resource group and region: AKS names the node resource group \
             {name} ({length} characters, at most {NODE_RESOURCE_GROUP_MAX_LEN}). Shorten the \
             cluster or resource group name by {spare}."
        )
    })
}

/// A Kubernetes version as AKS takes it: `1.31` or `1.31.2` (empty: AKS's default).
pub fn is_valid_kubernetes_version(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    version.len() <= 16
        && (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Every rule a request breaks, by field name. Empty means valid.
pub fn validate_provision_request(req: &ProvisionRequest) -> BTreeMap<String, String> {
    let mut errors = BTreeMap::new();
    let mut fail = |field: &str, rule: String| {
        errors.insert(field.to_owned(), rule);
    };
    if !is_guid(&req.subscription_id) {
        fail(
            "subscription_id",
            "Must be a subscription ID (a GUID).".into(),
        );
    }
    if !is_valid_resource_group(&req.resource_group) {
        fail("resource_group", RESOURCE_GROUP_RULE.to_owned());
    }
    if let Some(rule) = region_error(&req.region) {
        fail("region", rule);
    }
    if !is_valid_cluster_name(&req.cluster_name) {
        fail(
            "cluster_name",
            "1–63 characters: letters, digits, '-' or '_', starting and ending with a letter or \
             digit."
                .into(),
        );
    } else if let Some(rule) = node_resource_group_error(req) {
        fail("cluster_name", rule);
    }
    let sizes = || {
        KNOWN_VM_SIZES
            .iter()
            .map(|(n, _, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if vcpus_of(&req.node_sku).is_none() {
        fail("node_sku", format!("Must be one of: {}.", sizes()));
    }
    if vcpus_of(&req.system_vm_size).is_none() {
        fail("system_vm_size", format!("Must be one of: {}.", sizes()));
    }
    let (lo, hi) = NODE_COUNT_RANGE;
    if !(lo..=hi).contains(&req.node_count) {
        fail("node_count", format!("Must be between {lo} and {hi}."));
    }
    let (lo, hi) = SYSTEM_NODE_COUNT_RANGE;
    if !(lo..=hi).contains(&req.system_node_count) {
        fail(
            "system_node_count",
            format!("Must be between {lo} and {hi}."),
        );
    }
    if !req.kubernetes_version.is_empty() && !is_valid_kubernetes_version(&req.kubernetes_version) {
        fail(
            "kubernetes_version",
            "A version like 1.31 or 1.31.2, or empty for AKS's default.".into(),
        );
    }
    errors
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_patterns_say_what_the_rules_accept() {
        let allows = |pattern: &str, text: &str| {
            let schema = serde_json::json!({"type": "string", "pattern": pattern});
            jsonschema::is_valid(&schema, &serde_json::json!(text))
        };
        // What the pattern allows, the rule takes; on ASCII the two say the same.
        let agree = |pattern: &str, text: &str, rule: bool, what: &str| {
            let allowed = allows(pattern, text);
            assert!(
                !allowed || rule,
                "{what} {text:?}: the document allows what is refused"
            );
            if text.is_ascii() {
                assert_eq!(allowed, rule, "{what} {text:?}");
            }
        };
        let long = |n: usize| "a".repeat(n);
        let names = [
            "a", "ab", "a-b", "a_b", "-a", "a-", "_a", "ä", "", "a.b", "aks one",
        ];
        for name in names
            .iter()
            .copied()
            .chain([long(63).as_str(), long(64).as_str()])
        {
            agree(
                CLUSTER_NAME_PATTERN,
                name,
                super::is_valid_cluster_name(name),
                "cluster name",
            );
        }
        let group = super::resource_group_pattern("^", "$");
        let groups = [
            "rg", "rg.", ".rg", "rg(1)", "rg-é", "a b", "", ".", "rg/x", "日本", "١٢",
        ];
        for name in groups
            .iter()
            .copied()
            .chain([long(90).as_str(), long(91).as_str()])
        {
            agree(
                &group,
                name,
                super::is_valid_resource_group(name),
                "resource group",
            );
        }
        for version in [
            "", "1.31", "1.31.2", "1", "1.2.3.4", "١.٢", "12345.1", "1..2",
        ] {
            agree(
                KUBERNETES_VERSION_PATTERN,
                version,
                version.is_empty() || super::is_valid_kubernetes_version(version),
                "version",
            );
        }
        for sub in [
            "11111111-2222-3333-4444-555555555555",
            "ABCDEF12-2222-3333-4444-555555555555",
            "11111111-2222-3333-4444-55555555555",
            "1111111122223333444455555555555555555",
        ] {
            agree(
                SUBSCRIPTION_ID_PATTERN,
                sub,
                super::is_guid(sub),
                "subscription",
            );
        }
    }

    use super::*;

    pub fn valid() -> ProvisionRequest {
        ProvisionRequest {
            subscription_id: "11111111-2222-3333-4444-555555555555".into(),
            resource_group: "rg-aks-dev".into(),
            region: "eastus".into(),
            cluster_name: "aks-demo-1".into(),
            node_sku: "Standard_D4s_v3".into(),
            node_count: 3,
            system_vm_size: "Standard_D2s_v3".into(),
            system_node_count: 1,
            kubernetes_version: String::new(),
        }
    }

    #[test]
    fn kubernetes_versions_are_a_minor_or_a_patch() {
        for ok in ["1.31", "1.31.2", "1.30.10"] {
            assert!(is_valid_kubernetes_version(ok), "{ok}");
        }
        for bad in [
            "", "1", "v1.31", "1.31.", "1..2", "1.31.2.4", "latest", "1.31-rc",
        ] {
            assert!(!is_valid_kubernetes_version(bad), "{bad}");
        }
        let mut req = valid();
        req.kubernetes_version = "latest".into();
        assert!(validate_provision_request(&req).contains_key("kubernetes_version"));
        req.kubernetes_version = String::new();
        assert!(validate_provision_request(&req).is_empty());
    }

    #[test]
    fn cluster_names_follow_azure() {
        for ok in ["a", "A1", "aks-demo_1", &"a".repeat(63)] {
            assert!(is_valid_cluster_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a b", "ä", &"a".repeat(64), "a.b"] {
            assert!(!is_valid_cluster_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_node_resource_group_must_fit_in_80_characters() {
        // MC_ + rg + _ + name + _ + region: with "rg" and "westeurope", 63 characters fit exactly.
        let mut req = valid();
        req.resource_group = "rg".into();
        req.region = "westeurope".into();
        req.cluster_name = format!("aks_{}", "a".repeat(59));
        assert_eq!(req.cluster_name.len(), 63);
        assert!(validate_provision_request(&req).is_empty());
        req.resource_group = "rg-aks-dev".into();
        let errors = validate_provision_request(&req);
        let rule = errors.get("cluster_name").cloned().unwrap_or_default();
        assert!(rule.contains("(88 characters, at most 80)"), "{rule}");
        assert!(rule.contains("by 8"), "{rule}");
    }

    #[test]
    fn pool_names_follow_azure() {
        assert!(is_valid_pool_name("nodepool1"));
        assert!(is_valid_pool_name("system"));
        assert!(!is_valid_pool_name("Pool"));
        assert!(!is_valid_pool_name("1pool"));
        assert!(!is_valid_pool_name("averylongpool"));
    }

    #[test]
    fn a_valid_request_has_no_errors() {
        assert!(validate_provision_request(&valid()).is_empty());
    }

    #[test]
    fn every_bad_field_is_named_with_its_rule() {
        let req = ProvisionRequest {
            subscription_id: "nope".into(),
            resource_group: "x".repeat(91),
            region: "mars".into(),
            cluster_name: "-bad".into(),
            node_sku: "Standard_Z1".into(),
            node_count: 0,
            system_vm_size: String::new(),
            system_node_count: 4,
            kubernetes_version: String::new(),
        };
        let errors = validate_provision_request(&req);
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "cluster_name",
                "node_count",
                "node_sku",
                "region",
                "resource_group",
                "subscription_id",
                "system_node_count",
                "system_vm_size"
            ]
        );
        assert_eq!(errors["node_count"], "Must be between 1 and 100.");
        assert_eq!(errors["system_node_count"], "Must be between 1 and 3.");
        assert!(errors["resource_group"].contains("90"));
    }
}
