//! What the Environments screen and a service across environments show: each environment's summary (its
//! own task's), and for the one open in the console the console's own figures, so that row is as
//! current as the overview.
use crate::app::App;
use crate::app::service_view::ServiceView;
use crate::deploy::Version;
use crate::sources::environment::Summary;
use crate::sources::prometheus::Sparks;
use crate::text::Clean;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct EnvironmentsView {
    /// The environments not open, by name, as their tasks last saw them.
    pub summaries: BTreeMap<String, Summary>,
    pub selected: usize,
    /// A service's deploy history in each environment, asked when the service is looked at across
    /// them: (environment, service) → its versions, or why not.
    pub history: BTreeMap<(String, String), Result<Vec<Version>, Clean>>,
    /// The service looked at across environments.
    pub service: Option<String>,
    /// Its deploy history, to be asked of every environment, and the ask's number (answers to older
    /// asks are not taken).
    pub ask_history: Option<(String, u64)>,
    pub history_seq: u64,
}

/// How a service is doing, for counting an environment's services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Healthy,
    /// Some targets down, its budget burning fast enough to page, errors over its objective or p95 over
    /// its target.
    Degraded,
    /// Every target down.
    Down,
    /// Nothing measured yet.
    Unknown,
}

pub fn health(v: &ServiceView) -> Health {
    let Some(f) = v.figures.as_ref().filter(|_| v.has_data()) else { return Health::Unknown };
    match f.up {
        Some((0, n)) if n > 0 => return Health::Down,
        Some((u, n)) if u < n => return Health::Degraded,
        _ => {}
    }
    let slow = f.p95.is_some_and(|p| p > v.service.targets.latency_p95.as_secs_f64());
    if crate::screens::overview::state::in_trouble(v) || slow { Health::Degraded } else { Health::Healthy }
}

/// One environment as its row shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvRow {
    pub name: String,
    /// Open in the console now.
    pub here: bool,
    /// When its figures were read (`None`: not yet).
    pub at: Option<DateTime<Utc>>,
    /// Why its Prometheus did not answer, as it said.
    pub error: Option<Clean>,
    pub healthy: usize,
    pub degraded: usize,
    pub down: usize,
    pub unknown: usize,
    /// Firing alerts by severity, most first (`None`: no Alertmanager, or not asked yet).
    pub firing: Option<Vec<(Clean, usize)>>,
    pub alerts_error: Option<Clean>,
    /// The service burning its budget fastest over the last hour, and how fast.
    pub worst_burn: Option<(String, f64)>,
    /// Deploys under way (`None`: its providers cannot say), and why some could not be asked.
    pub deploying: Option<Vec<crate::deploy::progress::InProgress>>,
    pub deploy_errors: Vec<Clean>,
}

/// The services of a summary as the screens see them: the summary's figures and availability on each.
pub fn views(s: &Summary) -> Vec<ServiceView> {
    (0..s.services.len()).map(|i| view(s, i)).collect()
}

/// Service `i` of a summary as the screens see it.
fn view(s: &Summary, i: usize) -> ServiceView {
    let svc = &s.services[i];
    let mut v = ServiceView::new(svc.clone());
    v.figures = s.figures.get(i).cloned();
    let availability = s.availability.get(i).copied().flatten();
    v.sparks = Some(Sparks { at: s.at.unwrap_or_default(), availability, ..Sparks::default() });
    v.calendar = s.calendar.get(&svc.name).cloned();
    v
}

fn row(name: &str, here: bool, views: &[ServiceView], at: Option<DateTime<Utc>>, error: Option<Clean>) -> EnvRow {
    let mut r = EnvRow {
        name: name.to_string(),
        here,
        at,
        error,
        healthy: 0,
        degraded: 0,
        down: 0,
        unknown: 0,
        firing: None,
        alerts_error: None,
        worst_burn: None,
        deploying: None,
        deploy_errors: Vec::new(),
    };
    for v in views {
        match health(v) {
            Health::Healthy => r.healthy += 1,
            Health::Degraded => r.degraded += 1,
            Health::Down => r.down += 1,
            Health::Unknown => r.unknown += 1,
        }
        if let Some(b) = v.burn().h1
            && r.worst_burn.as_ref().is_none_or(|(_, w)| b > *w)
        {
            r.worst_burn = Some((v.service.name.clone(), b));
        }
    }
    r
}

impl App {
    pub fn on_environment(&mut self, name: String, s: Summary) {
        self.dirty = true;
        for (service, (seq, h)) in &s.history {
            if *seq == self.envs.history_seq {
                self.envs.history.insert((name.clone(), service.clone()), h.clone());
            }
        }
        self.envs.summaries.insert(name, s);
    }

    /// Look at the selected service across environments: its deploy history is asked of each.
    pub fn open_across(&mut self) {
        let Some(v) = self.services.get(self.selected) else { return };
        let name = v.service.name.clone();
        self.envs.history.retain(|(_, s), _| *s != name);
        self.envs.service = Some(name.clone());
        self.envs.history_seq += 1;
        self.envs.ask_history = Some((name, self.envs.history_seq));
        self.go(crate::app::Screen::Across, true);
    }

    /// Enter on an environment: open it (the overview there), or the overview here if it is this one.
    pub fn open_environment(&mut self, i: usize, screen: crate::app::Screen) {
        let Some(name) = self.environments.get(i).cloned() else { return };
        if self.environment.as_ref().is_some_and(|e| e.name == name) {
            self.go(screen, true);
            return;
        }
        if self.leaving().is_empty() {
            self.screen = screen;
            self.switch_to = Some(name);
        } else {
            self.ask_switch_to(i);
        }
    }

    /// Every environment's row, in the config's order: the open one from the console's own figures.
    pub fn environment_rows(&self) -> Vec<EnvRow> {
        let here = self.environment.as_ref().map(|e| e.name.as_str());
        self.environments
            .iter()
            .map(|name| {
                if Some(name.as_str()) == here {
                    let error = self.source.last_error.clone().filter(|_| self.source_down());
                    let mut r = row(name, true, &self.services, self.last_update, error);
                    if self.alerts.configured {
                        r.firing = Some(crate::alerts::model::firing_by_severity(&self.alerts.alerts));
                    }
                    if let Some(s) = self.envs.summaries.get(name) {
                        (r.deploying, r.deploy_errors) = (s.deploying.clone(), s.deploy_errors.clone());
                    }
                    // A rollback running from this console is a deploy under way here.
                    if let Some(rb) =
                        self.rollback.as_ref().filter(|r| r.phase == crate::screens::rollback::state::Phase::Running)
                    {
                        let d = r.deploying.get_or_insert_with(Vec::new);
                        if !d.iter().any(|x| x.service == rb.service) {
                            let why = "a rollback from this console".to_string();
                            d.push(crate::deploy::progress::InProgress { service: rb.service.clone(), why });
                        }
                    }
                    return r;
                }
                match self.envs.summaries.get(name) {
                    None => row(name, false, &[], None, None),
                    Some(s) => {
                        let mut r = row(name, false, &views(s), s.at, s.prometheus_error.clone());
                        (r.firing, r.alerts_error) = (s.firing.clone(), s.alerts_error.clone());
                        (r.deploying, r.deploy_errors) = (s.deploying.clone(), s.deploy_errors.clone());
                        r
                    }
                }
            })
            .collect()
    }

    /// The service `name` in every environment: its view there (figures, availability and that
    /// environment's objectives), or `None` where the environment has no such service or has not been
    /// read yet.
    pub fn across(&self, name: &str) -> Vec<(String, bool, Option<ServiceView>)> {
        let here = self.environment.as_ref().map(|e| e.name.as_str());
        self.environments
            .iter()
            .map(|env| {
                let open = Some(env.as_str()) == here;
                let v = if open {
                    self.services.iter().find(|v| v.service.name == name).cloned()
                } else {
                    let s = self.envs.summaries.get(env);
                    s.and_then(|s| s.services.iter().position(|x| x.name == name).map(|i| view(s, i)))
                };
                (env.clone(), open, v)
            })
            .collect()
    }
}
