//! Following many creates of one resource group with one read: every poll, this server reads
//! the group's cluster list once (`GET …/resourceGroups/{rg}/providers/
//! Microsoft.ContainerService/managedClusters`, following `nextLink`) and each of its runs in
//! that group reads its cluster's `provisioningState` and pools from it, instead of asking for
//! its own operation and cluster (docs/follow-by-list.md).
//!
//! A run joins its group while it follows, and leaves when it stops (dropping its
//! [`Membership`]). The group's reader reads only while at least `min_jobs` runs are members —
//! below that, one run's own operation poll costs less than a list, and the runs follow
//! per job; every poll it publishes a [`Snapshot`] (read, failed or skipped), and the runs
//! waiting on it go on from there. A reader with no members left ends.
//!
//! Each server reads its own lists (several servers of one database do not share one): a
//! group costs each server one read per poll, whatever the number of its jobs there.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::azure::{ArmClient, ManagedCluster};
use crate::domain::history::AzureIds;
use crate::jobs::read_budget::ReadBudget;

/// The most pages one list read follows (a thousand clusters at Azure's page sizes).
const MAX_PAGES: usize = 50;

/// The lists of this server's followed resource groups.
pub struct GroupLists {
    arm: ArmClient,
    reads: Arc<ReadBudget>,
    every: Duration,
    min_jobs: usize,
    groups: Mutex<HashMap<GroupKey, Arc<Group>>>,
}

/// Subscription and resource group, lower case (Azure's names are case-insensitive).
type GroupKey = (String, String);

struct Group {
    members: AtomicUsize,
    snapshots: watch::Sender<Arc<Snapshot>>,
}

/// One poll of a group's list.
#[derive(Debug)]
pub struct Snapshot {
    seq: u64,
    pub read: ListRead,
}

/// What one poll of a group's list gave.
#[derive(Debug)]
pub enum ListRead {
    /// Not read: too few runs follow the group for a list to pay.
    Skipped,
    /// Azure did not answer usefully (logged); the runs ask about their own creates.
    Failed,
    /// Every cluster of the group, by lower-case name, with the ids of the page it came on.
    Read(HashMap<String, (ManagedCluster, Arc<AzureIds>)>),
}

impl Snapshot {
    /// The cluster of this name in the list, with Azure's ids of the read that showed it:
    /// `None` when the list was not read, `Some(None)` when it was and has no such cluster.
    pub fn cluster(&self, name: &str) -> Option<Option<(&ManagedCluster, &AzureIds)>> {
        match &self.read {
            ListRead::Read(clusters) => Some(
                clusters
                    .get(&name.to_ascii_lowercase())
                    .map(|(c, ids)| (c, ids.as_ref())),
            ),
            ListRead::Skipped | ListRead::Failed => None,
        }
    }
}

impl GroupLists {
    /// Lists read every `every` (the runs' poll), with `reads`, for groups where at least
    /// `min_jobs` runs follow (0: never; runs follow per job).
    pub fn new(arm: ArmClient, reads: Arc<ReadBudget>, every: Duration, min_jobs: usize) -> Self {
        Self {
            arm: arm.single_attempt(),
            reads,
            every: every.max(Duration::from_millis(10)),
            min_jobs,
            groups: Mutex::new(HashMap::new()),
        }
    }

    /// A run's membership of its group while it follows; its reader starts with the first.
    pub fn join(self: &Arc<Self>, subscription_id: &str, resource_group: &str) -> Membership {
        let key = (
            subscription_id.to_ascii_lowercase(),
            resource_group.to_ascii_lowercase(),
        );
        let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
        let group = groups
            .entry(key.clone())
            .or_insert_with(|| {
                let group = Arc::new(Group {
                    members: AtomicUsize::new(0),
                    snapshots: watch::Sender::new(Arc::new(Snapshot {
                        seq: 0,
                        read: ListRead::Skipped,
                    })),
                });
                tokio::spawn(self.clone().read_loop(
                    key,
                    subscription_id.to_owned(),
                    resource_group.to_owned(),
                    group.clone(),
                ));
                group
            })
            .clone();
        group.members.fetch_add(1, Ordering::SeqCst);
        let seen = group.snapshots.borrow().seq;
        Membership {
            group,
            seen,
            min_jobs: self.min_jobs,
        }
    }

    async fn read_loop(
        self: Arc<Self>,
        key: GroupKey,
        subscription_id: String,
        resource_group: String,
        group: Arc<Group>,
    ) {
        let mut seq = 0;
        let mut listing = false;
        loop {
            tokio::time::sleep(self.every).await;
            let members = group.members.load(Ordering::SeqCst);
            if members == 0 {
                // Members join under the map's lock: none can join between this look and the
                // removal.
                let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
                if group.members.load(Ordering::SeqCst) == 0 {
                    groups.remove(&key);
                    if listing {
                        crate::metrics::follow_list_groups(-1.0);
                    }
                    return;
                }
                continue;
            }
            let list = self.min_jobs > 0 && members >= self.min_jobs;
            if list != listing {
                crate::metrics::follow_list_groups(if list { 1.0 } else { -1.0 });
                listing = list;
            }
            let read = if list {
                self.read(&subscription_id, &resource_group).await
            } else {
                ListRead::Skipped
            };
            seq += 1;
            group
                .snapshots
                .send_replace(Arc::new(Snapshot { seq, read }));
        }
    }

    /// Every page of the group's list, each read within the server's read budget.
    async fn read(&self, subscription_id: &str, resource_group: &str) -> ListRead {
        let mut clusters = HashMap::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            self.reads.spend().await;
            crate::metrics::follow_read("list_page");
            let page = match self
                .arm
                .list_clusters_page(subscription_id, resource_group, next.as_deref())
                .await
            {
                Ok(page) => page,
                Err(err) => {
                    tracing::info!(%subscription_id, %resource_group, error = %err, "could not read the group's cluster list; its creates ask Azure one by one this time");
                    return ListRead::Failed;
                }
            };
            let ids = Arc::new(page.azure);
            for cluster in page.clusters {
                let name = cluster
                    .name
                    .clone()
                    .or_else(|| cluster.id.as_deref()?.rsplit('/').next().map(str::to_owned));
                if let Some(name) = name {
                    clusters.insert(name.to_ascii_lowercase(), (cluster, ids.clone()));
                }
            }
            match page.next_link {
                Some(link) => next = Some(link),
                None => return ListRead::Read(clusters),
            }
        }
        tracing::warn!(%subscription_id, %resource_group, pages = MAX_PAGES, "the group's cluster list has more pages than are read; its creates ask Azure one by one");
        ListRead::Failed
    }
}

/// A run's place in its group's list while it follows; leaving is dropping it.
pub struct Membership {
    group: Arc<Group>,
    seen: u64,
    min_jobs: usize,
}

impl Membership {
    /// Whether the group is followed by list now (enough runs of this server follow there).
    pub fn by_list(&self) -> bool {
        self.min_jobs > 0 && self.group.members.load(Ordering::SeqCst) >= self.min_jobs
    }

    /// The group's next poll after the last one this run had (reads from before it joined do
    /// not count: its create may be newer than they are).
    pub async fn next(&mut self) -> Arc<Snapshot> {
        let mut snapshots = self.group.snapshots.subscribe();
        loop {
            let snapshot = snapshots.borrow_and_update().clone();
            if snapshot.seq > self.seen {
                self.seen = snapshot.seq;
                return snapshot;
            }
            if snapshots.changed().await.is_err() {
                // The reader is gone (the runtime is stopping): nothing was read.
                return Arc::new(Snapshot {
                    seq: self.seen,
                    read: ListRead::Skipped,
                });
            }
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.group.members.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests;
