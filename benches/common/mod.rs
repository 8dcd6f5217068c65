//! The benchmarks' data: 2 hours of 1 000 series scraped every 15 s, 70 services of request counters
//! (by status code) and latency buckets, as the overview's queries read them.
#![allow(dead_code)]
use std::fmt::Write;
use watchpost::engine::{Labels, Store};

pub const SERVICES: usize = 70; // × (2 request counters + 12 buckets) = 980 series
const BUCKETS: [&str; 12] = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
pub const POINTS: i64 = 2 * 3600 / 15;

/// Every series: (labels, value added per scrape).
fn series() -> Vec<(Labels, f64)> {
    let mut out = Vec::new();
    let mut add = |name: &str, job: &str, extra: (&str, &str), per_step: f64| {
        let l: Labels = [("__name__", name), ("job", job), ("instance", "10.0.0.1:9090"), extra]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        out.push((l, per_step));
    };
    for j in 0..SERVICES {
        let job = format!("svc-{j:02}");
        add("http_requests_total", &job, ("code", "200"), 150.0);
        add("http_requests_total", &job, ("code", "500"), 0.2);
        for (b, le) in BUCKETS.iter().enumerate() {
            add("http_request_duration_seconds_bucket", &job, ("le", le), 10.0 * (b + 1) as f64);
        }
    }
    out
}

/// The samples of the 2 hours ending at `end_ms`, in a store.
pub fn store(end_ms: i64) -> Store {
    let mut s = Store::default();
    for (l, per_step) in series() {
        for i in 0..POINTS {
            s.append(l.clone(), end_ms - (POINTS - i) * 15_000, per_step * i as f64);
        }
    }
    s
}

/// The same samples as OpenMetrics text (for promtool's backfill into a real Prometheus).
pub fn openmetrics(end_ms: i64) -> String {
    let mut o = String::new();
    for (l, per_step) in series() {
        let name = &l["__name__"];
        let labels: Vec<String> =
            l.iter().filter(|(k, _)| *k != "__name__").map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        let head = format!("{name}{{{}}}", labels.join(","));
        for i in 0..POINTS {
            let t = end_ms - (POINTS - i) * 15_000;
            let _ = writeln!(o, "{head} {} {}.{:03}", per_step * i as f64, t / 1000, t % 1000);
        }
    }
    o.push_str("# EOF\n");
    o
}
