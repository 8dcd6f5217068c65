//! The KPIs screen's state: incident spans per service from the `ALERTS` history, fetched when the
//! screen is shown and once a minute while it is.
use super::state::App;
use crate::alerts::kpi::{self, Kpis, Span};
use crate::sources::prometheus::Command;
use crate::text::Clean;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The KPIs' window.
pub const WINDOW: Duration = Duration::from_secs(30 * 86_400);

#[derive(Clone, Debug, Default)]
pub struct KpiView {
    pub at: Option<DateTime<Utc>>,
    pub window: Duration,
    pub spans: Vec<(String, Vec<Span>)>,
    pub error: Option<Clean>,
    pub loading: bool,
    requested_at: Option<DateTime<Utc>>,
    /// Where the incidents come from (PagerDuty when configured, else Prometheus's `ALERTS`).
    pub source: &'static str,
}

impl KpiView {
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        !self.loading && self.requested_at.is_none_or(|t| now - t >= chrono::Duration::seconds(60))
    }

    /// One service's KPIs.
    pub fn of(&self, service: &str) -> Option<Kpis> {
        let at = self.at?;
        let from = at - chrono::Duration::from_std(self.window).unwrap_or_default();
        let spans = self.spans.iter().find(|(n, _)| n == service).map_or(&[][..], |(_, s)| s);
        Some(kpi::kpis(spans, from, at))
    }

    /// The estate as one: every service's incidents, overlapping ones merged.
    pub fn overall(&self) -> Option<Kpis> {
        let at = self.at?;
        let from = at - chrono::Duration::from_std(self.window).unwrap_or_default();
        let all: Vec<Span> = self.spans.iter().flat_map(|(_, s)| s.iter().copied()).collect();
        Some(kpi::kpis(&all, from, at))
    }
}

impl App {
    pub(crate) fn request_kpis(&mut self) {
        // PagerDuty's incidents arrive with its own polling.
        if self.kpis.loading || self.incidents.configured {
            return;
        }
        self.kpis.loading = true;
        self.kpis.requested_at = Some(self.now);
        self.commands.push(Command::Incidents { window: WINDOW });
    }
}
