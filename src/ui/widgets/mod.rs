//! Small drawing helpers shared by screens.
pub mod spark;
pub use spark::spark;

/// `✖ failing: why` for a store that is down, to put beside its name; nothing while it answers.
pub fn failure(
    t: &crate::ui::theme::Theme,
    h: Option<&crate::sources::SourceHealth>,
) -> Option<ratatui::text::Span<'static>> {
    let h = h.filter(|h| h.is_down())?;
    let why = h.last_error.as_ref().map_or(String::new(), |e| format!(": {e}"));
    Some(ratatui::text::Span::styled(format!("✖ {}{why} ", h.state.label()), t.bad()))
}

/// A one-line text field as drawn: its text escaped for display, with the cursor mark where the cursor
/// is (after `ctrl-a` it is at the start, not at the end).
pub fn field(
    input: &ratatui_textarea::TextArea<'_>,
    text: ratatui::style::Style,
    cursor: ratatui::style::Style,
) -> Vec<ratatui::text::Span<'static>> {
    use ratatui::text::Span;
    let ratatui_textarea::DataCursor(row, col) = input.cursor();
    let lines = input.lines();
    let before: String = lines[..row.min(lines.len())].concat();
    let line = lines.get(row).map_or("", String::as_str);
    let at = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
    let after: String = std::iter::once(&line[at..]).chain(lines.iter().skip(row + 1).map(String::as_str)).collect();
    vec![
        Span::styled(crate::text::sanitize(&format!("{before}{}", &line[..at])).into_owned(), text),
        Span::styled("▏", cursor),
        Span::styled(crate::text::sanitize(&after).into_owned(), text),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cursor_mark_sits_where_the_cursor_is() {
        let mut t = ratatui_textarea::TextArea::new(vec!["payments\u{202e}".to_string()]);
        t.move_cursor(ratatui_textarea::CursorMove::Head);
        t.move_cursor(ratatui_textarea::CursorMove::Forward);
        let s = ratatui::style::Style::default();
        let text: Vec<String> = super::field(&t, s, s).into_iter().map(|s| s.content.into_owned()).collect();
        assert_eq!(text[0], "p");
        assert_eq!(text[1], "▏");
        assert!(text[2].starts_with("ayments") && !text[2].contains('\u{202e}'), "{:?}", text[2]);
    }
}
