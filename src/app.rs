//! The page shell and the dashboard page.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::SsrMode;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::api::approvals::list_approvals;
use crate::api::clusters::list_clusters;
use crate::api::failures::recent_failed_provisions;
use crate::api::session::get_session;
use crate::api::tasks::active_provisions;
use crate::components::approvals::ApprovalsPanel;
use crate::components::cluster_card::{
    CardData, CardHeader, ClusterCard, ClusterListView, LastFailedBanner, LiveClusterList,
};
use crate::components::history_page::HistoryPage;
use crate::components::in_flight::InFlightBanners;
use crate::components::last_failed::{RECENT_HOURS, RECENT_LIMIT};
use crate::components::session::SignedInUser;

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_security_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                // Only under `cargo leptos watch` (LEPTOS_WATCH): reloads the page after a
                // rebuild, swaps the stylesheet in place after a style change.
                <AutoReload options=options.clone() />
                // Islands: the script hydrates each `<leptos-island>`, with this answer's nonce.
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy names the nonce Leptos puts on this answer's scripts
/// (`leptos_axum` makes a new one per request). Without it the page would get the policy that
/// allows no script at all, which is the right failure. In watch mode it also lets the
/// live-reload script reach cargo-leptos' socket.
#[cfg(feature = "ssr")]
fn set_page_security_policy(options: &LeptosOptions) {
    use crate::http::security_headers::{live_reload_source, page_policy};
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let watching = std::env::var_os("LEPTOS_WATCH").is_some();
    let reload_port = options.reload_external_port.unwrap_or(options.reload_port);
    // Sign out continues at the identity provider (its end-session endpoint).
    let sign_out_to = use_context::<crate::state::AppState>()
        .and_then(|state| state.auth.oidc.as_ref().map(|oidc| oidc.sign_out_origins()))
        .unwrap_or_default();
    let policy = page_policy(
        &nonce,
        watching.then(|| live_reload_source(reload_port)).as_deref(),
        &sign_out_to,
    );
    if let (Some(res), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&policy),
    ) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="AKS clusters · dashboard" />
        <Router>
            <Routes fallback=NotFound>
                // In order: every Suspense is rendered in place (who is signed in, the last
                // failure, the in-flight provisions, the clusters), so the first HTML shows them
                // even before, or without, JavaScript. Out-of-order streaming would put them in
                // templates that only a script moves into place.
                <Route path=path!("/") view=Dashboard ssr=SsrMode::InOrder />
                <Route path=path!("/history") view=HistoryPage ssr=SsrMode::InOrder />
            </Routes>
        </Router>
    }
}

#[component]
fn Dashboard() -> impl IntoView {
    // The scope in the address (`?scope=subscription/resource-group`): a colleague's link opens
    // the same view.
    let (asked, pressed) =
        leptos_router::hooks::use_query_map().with_untracked(|q| (q.get("scope"), q.get("do")));
    // A button pressed before the page was live (`components::page_action`), honoured only from
    // this site's own pages.
    let pressed = pressed.filter(|_| sent_from_this_site());
    // Before anything is read: the event stream says whether something changed since.
    let read_at = crate::clock::now_ms();
    let session = Resource::new_blocking(move || asked.clone(), get_session);
    // Blocking, so the last failure and the in-flight provisions are in the first HTML: no
    // flash, no wait for the browser bundle.
    let recent_failures = Resource::new_blocking(
        || (),
        |_| recent_failed_provisions(Some(RECENT_HOURS), Some(RECENT_LIMIT)),
    );
    let in_flight = Resource::new_blocking(|| (), |_| active_provisions());
    let approvals = Resource::new_blocking(|| (), |_| list_approvals());
    view! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <span class="brand-name">"AKS Provisioning"</span>
                </div>
                <nav class="topnav" aria-label="Pages">
                    <a href="/" aria-current="page">"Clusters"</a>
                    <a href="/history">"History"</a>
                </nav>
                <Suspense fallback=|| view! { <span class="muted">"…"</span> }>
                    {move || {
                        session
                            .get()
                            .map(|s| match s {
                                Ok(session) => Either::Left(view! { <SignedInUser session /> }),
                                Err(_) => Either::Right(view! { <span class="muted">"Not signed in"</span> }),
                            })
                    }}
                </Suspense>
            </header>
            <main class="content">
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
                        let pressed = pressed.clone();
                        Suspend::new(async move {
                            let recent_failures = recent_failures.await.ok();
                            let in_flight = in_flight.await.unwrap_or_default();
                            let approvals = approvals.await.unwrap_or_default();
                            let session = match session.await {
                                Ok(session) => session,
                                Err(e) => return Either::Left(view! {
                                    <div class="notice notice-error" role="alert">{e.message}</div>
                                }),
                            };
                            // The list is server HTML in the card's children: no row is rendered
                            // by the browser's code.
                            let scope = session.scope.path();
                            let clusters = list_clusters(Some(scope.clone())).await;
                            let resource_group = session.scope.resource_group.clone();
                            let can_create = session.role.allows(crate::identity::Role::Operator);
                            let data = CardData {
                                session: session.clone(),
                                recent_failures,
                                in_flight,
                                read_at,
                                asked: pressed,
                                approvals,
                            }
                            .to_prop();
                            Either::Right(view! {
                                <ClusterCard data>
                                    <CardHeader session />
                                    <div class="card-banners">
                                        <ApprovalsPanel />
                                        <LastFailedBanner />
                                        <InFlightBanners />
                                    </div>
                                    <LiveClusterList scope>
                                        <ClusterListView list=clusters resource_group can_create />
                                    </LiveClusterList>
                                </ClusterCard>
                            })
                        })
                    }}
                </Suspense>
            </main>
        </div>
    }
}

/// Whether the page was asked for by one of this site's own pages (a form of the dashboard), as
/// the browser says it (`Sec-Fetch-Site`, else the `Referer`): a link from elsewhere may open
/// the dashboard, not press its buttons.
#[cfg(feature = "ssr")]
fn sent_from_this_site() -> bool {
    let Some(parts) = use_context::<http::request::Parts>() else {
        return false;
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    match header("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => match (header("referer"), header("host")) {
            (Some(referer), Some(host)) => referer
                .split_once("://")
                .is_some_and(|(_, rest)| rest.split('/').next() == Some(host)),
            _ => false,
        },
    }
}

#[cfg(not(feature = "ssr"))]
fn sent_from_this_site() -> bool {
    false
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="content">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to the dashboard"</a></p>
        </main>
    }
}
