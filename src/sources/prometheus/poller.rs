//! The Prometheus source task: a heartbeat that never drifts or piles up, one in-flight fetch per thing,
//! and owned results sent to the UI loop. Commands from the UI (refresh now, detail, explorer queries)
//! arrive on a channel; nothing here waits on the UI or shares a lock with it.
use super::api::{QueryOutcome, Target};
use super::client::Prometheus;
use super::figures::{self, DetailCharts, ServiceFigures, Sparks};
use crate::config::Service;
use crate::slo::Targets;
use crate::sources::health::SourceHealth;
use crate::text::Clean;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

/// How often the slow lane (SLO-window availability, sparklines) is refreshed at most.
pub const SLOW_LANE: Duration = Duration::from_secs(30);

/// Each service's past maintenance windows, `(start, end)`.
pub type Maintenance = std::collections::BTreeMap<String, Vec<(DateTime<Utc>, DateTime<Utc>)>>;

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    RefreshNow,
    /// The detail of the service of this name.
    Detail {
        service: String,
        range: Duration,
    },
    Query {
        id: u64,
        expr: String,
        range: Option<Duration>,
    },
    /// Incident spans per service over the window, for the KPIs.
    Incidents {
        window: Duration,
    },
    MetricNames,
    LabelNames,
    LabelValues {
        label: String,
    },
    /// Maintenance windows to leave out of each service's availability (for SLOs that allow it).
    Maintenance(Maintenance),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Completion {
    MetricNames,
    LabelNames,
    LabelValues(String),
}

/// What the source sends to the UI: owned snapshots, never references into the source.
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    Health(SourceHealth),
    /// The `[scrape]` fallback's health (while it exists).
    FallbackHealth(SourceHealth),
    /// Reading the fallback since this time (Prometheus's circuit opened), or back on Prometheus.
    Direct(Option<DateTime<Utc>>),
    /// The services found from `up` (discovery mode), when the set changed.
    Services(Vec<Service>),
    /// Keyed by service name: the list can change (discovery) while a fetch is in flight.
    Figures {
        service: String,
        figures: ServiceFigures,
    },
    Sparks {
        service: String,
        sparks: Sparks,
    },
    Detail {
        service: String,
        charts: Result<DetailCharts, Clean>,
        targets: Result<Vec<Target>, Clean>,
    },
    Query {
        id: u64,
        at: DateTime<Utc>,
        outcome: Result<QueryOutcome, Clean>,
    },
    Completions {
        kind: Completion,
        values: Result<Vec<Clean>, Clean>,
    },
    Incidents {
        at: DateTime<Utc>,
        window: Duration,
        spans: Result<Vec<(String, Vec<crate::alerts::kpi::Span>)>, Clean>,
    },
}

pub struct Poller {
    prom: Prometheus,
    /// The embedded engine scraping the `[scrape]` targets, read while Prometheus's circuit is open.
    fallback: Option<Prometheus>,
    direct: bool,
    services: Arc<Vec<Service>>,
    discover: bool,
    defaults: Targets,
    refresh: Duration,
    tx: mpsc::Sender<Update>,
    in_flight: Arc<Mutex<HashSet<(usize, bool)>>>,
    slow_lane_at: Option<Instant>,
    /// Set by a slow-lane fetch that failed, so the next round tries again instead of in 30 s.
    slow_lane_failed: Arc<std::sync::atomic::AtomicBool>,
    /// Each service's maintenance windows to leave out of its availability.
    maintenance: Arc<Maintenance>,
}

impl Poller {
    pub fn new(
        prom: Prometheus,
        services: Vec<Service>,
        discover: bool,
        defaults: Targets,
        refresh: Duration,
        tx: mpsc::Sender<Update>,
    ) -> Self {
        Poller {
            prom,
            fallback: None,
            direct: false,
            services: Arc::new(services),
            discover,
            defaults,
            refresh,
            tx,
            in_flight: Arc::default(),
            slow_lane_at: None,
            slow_lane_failed: Arc::default(),
            maintenance: Arc::default(),
        }
    }

    /// Read `fallback` while Prometheus's circuit is open.
    pub fn with_fallback(mut self, fallback: Prometheus) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// The client figures come from now.
    fn active(&self) -> Prometheus {
        match (&self.fallback, self.direct) {
            (Some(f), true) => f.clone(),
            _ => self.prom.clone(),
        }
    }

    /// Spawn the health forwarders and the heartbeat; returns when the command channel closes.
    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        crate::sources::health::forward(self.prom.http.health(), self.tx.clone(), Update::Health);
        if let Some(f) = &self.fallback {
            crate::sources::health::forward(f.http.health(), self.tx.clone(), Update::FallbackHealth);
        }
        let mut tick = tokio::time::interval(self.refresh);
        // After a stall (laptop lid, SIGSTOP), one tick, not a burst.
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => self.round(false).await,
                cmd = commands.recv() => match cmd {
                    None => break,
                    Some(Command::RefreshNow) => { self.round(true).await; tick.reset(); }
                    Some(Command::Maintenance(m)) => {
                        tracing::info!(services = m.len(), "maintenance windows to leave out of availability");
                        if *self.maintenance != m {
                            self.maintenance = Arc::new(m);
                            self.slow_lane_at = None;
                        }
                    }
                    Some(cmd) => self.spawn_command(cmd),
                },
            }
        }
    }

    /// Switch to the fallback when Prometheus's circuit opens and back when it closes; while on the
    /// fallback, keep offering Prometheus the breaker's probe (it goes when the breaker allows).
    async fn follow_prometheus(&mut self) {
        if self.fallback.is_none() {
            return;
        }
        let h = self.prom.http.health().borrow().clone();
        let down = h.state == crate::sources::SourceState::CircuitOpen;
        if down != self.direct {
            self.direct = down;
            let since = down.then(|| h.failing_since.unwrap_or_else(Utc::now));
            tracing::warn!(
                direct = down,
                "switching figures to {}",
                if down { "the direct scrape" } else { "Prometheus" }
            );
            let _ = self.tx.send(Update::Direct(since)).await;
            // Fresh figures from the new source now, and the slow lane too.
            self.slow_lane_at = None;
        }
        if self.direct {
            let p = self.prom.clone();
            self.spawn_once((usize::MAX, false), async move {
                let _ = p.query("vector(1)", Utc::now()).await;
            });
        }
    }

    async fn round(&mut self, forced: bool) {
        self.follow_prometheus().await;
        if self.discover {
            self.discover_services().await;
        }
        let now = Utc::now();
        let retry = self.slow_lane_failed.swap(false, std::sync::atomic::Ordering::SeqCst);
        let slow = forced || retry || self.slow_lane_at.is_none_or(|t| t.elapsed() >= SLOW_LANE.max(self.refresh));
        if slow {
            self.slow_lane_at = Some(Instant::now());
        }
        for (i, svc) in self.services.iter().enumerate() {
            self.spawn_once((i, false), {
                let (p, s, tx) = (self.active(), svc.clone(), self.tx.clone());
                async move {
                    if let Ok(figures) = figures::poll_figures(&p, &s, now).await {
                        let _ = tx.send(Update::Figures { service: s.name.clone(), figures }).await;
                    }
                }
            });
            if slow {
                self.spawn_once((i, true), {
                    let (p, s, tx) = (self.active(), svc.clone(), self.tx.clone());
                    let failed = self.slow_lane_failed.clone();
                    let maintenance = self.maintenance.get(&svc.name).cloned().unwrap_or_default();
                    async move {
                        match figures::poll_sparks(&p, &s, now, &maintenance).await {
                            Ok(sparks) => {
                                // Nothing at all yet (a server just started): ask again next round.
                                if sparks.availability.is_none() && sparks.rate.is_empty() {
                                    failed.store(true, std::sync::atomic::Ordering::SeqCst);
                                }
                                let _ = tx.send(Update::Sparks { service: s.name.clone(), sparks }).await;
                            }
                            Err(_) => failed.store(true, std::sync::atomic::Ordering::SeqCst),
                        }
                    }
                });
            }
        }
    }

    /// Start `fut` unless the previous fetch for the same key is still running.
    fn spawn_once(&self, key: (usize, bool), fut: impl Future<Output = ()> + Send + 'static) {
        {
            let mut set = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            if !set.insert(key) {
                tracing::debug!(?key, "previous fetch still in flight; skipped");
                return;
            }
        }
        let flights = self.in_flight.clone();
        tokio::spawn(async move {
            fut.await;
            flights.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
        });
    }

    async fn discover_services(&mut self) {
        let Ok(outcome) = self.active().query("count by (job) (up)", Utc::now()).await else { return };
        let mut jobs: Vec<String> =
            outcome.result.series().iter().filter_map(|s| s.label("job").map(str::to_string)).collect();
        jobs.sort();
        let found: Vec<Service> = jobs.iter().map(|j| Service::conventional(j, self.defaults.clone())).collect();
        if found != *self.services {
            self.services = Arc::new(found.clone());
            let _ = self.tx.send(Update::Services(found)).await;
        }
    }

    fn spawn_command(&self, cmd: Command) {
        let (p, tx, services) = (self.active(), self.tx.clone(), self.services.clone());
        tokio::spawn(async move {
            let update = match cmd {
                Command::RefreshNow | Command::Maintenance(_) => return,
                Command::Detail { service, range } => {
                    let Some(svc) = services.iter().find(|s| s.name == service) else { return };
                    let now = Utc::now();
                    let (charts, targets) = tokio::join!(figures::poll_detail(&p, svc, range, now), p.targets());
                    let job = svc.job.clone();
                    Update::Detail {
                        service,
                        charts: charts.map_err(|e| Clean::new(&e.to_string())),
                        targets: targets
                            .map(|t| t.into_iter().filter(|t| t.job.as_str() == job).collect())
                            .map_err(|e| Clean::new(&e.to_string())),
                    }
                }
                Command::Query { id, expr, range } => {
                    let at = Utc::now();
                    let outcome = match range {
                        None => p.query(&expr, at).await,
                        Some(r) => {
                            let start = at - chrono::Duration::from_std(r).unwrap_or_default();
                            p.query_range(&expr, start, at, figures::step_for(r)).await
                        }
                    };
                    Update::Query { id, at, outcome: outcome.map_err(|e| Clean::new(&e.to_string())) }
                }
                Command::Incidents { window } => {
                    let at = Utc::now();
                    let spans = figures::poll_incidents(&p, window, at).await.map_err(|e| Clean::new(&e.to_string()));
                    Update::Incidents { at, window, spans }
                }
                Command::MetricNames => Update::Completions {
                    kind: Completion::MetricNames,
                    values: p.label_values("__name__", None).await.map_err(|e| Clean::new(&e.to_string())),
                },
                Command::LabelNames => Update::Completions {
                    kind: Completion::LabelNames,
                    values: p.label_names().await.map_err(|e| Clean::new(&e.to_string())),
                },
                Command::LabelValues { label } => {
                    let values = p.label_values(&label, None).await.map_err(|e| Clean::new(&e.to_string()));
                    Update::Completions { kind: Completion::LabelValues(label), values }
                }
            };
            let _ = tx.send(update).await;
        });
    }
}
