//! What the benchmarks share: settings from the environment, latency percentiles, the machine
//! and database they ran on.

use std::time::{Duration, Instant};

use aks_dashboard::storage::{Backend, Storage};

/// Runs `run` on a new SQLite file, then on a new PostgreSQL database (dropped after), with the
/// database's name and URL: the results in that order.
pub async fn on_both_databases<R>(mut run: impl AsyncFnMut(&'static str, String) -> R) -> Vec<R> {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = run(
        "SQLite",
        format!("sqlite://{}/bench.db", dir.path().display()),
    )
    .await;
    let database = super::storage_support::PostgresDatabase::create().await;
    let postgres = run("PostgreSQL", database.url.clone()).await;
    database.drop_database().await;
    vec![sqlite, postgres]
}

/// Connects to `url`, fills it with `load` (timed, said on stderr), and connects again: a fresh
/// pool, so that every connection sees the statistics `ANALYZE` gathered.
pub async fn loaded(
    url: &str,
    name: &str,
    what: &str,
    load: impl AsyncFnOnce(&Storage),
) -> (Storage, Duration) {
    let storage = Storage::connect(url).await.expect("storage");
    eprintln!("{name}: loading {what}…");
    let started = Instant::now();
    load(&storage).await;
    let took = started.elapsed();
    eprintln!("{name}: loaded in {took:.1?}");
    storage.close().await;
    (Storage::connect(url).await.expect("storage"), took)
}

/// Writes the report to `path` and prints it.
pub fn write_report(path: &str, report: &str) {
    std::fs::write(path, report).expect("write report");
    println!("{report}");
}

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The median and the 99th percentile of a set of samples.
pub struct Latencies {
    pub median: Duration,
    pub p99: Duration,
}

impl Latencies {
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let at = |q: f64| {
            let rank = ((samples.len() as f64) * q).ceil() as usize;
            samples[rank.clamp(1, samples.len()) - 1]
        };
        Self {
            median: at(0.5),
            p99: at(0.99),
        }
    }
}

/// The database's name and version, e.g. `SQLite 3.46.0`.
pub async fn server_version(storage: &Storage) -> String {
    let sql = match storage.backend {
        Backend::Sqlite => "SELECT 'SQLite ' || sqlite_version()",
        Backend::Postgres => "SELECT 'PostgreSQL ' || current_setting('server_version')",
    };
    sqlx::query_scalar(sql)
        .fetch_one(&storage.pool)
        .await
        .expect("version")
}

pub fn millis(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// The CPU, cores, memory and build of this run.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1_048_576);
    format!(
        "{cpu}, {cores} cores, {memory_gb} GiB RAM, {} {}, {} build",
        std::env::consts::OS,
        std::env::consts::ARCH,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    )
}
