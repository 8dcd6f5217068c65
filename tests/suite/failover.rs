//! Failover to direct scraping, against a real Prometheus and real exporters (node_exporter and the
//! test exporter): the config's `[scrape]` targets are scraped by the embedded engine all along; when
//! Prometheus dies and its circuit opens, the console reads them instead, says so in the header, keeps
//! its figures fresh (not stale), and goes back to Prometheus when it returns.
use crate::support;

use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::time::Duration;
use support::{NodeExporter, Prometheus, exporter};
use tokio::sync::mpsc;
use watchpost::app::App;
use watchpost::sources::SourceState;
use watchpost::sources::prometheus::poller::Poller;
use watchpost::sources::prometheus::{Prometheus as Client, Update};

fn screen(app: &App) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 30)).expect("terminal");
    term.draw(|f| watchpost::ui::draw(app, f)).expect("draw");
    term.backend().to_string()
}

async fn until(rx: &mut mpsc::Receiver<Update>, app: &mut App, secs: u64, what: &str, want: impl Fn(&App) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !want(app) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => app.on_update(u),
            _ => panic!("{what}: not reached within {secs}s; source {:?}, direct {:?}", app.source, app.direct_since),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_down_means_direct_scrape_and_back() {
    let shop = exporter::start();
    let node = NodeExporter::start();
    let mut prom = Prometheus::start(shop, node.port);
    prom.wait_for("sum(rate(http_requests_total{job=\"shop\"}[5m])) > 0");

    let toml = format!(
        "refresh = \"1s\"\n\
         [prometheus]\nurl = \"{}\"\ntimeout = \"1s\"\n\
         [scrape]\ninterval = \"1s\"\nretention = \"10m\"\nmax_memory = \"16MiB\"\n\
         [[scrape.targets]]\njob = \"shop\"\nurl = \"http://127.0.0.1:{shop}/metrics\"\n\
         [[scrape.targets]]\njob = \"node\"\nurl = \"http://127.0.0.1:{}/metrics\"\n\
         [[services]]\nname = \"shop\"\nrate_window = \"10s\"\n\
         [[services]]\nname = \"node\"\n",
        prom.url(),
        node.port
    );
    let cfg = watchpost::config::load_str(Path::new("failover.toml"), &toml).expect("config");
    let scrape = cfg.scrape.as_ref().expect("[scrape]");
    let direct = watchpost::embedded::direct::start(scrape).await.expect("direct scrape");
    let mut fallback = watchpost::config::HttpSource::new(direct.api.clone());
    fallback.name = "direct scrape".into();

    let (tx, mut rx) = mpsc::channel(512);
    let (_cmd_tx, cmd_rx) = mpsc::channel(16);
    let poller = Poller::new(
        Client::new(cfg.prometheus.as_ref().unwrap()).unwrap(),
        cfg.services.clone(),
        false,
        cfg.slo_defaults.clone(),
        cfg.refresh,
        tx,
    )
    .with_fallback(Client::new(&fallback).unwrap());
    tokio::spawn(poller.run(cmd_rx));
    let mut app = App::new(&cfg, Utc::now());

    // 1. On Prometheus.
    until(&mut rx, &mut app, 60, "figures from Prometheus", |a| {
        a.source.state == SourceState::Ok && a.services[0].figures.as_ref().is_some_and(|f| f.rate.is_some())
    })
    .await;
    assert_eq!(app.direct_since, None);

    // 2. Prometheus dies; once its circuit opens the console reads the direct scrape.
    prom.kill();
    until(&mut rx, &mut app, 60, "switch to direct scrape", |a| a.direct_since.is_some()).await;
    let switched = Utc::now();
    until(&mut rx, &mut app, 30, "fresh figures from the direct scrape", |a| {
        a.services.iter().all(|s| s.figures.as_ref().is_some_and(|f| f.at > switched && f.up == Some((1, 1))))
            && a.services[0].figures.as_ref().is_some_and(|f| f.rate.is_some_and(|r| r > 0.0))
    })
    .await;
    app.on_tick(Utc::now());
    let s = screen(&app);
    assert!(s.contains("direct scrape — Prometheus down since"), "{s}");
    assert!(s.contains("showing the fallback targets"), "{s}");
    assert!(!s.contains("stale"), "figures from the direct scrape are fresh:\n{s}");

    // 3. Prometheus returns: back to it by itself (the breaker's probe goes on while on the fallback).
    prom.restart();
    until(&mut rx, &mut app, 120, "back on Prometheus", |a| {
        a.direct_since.is_none() && a.source.state == SourceState::Ok
    })
    .await;
    app.on_tick(Utc::now());
    let s = screen(&app);
    assert!(!s.contains("direct scrape") && s.contains("prometheus ●"), "{s}");

    // The direct scrape kept both targets healthy all along.
    let targets = Client::new(&fallback).unwrap().targets().await.unwrap();
    assert!(targets.len() == 2 && targets.iter().all(|t| t.health.as_str() == "up"), "{targets:?}");
}

/// The direct scrape reads what real servers serve: node_exporter's exposition, and Prometheus's own
/// `/federate`, whose every sample carries a timestamp in milliseconds (read as seconds, they landed
/// some 44 000 years ahead and no query found them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_direct_scrape_reads_federate_and_node_exporter() {
    let shop = exporter::start();
    let node = NodeExporter::start();
    let prom = Prometheus::start(shop, node.port);
    prom.wait_for("sum(rate(http_requests_total{job=\"shop\"}[5m])) > 0");
    let toml = format!(
        "[scrape]\ninterval = \"1s\"\nretention = \"10m\"\nmax_memory = \"16MiB\"\n\
         [[scrape.targets]]\njob = \"federate\"\nurl = \"{}/federate?match[]=http_requests_total\"\n\
         [[scrape.targets]]\njob = \"node\"\nurl = \"http://127.0.0.1:{}/metrics\"\n",
        prom.url(),
        node.port
    );
    let cfg = watchpost::config::load_str(Path::new("direct.toml"), &toml).expect("config");
    let direct = watchpost::embedded::direct::start(cfg.scrape.as_ref().unwrap()).await.expect("direct scrape");
    let ask = |q: &str| {
        let v = support::get_json(&format!("{}api/v1/query", direct.api), &[("query", q)]);
        v.and_then(|v| v["data"]["result"].as_array().cloned()).unwrap_or_default()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while ask("up == 1").len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(ask("up == 1").len(), 2, "both targets scraped: {:?}", ask("up"));
    // Federated samples keep Prometheus's timestamps: an instant query now finds them.
    let fed = ask("http_requests_total{job=\"federate\"}");
    assert!(!fed.is_empty(), "federated samples at their own (millisecond) times");
    assert!(!ask("node_cpu_seconds_total{job=\"node\"}").is_empty(), "node_exporter's exposition");
}
