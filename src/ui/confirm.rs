//! The question asked before something running is killed: what it is, and the two answers.
use crate::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let Some(c) = &app.confirm else { return };
    let t = &app.theme;
    let w = area.width.min(70);
    let mut lines = vec![Line::from(Span::styled(c.question.clone(), t.title())), Line::default()];
    lines.extend(c.kills.iter().map(|k| Line::from(Span::styled(format!("✖ {k}"), t.bad()))));
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled(" y ", t.bad().add_modifier(Modifier::REVERSED | Modifier::BOLD)),
        Span::styled(format!(" {}   ", c.yes), t.base()),
        Span::styled(" n ", t.title().add_modifier(Modifier::REVERSED)),
        Span::styled(" / esc  keep it running", t.base()),
    ]));
    // Borders, and a line more for each kill that wraps at this width.
    let inner = usize::from(w.saturating_sub(2)).max(1);
    let wrapped: usize =
        c.kills.iter().map(|k| unicode_width::UnicodeWidthStr::width(k.as_str()).div_ceil(inner).max(1) - 1).sum();
    let h = (lines.len() + wrapped + 2).min(usize::from(area.height)) as u16;
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 3, width: w, height: h };
    f.render_widget(Clear, popup);
    let block = Block::new().borders(Borders::ALL).border_style(t.bad()).title(Span::styled(" Confirm ", t.bad()));
    f.render_widget(Paragraph::new(lines).style(t.base()).wrap(Wrap { trim: false }).block(block), popup);
}
