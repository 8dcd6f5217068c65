//! Environments in the console: the header says which, always and in its colour; `N` goes to the next
//! one (asking first when something runs), keeping the screen and the selected service; a read-only
//! environment refuses every action where it is asked for; production asks for its name to be typed
//! with the service's; and the audit trail records the environment of each action.
use crate::support::{self, fixtures, key, typed};
use crossterm::event::KeyCode;
use watchpost::app::event_loop::Resume;
use watchpost::app::{App, Screen};
use watchpost::config::environment::Environment;

/// `n` services in environment `env` of production, staging and development.
fn app_in(env: &str, read_only: bool) -> App {
    let mut cfg = fixtures::config(5);
    cfg.environment = Some(Environment { name: env.into(), colour: None });
    cfg.environments = vec!["production".into(), "staging".into(), "development".into()];
    cfg.read_only = read_only;
    let mut app = fixtures::app(5);
    let fresh = App::new(&cfg, fixtures::t0());
    (app.environment, app.environments, app.read_only) = (fresh.environment, fresh.environments, fresh.read_only);
    app
}

#[test]
fn the_header_says_which_environment_at_every_width() {
    let prod = app_in("production", false);
    let wide = support::screen(&prod, 120, 40);
    let narrow = support::screen(&prod, 80, 24);
    for s in [&wide, &narrow] {
        assert!(s.lines().next().unwrap().contains(" production "), "{s}");
    }
    insta::assert_snapshot!("environment_header_120x40", wide);
    insta::assert_snapshot!("environment_header_80x24", narrow);
    let dev = support::screen(&app_in("development", true), 80, 24);
    let header = dev.lines().next().unwrap();
    assert!(header.contains(" development ") && header.contains("READ-ONLY"), "{header}");
    let dev_wide = support::screen(&app_in("development", true), 120, 40);
    assert!(dev_wide.lines().last().unwrap().contains("N environment"), "the footer offers the switch: {dev_wide}");
    // Without environments: no badge, no key offered.
    let plain = support::screen(&fixtures::app(5), 120, 40);
    assert!(!plain.contains("N environment") && !plain.contains(" production "), "{plain}");
}

/// Production is red, staging yellow, development green (the theme's alarm, warning and good colours),
/// unless the config gives one.
#[test]
fn each_environment_has_its_colour() {
    let fg = |env: &str, colour: Option<&str>| {
        let mut app = app_in(env, false);
        app.environment.as_mut().unwrap().colour = colour.and_then(watchpost::config::theme::Colour::parse);
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
        let buf = term.backend().buffer();
        let line: String = (0..120).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        let x = line.find(env).map(|b| line[..b].chars().count()).unwrap() as u16;
        buf[(x, 0)].fg
    };
    let theme = watchpost::ui::theme::Theme::default();
    assert_eq!(fg("production", None), theme.bad);
    assert_eq!(fg("staging", None), theme.warn);
    assert_eq!(fg("development", None), theme.good);
    assert_eq!(fg("staging", Some("#112233")), ratatui::style::Color::Rgb(0x11, 0x22, 0x33));
}

#[test]
fn n_goes_to_the_next_environment_and_keeps_the_screen_and_the_service() {
    let mut app = app_in("staging", false);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Detail);
    typed(&mut app, "N");
    assert_eq!(app.switch_to.as_deref(), Some("development"));
    let service = app.services[app.selected].service.name.clone();

    // The next environment opens where this one was left.
    let mut next = app_in("development", false);
    next.resume(&Resume { screen: Some(Screen::Detail), service: Some(service.clone()) });
    assert_eq!((next.screen, next.services[next.selected].service.name.clone()), (Screen::Detail, service));
    // A service it does not have: its overview, not another service's detail.
    let mut other = app_in("production", false);
    other.resume(&Resume { screen: Some(Screen::Detail), service: Some("nowhere".into()) });
    assert_eq!(other.screen, Screen::Overview);
    other.resume(&Resume { screen: Some(Screen::Alerts), service: Some("nowhere".into()) });
    assert_eq!(other.screen, Screen::Alerts);

    // From the last, the first; with one environment only, it says why nothing happens.
    let mut last = app_in("development", false);
    typed(&mut last, "N");
    assert_eq!(last.switch_to.as_deref(), Some("production"));
    let mut one = fixtures::app(3);
    typed(&mut one, "N");
    assert!(one.switch_to.is_none());
    assert!(one.notice_here().unwrap().contains("One environment only"), "{:?}", one.notice_here());
}

#[test]
fn a_read_only_environment_refuses_actions_where_they_are_asked_for() {
    let mut app = app_in("development", true);
    app.alerts.configured = true;
    typed(&mut app, "S");
    typed(&mut app, "n");
    assert!(app.alerts.editor.is_none(), "the silence form does not open");
    let s = support::screen(&app, 100, 30);
    assert!(s.contains("Not done (silence): development is read-only."), "{s}");
    typed(&mut app, "I");
    typed(&mut app, "a");
    assert!(app.take_incident_commands().is_empty());
    assert_eq!(app.read_only_refusal("rollback").as_deref(), Some("Not done (rollback): development is read-only."));
    // The same console elsewhere acts.
    let mut prod = app_in("production", false);
    prod.alerts.configured = true;
    typed(&mut prod, "S");
    typed(&mut prod, "n");
    assert!(prod.alerts.editor.is_some());
    let s = support::screen(&prod, 100, 30);
    assert!(s.contains("New silence in production"), "the form says where: {s}");
}

/// In production a destructive action's confirmation is the environment and the service, typed.
#[test]
fn production_asks_for_its_name_with_the_service() {
    assert_eq!(app_in("production", false).confirm_word("checkout"), "production/checkout");
    assert_eq!(app_in("staging", false).confirm_word("checkout"), "checkout");
    assert_eq!(fixtures::app(2).confirm_word("checkout"), "checkout");
}

/// Every action's record says where it was done.
#[test]
fn the_audit_trail_names_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let mut audit = watchpost::ops::audit::Audit::open(&dir.path().join("audit.db")).unwrap();
    let env = Environment { name: "production".into(), colour: None };
    let who = watchpost::ops::who::Who::current().in_environment(Some(&env));
    let values = serde_json::json!({"service": "checkout"});
    audit.record(&who, chrono::Utc::now(), "rollback", "checkout", &values, "intent").unwrap();
    let plain = watchpost::ops::who::Who::current();
    audit.record(&plain, chrono::Utc::now(), "silence.create", "new", &values, "intent").unwrap();
    let entries = audit.entries().unwrap();
    let vals: Vec<serde_json::Value> = entries.iter().map(|e| serde_json::from_str(&e.values).unwrap()).collect();
    assert_eq!(vals[0]["environment"], "production");
    assert_eq!(vals[0]["service"], "checkout");
    assert!(vals[1].get("environment").is_none(), "without environments, none is written");
    assert!(audit.verify().unwrap().1.is_empty(), "the chain holds");
}
