//! Source updates applied to state.
use super::service_view::ServiceView;
use super::state::App;
use crate::sources::prometheus::poller::Command;
use crate::sources::prometheus::{Sparks, Update};

/// The figures the screens draw (the instant saturation is asked with the round but drawn nowhere: the
/// detail charts its own series).
#[allow(clippy::type_complexity)]
fn drawn(
    f: &crate::sources::prometheus::ServiceFigures,
) -> (Option<(u32, u32)>, [Option<f64>; 3], [Option<f64>; 4], &[crate::text::Clean], &[crate::text::Clean]) {
    (f.up, [f.rate, f.error_ratio, f.p95], f.window_ratios, &f.problems, &f.partial)
}

impl App {
    pub fn on_update(&mut self, update: Update) {
        // Every update is drawn but a round, which is when what it brings shows (`apply_round`).
        if !matches!(update, Update::Round(_)) {
            self.dirty = true;
        }
        match update {
            Update::Health(h) => self.source = h,
            Update::Incidents { at, window, spans } => {
                self.kpis.loading = false;
                match spans {
                    Ok(s) => {
                        self.kpis.source = "critical alerts in Prometheus's ALERTS";
                        self.kpis.spans = s;
                        self.kpis.at = Some(at);
                        self.kpis.window = window;
                        self.kpis.error = None;
                    }
                    Err(e) => self.kpis.error = Some(e),
                }
            }
            Update::FallbackHealth(h) => self.fallback = Some(h),
            Update::Direct(since) => self.direct_since = since,
            Update::Services(found) => {
                // Keep what is known of services that are still there, and the selection on its service.
                let selected = self.selected_service().map(|v| v.service.name.clone());
                let mut old: std::collections::HashMap<String, ServiceView> =
                    std::mem::take(&mut self.services).into_iter().map(|v| (v.service.name.clone(), v)).collect();
                self.services = found
                    .into_iter()
                    .map(|s| match old.remove(&s.name) {
                        Some(mut v) => {
                            v.service = s;
                            v
                        }
                        None => ServiceView::new(s),
                    })
                    .collect();
                self.selected = selected
                    .and_then(|n| self.services.iter().position(|v| v.service.name == n))
                    .unwrap_or(0)
                    .min(self.services.len().saturating_sub(1));
                self.keep_overview_selection();
                self.request_live_traces();
            }
            Update::Figures { service, figures } => {
                self.last_update = Some(figures.at.max(self.last_update.unwrap_or(figures.at)));
                if let Some(v) = self.service_mut(&service) {
                    v.figures = Some(figures);
                }
            }
            Update::Sparks { service, sparks } => {
                if let Some(v) = self.service_mut(&service) {
                    v.sparks = Some(sparks);
                }
            }
            Update::Round(rows) => self.apply_round(rows),
            Update::SparksRound(rows) => {
                let index = self.service_index();
                for (name, sparks) in rows {
                    if let Some(&i) = index.get(name.as_str()) {
                        let v = &mut self.services[i];
                        // The availability comes on its own lane: keep it.
                        let (availability, excluded) =
                            v.sparks.as_ref().map_or((None, None), |s| (s.availability, s.excluded));
                        v.sparks = Some(Sparks { availability, excluded, ..sparks });
                    }
                }
            }
            Update::Calendar(rows) => {
                let index = self.service_index();
                for (name, mut c) in rows {
                    if let Some(&i) = index.get(name.as_str()) {
                        let v = &mut self.services[i];
                        // The SLO window is asked less often than the burn windows: kept between.
                        if c.availability.is_none()
                            && let Some(old) = &v.calendar
                        {
                            (c.availability, c.availability_at, c.counted) =
                                (old.availability, old.availability_at, old.counted);
                        }
                        v.calendar = Some(c);
                    }
                }
            }
            Update::Availability(rows) => {
                let index = self.service_index();
                for (name, (availability, excluded)) in rows {
                    if let Some(&i) = index.get(name.as_str()) {
                        // Before the first sparklines: its age is counted from now, not from 1970.
                        let now = self.now;
                        let s = self.services[i].sparks.get_or_insert_with(|| Sparks { at: now, ..Sparks::default() });
                        s.availability = availability;
                        s.excluded = excluded;
                    }
                }
            }
            Update::Detail { service, charts, targets } => {
                if let Some(v) = self.service_mut(&service) {
                    let d = &mut v.detail;
                    d.loading = false;
                    match charts {
                        Ok(c) => {
                            d.charts = Some(c);
                            d.charts_error = None;
                        }
                        Err(e) => d.charts_error = Some(e),
                    }
                    match targets {
                        Ok(t) => {
                            d.targets = t;
                            d.targets_error = None;
                        }
                        Err(e) => d.targets_error = Some(e),
                    }
                }
            }
            Update::Query { id, at, outcome } => {
                let ex = &mut self.explorer;
                if let Some((pending, expr)) = ex.pending.take_if(|(p, _)| *p == id) {
                    debug_assert_eq!(pending, id);
                    ex.result = Some(crate::screens::explorer::state::ExplorerResult { expr, at, outcome });
                    ex.scroll = 0;
                }
            }
            Update::Completions { kind, values } => self.explorer.on_completions(kind, values),
        }
    }

    /// A round's figures. The rounds come every refresh, most often with the same figures: the view is
    /// dirty only when what is drawn changes — a figure (timestamps aside), a service that had none, or an
    /// age on screen (data no longer fresh shows its age; fresh data reads `now`).
    fn apply_round(&mut self, rows: Vec<(String, crate::sources::prometheus::ServiceFigures)>) {
        let shown = |at: chrono::DateTime<chrono::Utc>| {
            !super::service_view::is_fresh((self.now - at).to_std().unwrap_or_default(), self.refresh)
        };
        let index = self.service_index();
        let shows = self.last_update.is_none_or(shown)
            || rows.iter().any(|(name, new)| {
                match index.get(name.as_str()).and_then(|&i| self.services[i].figures.as_ref()) {
                    None => true,
                    Some(old) => shown(old.at) || drawn(old) != drawn(new),
                }
            });
        self.dirty |= shows;
        for (name, figures) in rows {
            self.last_update = Some(figures.at.max(self.last_update.unwrap_or(figures.at)));
            if let Some(&i) = index.get(name.as_str()) {
                self.services[i].figures = Some(figures);
            }
        }
    }

    /// A screen showing the selected service's charts is open: the Detail screen, or the Changes screen
    /// scoped to it. Its charts follow the range and are asked again as they age.
    pub(crate) fn detail_on_screen(&self) -> bool {
        self.screen == super::Screen::Detail
            || (self.screen == super::Screen::Changes && self.changes.service.is_some())
    }

    /// Ask for the detail of the selected service over the current range.
    pub(crate) fn request_detail(&mut self) {
        let range = super::RANGES[self.range].0;
        let now = self.now;
        if let Some(v) = self.services.get_mut(self.selected) {
            v.detail.loading = true;
            v.detail.requested_at = Some(now);
            self.commands.push(Command::Detail { service: v.service.name.clone(), range });
        }
    }

    /// Each service's position by name, for applying a whole round at once.
    fn service_index(&self) -> std::collections::HashMap<String, usize> {
        self.services.iter().enumerate().map(|(i, v)| (v.service.name.clone(), i)).collect()
    }

    fn service_mut(&mut self, name: &str) -> Option<&mut ServiceView> {
        self.services.iter_mut().find(|v| v.service.name == name)
    }
}
