//! Runbooks: the shipped ones pass `watchpost runbook check`; broken ones fail with every problem at
//! file:line:col, and one broken runbook does not hide the others. Hostile parameter values are refused
//! before anything could run.
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_watchpost"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_runbooks_pass_the_check() {
    let out = bin().args(["runbook", "check"]).arg(root().join("runbooks")).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.lines().filter(|l| l.contains(": ok")).count(), 9, "{stdout}");
    // Every alert of the estate's rules (and so every drill) has a runbook.
    let (books, _) = watchpost::runbooks::load_dir(&[root().join("runbooks")]);
    for alert in ["TargetDown", "HighErrorRate", "HighLatency", "DiskFillingUp", "CertificateExpiringSoon"] {
        assert!(books.iter().any(|b| b.alerts.iter().any(|a| a == alert)), "no runbook handles {alert}");
    }
    for s in watchpost::drills::scenario::all().unwrap() {
        assert!(
            books.iter().any(|b| b.alerts.contains(&s.expect.alert) && b.services.contains(&s.service)),
            "drill {} ({} on {}) has no runbook",
            s.name,
            s.expect.alert,
            s.service
        );
    }
}

/// Started outside the repo with a fresh HOME, the binary still has its runbooks: `runbook check` lists
/// the built-in ones (they failed with `runbooks:1:1: cannot read` before), and with nothing at all it
/// says where it looked.
#[test]
fn the_built_in_runbooks_are_there_from_any_directory() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = bin()
            .args(args)
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = run(&["runbook", "check"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("(built in) runbooks/") && l.contains(": ok")).count(),
        9,
        "{stdout}"
    );
    // A user's runbook with a built-in id replaces it.
    let mine = home.path().join("config/watchpost/runbooks");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("t.md"), "---\nid: target-down\ntitle: Ours\n---\n```manual {#look}\n- [ ] look\n```\n")
        .unwrap();
    let (ok, stdout, stderr) = run(&["runbook", "check"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.lines().filter(|l| l.contains(": ok")).count(), 9, "{stdout}");
    assert!(stdout.contains("t.md: ok — `target-down`"), "{stdout}");
}

#[test]
fn broken_runbooks_fail_precisely_and_the_others_still_load() {
    let dir = root().join("tests/runbooks/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in &files {
        let want = std::fs::read_to_string(f.with_extension("err")).expect("an .err beside each broken runbook");
        let out = bin().args(["runbook", "check"]).arg(f).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{} must fail", f.display());
        for line in want.lines().filter(|l| !l.trim().is_empty()) {
            assert!(stderr.contains(line), "{}: expected `{line}` in:\n{stderr}", f.display());
        }
        assert!(stderr.contains(" | "), "the offending line is quoted:\n{stderr}");
    }
    // A directory with broken and good runbooks: the good ones load.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("runbooks/restart-service.md"), tmp.path().join("restart-service.md")).unwrap();
    std::fs::copy(dir.join("bad-steps.md"), tmp.path().join("bad-steps.md")).unwrap();
    let (ok, bad) = watchpost::runbooks::load_dir(&[tmp.path().to_path_buf()]);
    assert_eq!(ok.len(), 1);
    assert!(bad.iter().all(|e| e.path.ends_with("bad-steps.md")));
}

#[test]
fn a_runbook_reads_as_written() {
    let r = watchpost::runbooks::parse::load(Path::new(&root().join("runbooks/high-error-rate.md"))).unwrap();
    assert_eq!(r.id, "high-error-rate");
    let kinds: Vec<(&str, &str)> = r.steps().map(|s| (s.id.as_str(), s.kind.name())).collect();
    assert_eq!(
        kinds,
        vec![
            ("still-failing", "check"),
            ("triage", "manual"),
            ("restart", "shell"),
            ("undo-restart", "shell"),
            ("recovered", "check")
        ]
    );
    let restart = r.step("restart").unwrap();
    assert!(restart.destructive && restart.rollback.as_deref() == Some("undo-restart"));
    assert_eq!(restart.timeout, std::time::Duration::from_secs(300));
    let service = r.param("service").unwrap();
    assert_eq!(service.from_label.as_deref(), Some("job"));
    // Hostile alert values never get as far as a step.
    for bad in ["$(reboot)", "x; rm -rf /", "`id`", "a\nb", "a\0b", "\u{1b}]52;c;eA==\u{7}"] {
        assert!(watchpost::runbooks::params::validate(service, bad).is_err(), "{bad:?}");
    }
    assert!(watchpost::runbooks::params::validate(service, "checkout").is_ok());
}
