//! The black-box tests, linked as one binary: the real server (in-process on a random port, or
//! the real binary as a process), spoken to over HTTP; the ARM client against the simulator; the
//! job storage contract on SQLite and PostgreSQL. `helpers` is the harness they share.
#![cfg(feature = "ssr")]

mod helpers;

mod approvals;
mod authorization;
mod azure_conformance;
mod azure_corpus;
mod compression;
mod crash;
mod develop;
mod fixes;
mod follow_by_list;
mod foundation;
mod history;
mod history_storage;
mod hostile_input;
mod identity;
mod kubernetes_versions;
mod limits;
mod live_events;
mod metrics;
mod oidc_rollover;
mod openapi;
mod prices;
mod provisioning;
mod refusals;
mod safety;
mod scopes;
mod security;
mod sessions;
mod simulator;
mod simulator_faults;
mod storage_contract;
