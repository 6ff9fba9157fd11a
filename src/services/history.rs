//! `GET /api/history` and the History page: what a caller may read of the history, and the
//! query that says which entries (see [`crate::domain::history`]). One behaviour for the JSON page, the
//! CSV export and the server-rendered page.

use std::collections::BTreeMap;

use crate::api_error::ApiError;
use crate::azure::ClusterRef;
use crate::azure::portal::{resource_activity_log_url, resource_overview_url};
pub use crate::domain::history::HistoryQuery;
use crate::domain::history::{
    EntryLinks, HistoryEntry, HistoryKind, HistoryPage, HistoryView, Outcome, TimelineStep,
    in_timeline,
};
use crate::identity::{Caller, Role};
use crate::state::AppState;
use crate::storage::HistoryFilter;
use crate::storage::history::Cursor;

/// Entries per page when the query says none.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most entries one page may ask for.
pub const MAX_LIMIT: u32 = 500;
/// The longest text filter (`cluster`, `actor`, `q`), in characters.
pub const TEXT_MAX_CHARS: usize = 200;
/// Steps of a job's short timeline (error card, ended screen).
pub const TIMELINE_STEPS: usize = 12;

/// A query read: which entries, from where, how many.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadQuery {
    pub filter: HistoryFilter,
    pub cursor: Option<Cursor>,
    pub limit: u32,
}

/// Text of a query field: absent when empty or blank.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A moment in a query: RFC 3339, a date (midnight UTC) or milliseconds since the epoch.
pub fn parse_moment(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    if let Ok(at) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok();
    }
    let date =
        time::Date::parse(text, &time::format_description::well_known::Iso8601::DATE).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

fn is_date_only(text: &str) -> bool {
    text.len() == 10 && text.as_bytes().get(4) == Some(&b'-') && !text.contains('T')
}

impl HistoryQuery {
    /// The filter, cursor and limit this query asks for; 400 naming each field that cannot be
    /// read, with its rule.
    pub fn read(&self) -> Result<ReadQuery, ApiError> {
        let mut problems: BTreeMap<String, String> = BTreeMap::new();
        let mut filter = HistoryFilter {
            cluster: given(&self.cluster),
            actor: given(&self.actor),
            q: given(&self.q),
            ..HistoryFilter::default()
        };
        for (name, value) in [
            ("cluster", &filter.cluster),
            ("actor", &filter.actor),
            ("q", &filter.q),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.chars().count() > TEXT_MAX_CHARS)
            {
                problems.insert(name.into(), format!("At most {TEXT_MAX_CHARS} characters."));
            }
        }
        if let Some(kinds) = given(&self.kind) {
            for kind in kinds.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                match HistoryKind::parse(kind) {
                    Some(k) if !filter.kinds.contains(&k) => filter.kinds.push(k),
                    Some(_) => {}
                    None => {
                        let known = HistoryKind::ALL.map(HistoryKind::as_str).join(", ");
                        problems.insert(
                            "kind".into(),
                            format!("Unknown kind {kind:?}; one of: {known}."),
                        );
                    }
                }
            }
        }
        if let Some(outcome) = given(&self.outcome) {
            match Outcome::parse(&outcome) {
                Some(o) => filter.outcome = Some(o),
                None => {
                    let known = Outcome::ALL.map(Outcome::as_str).join(", ");
                    problems.insert(
                        "outcome".into(),
                        format!("Unknown outcome {outcome:?}; one of: {known}."),
                    );
                }
            }
        }
        if let Some(scope) = given(&self.scope) {
            match scope.split_once('/') {
                Some((sub, rg)) if !sub.is_empty() && !rg.is_empty() && !rg.contains('/') => {
                    filter.subscription_id = Some(sub.to_owned());
                    filter.resource_group = (rg != "*").then(|| rg.to_owned());
                }
                _ => {
                    problems.insert(
                        "scope".into(),
                        "Use subscription/resource-group, or subscription/* for all of its \
                         groups."
                            .into(),
                    );
                }
            }
        }
        for (name, value, slot) in [
            ("since", &self.since, &mut filter.since),
            ("until", &self.until, &mut filter.until),
        ] {
            if let Some(text) = given(value) {
                match parse_moment(&text) {
                    // A date alone for `until` means through the end of that day.
                    Some(ms) if name == "until" && is_date_only(&text) => {
                        *slot = Some(ms + 86_400_000)
                    }
                    Some(ms) => *slot = Some(ms),
                    None => {
                        problems.insert(
                            name.into(),
                            "A time: RFC 3339 (2026-12-01T10:00:00Z), a date (2026-12-01, UTC) \
                             or milliseconds since 1970."
                                .into(),
                        );
                    }
                }
            }
        }
        if let (Some(since), Some(until)) = (filter.since, filter.until)
            && since >= until
        {
            problems.insert("until".into(), "Must be later than since.".into());
        }
        let cursor = match given(&self.cursor) {
            Some(text) => match Cursor::decode(&text) {
                Some(c) => Some(c),
                None => {
                    problems.insert(
                        "cursor".into(),
                        "Not a cursor this server gave (pass next_cursor as it came).".into(),
                    );
                    None
                }
            },
            None => None,
        };
        let limit = match given(&self.limit) {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    problems.insert(
                        "limit".into(),
                        format!("A whole number from 1 to {MAX_LIMIT}."),
                    );
                    DEFAULT_LIMIT
                }
            },
        };
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(problems));
        }
        Ok(ReadQuery {
            filter,
            cursor,
            limit,
        })
    }

    /// The address of the same view (the History page's filters), without the cursor: a link
    /// that reproduces what is shown from its first page.
    pub fn to_query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("cluster", &self.cluster),
            ("actor", &self.actor),
            ("kind", &self.kind),
            ("outcome", &self.outcome),
            ("scope", &self.scope),
            ("since", &self.since),
            ("until", &self.until),
            ("q", &self.q),
            ("limit", &self.limit),
        ] {
            if let Some(v) = given(value) {
                out.append_pair(name, &v);
            }
        }
        out.finish()
    }
}

/// The caller's filter: their own entries; an Admin's are everyone's.
fn visible_to(caller: &Caller, mut filter: HistoryFilter) -> HistoryFilter {
    filter.owner_id = if caller.role.allows(Role::Admin) {
        None
    } else {
        Some(caller.id.clone())
    };
    filter
}

/// One page of the history the caller may see.
pub async fn history(
    state: &AppState,
    caller: &Caller,
    query: &HistoryQuery,
) -> Result<HistoryPage, ApiError> {
    let read = readable(caller, query)?;
    Ok(state
        .jobs
        .history()
        .page(&read.filter, read.cursor.as_ref(), read.limit)
        .await?)
}

/// The History page's view: one page, and every link it shows.
pub async fn view(
    state: &AppState,
    caller: &Caller,
    query: HistoryQuery,
) -> Result<HistoryView, ApiError> {
    let page = history(state, caller, &query).await?;
    let base = query.to_query_string();
    let address = |path: &str, extra: &[(&str, &str)]| {
        let mut out = form_urlencoded::Serializer::new(base.clone());
        out.extend_pairs(extra);
        let qs = out.finish();
        if qs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{qs}")
        }
    };
    let (portal, tenant) = (state.config.portal(), state.config.tenant_id.clone());
    let links = page
        .entries
        .iter()
        .map(|e| {
            let named = !e.subscription_id.is_empty()
                && !e.resource_group.is_empty()
                && !e.cluster_name.is_empty();
            let resource_id =
                ClusterRef::new(&e.subscription_id, &e.resource_group, &e.cluster_name)
                    .resource_id();
            EntryLinks {
                cluster_history_url: format!(
                    "/history?{}",
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("cluster", &e.cluster_name)
                        .finish()
                ),
                cluster_url: named.then(|| resource_overview_url(&portal, &tenant, &resource_id)),
                activity_log_url: named
                    .then(|| resource_activity_log_url(&portal, &tenant, &resource_id)),
            }
        })
        .collect();
    Ok(HistoryView {
        export_url: address("/api/history", &[("format", "csv")]),
        older_url: page
            .next_cursor
            .as_deref()
            .map(|c| address("/history", &[("cursor", c)])),
        newest_url: query.cursor.as_ref().map(|_| address("/history", &[])),
        links,
        everyone: caller.role.allows(Role::Admin),
        query,
        now: crate::clock::now_ms(),
        page,
    })
}

/// What `query` asks for, within what the caller may see: a page of it, or (an export) every
/// entry from its cursor on.
pub fn readable(caller: &Caller, query: &HistoryQuery) -> Result<ReadQuery, ApiError> {
    caller.require(Role::Reader)?;
    let read = query.read()?;
    Ok(ReadQuery {
        filter: visible_to(caller, read.filter),
        ..read
    })
}

/// The short timeline of each job: what a person did and how Azure answered, oldest first.
/// Empty when the history cannot be read (the card shows without it).
pub async fn timelines(
    state: &AppState,
    job_ids: &[String],
) -> std::collections::HashMap<String, Vec<TimelineStep>> {
    match state.jobs.history().timelines(job_ids, 100).await {
        Ok(map) => map
            .into_iter()
            .map(|(job, entries)| (job, short_timeline(&entries)))
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, "job timelines unavailable");
            Default::default()
        }
    }
}

/// The steps a short timeline shows, the last [`TIMELINE_STEPS`] of them.
pub fn short_timeline(entries: &[HistoryEntry]) -> Vec<TimelineStep> {
    let steps: Vec<TimelineStep> = entries
        .iter()
        .filter(|e| in_timeline(e.kind))
        .map(TimelineStep::of)
        .collect();
    let skip = steps.len().saturating_sub(TIMELINE_STEPS);
    steps.into_iter().skip(skip).collect()
}

/// The CSV export's header, and one entry's row (time in RFC 3339, `details` as JSON). A cell
/// that a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first) starts with `'`.
pub const CSV_HEADER: [&str; 14] = [
    "id",
    "at",
    "actor",
    "actor_name",
    "kind",
    "outcome",
    "subscription_id",
    "resource_group",
    "cluster_name",
    "job_id",
    "message",
    "azure_correlation_id",
    "azure_request_id",
    "details",
];

pub fn csv_row(entry: &HistoryEntry) -> [String; 14] {
    let safe = |text: &str| -> String {
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_owned()
        }
    };
    let opt = |v: &Option<String>| v.as_deref().map(safe).unwrap_or_default();
    [
        entry.id.clone(),
        crate::clock::iso_utc(entry.at),
        safe(&entry.actor),
        opt(&entry.actor_name),
        entry.kind.as_str().to_owned(),
        entry.outcome.as_str().to_owned(),
        safe(&entry.subscription_id),
        safe(&entry.resource_group),
        safe(&entry.cluster_name),
        entry.job_id.clone().unwrap_or_default(),
        entry.detail("message").map(safe).unwrap_or_default(),
        opt(&entry.azure_correlation_id),
        opt(&entry.azure_request_id),
        entry.details.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HistoryQuery {
        let text = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        serde_urlencoded::from_str(&text).expect("query")
    }

    #[test]
    fn a_query_reads_into_a_filter() {
        let read = query(&[
            ("cluster", "Dev-1"),
            ("kind", "failed,cancelled"),
            ("outcome", "failed"),
            ("scope", "sub-1/*"),
            ("since", "2026-12-01"),
            ("until", "2026-12-02T00:00:00Z"),
            ("limit", "20"),
        ])
        .read()
        .expect("valid");
        assert_eq!(read.filter.cluster.as_deref(), Some("Dev-1"));
        assert_eq!(
            read.filter.kinds,
            vec![HistoryKind::Failed, HistoryKind::Cancelled]
        );
        assert_eq!(read.filter.subscription_id.as_deref(), Some("sub-1"));
        assert_eq!(read.filter.resource_group, None);
        assert_eq!(read.filter.since, Some(1_796_083_200_000));
        assert_eq!(read.filter.until, Some(1_796_169_600_000));
        let through = query(&[("until", "2026-12-01")]).read().expect("valid");
        assert_eq!(through.filter.until, Some(1_796_169_600_000));
        assert_eq!(read.limit, 20);
    }

    #[test]
    fn bad_fields_are_named_with_their_rule() {
        let err = query(&[
            ("kind", "exploded"),
            ("outcome", "maybe"),
            ("since", "yesterday"),
            ("limit", "0"),
            ("cursor", "nope"),
            ("scope", "just-a-sub"),
        ])
        .read()
        .expect_err("invalid");
        assert_eq!(err.status, 400);
        for field in ["kind", "outcome", "since", "limit", "cursor", "scope"] {
            assert!(err.fields.contains_key(field), "{field}: {:?}", err.fields);
        }
        let err = query(&[("since", "2026-12-02"), ("until", "2026-12-01")])
            .read()
            .expect_err("until before since");
        assert!(err.fields.contains_key("until"));
    }

    #[test]
    fn the_address_of_a_view_keeps_its_filters_but_not_its_page() {
        let q = query(&[("cluster", "a b"), ("cursor", "1_ab"), ("kind", "failed")]);
        assert_eq!(q.to_query_string(), "cluster=a+b&kind=failed");
    }

    #[test]
    fn csv_cells_are_never_formulas() {
        let entry = HistoryEntry {
            id: "x".into(),
            at: 0,
            actor: "=cmd".into(),
            actor_name: Some("@ana".into()),
            kind: HistoryKind::Failed,
            outcome: Outcome::Failed,
            subscription_id: "s".into(),
            resource_group: "r".into(),
            cluster_name: "c".into(),
            job_id: None,
            details: serde_json::json!({"message": "+1"}),
            azure_correlation_id: None,
            azure_request_id: None,
        };
        let row = csv_row(&entry);
        assert_eq!(row[2], "'=cmd");
        assert_eq!(row[3], "'@ana");
        assert_eq!(row[10], "'+1");
        assert_eq!(row[1], "1970-01-01T00:00:00.000Z");
    }
}
