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
