//! Benchmark: the history at scale — 1,000,000 entries over 10,000 users, on SQLite and on
//! PostgreSQL: filtered pages (a reader's and an admin's) against a table scan of the same data,
//! what writing an entry adds to a job change, and the CSV export's throughput. Writes
//! `bench/HISTORY.md`.
//!
//! ```text
//! cargo bench --features ssr --bench history
//! ```
//! Knobs (environment): `BENCH_ENTRIES` (1000000), `BENCH_USERS` (10000), `BENCH_SAMPLES` (300),
//! `BENCH_REPORT` (bench/HISTORY.md), `STORAGE_TEST_POSTGRES_URL`.

#[path = "../tests/api/helpers/databases.rs"]
#[allow(dead_code)]
mod storage_support;
#[path = "support.rs"]
mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use aks_dashboard::clock::now_ms;
use aks_dashboard::clock::utc_label;
use aks_dashboard::domain::history::{HistoryKind, Outcome};
use aks_dashboard::services::history::csv_row;
use aks_dashboard::storage::history::Cursor;
use aks_dashboard::storage::{
    Backend, Claimed, ClusterContext, HistoryEvent, HistoryFilter, HistoryRepository, JobLease,
    JobStateRepository, JobUpdate, NewJob, Storage,
};
use futures_util::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;
use support::{
    Latencies, env_or, loaded, machine, millis, on_both_databases, server_version, write_report,
};

const DAY: i64 = 86_400_000;
/// Entries are spread over the retention (400 days).
const SPREAD: i64 = 400 * DAY;
const PAGE: u32 = 50;
/// Jobs whose changes are timed with and without an entry.
const JOBS: usize = 200;
/// Rows read by the export measurement.
const EXPORT_ROWS: usize = 200_000;
/// Samples of the table scan (each reads the whole table).
const SCAN_SAMPLES: usize = 20;

struct Settings {
    entries: i64,
    users: i64,
    samples: usize,
    report: String,
}

/// The filter of a query shape, for one user.
type FilterFor = Box<dyn Fn(&str) -> HistoryFilter>;

/// One measured query shape.
struct Shape {
    name: &'static str,
    latencies: Latencies,
    rows: usize,
}

struct BackendResult {
    name: &'static str,
    version: String,
    load: Duration,
    shapes: Vec<Shape>,
    scan: Latencies,
    indexed_same: Latencies,
    change_alone: Latencies,
    change_with_entry: Latencies,
    export_rows_per_s: f64,
    export_mb_per_s: f64,
    plans: Vec<(&'static str, Vec<String>)>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let settings = Settings {
        entries: env_or("BENCH_ENTRIES", 1_000_000),
        users: env_or("BENCH_USERS", 10_000),
        samples: env_or("BENCH_SAMPLES", 300),
        report: env_or("BENCH_REPORT", "bench/HISTORY.md".to_owned()),
    };
    let now = now_ms();
    let results = on_both_databases(async |name, url| run(&settings, name, &url, now).await).await;
    write_report(&settings.report, &render(&settings, &results));
}

async fn run(settings: &Settings, name: &'static str, url: &str, now: i64) -> BackendResult {
    let what = format!("{} entries", settings.entries);
    let (storage, load) = loaded(url, name, &what, async |storage: &Storage| {
        bulk_load(storage, settings, now).await
    })
    .await;
    let version = server_version(&storage).await;
    let jobs = JobStateRepository::new(storage.clone());
    let history = jobs.history();

    let mut rng = StdRng::seed_from_u64(11);
    let users: Vec<String> = (0..settings.samples)
        .map(|_| format!("user{}", rng.gen_range(0..settings.users)))
        .collect();
    let own = |user: &str| HistoryFilter {
        owner_id: Some(user.to_owned()),
        ..HistoryFilter::default()
    };
    let shapes_of: Vec<(&'static str, FilterFor)> = vec![
        (
            "reader: own entries, newest page",
            Box::new(move |u| own(u)),
        ),
        (
            "reader: own failures",
            Box::new(move |u| HistoryFilter {
                kinds: vec![HistoryKind::Failed],
                ..own(u)
            }),
        ),
        (
            "reader: one cluster, last 30 days",
            Box::new(move |u| HistoryFilter {
                cluster: Some("c3".into()),
                since: Some(now - 30 * DAY),
                ..own(u)
            }),
        ),
        (
            "reader: text search",
            Box::new(move |u| HistoryFilter {
                q: Some("quota".into()),
                ..own(u)
            }),
        ),
        (
            "admin: everyone, newest page",
            Box::new(|_| HistoryFilter::default()),
        ),
        (
            "admin: one actor",
            Box::new(|u| HistoryFilter {
                actor: Some(u.to_owned()),
                ..HistoryFilter::default()
            }),
        ),
        (
            "admin: one cluster of one user's",
            Box::new(|u| HistoryFilter {
                cluster: Some(format!("{u}-c1")),
                ..HistoryFilter::default()
            }),
        ),
        (
            "admin: stop requests, last 7 days",
            Box::new(move |_| HistoryFilter {
                kinds: vec![HistoryKind::StopRequested],
                since: Some(now - 7 * DAY),
                ..HistoryFilter::default()
            }),
        ),
    ];
    // Warm-up.
    for user in users.iter().take(30) {
        for (_, filter) in &shapes_of {
            history.page(&filter(user), None, PAGE).await.expect("page");
        }
    }
    let mut shapes = Vec::new();
    for (shape_name, filter) in &shapes_of {
        let mut samples = Vec::with_capacity(users.len());
        let mut rows = 0;
        for user in &users {
            let filter = filter(user);
            let started = Instant::now();
            let page = history.page(&filter, None, PAGE).await.expect("page");
            samples.push(started.elapsed());
            rows += page.entries.len();
        }
        eprintln!(
            "{name}: {shape_name}: {:?}",
            Latencies::of(samples.clone()).p99
        );
        shapes.push(Shape {
            name: shape_name,
            latencies: Latencies::of(samples),
            rows,
        });
    }
    // The second page of a reader's entries, from the first page's cursor.
    let mut samples = Vec::new();
    let mut rows = 0;
    for user in &users {
        let first = history.page(&own(user), None, PAGE).await.expect("page");
        let Some(cursor) = first.next_cursor.as_deref().and_then(Cursor::decode) else {
            continue;
        };
        let started = Instant::now();
        let page = history
            .page(&own(user), Some(&cursor), PAGE)
            .await
            .expect("page");
        samples.push(started.elapsed());
        rows += page.entries.len();
    }
    if !samples.is_empty() {
        shapes.push(Shape {
            name: "reader: next page (cursor)",
            latencies: Latencies::of(samples),
            rows,
        });
    }

    // The same reader page, by the index and by a scan of the table.
    let (mut scan, mut indexed_same) = (Vec::new(), Vec::new());
    for user in users.iter().take(SCAN_SAMPLES) {
        let started = Instant::now();
        let by_index = history.page(&own(user), None, PAGE).await.expect("page");
        indexed_same.push(started.elapsed());
        let started = Instant::now();
        let scanned = scanned_page(&storage, user).await;
        scan.push(started.elapsed());
        assert_eq!(
            scanned,
            by_index.entries.len(),
            "the scan finds the same page"
        );
    }

    let (change_alone, change_with_entry) = job_changes(&jobs, settings.samples).await;
    let (export_rows_per_s, export_mb_per_s) = export(&history).await;
    let plans = vec![
        (
            "reader: own entries",
            plan(&storage, "owner_id = 'user42'").await,
        ),
        (
            "admin: one cluster",
            plan(&storage, "lower(cluster_name) = 'user42-c1'").await,
        ),
    ];
    storage.close().await;
    BackendResult {
        name,
        version,
        load,
        shapes,
        scan: Latencies::of(scan),
        indexed_same: Latencies::of(indexed_same),
        change_alone,
        change_with_entry,
        export_rows_per_s,
        export_mb_per_s,
        plans,
    }
}

/// A reader's newest page without the indexes: SQLite told `NOT INDEXED`, PostgreSQL with index
/// scans switched off for the one transaction. How many rows it returned.
async fn scanned_page(storage: &Storage, user: &str) -> usize {
    let select = |from: &str| {
        format!(
            "SELECT id, at, actor, kind, outcome, cluster_name, details FROM {from} \
             WHERE owner_id = '{user}' ORDER BY at DESC, id DESC LIMIT {PAGE}"
        )
    };
    match storage.backend {
        Backend::Sqlite => sqlx::query(&select("job_history NOT INDEXED"))
            .fetch_all(&storage.pool)
            .await
            .expect("scan")
            .len(),
        Backend::Postgres => {
            let mut tx = storage.pool.begin().await.expect("tx");
            for off in [
                "SET LOCAL enable_indexscan = off",
                "SET LOCAL enable_bitmapscan = off",
                "SET LOCAL enable_indexonlyscan = off",
            ] {
                sqlx::query(off).execute(&mut *tx).await.expect("set");
            }
            let n = sqlx::query(&select("job_history"))
                .fetch_all(&mut *tx)
                .await
                .expect("scan")
                .len();
            tx.rollback().await.expect("rollback");
            n
        }
    }
}

/// A job change (the runner's progress write under its claim) alone, and with one history
/// entry in the same transaction, alternating, on the loaded table.
async fn job_changes(jobs: &JobStateRepository, samples: usize) -> (Latencies, Latencies) {
    let mut leases: Vec<JobLease> = Vec::new();
    for i in 0..JOBS {
        let payload = ClusterContext {
            subscription_id: "11111111-2222-3333-4444-555555555555".into(),
            resource_group: "rg-bench".into(),
            region: "westeurope".into(),
            cluster_name: format!("bench-{i}"),
            node_sku: "Standard_D4s_v3".into(),
            node_count: 3,
            system_vm_size: "Standard_D2s_v3".into(),
            system_node_count: 1,
            kubernetes_version: String::new(),
        };
        jobs.create(&NewJob::aks_provision("bench", payload, now_ms()))
            .await
            .expect("job");
    }
    while leases.len() < JOBS {
        let claimed = jobs
            .claim_batch("bench-runner", 3_600_000, 50, now_ms())
            .await
            .expect("claim");
        if claimed.is_empty() {
            break;
        }
        leases.extend(claimed.into_iter().filter_map(|c| match c {
            Claimed::Job(job) => job.lease(),
            Claimed::Unreadable { .. } => None,
        }));
    }
    let progress = aks_dashboard::domain::Progress {
        phase: "arm_create_or_update".into(),
        step: 2,
        total_steps: 3,
        message: "Azure is creating the cluster: Creating".into(),
        cluster_state: Some("Creating".into()),
        ..Default::default()
    };
    let (mut alone, mut with_entry) = (Vec::new(), Vec::new());
    for i in 0..samples * 2 {
        let lease = &leases[i % leases.len()];
        let mut update = JobUpdate {
            progress: Some(progress.clone()),
            ..JobUpdate::default()
        };
        let recorded = i % 2 == 1;
        if recorded {
            update.history = vec![
                HistoryEvent::system(HistoryKind::StateChanged, Outcome::Ok)
                    .details(serde_json::json!({"from": null, "to": "Creating"})),
            ];
        }
        let started = Instant::now();
        jobs.update_as_holder(lease, &update)
            .await
            .expect("write")
            .expect("held");
        let took = started.elapsed();
        if i < 20 {
            continue; // warm-up
        }
        if recorded {
            with_entry.push(took);
        } else {
            alone.push(took);
        }
    }
    (Latencies::of(alone), Latencies::of(with_entry))
}

/// Rows per second and megabytes per second of the export path: the streamed read (everyone's,
/// newest first) and the CSV encoding, into a sink.
async fn export(history: &HistoryRepository) -> (f64, f64) {
    let started = Instant::now();
    let mut stream = Box::pin(
        history
            .stream(HistoryFilter::default(), None)
            .take(EXPORT_ROWS),
    );
    let mut writer = csv::Writer::from_writer(std::io::sink());
    let (mut rows, mut bytes) = (0usize, 0usize);
    while let Some(entry) = stream.next().await {
        let row = csv_row(&entry.expect("entry"));
        bytes += row.iter().map(|c| c.len() + 1).sum::<usize>();
        writer.write_record(&row).expect("csv");
        rows += 1;
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    (rows as f64 / secs, bytes as f64 / 1e6 / secs)
}

/// One million entries in one statement: a random user of `users` (5 clusters each), 70 % of the
/// entries by the user and 30 % by `system`, a kind drawn over the fifteen with its outcome, an
/// Azure message on failures, times uniform over 400 days.
async fn bulk_load(storage: &Storage, settings: &Settings, now: i64) {
    let kinds = HistoryKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| format!("WHEN {i} THEN '{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    let kind_count = HistoryKind::ALL.len();
    let failed = HistoryKind::ALL
        .iter()
        .position(|k| *k == HistoryKind::Failed)
        .unwrap_or(0);
    let columns = format!(
        "SELECT printf_id, {now} - age, \
           CASE WHEN a < 70 THEN 'user' || o ELSE 'system' END, \
           'user' || o, \
           CASE kk {kinds} END, \
           CASE WHEN kk = {failed} THEN 'failed' ELSE 'ok' END, \
           '11111111-2222-3333-4444-555555555555', 'rg-dev', 'user' || o || '-c' || k, \
           'job-' || o || '-' || k, \
           CASE WHEN kk = {failed} THEN 'Operation could not be completed as it results in \
             exceeding approved standardDSv3Family Cores quota.' END, \
           '{{}}'"
    );
    let insert = "INSERT INTO job_history (id, at, actor, owner_id, kind, outcome, \
        subscription_id, resource_group, cluster_name, job_id, message, details)";
    let (rows, users) = (settings.entries, settings.users);
    let sql = match storage.backend {
        Backend::Sqlite => format!(
            "WITH RECURSIVE s(n, x, y) AS ( \
               SELECT 1, abs(random()), abs(random()) \
               UNION ALL SELECT n + 1, abs(random()), abs(random()) FROM s WHERE n < {rows}), \
             v AS (SELECT printf('%012d', n) AS printf_id, x % 100 AS a, \
                          (x / 100) % {users} AS o, (x / 10000000) % 5 AS k, \
                          (x / 100000000) % {kind_count} AS kk, y % {SPREAD} AS age FROM s) \
             {insert} {columns} FROM v"
        ),
        Backend::Postgres => format!(
            "{insert} {columns} FROM ( \
               SELECT lpad(n::text, 12, '0') AS printf_id, floor(random() * 100)::bigint AS a, \
                      floor(random() * {users})::bigint AS o, floor(random() * 5)::bigint AS k, \
                      floor(random() * {kind_count})::bigint AS kk, \
                      floor(random() * {SPREAD})::bigint AS age \
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

/// The plan of a newest-first page under `condition`.
async fn plan(storage: &Storage, condition: &str) -> Vec<String> {
    let sql = format!(
        "SELECT id FROM job_history WHERE {condition} ORDER BY at DESC, id DESC LIMIT {}",
        PAGE + 1
    );
    match storage.backend {
        Backend::Sqlite => sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
            .fetch_all(&storage.pool)
            .await
            .expect("explain")
            .iter()
            .map(|row| row.try_get::<String, _>("detail").expect("detail"))
            .collect(),
        Backend::Postgres => sqlx::query(&format!("EXPLAIN (ANALYZE, COSTS OFF) {sql}"))
            .fetch_all(&storage.pool)
            .await
            .expect("explain")
            .iter()
            .map(|row| row.try_get::<String, _>(0).expect("plan"))
            .collect(),
    }
}

fn render(settings: &Settings, results: &[BackendResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark: the history at scale\n");
    let _ = writeln!(
        out,
        "Generated by `bench/history.rs` on {}. Reproduce with:\n\n\
         ```sh\ncargo bench --features ssr --bench history\n```\n\n\
         (PostgreSQL at `STORAGE_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432`; \
         the run creates and drops its own database.)\n",
        utc_label(now_ms(), false)
    );
    let _ = writeln!(out, "## Setup\n");
    let _ = writeln!(
        out,
        "- {} entries over {} users (≈{} each, 5 clusters each), spread over 400 days; 70 % by \
         the user, 30 % by `system`; the fifteen kinds evenly, failures with Azure's message.\n\
         - Each page is `HistoryRepository::page` (limit {PAGE}, newest first) over the `Any` \
         pool, row decoding included, for {} random users after a warm-up.\n\
         - Machine: {}.\n",
        settings.entries,
        settings.users,
        settings.entries / settings.users.max(1),
        settings.samples,
        machine()
    );
    let _ = writeln!(out, "## Filtered pages\n");
    let _ = write!(out, "| query |");
    for r in results {
        let _ = write!(out, " {} median | {} p99 |", r.name, r.name);
    }
    let _ = writeln!(out, " rows per page ({}) |", results[0].name);
    let _ = write!(out, "| --- |");
    for _ in results {
        let _ = write!(out, " --- | --- |");
    }
    let _ = writeln!(out, " --- |");
    for (i, shape) in results[0].shapes.iter().enumerate() {
        let _ = write!(out, "| {} |", shape.name);
        for r in results {
            if let Some(s) = r.shapes.get(i) {
                let _ = write!(
                    out,
                    " {} | {} |",
                    millis(s.latencies.median),
                    millis(s.latencies.p99)
                );
            }
        }
        let _ = writeln!(
            out,
            " {:.1} |",
            shape.rows as f64 / settings.samples.max(1) as f64
        );
    }
    let _ = writeln!(out, "\n## Against a table scan\n");
    let _ = writeln!(
        out,
        "A reader's newest page, by the index and by reading the whole table (SQLite `NOT \
         INDEXED`; PostgreSQL with index and bitmap scans off), {SCAN_SAMPLES} users:\n"
    );
    let _ = writeln!(
        out,
        "| backend | indexed median | indexed p99 | scan median | scan p99 | scan / indexed (median) |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
    for r in results {
        let _ = writeln!(
            out,
            "| {} ({}) | {} | {} | {} | {} | {:.0}× |",
            r.name,
            r.version,
            millis(r.indexed_same.median),
            millis(r.indexed_same.p99),
            millis(r.scan.median),
            millis(r.scan.p99),
            r.scan.median.as_secs_f64() / r.indexed_same.median.as_secs_f64().max(1e-9)
        );
    }
    let _ = writeln!(out, "\n## What an entry adds to a job change\n");
    let _ = writeln!(
        out,
        "The runner's progress write under its claim (`update_as_holder`), alone and with one \
         entry in the same transaction, alternating, {} of each, on the loaded table:\n",
        settings.samples.saturating_sub(10)
    );
    let _ = writeln!(
        out,
        "| backend | alone median | alone p99 | with entry median | with entry p99 | p99 added | median added |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
    for r in results {
        let added = |a: Duration, b: Duration| {
            format!(
                "{:.3} ms",
                (b.as_secs_f64() - a.as_secs_f64()).max(0.0) * 1000.0
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            millis(r.change_alone.median),
            millis(r.change_alone.p99),
            millis(r.change_with_entry.median),
            millis(r.change_with_entry.p99),
            added(r.change_alone.p99, r.change_with_entry.p99),
            added(r.change_alone.median, r.change_with_entry.median),
        );
    }
    let _ = writeln!(out, "\n## CSV export\n");
    let _ = writeln!(
        out,
        "The export's path without the network: everyone's entries streamed newest first, \
         {} at a time, encoded as CSV into a sink; the first {EXPORT_ROWS} rows.\n",
        aks_dashboard::storage::history::EXPORT_BATCH
    );
    let _ = writeln!(out, "| backend | rows/s | MB/s |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for r in results {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.1} |",
            r.name, r.export_rows_per_s, r.export_mb_per_s
        );
    }
    let _ = writeln!(
        out,
        "\nLoad times: {}. The machine may be shared with builds: p99s are sensitive to that.",
        results
            .iter()
            .map(|r| format!("{} {:.1} s", r.name, r.load.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for r in results {
        for (what, plan) in &r.plans {
            let _ = writeln!(
                out,
                "\n### {} plan: {what}\n\n```text\n{}\n```",
                r.name,
                plan.join("\n")
            );
        }
    }
    out
}
