//! Traces from any store (Jaeger, Tempo, Zipkin, the estate): the span model, the tree (robust to
//! orphans and cycles), the critical path, and the waterfall's layout. No I/O and no ratatui here.
pub mod critical;
pub mod model;
pub mod tree;
pub mod waterfall;

pub use model::{Span, Trace, TraceSummary};
pub use tree::Tree;
