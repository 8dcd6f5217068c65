//! Which screen is shown, and the time ranges a key steps through.
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Overview,
    Detail,
    Explorer,
    Alerts,
    Silences,
    Kpis,
    Incidents,
    Incident,
    Drills,
    Logs,
    Traces,
    /// One trace's waterfall.
    Trace,
    Audit,
    Runbooks,
    /// One runbook run.
    Run,
    /// A service's gated rollback.
    Rollback,
    /// What changed (deploys, rollbacks, runbooks, silences, windows) and what is coming.
    Changes,
}

impl Screen {
    /// Every screen, in the order they are declared.
    pub const ALL: [Screen; 17] = [
        Screen::Overview,
        Screen::Detail,
        Screen::Explorer,
        Screen::Alerts,
        Screen::Silences,
        Screen::Kpis,
        Screen::Incidents,
        Screen::Incident,
        Screen::Drills,
        Screen::Logs,
        Screen::Traces,
        Screen::Trace,
        Screen::Audit,
        Screen::Runbooks,
        Screen::Run,
        Screen::Rollback,
        Screen::Changes,
    ];
    pub const ORDER: [Screen; 13] = [
        Screen::Overview,
        Screen::Alerts,
        Screen::Silences,
        Screen::Incidents,
        Screen::Logs,
        Screen::Traces,
        Screen::Kpis,
        Screen::Detail,
        Screen::Explorer,
        Screen::Drills,
        Screen::Runbooks,
        Screen::Changes,
        Screen::Audit,
    ];
    /// A screen of its own, opened by a global key or Tab (not drilled into from another): going to one
    /// starts a new path, so Esc from it returns to the overview rather than back through every screen
    /// visited before.
    pub fn is_top_level(self) -> bool {
        matches!(
            self,
            Screen::Overview
                | Screen::Alerts
                | Screen::Silences
                | Screen::Incidents
                | Screen::Kpis
                | Screen::Explorer
                | Screen::Drills
                | Screen::Runbooks
                | Screen::Changes
                | Screen::Audit
        )
    }

    pub fn title(self) -> &'static str {
        match self {
            Screen::Overview => "Overview",
            Screen::Detail => "Service",
            Screen::Explorer => "Explorer",
            Screen::Drills => "Drills",
            Screen::Alerts => "Alerts",
            Screen::Silences => "Silences",
            Screen::Kpis => "KPIs",
            Screen::Incidents => "Incidents",
            Screen::Incident => "Incident",
            Screen::Logs => "Logs",
            Screen::Traces => "Traces",
            Screen::Trace => "Trace",
            Screen::Audit => "Audit",
            Screen::Runbooks => "Runbooks",
            Screen::Run => "Run",
            Screen::Rollback => "Rollback",
            Screen::Changes => "Changes",
        }
    }
}

/// The ranges `t`/`T` step through: 15m, 1h, 6h, 24h, 7d.
pub const RANGES: [(Duration, &str); 5] = [
    (Duration::from_secs(15 * 60), "15m"),
    (Duration::from_secs(3600), "1h"),
    (Duration::from_secs(6 * 3600), "6h"),
    (Duration::from_secs(24 * 3600), "24h"),
    (Duration::from_secs(7 * 86_400), "7d"),
];
