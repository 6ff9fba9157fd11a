//! The ARM simulator: an axum service that speaks enough of Azure Resource Manager's protocol
//! for the whole product to run without Azure. The server starts it in-process when no ARM
//! endpoint is configured; `aks-dashboard armsim --port N` runs it alone so several servers can
//! share one. Tests script faults through `/_armsim/faults` and read `/_armsim/state`.
//! `docs/arm-simulator.md` describes what it does and how it differs from Azure.
//!
//! - [`catalog`]: what the subscription offers (sizes, regions, quotas, versions);
//! - [`world`]: the resources that exist and the requests that change them; [`state`]: what
//!   `/_armsim/state` shows;
//! - [`operations`]: long-running operations and their status URLs;
//! - [`rules`]: what ARM and AKS refuse, with their codes and messages;
//! - [`faults`]: scripted misbehaviour; [`routes`]: the HTTP surface (the issuer's own in
//!   `issuer_routes`);
//! - [`answer`]: one HTTP answer in Azure's shapes; [`connection`]: connections a fault can cut.

pub mod answer;
pub mod catalog;
pub mod connection;
pub mod faults;
pub mod issuer;
mod issuer_routes;
pub mod operations;
pub mod prices;
pub mod routes;
pub mod rules;
pub mod state;
pub mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use catalog::{Catalog, InitialResourceGroup};
pub use faults::{ArmOperation, ErrorShape, Fault, FaultSpec};
pub use issuer::{IssuerClient, TokenFault};
pub use operations::OperationKind;
pub use world::{ClusterState, Counters, OperationStateView, SimulatorState};

use crate::config::{
    ArmsimTiming, DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID, DEFAULT_TENANT_ID, seconds,
};
use connection::{ConnectionControl, DroppableListener};
use world::{Timing, World};

/// The `Retry-After` the simulator sends on accepted operations and their status URLs unless
/// configured otherwise. AKS itself sends none (azure-cli recordings of `aks create` and
/// `aks operation-abort`), so clients fall back to their own interval — 30 s in Azure's SDKs;
/// the simulator says so explicitly.
pub const DEFAULT_RETRY_AFTER_SECONDS: f64 = 30.0;

/// How the simulator is started.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Where it listens; port 0 picks a free one.
    pub listen: SocketAddr,
    pub subscription_id: String,
    pub tenant_id: String,
    /// The resource group that exists from the start (in koreacentral).
    pub resource_group: String,
    /// How long a create (or update) takes.
    pub create_duration: Duration,
    pub delete_duration: Duration,
    /// How long an operation stays `Canceling` after an abort.
    pub abort_duration: Duration,
    /// `Retry-After` on accepted operations and their status URLs; zero sends none.
    pub retry_after: Duration,
    /// The most clusters one page of a cluster list holds (`nextLink` leads on).
    pub list_page_size: usize,
    /// What the subscription offers.
    pub catalog: Catalog,
    /// The application its OpenID Connect issuer signs users in for (none: the issuer refuses
    /// every client).
    pub issuer_client: Option<IssuerClient>,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            subscription_id: DEFAULT_SUBSCRIPTION_ID.into(),
            tenant_id: DEFAULT_TENANT_ID.into(),
            resource_group: DEFAULT_RESOURCE_GROUP.into(),
            create_duration: Duration::from_secs(20),
            delete_duration: Duration::from_secs(10),
            abort_duration: Duration::from_secs(3),
            list_page_size: 100,
            retry_after: seconds(DEFAULT_RETRY_AFTER_SECONDS),
            catalog: Catalog::default(),
            issuer_client: None,
        }
    }
}

impl SimulatorConfig {
    /// Operation durations from configuration.
    pub fn with_timing(mut self, timing: &ArmsimTiming) -> Self {
        self.create_duration = seconds(timing.create_seconds);
        self.delete_duration = seconds(timing.delete_seconds);
        self.abort_duration = seconds(timing.abort_seconds);
        self.retry_after = seconds(timing.retry_after_seconds);
        self.list_page_size = timing.list_page_size as usize;
        self
    }

    /// The world of a world file (when given), with every vCPU limit multiplied by
    /// `quota_scale`.
    pub fn with_world(
        mut self,
        world_file: Option<&std::path::Path>,
        quota_scale: f64,
    ) -> Result<Self, String> {
        let catalog = match world_file {
            Some(path) => Catalog::load(path)?,
            None => self.catalog,
        };
        self.catalog = catalog.with_quota_scale(quota_scale)?;
        Ok(self)
    }
}

/// State shared by the simulator's handlers.
pub struct Shared {
    world: Mutex<World>,
    base_url: OnceLock<String>,
    issuer: issuer::Issuer,
}

impl Shared {
    fn new(config: &SimulatorConfig) -> Self {
        let timing = Timing {
            create: config.create_duration,
            delete: config.delete_duration,
            abort: config.abort_duration,
            retry_after: config.retry_after,
        };
        let mut world = World::new(
            &config.subscription_id,
            &config.tenant_id,
            &config.resource_group,
            config.catalog.clone(),
            timing,
        );
        world.list_page_size = config.list_page_size.max(1);
        Self {
            world: Mutex::new(world),
            base_url: OnceLock::new(),
            issuer: issuer::Issuer::new(&config.tenant_id, config.issuer_client.clone()),
        }
    }

    /// The world; a handler that panicked mid-update leaves it usable.
    fn lock(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn base_url(&self) -> String {
        self.base_url
            .get()
            .cloned()
            .unwrap_or_else(|| "http://127.0.0.1".into())
    }
}

/// Starts simulators.
pub struct ArmSimulator;

impl ArmSimulator {
    /// The simulator's router, for mounting in another server (its own state, its own world).
    pub fn router(config: &SimulatorConfig) -> axum::Router {
        routes::router(Arc::new(Shared::new(config)))
    }

    /// Binds `config.listen` and serves until [`SimulatorHandle::shutdown`].
    pub async fn start(config: SimulatorConfig) -> Result<SimulatorHandle, std::io::Error> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let shared = Arc::new(Shared::new(&config));
        let _ = shared.base_url.set(base_url.clone());
        let router = routes::router(shared.clone())
            .into_make_service_with_connect_info::<ConnectionControl>();
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            axum::serve(DroppableListener(listener), router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        });
        tracing::info!(%base_url, create_seconds = config.create_duration.as_secs_f64(), "ARM simulator listening");
        Ok(SimulatorHandle {
            inner: Arc::new(HandleInner {
                addr,
                base_url,
                shared,
                stop,
                task: tokio::sync::Mutex::new(Some(task)),
            }),
        })
    }
}

/// A running simulator. Clones share it; [`shutdown`](Self::shutdown) stops it.
#[derive(Clone)]
pub struct SimulatorHandle {
    inner: Arc<HandleInner>,
}

struct HandleInner {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<Result<(), std::io::Error>>>>,
}

impl std::fmt::Debug for SimulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorHandle")
            .field("base_url", &self.inner.base_url)
            .finish()
    }
}

impl SimulatorHandle {
    /// `http://127.0.0.1:PORT`: the ARM base URL to give an [`ArmClient`](crate::azure::ArmClient).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// The URL of its OpenID Connect issuer (Entra's shape: `{base}/{tenant}/v2.0`).
    pub fn issuer_url(&self) -> String {
        self.inner.shared.issuer.issuer_url(&self.inner.base_url)
    }

    /// What `GET /_armsim/state` answers, without going through HTTP.
    pub fn state(&self) -> SimulatorState {
        let mut world = self.inner.shared.lock();
        let now = tokio::time::Instant::now();
        world.advance(now);
        world.snapshot(now)
    }

    /// Stops accepting connections and waits for requests in flight. Later calls do nothing.
    pub async fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
        if let Some(task) = self.inner.task.lock().await.take() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "ARM simulator stopped with an error"),
                Err(e) => tracing::warn!(error = %e, "ARM simulator task failed"),
            }
        }
    }
}
