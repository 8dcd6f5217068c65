//! The help popup, generated from the key table, so it is never wrong.
use crate::app::App;
use crate::app::keymap::Context;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// The width of the keys' column, and the popup's widest.
const KEYS_W: usize = 18;
const MAX_W: u16 = 100;

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let ctx = app.context();
    let mut lines = Vec::new();
    // As wide as the longest description needs, up to the terminal; what is still longer wraps under its
    // own column, never cut.
    let w = area.width.min(MAX_W);
    let desc_w = usize::from(w).saturating_sub(2 + KEYS_W).max(10);
    let section = |name: &str, ctx: Context, lines: &mut Vec<Line<'static>>| {
        lines.push(Line::from(Span::styled(name.to_string(), t.title())));
        for (keys, desc) in app.keys.describe_applying(ctx, |a| app.applies(ctx, a)) {
            // Keys wider than their column (the movement keys, `j/k, ↓/↑, pgdn/pgup, g/G`) take a line
            // of their own, with what they do under it.
            let alone = unicode_width::UnicodeWidthStr::width(keys.as_str()) > KEYS_W - 3;
            if alone {
                lines.push(Line::from(Span::styled(format!("  {keys}"), t.base())));
            }
            for (i, part) in wrap(&desc, desc_w).into_iter().enumerate() {
                let keys = if i == 0 && !alone { format!("  {keys:<16}") } else { " ".repeat(KEYS_W) };
                lines.push(Line::from(vec![Span::styled(keys, t.base()), Span::styled(part, t.dim())]));
            }
        }
        lines.push(Line::default());
    };
    section(&format!("{} screen", app.screen.title()), ctx, &mut lines);
    if !ctx.is_typing() {
        section("Everywhere", Context::Global, &mut lines);
    }
    lines.push(Line::from(Span::styled("Change keys in the config's [keys] tables.", t.dim())));
    // The demo's estate answers real tools too: where to point them.
    if let Some(api) = &app.estate_api {
        let text = format!(
            "The estate's APIs (Prometheus, Alertmanager, Loki, Jaeger, Tempo under tempo/, PagerDuty) are \
             at {api}: point promtool, amtool, logcli or Grafana at it."
        );
        for part in wrap(&text, usize::from(w).saturating_sub(2)) {
            lines.push(Line::from(Span::styled(part, t.dim())));
        }
    }
    let fits = lines.len() + 3 <= usize::from(area.height);
    let close = match app.keys.rows(Context::Help).first().filter(|_| !fits) {
        Some(scroll) => format!("{} scroll; any other key closes this.", scroll.keys_with(ToString::to_string)),
        None => "Any key closes this.".to_string(),
    };
    lines.push(Line::from(Span::styled(close, t.dim())));
    let widest = lines.iter().map(Line::width).max().unwrap_or(0);
    let w = w.min(u16::try_from(widest + 2).unwrap_or(MAX_W)).max(area.width.min(40));
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

/// `text` in lines of at most `width` columns, broken between words (a word wider than a line is cut
/// across lines). By hand: the popup's only wrapping with a hanging indent, which `Paragraph` lacks.
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let mut out = vec![String::new()];
    for word in text.split_whitespace() {
        let line = out.last_mut().expect("never empty");
        let need = if line.is_empty() { word.width() } else { line.width() + 1 + word.width() };
        if need <= width {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            out.push(String::new());
        }
        for c in word.chars() {
            let line = out.last_mut().expect("never empty");
            if line.width() + c.width().unwrap_or(0) > width {
                out.push(String::new());
            }
            out.last_mut().expect("never empty").push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_between_words_and_cuts_only_words_wider_than_a_line() {
        assert_eq!(super::wrap("open the logs of the service", 12), ["open the", "logs of the", "service"]);
        assert_eq!(super::wrap("abcdefghij kl", 4), ["abcd", "efgh", "ij", "kl"]);
        assert_eq!(super::wrap("", 4), [""]);
    }
}
