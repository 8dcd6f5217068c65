//! Everything the screens show, and nothing that does I/O: the loop feeds it events and source updates,
//! and takes from it the commands to send and whether a redraw is due.
use super::keymap::KeyMap;
use super::screen::{RANGES, Screen};
use super::service_view::ServiceView;
use crate::config::Config;
use crate::screens::explorer::state::Explorer;
use crate::sources::SourceHealth;
use crate::sources::prometheus::Command;
use crate::ui::theme::Theme;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long a passing notice stays when no key is pressed.
pub const NOTICE_FADES: Duration = Duration::from_secs(6);

/// A line in the footer about what was just done. It shows on the screen it came from, until the next
/// key; a passing one also fades after [`NOTICE_FADES`], while a problem stays to be read.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub screen: Screen,
    /// When it fades (none: a problem, kept until a key).
    pub fades: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct App {
    pub estate: String,
    /// The environment watched (`None`: the config names none), and every one it names.
    pub environment: Option<crate::config::environment::Environment>,
    pub environments: Vec<String>,
    /// Every action refused (the environment is read-only, or `--readonly`).
    pub read_only: bool,
    /// The environment asked for (`E`): the console leaves this one and opens it, keeping the screen
    /// and the selected service.
    pub switch_to: Option<String>,
    /// Every environment's summary, for the Environments screen and a service across them.
    pub envs: crate::screens::environments::state::EnvironmentsView,
    pub demo: bool,
    /// The built-in estate's address (the demo's): runbooks run as drills against its deploy API.
    pub estate_api: Option<url::Url>,
    /// What operators did to the built-in estate lately (newest last, bounded).
    pub estate_changes: std::collections::VecDeque<crate::estate::changes::Change>,
    pub theme: Theme,
    pub keys: KeyMap,
    pub refresh: Duration,
    pub now: DateTime<Utc>,
    /// False when nothing is configured to watch: the first-run screen.
    pub has_source: bool,
    pub source: SourceHealth,
    /// Prometheus's circuit is open and the `[scrape]` fallback is being read: since when.
    pub direct_since: Option<DateTime<Utc>>,
    /// The fallback's own health while it is in use.
    pub fallback: Option<SourceHealth>,
    /// The newest update from the source (any kind).
    pub last_update: Option<DateTime<Utc>>,
    pub services: Vec<ServiceView>,
    /// The selected service (an index into `services`, whatever the overview's order).
    pub selected: usize,
    /// The overview's filter, order and grouping.
    pub overview: crate::screens::overview::state::OverviewView,
    pub screen: Screen,
    /// Where Esc goes back to.
    pub nav: Vec<Screen>,
    pub range: usize,
    pub help: bool,
    /// The command palette, while open.
    pub palette: Option<super::palette::Palette>,
    /// A question before something running is killed (quit, abort), while asked.
    pub confirm: Option<super::confirm::Confirm>,
    /// Lines the help popup is scrolled by.
    pub help_scroll: usize,
    pub target_scroll: usize,
    pub explorer: Explorer,
    pub drills: crate::screens::drills::state::Drills,
    pub alerts: crate::screens::alerts::state::AlertsView,
    pub kpis: crate::screens::kpis::state::KpiView,
    pub incidents: crate::screens::incidents::state::IncidentsView,
    pub logs: crate::screens::logs::state::LogsView,
    pub traces: crate::screens::traces::state::TracesView,
    pub audit: crate::screens::audit::state::AuditView,
    pub runbooks: crate::screens::runbooks::state::RunbooksView,
    /// The rollback in progress (or the last one), on the Rollback screen.
    pub rollback: Option<crate::screens::rollback::state::RollbackView>,
    pub(crate) rollback_commands: Vec<crate::ops::rollback_tasks::RollbackCommand>,
    /// Each service's deploy provider, the rollback watch's settings, change freezes.
    pub deploy: std::collections::BTreeMap<String, crate::deploy::Provider>,
    pub rollback_settings: crate::config::changes::RollbackSettings,
    pub freezes: Vec<crate::config::changes::Freeze>,
    /// A one-line message on the screen where something was just done (or why a key did nothing).
    pub notice: Option<Notice>,
    pub changes: crate::screens::changes::state::ChangesView,
    pub(crate) dirty: bool,
    /// When the last frame drawn goes out of date with time alone (`ui::when`); `None`: it does not.
    redraw_at: Option<DateTime<Utc>>,
    /// How fresh the data was as last drawn, or at the last tick (see [`App::freshness`]).
    freshness: u64,
    pub quit: bool,
    pub(crate) commands: Vec<Command>,
}

impl App {
    pub fn new(config: &Config, now: DateTime<Utc>) -> Self {
        App {
            estate: config.estate.clone(),
            environment: config.environment.clone(),
            environments: config.environments.clone(),
            read_only: config.read_only,
            switch_to: None,
            envs: Default::default(),
            demo: config.demo,
            estate_api: config.prometheus.as_ref().filter(|_| config.demo).map(|p| p.url.clone()),
            estate_changes: Default::default(),
            theme: Theme::from(&config.theme),
            keys: KeyMap::with_overrides(&config.keys),
            refresh: config.refresh,
            now,
            has_source: config.prometheus.is_some(),
            source: SourceHealth::new(config.prometheus.as_ref().map_or("prometheus", |p| p.name.as_str())),
            direct_since: None,
            fallback: None,
            last_update: None,
            services: config.services.iter().cloned().map(ServiceView::new).collect(),
            selected: 0,
            overview: crate::screens::overview::state::OverviewView {
                // The demo starts in the estate's call order (its drills describe rows that way); `b`
                // groups it by team.
                grouped: config.overview.group_by.is_some() && !config.demo,
                ..crate::screens::overview::state::OverviewView::new(
                    config.overview.group_by.clone(),
                    config.overview.sort,
                )
            },
            // Alertmanager alone (no Prometheus): the alerts are what there is to watch.
            screen: if config.prometheus.is_none() && !config.alertmanagers.is_empty() {
                Screen::Alerts
            } else if config.prometheus.is_none() && (config.pagerduty.is_some() || config.opsgenie.is_some()) {
                Screen::Incidents
            } else if config.prometheus.is_none() && config.logs.is_some() {
                Screen::Logs
            } else if config.prometheus.is_none() && config.traces.is_some() {
                Screen::Traces
            } else {
                Screen::Overview
            },
            nav: Vec::new(),
            range: 1,
            help: false,
            palette: None,
            confirm: None,
            help_scroll: 0,
            target_scroll: 0,
            explorer: Explorer::default(),
            drills: crate::screens::drills::state::Drills { scenarios: config.drills.clone(), ..Default::default() },
            kpis: crate::screens::kpis::state::KpiView::default(),
            incidents: crate::screens::incidents::state::IncidentsView {
                configured: config.pagerduty.is_some() || config.opsgenie.is_some(),
                ..Default::default()
            },
            alerts: crate::screens::alerts::state::AlertsView {
                configured: !config.alertmanagers.is_empty(),
                group_by: config.alerts.group_by.clone(),
                bell_enabled: config.alerts.bell,
                author: config.alerts.author.clone(),
                silence_duration: config.alerts.silence_duration,
                ..Default::default()
            },
            logs: crate::screens::logs::state::LogsView {
                source: config.logs.clone(),
                buffer: crate::logs::LogBuffer::new(config.log_view.buffer),
                copy_enabled: config.log_view.copy,
                ..Default::default()
            },
            traces: crate::screens::traces::state::TracesView {
                configured: config.traces.is_some(),
                store: config.traces.as_ref().map(|t| t.source.name.clone()).unwrap_or_default(),
                ..Default::default()
            },
            audit: crate::screens::audit::state::AuditView { path: config.audit_path.clone(), ..Default::default() },
            rollback: None,
            rollback_commands: Vec::new(),
            deploy: config.changes.deploy.clone(),
            rollback_settings: config.changes.rollback,
            freezes: config.changes.freezes.clone(),
            notice: None,
            changes: Default::default(),
            runbooks: crate::screens::runbooks::state::RunbooksView {
                journal_dir: crate::runbooks::journal::dir(),
                ..Default::default()
            },
            dirty: true,
            redraw_at: None,
            freshness: 0,
            quit: false,
            commands: Vec::new(),
        }
    }

    /// Whether the figures being read come from a source that is down (so they are marked stale): the
    /// fallback while it is in use, else Prometheus.
    pub fn source_down(&self) -> bool {
        match (&self.direct_since, &self.fallback) {
            (Some(_), Some(f)) => f.is_down(),
            (Some(_), None) => false,
            (None, _) => self.source.is_down(),
        }
    }

    pub fn range(&self) -> Duration {
        RANGES[self.range].0
    }

    pub fn range_label(&self) -> &'static str {
        RANGES[self.range].1
    }

    pub fn selected_service(&self) -> Option<&ServiceView> {
        self.services.get(self.selected)
    }

    /// A frame was drawn: `redraw_at` is when it goes out of date with time alone (`ui::when::next`).
    pub fn drawn(&mut self, redraw_at: Option<DateTime<Utc>>) {
        self.redraw_at = redraw_at;
        self.freshness = self.freshness(self.now);
    }

    /// Whether the next loop turn must draw; clears the flag.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.commands)
    }

    /// Say `text` on this screen for a few seconds.
    pub fn tell(&mut self, text: impl Into<String>) {
        let fades = self.now + chrono::Duration::from_std(NOTICE_FADES).unwrap_or_default();
        self.notice = Some(Notice { text: text.into(), screen: self.screen, fades: Some(fades) });
        self.dirty = true;
    }

    /// Say a problem on this screen, kept until a key is pressed.
    pub fn report(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), screen: self.screen, fades: None });
        self.dirty = true;
    }

    /// The notice for the screen showing, if any.
    pub fn notice_here(&self) -> Option<&str> {
        self.notice.as_ref().filter(|n| n.screen == self.screen).map(|n| n.text.as_str())
    }

    /// The clock advanced: a redraw when the last frame's time-derived text or the data's freshness has
    /// changed. An open detail screen asks for fresh charts once a refresh interval (at least 10 s apart).
    pub fn on_tick(&mut self, now: DateTime<Utc>) {
        // Time alone changes the view only where the last frame said it would (an age, a countdown, the
        // clock's minute): an idle console draws nothing between changes.
        if self.redraw_at.is_some_and(|at| now >= at) {
            self.dirty = true;
        }
        // Data that stops being fresh, or turns stale, changes how it is drawn: the rounds move its time
        // on without redrawing, so it is watched here rather than noted by the last frame.
        let freshness = self.freshness(now);
        if freshness != self.freshness {
            self.freshness = freshness;
            self.dirty = true;
        }
        self.now = now;
        if self.notice.as_ref().and_then(|n| n.fades).is_some_and(|at| now >= at) {
            self.notice = None;
            self.dirty = true;
        }
        self.tick_drill(now);
        if self.screen == Screen::Kpis && self.kpis.due(now) {
            self.request_kpis();
        }
        if self.detail_on_screen() {
            let every = chrono::Duration::from_std(self.refresh.max(Duration::from_secs(10))).unwrap_or_default();
            let due = self
                .selected_service()
                .is_some_and(|v| !v.detail.loading && v.detail.requested_at.is_none_or(|at| now - at >= every));
            if due {
                self.request_detail();
            }
        }
    }

    /// The audit trail could not record an action, so it was not done: say so where it was asked for.
    /// Open where the last environment was left: its screen, and its service selected when this one has
    /// it (else the overview, for a screen about that service).
    pub fn resume(&mut self, at: &super::event_loop::Resume) {
        let found = at.service.as_ref().and_then(|s| self.services.iter().position(|v| v.service.name == *s));
        if let Some(i) = found {
            self.selected = i;
        }
        if let Some(screen) = at.screen {
            let about_service = matches!(screen, Screen::Detail | Screen::Logs | Screen::Traces | Screen::Rollback);
            self.screen = if about_service && found.is_none() { Screen::Overview } else { screen };
        }
    }

    /// Who acts from this console, and in which environment: what the audit trail records.
    pub fn who(&self) -> crate::ops::who::Who {
        crate::ops::who::Who::current().in_environment(self.environment.as_ref())
    }

    /// Why an action is not done here, when every action is refused: the environment, or `--readonly`.
    pub fn read_only_refusal(&self, action: &str) -> Option<String> {
        self.read_only.then(|| match &self.environment {
            Some(e) => format!("Not done ({action}): {} is read-only.", e.name),
            None => format!("Not done ({action}): the console is read-only (--readonly)."),
        })
    }

    /// What is typed to confirm a destructive action on `service`: its name, and in production the
    /// environment's before it (`production/checkout`), so no one confirms in the wrong one by habit.
    pub fn confirm_word(&self, service: &str) -> String {
        match self.environment.as_ref().filter(|e| e.is_production()) {
            Some(e) => format!("{}/{service}", e.name),
            None => service.to_string(),
        }
    }

    /// Where an action happens, for its confirmation: ` in production`, or nothing without environments.
    pub fn in_environment(&self) -> String {
        self.environment.as_ref().map_or(String::new(), |e| format!(" in {}", crate::text::capped(&e.name, 24)))
    }

    pub fn on_refused(&mut self, action: &str, error: &str) {
        self.dirty = true;
        let msg = if error.starts_with("denied") {
            format!("Not done ({action}): {error}")
        } else {
            format!("Not done ({action}): the audit trail could not record it — {error}")
        };
        if action.starts_with("incident") {
            self.incidents.notice = Some((false, msg));
        } else {
            self.alerts.notice = Some((false, msg));
        }
    }

    /// Which data is fresh (younger than two of its refreshes) and which stale, as one number: the newest
    /// data, each service's figures and slow-lane data, the live traces. It changes when any of them
    /// crosses either line.
    fn freshness(&self, now: DateTime<Utc>) -> u64 {
        use super::service_view::is_fresh;
        use std::hash::{Hash, Hasher};
        let down = self.source_down();
        let age = |at: DateTime<Utc>| (now - at).to_std().unwrap_or_default();
        let state =
            |at| (is_fresh(age(at), self.refresh), super::service_view::is_stale(Some(age(at)), self.refresh, down));
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.last_update.map(state).hash(&mut h);
        let live = crate::sources::traces::live_every(self.refresh);
        self.traces.live_at.map(|at| is_fresh(age(at), live)).hash(&mut h);
        let lane = crate::sources::prometheus::poller::SLOW_LANE.max(self.refresh);
        for v in &self.services {
            v.figures.as_ref().map(|f| state(f.at)).hash(&mut h);
            v.sparks.as_ref().map(|s| is_fresh(age(s.at), lane)).hash(&mut h);
        }
        h.finish()
    }

    /// Age of the newest data, for the header.
    pub fn refresh_age(&self) -> Option<Duration> {
        self.last_update.map(|t| (self.now - t).to_std().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Service};
    use crate::slo::Targets;

    #[test]
    fn open_detail_refreshes_itself_without_piling_up() {
        let mut c = Config::from_env(Some("http://localhost:9090")).unwrap();
        c.services = vec![Service::conventional("api", Targets::default())];
        let t0 = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut app = App::new(&c, t0);
        app.act(crate::app::keymap::Action::Open);
        assert_eq!(app.take_commands().len(), 1, "opening asks once");
        app.on_tick(t0 + chrono::Duration::seconds(30));
        assert!(app.take_commands().is_empty(), "not while the first answer is outstanding");
        app.services[0].detail.loading = false;
        app.on_tick(t0 + chrono::Duration::seconds(5));
        assert!(app.take_commands().is_empty(), "not before 10 s");
        app.on_tick(t0 + chrono::Duration::seconds(11));
        assert!(matches!(app.take_commands()[..], [Command::Detail { .. }]));
    }
}
