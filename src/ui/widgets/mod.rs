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

/// The glyph beside what has the focus or the selection: a form's field, a list's row. Colour alone is
/// lost without colour (`NO_COLOR`, a monochrome terminal) and hard to read on some themes.
pub const MARK: &str = "▶ ";
/// As wide as [`MARK`], beside what has neither.
pub const NO_MARK: &str = "  ";

/// A form field's name: marked and in the title style when it has the focus, dimmed when not.
pub fn field_label(name: &str, focused: bool, t: &crate::ui::theme::Theme) -> ratatui::text::Line<'static> {
    use ratatui::text::{Line, Span};
    if focused {
        Line::from(vec![Span::styled(MARK, t.title()), Span::styled(name.to_string(), t.title())])
    } else {
        Line::from(vec![Span::raw(NO_MARK), Span::styled(name.to_string(), t.dim())])
    }
}

/// A list's row with the selection's glyph before it (and its style over it) when `selected`, or as much
/// room when not, so the rows stay aligned with their header (give the header [`unmarked`]).
pub fn picked<'a>(
    line: ratatui::text::Line<'a>,
    selected: bool,
    t: &crate::ui::theme::Theme,
) -> ratatui::text::Line<'a> {
    if !selected {
        return unmarked(line);
    }
    let mut line = line;
    line.spans.insert(0, ratatui::text::Span::styled(MARK, t.title()));
    line.patch_style(t.selected())
}

/// A list's header (or a row that is never selected), indented as [`picked`] rows are.
pub fn unmarked(mut line: ratatui::text::Line<'_>) -> ratatui::text::Line<'_> {
    line.spans.insert(0, ratatui::text::Span::raw(NO_MARK));
    line
}

/// The width of each column of a `Table` drawn in `width` columns (borders excluded): a selection
/// gutter as wide as its mark and one column between columns — the layout the table itself makes — so
/// that cells can be cut to fit with `…` instead of silently.
pub struct Columns(Vec<usize>);

impl Columns {
    /// For a table made [`selectable`] (its gutter is [`MARK`]).
    pub fn new(constraints: &[ratatui::layout::Constraint], width: u16) -> Self {
        Self::marked(constraints, width, MARK)
    }

    /// For a table whose selection gutter is `mark`.
    pub fn marked(constraints: &[ratatui::layout::Constraint], width: u16, mark: &str) -> Self {
        use ratatui::layout::{Constraint, Layout, Rect};
        let mark = u16::try_from(unicode_width::UnicodeWidthStr::width(mark)).unwrap_or(2);
        let [_, columns] =
            Layout::horizontal([Constraint::Length(mark), Constraint::Fill(0)]).areas(Rect::new(0, 0, width, 1));
        let split = Layout::horizontal(constraints.iter().copied()).spacing(1).split(columns);
        Columns(split.iter().map(|r| usize::from(r.width)).collect())
    }

    /// Column `i`'s width.
    pub fn width(&self, i: usize) -> usize {
        self.0[i]
    }

    /// `text` in column `i`: cut with `…` when wider (the table pads it).
    pub fn fit(&self, i: usize, text: &str) -> String {
        crate::ui::format::fit(text, self.0[i]).trim_end().to_string()
    }
}

/// `table` with its selected row marked [`MARK`] and in the selection's style, the gutter kept when no
/// row is selected so the columns never move.
pub fn selectable<'a>(table: ratatui::widgets::Table<'a>, t: &crate::ui::theme::Theme) -> ratatui::widgets::Table<'a> {
    table
        .row_highlight_style(t.selected())
        .highlight_symbol(MARK)
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
}

/// How many rows `text` takes wrapped at word boundaries in `width` columns (at least one).
pub fn wrapped_rows(text: &str, width: u16) -> u16 {
    let p = ratatui::widgets::Paragraph::new(text.to_string()).wrap(ratatui::widgets::Wrap { trim: true });
    u16::try_from(p.line_count(width)).unwrap_or(u16::MAX).max(1)
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

/// [`field`] in `width` columns: when the text is wider, the start is cut (marked `…`) so the cursor
/// stays in sight, as a line editor scrolls.
pub fn field_fit(
    input: &ratatui_textarea::TextArea<'_>,
    text: ratatui::style::Style,
    cursor: ratatui::style::Style,
    width: u16,
) -> Vec<ratatui::text::Span<'static>> {
    use unicode_width::UnicodeWidthStr;
    let mut spans = field(input, text, cursor);
    // Keep a few columns after the cursor in sight as well.
    let room = usize::from(width).saturating_sub(1 + 8.min(spans[2].content.width()));
    let before = spans[0].content.to_string();
    if before.width() > room && room > 1 {
        let mut kept: Vec<char> = Vec::new();
        let mut w = 0;
        for c in before.chars().rev() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if w + cw + 1 > room {
                break;
            }
            w += cw;
            kept.push(c);
        }
        // A combining mark cut from its base would sit on the `…`: drop it too.
        while kept.last().is_some_and(|c| crate::text::sanitize::is_mark(*c)) {
            kept.pop();
        }
        spans[0].content = format!("…{}", kept.into_iter().rev().collect::<String>()).into();
    }
    spans
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_field_keeps_its_cursor_in_sight() {
        let t = ratatui_textarea::TextArea::new(vec![format!("{}end", "x".repeat(200))]);
        let mut t = t;
        t.move_cursor(ratatui_textarea::CursorMove::End);
        let s = ratatui::style::Style::default();
        let text: Vec<String> = super::field_fit(&t, s, s, 40).into_iter().map(|s| s.content.into_owned()).collect();
        assert!(text[0].starts_with('…') && text[0].ends_with("end"), "{:?}", text[0]);
        assert!(text[0].chars().count() < 40);
        assert_eq!(text[1], "▏");
    }

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
