//! The one harness of the black-box tests: start the real server, call it as a user, read and
//! script the ARM simulator behind it, get fresh databases.
//!
//! # Start a server
//! ```ignore
//! let app = TestApp::spawn().await;                  // defaults, see `TestAppBuilder`
//! let app = TestApp::builder()
//!     .auth_mode(AuthMode::Easyauth)                 // default: dev sign-in
//!     .create_seconds(30.0)                          // embedded simulator; default 1.5 s
//!     .job_workers(0)                                // default 2; 0 keeps jobs queued
//!     .fresh_postgres()                              // default: a temporary SQLite file
//!     .standalone_simulator(&simulator)              // default: the embedded simulator
//!     .configure(|config| config.job_lease_seconds = 1.0) // any other ServeConfig field
//!     .spawn()                                       // or .try_spawn(): Err when it refuses
//!     .await;
//! ```
//! The server runs in the test's process on a random port; `app.server.state` reaches inside
//! (e.g. `app.server.state.storage.pool.close().await` to take the database away). A second
//! server on the same database: `.database_url(app.database_url())`.
//!
//! # Call it
//! A [`TestApp`] derefs to an [`ApiClient`]: `app.get(user, path)` and
//! `app.post(user, path, &json)` answer `(StatusCode, serde_json::Value)` with the caller named
//! by `X-Dev-User`; `app.provision(user, provision_request(…))` asserts the 202;
//! `app.wait_task(user, task_id, finished)` polls until a condition ([`finished`],
//! [`creating`] or any closure) and returns every answer seen. For anything else (other
//! headers, raw bodies) use `app.http` with `app.url(path)`; it follows no redirects.
//! `app.get_response(user, path)` is the whole answer (headers too);
//! `app.post_chunked(user, path, &chunks)` sends a chunked body over a raw connection.
//!
//! # Script Azure
//! `app.simulator.add_fault(json!({"operation": "create", "cluster_name": "aks-x",
//! "fail_after_seconds": 2, "code": "ZonalAllocationFailed"})).await` makes the next create of
//! `aks-x` fail like Azure would (see docs/arm-simulator.md for every field);
//! `app.simulator.state::<Value>().await` is `GET /_armsim/state` (clusters, operations,
//! counters such as `create_puts_accepted`). [`start_simulator`] starts a standalone simulator
//! that several servers can share.
//!
//! # Kill a server
//! [`DashboardProcess::spawn`] runs the real binary as a child process (for SIGKILL tests); it
//! derefs to an [`ApiClient`] too. `DashboardProcess::spawn_with(host, dir, &[(VAR, value)])`
//! sets the listen host and environment; [`refused_start`] expects the binary to exit instead.
//!
//! # A browser signing in
//! [`browser::Browser`] keeps one browser's session cookie at a dashboard in OpenID Connect
//! mode: `sign_in(user, role)` through the simulator's page, `begin_sign_in(next)` to reach
//! another provider, `get` / `post` / `session()`.
//!
//! # Another identity provider
//! [`oidc_provider::IndependentProvider::start`] runs panva's `oidc-provider` (npm, in
//! `end2end/`) as a second, independent OpenID Connect provider; `sign_in` plays its user,
//! `rotate` rolls its signing key over.
//!
//! # Databases
//! [`PostgresDatabase::create`] makes a throw-away PostgreSQL database; [`on_both_backends!`]
//! runs `async fn scenario(storage: Storage)` functions once on SQLite and once on PostgreSQL.

mod app;
pub mod browser;
mod client;
mod databases;
pub mod oidc_provider;
pub mod openapi;
mod process;
mod simulator;

pub use app::{TestApp, TestAppBuilder};
pub use client::{ApiClient, creating, finished, provision_request, read_events};
pub use databases::{PostgresDatabase, on_postgres, on_sqlite};
pub use process::{DashboardProcess, free_port, refused_start};
pub use simulator::{
    SimulatedAzure, SimulatorClient, arm_requests, clusters_named, small_cluster, start_simulator,
};

/// Declares, for each `async fn scenario(storage: Storage)` of the calling module, a test
/// `sqlite::scenario` on a fresh SQLite file and a test `postgres::scenario` on a fresh
/// PostgreSQL database.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    $crate::helpers::on_sqlite(super::$scenario).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    $crate::helpers::on_postgres(super::$scenario).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;
