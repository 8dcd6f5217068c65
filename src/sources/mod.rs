//! Collectors: tokio tasks that talk to backends and send owned results to the UI loop. No ratatui here.
pub mod alertmanager;
pub mod circuit;
pub mod environment;
pub mod health;
pub mod http;
pub mod logs;
pub mod opsgenie;
pub mod pagerduty;
pub mod prometheus;
pub mod traces;

pub use health::{SourceHealth, SourceState};
