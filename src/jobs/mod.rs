//! The durable job engine: the runner that claims, leases and supervises provision jobs
//! (`runner.rs`), one run of a claimed job against Azure (`run/`), how patient runs are
//! (`config.rs`), the reads a server may spend following Azure (`read_budget.rs`), and the
//! cluster lists that follow many creates of one resource group at once (`group_list.rs`).

pub mod config;
pub mod group_list;
pub mod read_budget;
pub mod run;
pub mod runner;
