//! The real `aks-dashboard` binary as a child process, for tests that kill a server (SIGKILL)
//! and start another: only a process can die without running its shutdown.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::ops::Deref;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aks_dashboard::armsim::SimulatorHandle;

use super::client::ApiClient;

/// How long a started process may take to answer `/readyz`.
const READY_DEADLINE: Duration = Duration::from_secs(30);

/// One `aks-dashboard` process, killed on drop. It derefs to its [`ApiClient`].
pub struct DashboardProcess {
    child: Child,
    api: ApiClient,
}

impl Deref for DashboardProcess {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.api
    }
}

impl Drop for DashboardProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DashboardProcess {
    /// Starts the binary on a free port with jobs at `database_url`, talking to the standalone
    /// `simulator`, with a short job lease (1.5 s) so that a dead server's job is soon taken
    /// over; returns once it is ready.
    pub async fn spawn(database_url: &str, simulator: &SimulatorHandle, data_dir: &Path) -> Self {
        Self::spawn_with_env(database_url, simulator, data_dir, &[]).await
    }

    /// As [`spawn`](Self::spawn), with more environment variables (settings, test hooks).
    pub async fn spawn_with_env(
        database_url: &str,
        simulator: &SimulatorHandle,
        data_dir: &Path,
        env: &[(&str, &str)],
    ) -> Self {
        let mut settings = vec![
            ("DATABASE_URL", database_url),
            ("ARM_ENDPOINT", simulator.base_url()),
            ("ARM_TOKEN", "test-token"),
            ("JOB_LEASE_SECONDS", "1.5"),
            ("JOB_POLL_MIN_SECONDS", "0.2"),
            ("JOB_POLL_MAX_SECONDS", "1"),
            ("JOB_CONFIRM_ABSENT_SECONDS", "2"),
        ];
        settings.extend_from_slice(env);
        Self::spawn_with(Ipv4Addr::LOCALHOST, data_dir, &settings).await
    }

    /// Starts the binary listening on `host` and a free port, with its data (a SQLite file
    /// unless `DATABASE_URL` is given, the session key) in `data_dir` and these extra settings
    /// (environment variables); returns once it is ready. The client speaks to it over loopback.
    pub async fn spawn_with(host: Ipv4Addr, data_dir: &Path, settings: &[(&str, &str)]) -> Self {
        let port = free_port();
        let listen = SocketAddr::from((host, port)).to_string();
        let mut all = vec![("LISTEN_ADDR", listen.as_str())];
        all.extend_from_slice(settings);
        Self::spawn_answering_on(port, data_dir, &all).await
    }

    /// Starts the binary with these settings only (it chooses where to listen from them) and
    /// returns once it answers on `port` over loopback.
    pub async fn spawn_answering_on(port: u16, data_dir: &Path, settings: &[(&str, &str)]) -> Self {
        let child = dashboard_command(data_dir, settings)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aks-dashboard");
        let process = Self {
            child,
            api: ApiClient::new(format!("http://127.0.0.1:{port}")),
        };
        process.wait_until_ready().await;
        process
    }

    async fn wait_until_ready(&self) {
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            if let Ok(res) = self.http.get(self.url("/readyz")).send().await
                && res.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "dashboard did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The process id (to read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: the process gets no chance to hand its jobs back.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

/// What the binary printed when it refused to start: its logs (stdout) and its one-line error
/// (stderr).
pub struct RefusedStart {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary listening on `host` with these settings, expecting it to refuse to start
/// (exit on its own); panics if it is still running after [`READY_DEADLINE`].
pub async fn refused_start(host: Ipv4Addr, settings: &[(&str, &str)]) -> RefusedStart {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let listen = SocketAddr::from((host, free_port())).to_string();
    let mut all = vec![("LISTEN_ADDR", listen.as_str())];
    all.extend_from_slice(settings);
    let mut child = dashboard_command(data_dir.path(), &all)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start aks-dashboard");
    let deadline = Instant::now() + READY_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("process status") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("aks-dashboard started instead of refusing: {settings:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        let _ = pipe.read_to_string(&mut stdout);
    }
    RefusedStart {
        success: status.success(),
        stdout,
        stderr,
    }
}

/// The binary with its data in `data_dir` and exactly these settings: where it listens, and how
/// it runs, comes from them, not from the environment the tests run in.
fn dashboard_command(data_dir: &Path, settings: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aks-dashboard"));
    for inherited in ["LISTEN_ADDR", "AUTH_MODE", "ARM_ENDPOINT", "DATABASE_URL"] {
        command.env_remove(inherited);
    }
    for (name, _) in std::env::vars() {
        if name.starts_with("LEPTOS_") {
            command.env_remove(name);
        }
    }
    command
        .env("DATA_DIR", data_dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", data_dir.join("dashboard.db").display()),
        )
        .env("RUST_LOG", "warn")
        .envs(settings.iter().copied());
    command
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
