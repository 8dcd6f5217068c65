//! `watchpost estate serve` as a real Prometheus sees it: every service's endpoint scraped without error,
//! valid exposition, and the console's conventional queries find every service.
use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use support::{Proc, Prometheus, get_json};

#[test]
fn prometheus_scrapes_the_estate_cleanly() {
    let child = Command::new(env!("CARGO_BIN_EXE_watchpost"))
        .args(["estate", "serve", "--seed", "7", "--listen", "127.0.0.1:0"])
        .env("XDG_STATE_HOME", env!("CARGO_TARGET_TMPDIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the estate");
    let mut estate = Proc::new(child);
    let mut out = BufReader::new(estate.stdout());
    let (mut endpoints, mut scrape) = (Vec::new(), String::new());
    let mut line = String::new();
    while out.read_line(&mut line).expect("read") > 0 {
        let l = line.trim_end().to_string();
        line.clear();
        if let Some(url) = l.split_whitespace().nth(1).filter(|u| u.starts_with("http://")) {
            endpoints.push(url.to_string());
        }
        if l.starts_with("scrape_configs:") || !scrape.is_empty() {
            if l.is_empty() {
                break;
            }
            scrape.push_str(&l);
            scrape.push('\n');
            if scrape.lines().count() == 1 + 2 * endpoints.len() {
                break;
            }
        }
    }
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
