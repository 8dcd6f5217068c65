//! One input model for every text field: the text area's own keys, with readline's meaning where a
//! shell user's fingers expect it.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

/// Apply `key` to `field`; true when its text changed. `ctrl-u` clears to the start of the line (the
/// text area would undo), `ctrl-w` deletes the word before the cursor, `ctrl-a`/`ctrl-e` go to the start
/// and end, `ctrl-k` clears to the end; anything else is the text area's.
pub fn edit(field: &mut TextArea<'_>, key: KeyEvent) -> bool {
    if key.modifiers == KeyModifiers::CONTROL && key.code == KeyCode::Char('u') {
        return field.delete_line_by_head();
    }
    field.input(key)
}

/// A form or prompt open on a screen, as typing sees it: every one edits through [`edit`], moves
/// between its fields with Tab, and forgets a stale error when its text changes. What Enter and Esc do
/// with it is its screen's (`View::submit`, `View::cancel`).
pub trait Form {
    /// The field the cursor is in (a form of no fields has none).
    fn field(&mut self) -> Option<&mut TextArea<'static>>;
    /// How many fields Tab moves between.
    fn fields(&self) -> usize {
        1
    }
    /// Which field has the cursor (a form of one field has no other).
    fn focus(&mut self) -> Option<&mut usize> {
        None
    }
    /// Its text changed: what was said about the old text no longer holds.
    fn edited(&mut self) {}
}

impl dyn Form + '_ {
    /// Type `key` into the focused field; true when its text changed.
    pub fn type_key(&mut self, key: KeyEvent) -> bool {
        let changed = self.field().is_some_and(|f| edit(f, key));
        if changed {
            self.edited();
        }
        changed
    }

    /// Tab (or Shift-Tab, `back`) to the next field, round.
    pub fn next_field(&mut self, back: bool) {
        let n = self.fields().max(1);
        if let Some(f) = self.focus() {
            *f = if back { (*f + n - 1) % n } else { (*f + 1) % n };
        }
    }
}

/// A prompt of one line.
impl Form for TextArea<'static> {
    fn field(&mut self) -> Option<&mut TextArea<'static>> {
        Some(self)
    }
}

/// A prompt of one line that says what it asks (a note, a reason, a log query).
impl<K> Form for (K, TextArea<'static>) {
    fn field(&mut self) -> Option<&mut TextArea<'static>> {
        Some(&mut self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str, keys: &[KeyEvent]) -> String {
        let mut t = TextArea::new(vec![text.to_string()]);
        t.move_cursor(ratatui_textarea::CursorMove::End);
        for k in keys {
            edit(&mut t, *k);
        }
        t.lines().join("\n")
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn plain(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn readline_keys() {
        assert_eq!(typed("deploy checkout", &[ctrl('u')]), "");
        assert_eq!(typed("deploy checkout", &[ctrl('w')]), "deploy ");
        assert_eq!(typed("lo", &[ctrl('a'), plain('h')]), "hlo");
        assert_eq!(typed("lo", &[ctrl('a'), ctrl('e'), plain('g')]), "log");
        assert_eq!(typed("job=api", &[ctrl('a'), ctrl('k')]), "");
        // ctrl-u clears what is before the cursor only.
        assert_eq!(typed("ab", &[KeyEvent::new(KeyCode::Left, KeyModifiers::NONE), ctrl('u')]), "b");
    }
}
