//! The demo: the estate, 30 days of its history, an embedded Prometheus scraping it over loopback, and
//! the API the console talks to — all in this process, no servers needed.
use super::{Shared, Target, api, scrape};
use crate::engine::store::{Labels, NAME};
use crate::estate::Simulator;
use crate::estate::exposition::families;
use crate::estate::serve::{self, Endpoint, now};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(5);
/// How far back the history goes, and at what resolution.
pub const HISTORY: Duration = Duration::from_secs(30 * 86_400);
pub const HISTORY_STEP: Duration = Duration::from_secs(600);
/// The last stretch of history is filled at 15 s, so current rates and sparklines are right at once.
pub const RECENT: Duration = Duration::from_secs(3600);

pub struct Demo {
    /// The embedded Prometheus API, for the console's client.
    pub api: url::Url,
    pub endpoints: Vec<Endpoint>,
    pub shared: Arc<Shared>,
}

/// Write the estate's samples from the simulator's time up to `until`, every `step`, as scrapes of the
/// given endpoints would have stored them.
pub fn backfill(sim: &mut Simulator, store: &mut crate::engine::Store, endpoints: &[Endpoint], until: f64, step: f64) {
    let mut t = sim.at;
    while t < until {
        sim.advance(t, step);
        let ms = (t * 1000.0).round() as i64;
        for (i, e) in endpoints.iter().enumerate() {
            let target: Labels =
                [("job".to_string(), e.service.to_string()), ("instance".to_string(), e.addr.to_string())].into();
            let mut up = target.clone();
            up.insert(NAME.to_string(), "up".to_string());
            store.append(up, ms, 1.0);
            for f in families(sim, i) {
                for s in &f.samples {
                    let mut l = target.clone();
                    l.insert(NAME.to_string(), format!("{}{}", f.name, s.suffix));
                    l.extend(s.labels.iter().map(|(k, v)| (k.to_string(), v.clone())));
                    store.append(l, ms, s.value);
                }
            }
        }
        t += step;
    }
}

/// Bind everything now (so the console can start at once); fill the history and start serving and
/// scraping in the background.
pub async fn start(seed: u64) -> std::io::Result<Demo> {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let bound = serve::bind(loopback).await?;
    let endpoints: Vec<Endpoint> = bound.iter().map(|b| b.0.clone()).collect();
    let shared = Arc::new(Shared::default());
    *shared.targets.lock().unwrap_or_else(|p| p.into_inner()) =
        endpoints.iter().map(|e| Target::new(e.service, e.addr)).collect();

    let api_listener = tokio::net::TcpListener::bind(loopback).await?;
    let api = url::Url::parse(&format!("http://{}/", api_listener.local_addr()?)).map_err(std::io::Error::other)?;
    let router = api::router(shared.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(api_listener, router).await {
            tracing::error!("embedded Prometheus API stopped: {e}");
        }
    });

    let (sh, eps) = (shared.clone(), endpoints.clone());
    tokio::spawn(async move {
        let start = now() - HISTORY.as_secs_f64();
        let (sim, sh2) = tokio::task::spawn_blocking(move || {
            // Built apart and swapped in, so the API never waits on the backfill.
            let mut sim = Simulator::new(seed, start);
            let mut store = crate::engine::Store::default();
            let recent = now() - RECENT.as_secs_f64();
            backfill(&mut sim, &mut store, &eps, recent, HISTORY_STEP.as_secs_f64());
            backfill(&mut sim, &mut store, &eps, now(), SCRAPE_INTERVAL.as_secs_f64() * 3.0);
            sh.engine.write().unwrap_or_else(|p| p.into_inner()).store = store;
            (sim, sh)
        })
        .await
        .expect("backfill task");
        tracing::info!("demo history filled");
        serve::serve(Arc::new(Mutex::new(sim)), bound);
        scrape::run(sh2, SCRAPE_INTERVAL).await;
    });
    Ok(Demo { api, endpoints, shared })
}
