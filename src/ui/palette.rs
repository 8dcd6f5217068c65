//! The command palette: its query, and what it finds with the key for each.
use crate::app::App;
use crate::app::palette::entries;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let Some(p) = &app.palette else { return };
    let t = &app.theme;
    let found = entries(&app.keys, p.context, &p.query());
    let w = area.width.min(72);
    let h = area.height.min(18);
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 4, width: w, height: h };
    let room = usize::from(h.saturating_sub(4));
    // The selected entry stays in view.
    let first = p.selected.saturating_sub(room.saturating_sub(1));
    let mut lines = vec![Line::from(
        [vec![Span::styled("› ", t.title())], super::widgets::field(&p.input, t.base(), t.title())].concat(),
    )];
    lines.push(Line::default());
    if found.is_empty() {
        lines.push(Line::from(Span::styled("  nothing here does that", t.dim())));
    }
    for (i, e) in found.iter().enumerate().skip(first).take(room) {
        let line = Line::from(vec![
            Span::styled(format!("{:<12} ", e.keys), t.title()),
            Span::styled(e.desc.to_string(), t.base()),
        ]);
        lines.push(crate::ui::widgets::picked(line, i == p.selected, t));
    }
    f.render_widget(Clear, popup);
    let title = format!(" Find · {} ", app.screen.title());
    let block = Block::new().borders(Borders::ALL).border_style(t.title()).title(Span::styled(title, t.title()));
    f.render_widget(Paragraph::new(lines).style(t.base()).block(block), popup);
}
