//! What every request handler and server function may reach: the server's shared state, built
//! once by `startup` and handed to axum and to Leptos' context.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::armsim::SimulatorHandle;
use crate::azure::{ArmCache, ArmClient};
use crate::config::ServeConfig;
use crate::events::bus::EventBus;
use crate::identity::{AllowedScopes, AuthState};
use crate::jobs::runner::RunnerHandle;
use crate::storage::Storage;
use crate::storage::jobs::JobStateRepository;

/// Everything a request handler or server function may need.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub storage: Storage,
    pub auth: AuthState,
    pub config: Arc<ServeConfig>,
    /// Every Azure call goes through this client.
    pub arm: ArmClient,
    /// What Azure said, shared by every page view, pre-flight and job.
    pub azure: ArmCache,
    /// What clusters cost: prices from the Retail Prices API, kept and shared.
    pub pricing: crate::pricing::PriceBook,
    /// Provision jobs: the durable record of every create.
    pub jobs: JobStateRepository,
    /// The job runner: woken when a job is queued, told at once about a Stop.
    pub runner: RunnerHandle,
    /// Live events for the open pages (and Stop requests for the runners of other servers).
    pub events: EventBus,
    /// The embedded ARM simulator the client points at when no ARM endpoint is configured.
    pub armsim: Option<SimulatorHandle>,
    /// Where clusters may be listed and created (`AZURE_SCOPES`).
    pub scopes: Arc<AllowedScopes>,
    /// Cookies carry `Secure`: the dashboard is served over https (`PUBLIC_URL`).
    pub secure_cookies: bool,
    /// The event streams open on this server, by user.
    pub streams: crate::limits::StreamSlots,
    /// The history exports streaming from this server, by user.
    pub exports: crate::limits::StreamSlots,
    /// Per-user limits on writes, pre-flight and reads that ask Azure.
    pub limits: crate::limits::RateLimits,
    /// Which creates wait for an admin (`APPROVAL_RULES`, `SCOPE_BUDGETS`).
    pub approval_rules: Arc<crate::domain::approval::rules::ApprovalRules>,
    /// Where requests and decisions are announced (`APPROVAL_WEBHOOK_URL`).
    pub webhook: crate::events::webhook::ApprovalWebhook,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for AuthState {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}
