//! SLO maths: pure functions, no I/O, no drawing.
pub mod availability;
pub mod budget;
pub mod burn_rate;
pub mod calendar;
pub mod target;

pub use availability::availability;
pub use budget::ErrorBudget;
pub use burn_rate::{BurnAlert, BurnRates, burn_rate};
pub use calendar::Calendar;
pub use target::Targets;
