//! The KPIs screen's state: incident spans per service from the `ALERTS` history, fetched when the
//! screen is shown and once a minute while it is.
use crate::alerts::kpi::{self, Kpis, Span};
use crate::app::service_view::ServiceView;
use crate::app::state::App;
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

    /// The rows of these services as one ([`kpi::pooled`]): the services shown, and only those.
    pub fn pooled<'a>(&self, services: impl IntoIterator<Item = &'a str>) -> Option<Kpis> {
        let rows: Option<Vec<Kpis>> = services.into_iter().map(|s| self.of(s)).collect();
        Some(kpi::pooled(&rows?, self.window))
    }
}

/// A service's error rate on the KPIs: one minus its availability over its SLO window.
pub fn error_rate(v: &ServiceView) -> Option<f64> {
    v.availability().map(|a| 1.0 - a)
}

/// Of the services with an error rate, the one that stands worst against its own target (the furthest
/// over it, or else the nearest to it); the first of equals.
pub fn worst_error(services: &[ServiceView]) -> Option<&ServiceView> {
    let against = |v: &ServiceView| {
        let (e, target) = (error_rate(v)?, v.service.targets.error_rate);
        Some(if target > 0.0 {
            e / target
        } else if e > 0.0 {
            f64::INFINITY
        } else {
            0.0
        })
    };
    services.iter().filter_map(|v| Some((v, against(v)?))).min_by(|a, b| b.1.total_cmp(&a.1)).map(|(v, _)| v)
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
