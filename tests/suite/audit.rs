//! The audit trail: entries chained by hash in SQLite; `watchpost audit verify` finds each kind of
//! tampering, done here by editing the database file directly as an intruder would; export writes JSON
//! lines; secrets never reach it.
use chrono::{Duration, TimeZone, Utc};
use rusqlite::{Connection, params};
use std::path::Path;
use std::process::Command;
use watchpost::ops::audit::{Audit, Tamper, redact};
use watchpost::ops::who::Who;

fn who() -> Who {
    Who { user: "alice".into(), host: "bastion-1".into(), ssh_client: Some("203.0.113.7".into()), environment: None }
}

/// Five entries: intents and outcomes of two actions, and one with a secret.
fn trail(path: &Path) {
    let mut a = Audit::open(path).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 29, 3, 0, 0).unwrap();
    let v = serde_json::json!({"matchers": "alertname=\"HighErrorRate\"", "duration": "2h"});
    a.record(&who(), t0, "silence.create", "alertmanager", &v, "intent").unwrap();
    a.record(&who(), t0 + Duration::seconds(1), "silence.create.result", "alertmanager", &v, "ok: 5f2a").unwrap();
    let v = serde_json::json!({"incident": "P00042"});
    a.record(&who(), t0 + Duration::seconds(9), "incident.acknowledge", "P00042", &v, "intent").unwrap();
    a.record(&who(), t0 + Duration::seconds(10), "incident.acknowledge.result", "P00042", &v, "ok").unwrap();
    let v = redact(serde_json::json!({"service": "checkout", "token": "hunter2"}), &["token"]);
    a.record(&who(), t0 + Duration::seconds(30), "runbook.step", "restart-service/restart", &v, "intent").unwrap();
}

fn verify(path: &Path) -> Vec<Tamper> {
    Audit::open(path).unwrap().verify().unwrap().1
}

fn cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_watchpost")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn an_intact_trail_verifies_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    trail(&db);
    assert!(verify(&db).is_empty());
    let (ok, out, _) = cli(&["audit", "verify", "--db", db.to_str().unwrap()]);
    assert!(ok && out.contains("5 entries, the chain is intact"), "{out}");
    let (ok, out, _) = cli(&["audit", "export", "--db", db.to_str().unwrap()]);
    assert!(ok);
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["user"], "alice");
    assert_eq!(lines[0]["ssh_client"], "203.0.113.7");
    assert!(!out.contains("hunter2") && lines[4]["values"].as_str().unwrap().contains("\"token\":\"***\""));
    // WAL, as configured.
    let mode: String = Connection::open(&db).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn every_kind_of_tampering_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = |name: &str| {
        let db = dir.path().join(name);
        trail(&db);
        (Connection::open(&db).unwrap(), db)
    };

    let (c, db) = fresh("edited.db");
    c.execute("UPDATE entries SET result = 'ok' WHERE seq = 3", []).unwrap();
    assert_eq!(verify(&db), vec![Tamper::Edited { seq: 3 }]);

    let (c, db) = fresh("removed.db");
    c.execute("DELETE FROM entries WHERE seq = 2", []).unwrap();
    assert_eq!(verify(&db), vec![Tamper::Removed { before: 3 }]);

    // The newest entries cut off: the chain is whole, its head is not the recorded one.
    let (c, db) = fresh("truncated.db");
    let last: i64 = c.query_row("SELECT max(seq) FROM entries", [], |r| r.get(0)).unwrap();
    c.execute("DELETE FROM entries WHERE seq >= ?1", [last - 1]).unwrap();
    assert_eq!(verify(&db), vec![Tamper::Truncated { last: last - 2, head: last }]);
    let (ok, _, err) = cli(&["audit", "verify", "--db", db.to_str().unwrap()]);
    assert!(!ok && err.contains(&format!("entries after {} were removed", last - 2)), "{err}");

    // An entry added after the head by something other than watchpost, its hash made right.
    let (c, db) = fresh("appended.db");
    let (seq, prev): (i64, String) = c
        .query_row("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let mut e = watchpost::ops::audit::Audit::open(&db).unwrap().entries().unwrap().pop().unwrap();
    (e.seq, e.prev, e.result) = (seq + 1, prev.clone(), "ok".into());
    let h = watchpost::ops::audit::entry_hash(&prev, &e);
    c.execute(
        "INSERT INTO entries (seq, at, user, host, ssh_client, action, target, vals, result, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![e.seq, e.at, e.user, e.host, e.ssh_client, e.action, e.target, e.values, e.result, e.prev, h],
    )
    .unwrap();
    assert_eq!(verify(&db), vec![Tamper::Unanchored { after: seq }]);

    // Removed and the rest renumbered, so there is no gap.
    let (c, db) = fresh("removed-renumbered.db");
    c.execute("DELETE FROM entries WHERE seq = 2", []).unwrap();
    c.execute("UPDATE entries SET seq = seq + 100 WHERE seq > 2", []).unwrap();
    c.execute("UPDATE entries SET seq = seq - 101 WHERE seq > 100", []).unwrap();
    assert_eq!(verify(&db), vec![Tamper::Removed { before: 2 }]);

    let (c, db) = fresh("reordered.db");
    c.execute("UPDATE entries SET seq = 100 WHERE seq = 2", []).unwrap();
    c.execute("UPDATE entries SET seq = 2 WHERE seq = 3", []).unwrap();
    c.execute("UPDATE entries SET seq = 3 WHERE seq = 100", []).unwrap();
    let found = verify(&db);
    assert!(found.contains(&Tamper::Reordered { seq: 2 }), "{found:?}");
    assert!(found.iter().all(|t| matches!(t, Tamper::Reordered { .. })), "{found:?}");

    // Inserted: the rest moved up to make room, the new entry's own hash made right.
    let (c, db) = fresh("inserted.db");
    c.execute("UPDATE entries SET seq = seq + 100 WHERE seq >= 2", []).unwrap();
    c.execute("UPDATE entries SET seq = seq - 99 WHERE seq > 100", []).unwrap();
    let (prev, at): (String, String) =
        c.query_row("SELECT hash, at FROM entries WHERE seq = 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    // The forger copies an entry's shape; without the chain's next link it cannot fit in.
    let forged = watchpost::ops::audit::Entry {
        seq: 2,
        at,
        user: "mallory".into(),
        host: "bastion-1".into(),
        ssh_client: None,
        action: "silence.expire".into(),
        target: "alertmanager".into(),
        values: "{}".into(),
        result: "ok".into(),
        prev: prev.clone(),
        hash: String::new(),
    };
    let h = watchpost::ops::audit::entry_hash(&prev, &forged);
    c.execute(
        "INSERT INTO entries (seq, at, user, host, ssh_client, action, target, vals, result, prev, hash) VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![forged.seq, forged.at, forged.user, forged.host, forged.action, forged.target, forged.values, forged.result, forged.prev, h],
    )
    .unwrap();
    assert_eq!(verify(&db), vec![Tamper::Inserted { seq: 2 }]);
    let (ok, _, err) = cli(&["audit", "verify", "--db", db.to_str().unwrap()]);
    assert!(!ok && err.contains("entry 2 was inserted"), "{err}");
}

#[test]
fn an_unwritable_trail_refuses_to_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let mut a = Audit::open(&db).unwrap();
    // Another connection holds the write lock: recording must fail, not wait forever or pretend.
    let c = Connection::open(&db).unwrap();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    let e = a.record(&who(), Utc::now(), "silence.create", "am", &serde_json::json!({}), "intent");
    assert!(e.is_err(), "{e:?}");
}

/// The gate: an action goes out only after its record is on disk; with no usable trail it does not go
/// out at all, and the screen is told why.
#[tokio::test]
async fn actions_are_recorded_before_they_are_sent_or_not_sent_at_all() {
    use watchpost::ops::gate::{Deliver, GateMsg, spawn};
    use watchpost::sources::pagerduty::poller::IncidentCommand;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let (gate, _refused) = spawn(db.clone(), who(), None);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    gate.send(GateMsg::Action(Deliver::Incidents(
        tx.clone(),
        IncidentCommand::Note("P1".into(), "rolled back".into()),
    )))
    .unwrap();
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
    assert_eq!(got, IncidentCommand::Note("P1".into(), "rolled back".into()));
    let entries = Audit::open(&db).unwrap().entries().unwrap();
    assert_eq!(
        (entries[0].action.as_str(), entries[0].target.as_str(), entries[0].result.as_str()),
        ("incident.note", "P1", "intent")
    );
    gate.send(GateMsg::Outcome {
        action: "incident".into(),
        what: "note on P1".into(),
        result: watchpost::ops::gate::Outcome::Done(String::new()),
    })
    .unwrap();

    // A trail that cannot be opened: nothing is sent.
    let blocked = dir.path().join("not-a-dir");
    std::fs::write(&blocked, "a file where the trail's directory should be").unwrap();
    let (gate, mut refused) = spawn(blocked.join("audit.db"), who(), None);
    gate.send(GateMsg::Action(Deliver::Incidents(tx, IncidentCommand::Escalate("P1".into(), 2)))).unwrap();
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), refused.recv()).await.unwrap().unwrap();
    assert_eq!(r.action, "incident.escalate");
    assert!(rx.try_recv().is_err(), "an unrecorded action was sent");
}

/// A policy that does not give the user the action: refused, saying which rule, and the denial is in the
/// trail. (Built from text: as root every policy file is writable, so a loaded one is advisory.)
#[tokio::test]
async fn a_denied_action_names_its_rule_and_is_not_sent() {
    use watchpost::ops::gate::{Deliver, GateMsg, spawn};
    use watchpost::ops::policy::Policy;
    use watchpost::sources::pagerduty::poller::IncidentCommand;
    let text = "[roles.viewer]\nactions = [\"view\"]\n\n[[bindings]]\nusers = [\"alice\"]\nroles = [\"viewer\"]\n";
    let policy = Policy::parse(Path::new("policy.toml"), text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let (gate, mut refused) = spawn(db.clone(), who(), Some(policy));
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    gate.send(GateMsg::Action(Deliver::Incidents(tx, IncidentCommand::Escalate("P1".into(), 2)))).unwrap();
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), refused.recv()).await.unwrap().unwrap();
    assert!(r.error.contains("alice has `viewer` (policy.toml:6); none allows `ack`"), "{}", r.error);
    assert!(rx.try_recv().is_err());
    let e = &Audit::open(&db).unwrap().entries().unwrap()[0];
    assert!(e.result.starts_with("denied: "), "{}", e.result);
}

/// Granted per environment: `ack@staging` lets alice acknowledge in staging, and not in production,
/// where the refusal says so; both are in the trail with their environment.
#[tokio::test]
async fn an_action_granted_in_one_environment_is_refused_in_another() {
    use watchpost::config::environment::Environment;
    use watchpost::ops::gate::{Deliver, GateMsg, spawn};
    use watchpost::ops::policy::Policy;
    use watchpost::sources::pagerduty::poller::IncidentCommand;
    let text = "[roles.oncall]\nactions = [\"view\", \"ack@staging\"]\n\n[[bindings]]\nusers = [\"alice\"]\nroles = [\"oncall\"]\n";
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    for (env, allowed) in [("staging", true), ("production", false)] {
        let policy = Policy::parse(Path::new("policy.toml"), text).unwrap();
        let who = who().in_environment(Some(&Environment { name: env.into(), colour: None }));
        let (gate, mut refused) = spawn(db.clone(), who, Some(policy));
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        gate.send(GateMsg::Action(Deliver::Incidents(tx, IncidentCommand::Escalate("P1".into(), 2)))).unwrap();
        if allowed {
            let sent = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await.unwrap();
            assert!(sent.is_some(), "sent in staging");
        } else {
            let r = tokio::time::timeout(std::time::Duration::from_secs(10), refused.recv()).await.unwrap().unwrap();
            assert!(r.error.ends_with("none allows `ack` in production"), "{}", r.error);
            assert!(rx.try_recv().is_err());
        }
    }
    let entries = Audit::open(&db).unwrap().entries().unwrap();
    let envs: Vec<String> = entries
        .iter()
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.values).unwrap()["environment"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(envs, ["staging", "production"]);
    assert!(entries[0].result.starts_with("intent (role `oncall`"), "{}", entries[0].result);
    assert!(entries[1].result.starts_with("denied: "), "{}", entries[1].result);
}

/// The Audit screen: read off the UI's turn, newest first, filtered by text, tampering said at the top.
#[test]
fn the_audit_screen_lists_filters_and_says_when_the_chain_is_broken() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    trail(&db);
    let mut cfg = watchpost::config::Config::from_env(Some("http://prometheus.example:9090")).unwrap();
    cfg.audit_path = db.clone();
    let mut app = watchpost::app::App::new(&cfg, Utc::now());
    let key = |app: &mut watchpost::app::App, c: KeyCode| app.on_key(KeyEvent::new(c, KeyModifiers::NONE));
    key(&mut app, KeyCode::Char('U'));
    assert!(app.take_audit_request(), "opening the screen asks for a read");
    let read = |app: &mut watchpost::app::App| {
        let result = watchpost::screens::audit::state::read(&db);
        app.on_audit_read(watchpost::screens::audit::state::AuditRead { at: Utc::now(), result });
    };
    read(&mut app);
    let draw = |app: &watchpost::app::App| {
        let mut term = Terminal::new(TestBackend::new(140, 20)).unwrap();
        term.draw(|f| watchpost::ui::draw(app, f)).unwrap();
        term.backend().to_string()
    };
    let s = draw(&app);
    assert!(s.contains("5 entries, the chain is intact"), "{s}");
    assert!(s.contains("runbook.step") && s.contains("alice@bastion-1 (203.0.113.7)"), "{s}");
    // At 80 columns every column keeps its room, the result too; the selection is marked.
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let s = term.backend().to_string();
    let row = s.lines().find(|l| l.contains("03:00:01")).unwrap_or_else(|| panic!("{s}"));
    assert!(row.contains("ok: 5f2a"), "{s}");
    assert_eq!(s.matches("│▶ ").count(), 1, "{s}");
    key(&mut app, KeyCode::Char('/'));
    for c in "acknowledge".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.audit.visible().len(), 2);
    Connection::open(&db).unwrap().execute("UPDATE entries SET result = 'forged' WHERE seq = 2", []).unwrap();
    key(&mut app, KeyCode::Char('r'));
    assert!(app.take_audit_request());
    read(&mut app);
    assert!(draw(&app).contains("1 problem(s): entry 2 was edited"));
}
