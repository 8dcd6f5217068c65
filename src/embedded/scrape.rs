//! The scraper: every interval, each target's `/metrics` over HTTP (timeout, size cap), parsed into the
//! store with `job` and `instance`, plus `up` and `scrape_duration_seconds` as Prometheus records them.
use super::Shared;
use crate::engine::load::{Format, load_each};
use crate::engine::store::{Labels, NAME, STALE};
use chrono::Utc;
use futures::future::join_all;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Responses larger than this are a failed scrape.
pub const MAX_SCRAPE_BYTES: usize = 4 * 1024 * 1024;
/// Samples younger than this are kept at full resolution.
pub const RAW: Duration = Duration::from_secs(3600);

/// How much the store keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Nothing older is kept.
    pub retention: Duration,
    /// The store's estimated size is kept under this (oldest samples first).
    pub max_bytes: usize,
}

impl Limits {
    /// The demo's: a 30-day SLO window and a day of margin, within the 64 MB the demo aims at.
    pub const DEMO: Limits = Limits { retention: Duration::from_secs(31 * 86_400), max_bytes: 40 << 20 };
}

/// What a scrape asks for, as Prometheus does: either text format, the plain one preferred.
const ACCEPT: &str = "text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,*/*;q=0.1";

/// A target's answer, and the format it is in (by its Content-Type).
async fn fetch(client: &reqwest::Client, url: &str) -> Result<(String, Format), String> {
    let mut resp = client.get(url).header(reqwest::header::ACCEPT, ACCEPT).send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("server returned HTTP status {}", resp.status()));
    }
    let content_type =
        resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_SCRAPE_BYTES {
            return Err(format!("body larger than {MAX_SCRAPE_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|_| "body is not UTF-8".to_string())?;
    let format = Format::of(content_type.as_deref(), &text);
    Ok((text, format))
}

/// The series each target (by URL) returned last time: those missing from a scrape (or all of them,
/// when the scrape fails) get a staleness marker, as Prometheus writes them.
pub type Seen = HashMap<String, BTreeSet<Labels>>;

/// One round over every target.
pub async fn scrape_once(shared: &Shared, client: &reqwest::Client, seen: &mut Seen) {
    let targets = shared.targets.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let results = join_all(targets.iter().map(|t| async move {
        let started = Instant::now();
        (fetch(client, &t.url).await, started.elapsed())
    }))
    .await;
    let now = Utc::now();
    let ms = now.timestamp_millis();
    for (t, (result, took)) in targets.iter().zip(results) {
        let target: Labels = [("job".to_string(), t.job.clone()), ("instance".to_string(), t.instance.clone())].into();
        let mut error = String::new();
        {
            let mut engine = shared.engine.write().unwrap_or_else(|p| p.into_inner());
            let store = &mut engine.store;
            let mut now_seen = BTreeSet::new();
            let up = match &result {
                Ok((text, format)) => match load_each(store, text, *format, ms, &target, |l| {
                    now_seen.insert(l.clone());
                }) {
                    Ok(_) => 1.0,
                    Err(e) => {
                        error = e;
                        0.0
                    }
                },
                Err(e) => {
                    error = e.clone();
                    0.0
                }
            };
            let before = seen.insert(t.url.clone(), now_seen).unwrap_or_default();
            for gone in before.difference(&seen[&t.url]) {
                store.append(gone.clone(), ms, STALE);
            }
            for (name, v) in [("up", up), ("scrape_duration_seconds", took.as_secs_f64())] {
                let mut l = target.clone();
                l.insert(NAME.to_string(), name.to_string());
                store.append(l, ms, v);
            }
        }
        let mut all = shared.targets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(state) = all.iter_mut().find(|s| s.url == t.url) {
            state.health = if error.is_empty() { "up" } else { "down" };
            state.last_error = crate::text::sanitize(&error).into_owned();
            state.last_scrape = Some(now);
            state.last_duration = took.as_secs_f64();
        }
    }
}

/// Scrape every `interval` until the task is dropped; compact the store once a minute and keep it
/// within its limits.
pub async fn run(shared: Arc<Shared>, interval: Duration, limits: Limits) {
    let client = reqwest::Client::builder().timeout(interval.min(Duration::from_secs(5))).build().unwrap_or_default();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut compacted = Instant::now();
    let mut seen = Seen::new();
    loop {
        tick.tick().await;
        scrape_once(&shared, &client, &mut seen).await;
        if compacted.elapsed() >= Duration::from_secs(60) {
            compacted = Instant::now();
            let now = Utc::now().timestamp_millis();
            let mut engine = shared.engine.write().unwrap_or_else(|p| p.into_inner());
            engine.store.compact(now, RAW.as_millis() as i64, limits.retention.as_millis() as i64);
            let dropped = engine.store.enforce(limits.max_bytes);
            if dropped > 0 {
                tracing::warn!(
                    dropped,
                    max_bytes = limits.max_bytes,
                    "store at its memory cap: oldest samples dropped"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Value;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn a_failed_scrape_marks_the_targets_series_stale() {
        let healthy = Arc::new(AtomicBool::new(true));
        let h = healthy.clone();
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let ok = h.load(Ordering::SeqCst);
                async move {
                    if ok {
                        (axum::http::StatusCode::OK, "jobs_total 3\n".to_string())
                    } else {
                        (axum::http::StatusCode::SERVICE_UNAVAILABLE, String::new())
                    }
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        let shared = Shared::default();
        *shared.targets.lock().unwrap() = vec![super::super::Target::new("app", addr)];
        let (client, mut seen) = (reqwest::Client::new(), Seen::new());
        let count = |q: &str| match shared.engine.read().unwrap().instant(q, Utc::now().timestamp_millis()).unwrap() {
            Value::Vector(v) => v.iter().map(|s| s.value).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        scrape_once(&shared, &client, &mut seen).await;
        assert_eq!(count("jobs_total"), [3.0]);
        tokio::time::sleep(Duration::from_millis(5)).await;
        healthy.store(false, Ordering::SeqCst);
        scrape_once(&shared, &client, &mut seen).await;
        assert!(count("jobs_total").is_empty(), "stale at once, not after the 5-minute lookback");
        assert_eq!(count("up"), [0.0]);
        assert_eq!(shared.targets.lock().unwrap()[0].health, "down");
    }
}
