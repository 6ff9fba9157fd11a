//! Signed-in sessions (`AUTH_MODE=oidc`), kept server-side in the job database: a
//! `tower-sessions` store over the `sessions` table, on SQLite or PostgreSQL alike. The cookie
//! holds only the session's random id; what a session knows (who signed in, and the sign-in in
//! progress) stays here, so signing out or expiring ends it everywhere at once.

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::storage::Storage;

/// The `sessions` table as a `tower-sessions` store.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    storage: Storage,
}

impl DbSessionStore {
    pub fn new(storage: Storage) -> Self {
        Self { storage }
    }

    /// Removes up to `batch` sessions that expired; how many it removed. The runners call it
    /// every few minutes, again while a batch comes back full.
    pub async fn delete_expired(&self, batch: u32) -> Result<u64, sqlx::Error> {
        let now = crate::clock::wall_seconds();
        let done = sqlx::query(
            "DELETE FROM sessions WHERE id IN ( \
                 SELECT id FROM sessions WHERE expires_at <= $1 LIMIT $2)",
        )
        .bind(now)
        .bind(i64::from(batch))
        .execute(&self.storage.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// How many sessions are stored, expired or not (tests, and the operator's question "is
    /// the sweep keeping up?").
    pub async fn count(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(&self.storage.pool)
            .await
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        // A fresh random id; another one in the (unlikely) case it is taken.
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(&data)
            .bind(record.expiry_date.unix_timestamp())
            .execute(&self.storage.pool)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(record.id.to_string())
        .bind(data)
        .bind(record.expiry_date.unix_timestamp())
        .execute(&self.storage.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = crate::clock::wall_seconds();
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(id.to_string())
        .bind(now)
        .fetch_optional(&self.storage.pool)
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.storage.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
