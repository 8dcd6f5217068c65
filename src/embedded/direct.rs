//! Direct scraping: the config's `[scrape]` targets scraped by the embedded engine, its rules evaluated,
//! and the Prometheus API served on loopback, so the console's one client reads it as it reads
//! Prometheus. The source when there is no Prometheus; its fallback while Prometheus is down.
use super::{Shared, Target, api, rules, scrape};
use crate::config::scrape::ScrapeConfig;
use std::net::SocketAddr;
use std::sync::Arc;

pub struct Direct {
    /// The embedded API, for a Prometheus client.
    pub api: url::Url,
    pub shared: Arc<Shared>,
}

/// Bind the API and start scraping, evaluating and serving in the background.
pub async fn start(cfg: &ScrapeConfig) -> std::io::Result<Direct> {
    let shared = Arc::new(Shared::default());
    *shared.targets.lock().unwrap_or_else(|p| p.into_inner()) =
        cfg.targets.iter().map(|t| Target::from_url(&t.job, &t.url)).collect();
    *shared.rules.lock().unwrap_or_else(|p| p.into_inner()) = crate::rules::Rules::new(cfg.rules.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let api = url::Url::parse(&format!("http://{}/", listener.local_addr()?)).map_err(std::io::Error::other)?;
    let router = api::router(shared.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!("direct-scrape API stopped: {e}");
        }
    });
    let limits = scrape::Limits { retention: cfg.retention, max_bytes: cfg.max_memory as usize };
    tokio::spawn(scrape::run(shared.clone(), cfg.interval, limits));
    tokio::spawn(rules::run(shared.clone()));
    Ok(Direct { api, shared })
}
