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

/// How often the sparklines are refreshed at most.
pub const SLOW_LANE: Duration = Duration::from_secs(30);
/// How often the SLO-window availability is asked again once every service has an answer: over 30 days
/// it moves slowly, and it is the dearest query there is.
pub const AVAILABILITY_LANE: Duration = Duration::from_secs(300);
/// How often discovery asks which jobs there are: new jobs are rare, and Prometheus's own service
/// discovery takes seconds to find them.
pub const DISCOVERY_LANE: Duration = Duration::from_secs(15);
/// The first wait before a lane that failed, or found a service with no data yet, is asked again; it
/// doubles (with jitter) up to the lane's own period.
const LANE_RETRY: Duration = Duration::from_secs(5);

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
    /// Every service's figures from one round (one query per figure for the estate).
    Round(Vec<(String, ServiceFigures)>),
    /// Every service's sparklines (their availability is left as it was).
    SparksRound(Vec<(String, Sparks)>),
    /// Every service's availability over its SLO window, and the maintenance left out of it.
    Availability(Vec<(String, figures::Availability)>),
    /// The calendar SLOs' figures (their availability `None` when not asked this time).
    Calendar(Vec<(String, figures::CalendarFigures)>),
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
    /// The round's asks for `services`, planned when they change rather than every round.
    plan: Arc<super::batch::Plan>,
    discover: bool,
    /// The overview's grouping label: discovery reads each job's value of it from `up`.
    group_label: Option<String>,
    defaults: Targets,
    refresh: Duration,
    tx: mpsc::Sender<Update>,
    /// The lanes whose fetch is still running: a round that finds its lane busy sends nothing.
    in_flight: Arc<Mutex<HashSet<&'static str>>>,
    sparks: Lane,
    availability: Lane,
    discovery: Lane,
    /// Calendar SLOs: their burn windows, and their SLO window.
    calendar: Lane,
    calendar_window: Lane,
    /// The detail or explorer query in flight: a newer one supersedes it (it leaves the client's queue).
    detail: Option<tokio::task::JoinHandle<()>>,
    query: Option<tokio::task::JoinHandle<()>>,
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
            plan: Arc::new(super::batch::Plan::new(figures::estate_instant_asks(&services))),
            services: Arc::new(services),
            discover,
            group_label: None,
            defaults,
            refresh,
            tx,
            in_flight: Arc::default(),
            sparks: Lane::new(SLOW_LANE.max(refresh)),
            availability: Lane::new(AVAILABILITY_LANE.max(refresh)),
            discovery: Lane::new(DISCOVERY_LANE.max(refresh)),
            calendar: Lane::new(SLOW_LANE.max(refresh)),
            calendar_window: Lane::new(AVAILABILITY_LANE.max(refresh)),
            detail: None,
            query: None,
            maintenance: Arc::default(),
        }
    }

    /// Discovered services carry their value of `label` (a valid label name, checked by the config).
    pub fn with_group_label(mut self, label: Option<String>) -> Self {
        self.group_label = label;
        self
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
        // A round at once, then on the wall clock's multiples of the refresh, in step with the header's
        // clock (one frame for both) and asking the same evaluation times across refreshes.
        self.round(false).await;
        let first = tokio::time::Instant::from_std(crate::time::next_aligned(self.refresh));
        let mut tick = tokio::time::interval_at(first, self.refresh);
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
                            self.availability.now();
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
            // Fresh figures from the new source now, and the slow lanes too.
            self.discovery.now();
            self.sparks.now();
            self.availability.now();
        }
        if self.direct {
            let p = self.prom.clone();
            self.spawn_once("probe", async move {
                let _ = p.query("vector(1)", Utc::now()).await;
            });
        }
    }

    async fn round(&mut self, forced: bool) {
        self.follow_prometheus().await;
        if forced {
            self.discovery.now();
            self.sparks.now();
            self.availability.now();
            self.calendar.now();
            self.calendar_window.now();
        }
        if self.discover && self.discovery.due() {
            let found = self.discover_services().await;
            self.discovery.done(found);
        }
        let now = Utc::now();
        let names = || self.services.iter().map(|s| s.name.clone());
        self.spawn_once("figures", {
            let (p, services, plan, tx) = (self.active(), self.services.clone(), self.plan.clone(), self.tx.clone());
            let names: Vec<String> = names().collect();
            async move {
                if let Ok(figures) = figures::poll_estate_plan(&p, &services, &plan, now).await {
                    let _ = tx.send(Update::Round(names.into_iter().zip(figures).collect())).await;
                }
            }
        });
        if self.sparks.due() {
            let (p, services, tx, lane) = (self.active(), self.services.clone(), self.tx.clone(), self.sparks.clone());
            let names: Vec<String> = names().collect();
            self.spawn_once("sparks", async move {
                let r = figures::poll_estate_sparks(&p, &services, now).await;
                // A service with nothing yet (a server just started) is asked again soon, with backoff.
                lane.done(r.as_ref().is_ok_and(|v| v.iter().all(|s| !s.rate.is_empty() || !s.up.is_empty())));
                if let Ok(sparks) = r {
                    let _ = tx.send(Update::SparksRound(names.into_iter().zip(sparks).collect())).await;
                }
            });
        }
        let calendars: Vec<Service> = self.services.iter().filter(|s| s.targets.calendar.is_some()).cloned().collect();
        if !calendars.is_empty() && self.calendar.due() {
            let (p, tx, lane, window) =
                (self.active(), self.tx.clone(), self.calendar.clone(), self.calendar_window.clone());
            let whole = window.due();
            self.spawn_once("calendar", async move {
                let r = figures::poll_calendar(&p, &calendars, now, whole).await;
                lane.done(r.is_ok());
                if whole {
                    window.done(r.as_ref().is_ok_and(|v| v.iter().all(|c| c.availability.is_some())));
                }
                if let Ok(values) = r {
                    let names = calendars.iter().map(|s| s.name.clone());
                    let _ = tx.send(Update::Calendar(names.zip(values).collect())).await;
                }
            });
        }
        if self.availability.due() {
            let (p, services, tx, lane) =
                (self.active(), self.services.clone(), self.tx.clone(), self.availability.clone());
            let maintenance = self.maintenance.clone();
            let names: Vec<String> = names().collect();
            self.spawn_once("availability", async move {
                let r = figures::poll_estate_availability(&p, &services, now, &maintenance).await;
                lane.done(r.as_ref().is_ok_and(|v| v.iter().all(|(a, _)| a.is_some())));
                if let Ok(values) = r {
                    let _ = tx.send(Update::Availability(names.into_iter().zip(values).collect())).await;
                }
            });
        }
    }

    /// Start `fut` unless the previous fetch for the same key is still running.
    fn spawn_once(&self, key: &'static str, fut: impl Future<Output = ()> + Send + 'static) {
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

    /// Whether Prometheus answered (a failed ask is retried sooner).
    async fn discover_services(&mut self) -> bool {
        // The grouping label rides on the same query: one per round whatever the estate's size.
        let query = match &self.group_label {
            Some(l) => format!("count by (job, {l}) (up)"),
            None => "count by (job) (up)".to_string(),
        };
        let Ok(outcome) = self.active().query(&query, Utc::now()).await else { return false };
        let mut jobs: std::collections::BTreeMap<String, Option<String>> = Default::default();
        for s in outcome.result.series() {
            let Some(job) = s.label("job") else { continue };
            let value = self.group_label.as_deref().and_then(|l| s.label(l)).map(str::to_string);
            let slot = jobs.entry(job.to_string()).or_default();
            // A job whose targets disagree keeps the first value, alphabetically, so it does not flicker.
            if let Some(v) = value
                && slot.as_ref().is_none_or(|o| v < *o)
            {
                *slot = Some(v);
            }
        }
        let found: Vec<Service> = jobs
            .iter()
            .map(|(j, v)| {
                let mut s = Service::conventional(j, self.defaults.clone());
                if let (Some(l), Some(v)) = (&self.group_label, v) {
                    s.labels.insert(l.clone(), v.clone());
                }
                s
            })
            .collect();
        if found != *self.services {
            // The new services' sparklines and availability come now, not a lane's period later.
            self.sparks.now();
            self.availability.now();
            self.plan = Arc::new(super::batch::Plan::new(figures::estate_instant_asks(&found)));
            self.services = Arc::new(found.clone());
            let _ = self.tx.send(Update::Services(found)).await;
        }
        true
    }

    /// A newer detail or explorer query supersedes the one before: its requests leave the queue.
    fn spawn_command(&mut self, cmd: Command) {
        let detail = matches!(cmd, Command::Detail { .. });
        let superseding = detail || matches!(cmd, Command::Query { .. });
        let handle = self.spawn_fetch(cmd);
        if superseding {
            let slot = if detail { &mut self.detail } else { &mut self.query };
            if let Some(old) = slot.replace(handle) {
                old.abort();
            }
        }
    }

    fn spawn_fetch(&self, cmd: Command) -> tokio::task::JoinHandle<()> {
        let (p, tx, services) = (self.active(), self.tx.clone(), self.services.clone());
        tokio::spawn(async move {
            let update = match cmd {
                Command::RefreshNow | Command::Maintenance(_) => return,
                Command::Detail { service, range } => {
                    let Some(svc) = services.iter().find(|s| s.name == service) else { return };
                    // Aligned to the step, so every console asks the same, cacheable range.
                    let now = figures::aligned(Utc::now(), range, figures::step_for(range)).1;
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
                            let (start, end) = figures::aligned(at, r, figures::step_for(r));
                            p.query_range(&expr, start, end, figures::step_for(r)).await
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
        })
    }
}

/// When a slow lane is next due: its period after an answer that covered every service, sooner (from
/// [`LANE_RETRY`], doubling, with jitter) after one that failed or left a service without data.
#[derive(Clone)]
struct Lane {
    period: Duration,
    state: Arc<Mutex<(Option<Instant>, u32)>>,
}

impl Lane {
    fn new(period: Duration) -> Self {
        Lane { period, state: Arc::new(Mutex::new((None, 0))) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<Instant>, u32)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Due now: asked in this round.
    fn due(&self) -> bool {
        self.lock().0.is_none_or(|at| Instant::now() >= at)
    }

    /// Ask in the next round whatever the schedule says.
    fn now(&self) {
        let mut s = self.lock();
        *s = (None, 0);
    }

    fn done(&self, complete: bool) {
        let mut s = self.lock();
        let wait = if complete {
            s.1 = 0;
            self.period
        } else {
            s.1 = (s.1 + 1).min(16);
            let backoff = LANE_RETRY.saturating_mul(1 << (s.1 - 1).min(10)).min(self.period);
            backoff.mul_f64(rand::Rng::random_range(&mut rand::rng(), 0.8..1.2))
        };
        s.0 = Some(Instant::now() + wait);
    }
}
