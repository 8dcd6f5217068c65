//! The embedded metrics engine: samples in memory, PromQL (parsed by promql-parser) evaluated with
//! Prometheus's semantics. No ratatui, no network.
//!
//! Supported now: number and string literals, unary minus, parentheses; vector and range selectors with
//! every matcher kind, `offset` and `@`; `rate`, `irate`, `increase`, `delta`, `idelta`, `deriv`, `sum|avg|min|max|count
//! |last_over_time`, `abs`, `clamp`, `clamp_min`, `clamp_max`, `round`, `time`, `vector`, `scalar`,
//! `absent`, `label_replace`, `histogram_quantile`; `sum`, `avg`, `min`, `max`, `count`, `group`,
//! `topk`, `bottomk`, `quantile` with `by`/`without`; arithmetic, comparison (with `bool`) and set
//! operators with `on`/`ignoring`/`group_left`/`group_right`. Anything else is refused by name.
pub mod eval;
pub mod json;
pub mod load;
pub mod store;
pub mod value;

mod aggregate;
mod binary;
mod functions;
mod histogram;

pub use eval::{Engine, EvalError};
pub use store::{Labels, Series, Store};
pub use value::{Sample, Value};
