//! `watchpost query` against a real Prometheus: a table, the API's own JSON, range queries, and
//! Prometheus's errors passed on with a non-zero exit.
use crate::support;

use std::process::Command;
use support::{NodeExporter, Prometheus, exporter, get_json};

fn query(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_watchpost"))
        .arg("query")
        .args(args)
        .env("PROMETHEUS_URL", url)
        .env_remove("WATCHPOST_CONFIG")
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("XDG_STATE_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("run watchpost query");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn query_prints_what_prometheus_answers() {
    let shop = exporter::start();
    let node = NodeExporter::start();
    let prom = Prometheus::start(shop, node.port);
    prom.wait_for("count(up) == 3");
    prom.wait_for("count_over_time(up{job=\"shop\"}[10s]) >= 6");
    let url = prom.url();

    // A table: one row per series, labels sanitized, the value.
    let (code, out, err) = query(&url, &["up"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("SERIES"), "{out}");
    assert!(out.contains(&format!("up{{instance=\"127.0.0.1:{shop}\", job=\"shop\"}}")), "{out}");
    assert_eq!(out.lines().count(), 4, "header and three targets:\n{out}");

    // JSON: the API's own answer (the same series Prometheus gives for the same query).
    let (code, out, err) = query(&url, &["--json", "count by (job) (up)"]);
    assert_eq!(code, 0, "{err}");
    let ours: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let theirs = get_json(&format!("{url}/api/v1/query"), &[("query", "count by (job) (up)")]).unwrap();
    assert_eq!(ours["status"], "success");
    let jobs = |v: &serde_json::Value| {
        let mut j: Vec<(String, String)> = v["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["metric"]["job"].as_str().unwrap().to_string(), r["value"][1].as_str().unwrap().to_string()))
            .collect();
        j.sort();
        j
    };
    assert_eq!(jobs(&ours), jobs(&theirs));
    assert_eq!(jobs(&ours), vec![("node".into(), "2".into()), ("shop".into(), "1".into())]);

    // A range query, as a table of points and as JSON.
    let (code, out, err) = query(&url, &["--range", "now-5s,now,1s", "up{job=\"shop\"}"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().filter(|l| l.starts_with("  ")).count() >= 5, "{out}");
    let (code, out, _) = query(&url, &["--json", "--range", "now-5s,now,1s", "up{job=\"shop\"}"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["data"]["resultType"], "matrix");

    // Prometheus's error, as it gave it, and a non-zero exit.
    let (code, _, err) = query(&url, &["sum(rate(up[5m])"]);
    assert_eq!(code, 1);
    assert!(err.contains("bad_data") && err.contains("parse error"), "{err}");
    let (code, out, _) = query(&url, &["--json", "sum(rate(up[5m])"]);
    assert_eq!(code, 1);
    assert!(out.contains("\"status\": \"error\""), "{out}");

    // An instant query at a given time, as `promtool query instant --time` asks it: an hour ago this
    // Prometheus had no samples; a moment ago it had them (the JSON says the time asked).
    let (code, out, err) = query(&url, &["--time", "now-1h", "up"]);
    assert_eq!((code, out.as_str()), (0, "SERIES  VALUE\n(empty result)\n"), "{err}");
    let (code, out, _) = query(&url, &["--json", "--time", "1767268800", "vector(1)"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["data"]["result"][0]["value"][0], 1767268800.0, "{out}");
    let (code, _, err) = query(&url, &["--time", "now-1h", "--range", "now-5s,now,1s", "up"]);
    assert_eq!(code, 2, "an instant time and a range do not go together: {err}");

    // Bad arguments are ours to catch.
    let (code, _, err) = query(&url, &["--range", "now", "up"]);
    assert_eq!(code, 1);
    assert!(err.contains("START,END,STEP"), "{err}");
}

#[test]
fn query_without_prometheus_says_how_to_set_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_watchpost"))
        .args(["query", "up"])
        .env_remove("PROMETHEUS_URL")
        .env_remove("WATCHPOST_CONFIG")
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PROMETHEUS_URL") && err.contains("--data") && err.contains("--demo"), "{err}");
}

/// `--demo` asks the built-in estate, started for the query, once its history is in; `--time` asks it
/// in the past.
#[test]
fn query_demo_asks_the_built_in_estate() {
    let out = Command::new(env!("CARGO_BIN_EXE_watchpost"))
        .args(["query", "--demo", "--time", "now-2h", "sum(up)"])
        .env_remove("PROMETHEUS_URL")
        .env_remove("WATCHPOST_CONFIG")
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("XDG_STATE_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "SERIES  VALUE\n{}      8\n", "the estate's eight services, two hours ago");
}

#[test]
fn query_data_evaluates_an_export_with_the_embedded_engine() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("estate.om");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_watchpost"))
            .args(args)
            .env_remove("PROMETHEUS_URL")
            .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
            .env("XDG_STATE_HOME", env!("CARGO_TARGET_TMPDIR"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let f = file.to_str().unwrap();
    let (code, _, err) = run(&["estate", "export", "--seed", "3", "--from", "now-20m", "--step", "15s", "-o", f]);
    assert_eq!(code, Some(0), "{err}");

    let (code, out, err) = run(&["query", "--data", f, "count by (job) (up)"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count(), 9, "header and eight services:\n{out}");
    assert!(out.contains("{job=\"checkout\"}"), "{out}");

    let (code, out, _) = run(&["query", "--data", f, "--json", "sum(up)"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["data"]["result"][0]["value"][1], "8");

    // `--time`, counted from the newest sample: before the export began there is nothing.
    let (code, out, _) = run(&["query", "--data", f, "--time", "now-5m", "sum(up)"]);
    assert_eq!((code, out.as_str()), (Some(0), "SERIES  VALUE\n{}      8\n"));
    let (code, out, _) = run(&["query", "--data", f, "--time", "now-30m", "sum(up)"]);
    assert_eq!((code, out.as_str()), (Some(0), "SERIES  VALUE\n(empty result)\n"));

    let (code, out, _) = run(&["query", "--data", f, "--range", "now-2m,now,1m", "sum(up)"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().filter(|l| l.starts_with("  ")).count(), 3, "{out}");

    let (code, _, err) = run(&["query", "--data", f, "holt_winters(up[5m], 0.5, 0.5)"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("holt_winters"), "what the parser does not know is refused with its error: {err}");
}
