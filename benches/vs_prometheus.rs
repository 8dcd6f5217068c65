//! The overview's queries (and a subquery and a forecast) over 2 hours of 1 000 series, timed in the embedded engine and in a real
//! Prometheus holding the same samples (backfilled with Debian's promtool, as the differential test
//! does), on the same machine. Both are also timed over HTTP, where the comparison is like for like
//! (Prometheus cannot be asked in-process); the ratio printed at the end is engine ÷ Prometheus, both
//! over HTTP. Without `prometheus`/`promtool` installed (`scripts/test.sh` installs them) only the
//! engine is timed.
mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;
use std::time::{Duration, Instant};
use watchpost::config::Service;
use watchpost::embedded::Shared;
use watchpost::engine::Engine;
use watchpost::slo::Targets;
use watchpost::sources::prometheus::figures::instant_queries;

fn installed(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

async fn get(client: &reqwest::Client, base: &str, q: &str, t: f64) -> usize {
    let url = format!("{base}/api/v1/query");
    let body = client.get(&url).query(&[("query", q), ("time", &format!("{t:.3}"))]).send().await.unwrap();
    let text = body.text().await.unwrap();
    assert!(text.contains("\"success\""), "{q}: {text}");
    text.len()
}

/// Median of `n` timings of `f`.
fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[n / 2]
}

fn bench(c: &mut Criterion) {
    let now = chrono::Utc::now().timestamp_millis();
    let end = (now - 600_000) / 15_000 * 15_000;
    let t = end as f64 / 1000.0;
    let engine = Engine::new(common::store(end));
    let svc = Service::conventional("svc-07", Targets::default());
    let names = ["up", "rate", "error ratio", "p95", "saturation"];
    let mut queries: Vec<(String, String)> =
        names.iter().zip(instant_queries(&svc)).skip(1).take(3).map(|(n, q)| (n.to_string(), q)).collect();
    // A subquery (30 evaluations of a rate) and a forecast over half an hour of one series.
    queries
        .push(("subquery".into(), "max_over_time(sum(rate(http_requests_total{job=\"svc-07\"}[5m]))[30m:1m])".into()));
    queries.push((
        "predict_linear".into(),
        "predict_linear(http_requests_total{job=\"svc-07\",code=\"200\"}[30m], 3600)".into(),
    ));

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let client = reqwest::Client::new();
    let shared = Arc::new(Shared::default());
    *shared.engine.write().unwrap() = engine.clone();
    let api = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let router = watchpost::embedded::api::router(shared.clone());
        tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
        url
    });
    let prom = (installed("prometheus") && installed("promtool")).then(|| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data.om");
        std::fs::write(&file, common::openmetrics(end)).unwrap();
        support::backfill(&file, &dir.path().join("data"));
        let p = support::Prometheus::in_dir(dir, "scrape_configs: []\n");
        p.wait_for(&format!("count(http_requests_total @ {t:.3}) == {}", common::SERVICES * 2));
        p
    });

    let mut rows = Vec::new();
    for (name, q) in &queries {
        let mut g = c.benchmark_group(name.as_str());
        g.bench_function("engine in process", |b| b.iter(|| engine.instant(q, end).unwrap()));
        g.bench_function("engine over HTTP", |b| b.iter(|| rt.block_on(get(&client, &api, q, t))));
        if let Some(p) = &prom {
            let url = p.url();
            g.bench_function("prometheus over HTTP", |b| b.iter(|| rt.block_on(get(&client, &url, q, t))));
        }
        g.finish();
        let e = median(200, || {
            let _ = engine.instant(q, end).unwrap();
        });
        let eh = median(200, || {
            let _ = rt.block_on(get(&client, &api, q, t));
        });
        let ph = prom.as_ref().map(|p| {
            median(200, || {
                let _ = rt.block_on(get(&client, &p.url(), q, t));
            })
        });
        rows.push((name.clone(), e, eh, ph));
    }
    println!("\nquery          engine   engine/HTTP   prometheus/HTTP   ratio (HTTP)");
    for (name, e, eh, ph) in rows {
        let (p, ratio) = match ph {
            Some(p) => (format!("{p:>10.1?}"), format!("{:.2}", eh.as_secs_f64() / p.as_secs_f64())),
            None => ("   (not installed)".into(), "—".into()),
        };
        println!("{name:<12} {e:>9.1?}   {eh:>10.1?}   {p:>15}   {ratio:>6}");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
