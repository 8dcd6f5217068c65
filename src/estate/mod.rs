//! The built-in estate: a simulated set of services with dependencies, repeatable for a seed, each
//! serving real Prometheus text exposition on its own loopback endpoint. No ratatui, no console state.
pub mod export;
pub mod exposition;
pub mod model;
pub mod serve;
pub mod sim;
pub mod topology;

pub use model::Model;
pub use sim::Simulator;
pub use topology::{ServiceSpec, TOPOLOGY};
