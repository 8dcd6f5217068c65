//! The embedded Prometheus: scrapes targets over HTTP into the engine's store and answers the Prometheus
//! HTTP API, so the console's one Prometheus client serves the demo too.
pub mod alertmanager;
pub mod api;
pub mod demo;
pub mod direct;
pub mod loki;
pub mod pagerduty;
pub mod rules;
pub mod scrape;
pub mod traces;

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
    /// A configured target: `instance` is the URL's host:port, as Prometheus sets it.
    pub fn from_url(job: &str, url: &url::Url) -> Self {
        let instance = match (url.host_str(), url.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => url.to_string(),
        };
        Target {
            job: job.to_string(),
            instance,
            url: url.to_string(),
            health: "unknown",
            last_error: String::new(),
            last_scrape: None,
            last_duration: 0.0,
        }
    }

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
    /// The Alertmanager-compatible API's silences.
    pub silences: Mutex<Vec<alertmanager::StoredSilence>>,
    /// Where the silences are kept across restarts, as Alertmanager keeps them in its data directory
    /// (the demo's); `None`: in memory only.
    pub silences_file: Mutex<Option<std::path::PathBuf>>,
    /// The PagerDuty-like API's incidents.
    pub incidents: Mutex<Vec<pagerduty::EstateIncident>>,
    /// The estate's model (seed and faults), for its logs and traces; `None` outside the demo.
    pub model: RwLock<Option<crate::estate::Model>>,
}

impl Shared {
    /// The estate's model as it is now (a copy: the logs and traces derived from it need no lock).
    pub fn model(&self) -> Option<crate::estate::Model> {
        self.model.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
