//! The dashboard's components, each with the server functions it calls.

pub mod cluster_card;
