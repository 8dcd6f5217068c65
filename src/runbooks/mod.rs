//! Runbooks: Markdown files whose front matter declares what they handle and what they take, and whose
//! fenced blocks with attributes are steps. Parsing, parameter validation and the lint behind
//! `watchpost runbook check` live here, and running them: a step (`exec`, argv and environment, never a
//! shell), a run (`run`) and its crash-safe journal (`journal`). No ratatui.
pub mod exec;
pub mod journal;
pub mod model;
pub mod params;
pub mod parse;
pub mod run;
pub mod shipped;

pub use model::{Param, ParamKind, Runbook, Step, StepKind};
pub use parse::{load_dir, parse};
pub use shipped::load_all;
