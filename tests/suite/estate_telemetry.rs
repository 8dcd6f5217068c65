//! The estate's logs and traces agree with its metrics on a fixed seed: during a fault, the share of
//! error lines matches the error ratio its counters show, slow requests show as slow spans, a down
//! service logs nothing while its callers log refused connections, and every error line's trace id
//! opens a trace whose failing span is in the faulted service. Then the same through the console's own
//! Loki, Jaeger and Tempo clients against the demo's APIs (tail included).
use std::time::Duration;
use watchpost::estate::fault::{Fault, FaultKind};
use watchpost::estate::telemetry::{self, Cause, each_request, log_line};
use watchpost::estate::topology::index_of;
use watchpost::estate::{Model, Simulator};
use watchpost::logs::Level;

const SEED: u64 = 42;
const T0: f64 = 1_800_000_000.0;
const WINDOW: f64 = 900.0;

struct Seen {
    requests: usize,
    errors: usize,
    error_ids: Vec<String>,
    durations: Vec<f64>,
}

fn sample(m: &Model, service: usize, from: f64, to: f64) -> Seen {
    let mut s = Seen { requests: 0, errors: 0, error_ids: Vec::new(), durations: Vec::new() };
    each_request(m, &[service], from, to, false, |r| {
        s.requests += 1;
        s.durations.push(r.duration);
        let (level, line) = log_line(m, &r);
        if r.error.is_some() {
            assert_eq!(level, Level::Error, "{line}");
            s.errors += 1;
            s.error_ids.push(watchpost::logs::model::find_trace_id(&line).expect("error lines carry the trace id"));
        }
        true
    });
    s
}

/// The error ratio the metrics show over a window: the simulator's counters, as `rate()` would.
fn metric_error_ratio(m: &Model, service: usize, from: f64, to: f64) -> f64 {
    let mut sim = Simulator::new(SEED, from - 1.0);
    sim.model = m.clone();
    sim.advance_to(from);
    let a = sim.counters[service];
    sim.advance_to(to);
    let b = sim.counters[service];
    (b.requests_err - a.requests_err) / (b.requests() - a.requests())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn errors_in_logs_and_traces_match_the_metrics() {
    let checkout = index_of("checkout").unwrap();
    let mut m = Model::new(SEED);
    let quiet = sample(&m, checkout, T0, T0 + WINDOW);
    assert!(quiet.errors * 100 <= quiet.requests, "quiet: {} errors of {}", quiet.errors, quiet.requests);

    let kind = FaultKind::BadDeploy { version: "5.3.0".into(), error_ratio: 0.2 };
    m.faults.push(Fault { service: checkout, kind, from: T0, until: T0 + WINDOW });
    let seen = sample(&m, checkout, T0 + 60.0, T0 + WINDOW);
    let logged = seen.errors as f64 / seen.requests as f64;
    let metric = metric_error_ratio(&m, checkout, T0 + 60.0, T0 + WINDOW);
    // Binomial spread of ~840 samples at 20 %: σ ≈ 1.4 points; allow 4σ.
    assert!((logged - metric).abs() < 0.055, "logged error share {logged:.3} vs metric {metric:.3}");
    for id in &seen.error_ids {
        let t = telemetry::trace(&m, id).expect("an error line's trace exists");
        assert!(t.spans[0].error, "root span failed");
        assert_eq!(t.spans[0].service.as_str(), "checkout");
        let v = t.spans[0].attributes.iter().find(|(k, _)| k.as_str() == "service.version").unwrap();
        assert!(v.1.as_str() == "5.3.0" || t.spans.iter().skip(1).any(|s| s.error), "the bad version or a failed call");
    }
}

#[test]
fn latency_shows_as_slow_spans_and_a_down_service_as_refused_calls() {
    let payments = index_of("payments").unwrap();
    let mut m = Model::new(SEED);
    let before = median(sample(&m, payments, T0, T0 + 600.0).durations);
    m.faults.push(Fault { service: payments, kind: FaultKind::Latency { factor: 8.0 }, from: T0, until: T0 + WINDOW });
    let slow = sample(&m, payments, T0 + 60.0, T0 + 660.0);
    let after = median(slow.durations.clone());
    let model_median = m.moment(payments, T0 + 300.0).latency;
    assert!(after > before * 5.0, "median {before:.3}s → {after:.3}s");
    assert!((after / model_median - 1.0).abs() < 0.25, "median {after:.3}s vs model {model_median:.3}s");
    // The callers' traces carry the slow payments spans.
    let checkout = index_of("checkout").unwrap();
    let mut slow_child = 0;
    each_request(&m, &[checkout], T0 + 60.0, T0 + 300.0, false, |r| {
        let t = telemetry::trace(&m, &telemetry::trace_id(SEED, r.service, r.second, r.k)).unwrap();
        let p = t.spans.iter().find(|s| s.service.as_str() == "payments").unwrap();
        if p.duration_us > 150_000 {
            slow_child += 1;
        }
        true
    });
    assert!(slow_child > 100, "slow payments spans inside checkout traces: {slow_child}");

    let search = index_of("search").unwrap();
    let gateway = index_of("gateway").unwrap();
    let mut m = Model::new(SEED);
    m.faults.push(Fault { service: search, kind: FaultKind::Down, from: T0, until: T0 + WINDOW });
    assert_eq!(sample(&m, search, T0 + 10.0, T0 + 300.0).requests, 0, "a down service logs nothing");
    let g = sample(&m, gateway, T0 + 10.0, T0 + 300.0);
    assert!(g.errors > 0);
    let mut refused = 0;
    each_request(&m, &[gateway], T0 + 10.0, T0 + 300.0, false, |r| {
        if r.error == Some(Cause::Dependency(search)) {
            let (_, line) = log_line(&m, &r);
            assert!(line.contains("call to search failed: connect: connection refused"), "{line}");
            let t = telemetry::trace(&m, &telemetry::trace_id(SEED, r.service, r.second, r.k)).unwrap();
            assert!(t.spans.iter().any(|s| s.service.as_str() == "search" && s.error));
            refused += 1;
        }
        true
    });
    let metric = metric_error_ratio(&m, gateway, T0 + 10.0, T0 + 300.0);
    let logged = g.errors as f64 / g.requests as f64;
    assert!(refused > 0 && (logged - metric).abs() < 0.06, "gateway logged {logged:.3} vs metric {metric:.3}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_its_logs_and_traces_to_the_console_clients() {
    use watchpost::config::{Config, LogSource, TraceBackend, TraceConfig};
    use watchpost::sources::logs::loki::Loki;
    use watchpost::sources::logs::{LogUpdate, tail};
    use watchpost::sources::traces::{Query, TraceStore};
    let demo = watchpost::embedded::demo::start(SEED).await.unwrap();
    let cfg = Config::demo(&demo.api, SEED);
    let Some(LogSource::Loki { source, .. }) = &cfg.logs else { panic!("the demo has Loki") };
    let loki = Loki::new(source).unwrap();
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let lines = loki.query_range("{service=\"checkout\"}", now - 300_000_000_000, now, 100).await.unwrap();
    assert_eq!(lines.len(), 100);
    assert!(lines.iter().all(|l| l.service.as_str() == "checkout" && l.trace_id.is_some()));
    assert!(loki.label_values("service").await.unwrap().contains(&"payments".to_string()));

    // The tail: lines arrive every second.
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let task = tokio::spawn(tail::run(loki.clone(), 1, "{service=\"gateway\"}".into(), now, tx));
    let got = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Some(LogUpdate::Lines { entries, .. }) = rx.recv().await {
                break entries.len();
            }
        }
    })
    .await
    .expect("tail lines within 15 s");
    assert!(got > 0);
    task.abort();

    // Jaeger: a trace by the id in a log line, with the log line's service at its root.
    let traces = cfg.traces.clone().unwrap();
    assert_eq!(traces.backend, TraceBackend::Jaeger);
    let jaeger = TraceStore::new(&traces).unwrap();
    let id = lines[0].trace_id.clone().unwrap();
    let t = jaeger.get(&id).await.unwrap();
    assert_eq!(t.spans[0].service.as_str(), "checkout");
    let q = Query {
        service: Some("gateway".into()),
        from_us: now / 1000 - 300_000_000,
        to_us: now / 1000,
        limit: 5,
        ..Query::default()
    };
    let found = jaeger.search(&q).await.unwrap();
    assert_eq!(found.len(), 5);
    assert!(found.windows(2).all(|w| w[0].duration_us >= w[1].duration_us || w[0].errors > 0));

    // Tempo, under /tempo: the same trace in OTLP JSON.
    let mut src = traces.source.clone();
    src.url = demo.api.join("tempo/").unwrap();
    let tempo = TraceStore::new(&TraceConfig { backend: TraceBackend::Tempo, source: src }).unwrap();
    let t2 = tempo.get(&id).await.unwrap();
    assert_eq!(t2.spans.len(), t.spans.len());
    assert_eq!(t2.summary(), t.summary(), "same root, duration, spans and errors");
    assert_eq!(tempo.search(&q).await.unwrap().len(), 5);
    assert_eq!(tempo.services().await.unwrap().len(), 8);
    assert_eq!(jaeger.services().await.unwrap(), tempo.services().await.unwrap());
}
