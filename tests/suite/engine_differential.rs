//! The embedded engine against a real Prometheus on the same data: the estate exported for a fixed seed
//! and window, backfilled into Prometheus with Debian's `promtool tsdb create-blocks-from openmetrics`,
//! and loaded into the engine from the same file. Every query of the corpus must give the same series
//! (labels exactly) with values within 1e-9 relative, as instant queries at several instants and as range
//! queries.
use crate::support;

use support::differential::{Result, compare, engine_instant, key, prometheus};
use support::{Prometheus, backfill};
use watchpost::config::Service;
use watchpost::engine::{Engine, Store, load::load};
use watchpost::estate::TOPOLOGY;
use watchpost::slo::Targets;
use watchpost::sources::prometheus::figures::{availability_query, instant_queries};

const SEED: u64 = 2024;

fn corpus() -> Vec<String> {
    let mut q: Vec<String> = vec![
        "up",
        "count by (job) (up)",
        "up{job=~\"c.*\"}",
        "up{job!~\"c.*|d.*\"}",
        "up{job!=\"db\"}",
        "nonexistent_metric",
        "sum by (job) (rate(http_requests_total[5m]))",
        "sum by (code) (rate(http_requests_total[5m]))",
        "rate(http_requests_total{job=\"checkout\"}[1m])",
        "irate(http_requests_total{job=\"payments\"}[1m])",
        "idelta(app_connections_active[2m])",
        "deriv(app_connections_active[10m])",
        "deriv(process_cpu_seconds_total[5m])",
        "increase(http_requests_total[10m])",
        "delta(app_connections_active[5m])",
        "rate(process_cpu_seconds_total[2m])",
        "avg_over_time(app_connections_active[5m])",
        "max_over_time(app_connections_active[10m])",
        "min_over_time(app_connections_active[10m])",
        "sum_over_time(app_connections_active[3m])",
        "count_over_time(up[5m])",
        "last_over_time(app_connections_active[5m])",
        "topk(3, sum by (job) (rate(http_requests_total[5m])))",
        "bottomk(2, sum by (job) (rate(http_requests_total[5m])))",
        "quantile(0.9, sum by (job) (rate(http_requests_total[5m])))",
        "avg by (job) (rate(http_requests_total[5m]))",
        "max without (code) (rate(http_requests_total[5m]))",
        "min without (code, instance) (rate(http_requests_total[5m]))",
        "sum without (instance) (app_connections_active)",
        "count without (code) (http_requests_total)",
        "max by (__name__, job) (app_connections_active)",
        "topk(1, app_connections_active)",
        "stddev(sum by (job) (rate(http_requests_total[5m])))",
        "stdvar(app_connections_active)",
        "count(app_connections_active > 100)",
        "group by (job) (up)",
        "sum(rate(http_requests_total[5m])) by (job) > 50",
        "sum by (job) (rate(http_requests_total[5m])) > bool 50",
        "app_connections_active >= 180",
        "100 < app_connections_active",
        "up and on (job) app_build_info",
        "up unless on (job) app_connections_active > 200",
        "app_connections_active or app_disk_used_bytes",
        "rate(http_requests_total{code=\"500\"}[5m]) / ignoring (code) rate(http_requests_total{code=\"200\"}[5m])",
        "sum by (job) (rate(http_requests_total[5m])) * on (job) group_left (version) app_build_info",
        "app_build_info * on (job) group_right (version) sum by (job) (rate(http_requests_total[5m]))",
        "app_disk_used_bytes / app_disk_capacity_bytes",
        "1 - app_disk_used_bytes / app_disk_capacity_bytes",
        "-app_connections_active",
        "abs(-rate(http_requests_total[5m]))",
        "clamp(app_connections_active, 10, 100)",
        "clamp_min(app_connections_active, 100)",
        "clamp_max(app_connections_active, 100)",
        "round(rate(http_requests_total[5m]), 0.1)",
        "round(app_connections_active)",
        "time()",
        "vector(1)",
        "vector(time()) - 60",
        "scalar(sum(up))",
        "scalar(up)",
        "absent(nonexistent_metric{job=\"x\"})",
        "absent(up)",
        "label_replace(up, \"service\", \"$1-svc\", \"job\", \"(c.*)\")",
        "histogram_quantile(0.5, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))",
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
        "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket{job=\"db\"}[5m]))",
        "rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])",
        "rate(http_requests_total[5m] offset 10m)",
        "up offset 1m",
        "2 ^ 3 + 4 % 3 - 10 / 4",
        "app_connections_active % 7",
        "app_connections_active ^ 0.5",
        "0 / 0",
        "up / 0",
        "(sum(rate(http_requests_total{job=\"db\",code=~\"5..\"}[5m])) or vector(0)) / sum(rate(http_requests_total{job=\"db\"}[5m]))",
        // Over a range: spread, quantiles, presence, counter resets and value changes, a forecast.
        "stddev_over_time(app_connections_active[10m])",
        "stdvar_over_time(app_connections_active[10m])",
        "quantile_over_time(0.9, app_connections_active[10m])",
        "present_over_time(app_connections_active{job=\"db\"}[5m])",
        "absent_over_time(nonexistent_metric{job=\"x\"}[5m])",
        "absent_over_time(up[5m])",
        "resets(http_requests_total{job=\"checkout\"}[30m])",
        "changes(app_build_info[30m])",
        "changes(app_connections_active[10m])",
        "predict_linear(app_disk_used_bytes[30m], 3600)",
        "predict_linear(app_connections_active[10m], 600)",
        // Subqueries: aligned to their step (a minute when they name none), offset, nested.
        "max_over_time(rate(http_requests_total{job=\"gateway\"}[1m])[5m:1m])",
        "quantile_over_time(0.5, rate(http_requests_total{job=\"gateway\"}[1m])[5m:30s])",
        // (Without a step a subquery takes the evaluation interval, which this Prometheus sets to 1s.)
        "avg_over_time(sum by (job) (rate(http_requests_total[5m]))[10m:1m])",
        "rate(http_requests_total{job=\"db\"}[5m:1m])",
        "max_over_time(up[10m:1m] offset 5m)",
        "max_over_time(app_connections_active[10m:1m] @ start())",
        "avg_over_time(rate(http_requests_total{job=\"search\"}[5m])[10m:2m] @ end() offset 1m)",
        "min_over_time(deriv(app_connections_active[5m])[10m:2m])",
        "sum_over_time((app_connections_active > 100)[5m:15s])",
        "last_over_time(app_connections_active[3m:45s])",
        "max_over_time(avg_over_time(app_connections_active[2m:30s])[5m:1m])",
        // How many have each value.
        "count_values(\"n\", up)",
        "count_values by (job) (\"v\", app_build_info)",
        "count_values without (instance) (\"v\", round(app_connections_active / 50))",
        "count_values(\"ratio\", app_disk_used_bytes / app_disk_capacity_bytes > 0)",
        // Maths, element by element (names dropped).
        "ceil(rate(http_requests_total[5m]))",
        "floor(app_connections_active / 7)",
        "exp(app_connections_active / 100)",
        "ln(app_connections_active)",
        "log2(app_disk_used_bytes)",
        "log10(app_disk_used_bytes)",
        "sqrt(app_connections_active)",
        "sgn(deriv(app_connections_active[10m]))",
        "sin(app_connections_active)",
        "cos(app_connections_active)",
        "tan(app_connections_active / 1000)",
        "asin(app_disk_used_bytes / app_disk_capacity_bytes)",
        "acos(app_disk_used_bytes / app_disk_capacity_bytes)",
        "atan(app_connections_active)",
        "sinh(app_connections_active / 100)",
        "cosh(app_connections_active / 100)",
        "tanh(app_connections_active / 100)",
        "asinh(app_connections_active)",
        "acosh(app_connections_active)",
        "atanh(app_disk_used_bytes / app_disk_capacity_bytes)",
        "deg(app_connections_active)",
        "rad(app_connections_active)",
        "pi()",
        // Dates, of now and of values read as unix seconds.
        "hour()",
        "minute()",
        "day_of_week()",
        "day_of_month()",
        "day_of_year()",
        "days_in_month()",
        "month()",
        "year()",
        "hour(timestamp(up))",
        "days_in_month(vector(1709164800))",
        "day_of_week(vector(0))",
        // Times and order.
        "timestamp(up)",
        "timestamp(sum by (job) (up))",
        "sort(app_connections_active)",
        "sort_desc(sum by (job) (rate(http_requests_total[5m])))",
        "label_join(up, \"where\", \"/\", \"job\", \"instance\")",
        "label_join(up, \"job\", \"\", \"nonexistent\")",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // Every query the console itself sends for every estate service.
    for spec in TOPOLOGY {
        let svc = Service::conventional(spec.name, Targets::default());
        q.extend(instant_queries(&svc));
        q.push(availability_query(&svc));
    }
    q
}

#[test]
fn engine_matches_prometheus() {
    let now = chrono::Utc::now().timestamp();
    let (from, to) = ((now - 3600) as f64, (now - 600) as f64);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("estate.om");
    let mut f = std::fs::File::create(&file).unwrap();
    watchpost::estate::export::write(SEED, from, to, 15.0, &mut f).unwrap();
    drop(f);
    backfill(&file, &dir.path().join("data"));
    let mut store = Store::default();
    load(&mut store, &std::fs::read_to_string(&file).unwrap(), 0).unwrap();
    let engine = Engine::new(store);
    let prom = Prometheus::in_dir(dir, "scrape_configs: []\n");
    prom.wait_for(&format!("count(up @ {to}) == 8"));

    let corpus = corpus();
    assert!(corpus.len() >= 130, "a corpus of {} queries", corpus.len());
    let instants = [from as i64 * 1000 + 1_200_000, from as i64 * 1000 + 1_807_500, to as i64 * 1000 - 3_000];
    let mut failures = Vec::new();
    for q in &corpus {
        for &t in &instants {
            let ts = format!("{:.3}", t as f64 / 1000.0);
            let theirs = prometheus(&prom, "query", &[("query", q), ("time", &ts)]);
            let ours = engine_instant(&engine, q, t);
            match (ours, theirs) {
                (Ok(a), Ok(b)) => failures.extend(compare(&format!("{q} @ {ts}"), &a, &b)),
                (Err(a), Err(_)) => failures.push(format!("{q}: both refused ({a})")),
                (a, b) => failures.push(format!("{q} @ {ts}: engine {a:?}, prometheus {b:?}")),
            }
        }
        // As a range query over 20 minutes at 60 s.
        let (start, end, step) = (instants[0] - 1_200_000, instants[0], 60_000);
        let theirs = prometheus(
            &prom,
            "query_range",
            &[
                ("query", q),
                ("start", &format!("{:.3}", start as f64 / 1000.0)),
                ("end", &format!("{:.3}", end as f64 / 1000.0)),
                ("step", "60"),
            ],
        );
        let ours = engine.range(q, start, end, step).map_err(|e| e.0).map(|series| {
            series
                .into_iter()
                .map(|s| {
                    (
                        if s.labels.is_empty() && q.starts_with("scalar") { "scalar".into() } else { key(&s.labels) },
                        s.samples,
                    )
                })
                .collect::<Result>()
        });
        match (ours, theirs) {
            (Ok(a), Ok(b)) => {
                // A scalar range result is a matrix with one label-less series in Prometheus's API.
                let b: Result = b
                    .into_iter()
                    .map(|(k, v)| (if k == "{}" && a.contains_key("scalar") { "scalar".into() } else { k }, v))
                    .collect();
                failures.extend(compare(&format!("range {q}"), &a, &b))
            }
            (Err(a), Err(_)) => failures.push(format!("{q}: both refused the range ({a})")),
            (a, b) => failures.push(format!("range {q}: engine {a:?}, prometheus {b:?}")),
        }
    }

    // Breadth: queries built from the grammar (functions, aggregations, binary operators, subqueries
    // nested three deep), the same every run, at an instant and as a range. Where both refuse (a
    // many-to-many match, say), they agree.
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = generated();
    for _ in 0..300 {
        let q = strategy.new_tree(&mut runner).expect("a query").current();
        let t = instants[1];
        let ts = format!("{:.3}", t as f64 / 1000.0);
        match (engine_instant(&engine, &q, t), prometheus(&prom, "query", &[("query", &q), ("time", &ts)])) {
            (Ok(a), Ok(b)) => failures.extend(compare(&format!("{q} @ {ts}"), &a, &b)),
            (Err(_), Err(_)) => {}
            (a, b) => failures.push(format!("{q} @ {ts}: engine {a:?}, prometheus {b:?}")),
        }
    }
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

/// Instant-vector queries from a small PromQL grammar over the estate's metrics.
fn generated() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let counter = prop_oneof![
        Just("http_requests_total"),
        Just("http_requests_total{code=~\"5..\"}"),
        Just("process_cpu_seconds_total"),
    ];
    let gauge = prop_oneof![Just("app_connections_active"), Just("app_disk_used_bytes"), Just("up")];
    let window = prop_oneof![Just("1m"), Just("5m"), Just("10m")];
    let leaf = prop_oneof![
        gauge.clone().prop_map(String::from),
        (prop_oneof![Just("rate"), Just("increase"), Just("irate"), Just("resets")], counter, window.clone())
            .prop_map(|(f, m, w)| format!("{f}({m}[{w}])")),
        (
            prop_oneof![
                Just("avg_over_time"),
                Just("max_over_time"),
                Just("stddev_over_time"),
                Just("changes"),
                Just("deriv"),
                Just("delta")
            ],
            gauge,
            window.clone()
        )
            .prop_map(|(f, m, w)| format!("{f}({m}[{w}])")),
    ];
    leaf.prop_recursive(3, 24, 2, move |inner| {
        let by = prop_oneof![Just(""), Just(" by (job)"), Just(" without (instance)")];
        prop_oneof![
            (
                prop_oneof![
                    Just("abs"),
                    Just("ceil"),
                    Just("floor"),
                    Just("sqrt"),
                    Just("ln"),
                    Just("sgn"),
                    Just("deg")
                ],
                inner.clone()
            )
                .prop_map(|(f, e)| format!("{f}({e})")),
            (
                prop_oneof![
                    Just("sum"),
                    Just("avg"),
                    Just("max"),
                    Just("min"),
                    Just("count"),
                    Just("stddev"),
                    Just("group")
                ],
                by,
                inner.clone()
            )
                .prop_map(|(a, by, e)| format!("{a}{by} ({e})")),
            (inner.clone(), prop_oneof![Just("+"), Just("*"), Just("/"), Just(">"), Just("<= bool")], 0u8..100)
                .prop_map(|(e, op, n)| format!("({e}) {op} {n}")),
            (inner.clone(), prop_oneof![Just("+"), Just("/"), Just("and"), Just("or"), Just("unless")], inner.clone())
                .prop_map(|(a, op, b)| format!("sum by (job) ({a}) {op} on (job) sum by (job) ({b})")),
            (prop_oneof![Just("max_over_time"), Just("avg_over_time"), Just("count_over_time")], inner, window.clone())
                .prop_map(|(f, e, w)| format!("{f}(({e})[{w}:30s])")),
        ]
    })
}
