//! The Traces screen (a search's traces, failing and slowest first) and one trace's waterfall: the span
//! tree with duration bars on one time axis, the critical path and errors marked, and the selected
//! span's attributes and events below. Only visible rows are built; fits 80 columns.
use crate::app::App;
use crate::traces::waterfall::Waterfall;
use crate::ui::format::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// A duration in µs, short: `850µs`, `12.3ms`, `1.24s`.
pub fn micros(us: i64) -> String {
    match us {
        u if u < 1_000 => format!("{u}µs"),
        u if u < 1_000_000 => format!("{:.1}ms", u as f64 / 1e3),
        u => format!("{:.2}s", u as f64 / 1e6),
    }
}

fn hms(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us).map_or("—".into(), |t| t.format("%H:%M:%S").to_string())
}

pub fn draw_list(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.traces;
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let mut spans = vec![Span::styled(format!(" {} ", v.store), t.title())];
    spans.extend(crate::ui::widgets::failure(t, v.health.as_ref()));
    spans
        .push(Span::raw(v.service.as_deref().map_or("all services".into(), |s| crate::text::sanitize(s).into_owned())));
    if let (Some(a), Some(b)) = (v.from, v.to) {
        spans.push(Span::styled(format!("  {} → {}", a.format("%m-%d %H:%M"), b.format("%H:%M")), t.dim()));
    }
    spans.push(Span::styled(if v.errors_only { "  errors only" } else { "  all outcomes" }, t.accent_style()));
    if v.min_duration_us > 0 {
        spans.push(Span::styled(format!("  ≥ {}", micros(v.min_duration_us)), t.accent_style()));
    }
    if v.loading {
        spans.push(Span::styled("  searching…", t.dim()));
    }
    if let Some(e) = &v.error {
        spans.push(Span::styled(format!("  ✖ {e}"), t.bad()));
    }
    if let Some(input) = &v.prompt {
        spans = vec![Span::styled(" search: ", t.title())];
        spans.extend(crate::ui::widgets::field(input, Default::default(), t.dim()));
        match &v.prompt_error {
            Some(e) => spans.push(Span::styled(format!("  ✖ {e}"), t.bad())),
            None if v.service.is_none() && !v.services.is_empty() => spans
                .push(Span::styled(format!("  services: {}", crate::text::sanitize(&v.services.join(", "))), t.dim())),
            None if !v.operations.is_empty() => spans.push(Span::styled(
                format!("  operations: {}", crate::text::sanitize(&v.operations.join(", "))),
                t.dim(),
            )),
            None => spans.push(Span::styled("  enter: search · esc: cancel", t.dim())),
        }
    } else {
        if let Some(o) = &v.operation {
            spans.insert(2, Span::styled(format!("  {}", crate::text::sanitize(o)), t.base()));
        }
        for (k, val) in &v.tags {
            spans.push(Span::styled(format!("  {}={}", crate::text::sanitize(k), crate::text::sanitize(val)), t.dim()));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), top);
    let title = format!(" Traces ({}) — failing first, then slowest ", v.list.len());
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let inner = block.inner(body);
    f.render_widget(block, body);
    if !v.configured {
        let msg = "No trace store configured: add [jaeger], [tempo] or [zipkin] url = \"http://…\" to the config.";
        f.render_widget(Paragraph::new(msg).style(t.dim()).wrap(Wrap { trim: true }), inner);
        return;
    }
    if v.list.is_empty() {
        let msg = match (v.loading, &v.service) {
            (true, _) => "Searching…",
            (false, None) => "No traces match. Press / to search: service=… (Jaeger and Zipkin need a service).",
            (false, Some(_)) => "No traces match.",
        };
        f.render_widget(Paragraph::new(msg).style(t.dim()), inner);
        return;
    }
    let height = usize::from(inner.height.saturating_sub(1));
    let top_row = (v.selected + 1).saturating_sub(height);
    // The trace ids as long as it takes to tell the listed ones apart (ids can share their start).
    let id_w = unique_prefix(v.list.iter().map(|s| s.trace_id.as_str()));
    let op_w = usize::from(inner.width).saturating_sub(2 + 9 + 12 + 9 + 7 + 2 + 6 + id_w).max(8);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "    {:<8} {:<11} {:<op_w$} {:>8} {:>6} {:<id_w$}",
            "START", "SERVICE", "OPERATION", "DURATION", "SPANS", "TRACE"
        ),
        t.dim(),
    ))];
    for (i, s) in v.list.iter().enumerate().skip(top_row).take(height) {
        let mark = if s.errors > 0 { Span::styled("✖ ", t.bad()) } else { Span::raw("  ") };
        let spans_n = if s.spans > 0 { s.spans.to_string() } else { "—".into() };
        let text = format!(
            "{:<8} {} {} {:>8} {:>6} {}",
            hms(s.start_us),
            fit(s.service.as_str(), 11),
            fit(s.operation.as_str(), op_w),
            micros(s.duration_us),
            spans_n,
            s.trace_id.get(..id_w).unwrap_or(&s.trace_id)
        );
        let style = if s.errors > 0 { t.bad() } else { t.base() };
        let line = Line::from(vec![mark, Span::styled(text, style)]);
        lines.push(crate::ui::widgets::picked(line, i == v.selected, t));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// How many leading characters tell every id apart: at least 8, at most the longest id.
fn unique_prefix<'a>(ids: impl Iterator<Item = &'a str> + Clone) -> usize {
    let longest = ids.clone().map(str::len).max().unwrap_or(8);
    (8..longest)
        .find(|&n| {
            let mut seen = std::collections::HashSet::new();
            ids.clone().all(|id| seen.insert(id.get(..n).unwrap_or(id)))
        })
        .unwrap_or(longest.max(8))
}

pub fn draw_waterfall(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.traces;
    let Some(w) = &v.open else {
        let msg = match (&v.opening, &v.open_error) {
            (_, Some(e)) => format!("✖ {e}"),
            (Some(id), None) => format!("Fetching trace {id}…"),
            _ => "No trace open.".into(),
        };
        let style = if v.open_error.is_some() { t.bad() } else { t.dim() };
        let block =
            Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" Trace ", t.title()));
        f.render_widget(Paragraph::new(msg).style(style).block(block).wrap(Wrap { trim: true }), area);
        return;
    };
    let detail_h = if area.height >= 24 { 8 } else { 5 };
    let [top, body, detail] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(detail_h)]).areas(area);
    let sum = &w.summary;
    let mut spans = vec![
        Span::styled(format!(" {} ", fit(&w.trace.trace_id, 32).trim_end()), t.title()),
        Span::raw(format!("{}: {}", sum.service, sum.operation)),
        Span::styled(format!("  {}  {} spans", micros(sum.duration_us), sum.spans), t.dim()),
    ];
    if sum.errors > 0 {
        spans.push(Span::styled(format!("  ✖ {} failed", sum.errors), t.bad()));
    }
    if !w.tree.orphans.is_empty() {
        spans.push(Span::styled(format!("  {} orphaned", w.tree.orphans.len()), t.warn()));
    }
    if !w.tree.cycles.is_empty() {
        spans.push(Span::styled(format!("  {} cycle(s) cut", w.tree.cycles.len()), t.warn()));
    }
    for warn in &w.trace.warnings {
        spans.push(Span::styled(format!("  ⚠ {warn}"), t.warn()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), top);
    draw_rows(app, w, f, body);
    draw_span(app, w, f, detail);
}

fn draw_rows(app: &App, w: &Waterfall, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Waterfall — ━ critical path · ✖ error · ⇡? orphan · ↻ cycle cut ", t.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let name_w = (usize::from(inner.width) * 2 / 5).clamp(16, 48);
    // The lanes give up the room of the selection's mark before each row.
    let width = usize::from(inner.width).saturating_sub(2);
    let dur_w = 8;
    let lane = width.saturating_sub(name_w + dur_w + 3).max(4) as u16;
    // The axis: start, middle and end of the trace.
    let axis = {
        let mid = micros(w.duration_us / 2);
        let end = micros(w.duration_us);
        let lane_w = usize::from(lane);
        let mut s = format!("{:name_w$} {:>dur_w$} 0", "", "");
        let pad = (lane_w / 2).saturating_sub(1 + mid.len() / 2);
        s.push_str(&" ".repeat(pad));
        s.push_str(&mid);
        let used = 1 + pad + mid.len();
        s.push_str(&format!("{end:>w$}", w = lane_w.saturating_sub(used)));
        crate::ui::widgets::unmarked(Line::from(Span::styled(s, t.dim())))
    };
    let height = usize::from(inner.height.saturating_sub(1));
    let top_row = (w.selected + 1).saturating_sub(height);
    let mut lines = vec![axis];
    for (i, r) in w.rows.iter().enumerate().skip(top_row).take(height) {
        let s = &w.trace.spans[r.span];
        let fold = match (r.children, r.collapsed) {
            (0, _) => " ",
            (_, true) => "▸",
            _ => "▾",
        };
        // Deep trees indent up to a point, then say how deep.
        let indent = if r.depth <= 12 { " ".repeat(r.depth) } else { format!("{:>11}", format!("+{} ", r.depth)) };
        let hidden = if r.collapsed { format!(" (+{})", w.tree.descendants(r.span)) } else { String::new() };
        let tag = if r.orphan {
            "⇡?"
        } else if r.cycle {
            "↻"
        } else {
            ""
        };
        let name = format!("{indent}{fold}{tag}{}: {}{hidden}", s.service, s.operation);
        let critical = w.critical[r.span];
        let (from, len) = w.bar(r.span, lane);
        let bar_style = if s.error {
            t.bad()
        } else if critical {
            t.accent_style().add_modifier(Modifier::BOLD)
        } else {
            t.dim()
        };
        let glyph = if critical { "━" } else { "─" };
        let mut spans = vec![
            Span::styled(fit(&name, name_w), if s.error { t.bad() } else { t.base() }),
            Span::styled(format!(" {:>dur_w$} ", micros(s.duration_us)), t.dim()),
            Span::raw(" ".repeat(usize::from(from))),
            Span::styled(glyph.repeat(usize::from(len.min(lane - from))), bar_style),
        ];
        if s.error {
            spans.push(Span::styled("✖", t.bad()));
        }
        let line = Line::from(spans);
        lines.push(crate::ui::widgets::picked(line, i == w.selected, t));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_span(app: &App, w: &Waterfall, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(s) = w.selected_span() else { return };
    let title = format!(" {}: {} ", s.service, s.operation);
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("span {}", s.span_id), t.dim()),
        Span::styled(format!("  +{}  {}", micros(s.start_us - w.start_us), micros(s.duration_us)), t.base()),
        if s.error { Span::styled("  ✖ error", t.bad()) } else { Span::raw("") },
        if w.critical.get(w.rows[w.selected].span).copied().unwrap_or(false) {
            Span::styled("  on the critical path", t.accent_style())
        } else {
            Span::raw("")
        },
    ])];
    let attrs: Vec<String> = s.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !attrs.is_empty() {
        lines.push(Line::from(Span::raw(attrs.join("  "))));
    }
    for (ts, e) in &s.events {
        lines.push(Line::from(vec![
            Span::styled(format!("+{} ", micros(ts - w.start_us)), t.dim()),
            Span::styled(e.as_str().to_string(), t.warn()),
        ]));
    }
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), area);
}
