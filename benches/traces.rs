//! The waterfall: layout (tree, critical path, rows) of a 10 000-span trace, and drawing it.
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use watchpost::text::Clean;
use watchpost::traces::waterfall::Waterfall;
use watchpost::traces::{Span, Trace};

/// A wide, moderately deep trace: each span has up to four children.
fn trace(n: usize) -> Trace {
    let spans = (0..n)
        .map(|i| Span {
            span_id: format!("{i:016x}"),
            parent: (i > 0).then(|| format!("{:016x}", (i - 1) / 4)),
            service: Clean::new(&format!("svc-{}", i % 17)),
            operation: Clean::new(&format!("op {}", i % 31)),
            start_us: 1_800_000_000_000_000 + i as i64 * 37,
            duration_us: 5_000_000 - i as i64 * 400,
            error: i % 101 == 0,
            attributes: vec![(Clean::new("k"), Clean::new("v"))],
            events: Vec::new(),
        })
        .collect();
    Trace { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(), spans, warnings: Vec::new() }
}

fn bench(c: &mut Criterion) {
    let t = trace(10_000);
    c.bench_function("waterfall layout, 10 000 spans", |b| b.iter(|| Waterfall::new(t.clone())));
    let cfg = {
        let mut c = watchpost::config::Config::from_env(None).unwrap();
        c.traces = Some(watchpost::config::TraceConfig {
            backend: watchpost::config::TraceBackend::Jaeger,
            source: watchpost::config::HttpSource::new(url::Url::parse("http://jaeger:16686").unwrap()),
        });
        c
    };
    let mut app = watchpost::app::App::new(&cfg, chrono::Utc::now());
    app.open_trace(&t.trace_id);
    app.on_trace_update(watchpost::sources::traces::TraceUpdate::Trace {
        trace_id: t.trace_id.clone(),
        result: Ok(Box::new(Waterfall::new(t))),
    });
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    c.bench_function("waterfall frame, 10 000 spans, 120x40", |b| {
        b.iter(|| {
            term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
