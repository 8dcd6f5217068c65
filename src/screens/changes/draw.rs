//! The Changes screen: the change success rate against its objective, the timeline (newest first,
//! for one service or the estate), and the coming week — each window's and freeze's days on a
//! seven-day strip, and the conflicts between them.
use crate::app::App;
use crate::screens::changes::state::{Kind, SUCCESS_TARGET};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let clean = |s: &str| crate::text::sanitize(s).into_owned();
    let upcoming = app.upcoming();
    let conflicts = app.conflicts();
    let cal_height = (upcoming.len() + conflicts.len() + 4).min(usize::from(area.height / 2)) as u16;
    let charted = app.changes.service.as_ref().and_then(|s| app.services.iter().find(|v| &v.service.name == s));
    let chart_height = if charted.is_some() && area.height >= 30 { area.height / 4 } else { 0 };
    let [kpi, charts, timeline, calendar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(chart_height),
        Constraint::Fill(1),
        Constraint::Length(cal_height),
    ])
    .areas(area);
    if let (Some(v), true) = (charted, chart_height > 0) {
        draw_charts(app, v, f, charts);
    }

    let (ok, all) = app.change_success();
    let kpi_line = if all == 0 {
        Line::from(Span::styled(
            " change success: no deploys in the last 30 days (or no provider answered yet)",
            t.dim(),
        ))
    } else {
        let rate = ok as f64 / all as f64;
        let style = if rate >= SUCCESS_TARGET { t.good() } else { t.bad() };
        let trail = match app.rollbacks_only_in_trail() {
            0 => String::new(),
            n => format!(" ({n} rollback{} known from the audit trail only)", if n == 1 { "" } else { "s" }),
        };
        Line::from(vec![
            Span::styled(" change success (30d) ", t.dim()),
            Span::styled(format!("{:.1}%", rate * 100.0), style),
            Span::styled(
                format!(" of {all} deploys not rolled back{trail} · objective {:.0}%", SUCCESS_TARGET * 100.0),
                t.dim(),
            ),
        ])
    };
    f.render_widget(Paragraph::new(kpi_line), kpi);

    let rows = app.change_rows();
    let scope = app.changes.service.as_deref().map_or("the estate".to_string(), clean);
    let failed: Vec<String> = app
        .changes
        .histories
        .iter()
        .filter_map(|(s, h)| h.as_ref().err().map(|e| format!("{s}: {}", clean(e))))
        .collect();
    let h = usize::from(timeline.height.saturating_sub(2));
    let first = app.changes.selected.saturating_sub(h.saturating_sub(1));
    let mut lines: Vec<Line> = failed.iter().map(|e| Line::from(Span::styled(format!("✖ {e}"), t.bad()))).collect();
    for (i, r) in rows.iter().enumerate().skip(first).take(h.saturating_sub(lines.len())) {
        let style = match r.kind {
            Kind::Rollback => t.warn(),
            Kind::Maintenance => t.dim(),
            _ => t.base(),
        };
        let line = Line::from(vec![
            Span::styled(format!("{} ", r.at.format("%m-%d %H:%M")), t.dim()),
            Span::styled(format!("{:<9}", r.kind.label()), style),
            Span::styled(format!("{:<11}", clean(&r.service)), t.title()),
            Span::raw(clean(&r.text)),
        ]);
        lines.push(crate::ui::widgets::picked(line, i == app.changes.selected, t));
    }
    if rows.is_empty() && failed.is_empty() {
        lines.push(Line::from(Span::styled(" nothing has changed that watchpost can see", t.dim())));
    }
    let title = format!(" Changes — {scope} (s: service ↔ estate) ");
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    f.render_widget(Paragraph::new(lines).block(block), timeline);

    // The coming week: a cell per day, marked where an occurrence touches it.
    let day0 = app.now.date_naive();
    if let Some(midnight) = day0.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)) {
        crate::ui::when::changes_at(midnight.and_utc());
    }
    let mut header = vec![Span::styled(format!(" {:<22}", "next 7 days"), t.dim())];
    for d in 0..7 {
        let day = day0 + chrono::Days::new(d);
        header.push(Span::styled(format!("{:<4}", day.format("%a")), t.dim()));
    }
    let mut lines = vec![Line::from(header)];
    for u in &upcoming {
        let mut spans = vec![Span::styled(
            format!(" {:<22}", format!("{}{}", if u.freeze { "❄ " } else { "" }, clean(&u.name))),
            if u.freeze { t.warn() } else { t.base() },
        )];
        for d in 0..7 {
            let day = day0 + chrono::Days::new(d);
            let on = u.occurrences.iter().any(|o| o.start.date_naive() <= day && day <= o.end.date_naive());
            spans.push(Span::styled(if on { "██  " } else { "·   " }, if u.freeze { t.warn() } else { t.good() }));
        }
        let next = u
            .occurrences
            .first()
            .map(|o| format!(" {} – {}", o.start.format("%a %H:%M"), o.end.format("%a %H:%M UTC")));
        spans.push(Span::styled(next.unwrap_or_default(), t.dim()));
        spans.push(Span::styled(format!("  {}", clean(&u.scope)), t.dim()));
        lines.push(Line::from(spans));
    }
    for c in &conflicts {
        lines.push(Line::from(Span::styled(format!(" ⚠ {} {}", c.at.format("%a %H:%M"), clean(&c.text)), t.bad())));
    }
    if let Some(e) = &app.changes.windows_error {
        lines.push(Line::from(Span::styled(format!(" ✖ {}", clean(e)), t.bad())));
    }
    if let Some((at, what)) = &app.changes.reconciled {
        lines.push(Line::from(Span::styled(
            format!(" silences reconciled {}: {}", at.format("%H:%M:%S"), clean(what)),
            t.dim(),
        )));
    }
    let block =
        Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" Calendar ", t.title()));
    f.render_widget(Paragraph::new(lines).block(block), calendar);
    if let Some(form) = &app.changes.form {
        draw_form(app, form, f, area);
    }
    if let Some(input) = &app.changes.cancel {
        draw_cancel(app, input, f, area);
    }
}

/// A field's text as typed, or its hint in grey while it is empty.
fn field_line(app: &App, input: &ratatui_textarea::TextArea<'_>, focused: bool) -> Line<'static> {
    let t = &app.theme;
    let value = input.lines().join("");
    let mut spans = vec![Span::raw("  ")];
    if value.is_empty() {
        spans.push(Span::styled(input.placeholder_text().to_string(), t.dim()));
        if focused {
            spans.push(Span::styled("▏", t.dim()));
        }
    } else if focused {
        spans.extend(crate::ui::widgets::field(input, Default::default(), t.dim()));
    } else {
        spans.push(Span::raw(crate::text::sanitize(&value).into_owned()));
    }
    Line::from(spans)
}

/// The new window's form, over the screen.
fn draw_form(app: &App, form: &crate::screens::changes::state::WindowForm, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let fields = crate::screens::changes::state::FORM_FIELDS;
    let width = area.width.min(80);
    let error_rows = form.error.as_deref().map_or(1, |e| {
        crate::ui::widgets::wrapped_rows(&format!("✖ {}", crate::text::sanitize(e)), width.saturating_sub(2))
    });
    let h = (fields.len() as u16 * 2 + 2 + error_rows).min(area.height);
    let r = area.centered(Constraint::Length(width), Constraint::Length(h));
    f.render_widget(Clear, r);
    let block = Block::new().borders(Borders::ALL).border_style(t.title()).title(Span::styled(
        format!(" New maintenance window{} — tab: next field · enter: add · esc: cancel ", app.in_environment()),
        t.title(),
    ));
    let mut lines = Vec::new();
    for (i, ((name, _), input)) in fields.iter().zip(&form.fields).enumerate() {
        lines.push(crate::ui::widgets::field_label(name, i == form.focus, t));
        lines.push(field_line(app, input, i == form.focus));
    }
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [fields_at, error_at] =
        Layout::vertical([Constraint::Length(lines.len() as u16), Constraint::Fill(1)]).areas(inner);
    f.render_widget(Paragraph::new(lines), fields_at);
    if let Some(e) = &form.error {
        let e = Span::styled(format!("✖ {}", crate::text::sanitize(e)), t.bad());
        f.render_widget(Paragraph::new(e).wrap(Wrap { trim: true }), error_at);
    }
}

/// The id of the window to cancel, over the screen.
fn draw_cancel(app: &App, input: &ratatui_textarea::TextArea<'_>, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let r = area.centered(Constraint::Length(area.width.min(80)), Constraint::Length(3));
    f.render_widget(Clear, r);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.warn())
        .title(Span::styled(" Cancel a window — its id, enter · esc: keep it ", t.warn()));
    f.render_widget(Paragraph::new(field_line(app, input, true)).block(block), r);
}

/// The service's error ratio and p95 over the range, each change a vertical mark: what changed just
/// before the errors rose is there to see.
fn draw_charts(app: &App, v: &crate::app::ServiceView, f: &mut Frame, area: Rect) {
    use crate::ui::chart::{self, ChartSpec};
    use crate::ui::format;
    let t = &app.theme;
    let markers: Vec<f64> =
        app.change_rows_for(Some(&v.service.name)).iter().map(|r| r.at.timestamp() as f64).collect();
    let d = &v.detail;
    let charts = d.charts.clone().unwrap_or_default();
    let (start, end) = d.charts.as_ref().map_or((0.0, 1.0), |c| {
        let end = c.at.timestamp() as f64;
        (end - c.range.as_secs_f64(), end)
    });
    let empty = if d.charts.is_some() { "no data in this range" } else { "loading…" };
    let tg = &v.service.targets;
    let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(area);
    let percent = (|x| format::percent(Some(x))) as fn(f64) -> String;
    let latency = (|x| format::latency(Some(x))) as fn(f64) -> String;
    for (area, title, series, color, target, fmt) in [
        (left, "Error ratio · changes ┃", &charts.error_ratio, t.chart_errors, tg.error_rate, percent),
        (right, "p95 latency · changes ┃", &charts.p95, t.chart_latency, tg.latency_p95.as_secs_f64(), latency),
    ] {
        let spec = ChartSpec {
            title: title.into(),
            series,
            start,
            end,
            color,
            target: Some(target),
            fmt,
            empty,
            problem: None,
            legend: false,
            markers: &markers,
        };
        chart::draw(t, f, area, spec);
    }
}
