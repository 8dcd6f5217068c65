//! Serve the estate: each service's `/metrics` on its own loopback port, all from one simulator that
//! advances to the present at each scrape.
use super::exposition::{CONTENT_TYPE, render};
use super::sim::Simulator;
use super::topology::TOPOLOGY;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The first service's port by default; the others follow.
pub const DEFAULT_PORT: u16 = 9400;

#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub service: &'static str,
    pub addr: SocketAddr,
}

impl Endpoint {
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }
}

pub fn now() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

/// A served estate: each service's endpoint, the deploy API's address, and its control plane (faults
/// in, operators' changes out).
pub struct Served {
    pub endpoints: Vec<Endpoint>,
    pub api: SocketAddr,
    pub control: tokio::sync::mpsc::Sender<super::control::Control>,
    pub changes: tokio::sync::broadcast::Sender<super::changes::Change>,
}

/// Bind every service and the deploy API, and start serving. With port 0 each gets an ephemeral port;
/// otherwise the services take consecutive ports from the one given, and the API the next one.
pub async fn start(seed: u64, listen: SocketAddr) -> std::io::Result<Served> {
    let bound = bind(listen).await?;
    let endpoints = bound.iter().map(|b| b.0.clone()).collect();
    let api_listener = tokio::net::TcpListener::bind(api_addr(listen)).await?;
    let api = api_listener.local_addr()?;
    let mut sim = Simulator::new(seed, now());
    sim.model.epoch = sim.at;
    let sim = Arc::new(Mutex::new(sim));
    serve(sim.clone(), bound);
    let (control, rx) = tokio::sync::mpsc::channel(16);
    let (changes, _) = tokio::sync::broadcast::channel(16);
    tokio::spawn(super::control::run(sim, rx, changes.clone(), |_| {}));
    let router = super::control::router(control.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(api_listener, router).await {
            tracing::error!("estate deploy API stopped: {e}");
        }
    });
    Ok(Served { endpoints, api, control, changes })
}

/// Where the API listens when the services start at `listen`: the port after the last service's (any
/// free port when `listen`'s is 0).
pub fn api_addr(listen: SocketAddr) -> SocketAddr {
    let port = if listen.port() == 0 { 0 } else { listen.port() + TOPOLOGY.len() as u16 };
    SocketAddr::new(listen.ip(), port)
}

/// Bind every service's listener (so their addresses are known before anything is served).
pub async fn bind(listen: SocketAddr) -> std::io::Result<Vec<(Endpoint, tokio::net::TcpListener)>> {
    let mut out = Vec::new();
    for (i, spec) in TOPOLOGY.iter().enumerate() {
        let port = if listen.port() == 0 { 0 } else { listen.port() + i as u16 };
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(listen.ip(), port)).await?;
        out.push((Endpoint { service: spec.name, addr: listener.local_addr()? }, listener));
    }
    Ok(out)
}

/// Serve bound listeners from `sim`, which advances to the present at each scrape.
pub fn serve(sim: Arc<Mutex<Simulator>>, bound: Vec<(Endpoint, tokio::net::TcpListener)>) {
    for (i, (_, listener)) in bound.into_iter().enumerate() {
        let sim = sim.clone();
        let app = Router::new().route(
            "/metrics",
            get(move || {
                let sim = sim.clone();
                async move {
                    let mut s = sim.lock().unwrap_or_else(|p| p.into_inner());
                    s.advance_to(now());
                    if !s.is_up(i) {
                        // A drill took it down: the scrape fails as a dead process's would.
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [(header::CONTENT_TYPE, "text/plain")],
                            String::new(),
                        );
                    }
                    (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], render(&s, i))
                }
            }),
        );
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("estate endpoint stopped: {e}");
            }
        });
    }
}

/// A Prometheus `scrape_configs` section for these endpoints: one job per service, named after it, so
/// that the console's conventions (job = service) find them.
pub fn scrape_config(endpoints: &[Endpoint]) -> String {
    let mut s = String::from("scrape_configs:\n");
    for e in endpoints {
        s.push_str(&format!("  - job_name: {}\n    static_configs: [{{targets: ['{}']}}]\n", e.service, e.addr));
    }
    s
}
