//! What the benchmarks share: settings from the environment, latency percentiles, the machine
//! and database they ran on.

use std::time::Duration;

use aks_dashboard::storage::{Backend, Storage};

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
