//! The job storage contract: every scenario is written once and runs unchanged on SQLite and on
//! PostgreSQL (`sqlite::…` and `postgres::…` tests).

use std::collections::{HashMap, HashSet};

use aks_dashboard::clock::now_ms;
use aks_dashboard::domain::{PartialCluster, PoolProgress, Progress};
use aks_dashboard::storage::{
    Claimed, ClusterContext, CreateJobError, HeldLease, InternalErrorOutcome, JobAccessError,
    JobLease, JobRecord, JobStateRepository, JobStatus, JobUpdate, NewJob, Storage, StorageError,
};

use crate::helpers::on_both_backends;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const FAILED_OR_CANCELLED: &[JobStatus] = &[JobStatus::Failed, JobStatus::Cancelled];

on_both_backends!(
    recent_failures_are_failed_or_cancelled_provisions_inside_the_window,
    recent_failures_are_newest_first_and_limited,
    a_failure_behind_the_newest_200_jobs_is_still_found,
    dismissed_failures_stay_dismissed,
    a_later_success_of_the_same_cluster_supersedes_a_failure,
    owners_never_see_each_others_jobs,
    concurrent_claims_never_hand_a_job_to_two_workers,
    an_expired_lease_is_claimable_again,
    a_renewed_lease_is_not_claimable,
    a_released_job_goes_back_to_the_queue,
    stop_requests_reach_the_holder_with_its_renewal,
    one_job_per_cluster_is_in_flight_whoever_asks,
    an_owner_may_have_only_so_many_jobs_in_flight,
    internal_errors_retry_then_fail_the_job,
    a_job_that_may_have_reached_azure_is_not_cancelled_in_the_queue,
    a_row_that_cannot_be_read_is_skipped_and_claimed_as_unreadable,
    update_changes_only_the_fields_given,
    a_storage_failure_is_a_typed_error,
);

/// A cluster of the simulator's default subscription and resource group (also the history's
/// storage tests).
pub(crate) fn cluster(name: &str) -> ClusterContext {
    ClusterContext {
        subscription_id: "11111111-2222-3333-4444-555555555555".to_owned(),
        resource_group: "rg-aks-dev".to_owned(),
        region: "koreacentral".to_owned(),
        cluster_name: name.to_owned(),
        node_sku: "Standard_D4s_v3".to_owned(),
        node_count: 3,
        system_vm_size: "Standard_D2s_v3".to_owned(),
        system_node_count: 1,
        kubernetes_version: String::new(),
    }
}

async fn provision_with(
    repo: &JobStateRepository,
    owner: &str,
    payload: ClusterContext,
    status: JobStatus,
    created_at: i64,
) -> JobRecord {
    let job = repo
        .create(&NewJob::aks_provision(owner, payload, created_at))
        .await
        .expect("create job");
    if status == JobStatus::Queued {
        return job;
    }
    let update = JobUpdate {
        status: Some(status),
        ..JobUpdate::default()
    };
    repo.update(&job.id, &update)
        .await
        .expect("update job")
        .expect("job exists")
}

async fn provision(
    repo: &JobStateRepository,
    owner: &str,
    cluster_name: &str,
    status: JobStatus,
    created_at: i64,
) -> JobRecord {
    provision_with(repo, owner, cluster(cluster_name), status, created_at).await
}

fn ids(jobs: &[JobRecord]) -> Vec<&str> {
    jobs.iter().map(|j| j.id.as_str()).collect()
}

async fn recent_failures_are_failed_or_cancelled_provisions_inside_the_window(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let now = now_ms();
    let failed = provision(&repo, "ana", "a", JobStatus::Failed, now - HOUR).await;
    let cancelled = provision(&repo, "ana", "b", JobStatus::Cancelled, now - 2 * HOUR).await;
    // A cancel that left a cluster behind counts; one that stopped before Azure did not.
    let cancelled = repo
        .update(
            &cancelled.id,
            &JobUpdate {
                partial_cluster: Some(PartialCluster {
                    resource_id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/b".into(),
                    portal_url: "https://portal.azure.com/".into(),
                    last_state: Some("Creating".into()),
                    abort_requested: false,
                }),
                ..JobUpdate::default()
            },
        )
        .await
        .expect("update")
        .expect("job exists");
    provision(&repo, "ana", "b2", JobStatus::Cancelled, now - 3 * HOUR).await;
    provision(&repo, "ana", "c", JobStatus::Succeeded, now - 30 * MINUTE).await;
    provision(&repo, "ana", "d", JobStatus::Running, now - 10 * MINUTE).await;
    provision(&repo, "ana", "e", JobStatus::Queued, now - 5 * MINUTE).await;
    provision(&repo, "ana", "old", JobStatus::Failed, now - 25 * HOUR).await;
    let mut other_type = NewJob::aks_provision("ana", cluster("f"), now - MINUTE);
    other_type.job_type = "aks_delete".to_owned();
    let other_type = repo.create(&other_type).await.expect("create");
    repo.update(
        &other_type.id,
        &JobUpdate {
            status: Some(JobStatus::Failed),
            ..JobUpdate::default()
        },
    )
    .await
    .expect("update");

    let recent = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, now - 24 * HOUR, 10)
        .await
        .expect("recent failures");
    assert_eq!(ids(&recent), [failed.id.as_str(), cancelled.id.as_str()]);
    assert_eq!(recent[0].payload, cluster("a"));
    assert_eq!(recent[0].status, JobStatus::Failed);

    let only_failed = repo
        .recent_failed_provisions("ana", &[JobStatus::Failed], now - 24 * HOUR, 10)
        .await
        .expect("recent failures");
    assert_eq!(ids(&only_failed), [failed.id.as_str()]);

    let last_90_minutes = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, now - 90 * MINUTE, 10)
        .await
        .expect("recent failures");
    assert_eq!(ids(&last_90_minutes), [failed.id.as_str()]);

    let a_week = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, now - 168 * HOUR, 10)
        .await
        .expect("recent failures");
    assert_eq!(a_week.len(), 3, "the 25 h old failure is inside a week");
}

async fn recent_failures_are_newest_first_and_limited(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let now = now_ms();
    let mut failures = Vec::new();
    // Stored oldest last, so that insertion order cannot pass for time order.
    for age in [1, 5, 2, 4, 3] {
        let job = provision(
            &repo,
            "ana",
            &format!("c{age}"),
            JobStatus::Failed,
            now - age * HOUR,
        )
        .await;
        failures.push((age, job.id));
    }
    failures.sort();
    let newest_three: Vec<&str> = failures.iter().take(3).map(|(_, id)| id.as_str()).collect();

    let recent = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, now - 24 * HOUR, 3)
        .await
        .expect("recent failures");
    assert_eq!(ids(&recent), newest_three);

    let none = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, now - 24 * HOUR, 0)
        .await
        .expect("recent failures");
    assert!(none.is_empty());
}

async fn a_failure_behind_the_newest_200_jobs_is_still_found(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let now = now_ms();
    let failed = provision(&repo, "ana", "broken", JobStatus::Failed, now - 3 * HOUR).await;
    for i in 0..250 {
        provision(
            &repo,
            "ana",
            &format!("ok{i}"),
            JobStatus::Succeeded,
            now - 2 * HOUR + i,
        )
        .await;
    }

    let newest_200 = repo.list_for_owner("ana", 200).await.expect("list");
    assert_eq!(newest_200.len(), 200);
    assert!(
        newest_200.iter().all(|j| j.id != failed.id),
        "the failure is older than the newest 200 jobs"
    );

    let recent = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, now - 24 * HOUR, 10)
        .await
        .expect("recent failures");
    assert_eq!(ids(&recent), [failed.id.as_str()]);
}

async fn dismissed_failures_stay_dismissed(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let now = now_ms();
    let kept = provision(&repo, "ana", "a", JobStatus::Failed, now - 2 * HOUR).await;
    let dismissed = provision(&repo, "ana", "b", JobStatus::Failed, now - HOUR).await;

    assert!(
        repo.dismiss("ana", &dismissed.id, now, &[])
            .await
            .expect("dismiss"),
        "dismissed now"
    );
    let recent = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, now - 24 * HOUR, 10)
        .await
        .expect("recent failures");
    assert_eq!(ids(&recent), [kept.id.as_str()]);

    assert!(
        !repo
            .dismiss("ana", &dismissed.id, now + MINUTE, &[])
            .await
            .expect("dismissing twice is fine"),
        "nothing changed the second time"
    );
    let stored = repo.get(&dismissed.id).await.expect("get").expect("exists");
    assert_eq!(stored.dismissed_at, Some(now), "the first dismissal counts");

    assert!(matches!(
        repo.dismiss("ben", &kept.id, now, &[]).await,
        Err(JobAccessError::Forbidden)
    ));
    assert!(matches!(
        repo.dismiss("ana", "no-such-job", now, &[]).await,
        Err(JobAccessError::NotFound)
    ));
    let kept_now = repo.get(&kept.id).await.expect("get").expect("exists");
    assert_eq!(
        kept_now.dismissed_at, None,
        "another owner cannot dismiss it"
    );
}

async fn a_later_success_of_the_same_cluster_supersedes_a_failure(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let now = now_ms();
    // Re-created successfully later (Azure names are case-insensitive): hidden.
    provision(&repo, "ana", "alpha", JobStatus::Failed, now - 5 * HOUR).await;
    provision(&repo, "ana", "ALPHA", JobStatus::Succeeded, now - 4 * HOUR).await;
    // The success came before the failure: still shown.
    let beta = provision(&repo, "ana", "beta", JobStatus::Failed, now - 3 * HOUR).await;
    provision(&repo, "ana", "beta", JobStatus::Succeeded, now - 4 * HOUR).await;
    // Someone else's success does not resolve this owner's failure.
    let gamma = provision(&repo, "ana", "gamma", JobStatus::Failed, now - 2 * HOUR).await;
    provision(&repo, "ben", "gamma", JobStatus::Succeeded, now - HOUR).await;
    // Same name in another resource group is another cluster.
    let delta = provision(&repo, "ana", "delta", JobStatus::Failed, now - HOUR).await;
    let mut elsewhere = cluster("delta");
    elsewhere.resource_group = "rg-other".to_owned();
    provision_with(
        &repo,
        "ana",
        elsewhere,
        JobStatus::Succeeded,
        now - 30 * MINUTE,
    )
    .await;
    // A newer attempt that failed again does not hide the older one.
    let epsilon_1 = provision(
        &repo,
        "ana",
        "epsilon",
        JobStatus::Failed,
        now - 20 * MINUTE,
    )
    .await;
    let epsilon_2 = provision(
        &repo,
        "ana",
        "epsilon",
        JobStatus::Failed,
        now - 10 * MINUTE,
    )
    .await;

    let recent = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, now - 24 * HOUR, 10)
        .await
        .expect("recent failures");
    assert_eq!(
        ids(&recent),
        [
            epsilon_2.id.as_str(),
            epsilon_1.id.as_str(),
            delta.id.as_str(),
            gamma.id.as_str(),
            beta.id.as_str()
        ]
    );
}

async fn owners_never_see_each_others_jobs(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let now = now_ms();
    let anas = provision(&repo, "ana", "shared-name", JobStatus::Failed, now - HOUR).await;
    let bens = provision(&repo, "ben", "shared-name", JobStatus::Failed, now - HOUR).await;
    let bens_running = provision(&repo, "ben", "other", JobStatus::Running, now - MINUTE).await;

    let for_ana = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, now - 24 * HOUR, 10)
        .await
        .expect("recent failures");
    assert_eq!(ids(&for_ana), [anas.id.as_str()]);
    let listed = repo.list_for_owner("ana", 50).await.expect("list");
    assert_eq!(ids(&listed), [anas.id.as_str()]);
    let in_flight = repo
        .in_flight_provisions("ana", 10)
        .await
        .expect("in flight");
    assert!(in_flight.is_empty());
    let bens_in_flight = repo
        .in_flight_provisions("ben", 10)
        .await
        .expect("in flight");
    assert_eq!(ids(&bens_in_flight), [bens_running.id.as_str()]);

    let own = repo
        .get_for_owner("ana", &anas.task_id)
        .await
        .expect("own job");
    assert_eq!(own.id, anas.id);
    assert!(matches!(
        repo.get_for_owner("ana", &bens.task_id).await,
        Err(JobAccessError::Forbidden)
    ));
    assert!(matches!(
        repo.get_for_owner("ana", "not-a-task").await,
        Err(JobAccessError::NotFound)
    ));
}

/// One job claimed for `holder` with a lease of `lease_ms`, if any is runnable.
async fn claim_one(repo: &JobStateRepository, holder: &str, lease_ms: i64) -> Option<JobRecord> {
    let mut claimed = repo
        .claim_batch(holder, lease_ms, 1, now_ms())
        .await
        .expect("claim");
    assert!(claimed.len() <= 1);
    claimed.pop().map(|c| match c {
        Claimed::Job(job) => *job,
        Claimed::Unreadable { lease, error } => panic!("unreadable {lease:?}: {error}"),
    })
}

fn lease_of(job: &JobRecord) -> JobLease {
    job.lease().expect("a claimed job has a lease")
}

/// Waits until the database's clock has moved past `ms` milliseconds from now.
async fn let_time_pass(ms: u64) {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

async fn concurrent_claims_never_hand_a_job_to_two_workers(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let now = now_ms();
    for i in 0..50 {
        provision(
            &repo,
            &format!("owner{}", i % 7),
            &format!("c{i}"),
            JobStatus::Queued,
            now + i,
        )
        .await;
    }

    let workers: Vec<_> = (0..16)
        .map(|w| {
            let repo = repo.clone();
            tokio::spawn(async move {
                let holder = format!("worker-{w}");
                let mut claimed = Vec::new();
                loop {
                    // Batches of up to 3: the runner claims several jobs in one statement.
                    let batch = repo
                        .claim_batch(&holder, 60_000, 3, now_ms())
                        .await
                        .expect("claim");
                    if batch.is_empty() {
                        break;
                    }
                    for c in batch {
                        let Claimed::Job(job) = c else {
                            panic!("every row is readable")
                        };
                        assert_eq!(job.lease_holder.as_deref(), Some(holder.as_str()));
                        assert_eq!(job.status, JobStatus::Running);
                        claimed.push(job.id);
                    }
                }
                (holder, claimed)
            })
        })
        .collect();
    // Dashboards keep reading while workers write.
    let readers: Vec<_> = (0..4)
        .map(|r| {
            let repo = repo.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    repo.recent_failed_provisions(&format!("owner{r}"), FAILED_OR_CANCELLED, 0, 10)
                        .await
                        .expect("read during claims");
                    repo.list_for_owner(&format!("owner{r}"), 20)
                        .await
                        .expect("read during claims");
                }
            })
        })
        .collect();

    let mut holder_of: HashMap<String, String> = HashMap::new();
    for worker in workers {
        let (holder, claimed) = worker.await.expect("worker");
        for id in claimed {
            if let Some(first) = holder_of.insert(id.clone(), holder.clone()) {
                panic!("job {id} was handed to {first} and {holder}");
            }
        }
    }
    for reader in readers {
        reader.await.expect("reader");
    }
    assert_eq!(holder_of.len(), 50, "every job was claimed once");
    for (id, holder) in &holder_of {
        let job = repo.get(id).await.expect("get").expect("exists");
        assert_eq!(job.lease_holder.as_ref(), Some(holder));
        assert_eq!(job.lease_attempts, 1);
    }
    assert!(
        claim_one(&repo, "late", 60_000).await.is_none(),
        "nothing is left while leases are live"
    );
}

async fn an_expired_lease_is_claimable_again(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let job = provision(&repo, "ana", "a", JobStatus::Queued, now_ms()).await;

    let first = claim_one(&repo, "a", 400).await.expect("claimed");
    assert_eq!(first.id, job.id);
    assert!(
        claim_one(&repo, "b", 400).await.is_none(),
        "the lease is live"
    );

    let_time_pass(600).await;
    let second = claim_one(&repo, "b", 30_000)
        .await
        .expect("the crashed worker's job is taken over");
    assert_eq!(second.id, job.id);
    assert_eq!(second.lease_holder.as_deref(), Some("b"));
    assert_eq!(second.lease_attempts, 2);

    // The worker that lost the lease can neither renew, write nor release it.
    assert!(
        repo.renew_leases("a", 30_000)
            .await
            .expect("renew")
            .is_empty()
    );
    let stale_write = JobUpdate {
        phase: Some("stale".to_owned()),
        ..JobUpdate::default()
    };
    assert!(
        repo.update_as_holder(&lease_of(&first), &stale_write)
            .await
            .expect("update")
            .is_none()
    );
    assert!(
        !repo
            .release(&lease_of(&first), None, now_ms())
            .await
            .expect("release")
    );
    let holder_write = JobUpdate {
        phase: Some("creating".to_owned()),
        ..JobUpdate::default()
    };
    let written = repo
        .update_as_holder(&lease_of(&second), &holder_write)
        .await
        .expect("update")
        .expect("the holder writes");
    assert_eq!(written.phase.as_deref(), Some("creating"));
}

async fn a_renewed_lease_is_not_claimable(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let job = provision(&repo, "ana", "a", JobStatus::Queued, now_ms()).await;
    let claimed = claim_one(&repo, "a", 700).await.expect("a job");

    let_time_pass(350).await;
    let held = repo.renew_leases("a", 700).await.expect("renew");
    assert_eq!(
        held,
        [HeldLease {
            job_id: job.id.clone(),
            attempt: claimed.lease_attempts,
            cancel_requested: false
        }]
    );
    assert!(repo.renew_leases("b", 700).await.expect("renew").is_empty());
    let_time_pass(500).await;
    assert!(
        claim_one(&repo, "b", 30_000).await.is_none(),
        "the renewed lease outlives the first one"
    );

    let_time_pass(700).await;
    assert!(
        repo.renew_leases("a", 700).await.expect("renew").is_empty(),
        "a lease that ran out cannot be renewed"
    );
    let taken = claim_one(&repo, "b", 30_000).await.expect("a job");
    assert_eq!(taken.lease_holder.as_deref(), Some("b"));
}

async fn a_released_job_goes_back_to_the_queue(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let job = provision(&repo, "ana", "a", JobStatus::Queued, now_ms()).await;
    let claimed = claim_one(&repo, "a", 30_000).await.expect("a job");

    assert!(
        repo.release(&lease_of(&claimed), None, now_ms())
            .await
            .expect("release")
    );
    let released = repo.get(&job.id).await.expect("get").expect("exists");
    assert_eq!(released.status, JobStatus::Queued);
    assert_eq!(released.lease_holder, None);
    assert_eq!(released.lease_expires_at, None);

    let retaken = claim_one(&repo, "b", 30_000)
        .await
        .expect("released jobs are claimable at once");
    assert_eq!(retaken.id, job.id);

    // A finished job keeps its status when its worker lets go.
    let done = JobUpdate {
        status: Some(JobStatus::Succeeded),
        ..JobUpdate::default()
    };
    repo.update_as_holder(&lease_of(&retaken), &done)
        .await
        .expect("update")
        .expect("holder");
    assert!(
        repo.release(&lease_of(&retaken), None, now_ms())
            .await
            .expect("release")
    );
    let finished = repo.get(&job.id).await.expect("get").expect("exists");
    assert_eq!(finished.status, JobStatus::Succeeded);
    assert!(claim_one(&repo, "c", 30_000).await.is_none());
}

async fn stop_requests_reach_the_holder_with_its_renewal(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let job = provision(&repo, "ana", "a", JobStatus::Queued, now_ms()).await;
    claim_one(&repo, "a", 30_000).await.expect("a job");
    assert!(repo.cancel_requests("a").await.expect("read").is_empty());
    assert!(repo.request_cancel(&job.id, &[]).await.expect("cancel"));
    assert_eq!(repo.cancel_requests("a").await.expect("read"), [job.id]);
    let held = repo.renew_leases("a", 30_000).await.expect("renew");
    assert!(held[0].cancel_requested);
}

async fn one_job_per_cluster_is_in_flight_whoever_asks(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let now = now_ms();
    // Ten people press Create on the same cluster in the same second.
    let attempts: Vec<_> = (0..10)
        .map(|i| {
            let repo = repo.clone();
            tokio::spawn(async move {
                let job = NewJob::aks_provision(&format!("user{}", i % 3), cluster("same"), now);
                repo.create_capped(&job, 10).await
            })
        })
        .collect();
    let mut stored = 0;
    for attempt in attempts {
        match attempt.await.expect("task") {
            Ok(_) => stored += 1,
            Err(CreateJobError::ClusterBusy) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(stored, 1, "exactly one job for the cluster");
    // The name is case-insensitive in Azure, so it is here too.
    let other_case = repo
        .create(&NewJob::aks_provision("x", cluster("SAME"), now))
        .await;
    assert!(matches!(other_case, Err(CreateJobError::ClusterBusy)));

    // Once it ended, the cluster can be provisioned again.
    let jobs = repo.list_for_owner("user0", 10).await.expect("list");
    let mut all = jobs;
    for owner in ["user1", "user2"] {
        all.extend(repo.list_for_owner(owner, 10).await.expect("list"));
    }
    let first = all.first().expect("the stored job");
    repo.update(
        &first.id,
        &JobUpdate {
            status: Some(JobStatus::Failed),
            ..JobUpdate::default()
        },
    )
    .await
    .expect("update");
    repo.create(&NewJob::aks_provision("x", cluster("same"), now + 1))
        .await
        .expect("a new attempt once the first ended");
}

async fn an_owner_may_have_only_so_many_jobs_in_flight(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let now = now_ms();
    for name in ["a", "b"] {
        repo.create_capped(&NewJob::aks_provision("ana", cluster(name), now), 2)
            .await
            .expect("under the cap");
    }
    let third = repo
        .create_capped(&NewJob::aks_provision("ana", cluster("c"), now), 2)
        .await;
    assert!(matches!(
        third,
        Err(CreateJobError::TooManyInFlight { max_in_flight: 2 })
    ));
    // Others are not affected.
    repo.create_capped(&NewJob::aks_provision("bob", cluster("c"), now), 2)
        .await
        .expect("another owner");
}

async fn internal_errors_retry_then_fail_the_job(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let job = provision(&repo, "ana", "a", JobStatus::Queued, now_ms()).await;
    let claimed = claim_one(&repo, "a", 30_000).await.expect("a job");
    let outcome = repo
        .record_internal_error(&lease_of(&claimed), "boom", 2, 400, now_ms())
        .await
        .expect("record");
    assert_eq!(outcome, InternalErrorOutcome::Retried);
    let queued = repo.get(&job.id).await.expect("get").expect("exists");
    assert_eq!(queued.status, JobStatus::Queued);
    assert_eq!(queued.internal_errors, 1);
    assert!(
        claim_one(&repo, "b", 30_000).await.is_none(),
        "not taken up again before the pause"
    );
    let_time_pass(600).await;
    let again = claim_one(&repo, "b", 30_000)
        .await
        .expect("after the pause");
    let outcome = repo
        .record_internal_error(&lease_of(&again), "boom again", 2, 400, now_ms())
        .await
        .expect("record");
    assert_eq!(outcome, InternalErrorOutcome::Failed);
    let failed = repo.get(&job.id).await.expect("get").expect("exists");
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(failed.error_code.as_deref(), Some("internal_error"));
    assert_eq!(failed.error_message.as_deref(), Some("boom again"));
    assert_eq!(failed.lease_holder, None);
    // A stale claim records nothing.
    let stale = repo
        .record_internal_error(&lease_of(&claimed), "late", 2, 400, now_ms())
        .await
        .expect("record");
    assert_eq!(stale, InternalErrorOutcome::NotHeld);
}

async fn a_job_that_may_have_reached_azure_is_not_cancelled_in_the_queue(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let job = provision(&repo, "ana", "a", JobStatus::Queued, now_ms()).await;
    let claimed = claim_one(&repo, "a", 30_000).await.expect("a job");
    repo.update_as_holder(
        &lease_of(&claimed),
        &JobUpdate {
            arm_put_at: Some(now_ms()),
            ..JobUpdate::default()
        },
    )
    .await
    .expect("update")
    .expect("holder");
    // The server stops gracefully: the job goes back to the queue.
    repo.release(&lease_of(&claimed), None, now_ms())
        .await
        .expect("release");
    assert!(
        repo.cancel_if_queued(&job.id, now_ms(), &[])
            .await
            .expect("cancel")
            .is_none(),
        "a runner must abort it in Azure"
    );
    let untouched = repo.get(&job.id).await.expect("get").expect("exists");
    assert_eq!(untouched.status, JobStatus::Queued);

    let fresh = provision(&repo, "ana", "b", JobStatus::Queued, now_ms()).await;
    let cancelled = repo
        .cancel_if_queued(&fresh.id, now_ms(), &[])
        .await
        .expect("cancel")
        .expect("never sent: cancelled at once");
    assert_eq!(cancelled.status, JobStatus::Cancelled);
}

async fn a_row_that_cannot_be_read_is_skipped_and_claimed_as_unreadable(storage: Storage) {
    let repo = JobStateRepository::new(storage.clone());
    let good = provision(&repo, "ana", "good", JobStatus::Failed, now_ms()).await;
    let bad = provision(&repo, "ana", "bad", JobStatus::Queued, now_ms() - 1).await;
    sqlx::query("UPDATE job_state SET payload = '{not json' WHERE id = $1")
        .bind(&bad.id)
        .execute(&storage.pool)
        .await
        .expect("corrupt the row");

    let listed = repo.list_for_owner("ana", 10).await.expect("list");
    assert_eq!(ids(&listed), [good.id.as_str()]);
    let failures = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, 0, 10)
        .await
        .expect("recent failures");
    assert_eq!(ids(&failures), [good.id.as_str()]);

    let claimed = repo
        .claim_batch("a", 30_000, 10, now_ms())
        .await
        .expect("claim");
    match claimed.as_slice() {
        [Claimed::Unreadable { lease, .. }] => {
            assert_eq!(lease.job_id, bad.id);
            assert_eq!(lease.attempt, 1);
        }
        other => panic!("expected the unreadable row: {other:?}"),
    }
}

async fn update_changes_only_the_fields_given(storage: Storage) {
    let repo = JobStateRepository::new(storage);
    let created = provision(&repo, "ana", "a", JobStatus::Queued, now_ms()).await;
    assert_eq!(created.status, JobStatus::Queued);
    assert_eq!(
        created.progress, None,
        "no progress before the runner writes one"
    );
    let by_task = repo
        .get_by_task_id(&created.task_id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(by_task, created);

    let progress = Progress {
        cluster_state: Some("Creating".into()),
        pools: vec![PoolProgress {
            name: "nodepool1".into(),
            vm_size: "Standard_D4s_v3".into(),
            count: 3,
            mode: "User".into(),
            provisioning_state: None,
        }],
        portal_url: Some("https://portal.azure.com/#resource/x".into()),
        arm_elapsed_seconds: Some(12.0),
        ..Progress::default()
    };
    let partial = PartialCluster {
        resource_id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a".into(),
        portal_url: "https://portal.azure.com/#resource/x".into(),
        last_state: Some("Creating".into()),
        abort_requested: false,
    };
    let running = repo
        .update(
            &created.id,
            &JobUpdate {
                status: Some(JobStatus::Running),
                phase: Some("creating_cluster".to_owned()),
                step: Some(2),
                total_steps: Some(4),
                progress: Some(progress.clone()),
                ..JobUpdate::default()
            },
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(
        running.portal_url(),
        Some("https://portal.azure.com/#resource/x")
    );

    let failed = repo
        .update(
            &created.id,
            &JobUpdate {
                status: Some(JobStatus::Failed),
                error_code: Some("ZonalAllocationFailed".to_owned()),
                error_message: Some("Allocation failed.".to_owned()),
                error_category: Some("allocation".to_owned()),
                raw_error: Some(r#"{"error":{"code":"ZonalAllocationFailed"}}"#.to_owned()),
                partial_cluster: Some(partial.clone()),
                ..JobUpdate::default()
            },
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(failed.phase.as_deref(), Some("creating_cluster"));
    assert_eq!((failed.step, failed.total_steps), (2, 4));
    assert_eq!(failed.progress, Some(progress));
    assert_eq!(failed.error_code.as_deref(), Some("ZonalAllocationFailed"));
    assert_eq!(failed.partial_cluster, Some(partial));
    assert!(failed.updated_at >= created.updated_at);

    let cancel_flagged = repo
        .update(
            &created.id,
            &JobUpdate {
                cancel_requested: Some(true),
                ..JobUpdate::default()
            },
        )
        .await
        .expect("update")
        .expect("exists");
    let expected = JobRecord {
        cancel_requested: true,
        updated_at: cancel_flagged.updated_at,
        ..failed.clone()
    };
    assert_eq!(cancel_flagged, expected, "only cancel_requested changed");
    assert_eq!(
        repo.get(&created.id).await.expect("get"),
        Some(cancel_flagged)
    );

    let missing = repo
        .update("no-such-job", &JobUpdate::default())
        .await
        .expect("update");
    assert!(missing.is_none());
    let ids: HashSet<String> = repo
        .list_for_owner("ana", 10)
        .await
        .expect("list")
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(ids, HashSet::from([created.id]));
}

async fn a_storage_failure_is_a_typed_error(storage: Storage) {
    let repo = JobStateRepository::new(storage.clone());
    storage.close().await;
    let outcome = repo
        .recent_failed_provisions("ana", FAILED_OR_CANCELLED, 0, 10)
        .await;
    assert!(
        matches!(outcome, Err(StorageError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(matches!(
        repo.get_for_owner("ana", "t").await,
        Err(JobAccessError::Storage(StorageError::Unavailable(_)))
    ));
}
