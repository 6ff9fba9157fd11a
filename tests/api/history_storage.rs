//! The history's storage contract, on SQLite and on PostgreSQL: entries are written in the same
//! transaction as the job change they describe (both or neither), pages continue exactly under
//! concurrent inserts, filters combine, the export reads every entry, retention deletes in
//! batches.

use std::collections::HashSet;
use std::time::Duration;

use aks_dashboard::clock::now_ms;
use aks_dashboard::domain::history::{HistoryKind, Outcome};
use aks_dashboard::storage::history::Cursor;
use aks_dashboard::storage::{
    Actor, Claimed, CreateJobError, HistoryEvent, HistoryFilter, HistoryRepository, InFlightCaps,
    JobStateRepository, JobUpdate, NewJob, Storage, Subject,
};
use futures_util::StreamExt;

use crate::helpers::on_both_backends;
use crate::storage_contract::cluster;

on_both_backends!(
    a_job_change_and_its_entries_are_one_transaction,
    a_takeover_is_recorded_by_the_claim_itself,
    pages_continue_exactly_under_concurrent_inserts,
    filters_combine_and_owners_see_only_their_own,
    the_export_reads_every_entry_in_order,
    retention_deletes_old_entries_in_batches,
);

fn requested(by: &str) -> HistoryEvent {
    HistoryEvent::new(
        HistoryKind::CreateRequested,
        Outcome::Ok,
        Actor::user(by, by),
    )
}

fn everyone() -> HistoryFilter {
    HistoryFilter::default()
}

async fn all(history: &HistoryRepository, filter: &HistoryFilter) -> Vec<(HistoryKind, String)> {
    let page = history.page(filter, None, 500).await.expect("page");
    page.entries
        .into_iter()
        .map(|e| (e.kind, e.actor))
        .collect()
}

/// `n` entries about `cluster_name` of `owner`, written in transactions of up to 1,000.
async fn seed(history: &HistoryRepository, owner: &str, cluster_name: &str, n: usize) {
    let subject = Subject::request(owner, &cluster(cluster_name));
    let mut left = n;
    while left > 0 {
        let batch = left.min(1_000);
        let events: Vec<HistoryEvent> = (0..batch)
            .map(|i| {
                HistoryEvent::system(HistoryKind::StateChanged, Outcome::Ok)
                    .message(format!("entry {i}"))
            })
            .collect();
        history.record(&subject, &events).await.expect("record");
        left -= batch;
    }
}

async fn a_job_change_and_its_entries_are_one_transaction(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let history = repo.history();
    let before = now_ms();

    // A stored job and its request: both.
    let job = repo
        .create_within(
            &NewJob::aks_provision("ana", cluster("c1"), now_ms()),
            InFlightCaps {
                per_owner: 10,
                per_scope: 10,
            },
            &[requested("ana")],
        )
        .await
        .expect("create");
    // A create refused by the database (the cluster is in flight): neither.
    let refused = repo
        .create_within(
            &NewJob::aks_provision("ben", cluster("c1"), now_ms()),
            InFlightCaps {
                per_owner: 10,
                per_scope: 10,
            },
            &[requested("ben")],
        )
        .await;
    assert!(matches!(refused, Err(CreateJobError::ClusterBusy)));
    // Refused by a cap: neither.
    let capped = repo
        .create_within(
            &NewJob::aks_provision("ana", cluster("c2"), now_ms()),
            InFlightCaps {
                per_owner: 1,
                per_scope: 10,
            },
            &[requested("ana")],
        )
        .await;
    assert!(matches!(
        capped,
        Err(CreateJobError::TooManyInFlight { .. })
    ));
    assert_eq!(
        all(&history, &everyone()).await,
        vec![(HistoryKind::CreateRequested, "ana".to_owned())]
    );

    // A write under a claim that is no longer the job's writes no entry either.
    let claimed = repo
        .claim_batch("runner-a", 60_000, 1, now_ms())
        .await
        .expect("claim");
    let Some(Claimed::Job(claimed)) = claimed.into_iter().next() else {
        panic!("claimed")
    };
    let lease = claimed.lease().expect("lease");
    let mut stale = lease.clone();
    stale.attempt += 5;
    let sent = || JobUpdate {
        arm_put_at: Some(now_ms()),
        history: vec![HistoryEvent::system(
            HistoryKind::AzureCreateSent,
            Outcome::Ok,
        )],
        ..JobUpdate::default()
    };
    assert!(
        repo.update_as_holder(&stale, &sent())
            .await
            .expect("write")
            .is_none()
    );
    assert_eq!(all(&history, &everyone()).await.len(), 1);
    // Under the claim: the change and its entry.
    let written = repo
        .update_as_holder(&lease, &sent())
        .await
        .expect("write")
        .expect("held");
    assert!(written.arm_put_at.is_some());
    let entries = history.page(&everyone(), None, 10).await.expect("page");
    assert_eq!(entries.entries[0].kind, HistoryKind::AzureCreateSent);
    assert_eq!(entries.entries[0].actor, "system");
    assert_eq!(entries.entries[0].job_id.as_deref(), Some(job.id.as_str()));
    assert_eq!(entries.entries[0].cluster_name, "c1");
    // The database's clock: between the test's before and after (same machine).
    for e in &entries.entries {
        assert!(
            e.at >= before - 5_000 && e.at <= now_ms() + 5_000,
            "{}",
            e.at
        );
    }

    // Stop on a queued job that never reached Azure: the cancel and both entries, once.
    let queued = repo
        .create(&NewJob::aks_provision("ana", cluster("c3"), now_ms()))
        .await
        .expect("create");
    let stop = [
        HistoryEvent::new(
            HistoryKind::StopRequested,
            Outcome::Ok,
            Actor::user("ana", "Ana"),
        ),
        HistoryEvent::new(
            HistoryKind::Cancelled,
            Outcome::Cancelled,
            Actor::user("ana", "Ana"),
        ),
    ];
    assert!(
        repo.cancel_if_queued(&queued.id, now_ms(), &stop)
            .await
            .expect("cancel")
            .is_some()
    );
    assert!(
        repo.cancel_if_queued(&queued.id, now_ms(), &stop)
            .await
            .expect("cancel again")
            .is_none()
    );
    let filter = HistoryFilter {
        job_id: Some(queued.id.clone()),
        ..HistoryFilter::default()
    };
    let page = history.page(&filter, None, 10).await.expect("page");
    let kinds: Vec<_> = page.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![HistoryKind::Cancelled, HistoryKind::StopRequested],
        "newest first, in the order written"
    );
    assert_eq!(page.entries[0].actor_name.as_deref(), Some("Ana"));

    // Dismissing twice: one entry.
    let dismissed = [HistoryEvent::new(
        HistoryKind::Dismissed,
        Outcome::Ok,
        Actor::user("ana", "ana"),
    )];
    assert!(
        repo.dismiss("ana", &queued.id, now_ms(), &dismissed)
            .await
            .expect("dismiss")
    );
    assert!(
        !repo
            .dismiss("ana", &queued.id, now_ms(), &dismissed)
            .await
            .expect("dismiss again")
    );
    let filter = HistoryFilter {
        kinds: vec![HistoryKind::Dismissed],
        ..HistoryFilter::default()
    };
    assert_eq!(all(&history, &filter).await.len(), 1);
}

async fn a_takeover_is_recorded_by_the_claim_itself(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let history = repo.history();
    repo.create(&NewJob::aks_provision("ana", cluster("c1"), now_ms()))
        .await
        .expect("create");
    let first = repo
        .claim_batch("runner-a", 300, 1, now_ms())
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    // A first claim is no takeover.
    assert!(all(&history, &everyone()).await.is_empty());
    tokio::time::sleep(Duration::from_millis(600)).await;
    let second = repo
        .claim_batch("runner-b", 60_000, 1, now_ms())
        .await
        .expect("claim");
    assert_eq!(second.len(), 1);
    let page = history.page(&everyone(), None, 10).await.expect("page");
    assert_eq!(page.entries.len(), 1);
    let entry = &page.entries[0];
    assert_eq!(entry.kind, HistoryKind::TakenOver);
    assert_eq!(entry.details["from"], "runner-a");
    assert_eq!(entry.details["to"], "runner-b");
    assert_eq!(entry.details["attempt"], 2);
}

async fn pages_continue_exactly_under_concurrent_inserts(storage: Storage) {
    let history = JobStateRepository::new(storage).history();
    seed(&history, "ana", "c1", 1_200).await;
    let before: HashSet<String> = {
        let mut ids = HashSet::new();
        let mut stream = Box::pin(history.stream(everyone(), None));
        while let Some(e) = stream.next().await {
            ids.insert(e.expect("entry").id);
        }
        ids
    };
    assert_eq!(before.len(), 1_200);

    // Another writer adds entries, in small transactions, all the while the pages are read.
    let writer = {
        let history = history.clone();
        tokio::spawn(async move {
            for _ in 0..60 {
                seed(&history, "ana", "c2", 10).await;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = history
            .page(&everyone(), cursor.as_ref(), 50)
            .await
            .expect("page");
        seen.extend(page.entries.iter().map(|e| e.id.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next).expect("cursor")),
            None => break,
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    writer.await.expect("writer");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no entry twice");
    let missing = before.iter().filter(|id| !unique.contains(id)).count();
    assert_eq!(missing, 0, "none of the entries there at the start skipped");
}

async fn filters_combine_and_owners_see_only_their_own(storage: Storage) {
    let history = JobStateRepository::new(storage).history();
    let ana = Subject::request("ana", &cluster("Web-Prod"));
    let ben = Subject::request("ben", &cluster("batch"));
    history
        .record(
            &ana,
            &[
                requested("ana"),
                HistoryEvent::system(HistoryKind::Failed, Outcome::Failed)
                    .message("Operation could not be completed as it results in exceeding approved standardDSv3Family Cores quota 50% off"),
            ],
        )
        .await
        .expect("ana");
    history
        .record(
            &ben,
            &[
                requested("ben"),
                HistoryEvent::new(
                    HistoryKind::StopRequested,
                    Outcome::Ok,
                    Actor::user("admin", "Ada"),
                ),
            ],
        )
        .await
        .expect("ben");
    let count = |filter: HistoryFilter| {
        let history = history.clone();
        async move {
            history
                .page(&filter, None, 100)
                .await
                .expect("page")
                .entries
                .len()
        }
    };
    let own = |owner: &str| HistoryFilter {
        owner_id: Some(owner.into()),
        ..HistoryFilter::default()
    };
    assert_eq!(count(own("ana")).await, 2);
    assert_eq!(
        count(own("ben")).await,
        2,
        "ben sees the Stop an admin pressed on his job"
    );
    assert_eq!(count(own("carl")).await, 0);
    assert_eq!(count(everyone()).await, 4);
    let cluster_any_case = HistoryFilter {
        cluster: Some("web-prod".into()),
        ..HistoryFilter::default()
    };
    assert_eq!(count(cluster_any_case).await, 2);
    let by_actor = HistoryFilter {
        actor: Some("admin".into()),
        ..HistoryFilter::default()
    };
    assert_eq!(count(by_actor).await, 1);
    let kinds = HistoryFilter {
        kinds: vec![HistoryKind::Failed, HistoryKind::StopRequested],
        ..HistoryFilter::default()
    };
    assert_eq!(count(kinds).await, 2);
    let outcome = HistoryFilter {
        outcome: Some(Outcome::Failed),
        owner_id: Some("ana".into()),
        ..HistoryFilter::default()
    };
    assert_eq!(count(outcome).await, 1);
    // Free text, any case; `%` and `_` are literal.
    let text = |q: &str| HistoryFilter {
        q: Some(q.into()),
        ..HistoryFilter::default()
    };
    assert_eq!(count(text("DSV3FAMILY")).await, 1);
    assert_eq!(count(text("BATCH")).await, 2, "the cluster name too");
    assert_eq!(count(text("50%")).await, 1);
    assert_eq!(count(text("%")).await, 1);
    assert_eq!(count(text("_")).await, 0);
    let scope = HistoryFilter {
        subscription_id: Some("11111111-2222-3333-4444-555555555555".into()),
        resource_group: Some("RG-AKS-DEV".into()),
        ..HistoryFilter::default()
    };
    assert_eq!(count(scope).await, 4);
    let later = HistoryFilter {
        since: Some(now_ms() + 60_000),
        ..HistoryFilter::default()
    };
    assert_eq!(count(later).await, 0);
    let window = HistoryFilter {
        since: Some(now_ms() - 60_000),
        until: Some(now_ms() + 60_000),
        ..HistoryFilter::default()
    };
    assert_eq!(count(window).await, 4);
}

async fn the_export_reads_every_entry_in_order(storage: Storage) {
    let history = JobStateRepository::new(storage).history();
    seed(&history, "ana", "c1", 2_500).await;
    let mut stream = Box::pin(history.stream(everyone(), None));
    let mut last: Option<(i64, String)> = None;
    let mut n = 0;
    while let Some(entry) = stream.next().await {
        let entry = entry.expect("entry");
        let key = (entry.at, entry.id.clone());
        if let Some(previous) = &last {
            assert!(key < *previous, "newest first, strictly");
        }
        last = Some(key);
        n += 1;
    }
    assert_eq!(n, 2_500);
    // From a page's cursor on: exactly the entries after that page.
    let first = history.page(&everyone(), None, 1_000).await.expect("page");
    let cursor = Cursor::decode(first.next_cursor.as_deref().expect("more")).expect("cursor");
    let rest: Vec<String> = Box::pin(history.stream(everyone(), Some(cursor)))
        .map(|e| e.expect("entry").id)
        .collect()
        .await;
    assert_eq!(rest.len(), 1_500);
    assert!(first.entries.iter().all(|e| !rest.contains(&e.id)));
}

async fn retention_deletes_old_entries_in_batches(storage: Storage) {
    let history = JobStateRepository::new(storage).history();
    seed(&history, "ana", "c1", 250).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cutoff = now_ms() + 1_000;
    let mut rounds = Vec::new();
    loop {
        let n = history.prune(cutoff, 100).await.expect("prune");
        rounds.push(n);
        if n < 100 {
            break;
        }
    }
    assert_eq!(rounds, vec![100, 100, 50]);
    assert_eq!(history.count().await.expect("count"), 0);
    // Newer than the cutoff: kept.
    seed(&history, "ana", "c1", 3).await;
    assert_eq!(
        history.prune(now_ms() - 60_000, 100).await.expect("prune"),
        0
    );
    assert_eq!(history.count().await.expect("count"), 3);
}
