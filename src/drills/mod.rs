//! Drills: fault scenarios injected into the built-in estate while the console runs, timed and scored.
pub mod scenario;
pub mod session;

pub use scenario::Scenario;
pub use session::{DrillRun, Phase, Score};
