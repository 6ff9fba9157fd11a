//! The `job_history` table: append-only, one row per thing that happened (see
//! [`crate::domain::history`]). Entries that describe a job change are written by the job's own
//! statements, in the same transaction (see [`JobUpdate::history`](super::JobUpdate)); this
//! module has that insert, the reads (filtered pages, a streamed export, timelines) and the
//! retention sweep.

use std::collections::HashMap;

use futures_util::Stream;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Backend, Param, Storage, StorageError, bind_all, db_now_sql};
use crate::domain::ProvisionRequest;
use crate::domain::history::{
    AzureIds, HistoryEntry, HistoryKind, HistoryPage, Outcome, SYSTEM_ACTOR,
};

/// Longest message kept (Azure's messages are a few hundred characters).
const MAX_MESSAGE: usize = 2_000;
/// Longest `details` kept, as JSON; a larger one is replaced by a note that says so.
const MAX_DETAILS: usize = 16_384;
/// Longest scope and name kept (a refused request may carry anything).
const MAX_NAME: usize = 200;
/// Rows per read of the streamed export.
pub const EXPORT_BATCH: u32 = 1_000;

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub name: Option<String>,
}

impl Actor {
    /// The runner, doing what it does on its own.
    pub fn system() -> Self {
        Self {
            id: SYSTEM_ACTOR.to_owned(),
            name: None,
        }
    }

    /// A signed-in user; the name is kept when it says more than the id.
    pub fn user(id: &str, name: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: (name != id && !name.is_empty()).then(|| name.to_owned()),
        }
    }
}

/// One thing that happened, before it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub kind: HistoryKind,
    pub outcome: Outcome,
    pub actor: Actor,
    /// Azure's message, or the reason of a refusal (searched by `q`).
    pub message: Option<String>,
    pub details: serde_json::Value,
    pub azure: AzureIds,
}

impl HistoryEvent {
    pub fn new(kind: HistoryKind, outcome: Outcome, actor: Actor) -> Self {
        Self {
            kind,
            outcome,
            actor,
            message: None,
            details: serde_json::json!({}),
            azure: AzureIds::default(),
        }
    }

    /// What the runner did.
    pub fn system(kind: HistoryKind, outcome: Outcome) -> Self {
        Self::new(kind, outcome, Actor::system())
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    pub fn azure(mut self, ids: AzureIds) -> Self {
        self.azure = ids;
        self
    }
}

/// What an entry is about: whose create, where, which job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub owner_id: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub cluster_name: String,
    pub job_id: Option<String>,
}

impl Subject {
    /// A request of `owner_id` that has no job (a refused create).
    pub fn request(owner_id: &str, req: &ProvisionRequest) -> Self {
        Self {
            owner_id: owner_id.to_owned(),
            subscription_id: req.subscription_id.clone(),
            resource_group: req.resource_group.clone(),
            cluster_name: req.cluster_name.clone(),
            job_id: None,
        }
    }

    pub fn job(owner_id: &str, req: &ProvisionRequest, job_id: &str) -> Self {
        Self {
            job_id: Some(job_id.to_owned()),
            ..Self::request(owner_id, req)
        }
    }
}

fn clipped(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Writes `events` about `subject` on `conn` (the caller's transaction), each at the database's
/// clock; their ids (UUIDv7, increasing within this process) keep them in the order given.
pub(crate) async fn insert_events(
    conn: &mut AnyConnection,
    backend: Backend,
    subject: &Subject,
    events: &[HistoryEvent],
) -> Result<(), StorageError> {
    let sql = format!(
        "INSERT INTO job_history (id, at, actor, actor_name, owner_id, kind, outcome, \
         subscription_id, resource_group, cluster_name, job_id, message, details, \
         azure_correlation_id, azure_request_id) \
         VALUES ($1, {now}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        now = db_now_sql(backend)
    );
    for event in events {
        let mut details = serde_json::to_string(&event.details)
            .map_err(|e| StorageError::Corrupt(format!("history details: {e}")))?;
        if details.len() > MAX_DETAILS {
            details = serde_json::json!({"truncated": true, "bytes": details.len()}).to_string();
        }
        sqlx::query(&sql)
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(clipped(&event.actor.id, MAX_NAME))
            .bind(event.actor.name.as_deref().map(|n| clipped(n, MAX_NAME)))
            .bind(clipped(&subject.owner_id, MAX_NAME))
            .bind(event.kind.as_str())
            .bind(event.outcome.as_str())
            .bind(clipped(&subject.subscription_id, MAX_NAME))
            .bind(clipped(&subject.resource_group, MAX_NAME))
            .bind(clipped(&subject.cluster_name, MAX_NAME))
            .bind(subject.job_id.as_deref())
            .bind(event.message.as_deref().map(|m| clipped(m, MAX_MESSAGE)))
            .bind(details)
            .bind(event.azure.correlation_id.as_deref())
            .bind(event.azure.request_id.as_deref())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Which entries to read. `owner_id: None` is everyone's (an admin's view).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub owner_id: Option<String>,
    /// Cluster name, any case.
    pub cluster: Option<String>,
    pub actor: Option<String>,
    pub kinds: Vec<HistoryKind>,
    pub outcome: Option<Outcome>,
    pub subscription_id: Option<String>,
    pub resource_group: Option<String>,
    /// From this time (ms, inclusive).
    pub since: Option<i64>,
    /// Before this time (ms, exclusive).
    pub until: Option<i64>,
    /// Free text over the cluster name and Azure's message (any case).
    pub q: Option<String>,
    pub job_id: Option<String>,
}

/// Where a page ends: the last entry's time and id. Entries are ordered by both, newest first,
/// and neither changes once written, so a page read after more entries arrived continues exactly
/// where the previous one stopped: no entry twice, none skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

impl Cursor {
    pub fn of(entry: &HistoryEntry) -> Self {
        Self {
            at: entry.at,
            id: entry.id.clone(),
        }
    }

    /// The opaque text handed to clients: `<at>_<id>`.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at, self.id)
    }

    /// What [`Cursor::decode`] reads, as a pattern for the OpenAPI document (a little
    /// narrower: at most 18 digits, so that every time it allows fits).
    pub const PATTERN: &'static str = "^-?[0-9]{1,18}_[0-9A-Fa-f-]{1,64}$";

    pub fn decode(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('_')?;
        let at: i64 = at.parse().ok()?;
        let valid_id = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        valid_id.then(|| Self {
            at,
            id: id.to_owned(),
        })
    }
}

/// `WHERE …` of a filter (and cursor), with its values in placeholder order.
fn conditions(filter: &HistoryFilter, cursor: Option<&Cursor>) -> (String, Vec<Param>) {
    let mut parts: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let mut push = |sql: &dyn Fn(usize) -> String, values: Vec<Param>| {
        let first = params.len() + 1;
        parts.push(sql(first));
        params.extend(values);
    };
    if let Some(owner) = &filter.owner_id {
        push(
            &|n| format!("owner_id = ${n}"),
            vec![Param::Text(owner.clone())],
        );
    }
    if let Some(cluster) = &filter.cluster {
        push(
            &|n| format!("lower(cluster_name) = ${n}"),
            vec![Param::Text(cluster.to_lowercase())],
        );
    }
    if let Some(actor) = &filter.actor {
        push(
            &|n| format!("actor = ${n}"),
            vec![Param::Text(actor.clone())],
        );
    }
    if !filter.kinds.is_empty() {
        let kinds = filter.kinds.clone();
        let count = kinds.len();
        push(
            &|n| {
                let list = (0..count)
                    .map(|i| format!("${}", n + i))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("kind IN ({list})")
            },
            kinds
                .iter()
                .map(|k| Param::Text(k.as_str().to_owned()))
                .collect(),
        );
    }
    if let Some(outcome) = filter.outcome {
        push(
            &|n| format!("outcome = ${n}"),
            vec![Param::Text(outcome.as_str().to_owned())],
        );
    }
    if let Some(sub) = &filter.subscription_id {
        push(
            &|n| format!("lower(subscription_id) = ${n}"),
            vec![Param::Text(sub.to_lowercase())],
        );
    }
    if let Some(rg) = &filter.resource_group {
        push(
            &|n| format!("lower(resource_group) = ${n}"),
            vec![Param::Text(rg.to_lowercase())],
        );
    }
    if let Some(since) = filter.since {
        push(&|n| format!("at >= ${n}"), vec![Param::Int(since)]);
    }
    if let Some(until) = filter.until {
        push(&|n| format!("at < ${n}"), vec![Param::Int(until)]);
    }
    if let Some(q) = &filter.q {
        let pattern = format!("%{}%", like_escaped(&q.to_lowercase()));
        push(
            &|n| {
                format!(
                    "(lower(cluster_name) LIKE ${n} ESCAPE '\\' \
                     OR lower(COALESCE(message, '')) LIKE ${n} ESCAPE '\\')"
                )
            },
            vec![Param::Text(pattern)],
        );
    }
    if let Some(job) = &filter.job_id {
        push(
            &|n| format!("job_id = ${n}"),
            vec![Param::Text(job.clone())],
        );
    }
    if let Some(cursor) = cursor {
        push(
            // `at <= …` first: a range the `(…, at, id)` indexes serve on both databases (an
            // `OR` alone is no index condition, and each page would read again every row of the
            // pages before it).
            &|n| format!("at <= ${n} AND (at < ${n} OR id < ${})", n + 1),
            vec![Param::Int(cursor.at), Param::Text(cursor.id.clone())],
        );
    }
    if parts.is_empty() {
        (String::new(), params)
    } else {
        (format!(" WHERE {}", parts.join(" AND ")), params)
    }
}

/// `%`, `_` and `\` of user text, taken literally by `LIKE … ESCAPE '\'`.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const ENTRY_COLUMNS: &str = "id, at, actor, actor_name, kind, outcome, subscription_id, \
    resource_group, cluster_name, job_id, message, details, azure_correlation_id, azure_request_id";

fn entry_from_row(row: &AnyRow) -> Result<HistoryEntry, StorageError> {
    let text = |name: &str| -> Result<String, StorageError> {
        row.try_get(name)
            .map_err(|e| StorageError::Corrupt(format!("job_history.{name}: {e}")))
    };
    let optional = |name: &str| -> Result<Option<String>, StorageError> {
        row.try_get(name)
            .map_err(|e| StorageError::Corrupt(format!("job_history.{name}: {e}")))
    };
    let kind = text("kind")?;
    let outcome = text("outcome")?;
    let mut details: serde_json::Value =
        serde_json::from_str(&text("details")?).unwrap_or_else(|_| serde_json::json!({}));
    if let (Some(message), Some(map)) = (optional("message")?, details.as_object_mut()) {
        map.entry("message")
            .or_insert(serde_json::Value::String(message));
    }
    Ok(HistoryEntry {
        id: text("id")?,
        at: row
            .try_get("at")
            .map_err(|e| StorageError::Corrupt(format!("job_history.at: {e}")))?,
        actor: text("actor")?,
        actor_name: optional("actor_name")?,
        kind: HistoryKind::parse(&kind)
            .ok_or_else(|| StorageError::Corrupt(format!("job_history.kind: {kind}")))?,
        outcome: Outcome::parse(&outcome)
            .ok_or_else(|| StorageError::Corrupt(format!("job_history.outcome: {outcome}")))?,
        subscription_id: text("subscription_id")?,
        resource_group: text("resource_group")?,
        cluster_name: text("cluster_name")?,
        job_id: optional("job_id")?,
        details,
        azure_correlation_id: optional("azure_correlation_id")?,
        azure_request_id: optional("azure_request_id")?,
    })
}

/// Reads and writes `job_history` rows.
#[derive(Debug, Clone)]
pub struct HistoryRepository {
    storage: Storage,
}

impl HistoryRepository {
    pub fn new(storage: Storage) -> Self {
        Self { storage }
    }

    /// Writes entries that describe no job change (a refused create, a delete of what a job
    /// left), together in one transaction.
    pub async fn record(
        &self,
        subject: &Subject,
        events: &[HistoryEvent],
    ) -> Result<(), StorageError> {
        let mut tx = self.storage.pool.begin().await?;
        insert_events(&mut tx, self.storage.backend, subject, events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Up to `limit` entries after `cursor`, newest first, and the cursor of the next page
    /// (absent when there is none).
    pub async fn page(
        &self,
        filter: &HistoryFilter,
        cursor: Option<&Cursor>,
        limit: u32,
    ) -> Result<HistoryPage, StorageError> {
        let mut conn = self.storage.pool.acquire().await?;
        Self::page_on(&mut conn, filter, cursor, limit).await
    }

    /// [`Self::page`] on a connection the caller holds.
    async fn page_on(
        conn: &mut AnyConnection,
        filter: &HistoryFilter,
        cursor: Option<&Cursor>,
        limit: u32,
    ) -> Result<HistoryPage, StorageError> {
        let (conditions, params) = conditions(filter, cursor);
        let limit_at = params.len() + 1;
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM job_history{conditions} \
             ORDER BY at DESC, id DESC LIMIT ${limit_at}"
        );
        // One more than asked tells whether there is a next page.
        let rows = bind_all(sqlx::query(&sql), params)
            .bind(i64::from(limit) + 1)
            .fetch_all(&mut *conn)
            .await?;
        let mut entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let next_cursor = more
            .then(|| entries.last().map(|e| Cursor::of(e).encode()))
            .flatten();
        Ok(HistoryPage {
            entries,
            next_cursor,
        })
    }

    /// Every entry the filter matches after `from` (from the newest without one), newest
    /// first, read [`EXPORT_BATCH`] at a time: memory stays bounded however many there are.
    /// Each batch takes a connection from the pool and gives it back before the stream yields,
    /// so a reader that waits between batches (a slow download) holds none.
    pub fn stream(
        &self,
        filter: HistoryFilter,
        from: Option<Cursor>,
    ) -> impl Stream<Item = Result<HistoryEntry, StorageError>> + Send + 'static {
        let pool = self.storage.pool.clone();
        let batches =
            futures_util::stream::unfold((Some(from), filter), move |(cursor, filter)| {
                let pool = pool.clone();
                async move {
                    let cursor = cursor?;
                    let read = async {
                        let mut conn = pool.acquire().await?;
                        Self::page_on(&mut conn, &filter, cursor.as_ref(), EXPORT_BATCH).await
                    };
                    match read.await {
                        Ok(page) => {
                            // The next batch starts after this one's last entry.
                            let more = page
                                .next_cursor
                                .as_ref()
                                .and(page.entries.last())
                                .map(|last| Some(Cursor::of(last)));
                            let items: Vec<Result<HistoryEntry, StorageError>> =
                                page.entries.into_iter().map(Ok).collect();
                            Some((items, (more, filter)))
                        }
                        Err(err) => Some((vec![Err(err)], (None, filter))),
                    }
                }
            });
        futures_util::StreamExt::flat_map(batches, futures_util::stream::iter)
    }

    /// The entries of each job in `job_ids`, oldest first (at most `per_job` each).
    pub async fn timelines(
        &self,
        job_ids: &[String],
        per_job: usize,
    ) -> Result<HashMap<String, Vec<HistoryEntry>>, StorageError> {
        let mut out: HashMap<String, Vec<HistoryEntry>> = HashMap::new();
        if job_ids.is_empty() {
            return Ok(out);
        }
        let list = (1..=job_ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM job_history WHERE job_id IN ({list}) ORDER BY at, id"
        );
        let mut query = sqlx::query(&sql);
        for id in job_ids {
            query = query.bind(id.as_str());
        }
        for row in query.fetch_all(&self.storage.pool).await? {
            let entry = entry_from_row(&row)?;
            let Some(job) = entry.job_id.clone() else {
                continue;
            };
            let list = out.entry(job).or_default();
            if list.len() < per_job {
                list.push(entry);
            }
        }
        Ok(out)
    }

    /// Deletes up to `batch` entries older than `before_ms`, oldest first; how many it deleted.
    /// Small batches keep each lock short; call again until it deletes fewer than `batch`.
    pub async fn prune(&self, before_ms: i64, batch: u32) -> Result<u64, StorageError> {
        let done = sqlx::query(
            "DELETE FROM job_history WHERE id IN ( \
                 SELECT id FROM job_history WHERE at < $1 ORDER BY at, id LIMIT $2)",
        )
        .bind(before_ms)
        .bind(i64::from(batch))
        .execute(&self.storage.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// How many entries there are (tests and the benchmark).
    pub async fn count(&self) -> Result<i64, StorageError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM job_history")
            .fetch_one(&self.storage.pool)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_refuse_junk() {
        let c = Cursor {
            at: 1_700_000_000_123,
            id: "0190b3c2-7d1e-7000-8000-000000000001".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for junk in ["", "x_y", "12", "12_", "12_'; DROP", "abc_0190"] {
            assert_eq!(Cursor::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn like_patterns_take_user_text_literally() {
        assert_eq!(like_escaped("50%_a\\b"), "50\\%\\_a\\\\b");
    }

    #[test]
    fn filters_number_their_placeholders_in_order() {
        let filter = HistoryFilter {
            owner_id: Some("ana".into()),
            kinds: vec![HistoryKind::Failed, HistoryKind::Cancelled],
            q: Some("Quota".into()),
            ..HistoryFilter::default()
        };
        let cursor = Cursor {
            at: 5,
            id: "ab".into(),
        };
        let (sql, params) = conditions(&filter, Some(&cursor));
        assert!(sql.contains("owner_id = $1"), "{sql}");
        assert!(sql.contains("kind IN ($2, $3)"), "{sql}");
        assert!(sql.contains("LIKE $4"), "{sql}");
        assert!(sql.contains("at <= $5 AND (at < $5 OR id < $6)"), "{sql}");
        assert_eq!(params.len(), 6);
    }

    #[test]
    fn long_text_is_clipped_on_a_character_boundary() {
        let text = "é".repeat(10);
        let out = clipped(&text, 5);
        assert!(out.ends_with('…'));
        assert!(out.len() <= 5 + '…'.len_utf8());
    }
}
