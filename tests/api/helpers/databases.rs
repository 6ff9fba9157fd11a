//! Fresh databases for tests: a throw-away PostgreSQL database ([`PostgresDatabase`]), and one
//! storage scenario run on a fresh database of each backend ([`on_sqlite`], [`on_postgres`]): a
//! SQLite file in a temporary folder, or a PostgreSQL database with a random name that is dropped
//! afterwards. The storage benchmark (`bench/recent_failed.rs`) includes this file too.
//!
//! PostgreSQL is found at `STORAGE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432`, no database part). If it cannot be reached the test
//! fails: CI starts PostgreSQL, and a skipped half would hide a backend difference.

use std::future::Future;

use aks_dashboard::storage::Storage;
use sqlx::Connection;

pub fn postgres_server_url() -> String {
    std::env::var("STORAGE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// A throw-away PostgreSQL database. [`drop_database`](Self::drop_database) removes it; one that
/// is dropped without it (a test that panicked) is removed on drop.
pub struct PostgresDatabase {
    pub name: String,
    pub url: String,
    removed: bool,
}

impl PostgresDatabase {
    pub async fn create() -> Self {
        let name = format!("aks_dashboard_test_{}", uuid::Uuid::new_v4().simple());
        admin_execute(&format!("CREATE DATABASE \"{name}\"")).await;
        let url = format!("{}/{name}", postgres_server_url());
        Self {
            name,
            url,
            removed: false,
        }
    }

    pub async fn drop_database(mut self) {
        admin_execute(&self.drop_statement()).await;
        self.removed = true;
    }

    fn drop_statement(&self) -> String {
        // FORCE: a server under test may still hold connections.
        format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        // Drop cannot await, and may run inside a runtime that is busy unwinding: a thread with
        // its own small runtime removes the database.
        let sql = self.drop_statement();
        let removal = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| runtime.block_on(admin_execute(&sql)))
        });
        let _ = removal.join();
    }
}

async fn admin_execute(sql: &str) {
    sqlx::any::install_default_drivers();
    let admin_url = format!("{}/postgres", postgres_server_url());
    let mut admin = sqlx::AnyConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL must be reachable at {admin_url} (set STORAGE_TEST_POSTGRES_URL): {e}"
            )
        });
    sqlx::query(sql)
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = admin.close().await;
}

pub async fn on_sqlite<F, Fut>(scenario: F)
where
    F: FnOnce(Storage) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/jobs.db", dir.path().display());
    let storage = Storage::connect(&url).await.expect("SQLite storage opens");
    let outcome = tokio::spawn(scenario(storage.clone())).await;
    storage.close().await;
    rethrow(outcome);
}

pub async fn on_postgres<F, Fut>(scenario: F)
where
    F: FnOnce(Storage) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let database = PostgresDatabase::create().await;
    let storage = Storage::connect(&database.url)
        .await
        .expect("PostgreSQL storage opens");
    // The scenario runs as its own task so that the database is dropped even when it panics.
    let outcome = tokio::spawn(scenario(storage.clone())).await;
    storage.close().await;
    database.drop_database().await;
    rethrow(outcome);
}

fn rethrow(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("scenario did not finish: {e}"),
        }
    }
}
