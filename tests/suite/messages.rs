//! The console as a state machine, without a terminal or a network: messages in (keys, source updates,
//! a worker that could not take an effect), effects out, and the buffer drawn from the state.
use crate::support::fixtures::{self, t0};
use crate::support::screen;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use watchpost::app::message::{Effect, Msg, Worker};
use watchpost::app::{App, Screen};
use watchpost::sources::logs::LogCommand;
use watchpost::sources::prometheus::Command;

fn press(app: &mut App, code: KeyCode) {
    app.update(Msg::Terminal(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))));
}

fn app() -> App {
    App::new(&fixtures::with_loki(fixtures::config(10)), t0())
}

#[test]
fn keys_in_effects_out() {
    let mut app = app();
    press(&mut app, KeyCode::Char('r'));
    let effects = app.take_effects();
    assert!(matches!(effects.as_slice(), [Effect::Prometheus(Command::RefreshNow)]), "one refresh asked");
    assert!(app.take_effects().is_empty(), "effects are taken once");

    // The selected service's logs: the log store is asked for that service's lines.
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.screen, Screen::Logs);
    let queries: Vec<String> = app
        .take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Logs(LogCommand::Query { query, .. }) => Some(query),
            _ => None,
        })
        .collect();
    let first = app.services[app.selected].service.name.clone();
    assert_eq!(queries, vec![format!("{{service=\"{first}\"}}")]);
}

#[test]
fn a_worker_that_cannot_take_an_effect_is_said_on_the_screen_it_came_from() {
    let mut app = app();
    press(&mut app, KeyCode::Char('l'));
    app.take_effects();
    app.update(Msg::NotDelivered(Worker::Logs));
    let s = screen(&app, 120, 40);
    assert!(s.contains("The log store is busy or not configured"), "{s}");
}

#[test]
fn a_notice_belongs_to_its_screen_and_a_passing_one_fades() {
    let mut app = app();
    // The footer: the screen's last line.
    let footer = |app: &App| screen(app, 120, 40).lines().last().unwrap_or_default().to_string();
    press(&mut app, KeyCode::Char('s'));
    assert!(footer(&app).contains("sorted "), "said where it was done: {}", footer(&app));
    app.update(Msg::Tick(t0() + chrono::Duration::seconds(3)));
    assert!(footer(&app).contains("sorted "), "still there a moment later");
    app.update(Msg::Tick(t0() + chrono::Duration::seconds(7)));
    assert!(!footer(&app).contains("sorted "), "faded: {}", footer(&app));

    // A problem stays until a key, and only on its own screen.
    app.update(Msg::NotDelivered(Worker::Rollbacks));
    app.update(Msg::Tick(t0() + chrono::Duration::seconds(60)));
    assert!(screen(&app, 120, 40).contains("The rollback worker is busy"));
    app.screen = Screen::Alerts;
    assert!(!screen(&app, 120, 40).contains("The rollback worker is busy"), "not on another screen");
    app.screen = Screen::Overview;
    press(&mut app, KeyCode::Char('j'));
    assert!(!screen(&app, 120, 40).contains("The rollback worker is busy"), "a key dismisses it");
}

/// An idle console draws nothing between changes: a tick before the drawn frame goes out of date, or a
/// round whose figures differ only in their timestamps, leaves the view clean; the tick at the moment
/// the frame said (its clock's next minute, an age turning) makes it dirty.
#[test]
fn an_idle_console_draws_only_when_what_is_drawn_changes() {
    use watchpost::sources::prometheus::Update;
    let mut app = fixtures::app(3);
    screen(&app, 120, 40);
    let next = watchpost::ui::when::next().expect("the frame shows the clock");
    app.drawn(Some(next));
    assert!(next > t0() && next <= t0() + chrono::Duration::minutes(1), "{next}");
    app.take_dirty();
    app.update(Msg::Tick(t0() + chrono::Duration::milliseconds(900)));
    assert!(!app.take_dirty(), "a second passing changes nothing drawn");
    let same: Vec<_> = app
        .services
        .iter()
        .map(|v| {
            let mut f = v.figures.clone().unwrap();
            f.at = t0();
            (v.service.name.clone(), f)
        })
        .collect();
    app.update(Msg::Prometheus(Update::Round(same.clone())));
    assert!(!app.take_dirty(), "the same figures again draw nothing");
    let mut changed = same;
    changed[0].1.rate = Some(1234.0);
    app.update(Msg::Prometheus(Update::Round(changed)));
    assert!(app.take_dirty(), "a new figure is drawn");
    screen(&app, 120, 40);
    app.drawn(watchpost::ui::when::next());
    // No more rounds: the figures stop being fresh after two refreshes, and that is drawn.
    let aged = t0() + chrono::Duration::from_std(app.refresh * 2).unwrap() + chrono::Duration::milliseconds(1);
    assert!(aged < next, "before the clock's minute");
    app.update(Msg::Tick(aged));
    assert!(app.take_dirty(), "data no longer fresh shows its age");
    app.update(Msg::Tick(next));
    assert!(app.take_dirty(), "the moment the frame said it would change");
}
