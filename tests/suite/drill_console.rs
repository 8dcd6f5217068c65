//! A drill as the console runs it, with a fixed clock: armed, started (the fault goes to the estate),
//! detected when the trainee opens the service, mitigated with `m`, over once the service's figures
//! are back within its SLO, and scored. The Drills screen as text.
use crate::support;

use chrono::Duration as CDuration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::fixtures::{self, t0};
use watchpost::app::{App, Screen};
use watchpost::drills::Phase;
use watchpost::drills::session::Effect;
use watchpost::sources::prometheus::{ServiceFigures, Update};

fn key(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
}

fn demo_app() -> App {
    let mut app = fixtures::app(5);
    app.demo = true;
    app.drills.scenarios = watchpost::drills::scenario::built_in();
    app
}

fn figures(app: &App, service: &str, at: chrono::DateTime<chrono::Utc>, p95: f64) -> Update {
    let v = app.services.iter().find(|v| v.service.name == service).unwrap();
    let f = ServiceFigures {
        at,
        up: Some((2, 2)),
        p95: Some(p95),
        error_ratio: Some(0.0002),
        ..v.figures.clone().unwrap()
    };
    Update::Figures { service: service.into(), figures: f }
}

#[test]
fn a_drill_from_arming_to_score() {
    let mut app = demo_app();
    key(&mut app, 'D');
    assert_eq!(app.screen, Screen::Drills);
    // The first scenario: latency on payments (fixtures' third service).
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let fx = app.take_drill_effects();
    assert!(matches!(&fx[..], [Effect::Inject(f)] if f.kind.name() == "latency"), "{fx:?}");
    assert_eq!(app.drills.run.as_ref().unwrap().phase, Phase::Running);

    // Three minutes later the trainee opens payments from the overview: detected.
    app.on_tick(t0() + CDuration::minutes(3));
    app.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    app.selected = 2;
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(app.drills.run.as_ref().unwrap().detected_at, Some(t0() + CDuration::minutes(3)));

    // Mitigated at 7 min; figures fetched after that are healthy at 9 min.
    app.on_tick(t0() + CDuration::minutes(7));
    key(&mut app, 'D');
    key(&mut app, 'm');
    assert!(matches!(&app.take_drill_effects()[..], [Effect::EndFaults(_)]));
    let slow = figures(&app, "payments", t0() + CDuration::minutes(8), 0.9);
    app.on_update(slow);
    app.on_tick(t0() + CDuration::minutes(8));
    assert_eq!(app.drills.run.as_ref().unwrap().phase, Phase::Recovering, "p95 still over the objective");
    let ok = figures(&app, "payments", t0() + CDuration::minutes(9), 0.09);
    app.on_update(ok);
    app.on_tick(t0() + CDuration::minutes(9));
    let run = app.drills.run.as_ref().unwrap();
    assert_eq!(run.phase, Phase::Done);
    let score = run.score().unwrap();
    assert_eq!(score.time_to_detect, Some(std::time::Duration::from_secs(180)));
    assert_eq!(score.time_to_mitigate, Some(std::time::Duration::from_secs(540)));
    assert!(score.met_target);

    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    insta::assert_snapshot!(term.backend());
}

#[test]
fn a_random_start_is_not_shown_and_drills_need_the_estate() {
    let mut app = demo_app();
    key(&mut app, 'D');
    key(&mut app, 'R');
    let run = app.drills.run.as_ref().unwrap();
    assert!(run.hidden_start && run.starts_at <= t0() + CDuration::minutes(10));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let screen = term.backend().to_string();
    assert!(screen.contains("it starts when it starts"), "{screen}");
    assert!(!screen.contains("started "), "the start is not given away: {screen}");

    // Not on the demo: nothing is injected, and the screen says why.
    let mut real = fixtures::app(5);
    real.drills.scenarios = watchpost::drills::scenario::built_in();
    key(&mut real, 'D');
    real.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(real.drills.run.is_none() && real.take_drill_effects().is_empty());
    assert!(real.drills.notice.as_deref().unwrap().contains("watchpost drill run"));
}

/// A runbook's step (or a rollback) that ends the fault through the estate mitigates the drill: the
/// estate's change says which, and the score shows it, with the runbooks run during the drill.
#[test]
fn a_change_on_the_estate_mitigates_the_drill_and_is_scored() {
    let mut app = demo_app();
    key(&mut app, 'D');
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    app.take_drill_effects();
    app.drills.run.as_mut().unwrap().used_runbook("scale-out");
    let change = |service: &str, mitigated: bool| watchpost::estate::changes::Change {
        service: service.into(),
        action: watchpost::estate::changes::Action::Scale { replicas: 6 },
        at: 0.0,
        by: "ann".into(),
        cause: "runbook scale-out, step scale".into(),
        revision: None,
        version: None,
        mitigated,
    };
    app.on_tick(t0() + CDuration::minutes(4));
    app.on_estate_change(change("checkout", false));
    app.on_estate_change(change("payments", false));
    assert_eq!(app.drills.run.as_ref().unwrap().phase, Phase::Running, "only a change that ended the fault counts");
    app.on_estate_change(change("payments", true));
    let run = app.drills.run.as_ref().unwrap();
    assert_eq!(run.phase, Phase::Recovering);
    assert_eq!(run.mitigated_by.as_deref(), Some("by scale of payments (ann: runbook scale-out, step scale)"));
    assert!(app.take_drill_effects().is_empty(), "the estate ended the fault itself");
    assert_eq!(app.estate_changes.len(), 3);
    app.on_tick(t0() + CDuration::minutes(6));
    let f = figures(&app, "payments", t0() + CDuration::minutes(6), 0.05);
    app.on_update(f);
    app.on_tick(t0() + CDuration::minutes(6));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let screen = term.backend().to_string();
    assert!(screen.contains("scale-out"), "{screen}");
    assert!(screen.contains("by scale of payments"), "{screen}");
}
