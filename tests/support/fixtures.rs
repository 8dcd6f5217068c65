//! A fixed estate for drawing tests: no network, a fixed clock.
use chrono::{DateTime, Duration as CDuration, Utc};
use std::time::Duration;
use watchpost::app::App;
use watchpost::config::{Config, Service};
use watchpost::slo::Targets;
use watchpost::sources::prometheus::{DetailCharts, Series, ServiceFigures, Sparks, Target, Update};
use watchpost::sources::{SourceHealth, SourceState};

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-14T03:00:00Z").unwrap().with_timezone(&Utc)
}

fn wave(n: usize, base: f64, amp: f64, at: DateTime<Utc>) -> Vec<(f64, f64)> {
    let end = at.timestamp() as f64;
    (0..n).map(|i| (end - 60.0 * (n - 1 - i) as f64, base + amp * ((i as f64) / 1.3).sin())).collect()
}

pub struct Shape {
    pub name: &'static str,
    pub up: (u32, u32),
    pub rate: f64,
    pub err: f64,
    pub p95: f64,
    pub avail: f64,
}

pub const SHAPES: &[Shape] = &[
    Shape { name: "gateway", up: (3, 3), rate: 412.0, err: 0.0004, p95: 0.084, avail: 0.99971 },
    Shape { name: "checkout", up: (2, 2), rate: 38.2, err: 0.0009, p95: 0.178, avail: 0.99920 },
    Shape { name: "payments", up: (1, 2), rate: 12.4, err: 0.021, p95: 0.412, avail: 0.99710 },
    Shape { name: "search", up: (4, 4), rate: 96.0, err: 0.0, p95: 0.121, avail: 0.99995 },
    Shape { name: "auth", up: (0, 2), rate: 0.0, err: f64::NAN, p95: f64::NAN, avail: f64::NAN },
];

pub fn config(n: usize) -> Config {
    let mut c = Config::from_env(Some("http://prometheus.example:9090")).unwrap();
    c.estate = "prod-eu-1".into();
    c.discover = false;
    c.services = (0..n)
        .map(|i| {
            let name = if i < SHAPES.len() { SHAPES[i].name.to_string() } else { format!("svc-{i:02}") };
            Service::conventional(&name, Targets::default())
        })
        .collect();
    c
}

/// `c` with a Loki that nothing answers: the tests feed the log screen's updates by hand.
pub fn with_loki(mut c: Config) -> Config {
    let mut loki = watchpost::config::HttpSource::new(url::Url::parse("http://loki.example:3100").unwrap());
    loki.name = "loki".into();
    c.logs = Some(watchpost::config::LogSource::Loki { source: loki, query: "{service=\"$service\"}".into() });
    c
}

fn opt(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// An app with `n` services, all fresh at t0.
pub fn app(n: usize) -> App {
    let cfg = config(n);
    let mut app = App::new(&cfg, t0());
    let at = t0() - CDuration::seconds(2);
    app.on_update(Update::Health(SourceHealth {
        state: SourceState::Ok,
        last_ok: Some(at),
        latency: Some(Duration::from_millis(23)),
        ..SourceHealth::new("prometheus")
    }));
    for i in 0..n {
        let s = &SHAPES[i % SHAPES.len()];
        let burn = |k: f64| opt(s.err * k);
        let figures = ServiceFigures {
            at,
            up: Some(s.up),
            rate: opt(s.rate).filter(|r| *r > 0.0),
            error_ratio: opt(s.err),
            p95: opt(s.p95),
            saturation: Some(0.3),
            window_ratios: [burn(1.2), burn(1.1), burn(1.0), burn(0.8)],
            problems: Vec::new(),
            partial: Vec::new(),
        };
        let name = app.services[i].service.name.clone();
        app.on_update(Update::Figures { service: name.clone(), figures });
        let sparks = Sparks {
            at: t0() - CDuration::seconds(20),
            availability: opt(s.avail),
            excluded: None,
            up: wave(60, s.up.0 as f64, 0.0, at),
            rate: wave(60, s.rate, s.rate / 4.0, at),
            error_ratio: wave(60, s.err.max(0.0), s.err / 2.0, at),
            p95: wave(60, s.p95, 0.02, at),
        };
        app.on_update(Update::Sparks { service: name, sparks });
    }
    app.now = t0();
    app.take_dirty();
    app
}

fn series(points: Vec<(f64, f64)>) -> Vec<Series> {
    vec![Series { labels: vec![], points }]
}

/// The app showing the detail of service `i`, with charts and targets loaded.
pub fn detail(mut app: App, i: usize) -> App {
    let at = t0() - CDuration::seconds(1);
    app.selected = i;
    app.act(watchpost::app::keymap::Action::Open);
    let s = &SHAPES[i % SHAPES.len()];
    let target = |n: u32, up: bool| Target {
        job: s.name.into(),
        instance: format!("{}-{n}.prod:8080", s.name).as_str().into(),
        scrape_url: format!("http://{}-{n}.prod:8080/metrics", s.name).as_str().into(),
        health: if up { "up" } else { "down" }.into(),
        last_error: if up { "" } else { "Get \"http://payments-1.prod:8080/metrics\": context deadline exceeded" }
            .into(),
        last_scrape: Some(at - CDuration::seconds(7)),
        last_scrape_duration: 0.012,
    };
    let charts = DetailCharts {
        at,
        range: Duration::from_secs(3600),
        rate: series(wave(120, s.rate, s.rate / 3.0, at)),
        error_ratio: series(wave(120, s.err.max(0.0), s.err / 2.0, at)),
        p95: series(wave(120, s.p95, 0.05, at)),
        saturation: series(wave(120, 0.4, 0.2, at)),
        problems: vec![],
    };
    let targets = (0..s.up.1).map(|n| target(n, n < s.up.0)).collect();
    let name = app.services[i].service.name.clone();
    app.on_update(Update::Detail { service: name, charts: Ok(charts), targets: Ok(targets) });
    app.take_commands();
    app.take_dirty();
    app
}

/// An Alertmanager alert with these labels and summary, firing since `starts_at`, as of [`t0`].
pub fn alert(labels: &[(&str, &str)], summary: &str, starts_at: DateTime<Utc>) -> watchpost::alerts::model::Alert {
    use watchpost::alerts::model::{Alert, AlertState, display_pairs, fingerprint};
    let raw: watchpost::engine::Labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let ann: watchpost::engine::Labels = [("summary".to_string(), summary.to_string())].into();
    Alert {
        fingerprint: fingerprint(&raw),
        source: "alertmanager am-1".into(),
        labels: display_pairs(&raw),
        annotations: display_pairs(&ann),
        raw_labels: raw,
        state: AlertState::Active,
        silenced_by: vec![],
        inhibited_by: vec![],
        starts_at,
        ends_at: None,
        updated_at: Some(t0()),
        generator_url: "".into(),
    }
}
