//! How this server runs provision jobs (`JOB_*`, the in-flight caps, history retention) and
//! the runner's test hooks.

use super::values::{parse_days, parse_seconds};

/// How this server runs provision jobs.
#[derive(Debug, Clone, clap::Args)]
pub struct JobSettings {
    /// Provisions this server follows at once (each one is a task that sleeps between polls of
    /// Azure); 0: this server only serves the API and the page.
    #[arg(
        long = "job-max-in-flight",
        env = "JOB_MAX_IN_FLIGHT",
        default_value_t = 1000
    )]
    pub max_in_flight: usize,

    /// How long a server's claim on a job lasts without renewal; after a crash, another server
    /// takes the job over once it runs out.
    #[arg(long = "job-lease-seconds", env = "JOB_LEASE_SECONDS", default_value_t = 15.0,
          value_parser = parse_seconds)]
    pub lease_seconds: f64,

    /// Provisions one user may have queued or running at once; more are refused with 429.
    #[arg(
        long = "max-in-flight-per-user",
        env = "MAX_IN_FLIGHT_PER_USER",
        default_value_t = 10
    )]
    pub max_per_user: u32,

    /// Provisions queued or running at once in one subscription and resource group, whoever
    /// started them; more are refused with 429.
    #[arg(
        long = "max-in-flight-per-scope",
        env = "MAX_IN_FLIGHT_PER_SCOPE",
        default_value_t = 50
    )]
    pub max_per_scope: u32,

    /// The shortest wait between two polls of a running Azure operation (Azure's `Retry-After`
    /// is honoured between this and `--job-poll-max-seconds`).
    #[arg(long = "job-poll-min-seconds", env = "JOB_POLL_MIN_SECONDS", default_value_t = 2.0,
          value_parser = parse_seconds)]
    pub poll_min_seconds: f64,

    /// The longest wait between two polls of a running Azure operation.
    #[arg(long = "job-poll-max-seconds", env = "JOB_POLL_MAX_SECONDS", default_value_t = 30.0,
          value_parser = parse_seconds)]
    pub poll_max_seconds: f64,

    /// How long a create is followed while Azure fails to answer (throttling, outages) before
    /// the job gives up with `arm_unreachable`.
    #[arg(long = "job-follow-horizon-seconds", env = "JOB_FOLLOW_HORIZON_SECONDS",
          default_value_t = 10800.0, value_parser = parse_seconds)]
    pub follow_horizon_seconds: f64,

    /// How long a cluster that a create with a lost answer may have made is looked for before
    /// it is taken to be absent (and the create is sent again).
    #[arg(long = "job-confirm-absent-seconds", env = "JOB_CONFIRM_ABSENT_SECONDS",
          default_value_t = 30.0, value_parser = parse_seconds)]
    pub confirm_absent_seconds: f64,

    /// Azure reads per second this server may spend following running creates (0: no limit).
    /// Resource Manager throttles reads per subscription; with many creates in flight, polls
    /// spread out to stay within this.
    #[arg(long = "job-arm-reads-per-second", env = "JOB_ARM_READS_PER_SECOND",
          default_value_t = 20.0, value_parser = parse_seconds)]
    pub arm_reads_per_second: f64,

    /// Where at least this many of this server's creates follow in one resource group, they
    /// are followed by one read of the group's cluster list a poll instead of each asking
    /// Azure about its own (0: never; every create asks alone).
    #[arg(
        long = "job-list-follow-min",
        env = "JOB_LIST_FOLLOW_MIN",
        default_value_t = 2
    )]
    pub list_follow_min: usize,

    /// A job claimed this often without finishing fails with `internal_error`.
    #[arg(
        long = "job-max-attempts",
        env = "JOB_MAX_ATTEMPTS",
        default_value_t = 20
    )]
    pub max_attempts: u32,

    /// How long history entries are kept, in days; older ones are deleted by the runner, in
    /// small batches (fractions of a day are allowed).
    #[arg(long = "history-retention-days", env = "HISTORY_RETENTION_DAYS",
          default_value_t = 400.0, value_parser = parse_days)]
    pub history_retention_days: f64,

    /// Test hook: how often the runner looks for history past its retention, in seconds.
    #[arg(long = "history-prune-every-seconds", env = "AKSDASH_HISTORY_PRUNE_EVERY_SECONDS",
          default_value_t = 3600.0, value_parser = parse_seconds, hide = true)]
    pub history_prune_every_seconds: f64,

    /// Test hook: shifts this server's clock by this many seconds.
    #[arg(
        long = "test-clock-offset-seconds",
        env = "AKSDASH_TEST_CLOCK_OFFSET_SECONDS",
        default_value_t = 0.0,
        allow_negative_numbers = true,
        hide = true
    )]
    pub test_clock_offset_seconds: f64,

    /// The longest wait between two tries while Azure fails to answer about a create.
    #[arg(long = "job-slow-wait-max-seconds", env = "JOB_SLOW_WAIT_MAX_SECONDS",
          default_value_t = 120.0, value_parser = parse_seconds)]
    pub slow_wait_max_seconds: f64,

    /// Test hook: a run of a job for cluster NAME panics (`NAME`: at its start;
    /// `NAME@after_put`: right after Azure accepted its create).
    #[arg(long = "test-panic", env = "AKSDASH_TEST_PANIC", hide = true)]
    pub test_panic: Option<String>,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            max_in_flight: 1000,
            lease_seconds: 15.0,
            max_per_user: 10,
            max_per_scope: 50,
            poll_min_seconds: 2.0,
            poll_max_seconds: 30.0,
            follow_horizon_seconds: 10800.0,
            confirm_absent_seconds: 30.0,
            max_attempts: 20,
            history_retention_days: 400.0,
            history_prune_every_seconds: 3600.0,
            arm_reads_per_second: 20.0,
            list_follow_min: 2,
            slow_wait_max_seconds: 120.0,
            test_clock_offset_seconds: 0.0,
            test_panic: None,
        }
    }
}
