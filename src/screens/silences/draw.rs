//! The Silences screen, and the silence editor drawn over the Alerts or Silences screen: who made each
//! silence and why, always; a silence about to end while its alerts still fire is flagged.
use crate::alerts::matcher::to_text;
use crate::alerts::model::SilenceState;
use crate::app::App;
use crate::screens::alerts::state::{FIELD_NAMES, is_broad};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.alerts;
    let [top, list] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    if let Some((ok, msg)) = &v.notice {
        f.render_widget(Paragraph::new(format!(" {msg}")).style(if *ok { t.good() } else { t.bad() }), top);
    }
    let all = v.sorted_silences();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" Silences ({}) ", all.len()), t.title()));
    if all.is_empty() {
        let msg = if v.configured { "No silences." } else { "No Alertmanager configured." };
        f.render_widget(Paragraph::new(msg).style(t.dim()).block(block), list);
        return;
    }
    let widths = [
        Constraint::Length(8),
        Constraint::Fill(3),
        Constraint::Length(6),
        Constraint::Length(12),
        Constraint::Length(18),
        Constraint::Fill(2),
    ];
    let cols = crate::ui::widgets::Columns::new(&widths, block.inner(list).width);
    let rows = all.iter().map(|s| {
        let (state, style) = match s.state {
            SilenceState::Active if v.expiring_while_firing(s, app.now) => ("ENDING", t.bad()),
            SilenceState::Active => ("active", t.good()),
            SilenceState::Pending => ("pending", t.warn()),
            SilenceState::Expired => ("expired", t.dim()),
        };
        let ends = match s.state {
            SilenceState::Expired => format!("ended {} ago", crate::ui::when::ago(app.now, s.ends_at)),
            _ => format!("in {}", crate::ui::when::until(app.now, s.ends_at)),
        };
        let covers = s.covers(&v.alerts).count();
        Row::new([
            Cell::from(Span::styled(state, style)),
            Cell::from(cols.fit(1, &crate::text::sanitize(&to_text(&s.matchers)))),
            Cell::from(format!("{covers}")),
            Cell::from(cols.fit(3, &ends)),
            Cell::from(cols.fit(4, &s.created_by.to_string())),
            Cell::from(cols.fit(5, &s.comment.to_string())),
        ])
    });
    let table = Table::new(rows, widths)
        .header(Row::new(["STATE", "MATCHERS", "ALERTS", "ENDS", "BY", "WHY"]).style(t.dim()))
        .block(block);
    let table = crate::ui::widgets::selectable(table, t);
    let mut state = TableState::default().with_selected(Some(v.silence_selected));
    f.render_stateful_widget(table, list, &mut state);
}

/// The editor, centred over `area`.
pub fn draw_editor(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(ed) = &app.alerts.editor else { return };
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2).min(20);
    let rect = Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h);
    f.render_widget(Clear, rect);
    // Where it is made, when there are environments: ` New silence in production `.
    let title = format!(" {}{} ", if ed.id.is_some() { "Update silence" } else { "New silence" }, app.in_environment());
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let warnings = ed.warnings();
    // A field's error is read whole: it takes the rows it needs.
    let msg_rows = ed.error.as_deref().map_or(1, |e| crate::ui::widgets::wrapped_rows(e, inner.width).min(4));
    let [f0, f1, f2, by, msg, warn, preview] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(msg_rows),
        Constraint::Length(warnings.len().min(4) as u16),
        Constraint::Fill(1),
    ])
    .areas(inner);
    for (i, area) in [f0, f1, f2].into_iter().enumerate() {
        let [label, input] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        f.render_widget(Paragraph::new(crate::ui::widgets::field_label(FIELD_NAMES[i], ed.focus == i, t)), label);
        // Drawn escaped, like every untrusted text: the values are what will be sent, and a label's
        // invisible or bidi characters show as `\u200b`, never as themselves.
        let [_, input] = Layout::horizontal([Constraint::Length(2), Constraint::Fill(1)]).areas(input);
        let cursor = if ed.focus == i { t.title() } else { ratatui::style::Style::default() };
        let spans = crate::ui::widgets::field_fit(&ed.fields[i], t.base(), cursor, input.width);
        let spans = if ed.focus == i { spans } else { vec![spans[0].clone(), spans[2].clone()] };
        f.render_widget(Paragraph::new(Line::from(spans)), input);
    }
    f.render_widget(Paragraph::new(format!("by {}", crate::text::sanitize(&app.alerts.author))).style(t.dim()), by);
    if let Some(e) = &ed.error {
        f.render_widget(Paragraph::new(e.clone()).style(t.bad()).wrap(Wrap { trim: true }), msg);
    } else {
        f.render_widget(Paragraph::new("enter: create · tab: next field · esc: cancel").style(t.dim()), msg);
    }
    let more = warnings.len().saturating_sub(4);
    let lines: Vec<Line> = warnings
        .iter()
        .take(if more > 0 { 3 } else { 4 })
        .map(|w| Line::from(Span::styled(format!("⚠ {w}"), t.warn())))
        .chain((more > 0).then(|| Line::from(Span::styled(format!("⚠ … and {} more", more + 1), t.warn()))))
        .collect();
    f.render_widget(Paragraph::new(lines), warn);
    // Live preview: which current alerts it would silence.
    let mut lines = Vec::new();
    match ed.matchers() {
        Ok(ms) => {
            let hits: Vec<_> =
                app.alerts.alerts.iter().filter(|a| crate::alerts::matcher::matches_all(&ms, &a.raw_labels)).collect();
            let broad = is_broad(&ms, &app.alerts.alerts);
            lines.push(Line::from(Span::styled(
                format!(
                    "matches {} of {} current alerts{}",
                    hits.len(),
                    app.alerts.alerts.len(),
                    if broad { " — EVERY alert: needs a second confirmation" } else { "" }
                ),
                if broad { t.bad() } else { t.base() },
            )));
            for a in hits.iter().take(preview.height.saturating_sub(1) as usize) {
                let who = a.label("service").or_else(|| a.label("job")).map_or("", |c| c.as_str());
                let who = crate::text::capped(who, 60);
                lines.push(Line::from(Span::styled(format!("  {} {} {}", a.state_label(), a.name(), who), t.dim())));
            }
        }
        Err(e) => lines.push(Line::from(Span::styled(format!("matchers: {e}"), t.bad()))),
    }
    f.render_widget(Paragraph::new(lines), preview);
}
