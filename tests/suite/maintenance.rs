//! Maintenance windows against a real Alertmanager (Debian `prometheus-alertmanager`, started here on a
//! loopback port): each occurrence within the horizon gets one tagged silence; a changed window's
//! silence is updated, a cancelled one's expired, a silence someone else made is never touched; two
//! reconcilers at once leave one silence per occurrence, and a third pass changes nothing.
use crate::support;

use chrono::{Duration, Utc};
use std::path::Path;
use support::Alertmanager as RealAm;
use watchpost::alerts::model::{NewSilence, SilenceState};
use watchpost::config::HttpSource;
use watchpost::maintenance::reconcile::{AHEAD, key_of, plan, reconcile};
use watchpost::sources::alertmanager::Alertmanager;

fn client(url: &str) -> Alertmanager {
    let mut s = HttpSource::new(url.parse().unwrap());
    s.timeout = std::time::Duration::from_secs(3);
    Alertmanager::new(&s).unwrap()
}

/// Windows that start tomorrow at this hour (UTC): a daily one on `db`, a one-off on two services.
fn windows(daily_length: &str) -> String {
    let start = (Utc::now() + Duration::days(1)).format("%Y-%m-%dT%H:00");
    format!(
        r#"
[[window]]
id = "db-patching"
owner = "ann"
reason = "minor upgrade"
start = "{start}"
duration = "{daily_length}"
rrule = "FREQ=DAILY"
services = ["db"]

[[window]]
id = "edge"
owner = "bo"
reason = "router swap"
start = "{start}"
duration = "90m"
services = ["gateway", "auth"]
matchers = ['severity!="page"']
"#
    )
}

fn load(text: &str) -> Vec<watchpost::maintenance::Window> {
    watchpost::maintenance::window::parse(Path::new("maintenance.toml"), text).unwrap()
}

async fn ours(am: &Alertmanager) -> Vec<watchpost::alerts::model::Silence> {
    let mut s: Vec<_> = am
        .silences()
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.state != SilenceState::Expired && key_of(s.comment.as_str()).is_some())
        .collect();
    s.sort_by(|a, b| a.comment.as_str().cmp(b.comment.as_str()));
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_become_silences_and_stay_in_line() {
    let real = RealAm::start();
    let am = client(&real.url());
    let now = Utc::now();
    // Someone else's silence, which must survive everything.
    let theirs = NewSilence {
        id: None,
        matchers: watchpost::alerts::matcher::parse(r#"job="db""#).unwrap(),
        starts_at: now,
        ends_at: now + Duration::hours(3),
        created_by: "carol".into(),
        comment: "hands off".into(),
    };
    let theirs_id = am.post_silence(&theirs).await.unwrap();

    let ws = load(&windows("2h"));
    let (changes, report) = reconcile(&am, &ws, now, AHEAD, false, None).await.unwrap();
    // Seven daily occurrences start within the week ahead (the first tomorrow), and the one-off.
    assert_eq!((report.created, report.errors.len()), (8, 0), "{changes:?} {report:?}");
    assert_eq!(changes.len(), 8);
    let got = ours(&am).await;
    assert_eq!(got.len(), 8);
    let edge = got.iter().find(|s| s.comment.as_str().contains("window edge")).unwrap();
    assert_eq!(watchpost::alerts::matcher::to_text(&edge.matchers), r#"job=~"gateway|auth", severity!="page""#);
    assert!(edge.comment.as_str().contains("router swap (owner bo)"));
    let (again, _) = reconcile(&am, &ws, now, AHEAD, true, None).await.unwrap();
    assert!(again.is_empty(), "nothing to do twice: {again:?}");

    // The daily window grows to 3h: its silences are updated, the other's left alone.
    let longer = load(&windows("3h"));
    let (_, report) = reconcile(&am, &longer, now, AHEAD, false, None).await.unwrap();
    assert_eq!((report.updated, report.created, report.expired), (7, 0, 0), "{report:?}");
    let got = ours(&am).await;
    assert_eq!(got.len(), 8, "an update does not leave the old silence behind");
    assert!(
        got.iter()
            .filter(|s| s.comment.as_str().contains("db-patching"))
            .all(|s| s.ends_at - s.starts_at == Duration::hours(3))
    );

    // The one-off is cancelled (removed from the file): its silence is expired.
    let only_daily: Vec<_> = longer.into_iter().filter(|w| w.id != "edge").collect();
    let (_, report) = reconcile(&am, &only_daily, now, AHEAD, false, None).await.unwrap();
    assert_eq!(report.expired, 1, "{report:?}");
    assert_eq!(ours(&am).await.len(), 7);
    let all = am.silences().await.unwrap();
    let carol = all.iter().find(|s| s.id == theirs_id).unwrap();
    assert_eq!(carol.state, SilenceState::Active, "a silence watchpost did not make is never touched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reconcilers_at_once_leave_one_silence_per_occurrence() {
    let real = RealAm::start();
    let url = real.url();
    let ws = load(&windows("2h"));
    let now = Utc::now();
    let (a, b) = (client(&url), client(&url));
    let (wa, wb) = (ws.clone(), ws.clone());
    let (ra, rb) = tokio::join!(async move { reconcile(&a, &wa, now, AHEAD, false, None).await }, async move {
        reconcile(&b, &wb, now, AHEAD, false, None).await
    },);
    let (ra, rb) = (ra.unwrap().1, rb.unwrap().1);
    assert!(ra.errors.is_empty() && rb.errors.is_empty(), "{ra:?} {rb:?}");
    let am = client(&url);
    let got = ours(&am).await;
    let mut keys: Vec<_> = got.iter().map(|s| key_of(s.comment.as_str()).unwrap()).collect();
    keys.dedup();
    assert_eq!((got.len(), keys.len()), (8, 8), "one silence per occurrence");
    // And they agree from then on: no flapping.
    let silences = am.silences().await.unwrap();
    assert!(plan(&ws, &silences, now, AHEAD).is_empty());
    let (changes, _) = reconcile(&am, &ws, now, AHEAD, false, None).await.unwrap();
    assert!(changes.is_empty(), "{changes:?}");
}

#[test]
fn the_command_line_lists_and_reconciles() {
    let real = RealAm::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("maintenance.toml"), windows("2h")).unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[alertmanager]]\nurl = \"{}\"\n\n[audit]\npath = \"audit.db\"\n\n[maintenance]\nfile = \"maintenance.toml\"\nahead = \"3d\"\n",
            real.url()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_watchpost"))
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .env("XDG_DATA_HOME", dir.path())
            .env("XDG_STATE_HOME", dir.path())
            .output()
            .unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let (ok, out) = run(&["maintenance", "list"]);
    assert!(
        ok && out.contains("db-patching") && out.contains("next ") && out.contains(r#"job=~"gateway|auth""#),
        "{out}"
    );
    let (ok, out) = run(&["maintenance", "reconcile", "--dry-run"]);
    assert!(ok && out.contains("would create") && out.contains("(dry run)"), "{out}");
    // Three days ahead: the daily window's first three occurrences, and the one-off.
    let (ok, out) = run(&["maintenance", "reconcile"]);
    assert!(ok && out.contains("4 created, 0 updated, 0 expired"), "{out}");
    let (ok, out) = run(&["maintenance", "reconcile"]);
    assert!(ok && out.contains("0 created, 0 updated, 0 expired"), "{out}");
    // Each silence was recorded before it was sent, and its outcome after.
    let entries = watchpost::ops::audit::Audit::open(&dir.path().join("audit.db")).unwrap().entries().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["silence.create", "silence.create.result"].repeat(4), "{actions:?}");
    assert!(entries[0].values.contains("[watchpost window"), "{}", entries[0].values);
}

/// The demo's Alertmanager keeps its silences across restarts, as a real one does: the console started
/// again finds the silences its windows made and changes nothing (each start wrote 9-18
/// `silence.create` entries to the audit trail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_demo_finds_its_silences_and_changes_nothing() {
    use std::sync::Arc;
    use watchpost::embedded::{Shared, alertmanager::keep_silences, api::router};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo-silences.json");
    let start = |file: std::path::PathBuf| async move {
        let shared = Arc::new(Shared::default());
        keep_silences(&shared, file);
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let app = router(shared);
        let server = tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (client(&url), server)
    };
    let ws = load(watchpost::maintenance::window::DEMO);
    let now = Utc::now();
    let (am, server) = start(file.clone()).await;
    let (_, first) = reconcile(&am, &ws, now, AHEAD, false, None).await.unwrap();
    assert!(first.created > 0 && first.errors.is_empty(), "{first:?}");
    let made = ours(&am).await;
    // The file holds what the API holds (it is written off the request, so wait for it).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let saved = || {
        std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<serde_json::Value>>(&b).ok())
            .map_or(0, |v| v.len())
    };
    while saved() < made.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.abort();

    let (am, _server) = start(file).await;
    let again = ours(&am).await;
    assert_eq!(
        again.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        made.iter().map(|s| s.id.clone()).collect::<Vec<_>>()
    );
    let (changes, second) = reconcile(&am, &ws, now, AHEAD, false, None).await.unwrap();
    assert!(changes.is_empty(), "nothing to change after a restart: {changes:?}");
    assert_eq!((second.created, second.updated, second.expired), (0, 0, 0));
}
