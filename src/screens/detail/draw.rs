//! Service detail: rate, errors, p95 and saturation over the chosen range, the scrape targets, and the
//! service's SLO figures.
use crate::app::{App, RANGES};
use crate::ui::chart::{self, ChartSpec};
use crate::ui::{format, slo_panel};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(v) = app.selected_service() else {
        f.render_widget(Paragraph::new("No service selected.").style(t.dim()), area);
        return;
    };
    let d = &v.detail;
    let tall = area.height > 30;
    let targets_h = (d.targets.len() as u16 + 3).clamp(4, if tall { 10 } else { 5 });
    let slo_h = if tall { 7 } else { 4 };
    let [title, charts, targets, slo] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(targets_h),
        Constraint::Length(slo_h),
    ])
    .areas(area);

    let mut spans = vec![
        Span::styled(format!(" {} ", crate::text::sanitize(&v.service.name)), t.title()),
        Span::styled(format!("job={} ", crate::text::sanitize(&v.service.job)), t.dim()),
    ];
    for (i, (_, label)) in RANGES.iter().enumerate() {
        let style = if i == app.range { t.selected() } else { t.dim() };
        spans.push(Span::styled(format!(" {label} "), style));
    }
    let status = match (&d.charts, &d.charts_error, d.loading) {
        (_, Some(e), _) => Span::styled(format!("  ✖ {e}"), t.bad()),
        (Some(c), _, loading) => {
            let age = crate::ui::when::ago(app.now, c.at);
            Span::styled(format!("  as of {age} ago{}", if loading { " · loading…" } else { "" }), t.dim())
        }
        (None, None, _) => Span::styled("  loading…", t.dim()),
    };
    spans.push(status);
    f.render_widget(Paragraph::new(Line::from(spans)), title);

    let [top, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(charts);
    let [c1, c2] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(top);
    let [c3, c4] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(bottom);
    let (start, end) = match &d.charts {
        Some(c) => {
            let end = c.at.timestamp() as f64;
            (end - c.range.as_secs_f64(), end)
        }
        None => (0.0, 1.0),
    };
    let empty = if d.charts.is_some() { "no data in this range" } else { "loading…" };
    let tg = &v.service.targets;
    let charts = d.charts.clone().unwrap_or_default();
    // The server's refusal of a chart's query, if it refused (`rate: bad_data: …`).
    let problem = |key: &str| {
        charts.problems.iter().find_map(|p| p.as_str().strip_prefix(key).and_then(|r| r.strip_prefix(": ")))
    };
    let specs = [
        (c1, "Request rate (/s)", &charts.rate, t.chart_rate, None, (|x| format::rate(Some(x))) as fn(f64) -> String),
        (c2, "Error ratio", &charts.error_ratio, t.chart_errors, Some(tg.error_rate), |x| format::percent(Some(x))),
        (c3, "p95 latency", &charts.p95, t.chart_latency, Some(tg.latency_p95.as_secs_f64()), |x| {
            format::latency(Some(x))
        }),
        (c4, "Saturation", &charts.saturation, t.chart_saturation, None, format::number),
    ];
    // What changed on this service (when the Changes screen has read it), marked on every chart.
    let markers: Vec<f64> =
        app.change_rows_for(Some(&v.service.name)).iter().map(|r| r.at.timestamp() as f64).collect();
    for ((area, title, series, color, target, fmt), key) in
        specs.into_iter().zip(["rate", "errors", "p95", "saturation"])
    {
        let problem = problem(key);
        let markers = &markers;
        let spec = ChartSpec {
            title: title.into(),
            series,
            start,
            end,
            color,
            target,
            fmt,
            empty,
            problem,
            legend: false,
            markers,
        };
        chart::draw(t, f, area, spec);
    }

    draw_targets(app, f, targets);
    slo_panel::draw(app, f, slo);
}

fn draw_targets(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(v) = app.selected_service() else { return };
    let d = &v.detail;
    let mut title = format!(" Targets ({}) ", d.targets.len());
    if let Some(e) = &d.targets_error {
        title = format!(" Targets — ✖ {e} ");
    }
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let widths =
        [Constraint::Fill(2), Constraint::Length(6), Constraint::Length(9), Constraint::Length(6), Constraint::Fill(3)];
    let cols = crate::ui::widgets::Columns::new(&widths, block.inner(area).width);
    let rows = d.targets.iter().map(|tg| {
        let healthy = tg.health.as_str() == "up";
        let last =
            tg.last_scrape.map_or(format::NONE.into(), |at| format!("{} ago", crate::ui::when::ago(app.now, at)));
        Row::new(vec![
            Cell::from(cols.fit(0, &crate::text::capped(&tg.instance, 120))),
            Cell::from(Span::styled(tg.health.to_string(), if healthy { t.good() } else { t.bad() })),
            Cell::from(last),
            Cell::from(format::latency(Some(tg.last_scrape_duration))),
            Cell::from(Span::styled(cols.fit(4, &tg.last_error.to_string()), t.bad())),
        ])
    });
    let table = Table::new(rows, widths)
        .header(Row::new(["INSTANCE", "HEALTH", "SCRAPED", "TOOK", "ERROR"]).style(t.dim()))
        .block(block);
    let table = crate::ui::widgets::selectable(table, t);
    let mut state = TableState::default().with_selected(Some(app.target_scroll));
    f.render_stateful_widget(table, area, &mut state);
}
