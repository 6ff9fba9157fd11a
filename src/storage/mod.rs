//! Storage: one SQL database, SQLite (the embedded default) or PostgreSQL (several servers),
//! chosen by `DATABASE_URL` at start-up. Both run the same migrations in `migrations/` through
//! sqlx's `Any` driver; the few statements that differ per backend say so where they are.

pub mod approvals;
pub mod history;
pub mod jobs;
pub mod sessions;

pub use history::{Actor, HistoryEvent, HistoryFilter, HistoryRepository, Subject};
pub use jobs::{
    AKS_PROVISION, Claimed, ClusterContext, CreateJobError, HeldLease, InFlightCaps,
    InternalErrorOutcome, JobAccessError, JobLease, JobRecord, JobStateRepository, JobStatus,
    JobUpdate, NewJob,
};

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::api_error::ApiError;
use crate::refusal::Refusal;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL as it may be shown (logs, errors, `Debug`): its password replaced by `***`.
pub fn redacted_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            if parsed.set_password(Some("***")).is_ok() {
                parsed.to_string()
            } else {
                "(a URL with a password)".to_owned()
            }
        }
        Ok(_) => url.to_owned(),
        // Not a URL: it may still hold a secret somewhere; show only its scheme.
        Err(_) => match url.split_once(':') {
            Some((scheme, _)) => format!("{scheme}:…"),
            None => "…".to_owned(),
        },
    }
}

/// "Now" in milliseconds since the epoch, on the database's clock (SQL).
pub(crate) fn db_now_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
    }
}

/// A value bound to a placeholder of a statement built at run time (the fields of an update,
/// the filters of a history page).
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

/// `query` with `params` bound to its placeholders, in order.
pub(crate) fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    params: Vec<Param>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for param in params {
        query = match param {
            Param::Text(text) => query.bind(text),
            Param::Int(int) => query.bind(int),
        };
    }
    query
}

/// A storage failure, typed so that routes can answer `degraded` or 503 instead of crashing.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported DATABASE_URL scheme (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    #[error("database unavailable: {0}")]
    Unavailable(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

/// The connection pool plus what kind of database it talks to.
#[derive(Debug, Clone)]
pub struct Storage {
    pub pool: AnyPool,
    pub backend: Backend,
}

impl Storage {
    /// Connects (creating a SQLite file and its folder if needed) and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StorageError::UnsupportedUrl(redacted_url(url)));
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url_creating_parent(url),
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // busy_timeout: writers queue instead of failing with "database is
                        // locked" (set first: switching to WAL itself takes a lock);
                        // WAL: readers never wait for the writer.
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        // Checkpoints run off the write path (see `checkpoint_in_background`):
                        // a commit never waits for one.
                        conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let storage = Self { pool, backend };
        storage.migrate().await?;
        if backend == Backend::Sqlite {
            checkpoint_in_background(storage.pool.clone());
        }
        Ok(storage)
    }

    pub async fn migrate(&self) -> Result<(), StorageError> {
        sqlx::migrate!("./migrations").run(&self.pool).await?;
        Ok(())
    }

    /// Readiness: the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// How often SQLite's write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// SQLite in WAL mode commits without `fsync` (`synchronous = NORMAL`); the `fsync` comes with
/// the checkpoint that copies the log back into the database. Left to SQLite, the commit that
/// makes the log pass 1,000 pages runs that checkpoint itself, and a job change waits ten
/// milliseconds or more for it (bench/HISTORY.md). Here a task checkpoints every
/// [`CHECKPOINT_EVERY`] instead, `PASSIVE` (it never blocks a writer or a reader), until the
/// pool is closed.
fn checkpoint_in_background(pool: AnyPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if pool.is_closed() {
                    return;
                }
                tracing::debug!(error = %err, "SQLite checkpoint failed; trying again");
            }
        }
    });
}

/// `sqlite://data/x.db` → make sure `data/` exists and ask SQLite to create the file.
fn sqlite_url_creating_parent(url: &str) -> String {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(parent);
    }
    if query.contains("mode=") {
        url.to_owned()
    } else if query.is_empty() {
        format!("sqlite://{path}?mode=rwc")
    } else {
        format!("sqlite://{path}?{query}&mode=rwc")
    }
}

/// Storage failures reach the client as a retryable 503; the details go to the log.
impl From<crate::storage::StorageError> for ApiError {
    fn from(err: crate::storage::StorageError) -> Self {
        tracing::error!(error = %err, "storage unavailable");
        ApiError::try_again(
            Refusal::StorageUnavailable,
            "The job store is not answering, so nothing was changed. Try again in a few seconds.",
            5,
        )
    }
}

impl From<crate::storage::JobAccessError> for ApiError {
    fn from(err: crate::storage::JobAccessError) -> Self {
        match err {
            JobAccessError::NotFound => ApiError::not_found("No such provision."),
            JobAccessError::Forbidden => {
                ApiError::forbidden("This provision belongs to another user.")
            }
            JobAccessError::Storage(e) => e.into(),
        }
    }
}

/// How long a user over the in-flight cap is asked to wait before trying again.
const TOO_MANY_RETRY_AFTER_SECONDS: u64 = 30;

impl From<crate::storage::CreateJobError> for ApiError {
    fn from(err: crate::storage::CreateJobError) -> Self {
        match err {
            CreateJobError::ClusterBusy => {
                let mut api = ApiError::refused(
                    Refusal::ClusterBusy,
                    "A provision of this cluster is already in flight (yours or a colleague's); \
                     watch it on the dashboard, or stop it first.",
                );
                api.name_field(
                    Refusal::ClusterBusy,
                    "A create of this cluster is already in progress.",
                );
                api
            }
            CreateJobError::TooManyInFlight { max_in_flight } => ApiError::try_again(
                Refusal::TooManyProvisions,
                format!(
                    "You already have {max_in_flight} provisions queued or running; wait for \
                         one to finish (or stop one) and try again."
                ),
                TOO_MANY_RETRY_AFTER_SECONDS,
            ),
            CreateJobError::ScopeFull { max_in_flight } => ApiError::try_again(
                Refusal::TooManyProvisionsInScope,
                format!(
                    "{max_in_flight} provisions are already queued or running in this \
                         subscription and resource group; wait for one to finish and try again."
                ),
                TOO_MANY_RETRY_AFTER_SECONDS,
            ),
            CreateJobError::Storage(e) => e.into(),
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_ask_for_file_creation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/sub/x.db", dir.path().display());
        let out = sqlite_url_creating_parent(&url);
        assert!(out.ends_with("/sub/x.db?mode=rwc"), "{out}");
        assert!(dir.path().join("sub").is_dir());
        assert_eq!(
            sqlite_url_creating_parent("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }
}
