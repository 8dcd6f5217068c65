//! `watchpost estate export` as Prometheus's own tools read it: Debian's `promtool tsdb
//! create-blocks-from openmetrics` turns it into blocks, a real Prometheus serves them, and what it
//! answers matches the simulator — with every service within the default SLO at rest.
use crate::support;

use std::process::Command;
use support::{Prometheus, backfill, get_json};
use watchpost::estate::{Simulator, TOPOLOGY};

const SEED: u64 = 11;

fn query(prom: &Prometheus, expr: &str, at: f64) -> Vec<(String, f64)> {
    let v = get_json(&format!("{}/api/v1/query", prom.url()), &[("query", expr), ("time", &format!("{at}"))])
        .unwrap_or_else(|| panic!("no answer to {expr}"));
    let mut out: Vec<(String, f64)> = v["data"]["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{expr}: {v}"))
        .iter()
        .map(|r| {
            let job = r["metric"]["job"].as_str().unwrap_or("").to_string();
            (job, r["value"][1].as_str().unwrap().parse().unwrap())
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn promtool_backfills_the_export_and_prometheus_agrees_with_the_simulator() {
    let now = chrono::Utc::now().timestamp() as f64;
    let (from, to) = (now - 2400.0, now - 600.0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("estate.om");
    let status = Command::new(env!("CARGO_BIN_EXE_watchpost"))
        .args(["estate", "export", "--seed", &SEED.to_string(), "--step", "15s"])
        .args(["--from", &format!("{from}"), "--to", &format!("{to}"), "-o"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success());
    backfill(&file, &dir.path().join("data"));

    let prom = Prometheus::in_dir(dir, "scrape_configs: []\n");
    // An instant within the window, on a sample, with a full 5 m behind it.
    let at = from + 15.0 * 100.0;
    prom.wait_for(&format!("count(up @ {at}) == 8"));

    // Rates: Prometheus's rate() over the exported counters against the simulator's own counters.
    let mut sim = Simulator::new(SEED, from);
    sim.advance_to(at - 300.0);
    let before: Vec<f64> = sim.counters.iter().map(|c| c.requests()).collect();
    sim.advance_to(at);
    let rates = query(&prom, "sum by (job) (rate(http_requests_total[5m]))", at);
    assert_eq!(rates.len(), TOPOLOGY.len());
    for (job, rate) in &rates {
        let i = TOPOLOGY.iter().position(|s| s.name == job).unwrap();
        let expect = (sim.counters[i].requests() - before[i]) / 300.0;
        assert!((rate / expect - 1.0).abs() < 0.02, "{job}: Prometheus {rate}, simulator {expect}");
    }

    // At rest, as Prometheus computes the console's figures, every service is within 99.9 % / 200 ms.
    let errors = query(
        &prom,
        "sum by (job) (rate(http_requests_total{code=\"500\"}[5m])) / sum by (job) (rate(http_requests_total[5m]))",
        at,
    );
    let p95 =
        query(&prom, "histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))", at);
    assert_eq!((errors.len(), p95.len()), (8, 8));
    for ((job, e), (_, l)) in errors.iter().zip(&p95) {
        assert!(*e > 0.0 && *e < 0.001, "{job}: error ratio {e}");
        assert!(*l > 0.0 && *l < 0.2, "{job}: p95 {l}");
    }
}
