//! Alerting and recording rules in Prometheus's rule-file format, evaluated by the embedded engine.
pub mod eval;
pub mod file;
pub mod template;

pub use eval::{Alert, AlertState, Rules};
pub use file::{Group, Kind, Rule};
