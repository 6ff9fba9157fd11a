//! Azure access (server only): the one [`ArmClient`] every Azure call goes through, its token
//! sources, the typed ARM resources, portal links, and the ARM simulator that stands in for
//! Azure when none is configured.

pub mod arm_client;
pub mod cache;
pub mod cloud;
pub mod credential;
pub mod error;
pub mod models;
pub mod portal;
pub mod simulator;

pub use arm_client::{ArmClient, ArmClientConfig, OperationPoll, OperationStarted, RetryPolicy};
pub use cache::{ArmCache, CacheConfig};
pub use credential::ArmCredential;
pub use error::{ArmError, ArmErrorDetail};
pub use models::*;
pub use portal::cluster_portal_url;
pub use simulator::{ArmSimulator, SimulatorConfig, SimulatorHandle};

use crate::config::ServeConfig;

/// The ARM client the server uses, and the embedded simulator behind it when no ARM endpoint
/// is configured.
pub struct ArmConnection {
    pub client: ArmClient,
    pub simulator: Option<SimulatorHandle>,
}

impl ArmConnection {
    /// With `arm_endpoint`: a client for it with azure_identity credentials. Without: starts the
    /// simulator on a random loopback port (with the configured subscription, tenant and
    /// resource group) and a client for it with the simulator's fixed token.
    /// `issuer_client`: the application the embedded simulator's OpenID Connect issuer signs
    /// users in for (the dashboard itself, with `AUTH_MODE=oidc`).
    pub async fn from_config(
        config: &ServeConfig,
        issuer_client: Option<simulator::IssuerClient>,
    ) -> Result<Self, ArmError> {
        let request_timeout = simulator::seconds(config.arm_request_timeout_seconds)
            .max(std::time::Duration::from_secs(1));
        let mut client_config = ArmClientConfig::new(String::new());
        client_config.request_timeout = request_timeout;
        client_config.retry.max_elapsed = simulator::seconds(config.arm_retry_max_seconds);
        let http = arm_client::build_http_client(request_timeout)?;
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
                            sim_config.catalog.resource_groups.push(
                                simulator::InitialResourceGroup {
                                    name: group,
                                    location: "koreacentral".into(),
                                },
                            );
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
