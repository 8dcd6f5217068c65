//! `watchpost estate serve` as a real Prometheus sees it: every service's endpoint scraped without error,
//! valid exposition, and the console's conventional queries find every service.
use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::pty::Pty;
use support::{Proc, Prometheus, get_json};

/// `watchpost estate serve` started as a user starts it, on free ports, and what it printed: each
/// service's endpoint, the APIs' address and the scrape config. With `ready`, it is read up to the line
/// that says the history is in.
struct Served {
    proc: Proc,
    endpoints: Vec<String>,
    api: String,
    scrape: String,
}

fn serve(seed: &str, ready: bool) -> Served {
    let child = Command::new(env!("CARGO_BIN_EXE_watchpost"))
        .args(["estate", "serve", "--seed", seed, "--listen", "127.0.0.1:0"])
        .env("XDG_STATE_HOME", env!("CARGO_TARGET_TMPDIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the estate");
    let mut proc = Proc::new(child);
    let mut out = BufReader::new(proc.stdout());
    let (mut endpoints, mut api, mut scrape) = (Vec::new(), String::new(), String::new());
    let mut line = String::new();
    while out.read_line(&mut line).expect("read") > 0 {
        let l = line.trim_end().to_string();
        line.clear();
        if let Some(url) = l.split_whitespace().nth(1).filter(|u| u.ends_with("/metrics")) {
            endpoints.push(url.to_string());
        }
        if let Some(rest) = l.strip_prefix("APIs, all at ") {
            api = rest.split_whitespace().next().expect("an address").trim_end_matches('/').to_string();
        }
        if l.starts_with("scrape_configs:") || !scrape.is_empty() {
            if l.is_empty() {
                if ready {
                    continue;
                }
                break;
            }
            if !l.starts_with("ready:") {
                scrape.push_str(&l);
                scrape.push('\n');
            }
        }
        if l.starts_with("ready:") {
            break;
        }
    }
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Served { proc, endpoints, api, scrape }
}

#[test]
fn prometheus_scrapes_the_estate_cleanly() {
    let Served { proc: _estate, endpoints, api, scrape } = serve("7", false);
    assert!(api.starts_with("http://127.0.0.1:"), "the APIs' address is printed: {api}");
    assert_eq!(endpoints.len(), 8, "eight services announced");

    // Each endpoint is valid exposition by the Rust parser too.
    for url in &endpoints {
        let body = Command::new("curl").args(["-sf", url]).output().expect("curl").stdout;
        let text = String::from_utf8(body).expect("UTF-8");
        let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("parses");
        assert!(parsed.samples.iter().any(|s| s.metric == "http_requests_total"), "{url}");
    }

    // The estate's own rule file, loaded by the real Prometheus as it is by the embedded engine.
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/estate/rules.yml");
    let prom = Prometheus::with_scrape_configs(&format!("rule_files: ['{rules}']\n{scrape}"));
    prom.wait_for("count(up == 1) == 8");
    let targets = get_json(&format!("{}/api/v1/targets", prom.url()), &[]).expect("targets");
    for t in targets["data"]["activeTargets"].as_array().expect("targets") {
        assert_eq!(t["health"], "up", "{t}");
        assert_eq!(t["lastError"], "", "{t}");
    }
    // What the console asks of every service, conventions only: all eight answer.
    prom.wait_for("count(sum by (job) (rate(http_requests_total[5s])) > 0) == 8");
    prom.wait_for(
        "count(histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket[5s]))) > 0) == 8",
    );
    // Every rule evaluates without error on the real Prometheus, and nothing fires at rest.
    prom.wait_for("count(job:http_latency_seconds:p95_1m) == 8");
    let rules = get_json(&format!("{}/api/v1/rules", prom.url()), &[]).expect("rules");
    let groups = rules["data"]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 3, "{rules}");
    for r in groups.iter().flat_map(|g| g["rules"].as_array().expect("rules")) {
        assert_ne!(r["health"], "err", "{r}");
        assert_ne!(r["state"], "firing", "{r}");
    }
    let down = get_json(&format!("{}/api/v1/query", prom.url()), &[("query", "scrape_samples_scraped < 20")]);
    assert_eq!(down.unwrap()["data"]["result"].as_array().map(Vec::len), Some(0), "every scrape carried its samples");
}

fn run_tool(tool: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().expect("run the tool");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} {args:?}: {stderr}", tool.display());
    stdout.into_owned()
}

/// `estate serve`'s APIs answer the real clients unchanged, at the address it prints: Debian's
/// `promtool` queries its Prometheus API over the 30 days of history, `amtool` reads its alerts and
/// configuration and adds, finds and expires a silence.
#[test]
fn promtool_and_amtool_work_against_estate_serve() {
    let Served { proc: _estate, api: url, .. } = serve("7", true);
    let (promtool, amtool) = (support::which(&["promtool"]), support::which(&["amtool"]));

    let out = run_tool(&promtool, &["query", "instant", &url, "sum(up)"]);
    assert!(out.starts_with("{} => 8"), "{out}");
    // The history is there: a day ago, as an instant and as a range.
    let now = chrono::Utc::now().timestamp();
    let day_ago = (now - 86_400).to_string();
    let out = run_tool(&promtool, &["query", "instant", "--time", &day_ago, &url, "count(up)"]);
    assert!(out.starts_with("{} => 8"), "a day ago: {out}");
    let (start, end) = ((now - 600).to_string(), now.to_string());
    let out =
        run_tool(&promtool, &["query", "range", "--start", &start, "--end", &end, "--step", "5m", &url, "sum(up)"]);
    assert!(out.contains("8 @["), "{out}");
    let out = run_tool(&promtool, &["query", "labels", &url, "job"]);
    assert_eq!(out.lines().count(), 8, "{out}");
    let out = run_tool(&promtool, &["query", "series", "--match", "up{job=\"db\"}", &url]);
    assert!(out.contains("job=\"db\"") && out.lines().count() == 1, "{out}");

    let am = format!("--alertmanager.url={url}");
    assert!(run_tool(&amtool, &[&am, "alert", "query"]).starts_with("Alertname"));
    let out = run_tool(&amtool, &[&am, "config", "show"]);
    assert!(out.contains("receiver: watchpost"), "amtool shows the configuration: {out}");
    let id = run_tool(&amtool, &[&am, "silence", "add", "alertname=DrillCheck", "--comment=drill", "--duration=1h"]);
    let id = id.trim();
    assert_eq!(id.len(), 36, "a silence id: {id}");
    let out = run_tool(&amtool, &[&am, "silence", "query", "alertname=DrillCheck"]);
    assert!(out.contains(id) && out.lines().count() == 2, "the filter finds it and only it: {out}");
    run_tool(&amtool, &[&am, "silence", "expire", id]);
    let out = run_tool(&amtool, &[&am, "silence", "query", "alertname=DrillCheck"]);
    assert!(!out.contains(id), "expired: {out}");

    // Loki's, Jaeger's, Tempo's and the incident APIs answer at the same address.
    let logs = get_json(&format!("{url}/loki/api/v1/labels"), &[]).expect("loki labels");
    assert_eq!(logs["status"], "success", "{logs}");
    let services = get_json(&format!("{url}/api/services"), &[]).expect("jaeger services");
    assert_eq!(services["data"].as_array().map(Vec::len), Some(8), "{services}");
    let tempo = get_json(&format!("{url}/tempo/api/search"), &[("tags", "service.name=payments")]).expect("tempo");
    assert!(tempo["traces"].as_array().is_some_and(|t| !t.is_empty()), "{tempo}");
    let incidents = get_json(&format!("{url}/incidents"), &[]).expect("incidents");
    assert!(incidents["incidents"].is_array(), "{incidents}");
}

/// `watchpost drill run NAME --estate URL` drills on an estate another process serves: the drill's
/// fault reaches it (any tool on the estate sees it), and an operator's fix made there through the
/// deploy API ends the console's drill.
#[test]
fn a_drill_runs_against_estate_serve() {
    let Served { proc: _estate, api: url, .. } = serve("9", true);
    let tmp = tempfile::tempdir().expect("tmp");
    let home = tmp.path().to_str().expect("utf-8");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_watchpost"));
    cmd.args(["drill", "run", "search-down", "--estate", &url])
        .env_clear()
        .env("TERM", "xterm-256color")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", format!("{home}/config"))
        .env("XDG_STATE_HOME", home)
        .env("PATH", "/usr/bin:/bin");
    let mut console = Pty::spawn(cmd, 120, 40);
    console.wait_for("DRILL", 20);
    let host = url.trim_start_matches("http://");
    console.wait_for(&format!("estate {host}"), 5);

    // The fault is the estate's: its own API lists it.
    let faults_url = format!("{url}/estate/v1/faults");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let fault = loop {
        let faults = get_json(&faults_url, &[]).expect("faults");
        if let Some(f) = faults.as_array().and_then(|a| a.first()).cloned() {
            break f;
        }
        assert!(std::time::Instant::now() < deadline, "the drill's fault never reached the estate");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!((fault["service"].as_str(), fault["fault"]["kind"].as_str()), (Some("search"), Some("down")), "{fault}");

    // Fixed from elsewhere (a runbook, a script): the console's drill learns it from the estate.
    let out = Command::new("curl")
        .args(["-sf", "-X", "POST", "-d", r#"{"by": "terminal"}"#, &format!("{url}/estate/v1/services/search/restart")])
        .output()
        .expect("curl");
    assert!(out.status.success(), "restart: {}", String::from_utf8_lossy(&out.stdout));
    console.send(b"D");
    // One word: the diff skips the blanks already on screen between words.
    console.wait_for("(terminal)", 20);
    let faults = get_json(&faults_url, &[]).expect("faults");
    let until = faults[0]["until"].as_f64().expect("until");
    assert!(until <= chrono::Utc::now().timestamp() as f64 + 1.0, "the fault ended: {faults}");
}

/// The estate rejects a fault it cannot apply, with its reason.
#[test]
fn a_bad_fault_is_refused_with_its_reason() {
    let Served { proc: _estate, api: url, .. } = serve("3", true);
    let post = |body: &str| {
        let out = Command::new("curl")
            .args(["-s", "-w", "\n%{http_code}", "-X", "POST", "-d", body, &format!("{url}/estate/v1/faults")])
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = post(r#"{"service": "nope", "fault": {"kind": "down"}}"#);
    assert!(out.ends_with("400") && out.contains("no service `nope`"), "{out}");
    let out = post(r#"{"service": "db", "fault": {"kind": "melt"}}"#);
    assert!(out.ends_with("400") && out.contains("unknown variant `melt`"), "{out}");
    let out = post(r#"{"service": "db", "fault": {"kind": "errors", "ratio": 0.5}, "from": 10, "until": 5}"#);
    assert!(out.ends_with("400") && out.contains("end after it starts"), "{out}");
    let out = post(r#"{"service": "db", "fault": {"kind": "errors", "ratio": 0.5}}"#);
    assert!(out.ends_with("201"), "{out}");
    // Bounded: 32 faults in effect at once, then refused with why.
    for _ in 1..32 {
        assert!(post(r#"{"service": "db", "fault": {"kind": "errors", "ratio": 0.01}}"#).ends_with("201"));
    }
    let out = post(r#"{"service": "db", "fault": {"kind": "errors", "ratio": 0.01}}"#);
    assert!(out.ends_with("429") && out.contains("32 faults are in effect"), "{out}");
}
