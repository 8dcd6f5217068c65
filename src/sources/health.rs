//! What the header says about a source: ok / slow / failing / circuit open, since when and why.
use crate::text::Clean;
use chrono::{DateTime, Utc};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceState {
    /// No answer yet.
    Connecting,
    Ok,
    Slow,
    Failing,
    CircuitOpen,
}

impl SourceState {
    pub fn label(self) -> &'static str {
        match self {
            SourceState::Connecting => "connecting",
            SourceState::Ok => "ok",
            SourceState::Slow => "slow",
            SourceState::Failing => "failing",
            SourceState::CircuitOpen => "circuit open",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SourceHealth {
    pub name: String,
    pub state: SourceState,
    pub last_ok: Option<DateTime<Utc>>,
    /// When the current run of failures began.
    pub failing_since: Option<DateTime<Utc>>,
    pub last_error: Option<Clean>,
    pub latency: Option<Duration>,
    /// While the circuit is open: when the next probe may go.
    pub retry_at: Option<DateTime<Utc>>,
}

impl SourceHealth {
    pub fn new(name: &str) -> Self {
        SourceHealth {
            name: name.to_string(),
            state: SourceState::Connecting,
            last_ok: None,
            failing_since: None,
            last_error: None,
            latency: None,
            retry_at: None,
        }
    }

    pub fn is_down(&self) -> bool {
        matches!(self.state, SourceState::Failing | SourceState::CircuitOpen)
    }
}

/// Send a source's health to the UI whenever it changes (the initial value too, so the header says
/// "connecting" rather than nothing), wrapped in the source's own update type.
pub fn forward<U: Send + 'static>(
    mut health: tokio::sync::watch::Receiver<SourceHealth>,
    tx: tokio::sync::mpsc::Sender<U>,
    wrap: fn(SourceHealth) -> U,
) {
    tokio::spawn(async move {
        loop {
            let h = health.borrow_and_update().clone();
            if tx.send(wrap(h)).await.is_err() || health.changed().await.is_err() {
                break;
            }
        }
    });
}
