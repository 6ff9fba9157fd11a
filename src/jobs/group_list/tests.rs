use std::time::Duration;

use super::*;
use crate::armsim::{ArmSimulator, SimulatorConfig, SimulatorHandle};
use crate::azure::{AgentPoolMode, AgentPoolProfile, ArmClientConfig, ArmCredential, ClusterRef};

async fn simulator(page_size: usize) -> (SimulatorHandle, ArmClient, SimulatorConfig) {
    let config = SimulatorConfig {
        create_duration: Duration::from_secs(60),
        list_page_size: page_size,
        ..SimulatorConfig::default()
    };
    let sim = ArmSimulator::start(config.clone())
        .await
        .expect("simulator starts");
    let arm = ArmClient::new(
        ArmClientConfig::new(sim.base_url()),
        ArmCredential::simulator(),
    )
    .expect("client");
    (sim, arm, config)
}

async fn create(arm: &ArmClient, config: &SimulatorConfig, name: &str) {
    let body = ManagedCluster::for_create(
        name,
        "koreacentral",
        None,
        vec![AgentPoolProfile::new(
            "system",
            "Standard_D2s_v3",
            1,
            AgentPoolMode::System,
        )],
    );
    let cluster = ClusterRef::new(&config.subscription_id, &config.resource_group, name);
    arm.create_cluster(&cluster, &body)
        .await
        .expect("create accepted");
}

fn list_reads(sim: &SimulatorHandle) -> u64 {
    sim.state()
        .counters
        .requests
        .get("list")
        .copied()
        .unwrap_or(0)
}

fn lists(arm: &ArmClient, min_jobs: usize) -> Arc<GroupLists> {
    Arc::new(GroupLists::new(
        arm.clone(),
        Arc::new(ReadBudget::unlimited()),
        Duration::from_millis(50),
        min_jobs,
    ))
}

#[tokio::test]
async fn below_the_threshold_nothing_is_listed() {
    let (sim, arm, config) = simulator(100).await;
    create(&arm, &config, "aks-one").await;
    let lists = lists(&arm, 3);
    let mut a = lists.join(&config.subscription_id, &config.resource_group);
    let _b = lists.join(&config.subscription_id, &config.resource_group);
    assert!(!a.by_list(), "two runs follow per job");
    let snapshot = a.next().await;
    assert!(matches!(snapshot.read, ListRead::Skipped), "{snapshot:?}");
    assert!(snapshot.cluster("aks-one").is_none());
    assert_eq!(list_reads(&sim), 0, "no list read for two runs");
}

#[tokio::test]
async fn one_read_of_every_page_serves_every_run_of_the_group() {
    let (sim, arm, config) = simulator(2).await;
    let names = ["aks-a", "aks-b", "aks-c", "aks-d", "aks-e"];
    for name in names {
        create(&arm, &config, name).await;
    }
    let lists = lists(&arm, 3);
    let mut members: Vec<Membership> = (0..3)
        .map(|_| {
            lists.join(
                &config.subscription_id,
                &config.resource_group.to_uppercase(),
            )
        })
        .collect();
    assert!(members.iter().all(Membership::by_list));
    let before = list_reads(&sim);
    let mut snapshots = Vec::new();
    for member in &mut members {
        snapshots.push(member.next().await);
    }
    // One poll, three pages (two clusters a page), seen by all three runs.
    let first = &snapshots[0];
    assert!(snapshots.iter().all(|s| Arc::ptr_eq(s, first)));
    assert_eq!(list_reads(&sim) - before, 3, "three pages, once");
    for name in names {
        let (cluster, ids) = first
            .cluster(&name.to_uppercase())
            .expect("listed")
            .expect("the cluster is in the list");
        assert_eq!(cluster.name.as_deref(), Some(name));
        assert_eq!(
            cluster.provisioning_state().map(|s| s.as_str()),
            Some("Creating")
        );
        assert!(ids.request_id.is_some(), "the page's x-ms-request-id");
    }
    assert!(matches!(first.cluster("aks-missing"), Some(None)));
}

#[tokio::test]
async fn a_failed_read_says_so_and_the_group_ends_with_its_last_run() {
    let (sim, arm, config) = simulator(100).await;
    let lists = lists(&arm, 1);
    // A group that does not exist: Azure answers 404 to its list.
    let mut member = lists.join(&config.subscription_id, "rg-nowhere");
    let snapshot = member.next().await;
    assert!(matches!(snapshot.read, ListRead::Failed), "{snapshot:?}");
    drop(member);
    drop(sim);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        lists.groups.lock().expect("lock").is_empty(),
        "the reader ends with its last member"
    );
}
