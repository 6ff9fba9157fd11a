//! Server configuration: command-line flags, each with an environment variable of the same
//! meaning. `aks-dashboard --help` lists them all.

use std::net::SocketAddr;
use std::path::PathBuf;

mod approvals;
mod armsim;
mod jobs;
mod values;

pub use approvals::ApprovalSettings;
pub use armsim::{ArmsimConfig, ArmsimTiming};
pub use jobs::JobSettings;
pub use values::{AZURE_RETAIL_PRICES, DefaultRole, PRICE_CURRENCIES, TierFees, seconds};

use values::{
    parse_currency, parse_default_role, parse_factor, parse_hours, parse_seconds, parse_tier_fees,
    secret, url_without_password,
};

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use crate::azure::cloud::{AzureCloud, CloudSettings};

/// The subscription, tenant and resource group of the embedded ARM simulator's default world.
pub const DEFAULT_SUBSCRIPTION_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const DEFAULT_TENANT_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
pub const DEFAULT_RESOURCE_GROUP: &str = "rg-aks-dev";
/// cargo-leptos' defaults too (`site-addr`, `reload-port`).
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_RELOAD_PORT: u16 = 3001;

#[derive(Debug, Parser)]
#[command(name = "aks-dashboard", version, about = "AKS provisioning dashboard")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeConfig,
    /// Log lines as text for people, or as JSON objects (one per line) for log shippers, with
    /// each event's fields (job id, task id, user, …) as keys.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Cli {
    /// The command line and the environment, with the one rule clap cannot say: the listen
    /// address is `--listen`, else `LISTEN_ADDR`, else cargo-leptos' `LEPTOS_SITE_ADDR`, else
    /// the default. So `site-addr` in Cargo.toml means what cargo-leptos users expect.
    pub fn from_env() -> Self {
        Self::from_matches(Self::command().get_matches()).unwrap_or_else(|e| e.exit())
    }

    fn from_matches(matches: clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut cli = Self::from_arg_matches(&matches)?;
        if matches.value_source("listen") == Some(ValueSource::DefaultValue)
            && let Some(site_addr) = cli.serve.leptos_site_addr
        {
            cli.serve.listen = site_addr;
        }
        Ok(cli)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the dashboard (the default).
    Serve,
    /// Run only the ARM simulator, so that several dashboard servers can share one.
    Armsim(ArmsimConfig),
}

pub use crate::identity::AuthMode;

/// `Debug` shows no secret: the session secret, the client secret and the ARM token print as
/// `***`, the database URL without its password.
#[derive(custom_debug::Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Address the dashboard listens on. Default: cargo-leptos' `site-addr` (LEPTOS_SITE_ADDR)
    /// when it runs the server, else 127.0.0.1:3000.
    #[arg(long, env = "LISTEN_ADDR", default_value = DEFAULT_LISTEN_ADDR)]
    pub listen: SocketAddr,

    /// Where cargo-leptos asks the server to listen (`site-addr` in Cargo.toml); used only when
    /// neither --listen nor LISTEN_ADDR is given (see [`Cli::from_env`]).
    #[arg(long = "leptos-site-addr", env = "LEPTOS_SITE_ADDR", hide = true)]
    pub leptos_site_addr: Option<SocketAddr>,

    /// Port of cargo-leptos' live-reload socket in watch mode (`reload-port` in Cargo.toml).
    #[arg(long, env = "LEPTOS_RELOAD_PORT", default_value_t = DEFAULT_RELOAD_PORT)]
    pub reload_port: u16,

    /// Job storage: `sqlite://PATH` or `postgres://…`. Default: a SQLite file under ./data/.
    /// (`--help` never prints its value from the environment: it may hold a password.)
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://data/dashboard.db"
    )]
    #[debug(with = url_without_password)]
    pub database_url: String,

    /// How callers are identified.
    #[arg(long, env = "AUTH_MODE", value_enum, default_value = "dev")]
    pub auth_mode: AuthMode,

    /// Serve dev sign-in on a non-loopback address anyway: anyone who can reach the port can
    /// act as any user. Only for a closed network you trust.
    #[arg(long, env = "INSECURE_DEV_AUTH_ON_NETWORK")]
    pub insecure_dev_auth_on_network: bool,

    /// Secret that signs the session cookie (at least 64 bytes). Default: a random secret kept
    /// in `<data dir>/session.key`, so sessions survive restarts.
    #[arg(long, env = "SESSION_SECRET", hide_env_values = true)]
    #[debug(with = secret)]
    pub session_secret: Option<String>,

    /// Folder for the default SQLite file and the session key.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// OpenID Connect issuer, e.g. https://login.microsoftonline.com/TENANT/v2.0. Default with
    /// AUTH_MODE=oidc and the embedded ARM simulator: the simulator's own issuer.
    #[arg(long, env = "OIDC_ISSUER_URL")]
    pub oidc_issuer_url: Option<String>,

    /// The dashboard's application (client) id in Entra ID.
    #[arg(long, env = "OIDC_CLIENT_ID", default_value = "aks-dashboard")]
    pub oidc_client_id: String,

    /// The application's client secret. Default with the embedded simulator: one made at start.
    #[arg(long, env = "OIDC_CLIENT_SECRET", hide_env_values = true)]
    #[debug(with = secret)]
    pub oidc_client_secret: Option<String>,

    /// The dashboard's address as browsers reach it, e.g. https://aks.example.com: the sign-in
    /// redirect goes to PUBLIC_URL/auth/callback, and cookies are `Secure` when it is https.
    /// Default: http:// and the listen address.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// How long a signed-in session lasts without use, in minutes (OpenID Connect); each use
    /// moves the end. A sign-in that never comes back from the identity provider ends after
    /// 10 minutes (or this, if shorter).
    #[arg(long, env = "SESSION_IDLE_MINUTES", default_value_t = 480,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub session_idle_minutes: u32,

    /// How long a signed-in session lasts at most however active, in hours (OpenID Connect):
    /// then the user signs in again and their role is read again.
    #[arg(long, env = "SESSION_MAX_HOURS", default_value_t = 24.0, value_parser = parse_hours)]
    pub session_max_hours: f64,

    /// The role of a user whose sign-in names none (OpenID Connect, Easy Auth): `reader`,
    /// `operator`, `admin`, or `none` (such a user is let in nowhere and told whom to ask).
    #[arg(long, env = "DEFAULT_ROLE", default_value = "reader", value_parser = parse_default_role)]
    pub default_role: DefaultRole,

    /// Whom a signed-in user without a role should ask for one, as the page says it (e.g.
    /// "the platform team, #aks-help"). Default: the administrators of the app registration.
    #[arg(long, env = "ACCESS_CONTACT")]
    pub access_contact: Option<String>,

    /// Easy Auth: require App Service's signed ID token (`X-MS-TOKEN-AAD-ID-TOKEN`, from its
    /// token store) and take the identity from it, checked against the tenant's keys. Default:
    /// required when listening on a non-loopback address.
    #[arg(long, env = "EASYAUTH_REQUIRE_TOKEN", action = clap::ArgAction::Set)]
    pub easyauth_require_token: Option<bool>,

    /// Easy Auth: this deployment trusts App Service's principal headers alone (the port is
    /// reachable only through App Service), so no ID token is required.
    #[arg(long, env = "EASYAUTH_TRUST_HEADERS", action = clap::ArgAction::Set, default_value_t = false)]
    pub easyauth_trust_headers: bool,

    /// Where clusters may be listed and created: `SUB/GROUP` or `SUB/*` entries, each with an
    /// optional `@role` (only that role and above), separated by commas. Default: the
    /// configured subscription and resource group.
    #[arg(long, env = "AZURE_SCOPES")]
    pub azure_scopes: Option<String>,

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

    /// The Azure cloud: where tokens are issued and portal links point (`ARM_ENDPOINT` must be
    /// that cloud's Resource Manager).
    #[arg(long, env = "AZURE_CLOUD", value_enum, default_value = "public")]
    pub azure_cloud: AzureCloud,

    /// Sign-in authority instead of the cloud's own, e.g. https://login.microsoftonline.us.
    #[arg(long, env = "AZURE_AUTHORITY_HOST")]
    pub azure_authority_host: Option<String>,

    /// Azure portal for links instead of the cloud's own, e.g. https://portal.azure.cn.
    #[arg(long, env = "AZURE_PORTAL_URL")]
    pub azure_portal_url: Option<String>,

    /// Folder with the built site (the output of `cargo leptos build`).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Time-out of each Azure Resource Manager call, in seconds.
    #[arg(long, env = "ARM_REQUEST_TIMEOUT_SECONDS", default_value_t = 30.0,
          value_parser = parse_seconds)]
    pub arm_request_timeout_seconds: f64,

    /// How long throttled (429) or failing (5xx) ARM calls are retried, in seconds.
    #[arg(long, env = "ARM_RETRY_MAX_SECONDS", default_value_t = 60.0,
          value_parser = parse_seconds)]
    pub arm_retry_max_seconds: f64,

    /// A fixed bearer token for ARM_ENDPOINT instead of Azure identity, e.g. for a standalone
    /// ARM simulator (`aks-dashboard armsim`) shared by several dashboard servers.
    #[arg(long, env = "ARM_TOKEN", hide_env_values = true)]
    #[debug(with = secret)]
    pub arm_token: Option<String>,

    /// Event streams (open dashboard pages) one user may hold on this server; one more is
    /// refused with 429 and `Retry-After`.
    #[arg(
        long = "max-streams-per-user",
        env = "MAX_STREAMS_PER_USER",
        default_value_t = 20
    )]
    pub max_streams_per_user: usize,

    /// Event streams this server holds at once, all users together.
    #[arg(
        long = "max-streams-per-server",
        env = "MAX_STREAMS_PER_SERVER",
        default_value_t = 12_000
    )]
    pub max_streams_per_server: usize,

    /// Serve Prometheus metrics at `/metrics` on the dashboard's port (no sign-in: restrict it at
    /// the proxy, or turn it off and use METRICS_ADDR on a private address).
    #[arg(long, env = "METRICS_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics_enabled: bool,

    /// Also serve `/metrics` (and nothing else) on this address, e.g. 10.0.0.5:9464.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Creates (one-click fixes included), stops, dismisses and partial-cluster deletes one user
    /// may send per minute on this server (a minute's worth at once); more get 429
    /// `rate_limited` with `Retry-After`. 0: no limit.
    #[arg(long, env = "WRITES_PER_MINUTE", default_value_t = 30)]
    pub writes_per_minute: u32,

    /// Pre-flight checks one user may ask for per minute on this server (the form asks on each
    /// pause in typing); more get 429 `rate_limited`. 0: no limit.
    #[arg(long, env = "PREFLIGHTS_PER_MINUTE", default_value_t = 120)]
    pub preflights_per_minute: u32,

    /// Reads one user may make per minute on this server that ask Azure (a resource group's
    /// clusters nobody has cached; cached answers do not count); more get 429 `rate_limited`.
    /// 0: no limit.
    #[arg(long, env = "READS_PER_MINUTE", default_value_t = 120)]
    pub reads_per_minute: u32,

    /// Azure's Retail Prices API, for the cost estimate. Default: the embedded simulator's
    /// fictional price list when the ARM simulator is used (embedded, or a standalone one on a
    /// loopback ARM_ENDPOINT), else https://prices.azure.com/api/retail/prices.
    #[arg(long, env = "RETAIL_PRICES_ENDPOINT")]
    pub retail_prices_endpoint: Option<String>,

    /// The currency of cost estimates: one the Retail Prices API offers (USD, EUR, GBP, JPY, …).
    #[arg(long, env = "PRICE_CURRENCY", default_value = "USD", value_parser = parse_currency)]
    pub price_currency: String,

    /// The paid tiers' control-plane fees per cluster-hour in PRICE_CURRENCY, and the date they
    /// were taken, for a region the price list gives none: `standard=0.10,premium=0.60@DATE`.
    /// The default is the AKS pricing page's USD fees, used only with PRICE_CURRENCY=USD.
    #[arg(long, env = "AKS_TIER_FEES", value_parser = parse_tier_fees)]
    pub aks_tier_fees: Option<TierFees>,

    /// How long a price read from the Retail Prices API is fresh, in seconds; after that it is
    /// read again, and served marked stale (for up to seven times as long) while the price list
    /// does not answer.
    #[arg(long, env = "PRICE_CACHE_SECONDS", default_value_t = 86_400.0,
          value_parser = parse_seconds)]
    pub price_cache_seconds: f64,

    /// Reads per second this server may spend on the Retail Prices API (bursts of five times
    /// as many).
    #[arg(long, env = "PRICE_READS_PER_SECOND", default_value_t = 5.0,
          value_parser = parse_factor)]
    pub price_reads_per_second: f64,

    /// Test hook: how long a history export waits for its client to take the next chunk
    /// before it is dropped (default 60 s).
    #[arg(long, env = "AKSDASH_EXPORT_IDLE_SECONDS", value_parser = parse_seconds, hide = true)]
    pub export_idle_seconds: Option<f64>,

    /// How this server runs provision jobs.
    #[command(flatten)]
    pub jobs: JobSettings,

    /// Which creates wait for an admin's approval.
    #[command(flatten)]
    pub approvals: ApprovalSettings,

    /// Timing of the embedded ARM simulator (used when no ARM endpoint is configured).
    #[command(flatten)]
    pub armsim: ArmsimTiming,
}

impl ServeConfig {
    /// The configured cloud with its overrides.
    pub fn cloud(&self) -> CloudSettings {
        CloudSettings {
            cloud: self.azure_cloud,
            authority_host: self.azure_authority_host.clone(),
            portal: self.azure_portal_url.clone(),
        }
    }

    /// The Azure portal that links point into.
    pub fn portal(&self) -> String {
        self.cloud().portal().to_string()
    }

    /// The scopes this dashboard allows (`AZURE_SCOPES`, else the configured one).
    pub fn allowed_scopes(&self) -> Result<crate::identity::scopes::AllowedScopes, String> {
        use crate::identity::scopes::{AllowedScopes, Scope};
        let default = Scope::new(&self.subscription_id, &self.resource_group);
        match self.azure_scopes.as_deref() {
            Some(text) => AllowedScopes::parse(text, default),
            None => Ok(AllowedScopes::only(default)),
        }
    }

    /// The dashboard's address as browsers reach it, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Dev sign-in trusts whoever asks, so it is served on loopback only, unless the operator
    /// opted in by name. The error is the one line the operator reads.
    pub fn check_dev_identity_exposure(&self) -> Result<(), String> {
        if self.auth_mode != AuthMode::Dev
            || self.listen.ip().is_loopback()
            || self.insecure_dev_auth_on_network
        {
            return Ok(());
        }
        Err(format!(
            "refusing to serve AUTH_MODE=dev on {}: anyone who can reach it could act as any \
             user. Listen on 127.0.0.1, use AUTH_MODE=easyauth behind App Service, or pass \
             --insecure-dev-auth-on-network (INSECURE_DEV_AUTH_ON_NETWORK=true) to accept that",
            self.listen
        ))
    }

    /// Easy Auth believes App Service's headers; off loopback, someone who reaches the port
    /// another way could send them. So there it needs the signed ID token (the default), or the
    /// operator's word that the headers alone are trusted. The error is the one line to read.
    pub fn check_easyauth_exposure(&self) -> Result<(), String> {
        if self.auth_mode != AuthMode::Easyauth
            || self.listen.ip().is_loopback()
            || self.easyauth_require_token != Some(false)
            || self.easyauth_trust_headers
        {
            return Ok(());
        }
        Err(format!(
            "refusing to serve AUTH_MODE=easyauth on {} with EASYAUTH_REQUIRE_TOKEN=false: anyone \
             who reaches the port other than through App Service could claim any identity. \
             Require App Service's ID token (EASYAUTH_REQUIRE_TOKEN=true, with its token store \
             on), or say the port is reachable through App Service alone \
             (EASYAUTH_TRUST_HEADERS=true)",
            self.listen
        ))
    }

    /// Whether Easy Auth requires the forwarded ID token: as configured, else off loopback
    /// unless the headers alone are trusted.
    pub fn easyauth_token_required(&self) -> bool {
        self.easyauth_require_token
            .unwrap_or(!self.listen.ip().is_loopback() && !self.easyauth_trust_headers)
    }

    /// The identity provider whose tokens sign users in: `OIDC_ISSUER_URL`, else Entra ID's
    /// v2.0 issuer of the tenant in the configured cloud (the embedded simulator's issuer
    /// stands in when there is no Azure: decided where the server is built).
    pub fn entra_issuer_url(&self) -> String {
        match &self.oidc_issuer_url {
            Some(url) => url.clone(),
            None => format!(
                "{}/{}/v2.0",
                self.cloud().authority_host().trim_end_matches('/'),
                self.tenant_id
            ),
        }
    }

    /// A configuration for tests: the defaults, with every path inside `dir` and a random port.
    pub fn for_tests(dir: &std::path::Path) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            leptos_site_addr: None,
            reload_port: DEFAULT_RELOAD_PORT,
            database_url: format!("sqlite://{}", dir.join("test.db").display()),
            auth_mode: AuthMode::Dev,
            insecure_dev_auth_on_network: false,
            session_secret: None,
            data_dir: dir.to_path_buf(),
            oidc_issuer_url: None,
            oidc_client_id: "aks-dashboard".into(),
            oidc_client_secret: None,
            public_url: None,
            session_idle_minutes: 480,
            session_max_hours: 24.0,
            default_role: DefaultRole(Some(crate::domain::role::Role::Reader)),
            access_contact: None,
            easyauth_require_token: None,
            easyauth_trust_headers: false,
            azure_scopes: None,
            arm_endpoint: None,
            subscription_id: DEFAULT_SUBSCRIPTION_ID.into(),
            resource_group: DEFAULT_RESOURCE_GROUP.into(),
            tenant_id: DEFAULT_TENANT_ID.into(),
            azure_cloud: AzureCloud::Public,
            azure_authority_host: None,
            azure_portal_url: None,
            site_root: "target/site".into(),
            arm_request_timeout_seconds: 30.0,
            arm_retry_max_seconds: 60.0,
            arm_token: None,
            max_streams_per_user: 20,
            max_streams_per_server: 12_000,
            metrics_enabled: true,
            metrics_addr: None,
            // Tests drive one user hard; the limits' own test sets them.
            writes_per_minute: 0,
            preflights_per_minute: 0,
            reads_per_minute: 0,
            retail_prices_endpoint: None,
            price_currency: "USD".into(),
            aks_tier_fees: None,
            price_cache_seconds: 86_400.0,
            price_reads_per_second: 0.0,
            export_idle_seconds: None,
            jobs: JobSettings {
                poll_min_seconds: 0.2,
                poll_max_seconds: 2.0,
                confirm_absent_seconds: 2.0,
                slow_wait_max_seconds: 2.0,
                arm_reads_per_second: 0.0,
                ..JobSettings::default()
            },
            // Tests follow creates that take seconds: a realistic 30 s would only slow them.
            armsim: ArmsimTiming {
                retry_after_seconds: 1.0,
                list_page_size: 100,
                ..ArmsimTiming::default()
            },
            approvals: ApprovalSettings::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_fees_name_their_tiers_and_date() {
        let fees = parse_tier_fees("standard=0.12, premium=0.7@2026-01-15").expect("fees");
        assert_eq!(
            fees.fees,
            vec![("standard".to_owned(), 0.12), ("premium".to_owned(), 0.7)]
        );
        assert_eq!(fees.taken, "2026-01-15");
        assert!(parse_tier_fees("standard=0.12").is_err(), "no date");
        assert!(parse_tier_fees("gold=1@2026-01-15").is_err());
        assert!(parse_tier_fees("standard=-1@2026-01-15").is_err());
        assert!(parse_tier_fees("standard=1@soon").is_err());
    }

    #[test]
    fn every_setting_parses_from_its_flag() {
        use crate::domain::role::Role;
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("aks-dashboard").chain(args.iter().copied()))
                .map(|cli| cli.serve)
        };
        let defaults = parse(&[]).expect("defaults");
        assert_eq!(defaults.default_role, DefaultRole(Some(Role::Reader)));
        assert_eq!(defaults.session_max_hours, 24.0);
        assert_eq!(defaults.reads_per_minute, 120);
        assert_eq!(defaults.easyauth_require_token, None);
        assert!(!defaults.easyauth_trust_headers);
        let set = parse(&[
            "--default-role",
            "none",
            "--session-max-hours",
            "0.5",
            "--session-idle-minutes",
            "30",
            "--reads-per-minute",
            "0",
            "--easyauth-require-token",
            "false",
            "--easyauth-trust-headers",
            "true",
            "--access-contact",
            "#aks-help",
        ])
        .expect("set");
        assert_eq!(set.default_role, DefaultRole(None));
        assert_eq!(set.session_max_hours, 0.5);
        assert_eq!(set.session_idle_minutes, 30);
        assert_eq!(set.reads_per_minute, 0);
        assert_eq!(set.easyauth_require_token, Some(false));
        assert!(set.easyauth_trust_headers);
        assert_eq!(set.access_contact.as_deref(), Some("#aks-help"));
        assert_eq!(
            parse(&["--default-role", "admin"])
                .expect("admin")
                .default_role,
            DefaultRole(Some(Role::Admin))
        );
        assert!(parse(&["--default-role", "owner"]).is_err());
        assert!(parse(&["--session-idle-minutes", "0"]).is_err());
        assert!(parse(&["--session-max-hours", "0"]).is_err());
    }

    #[test]
    fn debug_shows_no_secret() {
        let dir = std::env::temp_dir();
        let mut config = ServeConfig::for_tests(&dir);
        config.database_url = "postgres://app:hunter2@db.internal:5432/jobs".into();
        config.session_secret = Some("s3cret-session-key".into());
        config.oidc_client_secret = Some("client-s3cret".into());
        config.arm_token = Some("arm-tok3n".into());
        let shown = format!("{config:?}");
        for secret in [
            "hunter2",
            "s3cret-session-key",
            "client-s3cret",
            "arm-tok3n",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("postgres://app:***@db.internal:5432/jobs"),
            "{shown}"
        );
        assert!(shown.contains("session_secret: Some(\"***\")"), "{shown}");
    }
}
