//! The ARM simulator's settings: its port and world (`aks-dashboard armsim`), and how long its
//! operations take (embedded or standalone).

use std::path::PathBuf;

use super::values::{parse_factor, parse_seconds};

#[derive(Debug, Clone, clap::Args)]
pub struct ArmsimConfig {
    /// Port the simulator listens on (127.0.0.1).
    #[arg(long, env = "ARMSIM_PORT", default_value_t = 4010)]
    pub port: u16,

    /// A world file (JSON: VM sizes, regions with vCPU limits and restrictions, Kubernetes
    /// versions, resource groups); see docs/arm-simulator.md. Default: the built-in world.
    #[arg(long, env = "ARMSIM_WORLD")]
    pub world: Option<PathBuf>,

    /// Multiplies every vCPU limit of the world (e.g. 100 for a load test).
    #[arg(long, env = "ARMSIM_QUOTA_SCALE", default_value_t = 1.0, value_parser = parse_factor)]
    pub quota_scale: f64,

    #[command(flatten)]
    pub timing: ArmsimTiming,
}

/// How long the ARM simulator's operations take, in seconds (fractions allowed, e.g. 1.5).
#[derive(Debug, Clone, clap::Args)]
pub struct ArmsimTiming {
    /// How long a simulated cluster create takes.
    #[arg(long = "armsim-create-seconds", env = "ARMSIM_CREATE_SECONDS", default_value_t = 20.0,
          value_parser = parse_seconds)]
    pub create_seconds: f64,

    /// How long a simulated cluster delete takes.
    #[arg(long = "armsim-delete-seconds", env = "ARMSIM_DELETE_SECONDS", default_value_t = 10.0,
          value_parser = parse_seconds)]
    pub delete_seconds: f64,

    /// How long an aborted operation stays `Canceling` before it is `Canceled`.
    #[arg(long = "armsim-abort-seconds", env = "ARMSIM_ABORT_SECONDS", default_value_t = 3.0,
          value_parser = parse_seconds)]
    pub abort_seconds: f64,

    /// `Retry-After` the simulator sends on accepted operations and their status URLs
    /// (0: none, as AKS itself; clients then use their own interval).
    #[arg(long = "armsim-retry-after-seconds", env = "ARMSIM_RETRY_AFTER_SECONDS",
          default_value_t = 30.0, value_parser = parse_seconds)]
    pub retry_after_seconds: f64,

    /// The most clusters one page of a cluster list holds; more come behind `nextLink`, as
    /// Azure pages its lists.
    #[arg(long = "armsim-list-page-size", env = "ARMSIM_LIST_PAGE_SIZE", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub list_page_size: u32,
}

impl Default for ArmsimTiming {
    fn default() -> Self {
        Self {
            create_seconds: 20.0,
            delete_seconds: 10.0,
            abort_seconds: 3.0,
            retry_after_seconds: 30.0,
            list_page_size: 100,
        }
    }
}
