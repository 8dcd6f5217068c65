//! The Audit screen: whether the chain verifies, the newest entries (who, when, what, on what, the
//! result) filtered by text, and the selected entry's values.
use crate::app::App;
use crate::ui::format::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.audit;
    let [top, list, detail] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(5)]).areas(area);
    let mut spans = vec![Span::styled(format!(" {} ", v.path.display()), t.title())];
    if let Some(input) = &v.filter {
        spans.push(Span::styled("filter: ", t.title()));
        spans.extend(crate::ui::widgets::field(input, Default::default(), t.dim()));
    } else if let Some(e) = &v.error {
        spans.push(Span::styled(format!("✖ {e}"), t.bad()));
    } else if v.tampered.is_empty() {
        spans.push(Span::styled(format!("✓ {} entries, the chain is intact", v.total), t.good()));
    } else {
        let first = v.tampered.first().map(ToString::to_string).unwrap_or_default();
        spans.push(Span::styled(format!("✖ {} problem(s): {first}", v.tampered.len()), t.bad()));
    }
    if !v.filter_text.is_empty() && v.filter.is_none() {
        spans.push(Span::styled(format!("  /{}/", crate::text::sanitize(&v.filter_text)), t.accent_style()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), top);

    let visible = v.visible();
    let title = format!(" Audit trail ({} shown, newest first) ", visible.len());
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let inner = block.inner(list);
    f.render_widget(block, list);
    if visible.is_empty() {
        let msg = if v.loading { "Reading…" } else { "No entries." };
        f.render_widget(Paragraph::new(msg).style(t.dim()), inner);
        return;
    }
    let height = usize::from(inner.height);
    let top_row = (v.selected + 1).saturating_sub(height);
    // Less the selection's mark; narrower columns on a narrow terminal, so the result keeps its room.
    let w = usize::from(inner.width).saturating_sub(2);
    let (who_w, act_w, tgt_w) = match w {
        130.. => (30, 28, 24),
        100.. => (18, 22, 18),
        _ => (12, 16, 12),
    };
    let res_w = w.saturating_sub(23 + who_w + act_w + tgt_w).max(8);
    let lines: Vec<Line> = visible
        .iter()
        .enumerate()
        .skip(top_row)
        .take(height)
        .map(|(i, e)| {
            let who = match &e.ssh_client {
                Some(c) => format!("{}@{} ({c})", e.user, e.host),
                None => format!("{}@{}", e.user, e.host),
            };
            let style =
                if e.result.starts_with("denied") || e.result.starts_with("failed") { t.bad() } else { t.base() };
            let text = format!(
                "{:<19} {} {} {} {}",
                e.at.get(..19).unwrap_or(&e.at).replace('T', " "),
                fit(&crate::text::sanitize(&who), who_w),
                fit(&crate::text::sanitize(&e.action), act_w),
                fit(&crate::text::sanitize(&e.target), tgt_w),
                fit(&crate::text::sanitize(&e.result), res_w),
            );
            crate::ui::widgets::picked(Line::from(Span::styled(text, style)), i == v.selected, t)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
    if let Some(e) = visible.get(v.selected) {
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.border())
            .title(Span::styled(format!(" entry {} · hash {}… ", e.seq, e.hash.get(..16).unwrap_or("")), t.title()));
        let text = format!("values {}\nresult {}", crate::text::sanitize(&e.values), crate::text::sanitize(&e.result));
        f.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), detail);
    }
}
