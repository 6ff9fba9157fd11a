//! Builds the whole server from a [`ServeConfig`]: storage, identity, the Leptos app, the plain
//! routes; serves it until SIGINT/SIGTERM. Tests call [`Server::start`] with a random port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get, post};
use axum_extra::extract::cookie::Key;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::api::approvals::by_path as approvals;
use crate::api::tasks::by_path as tasks;
use crate::api::{events, health, history_export, metrics as metrics_routes, openapi};
use crate::app::{App, shell};
use crate::armsim::{
    ArmSimulator, InitialResourceGroup, IssuerClient, SimulatorConfig, SimulatorHandle,
};
use crate::azure::{ArmCache, ArmClient, ArmClientConfig, ArmCredential, ArmError, CacheConfig};
use crate::config::AuthMode;
use crate::config::seconds;
use crate::config::{Cli, Command, ServeConfig};
use crate::events::bus::EventBus;
use crate::http::{api_json, assets, auth, body_limit, input_errors, rate_limit, security_headers};
use crate::identity::oidc::OidcClient;
use crate::identity::{AllowedScopes, AuthState};
use crate::jobs::config::{RunConfig, TestPanic};
use crate::jobs::group_list::GroupLists;
use crate::jobs::read_budget::ReadBudget;
use crate::jobs::run::RunContext;
use crate::jobs::runner::{JobRunner, RunnerConfig};
use crate::limits::RateLimits;
use crate::pricing::{PriceBook, PricingConfig};
use crate::state::AppState;
use crate::storage::jobs::JobStateRepository;
use crate::storage::sessions::DbSessionStore;
use crate::storage::{Storage, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("{0}: {1}")]
    Io(std::path::PathBuf, std::io::Error),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("Azure: {0}")]
    Azure(#[from] ArmError),
}

pub fn init_tracing(format: crate::config::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match format {
        crate::config::LogFormat::Text => logs.try_init(),
        // One JSON object per line; the event's fields at the top level.
        crate::config::LogFormat::Json => logs.json().flatten_event(true).try_init(),
    };
}

pub async fn run_cli(cli: Cli) -> Result<(), StartupError> {
    match cli.command {
        None | Some(Command::Serve) => {
            let server = Server::start(cli.serve).await?;
            tracing::info!(url = %format!("http://{}", server.addr), "dashboard is up");
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            server.stop().await
        }
        Some(Command::Armsim(armsim)) => {
            let listen = SocketAddr::from(([127, 0, 0, 1], armsim.port));
            let timing = &armsim.timing;
            let config = SimulatorConfig {
                listen,
                ..SimulatorConfig::default()
            }
            .with_timing(timing)
            .with_world(armsim.world.as_deref(), armsim.quota_scale)
            .map_err(StartupError::Config)?;
            let simulator = ArmSimulator::start(config)
                .await
                .map_err(|e| StartupError::Bind(listen, e))?;
            tracing::info!(url = simulator.base_url(), "ARM simulator is up");
            shutdown_signal().await;
            simulator.shutdown().await;
            Ok(())
        }
    }
}

/// The ARM client the server uses, and the embedded simulator behind it when no ARM endpoint
/// is configured.
struct ArmConnection {
    client: ArmClient,
    simulator: Option<SimulatorHandle>,
}

impl ArmConnection {
    /// With `arm_endpoint`: a client for it with azure_identity credentials. Without: starts the
    /// simulator on a random loopback port (with the configured subscription, tenant and
    /// resource group) and a client for it with the simulator's fixed token.
    /// `issuer_client`: the application the embedded simulator's OpenID Connect issuer signs
    /// users in for (the dashboard itself, with `AUTH_MODE=oidc`).
    async fn from_config(
        config: &ServeConfig,
        issuer_client: Option<IssuerClient>,
    ) -> Result<Self, ArmError> {
        let request_timeout =
            seconds(config.arm_request_timeout_seconds).max(std::time::Duration::from_secs(1));
        let mut client_config = ArmClientConfig::new(String::new());
        client_config.request_timeout = request_timeout;
        client_config.retry.max_elapsed = seconds(config.arm_retry_max_seconds);
        let http = crate::azure::arm_client::build_http_client(request_timeout)?;
        match &config.arm_endpoint {
            Some(endpoint) => {
                let credential = match &config.arm_token {
                    Some(token) => ArmCredential::fixed(token.clone()),
                    None => {
                        let cloud = config.cloud();
                        if let Some(warning) = cloud.mismatch(endpoint) {
                            tracing::warn!("{warning}");
                        }
                        ArmCredential::from_environment(endpoint, http.clone(), &cloud)?
                    }
                };
                tracing::info!(%endpoint, credential = %credential.describe(), "using Azure Resource Manager");
                client_config.base_url = endpoint.clone();
                let client = ArmClient::with_http_client(client_config, credential, http)?;
                Ok(Self {
                    client,
                    simulator: None,
                })
            }
            None => {
                let mut sim_config = SimulatorConfig {
                    subscription_id: config.subscription_id.clone(),
                    tenant_id: config.tenant_id.clone(),
                    resource_group: config.resource_group.clone(),
                    issuer_client,
                    ..SimulatorConfig::default()
                }
                .with_timing(&config.armsim);
                // The world the dashboard is configured for: every resource group AZURE_SCOPES
                // names in the simulated subscription exists, as the configured one does.
                if let Ok(scopes) = config.allowed_scopes() {
                    for choice in scopes.choices_for(crate::identity::Role::Admin) {
                        let Some(group) = choice.resource_group else {
                            continue;
                        };
                        if choice
                            .subscription_id
                            .eq_ignore_ascii_case(&config.subscription_id)
                            && !group.eq_ignore_ascii_case(&config.resource_group)
                        {
                            sim_config
                                .catalog
                                .resource_groups
                                .push(InitialResourceGroup {
                                    name: group,
                                    location: "koreacentral".into(),
                                });
                        }
                    }
                }
                let simulator = ArmSimulator::start(sim_config).await.map_err(|e| {
                    ArmError::Network(format!("cannot start the ARM simulator: {e}"))
                })?;
                tracing::info!(
                    base_url = simulator.base_url(),
                    "no ARM endpoint configured: using the embedded ARM simulator"
                );
                client_config.base_url = simulator.base_url().to_string();
                let client =
                    ArmClient::with_http_client(client_config, ArmCredential::simulator(), http)?;
                Ok(Self {
                    client,
                    simulator: Some(simulator),
                })
            }
        }
    }
}

/// The price book of the cost estimates, on the configured (or the simulator's) price list.
fn price_book(
    config: &ServeConfig,
    simulator: Option<&SimulatorHandle>,
) -> Result<PriceBook, StartupError> {
    let endpoint = retail_prices_endpoint(config, simulator.map(|s| s.base_url()));
    let simulated = reqwest::Url::parse(&endpoint)
        .ok()
        .and_then(|u| u.host_str().map(crate::http::auth::is_loopback_host))
        .unwrap_or(false);
    tracing::info!(%endpoint, currency = %config.price_currency, "prices for cost estimates");
    PriceBook::new(PricingConfig {
        endpoint,
        currency: config.price_currency.clone(),
        source: if simulated { "simulated" } else { "azure" },
        fresh_for: Duration::from_secs_f64(config.price_cache_seconds.max(1.0)),
        wait: PRICE_WAIT,
        reads_per_second: config.price_reads_per_second,
        // The AKS pricing page's USD fees apply only to estimates in USD.
        tier_fees: config
            .aks_tier_fees
            .clone()
            .or_else(|| (config.price_currency == "USD").then(crate::config::TierFees::azure_usd)),
    })
    .map_err(StartupError::Config)
}

/// Where prices come from: `RETAIL_PRICES_ENDPOINT`; else the simulator's price list when
/// the ARM simulator is used (`simulator_url` when embedded, or a loopback `ARM_ENDPOINT`,
/// which is a standalone simulator); else Azure's.
fn retail_prices_endpoint(config: &ServeConfig, simulator_url: Option<&str>) -> String {
    if let Some(url) = &config.retail_prices_endpoint {
        return url.clone();
    }
    let loopback_arm = config.arm_endpoint.as_deref().and_then(|arm| {
        let url = reqwest::Url::parse(arm).ok()?;
        crate::http::auth::is_loopback_host(url.host_str()?)
            .then(|| arm.trim_end_matches('/').to_owned())
    });
    match simulator_url.map(str::to_owned).or(loopback_arm) {
        Some(base) => format!("{}/api/retail/prices", base.trim_end_matches('/')),
        None => crate::config::AZURE_RETAIL_PRICES.to_owned(),
    }
}

/// History exports at once: each holds a database connection while it reads a batch.
const EXPORTS_PER_USER: usize = 2;
const EXPORTS_PER_SERVER: usize = 8;

/// How long an estimate waits for the price list before it answers without it.
const PRICE_WAIT: Duration = Duration::from_secs(3);

/// A running dashboard server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), std::io::Error>>,
    runner: Option<JobRunner>,
    cache_refresher: tokio::task::JoinHandle<()>,
    /// The `METRICS_ADDR` listener, when there is one.
    metrics_task: Option<tokio::task::JoinHandle<()>>,
    /// Expires requests awaiting approval that nobody decided in time.
    approval_sweeper: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn start(config: ServeConfig) -> Result<Self, StartupError> {
        config
            .check_dev_identity_exposure()
            .map_err(StartupError::Config)?;
        config
            .check_easyauth_exposure()
            .map_err(StartupError::Config)?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| StartupError::Io(config.data_dir.clone(), e))?;
        let key = load_or_create_key(config.session_secret.as_deref(), &config.data_dir)?;
        crate::clock::set_offset_ms((config.jobs.test_clock_offset_seconds * 1000.0) as i64);
        crate::metrics::install();
        let storage = Storage::connect(&config.database_url).await?;
        tracing::info!(backend = ?storage.backend, "storage ready, migrations applied");

        let leptos_options = LeptosOptions::builder()
            .output_name("aks-dashboard")
            .site_root(config.site_root.as_str())
            .site_pkg_dir("pkg")
            .hash_files(assets::bundle_is_hashed("hash.txt"))
            .site_addr(config.listen)
            .reload_port(u32::from(config.reload_port))
            .build();

        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| StartupError::Bind(config.listen, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartupError::Bind(config.listen, e))?;

        let scopes = Arc::new(config.allowed_scopes().map_err(StartupError::Config)?);
        let approval_rules = Arc::new(config.approvals.rules().map_err(StartupError::Config)?);
        let webhook = crate::events::webhook::ApprovalWebhook::start(
            config.approvals.webhook().map_err(StartupError::Config)?,
        );
        let public_url = match &config.public_url {
            Some(_) => config.public_url(),
            None => format!("http://{addr}"),
        };
        // With OpenID Connect and no issuer of its own, the embedded simulator's issuer signs
        // users in, for this dashboard as its one client (a secret made now unless given).
        let simulated_issuer = config.auth_mode == AuthMode::Oidc
            && config.oidc_issuer_url.is_none()
            && config.arm_endpoint.is_none();
        let client_secret = config.oidc_client_secret.clone().or_else(|| {
            simulated_issuer.then(|| {
                use rand::RngCore;
                let mut raw = [0u8; 24];
                rand::thread_rng().fill_bytes(&mut raw);
                raw.iter().map(|b| format!("{b:02x}")).collect()
            })
        });
        let issuer_client = simulated_issuer.then(|| IssuerClient {
            client_id: config.oidc_client_id.clone(),
            client_secret: client_secret.clone().unwrap_or_default(),
        });
        let arm = ArmConnection::from_config(&config, issuer_client).await?;
        let oidc = match config.auth_mode {
            AuthMode::Oidc => {
                let issuer = match (&config.oidc_issuer_url, &arm.simulator) {
                    (Some(url), _) => url.clone(),
                    (None, Some(simulator)) => simulator.issuer_url(),
                    (None, None) => {
                        return Err(StartupError::Config(
                            "AUTH_MODE=oidc needs OIDC_ISSUER_URL (e.g. \
                             https://login.microsoftonline.com/TENANT/v2.0)"
                                .into(),
                        ));
                    }
                };
                let redirect = format!("{public_url}/auth/callback");
                tracing::info!(%issuer, %redirect, client_id = %config.oidc_client_id, "sign-in with OpenID Connect");
                Some(
                    OidcClient::new(&issuer, &config.oidc_client_id, client_secret, &redirect)
                        .map_err(StartupError::Config)?,
                )
            }
            _ => None,
        };
        // Easy Auth's second line: the ID token App Service forwards, checked against the
        // tenant's issuer (the simulator's when it stands in for Azure).
        let easyauth_token = match config.auth_mode {
            AuthMode::Easyauth => {
                let issuer = match (&config.oidc_issuer_url, &arm.simulator) {
                    (None, Some(simulator)) => simulator.issuer_url(),
                    _ => config.entra_issuer_url(),
                };
                let required = config.easyauth_token_required();
                tracing::info!(%issuer, audience = %config.oidc_client_id, required, "Easy Auth: App Service's ID token is checked");
                Some(crate::identity::easyauth::TokenCheck {
                    client: OidcClient::new(
                        &issuer,
                        &config.oidc_client_id,
                        None,
                        &format!("{public_url}/.auth/login/aad/callback"),
                    )
                    .map_err(StartupError::Config)?,
                    required,
                })
            }
            _ => None,
        };
        let jobs = JobStateRepository::new(storage.clone());
        let events = EventBus::start(&storage, &config.database_url);
        let azure = ArmCache::new(arm.client.clone(), events.clone(), CacheConfig::default());
        let cache_refresher = azure.start_refreshing();
        let pricing = price_book(&config, arm.simulator.as_ref())?;
        let run = run_config(&config, scopes.clone());
        let reads = Arc::new(ReadBudget::new(
            config.jobs.arm_reads_per_second,
            // A burst of a few seconds' worth.
            (config.jobs.arm_reads_per_second * 5.0).max(1.0),
        ));
        let lists = Arc::new(GroupLists::new(
            arm.client.clone(),
            reads.clone(),
            run.poll_default,
            config.jobs.list_follow_min,
        ));
        let runner = JobRunner::start(
            RunContext {
                repo: jobs.clone(),
                arm: arm.client.clone(),
                cache: azure.clone(),
                events: events.clone(),
                config: Arc::new(run),
                reads,
                lists,
            },
            runner_config(&config),
        );

        let state = AppState {
            leptos_options,
            storage,
            auth: AuthState {
                mode: config.auth_mode,
                key,
                default_role: config.default_role.0,
                dev_on_network: config.insecure_dev_auth_on_network,
                oidc,
                easyauth_token,
                session_idle: session_idle(&config),
                session_max: Duration::from_secs_f64(config.session_max_hours * 3600.0),
                public_url: public_url.clone(),
                access_contact: config.access_contact.clone(),
            },
            limits: RateLimits::new(
                config.writes_per_minute,
                config.preflights_per_minute,
                config.reads_per_minute,
            ),
            secure_cookies: public_url.starts_with("https://"),
            streams: crate::limits::StreamSlots::new(
                config.max_streams_per_user,
                config.max_streams_per_server,
            ),
            exports: crate::limits::StreamSlots::exports(EXPORTS_PER_USER, EXPORTS_PER_SERVER),
            scopes,
            approval_rules,
            webhook,
            config: Arc::new(config),
            arm: arm.client,
            armsim: arm.simulator,
            azure,
            pricing,
            jobs,
            runner: runner.handle(),
            events,
        };
        let router = build_router(state.clone());
        let approval_sweeper = tokio::spawn(sweep_approvals(state.clone()));

        let (stop, mut stopped) = watch::channel(false);
        let metrics_task = match state.config.metrics_addr {
            Some(addr) => Some(
                metrics_routes::serve_separately(addr, state.clone(), stop.subscribe())
                    .await
                    .map_err(|e| StartupError::Bind(addr, e))?,
            ),
            None => None,
        };
        // The page is streamed in pieces: without TCP_NODELAY, Nagle's algorithm and delayed
        // ACKs hold every page back ~40 ms.
        let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(error = %err, "cannot set TCP_NODELAY");
            }
        });
        // One router for every connection: serving a `Router` itself rebuilds its whole route
        // table (every route's middleware stack) for each connection, ≈ 70 KB an open page.
        let make_service = router.into_make_service();
        let task = tokio::spawn(async move {
            axum::serve(listener, make_service)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        });
        Ok(Self {
            addr,
            state,
            stop,
            task,
            runner: Some(runner),
            cache_refresher,
            metrics_task,
            approval_sweeper,
        })
    }

    /// Stops accepting connections, lets requests in flight finish, closes the database.
    pub async fn stop(mut self) -> Result<(), StartupError> {
        let _ = self.stop.send(true);
        let result = self.task.await.unwrap_or(Ok(()));
        if let Some(metrics) = self.metrics_task.take() {
            let _ = metrics.await;
        }
        // Jobs in flight are handed back so that another worker continues them.
        if let Some(runner) = self.runner.take() {
            runner.stop().await;
        }
        self.cache_refresher.abort();
        self.approval_sweeper.abort();
        self.state.events.shutdown();
        if let Some(armsim) = &self.state.armsim {
            armsim.shutdown().await;
        }
        self.state.storage.close().await;
        result.map_err(StartupError::Serve)
    }
}

/// Expires requests nobody decided in time: every half of `APPROVAL_EXPIRES_HOURS`, between
/// one second and a minute (every server sweeps; a request expires once, whichever does).
async fn sweep_approvals(state: AppState) {
    let every = Duration::from_secs_f64(
        (state.config.approvals.approval_expires_hours * 3600.0 / 2.0).clamp(1.0, 60.0),
    );
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        crate::services::approvals::expire_due(&state).await;
    }
}

fn run_config(config: &ServeConfig, scopes: Arc<AllowedScopes>) -> RunConfig {
    let jobs = &config.jobs;
    let mut run = RunConfig::new(&config.tenant_id);
    run.scopes = Some(scopes);
    run.portal = config.portal();
    run.poll_min = seconds(jobs.poll_min_seconds);
    run.poll_max = seconds(jobs.poll_max_seconds).max(run.poll_min);
    run.poll_default = run.poll_default.clamp(run.poll_min, run.poll_max);
    run.follow_horizon = seconds(jobs.follow_horizon_seconds);
    run.confirm_absent_for = seconds(jobs.confirm_absent_seconds);
    run.slow_wait_max = seconds(jobs.slow_wait_max_seconds).max(run.poll_min);
    run.test_panic = jobs.test_panic.as_deref().map(TestPanic::parse);
    run
}

/// How long a signed-in session lasts unused (`SESSION_IDLE_MINUTES`).
fn session_idle(config: &ServeConfig) -> Duration {
    Duration::from_secs(u64::from(config.session_idle_minutes.max(1)) * 60)
}

fn runner_config(config: &ServeConfig) -> RunnerConfig {
    let jobs = &config.jobs;
    RunnerConfig {
        // Sessions end after the idle time (a sign-in that never came back after 10 minutes at
        // most): swept every half of that, between 30 s and 5 minutes.
        session_sweep_every: (session_idle(config).min(auth::PENDING_SIGN_IN_LIFETIME) / 2)
            .clamp(Duration::from_secs(30), Duration::from_secs(300)),
        max_in_flight: jobs.max_in_flight,
        lease: seconds(jobs.lease_seconds).max(std::time::Duration::from_millis(500)),
        max_attempts: jobs.max_attempts.max(1),
        history_retention: seconds(jobs.history_retention_days * 86_400.0),
        history_prune_every: seconds(jobs.history_prune_every_seconds)
            .max(std::time::Duration::from_millis(200)),
        ..RunnerConfig::default()
    }
}

pub fn build_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    // OpenID Connect sessions: the cookie holds a random id, the rest stays in the database.
    let idle = time::Duration::try_from(state.auth.session_idle).unwrap_or(time::Duration::HOUR);
    let sessions =
        tower_sessions::SessionManagerLayer::new(DbSessionStore::new(state.storage.clone()))
            .with_name(if state.secure_cookies {
                auth::OIDC_SESSION_COOKIE_HTTPS
            } else {
                auth::OIDC_SESSION_COOKIE
            })
            .with_http_only(true)
            .with_same_site(tower_sessions::cookie::SameSite::Lax)
            .with_secure(state.secure_cookies)
            .with_expiry(tower_sessions::Expiry::OnInactivity(idle));
    let context_state = state.clone();
    let page_state = state.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics_routes::on_main_port))
        .route("/readyz", get(health::readyz))
        .route("/auth/dev", get(auth::dev_sign_in))
        .route("/auth/login", get(auth::login))
        .route("/auth/callback", get(auth::callback))
        .route("/auth/logout", get(auth::logout_page).post(auth::logout))
        .route("/auth/signed-in", get(auth::signed_in_page))
        .route("/api/tasks/{task_id}", get(tasks::task_status))
        .route(
            "/api/approvals/{approval_id}/approve",
            post(approvals::approve),
        )
        .route("/api/approvals/{approval_id}/deny", post(approvals::deny))
        .route(
            "/api/approvals/{approval_id}/withdraw",
            post(approvals::withdraw),
        )
        .route("/api/events", get(events::stream))
        .route("/api/history", get(history_export::history))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/api/{*rest}", any(api_json::api_route_not_found))
        .route(
            "/api/aks/cancel-provision/{task_id}",
            axum::routing::post(tasks::cancel_provision),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::prelude::provide_context(context_state.clone()),
            move || shell(page_state.leptos_options.clone()),
        )
        .merge(assets::bundle(
            &state.leptos_options.site_root,
            &state.leptos_options.site_pkg_dir,
            state.leptos_options.hash_files,
        ))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(assets::html_not_cached))
        .layer(axum::middleware::from_fn(input_errors::name_the_field))
        .layer(axum::middleware::from_fn_with_state(
            state.limits.clone(),
            rate_limit::limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.auth.clone(),
            auth::resolve_caller,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(auth::refuse_cross_site))
        .layer(axum::middleware::from_fn(body_limit::limit_request_body))
        .layer(axum::middleware::from_fn(api_json::json_errors_under_api))
        .layer(axum::middleware::from_fn(
            security_headers::add_security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.secure_cookies,
            security_headers::strict_transport,
        ))
        .layer(axum::middleware::from_fn(crate::metrics::count_requests))
        // Pages and JSON answers in brotli or gzip when the browser accepts them; event streams
        // and what is compressed already (/pkg) go as they are (tower-http's default predicate).
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Writes a secret only its owner may read (`0600` on Unix), never through an existing file.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// The cookie-signing key: `SESSION_SECRET`, or a random one kept in the data folder.
fn load_or_create_key(
    secret: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<Key, StartupError> {
    let bytes: Vec<u8> = match secret {
        Some(s) => s.as_bytes().to_vec(),
        None => {
            let path = data_dir.join("session.key");
            match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(_) => {
                    use rand::RngCore;
                    let mut raw = [0u8; 64];
                    rand::thread_rng().fill_bytes(&mut raw);
                    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
                    write_private(&path, hex.as_bytes())
                        .map_err(|e| StartupError::Io(path.clone(), e))?;
                    hex.into_bytes()
                }
            }
        }
    };
    Key::try_from(bytes.as_slice())
        .map_err(|_| StartupError::Config("SESSION_SECRET must be at least 64 bytes long".into()))
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn the_session_key_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("aksdash-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let _ = std::fs::remove_file(dir.join("session.key"));
        let key = super::load_or_create_key(None, &dir);
        assert!(key.is_ok());
        let mode = std::fs::metadata(dir.join("session.key"))
            .expect("written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // Read back, not made again.
        assert!(super::load_or_create_key(None, &dir).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
