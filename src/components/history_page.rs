//! The History page (`/history`): who created, stopped, fixed, dismissed and deleted which
//! cluster, when. Server HTML only, no island: the filters are a plain GET form (the address is
//! the view, so a link reproduces it), each entry's details a native `<details>` (keyboard and
//! screen-reader friendly without a script), the pages plain links.

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::history::load_history;
use crate::api::session::get_session;
use crate::components::clock::{format_ago, iso_utc, utc_label};
use crate::components::session::SignedInUser;
use crate::domain::history::{
    EntryLinks, HistoryEntry, HistoryKind, HistoryQuery, HistoryView, Outcome, SYSTEM_ACTOR,
};

/// The page's filters, read from its address.
fn query_of_address() -> HistoryQuery {
    leptos_router::hooks::use_query_map().with_untracked(|q| HistoryQuery {
        cluster: q.get("cluster"),
        actor: q.get("actor"),
        kind: q.get("kind"),
        outcome: q.get("outcome"),
        scope: q.get("scope"),
        since: q.get("since"),
        until: q.get("until"),
        q: q.get("q"),
        cursor: q.get("cursor"),
        limit: q.get("limit"),
    })
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = query_of_address();
    let session = Resource::new_blocking(|| (), |_| get_session(None));
    let shown = Resource::new_blocking(move || query.clone(), load_history);
    view! {
        <leptos_meta::Title text="History · AKS clusters" />
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <a class="brand-name" href="/">"AKS Provisioning"</a>
                </div>
                <nav class="topnav" aria-label="Pages">
                    <a href="/">"Clusters"</a>
                    <a href="/history" aria-current="page">"History"</a>
                </nav>
                <Suspense fallback=|| view! { <span class="muted">"…"</span> }>
                    {move || {
                        session
                            .get()
                            .and_then(Result::ok)
                            .map(|session| view! { <SignedInUser session /> })
                    }}
                </Suspense>
            </header>
            <main class="content history-page">
                <h1>"History"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match shown.await {
                            Ok(view) => Either::Left(view! { <HistoryBody view /> }),
                            Err(e) => Either::Right(view! {
                                <div class="notice notice-error" role="alert">
                                    {e.message}
                                    {e.fields
                                        .iter()
                                        .map(|(field, why)| view! {
                                            <div>{format!("{field}: {why}")}</div>
                                        })
                                        .collect_view()}
                                    <p><a href="/history">"Show all history"</a></p>
                                </div>
                            }),
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}

#[component]
fn HistoryBody(view: HistoryView) -> impl IntoView {
    let HistoryView {
        page,
        links,
        everyone,
        query,
        export_url,
        older_url,
        newest_url,
        now,
    } = view;
    let whose = if everyone {
        "Everyone's entries (you are an Admin)."
    } else {
        "Entries about your own creates."
    };
    let count = page.entries.len();
    let rows = page
        .entries
        .into_iter()
        .zip(
            links
                .into_iter()
                .chain(std::iter::repeat(EntryLinks::default())),
        )
        .map(|(entry, links)| view! { <EntryRow entry links now /> })
        .collect_view();
    view! {
        <p class="muted">{whose} " Newest first; times in UTC."</p>
        <Filters query=query.clone() />
        <p class="history-actions">
            <a class="btn" href=export_url download="aks-history.csv">"Export CSV"</a>
        </p>
        {if count == 0 {
            Either::Left(view! {
                <p class="empty" data-testid="history-empty">"Nothing recorded matches these filters."</p>
            })
        } else {
            Either::Right(view! {
                <table class="history-table">
                    <caption class="sr-only">"History entries, newest first"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"What"</th>
                            <th scope="col">"Cluster"</th>
                            <th scope="col">"Outcome"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            })
        }}
        <nav class="pager" aria-label="Pages of history">
            {newest_url.map(|href| view! { <a href=href>"← Newest"</a> })}
            {older_url.map(|href| view! { <a href=href rel="next">"Older entries →"</a> })}
        </nav>
    }
}

/// The filter form: a GET to `/history`, so the address says what is shown.
#[component]
fn Filters(query: HistoryQuery) -> impl IntoView {
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    // One `<option>` per value, the one in the address selected.
    let options = |values: Vec<&'static str>, chosen: String| {
        values
            .into_iter()
            .map(|v| view! { <option value=v selected=chosen == v>{v}</option> })
            .collect_view()
    };
    let kinds = options(
        HistoryKind::ALL.map(HistoryKind::as_str).to_vec(),
        value(&query.kind),
    );
    let outcomes = options(
        Outcome::ALL.map(Outcome::as_str).to_vec(),
        value(&query.outcome),
    );
    let date_only = |v: &Option<String>| {
        v.as_deref()
            .map(|d| d.chars().take(10).collect::<String>())
            .unwrap_or_default()
    };
    view! {
        <form class="history-filters" method="get" action="/history" role="search" aria-label="Filter the history">
            <label>"Cluster" <input name="cluster" type="text" value=value(&query.cluster) /></label>
            <label>"Who (user id)" <input name="actor" type="text" value=value(&query.actor) /></label>
            <label>
                "What"
                <select name="kind">
                    <option value="">"Anything"</option>
                    {kinds}
                </select>
            </label>
            <label>
                "Outcome"
                <select name="outcome">
                    <option value="">"Any"</option>
                    {outcomes}
                </select>
            </label>
            <label>
                "Scope"
                <input name="scope" type="text" placeholder="subscription/resource-group" value=value(&query.scope) />
            </label>
            <label>"From (UTC)" <input name="since" type="date" value=date_only(&query.since) /></label>
            <label>"Until (UTC, inclusive)" <input name="until" type="date" value=date_only(&query.until) /></label>
            <label>
                "Search"
                <input name="q" type="search" placeholder="cluster name or Azure message" value=value(&query.q) />
            </label>
            <div class="filter-buttons">
                <button type="submit" class="btn btn-primary">"Apply filters"</button>
                <a class="btn" href="/history">"Clear"</a>
            </div>
        </form>
    }
}

/// What an entry says in one line.
fn summary(entry: &HistoryEntry) -> String {
    let d = &entry.details;
    let text = |name: &str| d.get(name).and_then(|v| v.as_str()).unwrap_or_default();
    let label = entry.kind.label();
    match entry.kind {
        HistoryKind::CreateRequested => {
            let r = d.get("request");
            let get = |n: &str| {
                r.and_then(|r| r.get(n))
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default()
            };
            format!(
                "Create requested: {} × {} in {}",
                get("node_count"),
                get("node_sku"),
                get("region")
            )
        }
        HistoryKind::CreateRefused => format!(
            "Create refused ({}): {}",
            text("reason"),
            entry.detail("message").unwrap_or_default()
        ),
        HistoryKind::StateChanged => format!(
            "State: {} → {}",
            d.get("from")
                .and_then(|v| v.as_str())
                .unwrap_or("(not visible)"),
            text("to")
        ),
        HistoryKind::Failed => format!(
            "Failed: {}",
            d.get("code").and_then(|v| v.as_str()).unwrap_or("error")
        ),
        HistoryKind::FixApplied => format!(
            "Fix applied: {}",
            d.pointer("/fix/label")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
        ),
        HistoryKind::TakenOver => format!("Taken over by another server (from {})", text("from")),
        HistoryKind::ApprovalRequested => format!("Awaits an admin's approval: {}", text("reason")),
        HistoryKind::Denied => format!("Denied: {}", text("note")),
        HistoryKind::StopRequested => "Stop requested".to_owned(),
        HistoryKind::AbortSent => "Abort of the create sent to Azure".to_owned(),
        HistoryKind::AzureCreateSent => "Create sent to Azure".to_owned(),
        HistoryKind::AzureAccepted => "Azure accepted the create".to_owned(),
        HistoryKind::DeleteRequested => {
            format!(
                "Delete of the partial cluster requested ({})",
                text("status")
            )
        }
        _ => {
            let mut s = label.to_owned();
            if let Some(first) = s.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            s
        }
    }
}

#[component]
fn EntryRow(entry: HistoryEntry, links: EntryLinks, now: i64) -> impl IntoView {
    let kind = entry.kind.as_str();
    let outcome = entry.outcome.as_str();
    let who = if entry.actor == SYSTEM_ACTOR {
        Either::Left(view! { <span class="muted">"system"</span> })
    } else {
        Either::Right(view! {
            <span title=entry.actor.clone()>{entry.who().to_owned()}</span>
        })
    };
    let line = summary(&entry);
    let cluster_href = links.cluster_history_url.clone();
    let message = entry.detail("message").map(str::to_owned);
    let details_json = serde_json::to_string_pretty(&entry.details).unwrap_or_default();
    let correlation = entry.azure_correlation_id.clone();
    let request_id = entry.azure_request_id.clone();
    let job = entry.job_id.clone();
    let scope = format!("{}/{}", entry.subscription_id, entry.resource_group);
    let activity = links
        .activity_log_url
        .clone()
        .filter(|_| correlation.is_some());
    view! {
        <tr data-testid="history-entry" data-kind=kind data-actor=entry.actor.clone() data-outcome=outcome>
            <td class="when">
                <span class="ago">{format_ago(now - entry.at)}</span>
                <br />
                <time datetime=iso_utc(entry.at) title=utc_label(entry.at, true)>
                    {utc_label(entry.at, false)}
                </time>
            </td>
            <td class="who">{who}</td>
            <td class="what">
                <details>
                    <summary>{line}</summary>
                    <dl class="entry-details">
                        {message.map(|m| view! { <dt>"Message"</dt><dd>{m}</dd> })}
                        <dt>"Scope"</dt>
                        <dd><code>{scope}</code></dd>
                        {job.map(|j| view! { <dt>"Job"</dt><dd><code>{j}</code></dd> })}
                        {correlation.clone().map(|c| view! {
                            <dt>"Azure correlation id"</dt><dd><code>{c}</code></dd>
                        })}
                        {request_id.map(|r| view! {
                            <dt>"Azure request id"</dt><dd><code>{r}</code></dd>
                        })}
                        <dt>"Links"</dt>
                        <dd class="entry-links">
                            {links.cluster_url.clone().map(|u| view! {
                                <a href=u target="_blank" rel="noopener noreferrer">"Cluster in the Azure portal ↗"</a>
                            })}
                            {activity.map(|u| view! {
                                <a href=u target="_blank" rel="noopener noreferrer">
                                    "Activity Log of the cluster ↗ (filter by the correlation id)"
                                </a>
                            })}
                        </dd>
                        <dt>"Details"</dt>
                        <dd>
                            // Scrolls when long: focusable, so the keyboard can scroll it too.
                            <pre class="entry-json" tabindex="0" aria-label="The entry's details (JSON)">
                                {details_json}
                            </pre>
                        </dd>
                    </dl>
                </details>
            </td>
            <td class="cluster">
                <a href=cluster_href>{entry.cluster_name.clone()}</a>
                <div class="muted small">{entry.resource_group.clone()}</div>
            </td>
            <td><span class=format!("outcome outcome-{outcome}")>{outcome}</span></td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: HistoryKind, details: serde_json::Value) -> HistoryEntry {
        HistoryEntry {
            id: "1".into(),
            at: 0,
            actor: "ana".into(),
            actor_name: None,
            kind,
            outcome: Outcome::Ok,
            subscription_id: "s".into(),
            resource_group: "r".into(),
            cluster_name: "c".into(),
            job_id: None,
            details,
            azure_correlation_id: None,
            azure_request_id: None,
        }
    }

    #[test]
    fn an_entry_reads_in_one_line() {
        let requested = entry(
            HistoryKind::CreateRequested,
            serde_json::json!({"request": {"node_count": 3, "node_sku": "Standard_D4s_v3", "region": "eastus"}}),
        );
        assert_eq!(
            summary(&requested),
            "Create requested: 3 × Standard_D4s_v3 in eastus"
        );
        let state = entry(
            HistoryKind::StateChanged,
            serde_json::json!({"from": null, "to": "Creating"}),
        );
        assert_eq!(summary(&state), "State: (not visible) → Creating");
        let stop = entry(HistoryKind::StopRequested, serde_json::json!({}));
        assert_eq!(summary(&stop), "Stop requested");
    }
}
