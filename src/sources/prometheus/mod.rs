//! Prometheus HTTP API (also spoken by Thanos, Mimir, Cortex and VictoriaMetrics).
pub mod api;
pub mod batch;
pub mod client;
pub mod figures;
pub mod poller;

pub use api::{QueryOutcome, QueryResult, Series, Target};
pub use client::{Prometheus, ts};
pub use figures::{DetailCharts, ServiceFigures, Sparks};
pub use poller::{Command, Update};
