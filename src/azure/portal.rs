//! Links into the Azure portal of the configured cloud (`portal.azure.com` for public Azure,
//! see [`CloudSettings::portal`](super::cloud::CloudSettings::portal)).

use super::models::ClusterRef;

/// The portal's overview blade of any ARM resource, in the given tenant:
/// `{portal}/#@{tenant}/resource{resourceId}/overview`.
pub fn resource_overview_url(portal: &str, tenant_id: &str, resource_id: &str) -> String {
    let portal = portal.trim_end_matches('/');
    let resource_id = resource_id.trim_end_matches('/');
    let slash = if resource_id.starts_with('/') {
        ""
    } else {
        "/"
    };
    format!("{portal}/#@{tenant_id}/resource{slash}{resource_id}/overview")
}

/// The portal's Activity log of any ARM resource: its entries carry Azure's correlation id
/// (filter by it there to find one request's operations).
pub fn resource_activity_log_url(portal: &str, tenant_id: &str, resource_id: &str) -> String {
    let overview = resource_overview_url(portal, tenant_id, resource_id);
    format!(
        "{}/eventlogs",
        overview.trim_end_matches("/overview").trim_end_matches('/')
    )
}

/// The portal's overview blade of a managed cluster.
pub fn cluster_portal_url(portal: &str, tenant_id: &str, cluster: &ClusterRef) -> String {
    resource_overview_url(portal, tenant_id, &cluster.resource_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "https://portal.azure.com";

    #[test]
    fn links_to_the_cluster_overview_in_the_tenant() {
        let cluster = ClusterRef::new(
            "11111111-2222-3333-4444-555555555555",
            "rg-aks-dev",
            "aks-demo",
        );
        assert_eq!(
            cluster_portal_url(PUBLIC, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", &cluster),
            "https://portal.azure.com/#@aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/resource\
             /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-aks-dev\
             /providers/Microsoft.ContainerService/managedClusters/aks-demo/overview"
        );
    }

    #[test]
    fn tolerates_a_resource_id_without_leading_or_with_trailing_slash() {
        assert_eq!(
            resource_overview_url(PUBLIC, "t", "subscriptions/s/resourceGroups/rg/"),
            "https://portal.azure.com/#@t/resource/subscriptions/s/resourceGroups/rg/overview"
        );
    }

    #[test]
    fn links_point_into_the_portal_of_a_sovereign_cloud() {
        let cluster = ClusterRef::new("s", "rg", "aks");
        let china = crate::azure::cloud::CloudSettings {
            cloud: crate::azure::cloud::AzureCloud::China,
            ..Default::default()
        };
        assert!(
            cluster_portal_url(china.portal(), "t", &cluster)
                .starts_with("https://portal.azure.cn/#@t/resource/subscriptions/s/")
        );
    }
}
