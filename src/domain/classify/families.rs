//! The failure families of Microsoft's AKS troubleshooting catalogue that need the error's own
//! facts to be explained: networking (subnet sizes, address ranges, references), node bootstrap
//! (the setup script's exit status), the cluster's own identity, Kubernetes versions and the
//! subscription's state. Each builder names what the message names (the subnet and its
//! addresses, the exit status, the version asked and the versions offered), says what fixes it
//! and links Microsoft's page for it.

use super::headlines::{action, classification, in_region};
use super::text::{
    aadsts_code, cidrs_in, clean_message, exit_status, first_sentence, guid_after, number_after,
    quoted_after, resource_name, usable_addresses, versions_in, word_after,
};
use super::{Category, Classification, ClassifyContext};

/// Microsoft's AKS error-code articles.
const ERROR_CODES: &str =
    "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/error-codes/";

fn doc(slug: &str) -> String {
    format!("{ERROR_CODES}{slug}")
}

fn has(codes: &[String], code: &str) -> bool {
    codes.iter().any(|c| c.eq_ignore_ascii_case(code))
}

// ----- network -----

/// The subnet's name: from its resource ID, `Subnet Name X`, `subnet 'X'`, or the word before
/// `with address prefix` — never a word like "Cidr" that follows "Subnet".
fn subnet_name(text: &str) -> Option<String> {
    if let Some(name) = resource_name(text, "subnets") {
        return Some(name.to_owned());
    }
    if let Some(name) = word_after(text, "Subnet Name") {
        return Some(name.trim_end_matches(',').to_owned());
    }
    let lower = text.to_ascii_lowercase();
    if let Some(at) = lower.find(" with address prefix") {
        let name = text[..at]
            .trim_end()
            .rsplit(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ':' | '='))
            .next()
            .unwrap_or_default();
        if !name.is_empty() && !name.eq_ignore_ascii_case("subnet") {
            return Some(name.to_owned());
        }
    }
    quoted_after(text, "subnet '", "", "'").map(str::to_owned)
}

fn subnet_size(codes: &[String], text: &str) -> Classification {
    let name = subnet_name(text);
    let cidr = cidrs_in(text).first().map(|c| (*c).to_owned());
    let needed =
        number_after(text, "Pre-allocated IPs").or_else(|| number_after(text, "capacity for"));
    let available =
        number_after(text, "IPs available").or_else(|| cidr.as_deref().and_then(usable_addresses));
    let pod_range = name
        .as_deref()
        .is_some_and(|n| n.to_ascii_lowercase().contains("podcidr"));
    let what = match (&name, pod_range) {
        (_, true) => "The pod address range".to_owned(),
        (Some(n), false) => format!("The subnet {n}"),
        (None, false) => "The subnet".to_owned(),
    };
    let range = cidr.map(|c| format!(" ({c})")).unwrap_or_default();
    let headline = match (needed, available) {
        (Some(n), Some(a)) => {
            format!("{what}{range} has {a} usable IP addresses, and these nodes need {n}.")
        }
        (Some(n), None) => {
            format!("{what}{range} cannot fit the {n} IP addresses these nodes need.")
        }
        (None, Some(a)) => format!("{what}{range} is full: its {a} usable IP addresses are taken."),
        _ => format!("{what}{range} has too few free IP addresses for these nodes."),
    };
    let full = has(codes, "SubnetIsFull");
    let pool = quoted_after(text, "node pool", "'", "'")
        .map(|p| format!(" Node pool: {p}."))
        .unwrap_or_default();
    classification(
        Category::Network,
        headline,
        format!(
            "With Azure CNI every node takes one address per pod it may run (nodes × max pods, \
             the autoscaler's maximum counted): use a larger subnet, fewer nodes or fewer pods \
             per node, or Azure CNI Overlay.{pool}"
        ),
        vec![action(
            "Troubleshoot this subnet error",
            doc(if full {
                "subnetisfull-error"
            } else {
                "insufficientsubnetsize-error"
            }),
        )],
    )
}

/// Subnet size, address ranges that overlap, references that do not resolve, and the other
/// network set-ups AKS refuses, one headline per code with the addresses it names.
pub fn network(codes: &[String], text: &str) -> Classification {
    if has(codes, "SubnetIsFull") || has(codes, "InsufficientSubnetSize") {
        return subnet_size(codes, text);
    }
    let cidrs = cidrs_in(text);
    let subnet = subnet_name(text);
    let the_subnet = subnet
        .as_deref()
        .map(|s| format!("The subnet {s}"))
        .unwrap_or_else(|| "The subnet".into());
    let (headline, details, slug): (String, &str, &str) = if has(
        codes,
        "ServiceCidrOverlapExistingSubnetsCidr",
    ) {
        (
            match cidrs.as_slice() {
                [service, subnet, ..] => format!(
                    "The service address range {service} overlaps the subnet range {subnet} of the virtual network."
                ),
                _ => {
                    "The Kubernetes service address range overlaps a subnet of the virtual network."
                        .into()
                }
            },
            "Choose a service CIDR that no subnet of the cluster's virtual network uses.",
            "servicecidroverlapexistingsubnetscidr-error",
        )
    } else if has(codes, "NetworkProfileCIDROverlapVNET")
        || has(codes, "PodCidrOverlapExistingSubnetsCidr")
    {
        (
            match cidrs.as_slice() {
                [range, vnet, ..] => format!(
                    "The cluster's address range {range} overlaps the virtual network's {vnet}."
                ),
                _ => "The pod or service address range overlaps the virtual network.".into(),
            },
            "Choose pod and service CIDRs outside the virtual network's address space.",
            "servicecidroverlapexistingsubnetscidr-error",
        )
    } else if has(codes, "DnsServiceIPOutOfServiceCidr") {
        let ip = word_after(text, "DNS service IP");
        (
            match (ip, cidrs.first()) {
                (Some(ip), Some(range)) => {
                    format!("The DNS service IP {ip} is outside the service address range {range}.")
                }
                _ => "The DNS service IP is outside the service address range.".into(),
            },
            "Pick a DNS service IP inside the service CIDR (its .10 address, say).",
            "dnsserviceipoutofservicecidr-error",
        )
    } else if has(codes, "InvalidResourceReference") {
        let missing = text
            .split_whitespace()
            .find(|w| w.starts_with("/subscriptions/"))
            .map(|id| id.trim_end_matches(['.', ',']));
        let headline = match missing {
            Some(id) if resource_name(id, "subnets").is_some() => format!(
                "The subnet {} of virtual network {} was not found, or is not in the same region as the cluster.",
                resource_name(id, "subnets").unwrap_or_default(),
                resource_name(id, "virtualNetworks").unwrap_or("(unnamed)")
            ),
            Some(id) => {
                let parts: Vec<&str> = id.split('/').collect();
                let n = parts.len();
                let by = text
                    .split_whitespace()
                    .skip_while(|w| *w != "by")
                    .find(|w| w.starts_with("/subscriptions/"))
                    .and_then(|id| id.rsplit('/').nth(1))
                    .map(|kind| format!(" (referenced by its {kind})"))
                    .unwrap_or_default();
                format!(
                    "A network resource the cluster uses was not found: {} {}{by}.",
                    parts[n.saturating_sub(2)],
                    parts[n - 1]
                )
            }
            None => {
                "A network resource the cluster refers to does not exist or is in another region."
                    .into()
            }
        };
        (
            headline,
            "Check that the virtual network, subnet and load balancer parts exist, in the \
             cluster's region; an outbound rule can be restored with az aks update.",
            "invalidresourcereference-error",
        )
    } else if has(codes, "SubnetIsDelegated") {
        (
            format!("{the_subnet} is delegated to another Azure service, so AKS cannot use it."),
            "Remove the delegation from the subnet, or give the node pool another subnet.",
            "subnetisdelegated-error",
        )
    } else if has(
        codes,
        "SubnetWithExternalResourcesCannotBeUsedByOtherResources",
    ) {
        (
            format!(
                "{the_subnet} holds another service's resources (external resources), so AKS cannot use it."
            ),
            "Use a new subnet for the cluster, or remove the other service's links from this one.",
            "subnetwithexternalresourcescannotbeusedbyotherresources-error",
        )
    } else if has(codes, "VirtualNetworkNotInSucceededState") {
        let vnet = resource_name(text, "virtualNetworks").unwrap_or("of the cluster");
        let state = word_after(text, " is in ").unwrap_or("busy");
        (
            format!("The virtual network {vnet} is {state}; AKS needs it in the Succeeded state."),
            "Wait for (or repair) the operation on the virtual network, then retry.",
            "virtualnetworknotinsucceededstate-error",
        )
    } else if has(codes, "InvalidLoadBalancerProfileAllocatedOutboundPorts") {
        let per_node = number_after(text, "allocated ports");
        let nodes = number_after(text, "Total node count");
        let required = number_after(text, "requires");
        let available = number_after(text, "but only");
        (
            match (per_node, nodes, required, available) {
                (Some(p), Some(n), Some(r), Some(a)) => format!(
                    "{p} outbound ports per node × {n} nodes need {r} ports, but the outbound IPs offer {a}."
                ),
                _ => "The load balancer's outbound ports per node do not fit the nodes and outbound IPs.".into(),
            },
            "Lower the outbound ports per node, add outbound public IPs, or use fewer nodes.",
            "invalidloadbalancerprofileallocatedoutboundports-error",
        )
    } else if has(codes, "CreateOrUpdateVirtualNetworkLinkFailed") {
        let zone = word_after(text, "private dns zone:");
        (
            match zone {
                Some(z) => format!(
                    "The virtual network could not be linked to the private DNS zone {z}: a zone with overlapping namespaces is linked already."
                ),
                None => "The virtual network could not be linked to the cluster's private DNS zone (overlapping namespaces).".into(),
            },
            "Remove the virtual network's link to the other private DNS zone of the same name, \
             then reconcile the cluster (az aks update).",
            "createorupdatevirtualnetworklinkfailed-error",
        )
    } else if has(codes, "CustomRouteTableWithUnsupportedMSIType") {
        let kind = word_after(text, "identity type").unwrap_or("this");
        (
            format!("A cluster with a {kind} managed identity cannot bring its own route table."),
            "Use a user-assigned control-plane identity with rights on the route table, or a \
             subnet without a custom route table.",
            "customroutetablewithunsupportedmsitype-error",
        )
    } else {
        (
            first_sentence(&clean_message(text)),
            "Check the cluster's virtual network, subnet and address ranges.",
            "aks-error-code-page",
        )
    };
    classification(
        Category::Network,
        headline,
        details,
        vec![action("Troubleshoot this network error", doc(slug))],
    )
}

// ----- node bootstrap -----

/// What a node setup failure means, from the `VMExtensionError_…` name or the exit status
/// (AgentBaker's `ERR_…` codes, as Microsoft's articles name them).
struct SetupFailure {
    meaning: &'static str,
    fix: &'static str,
    slug: &'static str,
}

const OUTBOUND: SetupFailure = SetupFailure {
    meaning: "they have no outbound connection to the internet addresses AKS requires",
    fix: "Allow AKS's required outbound addresses and ports (mcr.microsoft.com, \
          acs-mirror.azureedge.net, packages.aks.azure.com on 443) through the firewall, proxy, \
          network security group or route table of the node subnet.",
    slug: "vmextensionerror-outboundconnfail",
};
const API_SERVER: SetupFailure = SetupFailure {
    meaning: "they cannot connect to the Kubernetes API server",
    fix: "Let the node subnet reach the cluster's API server on port 443 (network security \
          groups, egress firewall, routes), and add the nodes' egress IP to the API server's \
          authorized IP ranges if they are set.",
    slug: "vmextensionerror-k8sapiserverconnfail",
};
const API_DNS: SetupFailure = SetupFailure {
    meaning: "they cannot resolve Kubernetes API server name",
    fix: "Fix the virtual network's custom DNS servers: forward to Azure DNS (168.63.129.16) and \
          link the cluster's private DNS zone, then reconcile the cluster.",
    slug: "vmextensionerror-k8sapiserverdnslookupfail",
};
const CNI_DOWNLOAD: SetupFailure = SetupFailure {
    meaning: "they timed out downloading the network (CNI) plugins",
    fix: "Let the nodes download from acs-mirror.azureedge.net over HTTPS (no TLS inspection on \
          it), then retry.",
    slug: "vmextensionerror-cnidownloadtimeout",
};
const K8S_DOWNLOAD: SetupFailure = SetupFailure {
    meaning: "they timed out downloading the Kubernetes binaries",
    fix: "Let the nodes resolve and reach acs-mirror.azureedge.net and packages.aks.azure.com \
          over HTTPS (DNS, firewall, proxy), then retry.",
    slug: "vmextensionerror-k8sdownloadtimeout",
};
const VHD_FILES: SetupFailure = SetupFailure {
    meaning: "they could not find the node image's files (a connection to required Azure \
              endpoints failed)",
    fix: "Allow all of AKS's required outbound addresses from the node subnet, then retry.",
    slug: "vmextensionerror-vhdfilenotfound",
};
const REGISTRY_NETWORK: SetupFailure = SetupFailure {
    meaning: "they cannot reach the bootstrap container registry",
    fix: "Fix the private link and private DNS zone of the network-isolated cluster's bootstrap \
          registry, then reconcile the cluster.",
    slug: "vmextensionerror-oraspullnetworktimeout",
};
const REGISTRY_AUTH: SetupFailure = SetupFailure {
    meaning: "the kubelet identity may not pull from the bootstrap container registry",
    fix: "Grant the kubelet identity AcrPull on the bootstrap registry, then reconcile the \
          cluster.",
    slug: "vmextensionerror-oraspullunauthorized",
};
const TIMED_OUT: SetupFailure = SetupFailure {
    meaning: "their setup timed out without a message",
    fix: "Check egress filtering and custom DNS: the setup downloads its binaries and resolves \
          the cluster's name, then retry.",
    slug: "vmextensionerror-provisioningtimeout",
};
const NOT_READY: SetupFailure = SetupFailure {
    meaning: "they never reported Ready",
    fix: "Check the node pool's VM extension status and egress (required addresses, DNS), then \
          reconcile the cluster (az aks update).",
    slug: "vmextensionerror-outboundconnfail",
};
const GENERIC: SetupFailure = SetupFailure {
    meaning: "their setup script failed",
    fix: "Check the node subnet's egress (AKS's required outbound addresses), its DNS servers \
          and the VM extension's output in the node resource group, then retry.",
    slug: "vmextensionerror-outboundconnfail",
};

fn setup_failure(codes: &[String], lower: &str, status: Option<u32>) -> &'static SetupFailure {
    let named = |part: &str| {
        codes.iter().any(|c| c.to_ascii_lowercase().contains(part)) || lower.contains(part)
    };
    if named("outboundconnfail") {
        &OUTBOUND
    } else if named("k8sapiserverdnslookupfail") {
        &API_DNS
    } else if named("k8sapiserverconnfail") || named("check_api_server_connectivity") {
        &API_SERVER
    } else if named("cnidownloadtimeout") {
        &CNI_DOWNLOAD
    } else if named("k8sdownloadtimeout") {
        &K8S_DOWNLOAD
    } else if named("vhdfilenotfound") {
        &VHD_FILES
    } else if named("oraspullnetworktimeout") || named("registry is not reachable") {
        &REGISTRY_NETWORK
    } else if named("oraspullunauthorized") || named("registry authorization failed") {
        &REGISTRY_AUTH
    } else {
        match status {
            Some(50) => &OUTBOUND,
            Some(51) => &API_SERVER,
            Some(52 | 53) => &API_DNS,
            Some(41) => &CNI_DOWNLOAD,
            Some(31) => &K8S_DOWNLOAD,
            Some(124) => &VHD_FILES,
            Some(211) => &REGISTRY_NETWORK,
            Some(212) => &REGISTRY_AUTH,
            _ if named("provisioningtimeout") || named("has timed out") => &TIMED_OUT,
            _ if named("nodesnotready") => &NOT_READY,
            _ => &GENERIC,
        }
    }
}

/// The host a node could not reach or resolve, when the output names one.
fn unreachable_host(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    for label in [
        "API server at ",
        "connect to ",
        "Could not resolve host: ",
        "--proxy-insecure https://",
    ] {
        let Some(at) = lower.find(&label.to_ascii_lowercase()) else {
            continue;
        };
        let word = text[at + label.len()..]
            .split(|c: char| c.is_whitespace() || matches!(c, '/' | '\\' | '"'))
            .next()
            .unwrap_or_default()
            .trim_end_matches(['.', ',']);
        if word.contains('.') {
            return Some(word);
        }
    }
    None
}

/// The nodes' setup script (the CSE VM extension) failed: what its exit status means, the host
/// it could not reach when the output says, and the fix.
pub fn node_bootstrap(codes: &[String], text: &str) -> Classification {
    let lower = text.to_ascii_lowercase();
    let status = exit_status(text);
    let failure = setup_failure(codes, &lower, status);
    // The name Azure gives the failure, when it gives one, and the exit status.
    let named = codes.iter().find(|c| {
        let lower = c.to_ascii_lowercase();
        lower.starts_with("vmextensionerror_")
            || lower.starts_with("windows_cse_error")
            || lower == "vmextensionprovisioningtimeout"
    });
    let status_note = match (named, status) {
        (Some(n), Some(s)) => format!(" ({n}, exit status {s})"),
        (Some(n), None) => format!(" ({n})"),
        (None, Some(s)) => format!(" (setup exit status {s})"),
        (None, None) => String::new(),
    };
    let nodes = word_after(text, "reconcile agent pool ")
        .filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|p| format!("The nodes of pool {p}"))
        .unwrap_or_else(|| "The nodes".into());
    let host = unreachable_host(text)
        .filter(|_| failure.slug != REGISTRY_AUTH.slug)
        .map(|h| format!(" Last address tried: {h}."))
        .unwrap_or_default();
    classification(
        Category::NodeBootstrap,
        format!(
            "{nodes} could not join the cluster: {}{status_note}.",
            failure.meaning
        ),
        format!("{}{host}", failure.fix),
        vec![action(
            "Troubleshoot this node setup error",
            doc(failure.slug),
        )],
    )
}

// ----- the cluster's identity -----

/// The cluster's own service principal or managed identity failed — never the dashboard's
/// sign-in, so the fix points at the cluster's credential.
pub fn cluster_identity(codes: &[String], text: &str) -> Classification {
    let lower = text.to_ascii_lowercase();
    let app = guid_after(text, "clientID")
        .or_else(|| guid_after(text, "for app"))
        .or_else(|| guid_after(text, "Application with identifier"))
        .or_else(|| guid_after(text, "added to app"));
    let principal = app
        .map(|a| format!("The cluster's service principal {a}"))
        .unwrap_or_else(|| "The cluster's service principal".into());
    let aadsts = aadsts_code(text);
    let tag = aadsts.map(|c| format!(" ({c})")).unwrap_or_default();
    let (headline, details, slug) = if has(codes, "CustomPrivateDNSZoneMissingPermissionError") {
        let zone = resource_name(text, "privateDnsZones").unwrap_or("the custom private DNS zone");
        let needs = quoted_after(text, "not allowed for action", " ", " ")
            .or_else(|| {
                let lower = text.to_ascii_lowercase();
                let at = lower.find("not allowed for action ")? + "not allowed for action ".len();
                Some(text[at..].trim_end().trim_end_matches('.'))
            })
            .map(|a| format!(" (it needs {})", a.trim_end_matches('.')))
            .unwrap_or_default();
        (
            format!("The cluster's identity may not use the private DNS zone {zone}{needs}."),
            "Grant the cluster's control-plane identity Private DNS Zone Contributor on the zone, \
             then retry.",
            "customprivatednszonemissingpermissions-error",
        )
    } else if has(codes, "CustomRouteTableMissingPermission") {
        let table = resource_name(text, "routeTables").unwrap_or("of the subnet");
        (
            format!(
                "The cluster's identity may not read and write the route table {table} (CustomRouteTableMissingPermission)."
            ),
            "Grant the cluster's identity Network Contributor on the route table, then retry.",
            "customroutetablemissingpermission-error",
        )
    } else if aadsts == Some("AADSTS7000222") || lower.contains("are expired") {
        (
            format!("{principal}'s client secret has expired{tag}."),
            "Create a new secret for the cluster's service principal and give it to the cluster \
             (az aks update-credentials --reset-service-principal); the dashboard's own sign-in \
             is fine.",
            "bad-request-or-invalid-client-secret-error",
        )
    } else if aadsts == Some("AADSTS700016") || has(codes, "ServicePrincipalNotFound") {
        let tenant = guid_after(text, "tenant")
            .or_else(|| guid_after(text, "in the directory"))
            .map(|t| format!(" in tenant {t}"))
            .unwrap_or_default();
        (
            format!("{principal} was not found{tenant}{tag}."),
            "Give the cluster a service principal of the subscription's tenant (or wait a few \
             minutes for a new one to propagate), then retry.",
            "missing-or-invalid-service-principal",
        )
    } else {
        (
            format!("{principal} was given an invalid client secret{tag}."),
            "Pass the secret's value (not its ID), with special characters escaped, for the \
             cluster's service principal (az aks update-credentials); the dashboard's own \
             sign-in is fine.",
            "serviceprincipalvalidationclienterror-error",
        )
    };
    classification(
        Category::ClusterIdentity,
        headline,
        details,
        vec![action("Troubleshoot the cluster's identity", doc(slug))],
    )
}

// ----- Kubernetes versions -----

/// A Kubernetes version AKS does not offer here (or only with Long-Term Support), or versions
/// that do not fit together: the version asked and, when Azure lists them, the ones offered.
pub fn kubernetes_version(codes: &[String], text: &str, ctx: &ClassifyContext) -> Classification {
    let lower = text.to_ascii_lowercase();
    let versions = versions_in(text);
    let asked = versions
        .first()
        .map(|v| format!("Kubernetes {v}"))
        .unwrap_or_else(|| "The Kubernetes version asked for".into());
    let offered: Vec<&str> = quoted_after(text, "Available upgrades", "[", "]")
        .map(|list| {
            list.split_whitespace()
                .filter(|v| v.starts_with("1."))
                .collect()
        })
        .unwrap_or_default();
    let offered_note = match offered.as_slice() {
        [] => String::new(),
        [one] => format!(" Offered: {one}."),
        [first, .., last] => format!(" Offered: {first} to {last}."),
    };
    let region = in_region(&ctx.region);
    let (headline, details, slug) = if lower.contains("long-term support") {
        (
            format!("{asked} is only offered with Long-Term Support (LTS){region}."),
            "Choose a version the region supports, or create the cluster in the Premium tier with \
             the AKSLongTermSupport plan.",
            "aks-upgrade-blocked",
        )
    } else if has(codes, "NodePoolMcVersionIncompatible") {
        let pool = versions.first().copied().unwrap_or("asked for");
        let control = versions.get(1).copied().unwrap_or("in use");
        (
            format!("Node pool version {pool} does not fit control plane version {control}."),
            "Give the node pool a version no newer than the control plane and within the \
             allowed minor-version skew.",
            "nodepoolmcversionincompatible-error",
        )
    } else if lower.contains("upgrading kubernetes version") {
        let to = versions.get(1).copied().unwrap_or("the version asked");
        (
            format!("{asked} cannot be upgraded to {to}.{offered_note}"),
            "Upgrade to one of the offered versions, one minor version at a time.",
            "aks-upgrade-blocked",
        )
    } else {
        (
            format!("{asked} is not supported{region}."),
            "Choose one of the versions AKS offers in the region (the form lists them; az aks \
             get-versions shows them too).",
            "aks-upgrade-blocked",
        )
    };
    classification(
        Category::KubernetesVersion,
        headline,
        details,
        vec![
            action(
                "Supported Kubernetes versions",
                "https://learn.microsoft.com/azure/aks/supported-kubernetes-versions",
            ),
            action("Troubleshoot this version error", doc(slug)),
        ],
    )
}

// ----- the subscription -----

/// The subscription is disabled, read-only or past due: nothing can be created until its owner
/// re-enables it.
pub fn subscription_state(text: &str, ctx: &ClassifyContext) -> Classification {
    let id = quoted_after(text, "subscription", "'", "'").unwrap_or(&ctx.subscription_id);
    let lower = text.to_ascii_lowercase();
    let state = if lower.contains("disabled") {
        "is disabled and read-only"
    } else if lower.contains("past due") {
        "is past due and read-only"
    } else {
        "is read-only"
    };
    classification(
        Category::SubscriptionState,
        format!("Subscription {id} {state}: Azure refuses every create in it."),
        "Ask the subscription's owner to re-enable it (billing, spending limit or credit in Cost \
         Management), then retry.",
        vec![
            action(
                "Reactivate a disabled subscription",
                "https://learn.microsoft.com/azure/cost-management-billing/manage/subscription-disabled",
            ),
            action(
                "The subscription in the portal",
                ctx.portal_link(&format!(
                    "#@/resource/subscriptions/{}/overview",
                    ctx.subscription_id
                )),
            ),
        ],
    )
}
