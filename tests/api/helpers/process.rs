//! The real `aks-dashboard` binary as a child process, for tests that kill a server (SIGKILL)
//! and start another: only a process can die without running its shutdown.

use std::net::TcpListener;
use std::ops::Deref;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aks_dashboard::azure::SimulatorHandle;

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
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_aks-dashboard"))
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("DATA_DIR", data_dir)
            .env("ARM_ENDPOINT", simulator.base_url())
            .env("ARM_TOKEN", "test-token")
            .env("JOB_LEASE_SECONDS", "1.5")
            .env("JOB_POLL_MIN_SECONDS", "0.2")
            .env("JOB_POLL_MAX_SECONDS", "1")
            .env("JOB_CONFIRM_ABSENT_SECONDS", "2")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
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

    /// SIGKILL: the process gets no chance to hand its jobs back.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
