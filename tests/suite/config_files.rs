//! Every file in tests/configs/valid passes `watchpost config check`; every file in tests/configs/invalid
//! fails it, non-zero, with the lines of its `.err` file in the message (file:line:col, what was found,
//! what was expected, the nearest valid key). The real binary is run, as a user would.
use std::path::Path;
use std::process::{Command, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_watchpost"));
    c.env_remove("WATCHPOST_CONFIG").env_remove("PROMETHEUS_URL").env("HOME", env!("CARGO_TARGET_TMPDIR"));
    c.env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR")).env("XDG_STATE_HOME", env!("CARGO_TARGET_TMPDIR"));
    c.stdin(Stdio::null());
    c
}

fn files(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs").join(dir);
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .expect("config dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no configs in {}", dir.display());
    v
}

#[test]
fn valid_configs_pass() {
    let mut all = files("valid");
    all.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml"));
    for f in all {
        let out = bin().args(["config", "check"]).arg(&f).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{} should pass:\n{stderr}", f.display());
        assert!(String::from_utf8_lossy(&out.stdout).contains(": ok"), "{}", f.display());
    }
}

#[test]
fn invalid_configs_fail_precisely() {
    for f in files("invalid") {
        let want = std::fs::read_to_string(f.with_extension("err")).expect("a .err file beside each invalid config");
        let out = bin().args(["config", "check"]).arg(&f).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{} must fail:\n{stderr}", f.display());
        for line in want.lines().filter(|l| !l.trim().is_empty()) {
            assert!(stderr.contains(line), "{}: expected `{line}` in:\n{stderr}", f.display());
        }
        assert!(stderr.contains(" | "), "the offending line is quoted:\n{stderr}");
    }
}

#[test]
fn bad_config_draws_nothing() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/invalid/bad-promql.toml");
    let out = bin().arg("--config").arg(&f).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing drawn: {:?}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad-promql.toml:7:16"));
}

#[test]
fn config_is_found_through_the_environment_then_xdg() {
    let valid = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/minimal.toml");
    let out = bin().args(["config", "check"]).env("WATCHPOST_CONFIG", &valid).output().expect("run");
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("minimal.toml: ok"));

    let xdg = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(xdg.path().join("watchpost")).expect("mkdir");
    std::fs::copy(&valid, xdg.path().join("watchpost/config.toml")).expect("copy");
    let out = bin().args(["config", "check"]).env("XDG_CONFIG_HOME", xdg.path()).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("watchpost/config.toml: ok"));

    let out = bin().args(["config", "check"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "nothing to check is an error");
}

#[test]
fn version_and_help() {
    let out = bin().arg("--version").output().expect("run");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("watchpost {}", env!("CARGO_PKG_VERSION")));
    let out = bin().arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["--config", "--log-level", "config", "query"] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
}

/// `watchpost config schema` describes every valid config (the example included) and rejects, of the
/// invalid ones, those a schema can tell: a misspelled key, one in the wrong place, a wrong type. The
/// rest (a query that does not parse, a file that is not there) are `config check`'s to find.
#[test]
fn the_schema_takes_every_valid_config_and_refuses_what_it_can_tell() {
    let out = bin().args(["config", "schema"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let read = |p: &Path| -> serde_json::Value {
        toml::from_str(&std::fs::read_to_string(p).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let mut valid = files("valid");
    valid.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml"));
    for p in valid {
        let errors: Vec<String> = validator.iter_errors(&read(&p)).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", p.display());
    }
    for name in ["misspelled-key", "misspelled-nested", "wrong-type"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/configs/invalid/{name}.toml"));
        assert!(!validator.is_valid(&read(&p)), "the schema takes {name}.toml");
    }
}

/// Environments share what is written outside them and replace what they give: each its own
/// Prometheus and objectives, a service's own objective over the environment's default, and an
/// environment's override of a service over both. `--env` and `WATCHPOST_ENV` pick one; a name the
/// config does not have is an error naming those it has.
#[test]
fn environments_share_services_and_override_what_differs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/environments.toml");
    let envs = watchpost::config::load_file_environments(&path).expect("valid");
    assert_eq!(envs.names(), ["production", "staging", "development"]);
    assert_eq!(envs.all[envs.default].environment.as_ref().unwrap().name, "staging", "default_environment");
    let avail = |env: usize, svc: &str| {
        // In hundredths of a percent.
        let a = envs.all[env].services.iter().find(|s| s.name == svc).map(|s| s.targets.availability).unwrap();
        (a * 10_000.0).round() as u32
    };
    assert_eq!((avail(0, "checkout"), avail(1, "checkout"), avail(2, "checkout")), (9990, 9900, 9500));
    assert_eq!((avail(0, "payments"), avail(1, "payments"), avail(2, "payments")), (9995, 9995, 9500));
    let p95 = |env: usize| envs.all[env].services[0].targets.latency_p95;
    assert_eq!(p95(0), p95(2), "the shared [slo] applies in each");
    assert_eq!(envs.all[0].prometheus.as_ref().unwrap().url.host_str(), Some("prometheus.prod.example"));
    assert_eq!(envs.all[0].alertmanagers.len(), 1);
    assert!(envs.all[1].alertmanagers.is_empty(), "staging names none");
    assert!(envs.all[2].read_only && !envs.all[0].read_only);
    assert!(envs.all.iter().all(|c| c.environments.len() == 3));

    // A config without environments is one unnamed environment, as before.
    let plain = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/minimal.toml");
    let one = watchpost::config::load_file_environments(&plain).expect("valid");
    assert_eq!(one.all.len(), 1);
    assert!(one.all[0].environment.is_none() && one.all[0].environments.is_empty());

    // Choosing one from the command line, and from the environment.
    let tmp = env!("CARGO_TARGET_TMPDIR");
    let out = bin().args(["--env", "nope", "--config"]).arg(&path).args(["query", "up"]).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no environment `nope`: expected one of production, staging, development"), "{err}");
    let out = bin()
        .env("WATCHPOST_ENV", "nope")
        .env("XDG_STATE_HOME", tmp)
        .arg("--config")
        .arg(&path)
        .args(["maintenance", "list"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no environment `nope`"));
}

/// Where an environment's figures come from is its own: a direct scrape given there replaces the
/// shared Prometheus (not kept beside it as the other environment's source), and `--readonly` or a
/// read-only environment refuses the command line's actions too.
#[test]
fn an_environments_source_is_its_own_and_read_only_holds_on_the_command_line() {
    let text = r#"
[prometheus]
url = "http://prometheus.shared:9090"

[[environments]]
name = "lab"
scrape = { targets = [{ job = "api", url = "http://127.0.0.1:9100/metrics" }] }

[[environments]]
name = "prod"
"#;
    let envs = watchpost::config::load_environments(Path::new("w.toml"), text).expect("valid");
    assert!(envs.all[0].prometheus.is_none() && envs.all[0].scrape.is_some(), "lab scrapes, alone");
    assert!(envs.all[1].prometheus.is_some() && envs.all[1].scrape.is_none(), "prod shares Prometheus");

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/environments.toml");
    let out =
        bin().args(["--env", "development", "--config"]).arg(&path).args(["rollback", "checkout"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not run: a rollback in development is refused: it is read-only"), "{err}");
    let out = bin()
        .args(["--readonly", "--env", "production", "--config"])
        .arg(&path)
        .args(["rollback", "checkout"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("a rollback in production is refused"));
}
