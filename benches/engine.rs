//! Query evaluation in the embedded engine: the overview's queries (the ones the console sends for each
//! service) over 2 hours of 1 000 series scraped every 15 s.
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use watchpost::config::Service;
use watchpost::engine::{Engine, Labels, Store};
use watchpost::slo::Targets;
use watchpost::sources::prometheus::figures::instant_queries;

const SERVICES: usize = 70; // × (2 request counters + 12 buckets) = 980 series
const BUCKETS: [&str; 12] = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
const END: i64 = 1_800_000_000_000;
const POINTS: i64 = 2 * 3600 / 15;

fn store() -> Store {
    let mut s = Store::default();
    let mut add = |name: &str, job: &str, extra: (&str, &str), per_step: f64| {
        let l: Labels = [("__name__", name), ("job", job), ("instance", "10.0.0.1:9090"), extra]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for i in 0..POINTS {
            s.append(l.clone(), END - (POINTS - i) * 15_000, per_step * i as f64);
        }
    };
    for j in 0..SERVICES {
        let job = format!("svc-{j:02}");
        add("http_requests_total", &job, ("code", "200"), 150.0);
        add("http_requests_total", &job, ("code", "500"), 0.2);
        for (b, le) in BUCKETS.iter().enumerate() {
            add("http_request_duration_seconds_bucket", &job, ("le", le), 10.0 * (b + 1) as f64);
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let engine = Engine::new(store());
    assert_eq!(engine.store.len(), SERVICES * 14);
    let svc = Service::conventional("svc-07", Targets::default());
    let queries = instant_queries(&svc);
    for (name, q) in ["rate", "error ratio", "p95"].iter().zip(&queries[1..4]) {
        c.bench_function(&format!("engine: {name} of one service, 1k series"), |b| {
            b.iter(|| engine.instant(black_box(q), END).unwrap())
        });
    }
    c.bench_function("engine: every overview query of one service", |b| {
        b.iter(|| queries.iter().map(|q| engine.instant(q, END).unwrap()).collect::<Vec<_>>())
    });
    c.bench_function("engine: sum by (job) rate over 1k series, range 1h at 60s", |b| {
        b.iter(|| engine.range("sum by (job) (rate(http_requests_total[5m]))", END - 3_600_000, END, 60_000).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
