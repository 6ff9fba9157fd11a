//! Benchmark: "recent failed provisions of one owner" on 1,000,000 jobs over 10,000 owners, on
//! SQLite and PostgreSQL, against the approach it replaces (load the owner's newest 200 jobs and
//! filter them in memory). Writes `bench/REPORT.md`.
//!
//! ```text
//! cargo bench --features ssr --bench recent_failed
//! ```
//! Knobs (environment): `BENCH_ROWS` (1000000), `BENCH_OWNERS` (10000), `BENCH_SAMPLES` (300),
//! `BENCH_REPORT` (bench/REPORT.md), `STORAGE_TEST_POSTGRES_URL` (postgres://postgres@127.0.0.1:5432).

#[path = "../tests/api/helpers/databases.rs"]
#[allow(dead_code)]
mod storage_support;
#[path = "support.rs"]
mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use aks_dashboard::clock::now_ms;
use aks_dashboard::clock::utc_label;
use aks_dashboard::storage::{
    AKS_PROVISION, Backend, JobRecord, JobStateRepository, JobStatus, Storage,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;
use support::{
    Latencies, env_or, loaded, machine, millis, on_both_databases, server_version, write_report,
};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// Jobs are spread over the last 30 days; the dashboard asks for the last 24 hours.
const HISTORY: i64 = 30 * DAY;
const WINDOW: i64 = DAY;
const LIMIT: u32 = 10;
const OLD_APPROACH_ROWS: u32 = 200;
const STATUSES: &[JobStatus] = &[JobStatus::Failed, JobStatus::Cancelled];

struct Settings {
    rows: i64,
    owners: i64,
    samples: usize,
    report: String,
}

struct BackendResult {
    name: &'static str,
    version: String,
    load: Duration,
    query: Latencies,
    old: Latencies,
    rows_returned: usize,
    old_disagrees: usize,
    plan: Vec<String>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let settings = Settings {
        rows: env_or("BENCH_ROWS", 1_000_000),
        owners: env_or("BENCH_OWNERS", 10_000),
        samples: env_or("BENCH_SAMPLES", 300),
        report: env_or("BENCH_REPORT", "bench/REPORT.md".to_owned()),
    };
    let now = now_ms();
    let results = on_both_databases(async |name, url| run(&settings, name, &url, now).await).await;
    write_report(&settings.report, &render(&settings, &results));
}

async fn run(settings: &Settings, name: &'static str, url: &str, now: i64) -> BackendResult {
    let what = format!("{} rows", settings.rows);
    let (storage, load) = loaded(url, name, &what, async |storage: &Storage| {
        bulk_load(storage, settings, now).await
    })
    .await;
    let version = server_version(&storage).await;
    let plan = query_plan(&storage, now).await;
    let repo = JobStateRepository::new(storage.clone());

    let mut rng = StdRng::seed_from_u64(7);
    let owners: Vec<String> = (0..settings.samples)
        .map(|_| format!("owner{}", rng.gen_range(0..settings.owners)))
        .collect();
    let since = now - WINDOW;

    // Warm the caches and the statement cache of each pooled connection.
    for owner in owners.iter().take(50) {
        recent(&repo, owner, since).await;
        newest_200_filtered(&repo, owner, since).await;
    }

    let mut query = Vec::with_capacity(owners.len());
    let mut old = Vec::with_capacity(owners.len());
    let mut rows_returned = 0;
    let mut old_disagrees = 0;
    for owner in &owners {
        let started = Instant::now();
        let found = recent(&repo, owner, since).await;
        query.push(started.elapsed());

        let started = Instant::now();
        let found_the_old_way = newest_200_filtered(&repo, owner, since).await;
        old.push(started.elapsed());

        rows_returned += found.len();
        if ids(&found) != ids(&found_the_old_way) {
            old_disagrees += 1;
        }
    }
    storage.close().await;
    BackendResult {
        name,
        version,
        load,
        query: Latencies::of(query),
        old: Latencies::of(old),
        rows_returned,
        old_disagrees,
        plan,
    }
}

async fn recent(repo: &JobStateRepository, owner: &str, since: i64) -> Vec<JobRecord> {
    repo.recent_failed_provisions(owner, STATUSES, since, LIMIT)
        .await
        .expect("recent failed provisions")
}

/// What the replaced system did: the owner's newest 200 jobs, filtered in memory.
async fn newest_200_filtered(repo: &JobStateRepository, owner: &str, since: i64) -> Vec<JobRecord> {
    let newest = repo
        .list_for_owner(owner, OLD_APPROACH_ROWS)
        .await
        .expect("list for owner");
    let superseded = |job: &JobRecord| {
        newest.iter().any(|later| {
            later.status == JobStatus::Succeeded
                && later.created_at > job.created_at
                && later.payload.cluster_key() == job.payload.cluster_key()
        })
    };
    newest
        .iter()
        .filter(|j| j.job_type == AKS_PROVISION && STATUSES.contains(&j.status))
        .filter(|j| j.created_at >= since && j.dismissed_at.is_none() && !superseded(j))
        .take(LIMIT as usize)
        .cloned()
        .collect()
}

fn ids(jobs: &[JobRecord]) -> Vec<&str> {
    jobs.iter().map(|j| j.id.as_str()).collect()
}

/// One million rows in one statement (an in-flight job's `cluster_key` is its own: one job per
/// cluster may be in flight). Each row draws its random numbers once (a recursive CTE
/// on SQLite, a subquery with volatile columns on PostgreSQL, which the planner keeps as is):
/// status 80 % succeeded, 12 % failed, 5 % cancelled, 2 % running, 1 % queued; one owner of
/// `owners`; one of 5 clusters per owner; age uniform over 30 days; 10 % of failures dismissed.
async fn bulk_load(storage: &Storage, settings: &Settings, now: i64) {
    let payload = "'{\"subscription_id\":\"11111111-2222-3333-4444-555555555555\",\
        \"resource_group\":\"rg-aks-dev\",\"region\":\"westeurope\",\"cluster_name\":\"c' \
        || k || '\",\"node_sku\":\"Standard_D4s_v3\",\"node_count\":3,\
        \"system_vm_size\":\"Standard_D2s_v3\",\"system_node_count\":1}'";
    let columns = format!(
        "SELECT 'j' || n, 't' || n, '{AKS_PROVISION}', \
           CASE WHEN r < 80 THEN 'succeeded' WHEN r < 92 THEN 'failed' \
                WHEN r < 97 THEN 'cancelled' WHEN r < 99 THEN 'running' ELSE 'queued' END, \
           'owner' || o, '11111111-2222-3333-4444-555555555555/rg-aks-dev/c' || k \
             || CASE WHEN r >= 97 THEN '-' || n ELSE '' END, {payload}, \
           CASE WHEN r BETWEEN 80 AND 91 THEN 'ZonalAllocationFailed' END, \
           CASE WHEN r BETWEEN 80 AND 91 THEN 'Allocation failed in zone 1.' END, \
           CASE WHEN r BETWEEN 80 AND 91 AND d < 10 THEN {now} END, \
           {now} - age, {now} - age + 60000"
    );
    let insert = "INSERT INTO job_state (id, task_id, type, status, owner_id, cluster_key, payload, \
        error_code, error_message, dismissed_at, created_at, updated_at)";
    let (rows, owners) = (settings.rows, settings.owners);
    let sql = match storage.backend {
        Backend::Sqlite => format!(
            "WITH RECURSIVE s(n, x, y) AS ( \
               SELECT 1, abs(random()), abs(random()) \
               UNION ALL SELECT n + 1, abs(random()), abs(random()) FROM s WHERE n < {rows}), \
             v AS (SELECT n, x % 100 AS r, (x / 100) % {owners} AS o, (x / 10000000) % 5 AS k, \
                          (x / 100000000) % 100 AS d, y % {HISTORY} AS age FROM s) \
             {insert} {columns} FROM v"
        ),
        Backend::Postgres => format!(
            "{insert} {columns} FROM ( \
               SELECT n, floor(random() * 100)::bigint AS r, \
                      floor(random() * {owners})::bigint AS o, floor(random() * 5)::bigint AS k, \
                      floor(random() * 100)::bigint AS d, \
                      floor(random() * {HISTORY})::bigint AS age \
               FROM generate_series(1, {rows}) AS n) AS v"
        ),
    };
    sqlx::query(&sql)
        .execute(&storage.pool)
        .await
        .expect("bulk load");
    sqlx::query("ANALYZE")
        .execute(&storage.pool)
        .await
        .expect("analyze");
}

/// The plan of the query for one owner, with literal values (EXPLAIN takes no parameters on
/// PostgreSQL's simple protocol and SQLite plans the same either way).
async fn query_plan(storage: &Storage, now: i64) -> Vec<String> {
    let sql = JobStateRepository::recent_failed_provisions_sql(STATUSES.len())
        .replace("$1", "'owner42'")
        .replace("$2", &format!("'{AKS_PROVISION}'"))
        .replace("$3", &(now - WINDOW).to_string())
        .replace("$4", &LIMIT.to_string())
        .replace("$5", "'failed'")
        .replace("$6", "'cancelled'");
    match storage.backend {
        Backend::Sqlite => {
            let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
                .fetch_all(&storage.pool)
                .await
                .expect("explain");
            rows.iter()
                .map(|row| row.try_get::<String, _>("detail").expect("plan detail"))
                .collect()
        }
        Backend::Postgres => {
            let rows = sqlx::query(&format!("EXPLAIN (ANALYZE, COSTS OFF) {sql}"))
                .fetch_all(&storage.pool)
                .await
                .expect("explain");
            rows.iter()
                .map(|row| row.try_get::<String, _>(0).expect("plan line"))
                .collect()
        }
    }
}

fn render(settings: &Settings, results: &[BackendResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark: recent failed provisions of one owner\n");
    let _ = writeln!(
        out,
        "Generated by `bench/recent_failed.rs` on {} (UTC). Reproduce with:\n\n\
         ```sh\ncargo bench --features ssr --bench recent_failed\n```\n\n\
         (PostgreSQL at `STORAGE_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432`; \
         the run creates and drops its own database.)\n",
        utc_label(now_ms(), false)
    );
    let _ = writeln!(out, "## Setup\n");
    let _ = writeln!(
        out,
        "- {} jobs over {} owners (≈{} each), created uniformly over the last 30 days; \
         80 % succeeded, 12 % failed (a tenth of them dismissed), 5 % cancelled, 3 % in flight; \
         5 clusters per owner, so newer successes supersede some failures.",
        settings.rows,
        settings.owners,
        settings.rows / settings.owners.max(1)
    );
    let _ = writeln!(
        out,
        "- Each sample picks a random owner and runs, through `JobStateRepository` over the `Any` \
         pool (so row decoding is included):\n  \
         - **query**: `recent_failed_provisions(owner, [failed, cancelled], now − 24 h, limit {LIMIT})`, \
         the one indexed SQL statement;\n  \
         - **old way**: `list_for_owner(owner, {OLD_APPROACH_ROWS})`, then type/status/window/\
         dismissed/superseded filtering in memory (what the replaced system did).\n\
         - {} samples per backend after 50 warm-up rounds; the database files are local.",
        settings.samples
    );
    let _ = writeln!(out, "- Machine: {}.\n", machine());
    let _ = writeln!(out, "## Results\n");
    let _ = writeln!(
        out,
        "| backend | load | query median | query p99 | old way median | old way p99 | median ratio (old / query) |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
    for r in results {
        let ratio = r.old.median.as_secs_f64() / r.query.median.as_secs_f64().max(1e-9);
        let _ = writeln!(
            out,
            "| {} ({}) | {:.1} s | {} | {} | {} | {} | {:.1}× |",
            r.name,
            r.version,
            r.load.as_secs_f64(),
            millis(r.query.median),
            millis(r.query.p99),
            millis(r.old.median),
            millis(r.old.p99),
            ratio
        );
    }
    let _ = writeln!(out);
    for r in results {
        let _ = writeln!(
            out,
            "- {}: the query returned {} rows over {} owners; the old way gave a different answer \
             for {} owners.",
            r.name, r.rows_returned, settings.samples, r.old_disagrees
        );
    }
    let _ = writeln!(
        out,
        "\nOwners hold ≈{} jobs here, so the old way reads all of them and agrees with the query; \
         its cost grows with an owner's history up to {OLD_APPROACH_ROWS} rows, and beyond that it \
         misses older failures (contract test `a_failure_behind_the_newest_200_jobs_is_still_found`). \
         The machine may be shared with other builds: p99 is sensitive to that, medians less so.",
        settings.rows / settings.owners.max(1)
    );
    for r in results {
        let _ = writeln!(
            out,
            "\n### {} plan\n\n```text\n{}\n```",
            r.name,
            r.plan.join("\n")
        );
    }
    out
}
