//! The trace store task: searches, a trace by id, the service list, and the overview's live traces
//! (each service's latest slow or failing traces, polled). Jaeger, Tempo and Zipkin behind one enum.
pub mod jaeger;
pub mod tempo;
pub mod zipkin;

use crate::config::{TraceBackend, TraceConfig};
use crate::sources::SourceHealth;
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;
use crate::traces::model::sort_for_triage;
use crate::traces::waterfall::Waterfall;
use crate::traces::{Trace, TraceSummary};
use std::time::Duration;
use tokio::sync::mpsc;

/// A trace search.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    pub service: Option<String>,
    pub operation: Option<String>,
    pub tags: Vec<(String, String)>,
    pub errors_only: bool,
    pub min_duration_us: i64,
    pub from_us: i64,
    pub to_us: i64,
    pub limit: usize,
}

#[derive(Clone)]
pub struct TraceStore {
    pub backend: TraceBackend,
    pub http: HttpClient,
}

impl TraceStore {
    pub fn new(c: &TraceConfig) -> Result<Self, String> {
        Ok(TraceStore { backend: c.backend, http: HttpClient::new(&c.source.name, &c.source)? })
    }

    pub async fn search(&self, q: &Query) -> Result<Vec<TraceSummary>, FetchError> {
        let mut found = match self.backend {
            TraceBackend::Jaeger => jaeger::search(&self.http, q).await?,
            TraceBackend::Tempo => tempo::search(&self.http, q).await?,
            TraceBackend::Zipkin => zipkin::search(&self.http, q).await?,
        };
        sort_for_triage(&mut found);
        Ok(found)
    }

    /// The services the store knows.
    pub async fn services(&self) -> Result<Vec<String>, FetchError> {
        let mut found = match self.backend {
            TraceBackend::Jaeger => jaeger::services(&self.http).await?,
            TraceBackend::Tempo => tempo::services(&self.http).await?,
            TraceBackend::Zipkin => zipkin::services(&self.http).await?,
        };
        found.iter_mut().for_each(|s| *s = crate::text::sanitize(s).into_owned());
        found.sort();
        Ok(found)
    }

    /// A service's operations (Jaeger and Zipkin list them; Tempo has no such call).
    pub async fn operations(&self, service: &str) -> Result<Vec<String>, FetchError> {
        match self.backend {
            TraceBackend::Jaeger => jaeger::operations(&self.http, service).await,
            TraceBackend::Zipkin => zipkin::operations(&self.http, service).await,
            TraceBackend::Tempo => Ok(Vec::new()),
        }
    }

    pub async fn get(&self, id: &str) -> Result<Trace, FetchError> {
        if !crate::logs::model::is_trace_id(id) {
            return Err(FetchError::Api {
                kind: Clean::new("trace id"),
                message: Clean::new(&format!("`{id}` is not a hex trace id")),
            });
        }
        match self.backend {
            TraceBackend::Jaeger => jaeger::get(&self.http, id).await,
            TraceBackend::Tempo => tempo::get(&self.http, id).await,
            TraceBackend::Zipkin => zipkin::get(&self.http, id).await,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TraceCommand {
    Search {
        id: u64,
        query: Query,
    },
    Get {
        trace_id: String,
    },
    /// The operations of a service (for the search prompt's hint).
    Operations {
        service: String,
    },
    /// The services the store knows (likewise).
    Services,
    /// The services whose live traces the overview shows, and their latency targets (µs).
    Live {
        services: Vec<(String, i64)>,
    },
}

#[derive(Clone, Debug)]
pub enum TraceUpdate {
    Health(SourceHealth),
    Found {
        id: u64,
        result: Result<Vec<TraceSummary>, Clean>,
    },
    /// The trace, laid out here (a 100 000-span trace takes tens of milliseconds: not on the UI's turn).
    Trace {
        trace_id: String,
        result: Result<Box<Waterfall>, Clean>,
    },
    Operations {
        service: String,
        operations: Vec<String>,
    },
    Services(Vec<String>),
    /// Per service, its latest failing and slow traces (at most [`LIVE_PER_SERVICE`]), and when.
    Live {
        at: chrono::DateTime<chrono::Utc>,
        traces: Vec<(String, Vec<TraceSummary>)>,
        error: Option<Clean>,
    },
}

pub const LIVE_PER_SERVICE: usize = 3;
/// How often the overview's live traces are asked: the refresh, at least every 15 s.
pub fn live_every(refresh: Duration) -> Duration {
    refresh.max(Duration::from_secs(15))
}

/// How far back live traces look.
pub const LIVE_WINDOW: Duration = Duration::from_secs(300);

pub async fn run(
    store: TraceStore,
    every: Duration,
    mut rx: mpsc::Receiver<TraceCommand>,
    tx: mpsc::Sender<TraceUpdate>,
) {
    crate::sources::health::forward(store.http.health(), tx.clone(), TraceUpdate::Health);
    let mut live: Vec<(String, i64)> = Vec::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut polling: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                None => break,
                Some(TraceCommand::Search { id, query }) => {
                    let (store, tx) = (store.clone(), tx.clone());
                    tokio::spawn(async move {
                        let result = store.search(&query).await.map_err(|e| Clean::new(&e.to_string()));
                        let _ = tx.send(TraceUpdate::Found { id, result }).await;
                    });
                }
                Some(TraceCommand::Get { trace_id }) => {
                    let (store, tx) = (store.clone(), tx.clone());
                    tokio::spawn(async move {
                        let result = match store.get(&trace_id).await {
                            Ok(t) if t.spans.is_empty() => Err(Clean::new("the store returned no spans for this id")),
                            Ok(t) => Ok(Box::new(tokio::task::spawn_blocking(move || Waterfall::new(t)).await.expect("layout"))),
                            Err(e) => Err(Clean::new(&e.to_string())),
                        };
                        let _ = tx.send(TraceUpdate::Trace { trace_id, result }).await;
                    });
                }
                Some(TraceCommand::Operations { service }) => {
                    let (store, tx) = (store.clone(), tx.clone());
                    tokio::spawn(async move {
                        if let Ok(operations) = store.operations(&service).await {
                            let _ = tx.send(TraceUpdate::Operations { service, operations }).await;
                        }
                    });
                }
                Some(TraceCommand::Services) => {
                    let (store, tx) = (store.clone(), tx.clone());
                    tokio::spawn(async move {
                        if let Ok(found) = store.services().await {
                            let _ = tx.send(TraceUpdate::Services(found)).await;
                        }
                    });
                }
                Some(TraceCommand::Live { services }) => {
                    live = services;
                    tick.reset_immediately();
                }
            },
            _ = tick.tick() => {
                // One round at a time: a slow store does not pile rounds up.
                if live.is_empty() || polling.as_ref().is_some_and(|h| !h.is_finished()) {
                    continue;
                }
                let (store, tx, services) = (store.clone(), tx.clone(), live.clone());
                polling = Some(tokio::spawn(async move {
                    let _ = tx.send(live_round(&store, &services).await).await;
                }));
            }
        }
    }
    if let Some(h) = polling {
        h.abort();
    }
}

/// Each service's failing traces first, then its slowest above its latency target.
async fn live_round(store: &TraceStore, services: &[(String, i64)]) -> TraceUpdate {
    let now = chrono::Utc::now();
    let to_us = now.timestamp_micros();
    let from_us = to_us - LIVE_WINDOW.as_micros() as i64;
    let mut traces = Vec::new();
    let mut error = None;
    for (service, target_us) in services {
        let base = Query { service: Some(service.clone()), from_us, to_us, limit: 20, ..Query::default() };
        let failing = store.search(&Query { errors_only: true, ..base.clone() }).await;
        let slow = store.search(&Query { min_duration_us: *target_us, ..base }).await;
        let mut list = Vec::new();
        for r in [failing, slow] {
            match r {
                Ok(found) => list.extend(found),
                Err(e) => error = Some(Clean::new(&e.to_string())),
            }
        }
        sort_for_triage(&mut list);
        let mut seen = std::collections::HashSet::new();
        list.retain(|t| seen.insert(t.trace_id.clone()));
        list.truncate(LIVE_PER_SERVICE);
        traces.push((service.clone(), list));
    }
    TraceUpdate::Live { at: now, traces, error }
}
