//! Runbook runs from the command line against real processes: parameters checked before anything runs
//! (hostile values refused, a canary file never created), a dry run that runs nothing, and `kill -9` in
//! the middle of a step — then `runbook resume` shows the done steps and the one whose outcome is
//! unknown, and goes on without running the done ones again. The journal and the audit trail agree.
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNBOOK: &str = r#"---
id: crash-test
title: Three steps, the second slow
params:
  service:
    type: string
    pattern: '[a-z][a-z0-9-]*'
  out:
    type: string
    pattern: '/[A-Za-z0-9/._-]+'
---
Steps append to files under `$out`, so a test can count what ran.

```sh {#one}
echo "one $service" >> "$out/one"
```

```sh {#two timeout=1m}
touch "$out/two-started"
sleep 20
```

```sh {#three}
echo three >> "$out/three"
```
"#;

fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_watchpost"));
    c.env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("WATCHPOST_CONFIG")
        .env_remove("PROMETHEUS_URL")
        .stdin(Stdio::null());
    c
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let file = home.path().join("crash-test.md");
    std::fs::write(&file, RUNBOOK).unwrap();
    (home, out, file)
}

#[test]
fn hostile_values_are_refused_and_a_dry_run_runs_nothing() {
    let (home, out, file) = setup();
    let canary = home.path().join("canary");
    for evil in [format!("$(touch {})", canary.display()), format!("x; touch {}", canary.display()), "a\nb".into()] {
        let o = bin(home.path())
            .args(["runbook", "run"])
            .arg(&file)
            .arg("-p")
            .arg(format!("service={evil}"))
            .arg("-p")
            .arg(format!("out={}", out.display()))
            .output()
            .unwrap();
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("does not match") || err.contains("control character"), "{err}");
    }
    assert!(!canary.exists());
    // A value not given: the command line says how to give it.
    let o =
        bin(home.path()).args(["runbook", "run", "--dry-run"]).arg(&file).args(["-p", "service=api"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("out: needs a value (give it with --param out=…)"), "{err}");
    let o = bin(home.path())
        .args(["runbook", "run", "--dry-run"])
        .arg(&file)
        .args(["-p", "service=api"])
        .arg("-p")
        .arg(format!("out={}", out.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("- one (timeout 5m): sh with env out=") && stdout.contains("service=api"), "{stdout}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "a dry run ran something");
}

#[test]
fn killed_mid_step_then_resumed() {
    let (home, out, file) = setup();
    let mut child = bin(home.path())
        .args(["runbook", "run"])
        .arg(&file)
        .args(["-p", "service=api"])
        .arg("-p")
        .arg(format!("out={}", out.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !out.join("two-started").exists() {
        assert!(Instant::now() < deadline, "step two never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL: no chance to write anything more
    child.wait().unwrap();
    let runs = home.path().join("state/watchpost/runs");
    let journal = std::fs::read_dir(&runs).unwrap().next().unwrap().unwrap().path();

    let o = bin(home.path()).args(["runbook", "resume"]).arg(&journal).output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("one: ok"), "{stdout}");
    assert!(stdout.contains("two: outcome unknown"), "{stdout}");
    assert!(!stdout.contains("three"), "{stdout}");

    let o = bin(home.path()).args(["runbook", "resume", "--skip-unknown"]).arg(&journal).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(out.join("one")).unwrap(), "one api\n", "step one ran once");
    assert_eq!(std::fs::read_to_string(out.join("three")).unwrap(), "three\n");
    let r = watchpost::runbooks::journal::replay(&journal).unwrap();
    assert_eq!(r.done.get("three").map(String::as_str), Some("ok"));
    assert!(r.done["two"].starts_with("skipped"), "{:?}", r.done);

    // The audit trail saw each step's intent before it ran, and verifies.
    let db = home.path().join("data/watchpost/audit.db");
    let a = watchpost::ops::audit::Audit::open(&db).unwrap();
    let entries = a.entries().unwrap();
    let targets: Vec<(String, String)> = entries.iter().map(|e| (e.action.clone(), e.target.clone())).collect();
    assert!(targets.contains(&("runbook.step".into(), "crash-test/two".into())));
    assert!(!targets.contains(&("runbook.step.result".into(), "crash-test/two".into())), "two never ended");
    assert!(targets.contains(&("runbook.step.result".into(), "crash-test/three".into())));
    assert!(a.verify().unwrap().1.is_empty());
}
