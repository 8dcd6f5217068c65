//! The Alertmanager source (API v2): a client per server, and the task that polls them all, merges an
//! HA pair's answers, and carries out silence changes.
pub mod api;
pub mod client;
pub mod poller;

pub use client::Alertmanager;
pub use poller::{AlertCommand, AlertUpdate};
