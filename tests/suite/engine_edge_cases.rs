//! The embedded engine against a real Prometheus on data the estate never produces: counter resets,
//! NaN, ±Inf, histogram buckets out of order and non-monotonic, a bucket set with no observations, a
//! series that falls silent (beyond the lookback), and absent series. The fixture is OpenMetrics text
//! as the OpenMetrics specification writes it, backfilled with Debian's promtool.
use crate::support;

use support::differential::{compare, engine_instant, prometheus};
use support::{Prometheus, backfill};
use watchpost::engine::{Engine, Store, load::load};

const STEP: i64 = 15_000;

fn ts(ms: i64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn fixture(t0: i64) -> String {
    let mut o = String::new();
    let mut series = |name: &str, values: &[&str]| {
        for (i, v) in values.iter().enumerate() {
            o.push_str(&format!("{name} {v} {}\n", ts(t0 + i as i64 * STEP)));
        }
    };
    series("# TYPE resets counter\nresets_total{case=\"reset\"}", &[]);
    series("resets_total{case=\"reset\"}", &["0", "10", "20", "5", "15", "2", "30", "31", "1", "40"]);
    series("resets_total{case=\"steady\"}", &["100", "110", "120", "130", "140", "150", "160", "170", "180", "190"]);
    series("# TYPE g gauge\ng{case=\"plain\"}", &[]);
    series("g{case=\"plain\"}", &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    series("g{case=\"nan\"}", &["1", "NaN", "3", "4", "NaN", "6", "7", "NaN", "9", "10"]);
    series("g{case=\"inf\"}", &["+Inf", "-Inf", "5", "+Inf", "2", "-Inf", "7", "8", "+Inf", "1"]);
    series("# TYPE h histogram\nh_bucket{case=\"ooo\",le=\"+Inf\"}", &[]);
    // Buckets written out of order, and 0.1 counting more than 0.5 (non-monotonic).
    series("h_bucket{case=\"ooo\",le=\"+Inf\"}", &["20", "40", "60", "80", "100", "120", "140", "160", "180", "200"]);
    series("h_bucket{case=\"ooo\",le=\"0.5\"}", &["10", "20", "30", "40", "50", "60", "70", "80", "90", "100"]);
    series("h_bucket{case=\"ooo\",le=\"0.1\"}", &["12", "24", "36", "48", "60", "72", "84", "96", "108", "120"]);
    series("h_bucket{case=\"ooo\",le=\"1\"}", &["18", "36", "54", "72", "90", "108", "126", "144", "162", "180"]);
    series("h_bucket{case=\"zero\",le=\"0.5\"}", &["0", "0", "0", "0", "0", "0", "0", "0", "0", "0"]);
    series("h_bucket{case=\"zero\",le=\"+Inf\"}", &["0", "0", "0", "0", "0", "0", "0", "0", "0", "0"]);
    series("h_count{case=\"ooo\"}", &["20", "40", "60", "80", "100", "120", "140", "160", "180", "200"]);
    series("h_sum{case=\"ooo\"}", &["4", "8", "12", "16", "20", "24", "28", "32", "36", "40"]);
    o.push_str("# TYPE sparse gauge\n");
    o.push_str(&format!("sparse 1 {}\nsparse 2 {}\n", ts(t0), ts(t0 + 600_000)));
    o.push_str("# EOF\n");
    o.replace("# TYPE resets counter\nresets_total{case=\"reset\"}\n", "# TYPE resets counter\n")
        .replace("# TYPE g gauge\ng{case=\"plain\"}\n", "# TYPE g gauge\n")
        .replace("# TYPE h histogram\nh_bucket{case=\"ooo\",le=\"+Inf\"}\n", "# TYPE h histogram\n")
}

const QUERIES: &[&str] = &[
    "resets_total",
    "rate(resets_total[1m])",
    "rate(resets_total[3m])",
    "increase(resets_total[2m])",
    "irate(resets_total[1m])",
    "resets_total offset 30s",
    "g",
    "g > 2",
    "g < bool 2",
    "g == g",
    "-g",
    "g * 0",
    "g / g",
    "sum(g)",
    "max(g)",
    "min(g)",
    "avg(g)",
    "count(g)",
    "topk(1, g)",
    "bottomk(1, g)",
    "quantile(0.5, g)",
    "delta(g[1m])",
    "idelta(g[2m])",
    "deriv(g[2m])",
    "avg_over_time(g[2m])",
    "max_over_time(g[2m])",
    "min_over_time(g[2m])",
    "sum_over_time(g[2m])",
    "count_over_time(g[2m])",
    "last_over_time(g[2m])",
    "clamp(g, 2, 3)",
    "round(g)",
    "scalar(g)",
    "histogram_quantile(0.5, h_bucket)",
    "histogram_quantile(0.9, h_bucket)",
    "histogram_quantile(0.99, rate(h_bucket[1m]))",
    "histogram_quantile(1.5, h_bucket)",
    "histogram_quantile(-1, h_bucket)",
    "histogram_quantile(0.5, h_bucket{case=\"zero\"})",
    "h_sum / h_count",
    "sparse",
    "absent(sparse)",
    "count_over_time(sparse[30m])",
    "last_over_time(sparse[20m])",
    "rate(sparse[1m])",
    "nonexistent",
    "sum(nonexistent)",
    "count(nonexistent)",
    "absent(nonexistent{a=\"b\", c=~\"x\"})",
    "vector(1) and on () nonexistent",
    "vector(1) or on () nonexistent",
];

#[test]
fn engine_matches_prometheus_on_edge_cases() {
    let now = chrono::Utc::now().timestamp_millis();
    let t0 = (now - 3 * 3_600_000) / 60_000 * 60_000;
    let text = fixture(t0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edge.om");
    std::fs::write(&file, &text).unwrap();
    backfill(&file, &dir.path().join("data"));
    let mut store = Store::default();
    load(&mut store, &text, 0).unwrap();
    let engine = Engine::new(store);
    let prom = Prometheus::in_dir(dir, "scrape_configs: []\n");
    prom.wait_for(&format!("count(g @ {}) == 3", ts(t0 + 60_000)));

    // Inside the data, on and off sample times, and after `sparse` fell silent (beyond the lookback).
    let instants = [t0 + 60_000, t0 + 97_500, t0 + 135_000, t0 + 400_000, t0 + 630_000];
    let mut failures = Vec::new();
    for q in QUERIES {
        for &t in &instants {
            let theirs = prometheus(&prom, "query", &[("query", q), ("time", &ts(t))]);
            let ours = engine_instant(&engine, q, t);
            match (ours, theirs) {
                (Ok(a), Ok(b)) => failures.extend(compare(&format!("{q} @ +{}s", (t - t0) / 1000), &a, &b)),
                (a, b) => failures.push(format!("{q} @ +{}s: engine {a:?}, prometheus {b:?}", (t - t0) / 1000)),
            }
        }
    }
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}
