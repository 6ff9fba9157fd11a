//! The durable job engine: the runner that claims, leases and supervises provision jobs
//! (`runner.rs`), one run of a claimed job against Azure (`run/`), how patient runs are
//! (`config.rs`), and the reads a server may spend following Azure (`read_budget.rs`).

pub mod config;
pub mod read_budget;
pub mod run;
pub mod runner;
