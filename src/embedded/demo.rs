//! The demo: the estate, 30 days of its history, an embedded Prometheus scraping it over loopback, and
//! the API the console talks to — all in this process, no servers needed.
use super::{Shared, Target, api, scrape};
use crate::engine::Engine;
use crate::engine::store::{Labels, NAME};
use crate::estate::Simulator;
use crate::estate::exposition::families;
use crate::estate::fault::Fault;
use crate::estate::serve::{self, Endpoint, now};
use crate::rules::Rules;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(5);
/// How far back the history goes, and at what resolution.
pub const HISTORY: Duration = Duration::from_secs(30 * 86_400);
pub const HISTORY_STEP: Duration = Duration::from_secs(600);
/// The last stretch of history is filled at 15 s, so current rates and sparklines are right at once.
pub const RECENT: Duration = Duration::from_secs(3600);

/// What can be done to the running estate (drills inject and end faults).
#[derive(Clone, Debug)]
pub enum Control {
    Inject(Fault),
    /// End every fault active at this time (unix seconds): the mitigation worked.
    EndFaults(f64),
}

pub struct Demo {
    /// The embedded Prometheus API, for the console's client.
    pub api: url::Url,
    pub endpoints: Vec<Endpoint>,
    pub shared: Arc<Shared>,
    /// Applied once the history is filled; until then they wait here.
    pub control: mpsc::Sender<Control>,
}

/// One scrape of every endpoint at the simulator's time, as the scraper would store it (a service that
/// is down has `up` 0 and nothing else).
pub fn scrape_into(sim: &Simulator, store: &mut crate::engine::Store, endpoints: &[Endpoint]) {
    let ms = (sim.at * 1000.0).round() as i64;
    for (i, e) in endpoints.iter().enumerate() {
        let target: Labels =
            [("job".to_string(), e.service.to_string()), ("instance".to_string(), e.addr.to_string())].into();
        let mut up = target.clone();
        up.insert(NAME.to_string(), "up".to_string());
        let is_up = sim.is_up(i);
        store.append(up, ms, if is_up { 1.0 } else { 0.0 });
        if is_up {
            for f in families(sim, i) {
                for s in &f.samples {
                    let mut l = target.clone();
                    l.insert(NAME.to_string(), format!("{}{}", f.name, s.suffix));
                    l.extend(s.labels.iter().map(|(k, v)| (k.to_string(), v.clone())));
                    store.append(l, ms, s.value);
                }
            }
        }
    }
}

/// Write the estate's samples from the simulator's time up to `until`, every `step`, and evaluate the
/// rules at each step, as scrapes and the rule manager would have.
pub fn backfill(
    sim: &mut Simulator,
    engine: &mut Engine,
    rules: &mut Rules,
    endpoints: &[Endpoint],
    until: f64,
    step: f64,
) {
    let mut t = sim.at;
    while t < until {
        sim.advance(t, step);
        scrape_into(sim, &mut engine.store, endpoints);
        rules.run_due(engine, (t * 1000.0).round() as i64);
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
    // Logs and traces are a function of the model alone: they are there before the metrics' backfill.
    *shared.model.write().unwrap_or_else(|p| p.into_inner()) = Some(crate::estate::Model::new(seed));
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
    let (control, mut control_rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let start = now() - HISTORY.as_secs_f64();
        let (sim, sh2) = tokio::task::spawn_blocking(move || {
            // Built apart and swapped in, so the API never waits on the backfill.
            let mut sim = Simulator::new(seed, start);
            let mut engine = Engine::default();
            let mut rules = Rules::new(crate::estate::rule_groups());
            let recent = now() - RECENT.as_secs_f64();
            backfill(&mut sim, &mut engine, &mut rules, &eps, recent, HISTORY_STEP.as_secs_f64());
            backfill(&mut sim, &mut engine, &mut rules, &eps, now(), SCRAPE_INTERVAL.as_secs_f64() * 3.0);
            *sh.rules.lock().unwrap_or_else(|p| p.into_inner()) = rules;
            *sh.engine.write().unwrap_or_else(|p| p.into_inner()) = engine;
            *sh.model.write().unwrap_or_else(|p| p.into_inner()) = Some(sim.model.clone());
            (sim, sh)
        })
        .await
        .expect("backfill task");
        tracing::info!("demo history filled");
        let sim = Arc::new(Mutex::new(sim));
        serve::serve(sim.clone(), bound);
        tokio::spawn(super::rules::run(sh2.clone()));
        let sh3 = sh2.clone();
        tokio::spawn(async move {
            while let Some(c) = control_rx.recv().await {
                let mut s = sim.lock().unwrap_or_else(|p| p.into_inner());
                s.advance_to(now());
                match c {
                    Control::Inject(f) => s.inject(f),
                    Control::EndFaults(t) => s.end_faults(t),
                }
                // Logs and traces follow the same model as the metrics.
                *sh3.model.write().unwrap_or_else(|p| p.into_inner()) = Some(s.model.clone());
            }
        });
        scrape::run(sh2, SCRAPE_INTERVAL, scrape::Limits::DEMO).await;
    });
    Ok(Demo { api, endpoints, shared, control })
}
