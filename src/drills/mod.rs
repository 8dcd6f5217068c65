//! Drills: fault scenarios injected into the built-in estate while the console runs, timed and scored.
pub mod run;
pub mod scenario;

pub use run::{DrillRun, Phase, Score};
pub use scenario::Scenario;
