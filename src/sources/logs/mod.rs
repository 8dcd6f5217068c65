//! The log store task: range queries, follow (Loki's tail websocket, or polling a store without one),
//! and label completion. Results are owned updates for the UI loop; the UI never waits on them.
pub mod elastic;
pub mod loki;
pub mod tail;

use crate::logs::{Entry, LogLine};
use crate::sources::SourceHealth;
use crate::sources::http::FetchError;
use crate::text::Clean;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Clone)]
pub enum LogStore {
    Loki(loki::Loki),
    Elastic(elastic::Elastic),
}

impl LogStore {
    pub fn name(&self) -> &'static str {
        match self {
            LogStore::Loki(_) => "Loki",
            LogStore::Elastic(_) => "Elasticsearch",
        }
    }

    pub fn health(&self) -> tokio::sync::watch::Receiver<SourceHealth> {
        match self {
            LogStore::Loki(l) => l.http.health(),
            LogStore::Elastic(e) => e.http.health(),
        }
    }

    pub async fn query(&self, query: &str, from: i64, to: i64, limit: usize) -> Result<Vec<LogLine>, FetchError> {
        match self {
            LogStore::Loki(l) => l.query_range(query, from, to, limit).await,
            LogStore::Elastic(e) => e.search(query, from, to, limit).await,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum LogCommand {
    /// Lines in `[from, to]` (ns), the newest `limit`; they replace what the view holds.
    Query {
        id: u64,
        query: String,
        from_ns: i64,
        to_ns: i64,
        limit: usize,
    },
    /// Follow new lines from `since_ns` (stops any previous follow).
    Follow {
        id: u64,
        query: String,
        since_ns: i64,
    },
    StopFollow,
    Labels,
    LabelValues(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum TailState {
    Connecting,
    Live,
    Reconnecting {
        attempt: u32,
    },
    Down {
        error: Clean,
        retry_in: Duration,
        attempt: u32,
    },
    /// The store has no tail: new lines are polled for.
    Polling,
    /// The server refused the tail itself (a query it cannot tail): not tried again until the query
    /// changes.
    Stopped {
        error: Clean,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum LogUpdate {
    Health(SourceHealth),
    Lines { id: u64, entries: Vec<Entry>, replace: bool },
    Failed { id: u64, error: Clean },
    Tail { id: u64, state: TailState },
    Labels(Vec<String>),
    LabelValues { name: String, values: Vec<String> },
}

/// How often a store without a tail is asked for new lines while following.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

pub async fn run(store: LogStore, mut rx: mpsc::Receiver<LogCommand>, tx: mpsc::Sender<LogUpdate>) {
    crate::sources::health::forward(store.health(), tx.clone(), LogUpdate::Health);
    let mut follow: Option<tokio::task::JoinHandle<()>> = None;
    while let Some(cmd) = rx.recv().await {
        match cmd {
            LogCommand::Query { id, query, from_ns, to_ns, limit } => {
                let (store, tx) = (store.clone(), tx.clone());
                tokio::spawn(async move {
                    let u = match store.query(&query, from_ns, to_ns, limit).await {
                        Ok(lines) => LogUpdate::Lines {
                            id,
                            entries: lines.into_iter().map(Entry::Line).collect(),
                            replace: true,
                        },
                        Err(e) => LogUpdate::Failed { id, error: Clean::new(&e.to_string()) },
                    };
                    let _ = tx.send(u).await;
                });
            }
            LogCommand::Follow { id, query, since_ns } => {
                if let Some(h) = follow.take() {
                    h.abort();
                }
                let tx = tx.clone();
                follow = Some(match &store {
                    LogStore::Loki(l) => tokio::spawn(tail::run(l.clone(), id, query, since_ns, tx)),
                    other => tokio::spawn(poll(other.clone(), id, query, since_ns, tx)),
                });
            }
            LogCommand::StopFollow => {
                if let Some(h) = follow.take() {
                    h.abort();
                }
            }
            LogCommand::Labels => {
                if let LogStore::Loki(l) = &store
                    && let Ok(v) = l.labels().await
                {
                    let _ = tx.send(LogUpdate::Labels(v)).await;
                }
            }
            LogCommand::LabelValues(name) => {
                if let LogStore::Loki(l) = &store
                    && let Ok(values) = l.label_values(&name).await
                {
                    let _ = tx.send(LogUpdate::LabelValues { name, values }).await;
                }
            }
        }
    }
    if let Some(h) = follow {
        h.abort();
    }
}

/// Follow by polling: each round asks for what came since the newest line held.
async fn poll(store: LogStore, id: u64, query: String, since_ns: i64, tx: mpsc::Sender<LogUpdate>) {
    let mut resume = tail::Resume::default();
    let _ = tx.send(LogUpdate::Tail { id, state: TailState::Polling }).await;
    loop {
        let from = resume.last_ns.unwrap_or(since_ns);
        let to = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
        match store.query(&query, from, to, tail::REPLAY_LIMIT).await {
            Ok(lines) => {
                let full = lines.len() >= tail::REPLAY_LIMIT;
                let first = lines.first().map(|l| l.ts_ns);
                let mut entries = Vec::new();
                if let (true, Some(first), Some(last)) = (full, first, resume.last_ns)
                    && first > last
                {
                    entries.push(Entry::Gap {
                        from_ns: last,
                        to_ns: first,
                        note: format!("more than {} new lines between polls; some are not shown", tail::REPLAY_LIMIT),
                    });
                }
                entries.extend(resume.fresh(lines).into_iter().map(Entry::Line));
                if !entries.is_empty() && tx.send(LogUpdate::Lines { id, entries, replace: false }).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                if tx.send(LogUpdate::Failed { id, error: Clean::new(&e.to_string()) }).await.is_err() {
                    return;
                }
            }
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
