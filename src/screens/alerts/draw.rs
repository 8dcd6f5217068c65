//! The Alerts screen: what fires, why and since when, grouped, filtered with Alertmanager matchers. Only
//! the rows that fit are built (thousands of alerts cost what one screen costs).
use crate::alerts::model::{Alert, AlertState};
use crate::app::App;
use crate::ui::format::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.alerts;
    let [top, list, detail] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(7)]).areas(area);
    draw_status(app, f, top);

    let grouped = v.visible_grouped();
    let visible: Vec<&Alert> = grouped.iter().map(|(_, a)| *a).collect();
    let title = format!(
        " Alerts ({}{}) grouped by {} ",
        visible.len(),
        if v.filter_matchers.is_empty() { String::new() } else { format!(" of {}", v.alerts.len()) },
        v.group_by.join(", ")
    );
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    if !v.configured {
        let msg = "No Alertmanager configured: add [[alertmanager]] url = \"http://…:9093\" to the config.";
        f.render_widget(Paragraph::new(msg).style(t.dim()).block(block).wrap(Wrap { trim: true }), list);
        return;
    }
    if visible.is_empty() {
        let msg = match (&v.at, v.alerts.is_empty()) {
            (None, _) => "Waiting for Alertmanager…",
            (Some(_), true) => "Nothing is firing.",
            (Some(_), false) => "No alert matches the filter.",
        };
        f.render_widget(Paragraph::new(msg).style(t.dim()).block(block), list);
    } else {
        draw_list(app, f, list, block, &grouped);
    }
    if let Some(a) = visible.get(v.selected) {
        draw_detail(app, f, detail, a);
    }
}

fn draw_status(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.alerts;
    let mut spans = Vec::new();
    match (&v.filter, &v.filter_error) {
        (Some(input), err) => {
            spans.push(Span::styled(" filter: ", t.title()));
            let text = input.lines().join(" ");
            match err {
                Some(e) => {
                    let at = text
                        .char_indices()
                        .nth(text[..e.offset.min(text.len())].chars().count())
                        .map_or(text.len(), |x| x.0);
                    spans.push(Span::raw(crate::text::sanitize(&text[..at]).into_owned()));
                    let bad: String = text[at..].chars().take(1).collect();
                    spans.push(Span::styled(
                        if bad.is_empty() { " ".into() } else { crate::text::sanitize(&bad).into_owned() },
                        t.bad().add_modifier(ratatui::style::Modifier::REVERSED),
                    ));
                    spans
                        .push(Span::raw(crate::text::sanitize(&text[(at + bad.len()).min(text.len())..]).into_owned()));
                    spans.push(Span::styled(format!("  ✖ {}", e.message), t.bad()));
                }
                None => {
                    spans.extend(crate::ui::widgets::field(input, Default::default(), t.dim()));
                    spans.push(Span::styled("  enter: keep · esc: clear", t.dim()));
                }
            }
        }
        (None, _) if !v.filter_matchers.is_empty() => {
            spans.push(Span::styled(" filter: ", t.dim()));
            spans.push(Span::raw(
                crate::text::sanitize(&crate::alerts::matcher::to_text(&v.filter_matchers)).into_owned(),
            ));
        }
        _ => {
            if let Some(at) = v.at {
                let age = crate::ui::when::ago(app.now, at);
                let style = if v.unreachable.is_some() { t.stale() } else { t.dim() };
                spans.push(Span::styled(format!(" as of {age} ago"), style));
            }
        }
    }
    if let Some(e) = &v.unreachable {
        spans.push(Span::styled(format!("  ✖ Alertmanager unreachable: {e} — showing the last answer"), t.bad()));
    } else if !v.errors.is_empty() {
        let names: Vec<&str> = v.errors.iter().map(|e| e.as_str()).collect();
        spans.push(Span::styled(format!("  ◐ partial: {}", names.join("; ")), t.warn()));
    }
    if let Some((ok, msg)) = &v.notice {
        spans.push(Span::styled(format!("  {msg}"), if *ok { t.good() } else { t.bad() }));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn state_style(app: &App, a: &Alert) -> Style {
    let t = &app.theme;
    match (a.state, a.is_critical()) {
        (AlertState::Active, true) => t.bad(),
        (AlertState::Active, false) => t.warn(),
        _ => t.dim(),
    }
}

/// Column widths: state, severity, alert, service, since; the summary takes the rest.
const COLS: [usize; 5] = [9, 9, 24, 12, 7];

fn draw_list(app: &App, f: &mut Frame, area: Rect, block: Block<'_>, visible: &[(&str, &Alert)]) {
    let t = &app.theme;
    let v = &app.alerts;
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    // Less the selection's mark before each row.
    let rest = (inner.width as usize).saturating_sub(2 + COLS.iter().sum::<usize>() + COLS.len());
    let cells = |parts: [&str; 6]| -> String {
        let mut line = String::new();
        for (i, p) in parts.iter().enumerate() {
            line.push_str(&fit(p, if i < COLS.len() { COLS[i] } else { rest }));
            line.push(' ');
        }
        line
    };
    f.render_widget(
        Paragraph::new(crate::ui::widgets::unmarked(Line::from(cells([
            "STATE", "SEVERITY", "ALERT", "SERVICE", "SINCE", "SUMMARY",
        ]))))
        .style(t.dim()),
        head,
    );
    // Rows with group headers; only the window around the selection is built, so thousands of alerts
    // cost what one screen costs.
    let height = body.height as usize;
    let first = v.selected.saturating_sub(height.saturating_sub(2) / 2);
    let mut lines: Vec<Line> = Vec::new();
    // Group sizes in one pass: the list is sorted by group, so each group is one run.
    let mut sizes: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (g, _) in visible {
        *sizes.entry(g).or_default() += 1;
    }
    let mut last_group: Option<&str> = None;
    for (i, (g, a)) in visible.iter().enumerate().skip(first) {
        if last_group != Some(*g) {
            let text = format!("▾ {} ({})", crate::text::sanitize(g), sizes[g]);
            lines.push(Line::from(Span::styled(text, t.title())));
            last_group = Some(*g);
        }
        let since = crate::ui::when::ago(app.now, a.starts_at);
        let who = a.label("service").or_else(|| a.label("job")).map_or("", |c| c.as_str());
        let row = cells([a.state_label(), a.severity(), a.name(), who, &since, a.summary()]);
        lines.push(crate::ui::widgets::picked(Line::from(Span::styled(row, state_style(app, a))), i == v.selected, t));
        if lines.len() >= height {
            break;
        }
    }
    f.render_widget(Paragraph::new(lines), body);
}

/// Over which window the rule measured (the values in its annotations are from its last evaluation),
/// beside what the overview shows for the same service now, and over which window: so an alert saying
/// 8 % and a row saying 3.8 % are read as two windows, not as a contradiction.
fn measured(app: &App, a: &Alert) -> String {
    let windows = a.rule_windows();
    let rule = match windows.as_slice() {
        [] if a.rule_expr().is_some() => "the rule's expression has no range window (an instant value)".to_string(),
        [] => "the rule's window is not known (no expression in its generator URL)".to_string(),
        w => {
            let w: Vec<String> = w.iter().map(|d| crate::time::promql(*d)).collect();
            format!("the rule measures over {}", w.join(", "))
        }
    };
    let service = a.service().and_then(|s| app.services.iter().find(|v| v.service.name == s || v.service.job == s));
    let now = match service.and_then(|v| v.figures.as_ref().map(|f| (v, f))) {
        Some((v, f)) => format!(
            "; now, over {} (the overview): errors {}, p95 {}",
            crate::time::promql(v.service.rate_window),
            crate::ui::format::percent(f.error_ratio),
            crate::ui::format::latency(f.p95)
        ),
        None => String::new(),
    };
    format!("measured: {rule}, values as of its last evaluation{now}")
}

fn draw_detail(app: &App, f: &mut Frame, area: Rect, a: &Alert) {
    let t = &app.theme;
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", a.name()), t.title()),
        Span::styled(format!("since {} ", a.starts_at.format("%Y-%m-%d %H:%M:%S")), t.dim()),
        Span::styled(format!("from {}", a.source), t.dim()),
    ])];
    let labels: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    lines.push(Line::from(Span::styled(labels.join("  "), t.base())));
    for (k, v) in &a.annotations {
        lines.push(Line::from(vec![Span::styled(format!("{k}: "), t.dim()), Span::raw(v.to_string())]));
    }
    lines.push(Line::from(Span::styled(measured(app, a), t.dim())));
    if !a.generator_url.as_str().is_empty() {
        lines.push(Line::from(vec![Span::styled("source: ", t.dim()), Span::raw(a.generator_url.to_string())]));
    }
    if !a.silenced_by.is_empty() {
        let who: Vec<String> = a
            .silenced_by
            .iter()
            .filter_map(|id| app.alerts.silences.iter().find(|s| &s.id == id))
            .map(|s| format!("{} until {} ({})", s.created_by, s.ends_at.format("%H:%M"), s.comment))
            .collect();
        lines.push(Line::from(Span::styled(format!("silenced by {}", who.join("; ")), t.warn())));
    }
    let block = Block::new().borders(Borders::ALL).border_style(t.border());
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), area);
}
