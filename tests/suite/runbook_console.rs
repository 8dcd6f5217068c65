//! Runbooks from the console's keys, with real run tasks and real processes: `b` on an alert opens the
//! runbook that handles it with the alert's labels filled in, a bad value is refused in the form, steps
//! run one at a time, a destructive step runs only after the service name is typed, a skip needs a
//! reason, two runs go on at once, and the journal and audit trail get every step.
use chrono::Utc;
use crossterm::event::KeyCode;
use std::time::Duration;
use tokio::sync::mpsc;
use watchpost::app::{App, Screen};
use watchpost::ops::runbook_tasks::{RunCommand, RunUpdate, spawn};
use watchpost::screens::runbooks::state::StepState;

const BOOK: &str = r#"---
id: console-test
title: Console test
alerts: [HighErrorRate]
params:
  out:
    type: string
    pattern: '/[A-Za-z0-9/._-]+'
  service:
    type: string
    pattern: '[a-z]+'
    from_label: job
---
```sh {#hello}
echo "hello $service" >> "$out/log"
```

```sh {#restart destructive rollback=hello}
echo "restart $service" >> "$out/log"
```

```wait {#settle duration=1s}
```
"#;

use crate::support::{self, key, typed};

/// Send what the app asked for to the run tasks, and feed their answers back until `done` holds.
async fn pump(
    app: &mut App,
    tasks: &mut std::collections::HashMap<u64, mpsc::Sender<RunCommand>>,
    tx: &mpsc::Sender<RunUpdate>,
    rx: &mut mpsc::Receiver<RunUpdate>,
    audit: &std::path::Path,
    done: impl Fn(&App) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        for (book, values, id, resume) in app.take_run_starts() {
            let mut start = app.run_start(book, values, id, resume);
            start.audit_path = audit.to_path_buf();
            tasks.insert(id, spawn(start, tx.clone()));
        }
        for (id, c) in app.take_run_commands() {
            tasks[&id].send(c).await.unwrap();
        }
        if done(app) {
            return;
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => app.on_run_update(u),
            _ => panic!("no progress"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runbooks_run_from_the_console() {
    let home = tempfile::tempdir().unwrap();
    let journals = home.path().join("runs");
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let file = home.path().join("console-test.md");
    std::fs::write(&file, BOOK).unwrap();
    let audit = home.path().join("audit.db");

    let cfg = watchpost::config::Config::from_env(Some("http://prometheus.example:9090")).unwrap();
    let mut app = App::new(&cfg, Utc::now());
    app.runbooks.journal_dir = journals.clone();
    app.runbooks.books = vec![watchpost::runbooks::parse::load(&file).unwrap()];
    // An alert for `checkout`: `b` opens the runbook with `service` from its `job` label.
    let raw: watchpost::engine::Labels =
        [("alertname".to_string(), "HighErrorRate".to_string()), ("job".to_string(), "checkout".to_string())].into();
    let alert = watchpost::alerts::model::Alert {
        fingerprint: "f".into(),
        source: "am".into(),
        labels: watchpost::alerts::model::display_pairs(&raw),
        annotations: vec![],
        raw_labels: raw,
        state: watchpost::alerts::model::AlertState::Active,
        silenced_by: vec![],
        inhibited_by: vec![],
        starts_at: Utc::now(),
        ends_at: None,
        updated_at: None,
        generator_url: "".into(),
    };
    app.alerts.configured = true;
    app.on_alert_update(watchpost::sources::alertmanager::AlertUpdate::Snapshot {
        at: Utc::now(),
        alerts: vec![alert],
        silences: vec![],
        errors: vec![],
    });
    typed(&mut app, "A");
    typed(&mut app, "b");
    assert_eq!(app.screen, Screen::Runbooks);
    let form = app.runbooks.form.as_ref().expect("the form is open");
    // Fields in the parameters' order as written: `out`, then `service` from the label.
    assert_eq!((form.fields[1].0.name.as_str(), form.fields[1].1.lines()[0].as_str()), ("service", "checkout"));
    // `out` has no default: the form refuses to start without it, and refuses a bad value.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.runbooks.form.as_ref().unwrap().errors[0], "out: needs a value");
    let s = crate::support::screen(&app, 80, 24);
    assert!(s.contains("▶ out") && s.contains("✖ out: needs a value") && !s.contains("--param"), "{s}");
    typed(&mut app, "$(reboot)");
    key(&mut app, KeyCode::Enter);
    assert!(app.runbooks.form.as_ref().unwrap().errors[0].contains("does not match"));
    for _ in 0..9 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, &out.display().to_string());
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Run);

    let (tx, mut rx) = mpsc::channel(256);
    let mut tasks = std::collections::HashMap::new();
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| a.runbooks.runs[0].journal.is_some()).await;
    key(&mut app, KeyCode::Enter);
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| a.runbooks.runs[0].states[0] == StepState::Ok).await;
    // The destructive step: the wrong name does nothing; the right one runs it.
    assert_eq!(app.runbooks.runs[0].selected, 1);
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "payments");
    key(&mut app, KeyCode::Enter);
    assert!(app.runbooks.runs[0].notice.as_deref().unwrap().contains("type `checkout`"));
    assert_eq!(app.runbooks.runs[0].states[1], StepState::Pending);
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "checkout");
    key(&mut app, KeyCode::Enter);
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| a.runbooks.runs[0].states[1] == StepState::Ok).await;
    // A second run of the same runbook at the same time, then a skip with a reason in the first.
    typed(&mut app, "B");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, &out.display().to_string());
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "checkout");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.runbooks.runs.len(), 2);
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| a.runbooks.runs[1].journal.is_some()).await;
    key(&mut app, KeyCode::Enter);
    app.runbooks.current = 0;
    typed(&mut app, "s");
    key(&mut app, KeyCode::Enter);
    assert!(app.runbooks.runs[0].notice.as_deref().unwrap().contains("needs a reason"));
    typed(&mut app, "nothing to wait for");
    key(&mut app, KeyCode::Enter);
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| {
        matches!(a.runbooks.runs[0].states[2], StepState::Skipped(_)) && a.runbooks.runs[1].states[0] == StepState::Ok
    })
    .await;
    assert_eq!(app.runbooks.runs[0].summary(), "done");

    let log = std::fs::read_to_string(out.join("log")).unwrap();
    assert_eq!(log, "hello checkout\nrestart checkout\nhello checkout\n");
    let entries = watchpost::ops::audit::Audit::open(&audit).unwrap().entries().unwrap();
    let steps: Vec<String> = entries.iter().map(|e| format!("{} {} {}", e.action, e.target, e.result)).collect();
    assert!(steps.contains(&"runbook.step console-test/restart intent".to_string()), "{steps:?}");
    assert!(
        steps.iter().any(|s| s.starts_with("runbook.step.result console-test/settle skipped: nothing to wait for"))
    );
    let journal = app.runbooks.runs[0].journal.clone().unwrap();
    let r = watchpost::runbooks::journal::replay(&journal).unwrap();
    assert_eq!(r.done.len(), 3);

    // A run interrupted mid-step (as kill -9 leaves its journal) is offered at the next start.
    let dir = journals.clone();
    let cut = dir.join("console-test-cut.jsonl");
    let mut j = watchpost::runbooks::journal::Journal::create(&cut).unwrap();
    use watchpost::runbooks::journal::Event;
    let params =
        [("service".to_string(), "checkout".to_string()), ("out".to_string(), out.display().to_string())].into();
    j.append(
        &Event::Run {
            run: "cut".into(),
            runbook: "console-test".into(),
            path: file.clone(),
            params,
            at: "t".into(),
            user: "u".into(),
            drill: false,
            environment: None,
        },
        true,
    )
    .unwrap();
    j.append(&Event::Start { step: "hello".into(), at: "t".into() }, true).unwrap();
    let mut next = App::new(&cfg, Utc::now());
    next.runbooks.journal_dir = journals.clone();
    next.runbooks.books = app.runbooks.books.clone();
    let books = app.runbooks.books.clone();
    let found = watchpost::runbooks::journal::interrupted(&dir, None, |id| {
        books.iter().find(|b| b.id == id).map(watchpost::runbooks::Runbook::forward_steps)
    });
    assert!(found.iter().any(|(p, _)| p == &cut));
    assert!(found.iter().all(|(p, _)| p != &journal), "a finished run is not offered");
    next.offer_interrupted(found.into_iter().filter(|(p, _)| p == &cut).collect());
    assert_eq!(next.interrupted_runs(), 1);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
    term.draw(|f| watchpost::ui::draw(&next, f)).unwrap();
    assert!(term.backend().to_string().contains("INTERRUPTED RUN(S): B"));
    let run = &next.runbooks.runs[0];
    assert_eq!(run.states[0], StepState::Unknown, "shown as of unknown outcome, not as failed");
    assert_eq!(run.selected, 0, "the cursor on the step of unknown outcome");
    typed(&mut next, "B");
    typed(&mut next, "G");
    for _ in 0..next.runbooks.books.len() {
        key(&mut next, KeyCode::Down);
    }
    key(&mut next, KeyCode::Enter);
    assert_eq!(next.screen, Screen::Run, "the interrupted run opens from the Runs list");
    key(&mut next, KeyCode::Enter);
    pump(&mut next, &mut tasks, &tx, &mut rx, &audit, |a| a.runbooks.runs[0].states[0] == StepState::Ok).await;
    let r = watchpost::runbooks::journal::replay(&cut).unwrap();
    assert_eq!((r.unknown, r.done.get("hello").map(String::as_str)), (None, Some("ok")));
}

/// A console whose one runbook is `book` (it takes `out`), started with `out` filled in: the home it all
/// lives in, `out`, the audit trail and the app on the run's screen.
fn open_run(book: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf, App) {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let file = home.path().join("book.md");
    std::fs::write(&file, book).unwrap();
    let audit = home.path().join("audit.db");
    let cfg = watchpost::config::Config::from_env(Some("http://prometheus.example:9090")).unwrap();
    let mut app = App::new(&cfg, Utc::now());
    app.runbooks.journal_dir = home.path().join("runs");
    app.runbooks.books = vec![watchpost::runbooks::parse::load(&file).unwrap()];
    typed(&mut app, "B");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, &out.display().to_string());
    key(&mut app, KeyCode::Enter);
    (home, out, audit, app)
}

/// Wait (up to 10 s) for a step to write `path`.
async fn appears(path: &std::path::Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !path.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const REST: &str = r#"---
id: rest-test
title: Run the rest
params:
  out:
    type: string
    pattern: '/[A-Za-z0-9/._-]+'
---
```sh {#one}
echo one >> "$out/log"
```

```manual {#check}
- [ ] first
- [ ] second
```

```sh {#two rollback=undo-two}
echo two >> "$out/log"
```

```sh {#undo-two}
echo undo >> "$out/log"
```

```sh {#long timeout=1m}
sleep 30 &
echo $! > "$out/pid"
wait
echo never >> "$out/log"
```
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_the_rest_tick_a_checklist_and_abort_a_running_step() {
    let (_home, out, audit, mut app) = open_run(REST);
    assert_eq!(app.screen, Screen::Run);
    let (tx, mut rx) = mpsc::channel(256);
    let mut tasks = std::collections::HashMap::new();
    let states = |a: &App| a.runbooks.runs[0].states.clone();

    // `r` runs steps until one needs the operator: the checklist.
    typed(&mut app, "r");
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| a.runbooks.runs[0].checklist.is_some()).await;
    assert_eq!(states(&app)[0], StepState::Ok);
    // Enter with items left does nothing but say so; each item is ticked on its own.
    typed(&mut app, " ");
    key(&mut app, KeyCode::Enter);
    assert!(app.runbooks.runs[0].notice.as_deref().unwrap().contains("1 item(s) not ticked"));
    assert_eq!(states(&app)[1], StepState::Pending);
    typed(&mut app, " ");
    key(&mut app, KeyCode::Enter);
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| a.runbooks.runs[0].states[1] == StepState::Ok).await;
    // Running the rest again: `two`, then past `undo-two` (a rollback runs only when asked for) to `long`.
    typed(&mut app, "r");
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| a.runbooks.runs[0].states[4] == StepState::Running).await;
    assert_eq!(states(&app)[2], StepState::Ok);
    assert_eq!(states(&app)[3], StepState::Pending, "a rollback step is not run by running the rest");
    let pid_file = out.join("pid");
    appears(&pid_file).await;
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    // `x` while it runs: the step is killed (its whole process group), and the journal says so.
    typed(&mut app, "x");
    typed(&mut app, "y");
    pump(
        &mut app,
        &mut tasks,
        &tx,
        &mut rx,
        &audit,
        |a| matches!(&a.runbooks.runs[0].states[4], StepState::Failed(e) if e.contains("killed")),
    )
    .await;
    let gone = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.split_whitespace().nth(2) == Some("Z"))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !gone(pid) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone(pid), "the step's background process was killed with it");
    assert_eq!(std::fs::read_to_string(out.join("log")).unwrap(), "one\ntwo\n");
    let journal = app.runbooks.runs[0].journal.clone().unwrap();
    let r = watchpost::runbooks::journal::replay(&journal).unwrap();
    assert!(r.aborted && r.unknown.is_none(), "{r:?}");
    assert!(r.done["long"].contains("killed"), "{r:?}");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains("[x] first") && text.contains("[x] second"), "each ticked item is journalled");
}

/// A console whose run of the long step was started from the keys and is running (its journal open, its
/// process up), with what pumping the run on needs.
struct Started {
    _home: tempfile::TempDir,
    audit: std::path::PathBuf,
    app: App,
    tx: mpsc::Sender<RunUpdate>,
    rx: mpsc::Receiver<RunUpdate>,
    tasks: std::collections::HashMap<u64, mpsc::Sender<RunCommand>>,
}

async fn long_step_running() -> Started {
    let (_home, out, audit, mut app) = open_run(&crate::support::long_step("long-test"));
    let (tx, mut rx) = mpsc::channel(256);
    let mut tasks = std::collections::HashMap::new();
    typed(&mut app, "r");
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| {
        a.runbooks.runs[0].states[0] == StepState::Running && a.runbooks.runs[0].journal.is_some()
    })
    .await;
    appears(&out.join("pid")).await;
    Started { _home, audit, app, tx, rx, tasks }
}

/// The console ending (its terminal lost) while a step runs: the step is killed and the journal says
/// why — not that the operator aborted it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_killed_because_the_terminal_was_lost_says_so() {
    let Started { _home, audit: _, app, tx: _, rx: _, tasks } = long_step_running().await;
    let task = tasks.values().next().unwrap().clone();
    task.send(RunCommand::End("the terminal was lost".into())).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), task.closed()).await.expect("the run ends");
    let journal = app.runbooks.runs[0].journal.clone().unwrap();
    let r = watchpost::runbooks::journal::replay(&journal).unwrap();
    assert!(r.done["long"].contains("killed, the terminal was lost"), "{r:?}");
    assert!(!r.done["long"].contains("operator"), "{r:?}");
}

/// `q` and `x` with a step running ask first and say what would be killed; `n` keeps it running, `y`
/// does it. With nothing running, `q` quits at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_or_aborting_with_a_step_running_asks_first() {
    let Started { _home, audit, mut app, tx, mut rx, mut tasks } = long_step_running().await;
    typed(&mut app, "q");
    assert!(!app.quit, "asked, not quit");
    let s = crate::support::screen(&app, 80, 24);
    assert!(s.contains("Quit the console?") && s.contains("step `long`") && s.contains("keep it running"), "{s}");
    typed(&mut app, "j");
    assert!(app.confirm.is_some(), "a stray key neither quits nor dismisses");
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit && app.confirm.is_none());
    typed(&mut app, "x");
    assert!(crate::support::screen(&app, 120, 40).contains("Abort the run of long-test?"));
    typed(&mut app, "n");
    assert!(app.take_run_commands().is_empty(), "n keeps it running");
    assert_eq!(app.runbooks.runs[0].states[0], StepState::Running);
    typed(&mut app, "x");
    typed(&mut app, "y");
    pump(&mut app, &mut tasks, &tx, &mut rx, &audit, |a| a.runbooks.runs[0].states[0] != StepState::Running).await;
    let journal = watchpost::runbooks::journal::replay(&app.runbooks.runs[0].journal.clone().unwrap()).unwrap();
    assert!(journal.done["long"].contains("killed, the operator aborted the run"), "{journal:?}");
    typed(&mut app, "q");
    assert!(app.quit, "nothing runs: q quits at once");
}

/// A run whose steps of the way all ended, its undo step never run, is done: its summary says so and
/// the next start does not offer it as interrupted (it came back as "4/5 steps"). One stopped in a step
/// is offered with the cursor on that step, of unknown outcome, not on the undo step after it; running
/// the rest stops there instead of passing it by.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_done_without_its_undo_steps_and_resumes_where_it_stopped() {
    use watchpost::runbooks::journal::{Event, Journal, interrupted};
    let (home, out, _audit, app) = open_run(REST);
    let dir = home.path().join("runs");
    std::fs::create_dir_all(&dir).unwrap();
    let book = app.runbooks.books[0].clone();
    assert_eq!(book.forward_steps(), vec!["one", "check", "two", "long"]);
    let journal = |name: &str, events: &[Event]| {
        let path = dir.join(name);
        let mut j = Journal::create(&path).unwrap();
        let params = [("out".to_string(), out.display().to_string())].into();
        let run = Event::Run {
            run: name.into(),
            runbook: "rest-test".into(),
            path: "rest.md".into(),
            params,
            at: "t".into(),
            user: "u".into(),
            drill: false,
            environment: None,
        };
        for e in std::iter::once(&run).chain(events) {
            j.append(e, true).unwrap();
        }
        path
    };
    let end = |step: &str| Event::End { step: step.into(), at: "t".into(), result: "ok".into() };
    let done = journal("done.jsonl", &[end("one"), end("check"), end("two"), end("long")]);
    let cut = journal("cut.jsonl", &[end("one"), end("check"), Event::Start { step: "two".into(), at: "t".into() }]);
    let found = interrupted(&dir, None, |id| (id == book.id).then(|| book.forward_steps()));
    assert_eq!(found.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(), vec![cut.clone()], "only the cut run");
    assert!(found.iter().all(|(p, _)| p != &done));

    let mut next = app;
    next.offer_interrupted(found);
    let k = next.runbooks.runs.iter().position(|r| r.resumed.is_some()).unwrap();
    let run = &next.runbooks.runs[k];
    assert_eq!(run.states[2], StepState::Unknown);
    assert_eq!(run.selected, 2, "on the step that was running, not on undo-two after it");
    assert_eq!(run.summary(), "2/4 steps, two of unknown outcome");
    next.runbooks.current = k;
    next.go_run();
    let s = crate::support::screen(&next, 120, 40);
    assert!(s.contains("? two (shell)") && s.contains("outcome unknown"), "{s}");
    typed(&mut next, "r");
    assert!(next.take_run_commands().is_empty(), "running the rest stops at the step of unknown outcome");
    assert!(next.runbooks.runs[k].notice.as_deref().unwrap_or("").starts_with("Stopped at two"));
    // A finished run's states: the summary says done though undo-two never ran.
    next.runbooks.runs[k].states = vec![StepState::Ok, StepState::Ok, StepState::Ok, StepState::Pending, StepState::Ok];
    assert_eq!(next.runbooks.runs[k].summary(), "done");
    assert_eq!(next.interrupted_runs(), 0);
}

/// A running wait step counts down; a running check step shows its latest answer and how long the
/// condition has held of what it needs.
#[test]
fn a_wait_counts_down_and_a_check_shows_its_value_and_how_long_it_held() {
    let book = r#"---
id: progress-test
title: Progress test
params:
  out:
    type: string
---
```wait {#settle duration=5m}
```

```promql {#errors-low for=2m timeout=15m}
sum(rate(http_requests_total{code=~"5.."}[2m])) / sum(rate(http_requests_total[2m])) < 0.001
```

```sh {#note}
echo checked >> "$out/log"
```
"#;
    let (_home, _out, _audit, mut app) = open_run(book);
    assert_eq!(app.screen, Screen::Run);
    key(&mut app, KeyCode::Enter);
    let run = app.runbooks.runs[0].id;
    assert!(support::screen(&app, 120, 30).contains("◷ 5m left of 5m"));
    app.now += chrono::Duration::seconds(90);
    assert!(support::screen(&app, 120, 30).contains("◷ 3m30s left of 5m"));
    app.on_run_update(RunUpdate::Ended { run, step: 0, result: Ok(()) });
    key(&mut app, KeyCode::Enter);
    assert!(support::screen(&app, 120, 30).contains("asking Prometheus…"));
    let now = app.now;
    let state = |value: Option<f64>, holding: Option<i64>| watchpost::runbooks::run::CheckState {
        asked_at: now - chrono::Duration::seconds(3),
        series: usize::from(value.is_some()),
        value,
        holding_since: holding.map(|s| now - chrono::Duration::seconds(s)),
        error: None,
    };
    app.on_run_update(RunUpdate::Check { run, state: state(None, None) });
    let s = support::screen(&app, 120, 30);
    assert!(s.contains("✖ does not hold: now: no result · asked 3s ago"), "{s}");
    app.on_run_update(RunUpdate::Check { run, state: state(Some(0.0004), Some(20)) });
    let s = support::screen(&app, 120, 30);
    assert!(s.contains("✓ holds: now 4.000e-4 · for 20s of 2m · asked 3s ago"), "{s}");
}

/// The runs listed under the runbooks are reached with j past the last runbook, and the selected one is
/// marked as every selected row is.
#[test]
fn a_run_in_the_list_is_marked_when_selected() {
    let book =
        "---\nid: marked\ntitle: Marked\nparams:\n  out:\n    type: string\n---\n```sh {#one}\necho \"$out\"\n```\n";
    let (_home, _out, _audit, mut app) = open_run(book);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Runbooks);
    key(&mut app, KeyCode::Char('j'));
    let s = support::screen(&app, 100, 30);
    assert!(s.contains("│▶ #1 run of marked"), "{s}");
    assert_eq!(s.matches("▶").count(), 1, "{s}");
}

/// The shipped runbooks listed at 80 columns: each row, its selection's mark included, fits inside the
/// border, the alerts it handles whole where they fit.
#[test]
fn the_runbook_list_fits_80_columns() {
    let cfg = watchpost::config::Config::from_env(Some("http://prometheus.example:9090")).unwrap();
    let mut app = App::new(&cfg, Utc::now());
    app.runbooks.books = watchpost::runbooks::load_all(&[]).0;
    typed(&mut app, "B");
    let s = support::screen(&app, 80, 24);
    let row = s.lines().find(|l| l.contains("bad-deploy-rollback")).unwrap_or_else(|| panic!("{s}"));
    assert!(row.contains("HighErrorRate, HighLatency│"), "{s}");
}

/// The roles policy holds in the console as on the command line: a run of a runbook it does not allow
/// is not started (no journal, nothing run), and the run says which rule denied it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_the_policy_denies_is_not_started() {
    let (home, out, audit, mut app) = open_run(&crate::support::long_step("policy-test"));
    let user = watchpost::ops::who::Who::current().user;
    let text =
        format!("[roles.viewer]\nactions = [\"view\"]\n\n[[bindings]]\nusers = [\"{user}\"]\nroles = [\"viewer\"]\n");
    let policy = watchpost::ops::policy::Policy::parse(std::path::Path::new("policy.toml"), &text).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let starts = app.take_run_starts();
    assert_eq!(starts.len(), 1);
    for (book, values, id, resume) in starts {
        let mut start = app.run_start(book, values, id, resume);
        (start.audit_path, start.policy) = (audit.clone(), Some(policy.clone()));
        let _commands = spawn(start, tx.clone());
    }
    let u = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
    match u {
        RunUpdate::Refused { error, step: None, .. } => {
            assert!(
                error.starts_with("not run: denied by policy.toml") && error.contains("runbook:policy-test"),
                "{error}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!out.join("pid").exists(), "nothing ran");
    assert!(
        !app.runbooks.journal_dir.exists() || std::fs::read_dir(&app.runbooks.journal_dir).unwrap().next().is_none()
    );
    drop(home);
}
