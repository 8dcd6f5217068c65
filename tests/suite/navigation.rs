//! Navigation as a k9s user expects it: Esc walks a drill-down back one level at a time, a top-level
//! screen starts a new path (Esc from it goes to the overview), and `H` goes home from anywhere.
use crate::support::fixtures::{self, t0};
use crate::support::key;
use crossterm::event::KeyCode;
use watchpost::app::{App, Screen};

fn app() -> App {
    App::new(&fixtures::with_loki(fixtures::config(10)), t0())
}

/// overview → the selected service → its logs.
fn drill_to_logs(app: &mut App) {
    key(app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Detail);
    key(app, KeyCode::Char('L'));
    assert_eq!(app.screen, Screen::Logs);
}

#[test]
fn esc_walks_the_drill_down_back_not_the_history() {
    let mut app = app();
    // Wander through top-level screens first: none of that is a path to walk back.
    for c in ['A', 'K', 'U', 'B', 'A'] {
        key(&mut app, KeyCode::Char(c));
    }
    assert_eq!(app.screen, Screen::Alerts);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Overview, "Esc from a top-level screen goes to the overview");

    // overview → service → logs: Esc walks back that path.
    drill_to_logs(&mut app);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Detail);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Overview);
}

#[test]
fn h_goes_home_from_anywhere_and_tab_keeps_no_path() {
    let mut app = app();
    drill_to_logs(&mut app);
    key(&mut app, KeyCode::Char('H'));
    assert_eq!(app.screen, Screen::Overview);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Overview, "nothing left to walk back after going home");

    // overview → service → logs, then Tab: the next top-level screen, a new path, so Esc goes to the
    // overview, not to the service.
    drill_to_logs(&mut app);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.screen, Screen::Kpis);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Overview);
}

/// Tab and Shift-Tab cycle the top-level screens, round, and never stop on a drilled-into one.
#[test]
fn tab_cycles_the_top_level_screens() {
    let mut app = app();
    let mut seen = vec![app.screen];
    for _ in 0..Screen::ALL.len() {
        key(&mut app, KeyCode::Tab);
        assert!(app.screen.is_top_level(), "{:?}", app.screen);
        if app.screen == Screen::Overview {
            break;
        }
        seen.push(app.screen);
    }
    let top: Vec<Screen> = Screen::ALL.iter().copied().filter(|s| s.is_top_level()).collect();
    assert_eq!(seen, top, "once round, in order");
    key(&mut app, KeyCode::BackTab);
    assert_eq!(Some(&app.screen), seen.last(), "Shift-Tab goes the other way");
}

#[test]
fn the_palette_finds_a_screen_by_what_it_does() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let mut app = app();
    app.on_key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL));
    let s = crate::support::screen(&app, 80, 24);
    assert!(s.contains("Find · Overview"), "{s}");
    assert!(s.lines().last().unwrap().contains("enter do"), "the footer says the palette's keys:\n{s}");
    // Typing is text, not keys: `q` does not quit here.
    crate::support::typed(&mut app, "quit audit");
    assert!(!app.quit);
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    crate::support::typed(&mut app, "audit");
    let s = crate::support::screen(&app, 80, 24);
    assert!(s.contains("U ") && s.contains("audit trail"), "the audit trail, with its key:\n{s}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Audit);
    assert!(app.palette.is_none());
    // Esc closes it without doing anything.
    app.on_key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL));
    key(&mut app, KeyCode::Esc);
    assert!(app.palette.is_none());
    assert_eq!(app.screen, Screen::Audit);
}

/// Every screen answers `?` (help opens, any key closes it) and Esc (it leaves, and from the overview
/// stays there).
#[test]
fn every_screen_answers_help_and_esc() {
    for &screen in watchpost::app::Screen::ALL {
        let mut app = app();
        app.screen = screen;
        // The explorer opens editing, where `?` is text: Esc first leaves the field.
        if app.context() == watchpost::app::keymap::Context::Editing {
            key(&mut app, KeyCode::Esc);
        }
        key(&mut app, KeyCode::Char('?'));
        assert!(app.help, "{screen:?}: ? opens help");
        key(&mut app, KeyCode::Esc);
        assert!(!app.help, "{screen:?}: a key closes help");
        key(&mut app, KeyCode::Esc);
        if screen != Screen::Overview {
            assert_ne!(app.screen, screen, "{screen:?}: Esc leaves");
        }
    }
}

/// The help popup's own keys: ↓/↑ scroll it, `q` (as in a pager), Esc and `?` close it without quitting;
/// `ctrl-c` still quits.
#[test]
fn q_closes_the_help_and_ctrl_c_still_quits() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let mut app = app();
    for close in [KeyCode::Char('q'), KeyCode::Esc, KeyCode::Char('?')] {
        key(&mut app, KeyCode::Char('?'));
        assert!(app.help);
        key(&mut app, KeyCode::Down);
        assert!(app.help && app.help_scroll == 1, "↓ scrolls");
        key(&mut app, close);
        assert!(!app.help && !app.quit, "{close:?} closes the help and does not quit");
    }
    key(&mut app, KeyCode::Char('?'));
    app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.quit, "ctrl-c quits from the help");
}
