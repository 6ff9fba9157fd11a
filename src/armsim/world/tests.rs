use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::*;
use crate::armsim::answer::Answer;
use crate::azure::models::AgentPoolMode;
use crate::azure::models::{AgentPoolProfile, ManagedCluster};
use crate::config::{DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID, DEFAULT_TENANT_ID};

fn world() -> World {
    World::new(
        DEFAULT_SUBSCRIPTION_ID,
        DEFAULT_TENANT_ID,
        DEFAULT_RESOURCE_GROUP,
        Catalog::default(),
        Timing {
            create: Duration::from_secs(10),
            delete: Duration::from_secs(5),
            abort: Duration::from_secs(2),
            retry_after: Duration::from_secs(30),
        },
    )
}

fn body(name: &str, location: &str, tags: &[(&str, &str)]) -> Vec<u8> {
    let mut cluster = ManagedCluster::for_create(
        name,
        location,
        None,
        vec![AgentPoolProfile::new(
            "system",
            "Standard_D2s_v3",
            1,
            AgentPoolMode::System,
        )],
    );
    cluster.tags = tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    serde_json::to_vec(&cluster).unwrap_or_default()
}

fn put(world: &mut World, name: &str, preconditions: &Preconditions, now: Instant) -> Answer {
    world.put_cluster(
        DEFAULT_RESOURCE_GROUP,
        name,
        &body(name, "koreacentral", &[("aks-dashboard-job", "job-1")]),
        preconditions,
        "http://sim",
        now,
    )
}

#[test]
fn tags_are_stored_and_returned_by_get_and_list() {
    let now = Instant::now();
    let mut world = world();
    assert_eq!(
        put(&mut world, "aks-1", &Preconditions::default(), now).status,
        201
    );
    let got = world.get_cluster(DEFAULT_RESOURCE_GROUP, "AKS-1");
    let tags = got
        .json_body()
        .map(|b| b["tags"].clone())
        .unwrap_or_default();
    assert_eq!(tags, json!({"aks-dashboard-job": "job-1"}));
    let listed = world.list_clusters(Some(DEFAULT_RESOURCE_GROUP), None, |_| String::new());
    let first = listed
        .json_body()
        .map(|b| b["value"][0]["tags"].clone())
        .unwrap_or_default();
    assert_eq!(first, tags);
}

#[test]
fn if_none_match_star_refuses_an_existing_cluster_in_any_state() {
    let now = Instant::now();
    let mut world = world();
    let create_only = Preconditions {
        if_none_match: Some("*".into()),
        ..Preconditions::default()
    };
    assert_eq!(put(&mut world, "aks-1", &create_only, now).status, 201);
    // While it is Creating, and after it Succeeded.
    for later in [now + Duration::from_secs(1), now + Duration::from_secs(11)] {
        world.advance(later);
        let refused = put(&mut world, "aks-1", &create_only, later);
        assert_eq!(refused.status, 412, "{refused:?}");
        assert_eq!(refused.error_code(), Some("PreconditionFailed"));
    }
    // Without the header, a PUT of an existing cluster is an update.
    let update = put(
        &mut world,
        "aks-1",
        &Preconditions::default(),
        now + Duration::from_secs(12),
    );
    assert_eq!(update.status, 200);
    assert_eq!(world.counters.create_puts_refused, 2);
}

#[test]
fn if_match_compares_the_etag() {
    let now = Instant::now();
    let mut world = world();
    let any = Preconditions {
        if_match: Some("*".into()),
        ..Preconditions::default()
    };
    assert_eq!(put(&mut world, "aks-1", &any, now).status, 412, "absent");
    put(&mut world, "aks-1", &Preconditions::default(), now);
    world.advance(now + Duration::from_secs(11));
    let etag = world
        .get_cluster(DEFAULT_RESOURCE_GROUP, "aks-1")
        .json_body()
        .and_then(|b| b["eTag"].as_str().map(str::to_string))
        .unwrap_or_default();
    let stale = Preconditions {
        if_match: Some("other".into()),
        ..Preconditions::default()
    };
    let later = now + Duration::from_secs(12);
    assert_eq!(put(&mut world, "aks-1", &stale, later).status, 412);
    let fresh = Preconditions {
        if_match: Some(format!("\"{etag}\"")),
        ..Preconditions::default()
    };
    assert_eq!(put(&mut world, "aks-1", &fresh, later).status, 200);
}

#[test]
fn quota_held_by_clusters_is_released_when_they_are_deleted() {
    let now = Instant::now();
    let mut world = world();
    let before = world.usage("koreacentral").unwrap_or_default();
    put(&mut world, "aks-1", &Preconditions::default(), now);
    let during = world.usage("koreacentral").unwrap_or_default();
    assert_eq!(during.regional, before.regional + 2);
    world.advance(now + Duration::from_secs(11));
    world.delete_cluster(
        DEFAULT_RESOURCE_GROUP,
        "aks-1",
        "http://sim",
        now + Duration::from_secs(11),
    );
    world.advance(now + Duration::from_secs(17));
    assert_eq!(world.usage("koreacentral").unwrap_or_default(), before);
    assert!(world.snapshot(now).clusters.is_empty());
}

#[test]
fn an_invalid_dns_prefix_is_refused_as_aks_does() {
    let now = Instant::now();
    let mut world = world();
    let mut cluster: ManagedCluster = serde_json::from_slice(&body("aks-1", "koreacentral", &[]))
        .unwrap_or_else(|e| panic!("{e}"));
    cluster.properties.dns_prefix = Some("aks_1-dns".into());
    let refused = world.put_cluster(
        DEFAULT_RESOURCE_GROUP,
        "aks-1",
        &serde_json::to_vec(&cluster).unwrap_or_default(),
        &Preconditions::default(),
        "http://sim",
        now,
    );
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error_code(), Some("InvalidParameter"));
    assert!(
        refused
            .error_message()
            .is_some_and(|m| m.contains("dnsPrefix"))
    );
}

#[test]
fn operations_end_on_time_and_the_cluster_follows() {
    let now = Instant::now();
    let mut world = world();
    put(&mut world, "aks-1", &Preconditions::default(), now);
    world.advance(now + Duration::from_secs(9));
    assert_eq!(
        world.snapshot(now).clusters[0].provisioning_state,
        ProvisioningState::Creating
    );
    world.advance(now + Duration::from_secs(10));
    let state = world.snapshot(now);
    assert_eq!(
        state.clusters[0].provisioning_state,
        ProvisioningState::Succeeded
    );
    assert_eq!(state.operations[0].status, OperationState::Succeeded);
}
