//! A drill as the console runs it, with a fixed clock: armed, started (the fault goes to the estate),
//! detected at the trainee's first action on the service or its alert, mitigated with `m`, over once
//! the service's figures are back within its SLO, and scored. The Drills screen as text.
use crate::support;

use chrono::Duration as CDuration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::fixtures::{self, t0};
use watchpost::alerts::model::{Alert, AlertState, display_pairs, fingerprint};
use watchpost::app::{App, Screen};
use watchpost::config::{HttpSource, TraceBackend, TraceConfig};
use watchpost::drills::Phase;
use watchpost::drills::session::Effect;
use watchpost::engine::Labels;
use watchpost::estate::changes::{Action, Change};
use watchpost::sources::alertmanager::AlertUpdate;
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
    assert_eq!(score.time_to_mitigate, Some(std::time::Duration::from_secs(420)), "to `m`");
    assert_eq!(score.time_to_recover, std::time::Duration::from_secs(540), "to back within SLO");
    assert!(score.met_target);

    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    insta::assert_snapshot!(term.backend());
    // At 80x24 the score is read whole: the list gives up its room to it.
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let s = term.backend().to_string();
    for line in ["Last drill", "time to detect", "action that fixed it", "back within SLO", "what would fix it"] {
        assert!(s.contains(line), "{line}:\n{s}");
    }
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
    let change = |service: &str, mitigated: bool| {
        estate_change(service, Action::Scale { replicas: 6 }, "runbook scale-out, step scale", mitigated)
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

/// The demo console with logs and traces to open, and alert `name` firing for `job` from a minute in.
fn console_with_alert(name: &str, job: &str) -> App {
    let mut cfg = fixtures::with_loki(fixtures::config(5));
    let jaeger = url::Url::parse("http://jaeger.example:16686").unwrap();
    cfg.traces = Some(TraceConfig { backend: TraceBackend::Jaeger, source: HttpSource::new(jaeger) });
    let mut app = demo_app();
    let fresh = App::new(&cfg, t0());
    (app.logs, app.traces) = (fresh.logs, fresh.traces);
    app.alerts.configured = true;
    let raw: Labels = [("alertname", name), ("job", job), ("severity", "critical")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let alert = Alert {
        fingerprint: fingerprint(&raw),
        source: "alertmanager".into(),
        labels: display_pairs(&raw),
        annotations: Vec::new(),
        raw_labels: raw,
        state: AlertState::Active,
        silenced_by: vec![],
        inhibited_by: vec![],
        starts_at: t0() + CDuration::minutes(1),
        ends_at: None,
        updated_at: Some(t0() + CDuration::minutes(1)),
        generator_url: "".into(),
    };
    let at = t0() + CDuration::minutes(1);
    app.on_alert_update(AlertUpdate::Snapshot { at, alerts: vec![alert], silences: vec![], errors: vec![] });
    app
}

/// An operator's change through the estate's deploy API, as its change feed reports it.
fn estate_change(service: &str, action: Action, cause: &str, mitigated: bool) -> Change {
    Change {
        service: service.into(),
        action,
        at: 0.0,
        by: "ann".into(),
        cause: cause.into(),
        revision: None,
        version: None,
        mitigated,
    }
}

fn start_drill(app: &mut App, name: &str) {
    key(app, 'D');
    app.drills.selected = app.drills.scenarios.iter().position(|s| s.name == name).unwrap();
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    app.take_drill_effects();
    assert_eq!(app.drills.run.as_ref().unwrap().phase, Phase::Running);
}

fn esc(app: &mut App) {
    app.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
}

/// Detection is the first thing the trainee does about the drill's alert: opening its logs at 2 min,
/// then its traces, then silencing it; not the rollback at 9 min that fixed it.
#[test]
fn detection_is_the_first_action_on_the_alert_not_the_rollback() {
    let mut app = console_with_alert("HighLatency", "payments");
    let api = url::Url::parse("http://127.0.0.1:9408/").unwrap();
    app.deploy.insert("payments".into(), watchpost::deploy::Provider::estate("payments", api));
    start_drill(&mut app, "payments-latency");

    app.on_tick(t0() + CDuration::minutes(2));
    key(&mut app, 'A');
    key(&mut app, 'l');
    assert_eq!(app.screen, Screen::Logs);
    esc(&mut app);
    app.on_tick(t0() + CDuration::minutes(3));
    key(&mut app, 't');
    assert_eq!(app.screen, Screen::Traces);
    esc(&mut app);
    app.on_tick(t0() + CDuration::minutes(4));
    key(&mut app, 's');
    assert!(app.alerts.editor.is_some(), "the silence editor is open on the alert");
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(app.alerts.editor.is_none(), "the silence was sent: {:?}", app.alerts.editor.as_ref().map(|e| &e.error));

    app.on_tick(t0() + CDuration::minutes(9));
    key(&mut app, 'H');
    app.selected = 2;
    key(&mut app, 'R');
    assert_eq!(app.screen, Screen::Rollback);
    let rollback = Action::Rollback { revision: None };
    app.on_estate_change(estate_change("payments", rollback, "rollback from the console", true));

    let run = app.drills.run.as_ref().unwrap();
    assert_eq!(run.detected_at, Some(t0() + CDuration::minutes(2)), "the logs were the first look");
    assert_eq!(run.detected_by.as_deref(), Some("by the logs of payments"));
    assert_eq!(run.phase, Phase::Recovering);
}

/// A silence made for the drill's alert goes with the drill: when the drill ends (here aborted; the
/// same when it is over) the console expires it, as any expiry is asked, and says so. A silence someone
/// else made with the same matchers, and one made for another alert, stay.
#[test]
fn a_silence_made_for_the_drill_ends_with_it() {
    use watchpost::alerts::model::{Silence, SilenceState};
    use watchpost::sources::alertmanager::AlertCommand;
    let mut app = console_with_alert("HighLatency", "payments");
    start_drill(&mut app, "payments-latency");
    app.on_tick(t0() + CDuration::minutes(2));
    key(&mut app, 'A');
    key(&mut app, 's');
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let sent = app.take_alert_commands();
    let [AlertCommand::PostSilence(new)] = &sent[..] else { panic!("{sent:?}") };
    // The Alertmanager's next answer has it, beside a colleague's with the same matchers and another.
    let silence = |id: &str, by: &str, matchers| Silence {
        id: id.into(),
        source: "alertmanager".into(),
        matchers,
        starts_at: new.starts_at,
        ends_at: new.ends_at,
        created_by: watchpost::text::Clean::new(by),
        comment: watchpost::text::Clean::new("drill"),
        state: SilenceState::Active,
    };
    let other = watchpost::alerts::matcher::parse("alertname=DiskFull").unwrap();
    let silences = vec![
        silence("ours", &new.created_by, new.matchers.clone()),
        silence("theirs", "someone else", new.matchers.clone()),
        silence("unrelated", &new.created_by, other),
    ];
    let alerts = app.alerts.alerts.clone();
    let at = t0() + CDuration::minutes(2);
    app.on_alert_update(AlertUpdate::Snapshot { at, alerts, silences, errors: vec![] });

    key(&mut app, 'D');
    key(&mut app, 'x');
    assert_eq!(app.drills.run.as_ref().unwrap().phase, Phase::Aborted);
    let sent = app.take_alert_commands();
    assert_eq!(sent, vec![AlertCommand::ExpireSilence { id: "ours".into() }]);
    let notice = app.drills.notice.clone().unwrap_or_default();
    assert!(notice.contains("expiring the 1 silence made for its alerts"), "{notice}");
    // The next drill starts with nothing to expire.
    start_drill(&mut app, "payments-latency");
    key(&mut app, 'x');
    assert!(app.take_alert_commands().is_empty());
}

/// Alert → its runbook → the runbook's rollback: opening the alert's runbook is the detection, even
/// though the only change to the estate is the step that ended the fault.
#[test]
fn an_alert_runbook_rollback_run_is_detected_at_the_runbook() {
    let mut app = console_with_alert("HighErrorRate", "checkout");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    app.runbooks.books = vec![watchpost::runbooks::parse::load(&dir.join("bad-deploy-rollback.md")).unwrap()];
    start_drill(&mut app, "checkout-bad-deploy");

    app.on_tick(t0() + CDuration::minutes(2));
    key(&mut app, 'A');
    key(&mut app, 'b');
    assert_eq!(app.screen, Screen::Runbooks, "the alert's runbook, its form filled from the alert");
    app.on_tick(t0() + CDuration::minutes(4));
    app.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    key(&mut app, '4');
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(app.screen, Screen::Run, "the runbook runs");
    app.on_tick(t0() + CDuration::minutes(5));
    let rollback = Action::Rollback { revision: Some(4) };
    app.on_estate_change(estate_change("checkout", rollback, "runbook bad-deploy-rollback, step rollback", true));
    app.on_tick(t0() + CDuration::minutes(7));
    let ok = figures(&app, "checkout", t0() + CDuration::minutes(7), 0.09);
    app.on_update(ok);
    app.on_tick(t0() + CDuration::minutes(7));

    let run = app.drills.run.as_ref().unwrap();
    assert_eq!(run.phase, Phase::Done);
    assert_eq!(run.detected_at, Some(t0() + CDuration::minutes(2)));
    key(&mut app, 'D');
    let screen = support::screen(&app, 120, 40);
    let detect = screen.lines().find(|l| l.contains("time to detect")).unwrap_or_else(|| panic!("{screen}"));
    assert!(detect.contains("2m") && !detect.contains("never"), "{detect}");
}

/// A fault ended by the estate's change, with nothing opened before it: the change was the operator's
/// first action on the service, so it is the detection too.
#[test]
fn the_fixing_change_is_a_detection_when_nothing_came_before() {
    let mut app = demo_app();
    start_drill(&mut app, "checkout-bad-deploy");
    app.on_tick(t0() + CDuration::minutes(6));
    let rollback = Action::Rollback { revision: Some(4) };
    app.on_estate_change(estate_change("checkout", rollback, "runbook bad-deploy-rollback, step rollback", true));
    assert_eq!(app.drills.run.as_ref().unwrap().detected_at, Some(t0() + CDuration::minutes(6)));
}
/// The score gives two times: to the action that fixed it, and to the service back within its SLO
/// (the one the MTTR target is for).
#[test]
fn the_score_shows_the_fix_and_back_within_slo() {
    let mut app = demo_app();
    start_drill(&mut app, "payments-latency");
    app.on_tick(t0() + CDuration::minutes(2));
    esc(&mut app);
    app.selected = 2;
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    app.on_tick(t0() + CDuration::minutes(4));
    let scale = Action::Scale { replicas: 6 };
    app.on_estate_change(estate_change("payments", scale, "runbook scale-out, step scale", true));
    app.on_tick(t0() + CDuration::minutes(11));
    let ok = figures(&app, "payments", t0() + CDuration::minutes(11), 0.09);
    app.on_update(ok);
    app.on_tick(t0() + CDuration::minutes(11));
    key(&mut app, 'D');

    let screen = support::screen(&app, 120, 40);
    let row = |label: &str| {
        screen.lines().find(|l| l.contains(label)).unwrap_or_else(|| panic!("no `{label}`:\n{screen}")).to_string()
    };
    assert!(row("time to detect").contains("2m"), "{screen}");
    assert!(row("action that fixed it").contains("4m"), "{screen}");
    assert!(row("back within SLO").contains("11m"), "{screen}");
    assert!(row("back within SLO").contains("within the 15m MTTR target"), "{screen}");
}
