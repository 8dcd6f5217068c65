//! The demo as the console sees it: the estate, 30 days of its history and an embedded Prometheus,
//! reached through the console's own Prometheus client and poller — no servers installed.
use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;
use tokio::sync::mpsc;
use watchpost::app::App;
use watchpost::config::Config;
use watchpost::sources::SourceState;
use watchpost::sources::prometheus::Prometheus;
use watchpost::sources::prometheus::poller::Poller;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_estate_fills_the_console() {
    let demo = watchpost::embedded::demo::start(7).await.expect("demo starts");
    let cfg = Config::demo(&demo.api, 7);
    let prom = Prometheus::new(cfg.prometheus.as_ref().unwrap()).unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let (_cmd_tx, cmd_rx) = mpsc::channel(16);
    let poller =
        Poller::new(prom.clone(), cfg.services.clone(), false, cfg.slo_defaults.clone(), Duration::from_secs(1), tx);
    tokio::spawn(poller.run(cmd_rx));
    let mut app = App::new(&cfg, Utc::now());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let ready = |a: &App| {
        a.source.state == SourceState::Ok
            && a.services.iter().all(|s| {
                s.figures.as_ref().is_some_and(|f| f.rate.is_some() && f.p95.is_some() && f.up == Some((1, 1)))
                    && s.availability().is_some()
            })
    };
    while !ready(&app) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => app.on_update(u),
            _ => panic!(
                "the demo never filled the console: {:?}",
                app.services.iter().map(|s| (&s.service.name, &s.figures)).collect::<Vec<_>>()
            ),
        }
    }
    // A real 30-day window at once, healthy at rest.
    for s in &app.services {
        let a = s.availability().unwrap();
        assert!(a > 0.999 && a < 1.0, "{}: availability {a}", s.service.name);
        let f = s.figures.as_ref().unwrap();
        assert!(f.error_ratio.unwrap() < 0.001 && f.p95.unwrap() < 0.2, "{}: {f:?}", s.service.name);
    }
    // The targets endpoint answers as Prometheus's does.
    let targets = prom.targets().await.unwrap();
    assert_eq!(targets.len(), 8);
    assert!(targets.iter().all(|t| t.health.as_str() == "up"), "{targets:?}");

    // The estate's rules run: 30 days of recorded SLO history (one sample per 10 minutes) behind the
    // availability above, and every rule healthy.
    let recorded =
        prom.query("count_over_time(job:slo_requests:increase10m{job=\"gateway\"}[30d])", Utc::now()).await.unwrap();
    let n = recorded.result.single().unwrap_or(0.0);
    assert!(n > 4_300.0, "recorded SLO samples over 30 days: {n}");
    let rules: serde_json::Value =
        reqwest::get(demo.api.join("api/v1/rules").unwrap()).await.unwrap().json().await.unwrap();
    let groups = rules["data"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3, "{rules}");
    for r in groups.iter().flat_map(|g| g["rules"].as_array().unwrap()) {
        assert_eq!(r["health"], "ok", "{r}");
    }
    let alerts: serde_json::Value =
        reqwest::get(demo.api.join("api/v1/alerts").unwrap()).await.unwrap().json().await.unwrap();
    assert_eq!(alerts["data"]["alerts"].as_array().map(Vec::len), Some(0), "quiet at rest: {alerts}");

    // A query longer than the client sends in a URL goes as a form POST, as it does to Prometheus: the
    // embedded API answers it the same (the `[scrape]` fallback meets a thousand services' matchers).
    let many: Vec<String> = (0..1000).map(|i| format!("svc-{i:04}")).collect();
    let long = format!("count(up{{job=~\"gateway|{}\"}})", many.join("|"));
    assert!(long.len() > 6 * 1024);
    let at = Utc::now();
    let posted = prom.query(&long, at).await.expect("a long instant query is answered");
    assert_eq!(posted.result.single(), Some(1.0), "{posted:?}");
    let range = prom.query_range(&long, at - chrono::Duration::minutes(5), at, Duration::from_secs(60)).await;
    assert!(!range.expect("a long range query is answered").result.series().is_empty());

    app.on_tick(Utc::now());
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let screen = term.backend().to_string();
    assert!(screen.contains("DEMO") && screen.contains("gateway") && screen.contains("cache"), "{screen}");
    assert!(!screen.contains("stale"), "{screen}");
}
