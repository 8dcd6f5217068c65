//! The overview: one row per service (targets, rate, errors, p95 with last-hour sparklines, SLO columns,
//! the figures' age), and the SLO panel of the selected service below.
use crate::app::App;
use crate::app::service_view::{ServiceView, is_stale};
use crate::slo::target::Verdict;
use crate::slo::{BurnAlert, ErrorBudget};
use crate::ui::format;
use crate::ui::slo_panel;
use crate::ui::theme::Theme;
use crate::ui::widgets::spark;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

/// Sparklines only when there is room for them.
const WIDE: u16 = 110;
const SPARK: usize = 6;

pub fn verdict_style(t: &Theme, v: Verdict) -> Style {
    match v {
        Verdict::Good => t.good(),
        Verdict::Warn => t.warn(),
        Verdict::Bad => t.bad(),
        Verdict::Unknown => t.unknown(),
    }
}

/// Budget spent: bad; under a quarter left: warn; unknown without traffic.
pub fn budget_style(t: &Theme, b: Option<&ErrorBudget>) -> Style {
    match b {
        None => t.unknown(),
        Some(b) if b.exhausted() => t.bad(),
        Some(b) if b.remaining < 0.25 => t.warn(),
        Some(_) => t.good(),
    }
}

pub fn burn_style(t: &Theme, a: BurnAlert) -> Style {
    match a {
        BurnAlert::None => t.good(),
        BurnAlert::Elevated => t.warn(),
        BurnAlert::PageSlow | BurnAlert::PageFast => t.bad(),
    }
}

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    // The SLO panel is compact (three lines) when narrow or short, with a budget gauge otherwise.
    let panel = if area.height >= 22 && area.width >= 100 { 7 } else { 5 };
    // Live traces when a trace store is configured and there is room for the table above them.
    let live = if app.traces.configured && area.height >= 20 {
        let n = app.traces.live_list().len().clamp(1, if area.height >= 30 { 6 } else { 3 });
        n as u16 + 2
    } else {
        0
    };
    let [table_area, live_area, panel_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(live), Constraint::Length(panel)]).areas(area);
    draw_table(app, f, table_area);
    if live > 0 {
        draw_live(app, f, live_area);
    }
    slo_panel::draw(app, f, panel_area);
}

/// The latest failing or slow traces across services (failing first); `v` moves into them, enter opens.
/// The overview's selection mark: one column, the table being the widest of the console.
const SELECTED: &str = "▶";

fn draw_live(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.traces;
    // The live list is asked on its own period: its age shows once it falls behind that.
    let every = crate::sources::traces::live_every(app.refresh);
    let age = v.live_at.map_or("waiting".to_string(), |at| {
        crate::ui::when::freshness(app.now, at, every).map_or("now".into(), |a| format!("{a} ago"))
    });
    let focus = if v.live_focus.is_some() { "enter: waterfall · v: back to services" } else { "v: select" };
    let title = format!(" Live traces — failing or slower than p95 target, last 5m · {age} · {focus} ");
    let style = if v.live_focus.is_some() { t.accent_style() } else { t.border() };
    let block = Block::new().borders(Borders::ALL).border_style(style).title(Span::styled(title, t.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let list = v.live_list();
    if list.is_empty() {
        let msg = match &v.live_error {
            Some(e) => format!("✖ {e}"),
            None if v.live_at.is_some() => "No failing or slow traces.".into(),
            None => "Waiting for the trace store…".into(),
        };
        f.render_widget(Paragraph::new(msg).style(if v.live_error.is_some() { t.bad() } else { t.dim() }), inner);
        return;
    }
    let height = usize::from(inner.height);
    let sel = v.live_focus.unwrap_or(0);
    let top = (sel + 1).saturating_sub(height);
    let op_w = usize::from(inner.width).saturating_sub(2 + 2 + 11 + 9 + 10 + 4).max(6);
    let lines: Vec<Line> = list
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, s)| {
            let mark = if s.errors > 0 { Span::styled("✖ ", t.bad()) } else { Span::styled("◷ ", t.warn()) };
            let start = chrono::DateTime::from_timestamp_micros(s.start_us)
                .map_or(String::new(), |at| crate::ui::when::ago(app.now, at));
            let text = format!(
                "{} {} {:>8} {:>8} ago",
                crate::ui::format::fit(s.service.as_str(), 11),
                crate::ui::format::fit(s.operation.as_str(), op_w),
                crate::screens::traces::draw::micros(s.duration_us),
                start
            );
            let line = Line::from(vec![mark, Span::styled(text, if s.errors > 0 { t.bad() } else { t.base() })]);
            crate::ui::widgets::picked(line, v.live_focus == Some(i), t)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// A value followed by its sparkline (when there is room), both marked when stale.
fn spark_spans(value: Span<'static>, points: Option<&[(f64, f64)]>, t: &Theme, stale: bool) -> Cell<'static> {
    let mut spans = vec![value];
    if let Some(p) = points {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(spark(p, SPARK), if stale { t.stale() } else { t.dim() }));
    }
    Cell::from(Line::from(spans))
}

fn cell_with_spark(
    value: String,
    style: Style,
    points: Option<&[(f64, f64)]>,
    t: &Theme,
    stale: bool,
) -> Cell<'static> {
    let style = if stale { t.stale() } else { style };
    spark_spans(Span::styled(format!("{value:>7}"), style), points, t, stale)
}

/// A service's row; `waiting` while no service has any data yet (the header says so too).
fn row(app: &App, v: &ServiceView, wide: bool, cols: &crate::ui::widgets::Columns, waiting: bool) -> Row<'static> {
    let t = &app.theme;
    let tg = &v.service.targets;
    let age = v.figures_age(app.now);
    let stale = is_stale(age, app.refresh, app.source_down());
    let f = v.figures.as_ref();
    let sp = v.sparks.as_ref();
    let pick = |sel: fn(&crate::sources::prometheus::Sparks) -> &Vec<(f64, f64)>| {
        if wide { Some(sp.map_or(&[][..], |s| sel(s).as_slice())) } else { None }
    };
    let up = match f.and_then(|f| f.up) {
        Some((u, n)) => {
            let st = if n == 0 {
                t.unknown()
            } else if u == n {
                t.good()
            } else if u == 0 {
                t.bad()
            } else {
                t.warn()
            };
            Span::styled(format!("{:>5}", format!("{u}/{n}")), if stale { t.stale() } else { st })
        }
        None => Span::styled(format!("{:>5}", format::NONE), t.unknown()),
    };
    let rate = f.and_then(|f| f.rate);
    let err = f.and_then(|f| f.error_ratio);
    let p95 = f.and_then(|f| f.p95);
    // A figure from a partial answer is drawn with `~` before it (the title says what it means).
    let partial =
        |what: &str, text: String| match f.is_some_and(|f| f.partial.iter().any(|p| p.as_str().starts_with(what))) {
            true => format!("~{}", text.trim_start()),
            false => text,
        };
    let avail = v.availability();
    let budget = v.budget();
    let burn = v.burn();
    let alert = burn.alert(tg.window);
    let budget_text = match budget {
        None => format::NONE.to_string(),
        Some(b) if wide => {
            let filled = (b.remaining.clamp(0.0, 1.0) * 6.0).round() as usize;
            format!("{:>4.0}% {}{}", b.remaining * 100.0, "█".repeat(filled), "░".repeat(6 - filled))
        }
        Some(b) => format!("{:.0}%", b.remaining * 100.0),
    };
    let budget_style = budget_style(t, budget.as_ref());
    // As fresh as the refresh allows reads `now`; older, its age; stale, marked (the app watches both).
    let age_cell = match f.map(|f| f.at) {
        None => Span::styled("waiting", t.dim()),
        Some(_) if waiting => Span::styled("waiting", t.dim()),
        Some(_) if !v.has_data() => Span::styled("no data", t.unknown()),
        Some(at) if stale => Span::styled(format!("stale {}", crate::ui::when::ago(app.now, at)), t.stale()),
        Some(at) => {
            Span::styled(crate::ui::when::freshness(app.now, at, app.refresh).unwrap_or_else(|| "now".into()), t.dim())
        }
    };
    let name_style = if f.is_some_and(|f| !f.problems.is_empty()) { t.warn() } else { t.base() };
    Row::new(vec![
        Cell::from(Span::styled(cols.fit(0, &crate::text::sanitize(&v.service.name)), name_style)),
        spark_spans(up, pick(|s| &s.up), t, stale),
        cell_with_spark(partial("request rate", format::rate(rate)), t.base(), pick(|s| &s.rate), t, stale),
        cell_with_spark(
            partial("error ratio", format::percent(err)),
            verdict_style(t, tg.judge_error_ratio(err)),
            pick(|s| &s.error_ratio),
            t,
            stale,
        ),
        cell_with_spark(
            partial("p95 latency", format::latency(p95)),
            verdict_style(t, tg.judge_latency(p95)),
            pick(|s| &s.p95),
            t,
            stale,
        ),
        Cell::from(Span::styled(format::availability(avail), verdict_style(t, tg.judge_availability(avail)))),
        Cell::from(Span::styled(budget_text, budget_style)),
        Cell::from(Line::from(vec![
            Span::styled(format::burn(burn.h1), burn_style(t, alert)),
            Span::styled(" ", t.dim()),
            Span::styled(format::burn(burn.h6), burn_style(t, alert)),
        ])),
        Cell::from(age_cell),
    ])
}

/// Over which windows the columns are computed: the rate window of the current figures, and the SLO
/// window of availability and budget (each named once when every service shares it).
fn windows(app: &App) -> String {
    let one = |w: Vec<std::time::Duration>| match w.first() {
        Some(first) if w.iter().all(|x| x == first) => crate::time::promql(*first),
        Some(_) => "each service's window".to_string(),
        None => "—".to_string(),
    };
    let rate = one(app.services.iter().map(|v| v.service.rate_window).collect());
    let slo = one(app.services.iter().map(|v| v.service.targets.window).collect());
    format!("req/s, errors, p95 over {rate} · avail, budget over {slo}")
}

/// The filter being typed, or the one in force, the order and the grouping: the table's bottom line.
fn order_line(app: &App, shown: usize) -> Line<'static> {
    let t = &app.theme;
    let o = &app.overview;
    let mut spans = vec![Span::styled(" ", t.dim())];
    match &o.filter {
        Some(input) => {
            spans.push(Span::styled("/", t.accent_style()));
            spans.extend(crate::ui::widgets::field(input, t.base(), t.accent_style()));
            spans.push(Span::styled(
                format!("  {shown} of {} · enter: keep · esc: clear · ", app.services.len()),
                t.dim(),
            ));
        }
        None if !o.filter_text.is_empty() => {
            spans.push(Span::styled(format!("/{}/", crate::text::sanitize(&o.filter_text)), t.accent_style()));
            spans.push(Span::styled(format!(" {shown} of {} · esc: clear · ", app.services.len()), t.dim()));
        }
        None => {}
    }
    let group = o.grouping().map_or(String::new(), |l| format!(" · grouped by {l}"));
    spans.push(Span::styled(format!("sorted {}{group} ", o.sort.describe()), t.dim()));
    Line::from(spans)
}

/// A group's heading, drawn across the table's whole width over an empty row (cells cannot span).
fn group_heading(app: &App, name: &str, services: usize, in_trouble: usize) -> Line<'static> {
    let t = &app.theme;
    let name = if name == crate::screens::overview::state::NO_GROUP { "(no label)" } else { name };
    let label = app.overview.grouping().unwrap_or_default();
    let mut spans = vec![Span::styled(format!("▾ {label}={}", crate::text::sanitize(name)), t.title())];
    spans.push(Span::styled(format!(" · {services} service{}", if services == 1 { "" } else { "s" }), t.dim()));
    if in_trouble > 0 {
        spans.push(Span::styled(format!(" · {in_trouble} in trouble"), t.bad()));
    }
    Line::from(spans)
}

fn draw_table(app: &App, f: &mut Frame, area: Rect) {
    use crate::screens::overview::state::Line as Item;
    let t = &app.theme;
    let wide = area.width >= WIDE;
    let lines = app.overview.lines(&app.services);
    let shown = lines.iter().filter(|l| matches!(l, Item::Service(_))).count();
    let count =
        if shown == app.services.len() { shown.to_string() } else { format!("{shown} of {}", app.services.len()) };
    let title = format!(" Services ({count}) · {} ", windows(app));
    let partial = app.services.iter().filter(|v| v.figures.as_ref().is_some_and(|f| !f.partial.is_empty())).count();
    let mut titles = vec![Span::styled(title, t.title())];
    if partial > 0 {
        titles.push(Span::styled(
            format!(" ~ from a partial answer: {partial} service(s), the SLO panel says why "),
            t.warn(),
        ));
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Line::from(titles))
        .title_bottom(order_line(app, shown));
    if app.services.is_empty() {
        let msg = if app.source.last_ok.is_some() {
            "No services: Prometheus has no `up` series yet, and the config lists none."
        } else {
            "Waiting for Prometheus…"
        };
        f.render_widget(Paragraph::new(msg).style(t.dim()).block(block), area);
        return;
    }
    let spark_w = if wide { SPARK as u16 + 1 } else { 0 };
    let widths = [
        Constraint::Min(10),
        Constraint::Length(5 + spark_w),
        Constraint::Length(7 + spark_w),
        Constraint::Length(7 + spark_w),
        Constraint::Length(7 + spark_w),
        Constraint::Length(8),
        Constraint::Length(if wide { 12 } else { 5 }),
        Constraint::Length(if wide { 11 } else { 10 }),
        Constraint::Length(if wide { 12 } else { 8 }),
    ];
    let head = if wide {
        ["SERVICE", "   UP", "  REQ/S", " ERRORS", "    P95", "AVAIL", "BUDGET", "BURN 1h 6h", "AGE"]
    } else {
        ["SERVICE", "   UP", "  REQ/S", " ERRORS", "    P95", "AVAIL", "BUDG", "BURN 1h/6h", "AGE"]
    };
    let header = Row::new(head.iter().map(|h| Cell::from(*h))).style(t.dim());
    let cols = crate::ui::widgets::Columns::marked(&widths, block.inner(area).width, SELECTED);
    let waiting = !app.services.iter().any(ServiceView::has_data);
    if shown == 0 {
        let msg = format!(
            "No service matches /{}/ — esc clears the filter.",
            crate::text::sanitize(&app.overview.filter_text)
        );
        f.render_widget(Paragraph::new(msg).style(t.dim()).block(block), area);
        return;
    }
    // Only the rows that fit are built: at a thousand services a frame costs what a screenful does.
    let height = usize::from(area.height.saturating_sub(3)).max(1);
    let at = lines.iter().position(|l| *l == Item::Service(app.selected)).unwrap_or(0);
    let top = (at + 1).saturating_sub(height);
    let mut headings = Vec::new();
    let rows: Vec<Row> = lines
        .iter()
        .skip(top)
        .take(height)
        .enumerate()
        .map(|(n, l)| match l {
            Item::Service(i) => row(app, &app.services[*i], wide, &cols, waiting),
            Item::Group { name, services, in_trouble } => {
                headings.push((n, group_heading(app, name, *services, *in_trouble)));
                Row::new(Vec::<Cell>::new())
            }
        })
        .collect();
    let inner = block.inner(area);
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(t.selected())
        .highlight_symbol(SELECTED);
    let mut state = TableState::default().with_selected(Some(at - top));
    f.render_stateful_widget(table, area, &mut state);
    for (n, line) in headings {
        // Below the border and the column header.
        let y = inner.y + 1 + n as u16;
        if y < inner.bottom() {
            f.render_widget(Paragraph::new(line), Rect { y, height: 1, ..inner });
        }
    }
}
