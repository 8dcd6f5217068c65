//! The Changes screen with a fixed clock: deploys from the providers' histories (one rolled back),
//! the change success rate against 99 %, the timeline for the estate and for one service, and the
//! coming week's windows and freezes with their conflicts.
use crate::support;

use chrono::{Duration, TimeZone, Utc};
use std::path::Path;
use support::fixtures;
use watchpost::deploy::Version;
use watchpost::screens::changes::state::Kind;

/// The day the tests are set, at noon.
fn noon() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

/// A console at [`noon`] whose checkout has this deploy history.
fn app_with_history(history: Vec<Version>) -> watchpost::app::App {
    let mut app = fixtures::app(5);
    app.now = noon();
    app.changes.histories.insert("checkout".into(), Ok(history));
    app
}

fn v(rev: u32, version: &str, days_ago: i64, cause: &str, current: bool) -> Version {
    Version {
        revision: rev.to_string(),
        version: version.into(),
        at: Some(noon() - Duration::days(days_ago)),
        by: None,
        cause: Some(cause.into()),
        current,
    }
}

/// An audit trail entry by ann at 11:00 on the day the tests are set.
fn entry(action: &str, target: &str, values: &str, result: &str) -> watchpost::ops::audit::Entry {
    watchpost::ops::audit::Entry {
        seq: 0,
        at: "2026-11-29T11:00:00Z".into(),
        user: "ann".into(),
        host: "h".into(),
        ssh_client: None,
        action: action.into(),
        target: target.into(),
        values: values.into(),
        result: result.into(),
        prev: String::new(),
        hash: String::new(),
    }
}

#[test]
fn the_timeline_the_success_rate_and_the_calendar() {
    let mut app = app_with_history(vec![
        v(1, "5.1.0", 20, "release 5.1.0", false),
        v(2, "5.2.0", 10, "release 5.2.0", false),
        v(3, "5.3.0", 2, "release 5.3.0", false),
        v(4, "5.2.0", 1, "rollback by ann from 3 to 2", true),
    ]);
    app.changes.histories.insert("payments".into(), Err("kubectl: connection refused".into()));
    // A silence's intent and outcome are one row, saying what it is for.
    let values = r#"{"comment": "[watchpost window db-patching @ 2026-12-01T02:00:00Z] upgrade"}"#;
    let entry = |action: &str, result: &str| entry(action, "maintenance", values, result);
    app.audit.entries = vec![entry("silence.create", "intent"), entry("silence.create.result", "ok")];
    let silences: Vec<_> = app.change_rows().into_iter().filter(|r| r.kind == Kind::Silence).collect();
    assert_eq!(silences.len(), 1, "{silences:?}");
    assert!(silences[0].text.starts_with("silence.create maintenance by ann: ok — [watchpost window db-patching"));
    app.audit.entries.clear();
    let (ok, all) = app.change_success();
    assert_eq!((ok, all), (2, 3), "three deploys, one rolled back; the rollback itself is not a deploy");
    let rows = app.change_rows();
    assert_eq!(rows[0].kind, Kind::Rollback);
    assert!(rows[1].text.contains("5.3.0") && rows[1].text.ends_with("rolled back"), "{:?}", rows[1]);

    let text = r#"
[[window]]
id = "db-patching"
owner = "dba"
reason = "upgrade"
start = "2026-11-01T02:00"
duration = "2h"
rrule = "FREQ=WEEKLY;BYDAY=TU"
services = ["checkout"]

[[window]]
id = "failover-test"
owner = "dba"
reason = "rehearsal"
start = "2026-12-01T03:00"
duration = "1h"
services = ["checkout"]
"#;
    app.changes.windows = watchpost::maintenance::window::parse(Path::new("m.toml"), text).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap().naive_utc();
    let schedule =
        watchpost::schedule::Schedule::new(start, chrono_tz::UTC, Duration::days(3), watchpost::schedule::Rule::Once)
            .unwrap();
    app.freezes = vec![watchpost::config::changes::Freeze {
        name: "month-end".into(),
        reason: String::new(),
        schedule,
        services: vec![],
    }];
    let conflicts: Vec<String> = app.conflicts().into_iter().map(|c| c.text).collect();
    assert!(
        conflicts.contains(&"windows db-patching and failover-test overlap on checkout".to_string()),
        "{conflicts:?}"
    );
    assert!(conflicts.contains(&"window db-patching falls in freeze month-end".to_string()), "{conflicts:?}");
    let up = app.upcoming();
    assert_eq!(up.len(), 3);
    assert_eq!(up[0].occurrences[0].start, Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap());

    app.screen = watchpost::app::Screen::Changes;
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 34)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let screen = term.backend().to_string();
    assert!(screen.contains("66.7%") && screen.contains("objective 99%"), "{screen}");
    assert!(screen.contains("payments: kubectl: connection refused"), "a provider that failed says so: {screen}");
    assert!(screen.contains("⚠") && screen.contains("❄ month-end"), "{screen}");

    // One service's changes only.
    app.changes.service = Some("payments".into());
    assert!(app.change_rows().iter().all(|r| r.service == "payments"));
}

/// A window written in the console: checked as the file would read it, refused in a freeze without an
/// override's reason, recorded in the audit trail, appended to the team's file (its text kept), and
/// the reconciler woken.
#[tokio::test]
async fn a_window_from_the_console_is_audited_and_written() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("maintenance.toml");
    std::fs::write(&file, "# the team's windows\n").unwrap();
    let audit = dir.path().join("audit.db");
    let mut app = fixtures::app(5);
    app.now = noon();
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap().naive_utc();
    let schedule =
        watchpost::schedule::Schedule::new(start, chrono_tz::UTC, Duration::days(1), watchpost::schedule::Rule::Once)
            .unwrap();
    app.freezes = vec![watchpost::config::changes::Freeze {
        name: "deploy-stop".into(),
        reason: String::new(),
        schedule,
        services: vec![],
    }];
    app.screen = watchpost::app::Screen::Changes;
    let key = |app: &mut watchpost::app::App, c: KeyCode| app.on_key(KeyEvent::new(c, KeyModifiers::NONE));
    let typed = |app: &mut watchpost::app::App, s: &str| {
        for c in s.chars() {
            app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    };
    typed(&mut app, "n");
    typed(&mut app, "edge-work");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "gateway");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "2026-12-01T02:00");
    key(&mut app, KeyCode::Enter);
    let err = app.changes.form.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("change freeze `deploy-stop`"), "{err}");
    let draw = |app: &watchpost::app::App| {
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 34)).unwrap();
        term.draw(|f| watchpost::ui::draw(app, f)).unwrap();
        term.backend().to_string()
    };
    let screen = draw(&app);
    assert!(screen.contains("New maintenance window") && screen.contains("edge-work"), "{screen}");
    assert!(screen.contains("change freeze `deploy-stop`"), "the form shows why: {screen}");
    assert_eq!(screen.matches("▶ ").count(), 1, "one field has the focus, marked: {screen}");
    assert!(screen.contains("▶ start"), "{screen}");
    for _ in 0..5 {
        key(&mut app, KeyCode::Tab);
    }
    typed(&mut app, "customer-agreed slot");
    key(&mut app, KeyCode::Enter);
    assert!(app.changes.form.is_none());
    let adds = app.take_window_adds();
    assert_eq!(adds.len(), 1);

    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let (done_tx, mut done) = tokio::sync::mpsc::channel(1);
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    tokio::spawn(watchpost::maintenance::console::run(rx, file.clone(), audit.clone(), wake.clone(), done_tx));
    for a in adds {
        tx.send(a).await.unwrap();
    }
    let r = done.recv().await.unwrap();
    assert!(r.unwrap().contains("window edge-work added"));
    tokio::time::timeout(std::time::Duration::from_secs(1), wake.notified()).await.expect("the reconciler is woken");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# the team's windows\n"), "the file's own text is kept: {text}");
    let ws = watchpost::maintenance::window::parse(&file, &text).unwrap();
    assert_eq!((ws[0].id.as_str(), ws[0].services.as_slice()), ("edge-work", ["gateway".to_string()].as_slice()));
    let entries = watchpost::ops::audit::Audit::open(&audit).unwrap().entries().unwrap();
    let what: Vec<String> = entries.iter().map(|e| format!("{} {} {}", e.action, e.target, e.result)).collect();
    assert_eq!(what, ["maintenance.create edge-work intent", "maintenance.create.result edge-work ok"]);
    assert!(entries[0].values.contains("customer-agreed slot"), "the override's reason is recorded");

    // Cancelled by its id: the block leaves the file, recorded first.
    app.changes.windows = ws;
    typed(&mut app, "x");
    typed(&mut app, "nope");
    key(&mut app, KeyCode::Enter);
    assert!(app.notice_here().unwrap().contains("No window `nope`"));
    typed(&mut app, "x");
    assert!(draw(&app).contains("Cancel a window"));
    typed(&mut app, "edge-work");
    key(&mut app, KeyCode::Enter);
    for e in app.take_window_adds() {
        tx.send(e).await.unwrap();
    }
    assert!(done.recv().await.unwrap().unwrap().contains("window edge-work cancelled"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.trim_end(), "# the team's windows", "only the window's block went");
    let entries = watchpost::ops::audit::Audit::open(&audit).unwrap().entries().unwrap();
    assert_eq!(entries[2].action, "maintenance.cancel");
}

/// The Changes screen's service view follows the selection: opened again after another service was
/// chosen, it shows that one, with charts asked for as of now; `s` switches straight to the selected
/// service and back to the estate; its charts follow the range and are asked again as they age.
#[test]
fn the_service_view_follows_the_selection_and_its_charts_stay_current() {
    use watchpost::app::keymap::Action;
    use watchpost::sources::prometheus::Command;
    let mut app = fixtures::app(5);
    let detail_asked = |app: &mut watchpost::app::App| {
        app.take_commands().into_iter().find_map(|c| match c {
            Command::Detail { service, range } => Some((service, range.as_secs())),
            _ => None,
        })
    };
    let name = |app: &watchpost::app::App, i: usize| app.services[i].service.name.clone();
    app.selected = 0;
    app.act(Action::Changes);
    app.act(Action::ChangesScope);
    assert_eq!(app.changes.service, Some(name(&app, 0)));
    assert_eq!(detail_asked(&mut app), Some((name(&app, 0), 3600)));
    // Away, another service chosen, back: its changes, and its charts asked for now.
    app.act(Action::Back);
    app.selected = 2;
    app.act(Action::Changes);
    assert_eq!(app.changes.service, Some(name(&app, 2)));
    assert_eq!(detail_asked(&mut app), Some((name(&app, 2), 3600)));
    // `t` widens the charts' range here too.
    app.act(Action::NextRange);
    assert_eq!(detail_asked(&mut app), Some((name(&app, 2), 6 * 3600)));
    // Charts are asked again as they age, as on the service screen.
    let later = app.now + Duration::minutes(1);
    app.services[2].detail.loading = false;
    app.on_tick(later);
    assert_eq!(detail_asked(&mut app), Some((name(&app, 2), 6 * 3600)));
    // `s` with another service selected goes to it at once; on the one shown, back to the estate.
    app.selected = 1;
    app.act(Action::ChangesScope);
    assert_eq!(app.changes.service, Some(name(&app, 1)));
    app.act(Action::ChangesScope);
    assert_eq!(app.changes.service, None);
}

/// A rollback the audit trail recorded but the provider's history does not show (the demo's estate
/// after a restart starts its history afresh) still counts against the change success rate, and the
/// line says where it was found.
#[test]
fn a_rollback_known_only_from_the_audit_trail_counts() {
    let mut app =
        app_with_history(vec![v(1, "5.1.0", 20, "release 5.1.0", false), v(2, "5.2.0", 10, "release 5.2.0", true)]);
    let entry = |action: &str, result: &str| entry(action, "checkout", "{}", result);
    app.audit.entries = vec![entry("rollback", "intent"), entry("rollback.result", "succeeded: every gate held")];
    assert_eq!(app.change_success(), (2, 3));
    app.screen = watchpost::app::Screen::Changes;
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(140, 30)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let s = term.backend().to_string();
    assert!(s.contains("66.7% of 3 deploys not rolled back (1 rollback known from the audit trail only)"), "{s}");
    // One the history shows (within ten minutes) is not counted twice.
    let mut back = v(3, "5.1.0", 0, "rollback by ann from 2 to 1", true);
    back.at = Some(Utc.with_ymd_and_hms(2026, 11, 29, 11, 4, 0).unwrap());
    if let Some(Ok(h)) = app.changes.histories.get_mut("checkout") {
        h[1].current = false;
        h.push(back);
    }
    assert_eq!(app.change_success(), (1, 2));
    // One that failed before the service changed is no rollback.
    app.changes.histories.clear();
    app.audit.entries[1].result = "failed: kubectl: connection refused".into();
    assert_eq!(app.change_success(), (0, 0));
}
