//! How runs talk to Azure and how patient they are (`JOB_*` settings), and the test hook that
//! makes a run panic at a chosen point.

use std::time::Duration;

/// How runs talk to Azure and how patient they are.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Tenant for portal links.
    pub tenant_id: String,
    /// The Azure portal of the configured cloud, for links.
    pub portal: String,
    /// Bounds of the wait between two polls of a running operation (`Retry-After` is honoured
    /// within them); the wait when Azure gives none.
    pub poll_min: Duration,
    pub poll_max: Duration,
    pub poll_default: Duration,
    /// The longest wait between two tries while Azure is failing to answer.
    pub slow_wait_max: Duration,
    /// How long a create is followed through Azure's failures to answer, from the PUT; AKS ends
    /// its own operations well before.
    pub follow_horizon: Duration,
    /// How long a cluster that a lost PUT may have created is looked for before it is taken
    /// to be absent (ARM can take a moment to show what it accepted).
    pub confirm_absent_for: Duration,
    /// A test hook: where a run for a given cluster panics.
    pub test_panic: Option<TestPanic>,
    /// Where a missing resource group may be created (a `subscription/*` scope for the job's
    /// owner's role); `None`: anywhere (tests of the runner alone).
    pub scopes: Option<std::sync::Arc<crate::identity::AllowedScopes>>,
}

/// A test hook: a run of a job for `cluster` panics at its start, or right after Azure accepted
/// its PUT (before the answer is written down: a crash in the worst place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPanic {
    pub cluster: String,
    pub after_put: bool,
}

impl TestPanic {
    /// `NAME` (panic at the start) or `NAME@after_put`.
    pub fn parse(value: &str) -> Self {
        match value.split_once('@') {
            Some((cluster, "after_put")) => Self {
                cluster: cluster.to_owned(),
                after_put: true,
            },
            _ => Self {
                cluster: value.to_owned(),
                after_put: false,
            },
        }
    }
}

impl RunConfig {
    pub fn new(tenant_id: &str) -> Self {
        Self {
            tenant_id: tenant_id.to_owned(),
            portal: crate::domain::classify::PUBLIC_PORTAL.to_owned(),
            poll_min: Duration::from_secs(2),
            poll_max: Duration::from_secs(30),
            poll_default: Duration::from_secs(5),
            slow_wait_max: Duration::from_secs(120),
            follow_horizon: Duration::from_secs(3 * 3600),
            confirm_absent_for: Duration::from_secs(30),
            test_panic: None,
            scopes: None,
        }
    }
}
