//! Runs one storage scenario on a fresh database of each backend: a SQLite file in a temporary
//! folder, or a PostgreSQL database with a random name that is dropped afterwards.
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

/// A throw-away PostgreSQL database.
pub struct PostgresDatabase {
    pub name: String,
    pub url: String,
}

impl PostgresDatabase {
    pub async fn create() -> Self {
        let name = format!("aks_dashboard_test_{}", uuid::Uuid::new_v4().simple());
        admin_execute(&format!("CREATE DATABASE \"{name}\"")).await;
        let url = format!("{}/{name}", postgres_server_url());
        Self { name, url }
    }

    pub async fn drop_database(self) {
        admin_execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .await;
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
