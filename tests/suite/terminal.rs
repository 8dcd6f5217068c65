//! The terminal is restored on quit, panic, SIGTERM and SIGHUP; a program whose terminal is gone exits;
//! the first frame is drawn before any backend answers, and keys work while a backend hangs.
use crate::support;

use std::process::Command;
use support::pty::Pty;

fn console(env: &[(&str, &str)]) -> Command {
    let tmp = env!("CARGO_TARGET_TMPDIR");
    let mut c = Command::new(env!("CARGO_BIN_EXE_watchpost"));
    c.env_clear()
        .env("TERM", "xterm-256color")
        .env("HOME", tmp)
        .env("XDG_CONFIG_HOME", format!("{tmp}/no-config"))
        .env("XDG_STATE_HOME", tmp)
        .env("PATH", "/usr/bin:/bin");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

#[test]
fn q_quits_and_restores() {
    let mut p = Pty::spawn(console(&[]), 100, 30);
    p.wait_for("DEMO", 10);
    p.send(b"q");
    assert_eq!(p.wait_exit(5).code(), Some(0));
    assert!(p.restored(), "{:?}", p.text());
    assert!(p.cooked());
}

/// Typing in a form goes to its field and is drawn at once (`q` is a letter there); Esc leaves it, and
/// then `q` quits.
#[test]
fn typing_in_a_form_is_drawn_and_q_is_text_there() {
    let mut p = Pty::spawn(console(&[]), 100, 30);
    p.wait_for("DEMO", 10);
    p.send(b"/");
    p.wait_for("cancel", 5);
    // The filter takes the letters (no service matches them: the overview says so) and `q` among them
    // does not quit. Which bytes draw them is the diff's business (only changed cells are written, in
    // their own colours), so the check is the console's answer, not the letters' bytes.
    p.send(b"zqx");
    p.wait_for("No service", 5);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(p.child.try_wait().expect("wait").is_none(), "`q` typed in the filter quit the console");
    p.send(b"\x1b");
    // Alone: ESC and a key together read as alt and that key.
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.send(b"q");
    assert_eq!(p.wait_exit(5).code(), Some(0));
    assert!(p.restored());
}

#[test]
fn sigterm_and_sighup_restore() {
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGHUP, 129)] {
        let mut p = Pty::spawn(console(&[]), 80, 24);
        p.wait_for("DEMO", 10);
        p.signal(sig);
        assert_eq!(p.wait_exit(5).code(), Some(code), "signal {sig}");
        assert!(p.restored(), "signal {sig}: {:?}", p.text());
        assert!(p.cooked(), "signal {sig}: raw mode left on");
    }
}

#[test]
fn panic_restores_then_reports() {
    let mut p = Pty::spawn(console(&[("WATCHPOST_TEST_PANIC", "1")]), 80, 24);
    let status = p.wait_exit(10);
    assert!(!status.success());
    assert!(p.restored(), "{:?}", p.text());
    assert!(p.cooked());
    let t = p.text();
    let leave = t.find("\x1b[?1049l").unwrap();
    assert!(t[leave..].contains("panicked"), "the report comes after the restore: {t:?}");
    assert_eq!(t.matches("\x1b[?1049l").count(), 1, "restored once: {t:?}");
}

#[test]
fn a_dropped_terminal_ends_the_process() {
    // With SIGHUP (the usual SSH drop) and without it (only reads and writes fail): exit, never spin.
    for controlling in [true, false] {
        let mut p = Pty::spawn_with(console(&[]), 80, 24, controlling);
        p.wait_for("DEMO", 10);
        p.hang_up();
        let status = p.wait_exit(5);
        // Cleanly, with its own code: SIGHUP's 129, or 74 when only reads and writes fail — never
        // killed by SIGABRT from a panic while writing to the lost terminal.
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), None, "controlling={controlling}: {status:?}");
        assert_eq!(status.code(), Some(if controlling { 129 } else { 74 }), "controlling={controlling}");
    }
}

#[test]
fn a_config_without_prometheus_says_how_to_add_one() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "estate = \"lab\"\n").unwrap();
    let mut p = Pty::spawn(console(&[("WATCHPOST_CONFIG", cfg.to_str().unwrap())]), 100, 30);
    p.wait_for("Nothing to watch", 10);
    p.send(b"q");
    assert_eq!(p.wait_exit(5).code(), Some(0));
}

#[test]
fn first_frame_and_keys_while_the_backend_hangs() {
    // A server that accepts connections and never answers.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", hole.local_addr().unwrap());
    let mut p = Pty::spawn(console(&[("PROMETHEUS_URL", &url)]), 100, 30);
    p.wait_for("connecting", 5);
    p.wait_for("Waiting for Prometheus", 5);
    p.send(b"?");
    p.wait_for("Help", 5);
    p.send(b"x");
    p.send(b"q");
    assert_eq!(p.wait_exit(5).code(), Some(0));
    assert!(p.restored());
    drop(hole);
}

/// A log file that cannot be written (as after one `sudo watchpost`; here a directory where the file
/// should be, which not even root can open for writing) stops nothing: logging goes to the temp
/// directory, every command says so, and the console shows it.
#[test]
fn an_unwritable_log_file_moves_the_log_and_says_where() {
    let state = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(state.path().join("watchpost/watchpost.log")).expect("a directory in the way");
    let tmp = tempfile::tempdir().expect("tmp");
    let (state_s, tmp_s) = (state.path().to_str().unwrap(), tmp.path().to_str().unwrap());
    let valid = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/minimal.toml");
    let out = console(&[("XDG_STATE_HOME", state_s), ("TMPDIR", tmp_s)])
        .args(["config", "check"])
        .arg(&valid)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("logging to") && stderr.contains(tmp_s), "{stderr}");
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_some(), "the log went to the temp directory");

    // Nowhere to write at all: logging is off, and the command still works.
    let nowhere = tmp.path().join("a-file");
    std::fs::write(&nowhere, "").unwrap();
    let out = console(&[("XDG_STATE_HOME", state_s), ("TMPDIR", nowhere.to_str().unwrap())])
        .args(["config", "check"])
        .arg(&valid)
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("logging is off"));

    // The console starts and says it on screen.
    let mut p = Pty::spawn(console(&[("XDG_STATE_HOME", state_s), ("TMPDIR", tmp_s)]), 100, 30);
    p.wait_for("logging to", 10);
    p.send(b"q");
    assert!(p.wait_exit(10).success());
}

/// The release console in a fresh HOME outside the repo, with one runbook in the user's directory, its
/// one long step started from the keys. The home, the step's output folder and the console.
fn console_with_a_running_step() -> (tempfile::TempDir, std::path::PathBuf, Pty) {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join("config/watchpost/runbooks")).unwrap();
    std::fs::write(h.join("config/watchpost/runbooks/long.md"), support::long_step("a-long-test")).unwrap();
    let out = h.join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Not the demo (where a shell step is skipped as a drill): a Prometheus that is not there will do.
    let mut cmd = console(&[("PROMETHEUS_URL", "http://127.0.0.1:1")]);
    cmd.current_dir(h)
        .env("HOME", h)
        .env("XDG_CONFIG_HOME", h.join("config"))
        .env("XDG_STATE_HOME", h.join("state"))
        .env("XDG_DATA_HOME", h.join("data"));
    let mut p = Pty::spawn(cmd, 100, 30);
    p.wait_for("prometheus", 10);
    p.send(b"B");
    p.wait_for("One long step", 10);
    p.send(b"\r");
    p.send(out.display().to_string().as_bytes());
    p.send(b"\r");
    p.send(b"r");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !out.join("pid").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(out.join("pid").exists(), "the step runs: {}", p.text());
    (home, out, p)
}

/// What the journal and the audit trail say of the step `long`.
fn recorded(home: &std::path::Path) -> (String, Vec<String>) {
    let runs = home.join("state/watchpost/runs");
    let journal = std::fs::read_dir(&runs).unwrap().next().unwrap().unwrap().path();
    let done = watchpost::runbooks::journal::replay(&journal).unwrap().done["long"].clone();
    let audit = watchpost::ops::audit::Audit::open(&home.join("data/watchpost/audit.db")).unwrap();
    (done, audit.entries().unwrap().into_iter().map(|e| e.result).collect())
}

/// Whether the step's background process still runs (a zombie is dead: its parent, the step's shell,
/// was killed with it, and not every init reaps orphans at once).
fn alive(pid_file: &std::path::Path) -> bool {
    let pid: i32 = std::fs::read_to_string(pid_file).unwrap().trim().parse().unwrap();
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.split_whitespace().nth(2) != Some("Z"))
}

/// SIGTERM while a runbook step runs: the step's processes are killed, and both the journal and the
/// audit trail say it was killed and why, before the console exits with the signal's code.
#[test]
fn sigterm_during_a_step_kills_it_and_records_why() {
    let (home, out, mut p) = console_with_a_running_step();
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait_exit(10).code(), Some(143));
    assert!(p.restored());
    let (journal, audit) = recorded(home.path());
    assert_eq!(journal, "failed: killed, the console ended on SIGTERM");
    assert!(audit.iter().any(|r| r == "failed: killed, the console ended on SIGTERM"), "{audit:?}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!alive(&out.join("pid")), "the step's process is gone");
}

/// `q` while a step runs asks first and names the step; `n` keeps it running, `y` quits and the journal
/// says the console quit.
#[test]
fn q_with_a_step_running_asks_first() {
    let (home, out, mut p) = console_with_a_running_step();
    p.send(b"q");
    p.wait_for("Quit the console?", 5);
    p.wait_for("step `long`", 5);
    p.send(b"n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(p.child.try_wait().unwrap().is_none(), "still running after n");
    assert!(alive(&out.join("pid")));
    p.send(b"q");
    p.send(b"y");
    assert_eq!(p.wait_exit(10).code(), Some(0));
    assert!(p.restored());
    let (journal, _) = recorded(home.path());
    assert_eq!(journal, "failed: killed, the console quit");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!alive(&out.join("pid")), "y killed the step's process");
}

/// The demo is three environments: production first, `N` opens staging (an estate of its own, started
/// then) in the same terminal, and `q` still quits cleanly; `WATCHPOST_ENV` opens another first.
#[test]
fn the_demo_switches_environment_in_the_same_terminal() {
    let mut p = Pty::spawn(console(&[]), 100, 30);
    p.wait_for(" production ", 10);
    p.send(b"N");
    p.wait_for(" staging ", 10);
    p.send(b"q");
    assert_eq!(p.wait_exit(5).code(), Some(0));
    assert!(p.restored() && p.cooked());

    let mut p = Pty::spawn(console(&[("WATCHPOST_ENV", "development")]), 100, 30);
    p.wait_for(" development ", 10);
    // Its own objective: 95 %.
    p.wait_for("95.000%", 30);
    p.send(b"q");
    assert_eq!(p.wait_exit(5).code(), Some(0));
}
