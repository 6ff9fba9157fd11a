//! Server configuration: command-line flags, each with an environment variable of the same
//! meaning. `aks-dashboard --help` lists them all.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// The subscription, tenant and resource group of the embedded ARM simulator's default world.
pub const DEFAULT_SUBSCRIPTION_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const DEFAULT_TENANT_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
pub const DEFAULT_RESOURCE_GROUP: &str = "rg-aks-dev";

#[derive(Debug, Parser)]
#[command(name = "aks-dashboard", version, about = "AKS provisioning dashboard")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeConfig,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the dashboard (the default).
    Serve,
    /// Run only the ARM simulator, so that several dashboard servers can share one.
    Armsim(ArmsimConfig),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// Everyone is signed in as `dev`; `/auth/dev?user=NAME` switches user.
    Dev,
    /// Behind Azure App Service authentication: the caller is `X-MS-CLIENT-PRINCIPAL-ID`.
    Easyauth,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Address the dashboard listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Job storage: `sqlite://PATH` or `postgres://…`. Default: a SQLite file under ./data/.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/dashboard.db")]
    pub database_url: String,

    /// How callers are identified.
    #[arg(long, env = "AUTH_MODE", value_enum, default_value = "dev")]
    pub auth_mode: AuthMode,

    /// Secret that signs the session cookie (at least 64 bytes). Default: a random secret kept
    /// in `<data dir>/session.key`, so sessions survive restarts.
    #[arg(long, env = "SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,

    /// Folder for the default SQLite file and the session key.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Azure Resource Manager endpoint, e.g. https://management.azure.com. Default: start the
    /// embedded ARM simulator and use it.
    #[arg(long, env = "ARM_ENDPOINT")]
    pub arm_endpoint: Option<String>,

    /// Subscription the dashboard shows.
    #[arg(long, env = "AZURE_SUBSCRIPTION_ID", default_value = DEFAULT_SUBSCRIPTION_ID)]
    pub subscription_id: String,

    /// Resource group the dashboard shows.
    #[arg(long, env = "AZURE_RESOURCE_GROUP", default_value = DEFAULT_RESOURCE_GROUP)]
    pub resource_group: String,

    /// Tenant, used for Azure portal links.
    #[arg(long, env = "AZURE_TENANT_ID", default_value = DEFAULT_TENANT_ID)]
    pub tenant_id: String,

    /// Folder with the built site (the output of `cargo leptos build`).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ArmsimConfig {
    /// Port the simulator listens on (127.0.0.1).
    #[arg(long, env = "ARMSIM_PORT", default_value_t = 4010)]
    pub port: u16,
}

impl ServeConfig {
    /// A configuration for tests: the defaults, with every path inside `dir` and a random port.
    pub fn for_tests(dir: &std::path::Path) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}", dir.join("test.db").display()),
            auth_mode: AuthMode::Dev,
            session_secret: None,
            data_dir: dir.to_path_buf(),
            arm_endpoint: None,
            subscription_id: DEFAULT_SUBSCRIPTION_ID.into(),
            resource_group: DEFAULT_RESOURCE_GROUP.into(),
            tenant_id: DEFAULT_TENANT_ID.into(),
            site_root: "target/site".into(),
        }
    }
}
