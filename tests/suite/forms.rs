//! Every form and prompt is one input model: typing edits its field the same way in each (readline's
//! keys), Esc closes it, and its footer offers only the keys it takes.
use crate::support::fixtures::{self, t0};
use crate::support::{key, screen, typed};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use watchpost::app::keymap::Context;
use watchpost::app::{App, Screen};

fn ctrl(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

/// The text of the field the cursor is in, on the form open now.
fn field(app: &mut App) -> String {
    let view = app.screen.view();
    let form = view.form(app).expect("a form is open");
    form.field().expect("it has a field").lines().join("\n")
}

#[test]
fn every_form_edits_alike_and_esc_closes_it() {
    let mut app = App::new(&fixtures::with_loki(fixtures::config(5)), t0());
    // Each screen, and the key that opens a form or prompt on it.
    let forms = [
        (Screen::Overview, '/'),
        (Screen::Alerts, '/'),
        (Screen::Silences, 'n'),
        (Screen::Audit, '/'),
        (Screen::Logs, '/'),
        (Screen::Logs, 'h'),
        (Screen::Logs, '@'),
        (Screen::Logs, 'e'),
        (Screen::Traces, '/'),
    ];
    for (on, open) in forms {
        app.screen = on;
        key(&mut app, KeyCode::Char(open));
        assert_eq!(app.context(), Context::Form, "{on:?} `{open}` opens a form");
        ctrl(&mut app, 'u');
        app.take_dirty();
        typed(&mut app, "deploy checkout");
        assert!(app.take_dirty(), "{on:?} `{open}`: typing redraws");
        assert!(field(&mut app).ends_with("deploy checkout"), "{on:?} `{open}`: {:?}", field(&mut app));
        ctrl(&mut app, 'w');
        assert!(field(&mut app).ends_with("deploy "), "{on:?} `{open}`: ctrl-w deletes a word");
        ctrl(&mut app, 'a');
        typed(&mut app, "q");
        assert!(field(&mut app).starts_with('q'), "{on:?} `{open}`: ctrl-a goes to the start, `q` is text");
        assert!(!app.quit, "typing `q` in a form does not quit");
        ctrl(&mut app, 'u');
        ctrl(&mut app, 'e');
        ctrl(&mut app, 'u');
        assert_eq!(field(&mut app), "", "{on:?} `{open}`: ctrl-u clears to the start");
        key(&mut app, KeyCode::Esc);
        assert_ne!(app.context(), Context::Form, "{on:?} `{open}`: Esc closes it");
        assert_eq!(app.screen, on, "Esc in a form stays on its screen");
    }
}

#[test]
fn a_form_s_footer_offers_only_the_keys_it_takes() {
    let mut app = fixtures::app(5);
    key(&mut app, KeyCode::Char('/'));
    let footer = screen(&app, 120, 40).lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("submit") && footer.contains("cancel"), "{footer}");
    for other in ["next field", "dry run", " q quit", "refresh"] {
        assert!(!footer.contains(other), "a one-field filter offers `{other}`: {footer}");
    }
    key(&mut app, KeyCode::Esc);
    app.screen = Screen::Silences;
    key(&mut app, KeyCode::Char('n'));
    let footer = screen(&app, 120, 40).lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("next field") && !footer.contains("dry run"), "{footer}");
}
