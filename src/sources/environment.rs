//! Every environment's summary, for the screen that shows them all and a service across them: one task
//! per environment with its own bounded clients, so an environment that is down (its Prometheus not
//! answering, its Alertmanager timing out) never slows the others. A round is one combined request for
//! every service's figures (as the overview's), the SLO window's availability on a slower lane, and the
//! firing alerts; the environment open in the console is not asked twice (its poller rests, the console
//! has the figures).
use super::alertmanager::Alertmanager;
use super::http::FetchError;
use super::prometheus::{Prometheus, ServiceFigures, batch, figures};
use crate::config::{Config, Service};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often an environment not open is asked: a glance, not a watch.
pub const EVERY: Duration = Duration::from_secs(15);
/// How often its SLO window's availability (the costly query), its list of jobs and its deploys under
/// way are asked.
pub const SLOW: Duration = Duration::from_secs(60);
/// How long the ask for deploys under way may take (one `kubectl get deployments` for a cluster).
const DEPLOY_TIMEOUT: Duration = Duration::from_secs(20);

/// What one environment looks like now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// When its figures were read.
    pub at: Option<DateTime<Utc>>,
    /// Its services (the config's, or found from `up`), with their figures, in one order.
    pub services: Vec<Service>,
    pub figures: Vec<ServiceFigures>,
    /// Each service's availability over its SLO window.
    pub availability: Vec<Option<f64>>,
    /// Why its Prometheus did not answer (the server's or the network's words).
    pub prometheus_error: Option<Clean>,
    /// Firing alerts (active: not silenced or inhibited) by severity, most first; `None`: no
    /// Alertmanager configured.
    pub firing: Option<Vec<(Clean, usize)>>,
    pub alerts_error: Option<Clean>,
    /// The calendar SLOs' figures (business hours), by service.
    pub calendar: std::collections::BTreeMap<String, figures::CalendarFigures>,
    /// Deploys under way (`None`: none of its deploy providers can say so in one ask), and the asks
    /// that failed.
    pub deploying: Option<Vec<crate::deploy::progress::InProgress>>,
    pub deploy_errors: Vec<Clean>,
    /// Deploy histories asked for (a service looked at across environments), by service: its
    /// versions, or why not.
    /// The ask's number rides with its answer: an older answer is told from the one asked for now.
    pub history: std::collections::BTreeMap<String, (u64, Result<Vec<crate::deploy::Version>, Clean>)>,
}

/// One environment's task, as the console holds it.
pub struct Handle {
    pub name: String,
    /// Set while the console has it open: its rounds rest.
    pub resting: Arc<AtomicBool>,
    /// Ask it for a service's deploy history (the ask's number comes back with it).
    pub history: mpsc::Sender<(String, u64)>,
    /// A round now: it has stopped resting (the console left it), and its row should be current at once.
    pub wake: Arc<tokio::sync::Notify>,
}

/// The summaries' channel: each environment's, by name, as it changes.
pub type Summaries = mpsc::Receiver<(String, Box<Summary>)>;

/// Start a summary task for each environment, each asking every [`EVERY`].
pub fn spawn(envs: &[Config]) -> (Summaries, Vec<Handle>) {
    spawn_every(envs, EVERY, SLOW)
}

/// [`spawn`] with other intervals (a test's seconds).
pub fn spawn_every(envs: &[Config], every: Duration, slow: Duration) -> (Summaries, Vec<Handle>) {
    let (tx, rx) = mpsc::channel(16);
    let mut handles = Vec::new();
    for c in envs {
        let Some(name) = c.environment.as_ref().map(|e| e.name.clone()) else { continue };
        let resting = Arc::new(AtomicBool::new(false));
        let (history, asks) = mpsc::channel(4);
        let wake = Arc::new(tokio::sync::Notify::new());
        handles.push(Handle { name: name.clone(), resting: resting.clone(), history, wake: wake.clone() });
        tokio::spawn(run(name, c.clone(), (resting, wake), asks, tx.clone(), (every, slow)));
    }
    (rx, handles)
}

async fn run(
    name: String,
    config: Config,
    (resting, wake): (Arc<AtomicBool>, Arc<tokio::sync::Notify>),
    mut asks: mpsc::Receiver<(String, u64)>,
    tx: mpsc::Sender<(String, Box<Summary>)>,
    (every, slow_every): (Duration, Duration),
) {
    let prometheus = config.prometheus.as_ref().and_then(|s| Prometheus::new(s).ok());
    let alertmanagers: Vec<Alertmanager> =
        config.alertmanagers.iter().filter_map(|s| Alertmanager::new(s).ok()).collect();
    let mut s = Summary { services: config.services.clone(), ..Summary::default() };
    let mut plan = batch::Plan::new(figures::estate_instant_asks(&s.services));
    let mut slow_at: Option<tokio::time::Instant> = None;
    let counts_deploys = crate::deploy::progress::can_say(&config.changes.deploy);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            // Its slow lane too: the availability the console had is not the summary's.
            _ = wake.notified() => slow_at = None,
            Some((service, seq)) = asks.recv() => {
                let answer = match config.changes.deploy.get(&service) {
                    None => Err(Clean::new("no deploy provider for it here")),
                    Some(p) => p.history().await.map_err(|e| Clean::new(&e)),
                };
                s.history.insert(service, (seq, answer));
                if tx.send((name.clone(), Box::new(s.clone()))).await.is_err() {
                    return;
                }
                continue;
            }
        }
        if tx.is_closed() {
            return;
        }
        let now = Utc::now();
        let slow = slow_at.is_none_or(|at| at.elapsed() >= slow_every);
        // Deploys under way are asked even of the open environment (the console does not ask them).
        if slow && counts_deploys {
            let (found, failed) = crate::deploy::progress::in_progress(&config.changes.deploy, DEPLOY_TIMEOUT).await;
            s.deploying = Some(found);
            s.deploy_errors = failed.iter().map(|e| Clean::new(e)).collect();
        }
        if resting.load(Ordering::Relaxed) {
            if slow {
                slow_at = Some(tokio::time::Instant::now());
                if counts_deploys && tx.send((name.clone(), Box::new(s.clone()))).await.is_err() {
                    return;
                }
            }
            continue;
        }
        if let Some(p) = &prometheus {
            if slow
                && config.discover
                && let Some(found) = discover(p, &config).await
                && found != s.services
            {
                s.services = found;
                plan = batch::Plan::new(figures::estate_instant_asks(&s.services));
            }
            match figures::poll_estate_plan(p, &s.services, &plan, now).await {
                Ok(f) => (s.figures, s.prometheus_error, s.at) = (f, None, Some(now)),
                Err(e) => s.prometheus_error = Some(Clean::new(&e.to_string())),
            }
            if slow && s.prometheus_error.is_none() {
                s.availability = availability(p, &s.services, now).await;
                let calendars: Vec<Service> =
                    s.services.iter().filter(|s| s.targets.calendar.is_some()).cloned().collect();
                if !calendars.is_empty()
                    && let Ok(values) = figures::poll_calendar(p, &calendars, now, true).await
                {
                    s.calendar = calendars.iter().map(|c| c.name.clone()).zip(values).collect();
                }
            }
        } else {
            s.prometheus_error = Some(Clean::new("no Prometheus configured"));
        }
        // The slow lane is done once it brought something: a Prometheus whose history is not in yet (a
        // demo estate still filling) is asked again next round, not a minute later.
        let brought = s.availability.iter().any(Option::is_some)
            || s.calendar.values().any(|c| c.availability.is_some())
            || s.services.is_empty();
        if slow && brought {
            slow_at = Some(tokio::time::Instant::now());
        }
        if !alertmanagers.is_empty() {
            match firing(&alertmanagers).await {
                Ok(f) => (s.firing, s.alerts_error) = (Some(f), None),
                Err(e) => s.alerts_error = Some(Clean::new(&e.to_string())),
            }
        }
        if tx.send((name.clone(), Box::new(s.clone()))).await.is_err() {
            return;
        }
    }
}

/// Its services found from `up`, one per job, as the overview finds them.
async fn discover(p: &Prometheus, config: &Config) -> Option<Vec<Service>> {
    let outcome = p.query("count by (job) (up)", Utc::now()).await.ok()?;
    let mut jobs: Vec<String> =
        outcome.result.series().iter().filter_map(|s| s.label("job").map(str::to_string)).collect();
    jobs.sort();
    jobs.dedup();
    Some(jobs.iter().map(|j| Service::conventional(j, config.slo_defaults.clone())).collect())
}

/// Each service's availability over its SLO window, asked as the overview asks it (one query for all
/// services of the conventional shape; maintenance windows are the open environment's business).
async fn availability(p: &Prometheus, services: &[Service], at: DateTime<Utc>) -> Vec<Option<f64>> {
    let none = super::prometheus::poller::Maintenance::default();
    match figures::poll_estate_availability(p, services, at, &none).await {
        Ok(v) => v.into_iter().map(|(a, _)| a).collect(),
        Err(_) => vec![None; services.len()],
    }
}

/// Active alerts by severity, most first, over every Alertmanager (an HA pair's once).
async fn firing(servers: &[Alertmanager]) -> Result<Vec<(Clean, usize)>, FetchError> {
    let mut per_server = Vec::new();
    let mut last_err = None;
    for a in servers {
        match a.alerts().await {
            Ok(list) => per_server.push((list, Vec::new())),
            Err(e) => last_err = Some(e),
        }
    }
    if let (true, Some(e)) = (per_server.is_empty(), last_err) {
        return Err(e);
    }
    // An HA pair's alerts once, as the Alerts screen merges them.
    let (alerts, _) = super::alertmanager::poller::merge(per_server);
    Ok(crate::alerts::model::firing_by_severity(&alerts))
}
