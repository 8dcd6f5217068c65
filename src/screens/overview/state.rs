//! The overview's rows: which services show (the name filter), in what order (the sort key) and under
//! which heading (the grouping label). The selection stays on a service, not on a row number, so a
//! re-sort after new figures never moves the cursor to another service.
use crate::app::service_view::ServiceView;
use crate::app::state::App;
use crate::slo::BurnAlert;
use ratatui_textarea::TextArea;
use std::cmp::Ordering;

pub use crate::config::overview::SortKey;

#[derive(Debug, Default)]
pub struct OverviewView {
    /// The name filter while it is being typed.
    pub filter: Option<TextArea<'static>>,
    /// The filter in force (case-insensitive substring of the name or job).
    pub filter_text: String,
    pub sort: SortKey,
    /// The configured grouping label (`[overview] group_by`), and whether rows are grouped by it now.
    pub group_by: Option<String>,
    pub grouped: bool,
}

/// One line of the overview's table: a group's heading or a service (its index in `App::services`).
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    Group { name: String, services: usize, in_trouble: usize },
    Service(usize),
}

/// Larger is worse. Unknown figures sort after known good ones, before nothing.
fn trouble(v: &ServiceView) -> (u8, u8, f64) {
    let f = v.figures.as_ref();
    let down = match f.and_then(|f| f.up) {
        Some((u, n)) if n > 0 && u == 0 => 2,
        Some((u, n)) if u < n => 1,
        _ => 0,
    };
    let alert = match v.burn().alert(v.service.targets.window) {
        BurnAlert::PageFast => 3,
        BurnAlert::PageSlow => 2,
        BurnAlert::Elevated => 1,
        BurnAlert::None => 0,
    };
    // The error ratio against the service's own target, so a 0.5 % on a 99 % service is not worse than
    // 0.2 % on a 99.99 % one.
    let allowed = (1.0 - v.service.targets.availability).max(1e-6);
    let errors = f.and_then(|f| f.error_ratio).map_or(-1.0, |e| e / allowed);
    (down, alert, errors)
}

fn desc(a: Option<f64>, b: Option<f64>) -> Ordering {
    // Missing figures last: a service with no data is not "the worst".
    b.unwrap_or(f64::NEG_INFINITY).total_cmp(&a.unwrap_or(f64::NEG_INFINITY))
}

/// Whether a service counts as in trouble for its group's heading.
pub fn in_trouble(v: &ServiceView) -> bool {
    let (down, alert, errors) = trouble(v);
    down > 0 || alert >= 2 || errors > 1.0
}

fn compare(key: SortKey, a: &ServiceView, b: &ServiceView) -> Ordering {
    let f = |v: &ServiceView, g: fn(&crate::sources::prometheus::ServiceFigures) -> Option<f64>| {
        v.figures.as_ref().and_then(g)
    };
    match key {
        SortKey::Name => Ordering::Equal,
        SortKey::Worst => {
            let (ta, tb) = (trouble(a), trouble(b));
            tb.0.cmp(&ta.0).then(tb.1.cmp(&ta.1)).then(tb.2.total_cmp(&ta.2))
        }
        SortKey::Errors => desc(f(a, |f| f.error_ratio), f(b, |f| f.error_ratio)),
        SortKey::Latency => desc(f(a, |f| f.p95), f(b, |f| f.p95)),
        SortKey::Burn => desc(a.burn().h1, b.burn().h1),
    }
}

impl OverviewView {
    pub fn new(group_by: Option<String>, sort: SortKey) -> Self {
        OverviewView { grouped: group_by.is_some(), group_by, sort, ..Default::default() }
    }

    /// The group label in force, if rows are grouped now.
    pub fn grouping(&self) -> Option<&str> {
        self.group_by.as_deref().filter(|_| self.grouped)
    }

    fn passes(&self, v: &ServiceView) -> bool {
        if self.filter_text.is_empty() {
            return true;
        }
        let needle = self.filter_text.to_lowercase();
        v.service.name.to_lowercase().contains(&needle) || v.service.job.to_lowercase().contains(&needle)
    }

    /// The services shown, in order (indices into `services`): filtered, grouped, then sorted; ties keep
    /// the configured order. A thousand services cost a sort of a thousand, once per key or frame.
    pub fn order(&self, services: &[ServiceView]) -> Vec<usize> {
        let mut shown: Vec<usize> = (0..services.len()).filter(|i| self.passes(&services[*i])).collect();
        let group = self.grouping();
        shown.sort_by(|&a, &b| {
            let (va, vb) = (&services[a], &services[b]);
            let by_group = match group {
                Some(l) => group_of(va, l).cmp(group_of(vb, l)),
                None => Ordering::Equal,
            };
            by_group.then_with(|| compare(self.sort, va, vb)).then(a.cmp(&b))
        });
        shown
    }

    /// The table's lines: the order above with a heading before each group when grouped.
    pub fn lines(&self, services: &[ServiceView]) -> Vec<Line> {
        let order = self.order(services);
        let Some(label) = self.grouping() else { return order.into_iter().map(Line::Service).collect() };
        let mut lines = Vec::with_capacity(order.len() + 8);
        let mut i = 0;
        while i < order.len() {
            let name = group_of(&services[order[i]], label);
            let end =
                order[i..].iter().position(|&s| group_of(&services[s], label) != name).map_or(order.len(), |n| i + n);
            let in_trouble = order[i..end].iter().filter(|&&s| in_trouble(&services[s])).count();
            lines.push(Line::Group { name: name.to_string(), services: end - i, in_trouble });
            lines.extend(order[i..end].iter().map(|&s| Line::Service(s)));
            i = end;
        }
        lines
    }
}

/// A service's value of the grouping label; services without it are grouped last, under "(none)".
pub fn group_of<'a>(v: &'a ServiceView, label: &str) -> &'a str {
    v.service.labels.get(label).map_or(NO_GROUP, String::as_str)
}

/// Sorts after every ordinary value (`~` is after the letters and digits).
pub const NO_GROUP: &str = "~ no group";

impl App {
    /// Move the selection within the rows shown (the filter and the order of the overview).
    pub(crate) fn step_overview(&mut self, action: crate::app::keymap::Action) {
        let order = self.overview.order(&self.services);
        if order.is_empty() {
            return;
        }
        let pos = order.iter().position(|&i| i == self.selected).unwrap_or(0);
        self.selected = order[crate::app::input::step(pos, order.len(), action)];
    }

    /// Keep the selection on a service that is shown (the first, when the filter hid the selected one).
    pub(crate) fn keep_overview_selection(&mut self) {
        let order = self.overview.order(&self.services);
        if !order.contains(&self.selected)
            && let Some(&first) = order.first()
        {
            self.selected = first;
        }
    }

    pub(crate) fn overview_filter(&mut self) {
        let mut t = TextArea::new(vec![self.overview.filter_text.clone()]);
        t.set_placeholder_text("part of a service's name");
        t.move_cursor(ratatui_textarea::CursorMove::End);
        self.overview.filter = Some(t);
    }

    /// The filter as typed so far applies at once (as in k9s), so the rows narrow while typing.
    pub(crate) fn overview_filter_typed(&mut self) {
        if let Some(t) = &self.overview.filter {
            self.overview.filter_text = t.lines().join("");
            self.keep_overview_selection();
        }
    }

    pub(crate) fn cycle_sort(&mut self) {
        self.overview.sort = self.overview.sort.next();
        self.tell(format!("sorted {}", self.overview.sort.describe()));
    }

    pub(crate) fn toggle_grouping(&mut self) {
        match &self.overview.group_by {
            None => self.report("No grouping label: set `[overview] group_by = \"team\"` in the config."),
            Some(l) => {
                self.overview.grouped = !self.overview.grouped;
                let said = if self.overview.grouped { format!("grouped by {l}") } else { "not grouped".to_string() };
                self.tell(said);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Service;
    use crate::slo::Targets;
    use crate::sources::prometheus::ServiceFigures;

    fn svc(name: &str, team: Option<&str>, err: Option<f64>, up: (u32, u32)) -> ServiceView {
        let mut s = Service::conventional(name, Targets::default());
        if let Some(t) = team {
            s.labels.insert("team".into(), t.into());
        }
        let mut v = ServiceView::new(s);
        v.figures = Some(ServiceFigures { error_ratio: err, up: Some(up), ..Default::default() });
        v
    }

    fn names(services: &[ServiceView], order: &[usize]) -> Vec<String> {
        order.iter().map(|&i| services[i].service.name.clone()).collect()
    }

    #[test]
    fn worst_first_puts_down_targets_then_errors_on_top() {
        let s = vec![
            svc("api", None, Some(0.0), (2, 2)),
            svc("cart", None, Some(0.05), (2, 2)),
            svc("db", None, Some(0.0), (1, 2)),
            svc("edge", None, None, (0, 0)),
        ];
        let mut o = OverviewView::default();
        assert_eq!(names(&s, &o.order(&s)), ["api", "cart", "db", "edge"]);
        o.sort = SortKey::Worst;
        assert_eq!(names(&s, &o.order(&s)), ["db", "cart", "api", "edge"]);
        o.sort = SortKey::Errors;
        assert_eq!(names(&s, &o.order(&s))[0], "cart");
    }

    #[test]
    fn the_filter_matches_name_or_job_in_any_case() {
        let s = vec![svc("Checkout", None, None, (1, 1)), svc("search", None, None, (1, 1))];
        let o = OverviewView { filter_text: "CHECK".into(), ..Default::default() };
        assert_eq!(names(&s, &o.order(&s)), ["Checkout"]);
    }

    #[test]
    fn grouped_rows_have_a_heading_per_label_value_and_ungrouped_last() {
        let s = vec![
            svc("a", Some("web"), Some(0.5), (1, 1)),
            svc("b", None, None, (1, 1)),
            svc("c", Some("data"), None, (1, 1)),
            svc("d", Some("web"), None, (1, 1)),
        ];
        let o = OverviewView::new(Some("team".into()), SortKey::Name);
        let lines = o.lines(&s);
        let heads: Vec<(String, usize, usize)> = lines
            .iter()
            .filter_map(|l| match l {
                Line::Group { name, services, in_trouble } => Some((name.clone(), *services, *in_trouble)),
                Line::Service(_) => None,
            })
            .collect();
        assert_eq!(heads, [("data".into(), 1, 0), ("web".into(), 2, 1), (NO_GROUP.into(), 1, 0)]);
        assert_eq!(lines.len(), 7);
    }

    #[test]
    fn a_thousand_services_sort_and_group_without_losing_one() {
        let s: Vec<ServiceView> = (0..1000)
            .map(|i| svc(&format!("svc-{i:04}"), Some(["a", "b", "c"][i % 3]), Some(i as f64 / 1e4), (1, 1)))
            .collect();
        let o = OverviewView { sort: SortKey::Worst, ..OverviewView::new(Some("team".into()), SortKey::Worst) };
        let order = o.order(&s);
        assert_eq!(order.len(), 1000);
        let mut seen = order.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 1000);
        assert_eq!(o.lines(&s).len(), 1003);
    }
}
