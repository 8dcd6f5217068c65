//! The help popup, generated from the key table, so it is never wrong.
use crate::app::App;
use crate::app::keymap::Context;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let ctx = app.context();
    let mut lines = Vec::new();
    let section = |name: &str, ctx: Context, lines: &mut Vec<Line<'static>>| {
        lines.push(Line::from(Span::styled(name.to_string(), t.title())));
        for (keys, desc) in app.keys.describe(ctx) {
            lines.push(Line::from(vec![Span::styled(format!("  {keys:<16}"), t.base()), Span::styled(desc, t.dim())]));
        }
        lines.push(Line::default());
    };
    section(&format!("{} screen", app.screen.title()), ctx, &mut lines);
    if ctx != Context::Editing {
        section("Everywhere", Context::Global, &mut lines);
    }
    lines.push(Line::from(Span::styled("Change keys in the config's [keys] tables.", t.dim())));
    let fits = lines.len() + 3 <= usize::from(area.height);
    let close = if fits { "Any key closes this." } else { "j/k or ↓/↑ scroll; any other key closes this." };
    lines.push(Line::from(Span::styled(close, t.dim())));
    let w = area.width.min(64);
    let h = (lines.len() as u16 + 2).min(area.height);
    // What does not fit scrolls (the help of a busy screen is longer than 24 lines).
    let room = usize::from(h.saturating_sub(2));
    let scroll = app.help_scroll.min(lines.len().saturating_sub(room));
    let lines: Vec<Line> = lines.into_iter().skip(scroll).collect();
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    f.render_widget(Clear, popup);
    let block = Block::new().borders(Borders::ALL).border_style(t.title()).title(Span::styled(" Help ", t.title()));
    f.render_widget(Paragraph::new(lines).style(t.base()).block(block), popup);
}
