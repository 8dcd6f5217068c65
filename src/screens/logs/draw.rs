//! The Logs screen: a status line (store, query, follow or range, counts, drops, tail state), the lines
//! that fit (time, level in its colour, service, text with highlights; wrapped or scrolled sideways),
//! gaps marked, and a line for prompts and notices. Only visible rows are built.
use crate::app::App;
use crate::logs::{Entry, Level, LogLine};
use crate::screens::logs::state::{CONTEXT, LogsMode, LogsView};
use crate::sources::logs::TailState;
use crate::ui::format::fit;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn level_style(t: &Theme, l: Level) -> Style {
    match l {
        Level::Fatal => t.bad().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        Level::Error => t.bad(),
        Level::Warn => t.warn(),
        Level::Info => t.good(),
        Level::Debug | Level::Trace => t.dim(),
        Level::Unknown => t.base(),
    }
}

fn time_ns(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns).format("%H:%M:%S%.3f").to_string()
}

fn status(app: &App) -> Line<'static> {
    let t = &app.theme;
    let v = &app.logs;
    let store = v.source.as_ref().map_or("logs", |s| s.name());
    let mut spans = vec![Span::styled(format!(" {store} "), t.title())];
    spans.extend(crate::ui::widgets::failure(t, v.health.as_ref()));
    let q = crate::text::sanitize(&v.query).into_owned();
    spans.push(Span::styled(fit(&q, 40).trim_end().to_string(), t.base()));
    spans.push(Span::styled(" │ ", t.dim()));
    match v.mode {
        LogsMode::Follow if v.paused() => {
            spans.push(Span::styled(format!("PAUSED ({} new)", v.unseen), t.warn().add_modifier(Modifier::BOLD)))
        }
        LogsMode::Follow => spans.push(Span::styled("FOLLOW", t.good().add_modifier(Modifier::BOLD))),
        LogsMode::Range { from_ns, to_ns } => {
            let fmt = |ns| chrono::DateTime::from_timestamp_nanos(ns).format("%m-%d %H:%M:%S").to_string();
            spans.push(Span::styled(format!("{} → {}", fmt(from_ns), fmt(to_ns)), t.accent_style()));
        }
    }
    match &v.tail {
        Some(TailState::Live) => spans.push(Span::styled(" ● live", t.good())),
        Some(TailState::Polling) => spans.push(Span::styled(" ● polling", t.good())),
        Some(TailState::Connecting) => spans.push(Span::styled(" ○ connecting", t.dim())),
        Some(TailState::Reconnecting { attempt }) => {
            spans.push(Span::styled(format!(" ◐ reconnecting (try {attempt})"), t.warn()))
        }
        Some(TailState::Down { error, retry_in, .. }) => spans
            .push(Span::styled(format!(" ✖ tail down: {error} — retry in {}", crate::time::short(*retry_in)), t.bad())),
        Some(TailState::Stopped { error }) => {
            spans.push(Span::styled(format!(" ✖ tail stopped: {}", crate::text::capped(error.as_str(), 200)), t.bad()))
        }
        None => {}
    }
    spans.push(Span::styled(" │ ", t.dim()));
    let b = &v.buffer;
    let shown = if b.filter().is_some() { format!("{} of {}", b.shown_len(), b.len()) } else { b.len().to_string() };
    spans.push(Span::styled(format!("{shown} lines (max {})", b.capacity()), t.dim()));
    if b.dropped > 0 {
        spans.push(Span::styled(format!(" · {} dropped", b.dropped), t.warn()));
    }
    if let Some(f) = b.filter() {
        spans.push(Span::styled(format!(" · /{}/", crate::text::sanitize(&f.pattern)), t.accent_style()));
    }
    if let Some(h) = &v.highlight {
        spans.push(Span::styled(format!(" · *{}*", crate::text::sanitize(&h.pattern)), t.warn()));
    }
    if v.wrap {
        spans.push(Span::styled(" · wrap", t.dim()));
    }
    if v.hscroll > 0 {
        spans.push(Span::styled(format!(" · →{}", v.hscroll), t.dim()));
    }
    Line::from(spans)
}

/// The text's segments with the highlight's matches marked.
fn highlighted(v: &LogsView, text: &str, base: Style, mark: Style) -> Vec<(String, Style)> {
    let Some(h) = &v.highlight else { return vec![(text.to_string(), base)] };
    let mut out = Vec::new();
    let mut at = 0;
    for r in h.ranges(text) {
        if r.start > at {
            out.push((text[at..r.start].to_string(), base));
        }
        out.push((text[r.clone()].to_string(), mark));
        at = r.end;
    }
    if at < text.len() {
        out.push((text[at..].to_string(), base));
    }
    out
}

/// Drop the first `n` characters of the segments (horizontal scroll).
fn skip_chars(segments: Vec<(String, Style)>, mut n: usize) -> Vec<(String, Style)> {
    let mut out = Vec::new();
    for (s, st) in segments {
        if n == 0 {
            out.push((s, st));
            continue;
        }
        let count = s.chars().count();
        if count <= n {
            n -= count;
            continue;
        }
        out.push((s.chars().skip(n).collect(), st));
        n = 0;
    }
    out
}

fn line_of(app: &App, l: &LogLine, selected: bool, service_w: usize) -> Line<'static> {
    let t = &app.theme;
    let v = &app.logs;
    let text_style = if l.level >= Level::Error && l.level != Level::Unknown { t.bad() } else { t.base() };
    let mut spans = vec![
        Span::styled(format!("{} ", time_ns(l.ts_ns)), t.dim()),
        Span::styled(format!("{:<5} ", l.level.label()), level_style(t, l.level)),
    ];
    if service_w > 0 {
        spans.push(Span::styled(format!("{} ", fit(l.service.as_str(), service_w)), t.accent_style()));
    }
    let mark = t.warn().add_modifier(Modifier::REVERSED);
    let segs = highlighted(v, l.text.as_str(), text_style, mark);
    let segs = if v.wrap { segs } else { skip_chars(segs, v.hscroll) };
    spans.extend(segs.into_iter().map(|(s, st)| Span::styled(s, st)));
    let line = Line::from(spans);
    crate::ui::widgets::picked(line, selected, t)
}

fn gap_line(app: &App, from: i64, to: i64, note: &str) -> Line<'static> {
    let text = format!("┄┄ gap {} → {}: {} ┄┄", time_ns(from), time_ns(to), note);
    Line::from(Span::styled(text, app.theme.warn().add_modifier(Modifier::BOLD)))
}

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.logs;
    let [top, body, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    f.render_widget(Paragraph::new(status(app)).style(t.base()), top);
    let title = match (&v.service, v.context) {
        (_, Some(_)) => " Logs — context (unfiltered; c or esc to leave) ".to_string(),
        (Some(s), None) => format!(" Logs — {} ", crate::text::sanitize(s)),
        (None, None) => " Logs ".to_string(),
    };
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let inner = block.inner(body);
    f.render_widget(block, body);
    if v.source.is_none() {
        let msg = "No log store configured: add [loki] url = \"http://…:3100\" or [elasticsearch] to the config.";
        f.render_widget(Paragraph::new(msg).style(t.dim()).wrap(Wrap { trim: true }), inner);
    } else if v.buffer.shown_len() == 0 {
        let msg = match (&v.error, v.loading) {
            (Some(e), _) => format!("✖ {e}"),
            (None, true) => "Loading…".into(),
            (None, false) if v.buffer.filter().is_some() => "No line matches the filter.".into(),
            (None, false) => "No lines in this window.".into(),
        };
        let style = if v.error.is_some() { t.bad() } else { t.dim() };
        f.render_widget(Paragraph::new(msg).style(style).wrap(Wrap { trim: true }), inner);
    } else {
        draw_lines(app, f, inner);
    }
    draw_bottom(app, f, bottom);
}

fn draw_lines(app: &App, f: &mut Frame, area: Rect) {
    let v = &app.logs;
    let height = usize::from(area.height);
    // The numbers of the entries to show, and which one is selected.
    let (numbers, selected): (Vec<u64>, Option<u64>) = match v.context {
        Some(c) => (v.buffer.around(c, CONTEXT, CONTEXT).collect(), v.cursor.or(Some(c))),
        None => {
            let len = v.buffer.shown_len();
            let sel = v.selected_row();
            let top = if v.centered && v.cursor.is_some() {
                sel.saturating_sub(height / 2).min(len.saturating_sub(height))
            } else {
                (sel + 1).saturating_sub(height)
            };
            let rows = (top..len.min(top + height)).filter_map(|r| v.buffer.shown_at(r)).collect();
            (rows, v.buffer.shown_at(sel))
        }
    };
    let service_w = if area.width >= 100 { 10 } else { 0 };
    let mut y = area.y;
    let bottom = area.y + area.height;
    // With wrap, the rows above the selection may not all fit: start late enough that it does.
    let lines: Vec<(Line, u16)> = numbers
        .iter()
        .filter_map(|n| v.buffer.get(*n).map(|e| (*n, e)))
        .map(|(n, e)| {
            let line = match e {
                Entry::Line(l) => line_of(app, l, Some(n) == selected, service_w),
                Entry::Gap { from_ns, to_ns, note } => gap_line(app, *from_ns, *to_ns, note),
            };
            let h = if v.wrap { (line.width().max(1)).div_ceil(usize::from(area.width.max(1))) as u16 } else { 1 };
            (line, h.min(area.height))
        })
        .collect();
    let sel_idx = numbers.iter().position(|n| Some(*n) == selected).unwrap_or(0);
    let mut start = 0;
    if v.wrap {
        let mut used: u16 = 0;
        for i in (0..=sel_idx.min(lines.len().saturating_sub(1))).rev() {
            used = used.saturating_add(lines[i].1);
            if used > area.height {
                break;
            }
            start = i;
        }
    }
    for (line, h) in lines.into_iter().skip(start) {
        if y >= bottom {
            break;
        }
        let h = h.min(bottom - y);
        let rect = Rect { x: area.x, y, width: area.width, height: h };
        let cut = !v.wrap && line.width() > usize::from(area.width);
        let p = Paragraph::new(line);
        f.render_widget(if v.wrap { p.wrap(Wrap { trim: false }) } else { p }, rect);
        // A line that goes on past the right edge says so in its last column (→ scrolls, w wraps).
        if cut {
            let (x, buf) = (rect.right() - 1, f.buffer_mut());
            // A wide character cut in half by the edge goes too: its first half alone would push the mark.
            if x > rect.x
                && let Some(before) = buf.cell_mut((x - 1, y))
                && unicode_width::UnicodeWidthStr::width(before.symbol()) > 1
            {
                before.set_symbol(" ");
            }
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_symbol("…").set_style(app.theme.dim().add_modifier(Modifier::BOLD));
            }
        }
        y += h;
    }
}

fn draw_bottom(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.logs;
    let line = if let Some((kind, input)) = &v.prompt {
        let mut spans = vec![Span::styled(format!(" {}: ", kind.label()), t.title())];
        spans.extend(crate::ui::widgets::field(input, Default::default(), t.dim()));
        match &v.prompt_error {
            Some(e) => spans.push(Span::styled(format!("  ✖ {e}"), t.bad())),
            None => spans.push(Span::styled("  enter: apply · esc: cancel", t.dim())),
        }
        if *kind == crate::screens::logs::state::LogPrompt::Query && !v.candidates.is_empty() {
            let list = crate::text::sanitize(&v.candidates.join(" ")).into_owned();
            spans.push(Span::styled(format!("  tab: {list}"), t.dim()));
        } else if *kind == crate::screens::logs::state::LogPrompt::Query && !v.labels.is_empty() {
            let list = crate::text::sanitize(&v.labels.join(" ")).into_owned();
            spans.push(Span::styled(format!("  labels (tab completes): {list}"), t.dim()));
        }
        Line::from(spans)
    } else if let Some((ok, m)) = &v.notice {
        Line::from(Span::styled(format!(" {m}"), if *ok { t.good() } else { t.warn() }))
    } else if let (Some(e), true) = (&v.error, v.buffer.shown_len() > 0) {
        Line::from(Span::styled(format!(" ✖ {e}"), t.bad()))
    } else if let Some(id) = v.selected_entry().and_then(Entry::line).and_then(|l| l.trace_id.as_deref()) {
        Line::from(vec![Span::styled(" enter", t.title()), Span::styled(format!(": open trace {id}"), t.dim())])
    } else {
        Line::from(Span::styled(format!(" {}", short_help()), t.dim()))
    };
    f.render_widget(Paragraph::new(line), area);
}

fn short_help() -> &'static str {
    "f follow/pause · / filter · h highlight · w wrap · ←→ scroll · @ jump · c context · e query"
}
