//! `GET /api/history`: one page as JSON, or (`?format=csv`, `Accept: text/csv`) every entry the
//! filters match as CSV, streamed a batch at a time from the database, never built in memory.
//!
//! An export is the one long reader of the database a client paces: each batch takes a pooled
//! connection, reads and gives it back before it is written, so a download that dawdles holds no
//! connection; a client that takes nothing for a minute is dropped; and at most 2 exports per
//! user and 8 per server run at once (429 `too_many_exports`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue, header};

use crate::api_error::ApiError;
use crate::domain::history::HistoryQuery;
use crate::identity::Caller;
use crate::services::history::{self, CSV_HEADER, csv_row};
use crate::state::AppState;

/// Rows per chunk of the CSV body.
const CSV_CHUNK: usize = 500;
/// An export whose client takes nothing for this long is dropped.
const EXPORT_IDLE: Duration = Duration::from_secs(60);

/// The query string read into a [`HistoryQuery`] and the format asked for; 400 naming an
/// unknown parameter or format. `kind` may be repeated (or comma-separated).
fn read_params(raw: Option<&str>) -> Result<(HistoryQuery, Option<String>), ApiError> {
    let mut query = HistoryQuery::default();
    let mut format = None;
    let mut kinds: Vec<String> = Vec::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let value = value.into_owned();
        let slot = match name.as_ref() {
            "cluster" => &mut query.cluster,
            "actor" => &mut query.actor,
            "outcome" => &mut query.outcome,
            "scope" => &mut query.scope,
            "since" => &mut query.since,
            "until" => &mut query.until,
            "q" => &mut query.q,
            "cursor" => &mut query.cursor,
            "limit" => &mut query.limit,
            "format" => &mut format,
            "kind" => {
                kinds.push(value);
                continue;
            }
            other => {
                let mut err = ApiError::bad_request(format!(
                    "Unknown parameter {other:?}: use cluster, actor, kind, outcome, scope, \
                     since, until, q, cursor, limit or format."
                ));
                err.fields.insert(
                    other.chars().take(50).collect(),
                    "Unknown parameter.".into(),
                );
                return Err(err);
            }
        };
        *slot = Some(value);
    }
    if !kinds.is_empty() {
        query.kind = Some(kinds.join(","));
    }
    Ok((query, format))
}

/// Whether the answer is CSV: `format` says so, or (without one) `Accept` prefers `text/csv`.
fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format.map(str::trim) {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => {
            let mut err = ApiError::bad_request(format!("Unknown format {other:?}."));
            err.fields
                .insert("format".into(), "Either json (default) or csv.".into());
            Err(err)
        }
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| {
                accept
                    .split(',')
                    .any(|part| part.trim().starts_with("text/csv"))
            })),
    }
}

pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let answer = async {
        let (query, format) = read_params(raw.as_deref())?;
        if wants_csv(format.as_deref(), &headers)? {
            let read = history::readable(&caller, &query)?;
            let slot = state.exports.take(&caller.id)?;
            tracing::info!(by = %caller.id, "history export");
            Ok(csv_response(state, slot, read.filter, read.cursor))
        } else {
            let page = history::history(&state, &caller, &query).await?;
            Ok::<_, ApiError>(Json(page).into_response())
        }
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// The export: the header row, then the entries a chunk at a time, made by a task of its own
/// that hands each chunk over only as fast as the client takes them. A database failure midway,
/// or a client that took nothing for [`EXPORT_IDLE`], ends the body with an error (the client
/// sees a broken transfer, not a short file that looks whole).
fn csv_response(
    state: AppState,
    slot: crate::limits::StreamSlot,
    filter: crate::storage::HistoryFilter,
    from: Option<crate::storage::history::Cursor>,
) -> Response {
    let (chunks, mut taken) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let whole = Arc::new(AtomicBool::new(false));
    let idle = state
        .config
        .export_idle_seconds
        .map_or(EXPORT_IDLE, Duration::from_secs_f64);
    tokio::spawn(export(
        state,
        slot,
        filter,
        from,
        chunks,
        whole.clone(),
        idle,
    ));
    let body = futures_util::stream::poll_fn(move |cx| {
        taken.poll_recv(cx).map(|chunk| match chunk {
            Some(chunk) => Some(chunk),
            // The export ended: whole, or cut short (its error said so, or it gave up).
            None if whole.load(Ordering::Acquire) => None,
            None => {
                whole.store(true, Ordering::Release);
                Some(Err(std::io::Error::other(
                    "the export stopped before its end",
                )))
            }
        })
    });
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"aks-history.csv\""),
    );
    response
}

/// Reads the export's entries and hands them to the body as CSV chunks; holds the export's slot
/// (and no database connection between batches) until it ends. `whole` says it reached the end.
async fn export(
    state: AppState,
    _slot: crate::limits::StreamSlot,
    filter: crate::storage::HistoryFilter,
    from: Option<crate::storage::history::Cursor>,
    chunks: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    whole: Arc<AtomicBool>,
    idle: Duration,
) {
    crate::metrics::history_exports_open(1.0);
    let header_row = write_rows(std::iter::once(CSV_HEADER.map(str::to_owned)));
    let rows = state
        .jobs
        .history()
        .stream(filter, from)
        .chunks(CSV_CHUNK)
        .map(|chunk| {
            let entries = chunk
                .into_iter()
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| {
                    tracing::warn!(error = %err, "history export failed midway");
                    std::io::Error::other(err.to_string())
                })?;
            write_rows(entries.iter().map(csv_row))
        });
    let mut all = std::pin::pin!(futures_util::stream::once(async { header_row }).chain(rows));
    let mut reached_the_end = true;
    while let Some(chunk) = all.next().await {
        let failed = chunk.is_err();
        match chunks.send_timeout(chunk, idle).await {
            Ok(()) if failed => {
                reached_the_end = false;
                break;
            }
            Ok(()) => {}
            Err(tokio::sync::mpsc::error::SendTimeoutError::Timeout(_)) => {
                tracing::info!(
                    idle_seconds = idle.as_secs(),
                    "history export dropped: its client took nothing"
                );
                reached_the_end = false;
                break;
            }
            // The client went away.
            Err(tokio::sync::mpsc::error::SendTimeoutError::Closed(_)) => {
                reached_the_end = false;
                break;
            }
        }
    }
    whole.store(reached_the_end, Ordering::Release);
    crate::metrics::history_exports_open(-1.0);
}

fn write_rows<R, I>(rows: R) -> Result<Bytes, std::io::Error>
where
    R: Iterator<Item = I>,
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(64 * 1024));
    for row in rows {
        writer.write_record(row).map_err(std::io::Error::other)?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_and_unknown_ones_named() {
        let (q, format) =
            read_params(Some("kind=failed&kind=cancelled&cluster=a&format=csv")).expect("ok");
        assert_eq!(q.kind.as_deref(), Some("failed,cancelled"));
        assert_eq!(q.cluster.as_deref(), Some("a"));
        assert_eq!(format.as_deref(), Some("csv"));
        let err = read_params(Some("clutser=a")).expect_err("typo");
        assert!(err.fields.contains_key("clutser"));
    }

    #[test]
    fn csv_is_asked_for_by_format_or_accept() {
        let mut headers = HeaderMap::new();
        assert!(!wants_csv(None, &headers).unwrap());
        headers.insert(header::ACCEPT, HeaderValue::from_static("text/csv"));
        assert!(wants_csv(None, &headers).unwrap());
        assert!(!wants_csv(Some("json"), &headers).unwrap());
        assert!(wants_csv(Some("xml"), &headers).is_err());
    }
}
