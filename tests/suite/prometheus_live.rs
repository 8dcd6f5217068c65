//! Against a real Prometheus scraping a real node_exporter and a test exporter of known figures: what the
//! console shows equals what Prometheus's own API returns for the same queries at the same time; killing
//! Prometheus marks the figures stale (kept, with their age and the reason), and it recovers by itself.
use crate::support;

use chrono::{Duration as CDuration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;
use support::{NodeExporter, Prometheus, exporter, get_json};
use tokio::sync::mpsc;
use watchpost::app::App;
use watchpost::config::{Config, HttpSource, Service};
use watchpost::slo::Targets;
use watchpost::sources::SourceState;
use watchpost::sources::prometheus::figures::{instant_queries, poll_estate, poll_figures};
use watchpost::sources::prometheus::poller::Poller;
use watchpost::sources::prometheus::{Command, Prometheus as Client, Update};
use watchpost::ui::format;

fn config(url: &str) -> Config {
    let mut c = Config::from_env(Some(url)).expect("config");
    c.discover = false;
    c.refresh = Duration::from_secs(1);
    // A 10 s rate window: the test's data is seconds old, and rate() over 5m would divide by 5 minutes.
    let svc = |job| Service { rate_window: Duration::from_secs(10), ..Service::conventional(job, Targets::default()) };
    c.services = vec![svc("shop"), svc("node")];
    c
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| watchpost::ui::draw(app, f)).expect("draw");
    term.backend().to_string()
}

/// Prometheus's own answer for `expr` at `at`, straight from its API.
fn direct(url: &str, expr: &str, at: f64) -> Option<f64> {
    let v = get_json(&format!("{url}/api/v1/query"), &[("query", expr), ("time", &format!("{at:.3}"))])?;
    let r = v["data"]["result"].as_array()?.first()?.clone();
    r["value"][1].as_str()?.parse::<f64>().ok().filter(|x| x.is_finite())
}

async fn next_matching(rx: &mut mpsc::Receiver<Update>, app: &mut App, secs: u64, want: impl Fn(&App) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !want(app) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => app.on_update(u),
            _ => panic!("condition not reached within {secs}s; source is {:?}", app.source),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_matches_prometheus_and_survives_its_death() {
    let shop = exporter::start();
    let node = NodeExporter::start();
    let mut prom = Prometheus::start(shop, node.port);
    prom.wait_for("sum(rate(http_requests_total{job=\"shop\"}[5m])) > 0");
    prom.wait_for("up{job=\"node\"} == 0");
    // The rate window (10 s) must be full of samples at `at` below, two seconds in the past.
    prom.wait_for("count_over_time(up{job=\"shop\"}[16s]) >= 14");
    let url = prom.url();
    let cfg = config(&url);
    let client = Client::new(&HttpSource::new(url.parse().unwrap())).unwrap();

    // 1. The same queries at the same evaluation time give the same numbers, figure by figure.
    let at = Utc::now() - CDuration::seconds(2);
    let at_s = at.timestamp_millis() as f64 / 1000.0;
    let shop_svc = &cfg.services[0];
    let figs = poll_figures(&client, shop_svc, at).await.expect("figures");
    let qs = instant_queries(shop_svc);
    assert_eq!(figs.rate, direct(&url, &qs[1], at_s), "request rate");
    assert_eq!(figs.error_ratio, direct(&url, &qs[2], at_s), "error ratio");
    assert_eq!(figs.p95, direct(&url, &qs[3], at_s), "p95");
    assert_eq!(figs.saturation, direct(&url, &qs[4], at_s), "saturation");
    assert_eq!(figs.up, Some((1, 1)));
    // ... and they are the exporter's known figures.
    let rate = figs.rate.unwrap();
    assert!((rate - exporter::RATE).abs() < 0.5, "rate {rate}");
    assert!((figs.error_ratio.unwrap() - exporter::ERROR_RATIO).abs() < 1e-6, "{:?}", figs.error_ratio);
    assert!((figs.p95.unwrap() - exporter::P95).abs() < 1e-6, "{:?}", figs.p95);
    let node_figs = poll_figures(&client, &cfg.services[1], at).await.expect("node figures");
    assert_eq!(node_figs.up, Some((1, 2)), "node_exporter up, the dead target down");
    assert_eq!(node_figs.rate, None, "node_exporter serves no http_requests_total");
    // The estate's round asks all services' figures in one combined query: split on arrival, each
    // service's are the ones its own queries give.
    let estate = poll_estate(&client, &cfg.services, at).await.expect("estate figures");
    assert_eq!(estate, vec![figs.clone(), node_figs.clone()]);
    assert!(client.combines(), "the real Prometheus took the combined query");

    // 2. The screen shows exactly those numbers.
    let mut app = App::new(&cfg, Utc::now());
    app.on_update(Update::Figures { service: "shop".into(), figures: figs.clone() });
    app.on_update(Update::Figures { service: "node".into(), figures: node_figs });
    let s = screen(&app, 120, 40);
    for want in [
        format::rate(figs.rate),
        format::percent(figs.error_ratio),
        format::latency(figs.p95),
        "1/1".into(),
        "1/2".into(),
    ] {
        assert!(s.contains(&want), "screen lacks {want}:\n{s}");
    }
    assert!(s.contains("10.0/s") && s.contains("1.00%"), "{s}");

    // 3. The real poller: health goes ok, figures and the detail's targets arrive.
    let (tx, mut rx) = mpsc::channel(256);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let poller = Poller::new(client.clone(), cfg.services.clone(), false, Targets::default(), cfg.refresh, tx);
    tokio::spawn(poller.run(cmd_rx));
    let mut app = App::new(&cfg, Utc::now());
    next_matching(&mut rx, &mut app, 20, |a| {
        a.source.state == SourceState::Ok && a.services.iter().all(|s| s.figures.is_some())
    })
    .await;
    cmd_tx.send(Command::Detail { service: "node".into(), range: Duration::from_secs(900) }).await.unwrap();
    next_matching(&mut rx, &mut app, 20, |a| !a.services[1].detail.targets.is_empty()).await;
    let targets = &app.services[1].detail.targets;
    assert_eq!(targets.len(), 2);
    assert!(targets.iter().any(|t| t.health.as_str() == "down" && !t.last_error.as_str().is_empty()));
    app.selected = 1;
    app.act(watchpost::app::keymap::Action::Open);
    let s = screen(&app, 120, 40);
    assert!(s.contains(&format!("127.0.0.1:{}", node.port)) && s.contains("down"), "{s}");

    // 4. Prometheus dies: the last good values stay, marked stale, with why and since when.
    let before = app.services[0].figures.clone().unwrap();
    prom.kill();
    next_matching(&mut rx, &mut app, 30, |a| a.source.is_down()).await;
    assert!(app.source.failing_since.is_some());
    assert!(app.source.last_error.as_ref().is_some_and(|e| e.as_str().contains("connect")), "{:?}", app.source);
    app.screen = watchpost::app::Screen::Overview;
    app.on_tick(Utc::now() + CDuration::seconds(20));
    let s = screen(&app, 120, 40);
    assert!(s.contains("Prometheus failing") || s.contains("Prometheus circuit open"), "{s}");
    assert!(s.contains("stale"), "{s}");
    assert!(s.contains(&format::rate(before.rate)), "last good value kept:\n{s}");
    // The circuit opens after repeated failures.
    next_matching(&mut rx, &mut app, 30, |a| a.source.state == SourceState::CircuitOpen).await;

    // 5. Prometheus returns: the console recovers by itself.
    prom.restart();
    next_matching(&mut rx, &mut app, 90, |a| {
        a.source.state == SourceState::Ok && a.services[0].figures.as_ref().is_some_and(|f| f.at > before.at)
    })
    .await;
    app.on_tick(Utc::now());
    let s = screen(&app, 120, 40);
    assert!(!s.contains("stale") && !s.contains("failing"), "{s}");
}

/// A job whose name holds U+202E, discovered from a real Prometheus: the console asks for it by its raw
/// name (not the escape it draws), so its row shows the target's real health; the name is drawn escaped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_named_with_a_bidi_control_shows_its_real_health() {
    let shop = exporter::start();
    let prom = Prometheus::with_scrape_configs(&format!(
        "scrape_configs:\n  - job_name: \"pay\\u202Eevil\"\n    static_configs: [{{targets: ['127.0.0.1:{shop}']}}]\n"
    ));
    prom.wait_for("count_over_time(up[5s]) >= 2");
    let mut cfg = config(&prom.url());
    cfg.discover = true;
    cfg.services.clear();
    let client = Client::new(&HttpSource::new(prom.url().parse().unwrap())).unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let (_cmd_tx, cmd_rx) = mpsc::channel(16);
    tokio::spawn(Poller::new(client, vec![], true, Targets::default(), cfg.refresh, tx).run(cmd_rx));
    let mut app = App::new(&cfg, Utc::now());
    next_matching(&mut rx, &mut app, 30, |a| a.services.len() == 1 && a.services[0].figures.is_some()).await;
    assert_eq!(app.services[0].service.job, "pay\u{202e}evil", "the raw name");
    assert_eq!(app.services[0].figures.as_ref().unwrap().up, Some((1, 1)), "its real health, not 0/0");
    let s = screen(&app, 120, 40);
    assert!(s.contains("pay\\u{202e}evil") && s.contains("1/1") && !s.contains('\u{202e}'), "{s}");
}

/// A real Prometheus behind a proxy that marks every answer partial, as Prometheus does when a remote
/// store did not answer (its `warnings`): the figures are still drawn, each marked `~`, the overview's
/// title says how many services, and the SLO panel gives the server's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_from_a_partial_answer_are_marked() {
    use axum::extract::{Request, State};
    let shop = exporter::start();
    let node = NodeExporter::start();
    let prom = Prometheus::start(shop, node.port);
    prom.wait_for("count_over_time(up{job=\"shop\"}[16s]) >= 14");
    const WARNING: &str = "remote store eu-2 did not answer: partial data";
    async fn partial(State(upstream): State<String>, req: Request) -> axum::response::Response {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let url = format!("{upstream}{}", parts.uri.path_and_query().map_or("", |p| p.as_str()));
        let client = reqwest::Client::new();
        let req = match parts.method.as_str() {
            "POST" => client.post(url).header("content-type", "application/x-www-form-urlencoded").body(body.to_vec()),
            _ => client.get(url),
        };
        let mut v: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
        v["warnings"] = serde_json::json!([WARNING]);
        axum::Json(v).into_response()
    }
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(partial).with_state(prom.url());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });

    let cfg = config(&url);
    let client = Client::new(&HttpSource::new(url.parse().unwrap())).unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let (_cmd_tx, cmd_rx) = mpsc::channel(16);
    tokio::spawn(Poller::new(client, cfg.services.clone(), false, Targets::default(), cfg.refresh, tx).run(cmd_rx));
    let mut app = App::new(&cfg, Utc::now());
    next_matching(&mut rx, &mut app, 30, |a| a.services[0].figures.as_ref().is_some_and(|f| f.rate.is_some())).await;
    let f = app.services[0].figures.clone().unwrap();
    assert!(f.partial.iter().any(|p| p.as_str() == format!("request rate: {WARNING}")), "{:?}", f.partial);
    let s = screen(&app, 120, 40);
    assert!(s.contains("~ from a partial answer: 2 service(s)"), "{s}");
    assert!(s.contains(&format!("~{}", format::rate(f.rate).trim())), "the rate is drawn, marked: {s}");
    assert!(s.contains("~ partial answer — up: remote store eu-2 did not answer"), "{s}");
}
