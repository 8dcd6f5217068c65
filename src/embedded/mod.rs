//! The embedded Prometheus: scrapes targets over HTTP into the engine's store and answers the Prometheus
//! HTTP API, so the console's one Prometheus client serves the demo too.
pub mod api;
pub mod demo;
pub mod rules;
pub mod scrape;

use crate::engine::Engine;
use chrono::{DateTime, Utc};
use std::sync::{Mutex, RwLock};

/// A scrape target and what its last scrape found.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub job: String,
    pub instance: String,
    pub url: String,
    pub health: &'static str,
    pub last_error: String,
    pub last_scrape: Option<DateTime<Utc>>,
    pub last_duration: f64,
}

impl Target {
    pub fn new(job: &str, addr: std::net::SocketAddr) -> Self {
        Target {
            job: job.to_string(),
            instance: addr.to_string(),
            url: format!("http://{addr}/metrics"),
            health: "unknown",
            last_error: String::new(),
            last_scrape: None,
            last_duration: 0.0,
        }
    }
}

/// What the scraper writes and the API reads. Locks are held for one append or one query, never across
/// an await.
#[derive(Debug, Default)]
pub struct Shared {
    pub engine: RwLock<Engine>,
    pub targets: Mutex<Vec<Target>>,
    pub rules: Mutex<crate::rules::Rules>,
}
