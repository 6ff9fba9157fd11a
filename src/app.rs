//! The page shell and the dashboard page.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::SsrMode;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::components::cluster_card::{CARD_DATA_ID, CardData, ClusterCard, active_provisions};
use crate::components::cluster_list::{ClusterListView, list_clusters};
use crate::components::last_failed::{RECENT_HOURS, RECENT_LIMIT, recent_failed_provisions};
use crate::components::page_json::PageJson;

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
    let policy = page_policy(
        &nonce,
        watching.then(|| live_reload_source(reload_port)).as_deref(),
    );
    if let (Some(res), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&policy),
    ) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// What the page needs to know about this session: who, and which resource group it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: String,
    pub subscription_id: String,
    pub resource_group: String,
    /// `simulator` (the embedded ARM simulator) or `azure`.
    pub arm_mode: String,
}

crate::wire::read_struct!(SessionInfo {
    user: req,
    subscription_id: req,
    resource_group: req,
    arm_mode: req,
});

#[server(prefix = "/api", endpoint = "session", protocol = crate::server_call::Api<server_fn::codec::GetUrl>)]
pub async fn get_session() -> Result<SessionInfo, ApiError> {
    let caller = crate::identity::require_caller().await?;
    let state = expect_context::<crate::startup::AppState>();
    Ok(SessionInfo {
        user: caller.id,
        subscription_id: state.config.subscription_id.clone(),
        resource_group: state.config.resource_group.clone(),
        arm_mode: if state.config.arm_endpoint.is_some() {
            "azure"
        } else {
            "simulator"
        }
        .into(),
    })
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
            </Routes>
        </Router>
    }
}

/// Sets `<html data-hydrated="true">` once the browser has taken over; effects never run on the
/// server, so the attribute is absent from the first HTML and tests can wait for it. Called by
/// the page's island (`ClusterCard`): `App` itself runs on the server only.
pub fn mark_hydrated() {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}

#[component]
fn Dashboard() -> impl IntoView {
    let session = Resource::new_blocking(|| (), |_| get_session());
    // Blocking, so the last failure and the in-flight provisions are in the first HTML: no
    // flash, no wait for the browser bundle.
    let recent_failures = Resource::<_, PageJson>::new_with_options(
        || (),
        |_| recent_failed_provisions(Some(RECENT_HOURS), Some(RECENT_LIMIT)),
        true,
    );
    let in_flight = Resource::<_, PageJson>::new_with_options(|| (), |_| active_provisions(), true);
    view! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <span class="brand-name">"AKS Provisioning"</span>
                </div>
                <Suspense fallback=|| view! { <span class="muted">"…"</span> }>
                    {move || {
                        session
                            .get()
                            .map(|s| match s {
                                Ok(s) => view! { <SignedInUser user=s.user /> }.into_any(),
                                Err(_) => view! { <span class="muted">"Not signed in"</span> }.into_any(),
                            })
                    }}
                </Suspense>
            </header>
            <main class="content">
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let recent_failures = recent_failures.await.ok();
                        let in_flight = in_flight.await.unwrap_or_default();
                        let session = match session.await {
                            Ok(session) => session,
                            Err(e) => return EitherOf3::A(view! {
                                <div class="notice notice-error" role="alert">{e.message}</div>
                            }),
                        };
                        // Read here, not in the card: the list is server HTML in the card's
                        // children, so no row is rendered by the browser's code.
                        let clusters = list_clusters().await;
                        let resource_group = session.resource_group.clone();
                        let data = CardData { session, recent_failures, in_flight };
                        match data.to_script() {
                            Ok(script) => {
                                // The card reads its data from this context on the server and
                                // from the script block in the browser (`CardData::of_page`).
                                provide_context(data);
                                EitherOf3::B(view! {
                                    // Data, not code; it carries the nonce all the same, so
                                    // every script of the page does.
                                    <script
                                        type="application/json"
                                        id=CARD_DATA_ID
                                        nonce=leptos::nonce::use_nonce()
                                        inner_html=script
                                    ></script>
                                    <ClusterCard>
                                        <ClusterListView list=clusters resource_group=resource_group />
                                    </ClusterCard>
                                })
                            }
                            Err(e) => EitherOf3::C(view! {
                                <div class="notice notice-error" role="alert">
                                    "The page could not be prepared: " {e.to_string()}
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
fn SignedInUser(user: String) -> impl IntoView {
    view! {
        <div class="user">
            <span class="user-label">"Signed in as"</span>
            <span class="user-name" data-testid="signed-in-user">{user}</span>
        </div>
    }
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
