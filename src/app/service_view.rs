//! A service as the screens see it: its definition, its latest figures, and what follows from them.
use crate::config::Service;
use crate::slo::{BurnRates, ErrorBudget, burn_rate};
use crate::sources::prometheus::{DetailCharts, ServiceFigures, Sparks, Target};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DetailState {
    pub charts: Option<DetailCharts>,
    pub charts_error: Option<Clean>,
    pub targets: Vec<Target>,
    pub targets_error: Option<Clean>,
    pub loading: bool,
    /// When the charts were last asked for: the open detail screen refreshes itself from this.
    pub requested_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceView {
    pub service: Service,
    pub figures: Option<ServiceFigures>,
    pub sparks: Option<Sparks>,
    /// A calendar SLO's figures (`[slo] calendar`): its burn rates, availability and budget are these.
    pub calendar: Option<crate::sources::prometheus::figures::CalendarFigures>,
    pub detail: DetailState,
}

impl ServiceView {
    pub fn new(service: Service) -> Self {
        ServiceView { service, figures: None, sparks: None, calendar: None, detail: DetailState::default() }
    }

    pub fn burn(&self) -> BurnRates {
        let o = self.service.targets.availability;
        // A calendar SLO burns over its hours alone: outside them, nothing (no budget is spent).
        let r = match &self.service.targets.calendar {
            Some(_) => self.calendar.as_ref().map(|c| c.ratios).unwrap_or_default(),
            None => self.figures.as_ref().map(|f| f.window_ratios).unwrap_or_default(),
        };
        let b = |x: Option<f64>| x.and_then(|x| burn_rate(x, o));
        BurnRates { m5: b(r[0]), m30: b(r[1]), h1: b(r[2]), h6: b(r[3]) }
    }

    pub fn availability(&self) -> Option<f64> {
        match &self.service.targets.calendar {
            Some(_) => self.calendar.as_ref().and_then(|c| c.availability),
            None => self.sparks.as_ref().and_then(|s| s.availability),
        }
    }

    /// The error budget: over the SLO window, or over the hours of it a calendar counts.
    pub fn budget(&self) -> Option<ErrorBudget> {
        let t = &self.service.targets;
        let over = match &t.calendar {
            Some(_) => self.calendar.as_ref().map(|c| c.counted).filter(|c| !c.is_zero())?,
            None => t.window,
        };
        ErrorBudget::new(self.availability()?, t.availability, over)
    }

    pub fn figures_age(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.figures.as_ref().map(|f| (now - f.at).to_std().unwrap_or_default())
    }

    /// Whether a round has brought anything for this service: a target, or any figure. A fresh
    /// Prometheus (or the demo's, before its first scrape) answers every query with nothing.
    pub fn has_data(&self) -> bool {
        self.figures.as_ref().is_some_and(|f| {
            f.up.is_some_and(|(_, total)| total > 0)
                || [f.rate, f.error_ratio, f.p95, f.saturation].iter().any(Option::is_some)
        })
    }
}

/// A figure is stale when it is older than three refreshes (and never younger than 15 s), or when its
/// source is down: the value stays on screen, marked, with its age.
pub fn is_stale(age: Option<Duration>, refresh: Duration, source_down: bool) -> bool {
    match age {
        None => false,
        Some(a) => source_down || a > stale_after(refresh),
    }
}

/// Data fetched every `refresh` is fresh while younger than two of them: it is shown as current, not
/// with its age.
pub fn is_fresh(age: Duration, refresh: Duration) -> bool {
    age < refresh * 2
}

/// The age past which a figure is stale.
pub fn stale_after(refresh: Duration) -> Duration {
    (refresh * 3).max(Duration::from_secs(15))
}
