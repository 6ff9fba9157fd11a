//! Azure, read once and shared. The clusters of a resource group, the VM sizes and vCPU usage of
//! a region, and resource groups are kept in the server and shared by every page view, tab,
//! pre-flight and job, so that a team's open dashboards do not each read (and throttle) the
//! subscription.
//!
//! - A read of a cached entry answers at once, even when it is due for a refresh; only a key
//!   never read before (or dropped) waits for Azure, and concurrent first reads share one call.
//! - An entry someone read recently is refreshed in the background, so the next read is warm
//!   and changes made outside the dashboard show up; a changed cluster list is announced on the
//!   event bus (`clusters_changed`).
//! - What the dashboard itself does updates the entries at once: a job's view of its cluster
//!   replaces that cluster in the list, and a create drops the region's cached usage.
//! - A resource group that does not exist is an answer like any other (no clusters), cached and
//!   refreshed at the pace of resource groups, not of cluster lists: names typed once cost one
//!   read, not one every few seconds.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::{
    ArmClient, ArmError, ClusterRef, KubernetesVersion, ManagedCluster, ResourceGroup, ResourceSku,
    Usage,
};
use crate::events::DashboardEvent;
use crate::events::bus::EventBus;

/// How fresh each kind of entry is kept while someone looks at it.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub clusters_every: Duration,
    pub usages_every: Duration,
    pub skus_every: Duration,
    pub resource_groups_every: Duration,
    /// An entry nobody read for this long is no longer refreshed.
    pub keep_warm_for: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            clusters_every: Duration::from_secs(15),
            usages_every: Duration::from_secs(60),
            skus_every: Duration::from_secs(600),
            resource_groups_every: Duration::from_secs(300),
            keep_warm_for: Duration::from_secs(120),
        }
    }
}

/// `(subscription, resource group or region)`, lower-case.
type Key = (String, String);

fn key(subscription_id: &str, scope: &str) -> Key {
    (
        subscription_id.to_ascii_lowercase(),
        scope.to_ascii_lowercase(),
    )
}

/// The shared view of Azure. Cheap to clone.
#[derive(Clone)]
pub struct ArmCache {
    inner: Arc<Inner>,
}

struct Inner {
    arm: ArmClient,
    events: EventBus,
    config: CacheConfig,
    epoch: Instant,
    clusters: Table<Vec<ManagedCluster>>,
    usages: Table<Vec<Usage>>,
    skus: Table<Vec<ResourceSku>>,
    kubernetes_versions: Table<Vec<KubernetesVersion>>,
    resource_groups: Table<Option<ResourceGroup>>,
    /// One lock per resource group that a create finds missing: see
    /// [`ArmCache::making_resource_group`].
    making: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl ArmCache {
    pub fn new(arm: ArmClient, events: EventBus, config: CacheConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                arm,
                events,
                config,
                epoch: Instant::now(),
                clusters: Table::new(fetch_clusters),
                usages: Table::new(fetch_usages),
                skus: Table::new(fetch_skus),
                kubernetes_versions: Table::new(fetch_kubernetes_versions),
                resource_groups: Table::new(fetch_resource_group),
                making: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The client behind the cache, for calls that are not cached.
    pub fn arm(&self) -> &ArmClient {
        &self.inner.arm
    }

    fn now_ms(&self) -> i64 {
        i64::try_from(self.inner.epoch.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// The managed clusters of a resource group (none when the group does not exist).
    pub async fn clusters(
        &self,
        subscription_id: &str,
        resource_group: &str,
    ) -> Result<Arc<Vec<ManagedCluster>>, ArmError> {
        self.read(&self.inner.clusters, subscription_id, resource_group)
            .await
    }

    /// The VM sizes of a region with their restrictions.
    pub async fn skus(
        &self,
        subscription_id: &str,
        region: &str,
    ) -> Result<Arc<Vec<ResourceSku>>, ArmError> {
        self.read(&self.inner.skus, subscription_id, region).await
    }

    /// The Kubernetes versions AKS offers in a region.
    pub async fn kubernetes_versions(
        &self,
        subscription_id: &str,
        region: &str,
    ) -> Result<Arc<Vec<KubernetesVersion>>, ArmError> {
        self.read(&self.inner.kubernetes_versions, subscription_id, region)
            .await
    }

    /// The vCPU usage and limits of a region.
    pub async fn usages(
        &self,
        subscription_id: &str,
        region: &str,
    ) -> Result<Arc<Vec<Usage>>, ArmError> {
        self.read(&self.inner.usages, subscription_id, region).await
    }

    /// A resource group, or `None` when it does not exist.
    pub async fn resource_group(
        &self,
        subscription_id: &str,
        resource_group: &str,
    ) -> Result<Arc<Option<ResourceGroup>>, ArmError> {
        self.read(&self.inner.resource_groups, subscription_id, resource_group)
            .await
    }

    /// A resource group as a create needs it: what the cache holds when it was read within
    /// `max_age`, else read now — once for every job (and page) that asks at the same time. So
    /// the runner reads each group at most once per `max_age`, however many creates it has
    /// there.
    pub async fn resource_group_within(
        &self,
        subscription_id: &str,
        resource_group: &str,
        max_age: Duration,
    ) -> Result<Arc<Option<ResourceGroup>>, ArmError> {
        let table = &self.inner.resource_groups;
        let fetch = (table.fetch)(
            self.inner.arm.clone(),
            subscription_id.to_owned(),
            resource_group.to_owned(),
        );
        let max_age = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        table
            .read_within(
                key(subscription_id, resource_group),
                self.now_ms(),
                max_age,
                fetch,
            )
            .await
    }

    async fn read<V: Send + Sync + 'static>(
        &self,
        table: &Table<V>,
        sub: &str,
        scope: &str,
    ) -> Result<Arc<V>, ArmError> {
        let fetch = (table.fetch)(self.inner.arm.clone(), sub.to_owned(), scope.to_owned());
        table.read(key(sub, scope), self.now_ms(), fetch).await
    }

    /// The cluster of this name, if the dashboard knows one: the cached list says so (read now
    /// when `read_if_cold` and nothing is cached), and a read of that one cluster confirms it,
    /// so a cluster deleted since the list was read does not count. Without a cached list and
    /// `read_if_cold` false: `None`, nothing asked.
    pub async fn known_cluster(
        &self,
        subscription_id: &str,
        resource_group: &str,
        name: &str,
        read_if_cold: bool,
    ) -> Result<Option<ManagedCluster>, ArmError> {
        let list = match self.cached_clusters(subscription_id, resource_group) {
            Some(list) => list,
            None if read_if_cold => self.clusters(subscription_id, resource_group).await?,
            None => return Ok(None),
        };
        let listed = list.iter().any(|c| {
            c.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        if !listed {
            return Ok(None);
        }
        let cluster = ClusterRef::new(subscription_id, resource_group, name);
        match self.inner.arm.get_cluster(&cluster).await? {
            Some(found) => {
                self.observe_cluster(subscription_id, resource_group, &found);
                Ok(Some(found))
            }
            None => {
                self.forget_cluster(subscription_id, resource_group, name);
                Ok(None)
            }
        }
    }

    /// The cluster list of a resource group if it is cached, without asking Azure.
    pub fn cached_clusters(
        &self,
        subscription_id: &str,
        resource_group: &str,
    ) -> Option<Arc<Vec<ManagedCluster>>> {
        self.inner
            .clusters
            .peek(&key(subscription_id, resource_group))
    }

    /// Somebody is looking at this resource group's clusters (an open page): keep them fresh.
    pub fn keep_clusters_warm(&self, subscription_id: &str, resource_group: &str) {
        self.inner
            .clusters
            .touch(&key(subscription_id, resource_group), self.now_ms());
    }

    /// A job read its cluster from Azure: the cached list shows it as read.
    pub fn observe_cluster(
        &self,
        subscription_id: &str,
        resource_group: &str,
        cluster: &ManagedCluster,
    ) {
        let Some(name) = cluster.name.clone() else {
            return;
        };
        let changed = self
            .inner
            .clusters
            .update(&key(subscription_id, resource_group), |list| {
                match list.iter().position(|c| {
                    c.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                }) {
                    Some(i) if list[i] == *cluster => false,
                    Some(i) => {
                        list[i] = cluster.clone();
                        true
                    }
                    None => {
                        list.push(cluster.clone());
                        true
                    }
                }
            });
        if changed {
            self.inner
                .events
                .to_everyone(DashboardEvent::ClustersChanged);
        }
    }

    /// A cluster was found gone in Azure: the cached list no longer shows it.
    pub fn forget_cluster(&self, subscription_id: &str, resource_group: &str, name: &str) {
        let changed = self
            .inner
            .clusters
            .update(&key(subscription_id, resource_group), |list| {
                let before = list.len();
                list.retain(|c| {
                    !c.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                });
                list.len() != before
            });
        if changed {
            self.inner
                .events
                .to_everyone(DashboardEvent::ClustersChanged);
        }
    }

    /// Something of this resource group or region changed through the dashboard (a create, a
    /// delete, an abort): the next read asks Azure.
    pub fn invalidate(&self, subscription_id: &str, resource_group: &str, region: &str) {
        self.inner
            .clusters
            .drop_value(&key(subscription_id, resource_group));
        self.inner.usages.drop_value(&key(subscription_id, region));
    }

    /// Held while a create makes sure a resource group it found missing exists (reads it again,
    /// makes it): the other creates of that group wait, then find it in the cache
    /// ([`ArmCache::observe_resource_group`]) instead of each reading and making it again.
    pub async fn making_resource_group(
        &self,
        subscription_id: &str,
        resource_group: &str,
    ) -> tokio::sync::OwnedMutexGuard<()> {
        let group = {
            let mut making = lock(&self.inner.making);
            // Locks nobody holds or waits for are dropped: the map holds groups being made.
            making.retain(|_, l| Arc::strong_count(l) > 1);
            making
                .entry(key(subscription_id, resource_group))
                .or_default()
                .clone()
        };
        group.lock_owned().await
    }

    /// The dashboard read or made this resource group just now: the cache knows it exists.
    pub fn observe_resource_group(
        &self,
        subscription_id: &str,
        resource_group: &str,
        group: ResourceGroup,
    ) {
        let key = key(subscription_id, resource_group);
        let table = &self.inner.resource_groups;
        table.put_back(&key, Arc::new(Some(group)), self.now_ms());
        table.mark_absent(&key, false);
    }

    /// Refreshes, until the process ends, the entries someone read recently; a changed cluster
    /// list is announced. Returns the task, for shutdown.
    pub fn start_refreshing(&self) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                cache.refresh_due().await;
            }
        })
    }

    async fn refresh_due(&self) {
        let config = &self.inner.config;
        let now = self.now_ms();
        let warm = duration_ms(config.keep_warm_for);
        // What nobody asked for in a long while is forgotten: the tables hold what is looked
        // at, not every subscription, group and region ever typed.
        let cold = duration_ms(FORGET_AFTER.max(config.keep_warm_for));
        let forgotten = self.inner.clusters.evict_cold(now, cold)
            + self.inner.usages.evict_cold(now, cold)
            + self.inner.skus.evict_cold(now, cold)
            + self.inner.kubernetes_versions.evict_cold(now, cold)
            + self.inner.resource_groups.evict_cold(now, cold);
        if forgotten > 0 {
            tracing::debug!(
                forgotten,
                "cache entries nobody read for a while were dropped"
            );
        }
        for (sub, rg) in self.inner.clusters.due(
            now,
            duration_ms(config.clusters_every),
            warm,
            duration_ms(config.resource_groups_every),
        ) {
            let before = self.cached_clusters(&sub, &rg);
            let after = self.refresh(&self.inner.clusters, sub, rg).await;
            if after.is_some() && before != after {
                self.inner
                    .events
                    .to_everyone(DashboardEvent::ClustersChanged);
            }
        }
        for (sub, region) in self.inner.usages.due(
            now,
            duration_ms(config.usages_every),
            warm,
            duration_ms(config.usages_every),
        ) {
            self.refresh(&self.inner.usages, sub, region).await;
        }
        for (sub, region) in self.inner.skus.due(
            now,
            duration_ms(config.skus_every),
            warm,
            duration_ms(config.skus_every),
        ) {
            self.refresh(&self.inner.skus, sub, region).await;
        }
        for (sub, region) in self.inner.kubernetes_versions.due(
            now,
            duration_ms(config.skus_every),
            warm,
            duration_ms(config.skus_every),
        ) {
            self.refresh(&self.inner.kubernetes_versions, sub, region)
                .await;
        }
        for (sub, rg) in self.inner.resource_groups.due(
            now,
            duration_ms(config.resource_groups_every),
            warm,
            duration_ms(config.resource_groups_every),
        ) {
            self.refresh(&self.inner.resource_groups, sub, rg).await;
        }
    }

    /// Reads one entry again, while readers keep getting the old value; a failed read keeps it.
    async fn refresh<V>(&self, table: &Table<V>, sub: String, scope: String) -> Option<Arc<V>> {
        let fetch = (table.fetch)(self.inner.arm.clone(), sub.clone(), scope.clone());
        match fetch.await {
            Ok(answer) => {
                let value = Arc::new(answer.value);
                let read = (sub, scope);
                table.put_back(&read, value.clone(), self.now_ms());
                table.mark_absent(&read, answer.absent);
                Some(value)
            }
            Err(err) => {
                tracing::debug!(error = %err, %scope, "cache refresh failed");
                None
            }
        }
    }
}

/// What Azure answered for one key.
struct Answer<V> {
    value: V,
    /// The thing read does not exist (a resource group nobody made): refreshed slowly.
    absent: bool,
}

impl<V> Answer<V> {
    fn of(value: V) -> Self {
        Self {
            value,
            absent: false,
        }
    }
}

type Fetched<V> = Pin<Box<dyn Future<Output = Result<Answer<V>, ArmError>> + Send>>;
/// How a table reads one key from Azure: `(client, subscription, resource group or region)`.
type Fetch<V> = fn(ArmClient, String, String) -> Fetched<V>;

fn fetch_clusters(arm: ArmClient, sub: String, rg: String) -> Fetched<Vec<ManagedCluster>> {
    Box::pin(async move {
        match arm.list_clusters(&sub, &rg).await {
            // No such resource group: no clusters, and no reason to ask again soon.
            Err(e) if e.is_not_found() => Ok(Answer {
                value: Vec::new(),
                absent: true,
            }),
            other => other.map(Answer::of),
        }
    })
}

fn fetch_skus(arm: ArmClient, sub: String, region: String) -> Fetched<Vec<ResourceSku>> {
    Box::pin(async move { arm.list_vm_skus(&sub, &region).await.map(Answer::of) })
}

fn fetch_kubernetes_versions(
    arm: ArmClient,
    sub: String,
    region: String,
) -> Fetched<Vec<KubernetesVersion>> {
    Box::pin(async move {
        arm.list_kubernetes_versions(&sub, &region)
            .await
            .map(Answer::of)
    })
}

fn fetch_usages(arm: ArmClient, sub: String, region: String) -> Fetched<Vec<Usage>> {
    Box::pin(async move { arm.list_compute_usages(&sub, &region).await.map(Answer::of) })
}

fn fetch_resource_group(arm: ArmClient, sub: String, rg: String) -> Fetched<Option<ResourceGroup>> {
    Box::pin(async move { arm.get_resource_group(&sub, &rg).await.map(Answer::of) })
}

/// An entry nobody read for this long is dropped (see [`ArmCache::refresh_due`]).
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

/// Entries a table holds at most: past it, the ones read longest ago make room (a bound, not a
/// working set: a team looks at a few dozen groups and regions).
const MAX_ENTRIES: usize = 10_000;

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// One kind of cached answer, by key, and how to read it from Azure.
struct Table<V> {
    slots: Mutex<HashMap<Key, Arc<Slot<V>>>>,
    fetch: Fetch<V>,
    max_entries: usize,
}

/// Drops the tenth of the entries read longest ago (not one being read), so a table full of
/// keys typed once makes room for a new one without a scan per insert.
fn make_room<V>(slots: &mut HashMap<Key, Arc<Slot<V>>>, max_entries: usize) {
    let mut by_age: Vec<(i64, Key)> = slots
        .iter()
        .filter(|(_, slot)| Arc::strong_count(slot) == 1)
        .map(|(k, slot)| (slot.last_read.load(Ordering::Relaxed), k.clone()))
        .collect();
    by_age.sort_unstable_by_key(|(at, _)| *at);
    let drop = (max_entries / 10).max(1);
    for (_, key) in by_age.into_iter().take(drop) {
        slots.remove(&key);
    }
}

struct Slot<V> {
    /// The value and when (ms since the cache's epoch) it was read from Azure.
    value: Mutex<Option<(i64, Arc<V>)>>,
    /// One first read at a time; the others wait for it. Held by the read itself, not by the
    /// reader that started it.
    loading: Arc<tokio::sync::Mutex<()>>,
    last_read: AtomicI64,
    /// The last answer said the thing read does not exist.
    absent: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<V> Table<V> {
    fn new(fetch: Fetch<V>) -> Self {
        Self::bounded(fetch, MAX_ENTRIES)
    }

    fn bounded(fetch: Fetch<V>, max_entries: usize) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            fetch,
            max_entries: max_entries.max(1),
        }
    }

    fn slot(&self, key: &Key) -> Arc<Slot<V>> {
        let mut slots = lock(&self.slots);
        if !slots.contains_key(key) && slots.len() >= self.max_entries {
            make_room(&mut slots, self.max_entries);
        }
        slots
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(Slot {
                    value: Mutex::new(None),
                    loading: Arc::new(tokio::sync::Mutex::new(())),
                    last_read: AtomicI64::new(0),
                    absent: std::sync::atomic::AtomicBool::new(false),
                })
            })
            .clone()
    }

    fn existing(&self, key: &Key) -> Option<Arc<Slot<V>>> {
        lock(&self.slots).get(key).cloned()
    }

    /// The cached value, or the one `fetch` reads (once, for every concurrent reader).
    ///
    /// The read from Azure runs as its own task: when the reader that started it goes away (a
    /// page whose visitor left), the answer still fills the cache for the next reader, and
    /// Azure is not asked again.
    async fn read(&self, key: Key, now: i64, fetch: Fetched<V>) -> Result<Arc<V>, ArmError>
    where
        V: Send + Sync + 'static,
    {
        self.read_within(key, now, i64::MAX, fetch).await
    }

    /// [`Table::read`], where a cached value read more than `max_age` ms before `now` does not
    /// count: it is read again (once, for every concurrent reader).
    async fn read_within(
        &self,
        key: Key,
        now: i64,
        max_age: i64,
        fetch: Fetched<V>,
    ) -> Result<Arc<V>, ArmError>
    where
        V: Send + Sync + 'static,
    {
        let slot = self.slot(&key);
        slot.last_read.store(now, Ordering::Relaxed);
        let fresh = |at: i64| now.saturating_sub(at) <= max_age;
        if let Some((at, value)) = lock(&slot.value).as_ref()
            && fresh(*at)
        {
            return Ok(value.clone());
        }
        let loading = slot.loading.clone().lock_owned().await;
        if let Some((at, value)) = lock(&slot.value).as_ref()
            && fresh(*at)
        {
            return Ok(value.clone());
        }
        let filling = slot.clone();
        let read = tokio::spawn(async move {
            let _loading = loading;
            let answer = fetch.await?;
            let value = Arc::new(answer.value);
            filling.absent.store(answer.absent, Ordering::Relaxed);
            *lock(&filling.value) = Some((now, value.clone()));
            Ok(value)
        });
        match read.await {
            Ok(answer) => answer,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(ArmError::Network("the read was stopped (shutdown)".into())),
        }
    }

    fn peek(&self, key: &Key) -> Option<Arc<V>> {
        let slot = self.existing(key)?;
        lock(&slot.value).as_ref().map(|(_, v)| v.clone())
    }

    fn touch(&self, key: &Key, now: i64) {
        self.slot(key).last_read.store(now, Ordering::Relaxed);
    }

    fn drop_value(&self, key: &Key) {
        if let Some(slot) = self.existing(key) {
            *lock(&slot.value) = None;
        }
    }

    /// Replaces the value, read from Azure at `now`.
    fn put_back(&self, key: &Key, value: Arc<V>, now: i64) {
        *lock(&self.slot(key).value) = Some((now, value));
    }

    /// Drops the entries nobody read for more than `cold` ms, unless a read holds one right
    /// now. How many went.
    fn evict_cold(&self, now: i64, cold: i64) -> usize {
        let mut slots = lock(&self.slots);
        let before = slots.len();
        slots.retain(|_, slot| {
            now - slot.last_read.load(Ordering::Relaxed) <= cold || Arc::strong_count(slot) > 1
        });
        before - slots.len()
    }

    /// Keys read within `warm` whose value is older than `every` (`absent_every` for a thing
    /// that did not exist), or missing.
    fn due(&self, now: i64, every: i64, warm: i64, absent_every: i64) -> Vec<Key> {
        lock(&self.slots)
            .iter()
            .filter(|(_, slot)| now - slot.last_read.load(Ordering::Relaxed) <= warm)
            // A slot being read right now is filled by that read: not asked twice.
            .filter(|(_, slot)| slot.loading.try_lock().is_ok())
            .filter(|(_, slot)| {
                let every = if slot.absent.load(Ordering::Relaxed) {
                    absent_every
                } else {
                    every
                };
                lock(&slot.value)
                    .as_ref()
                    .is_none_or(|(at, _)| now - *at >= every)
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Notes whether the last answer for `key` said the thing does not exist.
    fn mark_absent(&self, key: &Key, absent: bool) {
        if let Some(slot) = self.existing(key) {
            slot.absent.store(absent, Ordering::Relaxed);
        }
    }
}

impl<V: Clone> Table<V> {
    /// Changes a cached value in place; false when nothing is cached or `change` changed
    /// nothing.
    fn update(&self, key: &Key, change: impl FnOnce(&mut V) -> bool) -> bool {
        let Some(slot) = self.existing(key) else {
            return false;
        };
        let mut current = lock(&slot.value);
        let Some((at, value)) = current.as_mut() else {
            return false;
        };
        let mut copy = V::clone(value);
        if !change(&mut copy) {
            return false;
        }
        *current = Some((*at, Arc::new(copy)));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never_read(_: ArmClient, _: String, _: String) -> Fetched<u32> {
        Box::pin(async { Err(ArmError::Network("not in this test".into())) })
    }

    fn answer(value: u32) -> Result<Answer<u32>, ArmError> {
        Ok(Answer::of(value))
    }

    #[tokio::test]
    async fn concurrent_first_reads_share_one_fetch() {
        let table: Arc<Table<u32>> = Arc::new(Table::new(never_read));
        let calls = Arc::new(AtomicI64::new(0));
        let mut readers = Vec::new();
        for _ in 0..8 {
            let (table, calls) = (table.clone(), calls.clone());
            readers.push(tokio::spawn(async move {
                let fetch: Fetched<u32> = Box::pin(async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    answer(7)
                });
                table.read(key("s", "rg"), 0, fetch).await
            }));
        }
        for reader in readers {
            let value = reader.await.expect("reader").expect("value");
            assert_eq!(*value, 7);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_first_read_whose_reader_left_still_fills_the_cache() {
        let table: Arc<Table<u32>> = Arc::new(Table::new(never_read));
        let calls = Arc::new(AtomicI64::new(0));
        let counted = |calls: Arc<AtomicI64>| -> Fetched<u32> {
            Box::pin(async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                answer(7)
            })
        };
        // A page whose visitor left while Azure was being read: its reader is dropped.
        let left = tokio::time::timeout(
            Duration::from_millis(10),
            table.read(key("s", "rg"), 0, counted(calls.clone())),
        )
        .await;
        assert!(
            left.is_err(),
            "the first reader gave up before Azure answered"
        );
        // The next reader gets that read's answer: Azure was asked once.
        let value = table
            .read(key("s", "rg"), 0, counted(calls.clone()))
            .await
            .expect("value");
        assert_eq!(*value, 7);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_read_is_not_cached() {
        let table: Table<u32> = Table::new(never_read);
        let failed = table
            .read(
                key("s", "rg"),
                0,
                Box::pin(async { Err(ArmError::Network("down".into())) }),
            )
            .await;
        assert!(failed.is_err());
        let value = table
            .read(key("s", "rg"), 1, Box::pin(async { answer(3) }))
            .await;
        assert_eq!(value.ok().as_deref(), Some(&3));
    }

    #[test]
    fn only_entries_read_recently_and_old_enough_are_due() {
        let table: Table<u32> = Table::new(never_read);
        // Read at 9.5 s, looked at since: fresh enough.
        table.put_back(&key("s", "fresh"), Arc::new(1), 9_500);
        table.touch(&key("s", "fresh"), 9_900);
        // Read at 0 s, looked at 1 s ago: due.
        table.put_back(&key("s", "old"), Arc::new(1), 0);
        table.touch(&key("s", "old"), 9_000);
        // Read at 0 s, nobody looked for 10 s: left alone.
        table.put_back(&key("s", "unread"), Arc::new(1), 0);
        table.touch(&key("s", "unread"), 0);
        let due = table.due(10_000, 5_000, 2_000, 60_000);
        assert_eq!(due, vec![key("s", "old")]);
    }

    #[test]
    fn what_does_not_exist_is_refreshed_at_its_own_slower_pace() {
        let table: Table<u32> = Table::new(never_read);
        // Two groups read at 0 s and looked at since; one of them does not exist.
        for name in ["real", "typo"] {
            table.put_back(&key("s", name), Arc::new(0), 0);
            table.touch(&key("s", name), 9_900);
        }
        table.mark_absent(&key("s", "typo"), true);
        assert_eq!(
            table.due(10_000, 5_000, 2_000, 60_000),
            vec![key("s", "real")]
        );
        let mut both = table.due(70_000, 5_000, 70_000, 60_000);
        both.sort();
        assert_eq!(both, vec![key("s", "real"), key("s", "typo")]);
    }

    #[test]
    fn entries_nobody_read_for_a_while_are_forgotten() {
        let table: Table<u32> = Table::new(never_read);
        table.put_back(&key("s", "looked-at"), Arc::new(1), 0);
        table.touch(&key("s", "looked-at"), 9_000);
        table.put_back(&key("s", "typed-once"), Arc::new(1), 0);
        table.touch(&key("s", "typed-once"), 1_000);
        let reading = table.slot(&key("s", "being-read"));
        assert_eq!(table.evict_cold(10_000, 5_000), 1);
        assert!(table.peek(&key("s", "looked-at")).is_some());
        assert!(table.existing(&key("s", "typed-once")).is_none());
        assert!(
            table.existing(&key("s", "being-read")).is_some(),
            "a read holds it"
        );
        drop(reading);
        assert_eq!(table.evict_cold(10_000, 5_000), 1);
    }

    #[test]
    fn a_full_table_drops_what_was_read_longest_ago() {
        let table: Table<u32> = Table::bounded(never_read, 10);
        for i in 0..10 {
            table.put_back(&key("s", &format!("rg{i}")), Arc::new(i), 0);
            table.touch(&key("s", &format!("rg{i}")), i64::from(i));
        }
        table.touch(&key("s", "rg0"), 100);
        table.put_back(&key("s", "new"), Arc::new(99), 0);
        let slots = lock(&table.slots);
        assert_eq!(slots.len(), 10, "bounded");
        assert!(slots.contains_key(&key("s", "new")));
        assert!(slots.contains_key(&key("s", "rg0")), "read lately: kept");
        assert!(
            !slots.contains_key(&key("s", "rg1")),
            "read longest ago: dropped"
        );
    }

    #[test]
    fn keys_ignore_case() {
        assert_eq!(key("S", "RG-Aks"), key("s", "rg-aks"));
    }
}
