//! The Rollback screen from the console's keys, with the real rollback worker and the estate's real
//! deploy API: `R` on a service lists its versions, enter shows the checks and the plan exactly as it
//! will run, a freeze asks for an override's reason, the service's name must be typed, then the plan
//! runs, the watch reports its gates and the outcome, and the audit trail has it all.
use chrono::Utc;
use crossterm::event::KeyCode;
use std::time::Duration;
use tokio::sync::mpsc;
use watchpost::app::{App, Screen};
use watchpost::ops::rollback_tasks::{RollbackUpdate, run};
use watchpost::screens::rollback::state::Phase;

use crate::support::{key, typed};

async fn pump(
    app: &mut App,
    tx: &mpsc::Sender<watchpost::ops::rollback_tasks::RollbackCommand>,
    rx: &mut mpsc::Receiver<RollbackUpdate>,
    done: impl Fn(&App) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        for c in app.take_rollback_commands() {
            tx.send(c).await.unwrap();
        }
        if done(app) {
            return;
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => app.on_rollback_update(u),
            _ => panic!("no progress"),
        }
    }
}

/// The estate serving its deploy API on loopback, and the console's config for it with an audit trail
/// of its own: the estate, its API's address, the folder the trail lives in and the config.
async fn estate_config() -> (watchpost::estate::serve::Served, url::Url, tempfile::TempDir, watchpost::config::Config) {
    let estate = watchpost::estate::serve::start(5, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let api = url::Url::parse(&format!("http://{}/", estate.api)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = watchpost::config::Config::demo(&api, 5);
    cfg.audit_path = dir.path().join("audit.db");
    (estate, api, dir, cfg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_from_the_console() {
    let (_estate, _, _dir, mut cfg) = estate_config().await;
    // A freeze on checkout, in effect now.
    let start = (Utc::now() - chrono::Duration::minutes(5)).naive_utc();
    let schedule = watchpost::schedule::Schedule::new(
        start,
        chrono_tz::UTC,
        chrono::Duration::hours(1),
        watchpost::schedule::Rule::Once,
    )
    .unwrap();
    cfg.changes.freezes = vec![watchpost::config::changes::Freeze {
        name: "release-train".into(),
        reason: "".into(),
        schedule,
        services: vec!["checkout".into()],
    }];
    let mut app = App::new(&cfg, Utc::now());
    app.audit.path = cfg.audit_path.clone();
    app.rollback_settings.hold = Duration::from_millis(200);
    app.rollback_settings.watch = Duration::from_secs(1);
    let (tx, cmd_rx) = mpsc::channel(8);
    let (up_tx, mut rx) = mpsc::channel(256);
    // No Prometheus behind this estate: the watch cannot see the gates hold, and says so.
    tokio::spawn(run(cmd_rx, up_tx, None, None));

    app.selected = app.services.iter().position(|v| v.service.name == "checkout").unwrap();
    typed(&mut app, "R");
    assert_eq!(app.screen, Screen::Rollback);
    pump(&mut app, &tx, &mut rx, |a| a.rollback.as_ref().unwrap().phase == Phase::Choose).await;
    let r = app.rollback.as_ref().unwrap();
    assert!(r.history.last().unwrap().current);
    assert_eq!(r.selected, r.history.len() - 2, "the version before the current is offered first");

    key(&mut app, KeyCode::Enter);
    let r = app.rollback.as_ref().unwrap();
    assert_eq!(r.phase, Phase::Confirm);
    let first = r.plan[0].to_string();
    assert!(first.starts_with("POST http://") && first.contains("/estate/v1/services/checkout/rollback"));
    assert_eq!(r.gates.len(), 2);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(110, 30)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let screen = term.backend().to_string();
    assert!(screen.contains("change freeze `release-train`"), "{screen}");
    assert!(screen.contains("error ratio over 2m < 0.10%") && screen.contains("p95 over 2m < 200ms"), "{screen}");
    assert!(screen.contains("the overview's figures are over 5m"), "why the two windows differ: {screen}");

    // The freeze wants a reason, then the name; a wrong name runs nothing.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.context(), watchpost::app::keymap::Context::Form);
    key(&mut app, KeyCode::Enter);
    assert!(app.rollback.as_ref().unwrap().error.as_deref().unwrap().contains("needs a reason"));
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "INC-42 checkout failing");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "payments");
    key(&mut app, KeyCode::Enter);
    assert!(app.rollback.as_ref().unwrap().error.as_deref().unwrap().contains("type `checkout`"));
    assert_eq!(app.rollback.as_ref().unwrap().phase, Phase::Confirm);
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "checkout");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.rollback.as_ref().unwrap().phase, Phase::Running);
    pump(&mut app, &tx, &mut rx, |a| a.rollback.as_ref().unwrap().phase == Phase::Done).await;
    // The versions are read again: the rollback made a new one, now current.
    let (before, target) = {
        let r = app.rollback.as_ref().unwrap();
        (r.history.len(), r.history[r.selected].version.clone())
    };
    pump(&mut app, &tx, &mut rx, |a| {
        let h = &a.rollback.as_ref().unwrap().history;
        h.len() == before + 1 && h.last().is_some_and(|v| v.version == target && v.current)
    })
    .await;
    let r = app.rollback.as_ref().unwrap();
    assert_eq!(r.phase, Phase::Done);
    assert!(r.lines.iter().any(|l| l.contains("\"mitigated\"")), "{:?}", r.lines);
    assert!(matches!(&r.outcome, Some(Ok(watchpost::ops::rollback::Outcome::GateFailed(_)))), "{:?}", r.outcome);

    let audit = watchpost::ops::audit::Audit::open(&cfg.audit_path).unwrap();
    let entries = audit.entries().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries[0].values.contains("INC-42 checkout failing"), "the override's reason is recorded");
    assert!(entries[1].result.starts_with("failed: the gate"));
}

/// The console ending (SIGTERM here) while a rollback runs: its command is killed and the audit trail
/// says why, before the console exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_killed_because_the_console_ended_is_recorded() {
    let (_estate, api, _dir, cfg) = estate_config().await;
    let mut app = App::new(&cfg, Utc::now());
    app.audit.path = cfg.audit_path.clone();
    // A rollback whose command takes a while: it is still running when the console ends. Not checkout:
    // the other test rolls that back at the same time, and a service's rollback lock is one per host.
    let versions = r#"echo '[{"revision":"1","version":"v1"},{"revision":"2","version":"v2","current":true}]'"#;
    app.deploy.insert(
        "payments".into(),
        watchpost::deploy::Provider {
            kind: watchpost::deploy::provider::Kind::Command {
                list: vec!["sh".into(), "-c".into(), versions.into()],
                rollback: vec!["sleep".into(), "30".into()],
                status: None,
            },
            ..watchpost::deploy::Provider::estate("payments", api.clone())
        },
    );
    let (tx, cmd_rx) = mpsc::channel(8);
    let (up_tx, mut rx) = mpsc::channel(256);
    tokio::spawn(run(cmd_rx, up_tx, None, None));
    app.selected = app.services.iter().position(|v| v.service.name == "payments").unwrap();
    typed(&mut app, "R");
    pump(&mut app, &tx, &mut rx, |a| a.rollback.as_ref().unwrap().phase == Phase::Choose).await;
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "payments");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.rollback.as_ref().unwrap().phase, Phase::Running);
    pump(&mut app, &tx, &mut rx, |a| !a.rollback.as_ref().unwrap().lines.is_empty()).await;
    // Quitting now asks, naming the rollback.
    typed(&mut app, "q");
    assert!(!app.quit && app.running().iter().any(|k| k.contains("the rollback of payments")), "{:?}", app.running());
    let (done, recorded) = tokio::sync::oneshot::channel();
    let why = "the console ended on SIGTERM".to_string();
    tx.send(watchpost::ops::rollback_tasks::RollbackCommand::End { why, done }).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), recorded).await.expect("recorded in time");
    let entries = watchpost::ops::audit::Audit::open(&cfg.audit_path).unwrap().entries().unwrap();
    let last = entries.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.result.as_str()),
        ("rollback.result", "killed: the console ended on SIGTERM")
    );
}

/// Enter on the version that runs now plans nothing and says why (it planned "from 6 to 5" with the
/// cursor still on 6); moving to an earlier version clears the message.
#[test]
fn enter_on_the_current_version_says_it_is_what_runs() {
    let cfg = watchpost::config::Config::from_env(Some("http://prometheus.example:9090")).unwrap();
    let mut app = App::new(&cfg, Utc::now());
    let version = |rev: &str, current: bool| watchpost::deploy::Version {
        revision: rev.into(),
        version: format!("checkout:1.{rev}"),
        at: None,
        by: None,
        cause: None,
        current,
    };
    app.rollback = Some(watchpost::screens::rollback::state::RollbackView {
        service: "checkout".into(),
        phase: Phase::Choose,
        history: vec![version("5", false), version("6", true)],
        selected: 1,
        error: None,
        blockers: vec![],
        plan: vec![],
        gates: vec![],
        input: None,
        override_reason: None,
        lines: Default::default(),
        holding: vec![],
        held: Duration::ZERO,
        outcome: None,
    });
    app.screen = Screen::Rollback;
    key(&mut app, KeyCode::Enter);
    let r = app.rollback.as_ref().unwrap();
    assert_eq!(r.phase, Phase::Choose, "nothing planned");
    assert!(r.plan.is_empty());
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 20)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let screen = term.backend().to_string();
    assert!(screen.contains("checkout:1.6 (revision 6) is what runs now"), "{screen}");
    key(&mut app, KeyCode::Up);
    assert!(app.rollback.as_ref().unwrap().error.is_none(), "moving clears it");
}

/// The roles policy holds in the console as on the command line: a rollback it does not allow is not
/// started (nothing runs, nothing is locked), and the screen says which rule denied it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_the_policy_denies_is_not_started() {
    let (_estate, api, _dir, cfg) = estate_config().await;
    let mut app = App::new(&cfg, Utc::now());
    app.audit.path = cfg.audit_path.clone();
    let versions = r#"echo '[{"revision":"1","version":"v1"},{"revision":"2","version":"v2","current":true}]'"#;
    let ran = _dir.path().join("rolled-back");
    app.deploy.insert(
        "inventory".into(),
        watchpost::deploy::Provider {
            kind: watchpost::deploy::provider::Kind::Command {
                list: vec!["sh".into(), "-c".into(), versions.into()],
                rollback: vec!["touch".into(), ran.display().to_string()],
                status: None,
            },
            ..watchpost::deploy::Provider::estate("inventory", api.clone())
        },
    );
    let user = watchpost::ops::who::Who::current().user;
    let text =
        format!("[roles.viewer]\nactions = [\"view\"]\n\n[[bindings]]\nusers = [\"{user}\"]\nroles = [\"viewer\"]\n");
    let policy = watchpost::ops::policy::Policy::parse(std::path::Path::new("policy.toml"), &text).unwrap();
    let (tx, cmd_rx) = mpsc::channel(8);
    let (up_tx, mut rx) = mpsc::channel(256);
    tokio::spawn(run(cmd_rx, up_tx, None, Some(policy)));
    app.selected = app.services.iter().position(|v| v.service.name == "inventory").unwrap();
    typed(&mut app, "R");
    pump(&mut app, &tx, &mut rx, |a| a.rollback.as_ref().unwrap().phase == Phase::Choose).await;
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "inventory");
    key(&mut app, KeyCode::Enter);
    pump(&mut app, &tx, &mut rx, |a| a.rollback.as_ref().unwrap().outcome.is_some()).await;
    let r = app.rollback.as_ref().unwrap();
    let err = r.outcome.as_ref().unwrap().as_ref().unwrap_err();
    assert!(err.starts_with("not run: denied by policy.toml") && err.contains("none allows `rollback`"), "{err}");
    assert!(!ran.exists(), "nothing ran");
}
