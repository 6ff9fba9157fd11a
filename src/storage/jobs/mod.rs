//! The `job_state` table: one row per durable job (today: AKS provisions), read by the dashboard
//! (owner-scoped) and driven by the job runner (leases). `types.rs` is what a job is, `row.rs`
//! how a row reads, `queries.rs` the dashboard's statements and `leases.rs` the runner's.

mod queries;
mod row;
mod types;

pub mod leases;

pub use leases::{Claimed, HeldLease, InternalErrorOutcome};
pub use queries::JobStateRepository;
pub use types::*;

pub(crate) use row::{COLUMNS, column, count_column, job_from_row};
