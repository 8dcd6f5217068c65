//! The demo: the estate, 30 days of its history, an embedded Prometheus scraping it over loopback, and
//! the API the console talks to — all in this process, no servers needed.
use super::{Shared, Target, api, scrape};
use crate::engine::Engine;
use crate::engine::store::{Labels, NAME};
use crate::estate::Simulator;
use crate::estate::changes::Change;
use crate::estate::control::{self, Control};
use crate::estate::exposition::families;
use crate::estate::serve::{self, Endpoint, now};
use crate::rules::Rules;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(5);
/// How far back the history goes.
pub const HISTORY: Duration = Duration::from_secs(30 * 86_400);
/// The history's resolution, finer towards now: (from how long ago, every). Each chart range needs
/// samples at least as close as its step (two in every rate window), over the whole range: 10 min
/// serves the 24 h and 7 d charts, 2 min the 6 h one (at 10 min it drew only its last hour, the part
/// filled finer), and the last hour is at three scrapes, so current rates and sparklines are right at once.
pub const TIERS: [(Duration, Duration); 3] = [
    (HISTORY, Duration::from_secs(600)),
    (Duration::from_secs(6 * 3600), Duration::from_secs(120)),
    (Duration::from_secs(3600), Duration::from_secs(15)),
];

pub struct Demo {
    /// The embedded Prometheus API, for the console's client.
    pub api: url::Url,
    pub endpoints: Vec<Endpoint>,
    pub shared: Arc<Shared>,
    /// Drills' faults and operators' actions: applied once the history is filled; until then they
    /// wait here. The deploy API (`/estate/v1`, on the same address as `api`) sends here too.
    pub control: mpsc::Sender<Control>,
    /// Operators' actions on the estate, as they happen.
    pub changes: broadcast::Sender<Change>,
    /// True once the history is backfilled: until then the API answers as an empty Prometheus.
    pub filled: tokio::sync::watch::Receiver<bool>,
}

/// The demo's seed when none is given: the same estate every time.
pub const DEFAULT_SEED: u64 = 42;

impl Demo {
    /// Wait, at most `within`, until the history is in; false when it is not by then.
    pub async fn history_in(&self, within: Duration) -> bool {
        let mut filled = self.filled.clone();
        tokio::time::timeout(within, filled.wait_for(|f| *f)).await.is_ok_and(|r| r.is_ok())
    }
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

/// Bind everything now on loopback's free ports (so the console can start at once); fill the history
/// and start serving and scraping in the background.
pub async fn start(seed: u64) -> std::io::Result<Demo> {
    start_on(seed, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// [`start`] at `listen`: the services take consecutive ports from its port and the API the next one
/// (`watchpost estate serve --listen`); port 0 takes free ports for all.
pub async fn start_on(seed: u64, listen: SocketAddr) -> std::io::Result<Demo> {
    start_with(seed, listen, Options::default()).await
}

/// How one of several demo estates differs from the first.
#[derive(Default)]
pub struct Options {
    /// Its history is filled only once this says so (another estate's is in): estates started together
    /// do not share the machine's cores for their backfills, and the first is ready first.
    pub after: Option<tokio::sync::watch::Receiver<bool>>,
    /// What happened to it before (a deploy staging got ahead of production): in its history from the
    /// start.
    pub past: Vec<crate::estate::fault::Fault>,
    /// Its traffic against the topology's (`None`: the same).
    pub load: Option<f64>,
}

/// [`start_on`] with [`Options`].
pub async fn start_with(seed: u64, listen: SocketAddr, options: Options) -> std::io::Result<Demo> {
    let Options { after, past, load } = options;
    let load = load.unwrap_or(1.0);
    let bound = serve::bind(listen).await?;
    let endpoints: Vec<Endpoint> = bound.iter().map(|b| b.0.clone()).collect();
    let shared = Arc::new(Shared::default());
    // Logs and traces are a function of the model alone: they are there before the metrics' backfill.
    // The estate came up now: its seeded deploy history ends a few days before.
    let epoch = now();
    let mut model = crate::estate::Model::new(seed);
    (model.epoch, model.load) = (epoch, load);
    *shared.model.write().unwrap_or_else(|p| p.into_inner()) = Some(model);
    *shared.targets.lock().unwrap_or_else(|p| p.into_inner()) =
        endpoints.iter().map(|e| Target::new(e.service, e.addr)).collect();

    let (control, control_rx) = mpsc::channel(16);
    let (changes, _) = broadcast::channel(64);
    let api_listener = tokio::net::TcpListener::bind(serve::api_addr(listen)).await?;
    let api = url::Url::parse(&format!("http://{}/", api_listener.local_addr()?)).map_err(std::io::Error::other)?;
    let router = api::router(shared.clone()).merge(control::router(control.clone()));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(api_listener, router).await {
            tracing::error!("embedded Prometheus API stopped: {e}");
        }
    });

    let (sh, eps, changes_tx) = (shared.clone(), endpoints.clone(), changes.clone());
    let (filled_tx, filled) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if let Some(mut after) = after {
            let _ = after.wait_for(|f| *f).await;
        }
        let start = now() - HISTORY.as_secs_f64();
        let (sim, sh2) = tokio::task::spawn_blocking(move || {
            // Built apart and swapped in, so the API never waits on the backfill.
            let mut sim = Simulator::new(seed, start);
            (sim.model.epoch, sim.model.load) = (epoch, load);
            for f in past {
                sim.inject(f);
            }
            let mut engine = Engine::default();
            let mut rules = Rules::new(crate::estate::rule_groups());
            for (i, (_, every)) in TIERS.iter().enumerate() {
                let until = TIERS.get(i + 1).map_or_else(now, |(ago, _)| now() - ago.as_secs_f64());
                backfill(&mut sim, &mut engine, &mut rules, &eps, until, every.as_secs_f64());
            }
            *sh.rules.lock().unwrap_or_else(|p| p.into_inner()) = rules;
            *sh.engine.write().unwrap_or_else(|p| p.into_inner()) = engine;
            *sh.model.write().unwrap_or_else(|p| p.into_inner()) = Some(sim.model.clone());
            (sim, sh)
        })
        .await
        .expect("backfill task");
        tracing::info!("demo history filled");
        filled_tx.send_replace(true);
        let sim = Arc::new(Mutex::new(sim));
        serve::serve(sim.clone(), bound);
        tokio::spawn(super::rules::run(sh2.clone()));
        let sh3 = sh2.clone();
        // Logs and traces follow the same model as the metrics.
        let on_model = move |m: &crate::estate::Model| {
            *sh3.model.write().unwrap_or_else(|p| p.into_inner()) = Some(m.clone());
        };
        tokio::spawn(control::run(sim, control_rx, changes_tx, on_model));
        scrape::run(sh2, SCRAPE_INTERVAL, scrape::Limits::DEMO).await;
    });
    Ok(Demo { api, endpoints, shared, control, changes, filled })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every chart range finds at least two samples in each of its rate windows, over the whole range.
    #[test]
    fn the_history_is_fine_enough_for_every_chart_range() {
        assert_eq!(TIERS[0].0, HISTORY);
        assert_eq!(TIERS[2].1, SCRAPE_INTERVAL * 3);
        for (range, name) in crate::app::RANGES {
            let step = crate::sources::prometheus::figures::step_for(range);
            // Tier i fills from `ago` back to where the next one starts: it is charted when that is
            // within the range.
            for (i, (_, every)) in TIERS.iter().enumerate() {
                let ends = TIERS.get(i + 1).map_or(Duration::ZERO, |(ago, _)| *ago);
                if ends < range {
                    assert!(*every <= step, "{name}: samples every {every:?}, charted every {step:?}");
                }
            }
        }
    }
}
