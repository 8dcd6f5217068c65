//! Query evaluation in the embedded engine: the overview's queries (the ones the console sends for each
//! service) over 2 hours of 1 000 series scraped every 15 s.
mod common;

use common::{SERVICES, store};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use watchpost::config::Service;
use watchpost::engine::Engine;
use watchpost::slo::Targets;
use watchpost::sources::prometheus::figures::instant_queries;

const END: i64 = 1_800_000_000_000;

fn bench(c: &mut Criterion) {
    let engine = Engine::new(store(END));
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
