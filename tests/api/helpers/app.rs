//! The dashboard server started in-process on a random port ([`TestApp`]), built from options
//! ([`TestAppBuilder`]): which database, which ARM simulator, how callers are identified, how
//! fast the simulator is and how many job workers run.

use std::net::Ipv4Addr;
use std::ops::Deref;

use aks_dashboard::armsim::SimulatorHandle;
use aks_dashboard::config::{AuthMode, ServeConfig};
use aks_dashboard::startup::{Server, StartupError};

use super::client::ApiClient;
use super::databases::PostgresDatabase;
use super::simulator::SimulatorClient;

/// A running server. It derefs to its [`ApiClient`], so a test calls `app.get(user, path)`.
pub struct TestApp {
    pub server: Server,
    pub api: ApiClient,
    /// The simulator the server talks to: its embedded one or the standalone one it was given.
    pub simulator: SimulatorClient,
    _data_dir: tempfile::TempDir,
    /// Dropped after the server (field order), so its pool is gone first.
    _postgres: Option<PostgresDatabase>,
}

impl Deref for TestApp {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.api
    }
}

impl TestApp {
    /// A server with the default options (see [`TestAppBuilder`]).
    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// Where this server stores its jobs, e.g. to start a second server on the same database.
    pub fn database_url(&self) -> &str {
        &self.server.state.config.database_url
    }
}

enum Database {
    /// A SQLite file in the server's temporary data folder.
    TemporarySqlite,
    /// A new PostgreSQL database, dropped with the app.
    FreshPostgres,
    /// This URL, as it is (a database the test owns, e.g. shared by two servers).
    Url(String),
}

/// A change to the server's configuration, applied before it starts.
type ConfigChange = Box<dyn FnOnce(&mut ServeConfig) + Send>;

/// Options of a [`TestApp`]. Defaults: dev sign-in, a temporary SQLite file, the embedded
/// simulator with 1.5 s creates and 0.5 s deletes and aborts, 2 job workers, ARM retries given
/// up after 5 s.
pub struct TestAppBuilder {
    auth_mode: AuthMode,
    database: Database,
    standalone_simulator: Option<String>,
    create_seconds: f64,
    job_workers: usize,
    configure: Vec<ConfigChange>,
}

impl Default for TestAppBuilder {
    fn default() -> Self {
        Self {
            auth_mode: AuthMode::Dev,
            database: Database::TemporarySqlite,
            standalone_simulator: None,
            create_seconds: 1.5,
            job_workers: 2,
            configure: Vec::new(),
        }
    }
}

impl TestAppBuilder {
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = mode;
        self
    }

    /// How long the embedded simulator takes to create a cluster.
    pub fn create_seconds(mut self, seconds: f64) -> Self {
        self.create_seconds = seconds;
        self
    }

    /// 0 leaves every job queued.
    pub fn job_workers(mut self, workers: usize) -> Self {
        self.job_workers = workers;
        self
    }

    /// Any other setting, e.g. `.configure(|c| c.jobs.follow_horizon_seconds = 3.0)`; applied
    /// last.
    pub fn configure(mut self, change: impl FnOnce(&mut ServeConfig) + Send + 'static) -> Self {
        self.configure.push(Box::new(change));
        self
    }

    /// Store jobs in a new PostgreSQL database of their own (see `STORAGE_TEST_POSTGRES_URL`).
    pub fn fresh_postgres(mut self) -> Self {
        self.database = Database::FreshPostgres;
        self
    }

    /// Store jobs at this `sqlite://…` or `postgres://…` URL.
    pub fn database_url(mut self, url: &str) -> Self {
        self.database = Database::Url(url.to_owned());
        self
    }

    /// Talk to this simulator instead of starting an embedded one.
    pub fn standalone_simulator(mut self, simulator: &SimulatorHandle) -> Self {
        self.standalone_simulator = Some(simulator.base_url().to_owned());
        self
    }

    pub async fn spawn(self) -> TestApp {
        self.try_spawn().await.expect("server starts")
    }

    /// Starts the server, or says why it refused to.
    pub async fn try_spawn(self) -> Result<TestApp, StartupError> {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServeConfig::for_tests(data_dir.path());
        config.auth_mode = self.auth_mode;
        config.jobs.max_in_flight = self.job_workers;
        config.arm_retry_max_seconds = 5.0;
        config.armsim.create_seconds = self.create_seconds;
        config.armsim.abort_seconds = 0.5;
        config.armsim.delete_seconds = 0.5;
        let postgres = match self.database {
            Database::TemporarySqlite => None,
            Database::FreshPostgres => Some(PostgresDatabase::create().await),
            Database::Url(url) => {
                config.database_url = url;
                None
            }
        };
        if let Some(database) = &postgres {
            config.database_url = database.url.clone();
        }
        if let Some(endpoint) = self.standalone_simulator {
            config.arm_endpoint = Some(endpoint);
            config.arm_token = Some("test-token".to_owned());
        }

        for change in self.configure {
            change(&mut config);
        }
        let server = Server::start(config).await?;
        // A server on every interface (0.0.0.0) is called over loopback.
        let mut reachable = server.addr;
        if reachable.ip().is_unspecified() {
            reachable.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let api = ApiClient::new(format!("http://{reachable}"));
        let simulator_url = match &server.state.armsim {
            Some(embedded) => embedded.base_url().to_owned(),
            None => server.state.arm.base_url().to_owned(),
        };
        Ok(TestApp {
            server,
            api,
            simulator: SimulatorClient::new(&simulator_url),
            _data_dir: data_dir,
            _postgres: postgres,
        })
    }
}
