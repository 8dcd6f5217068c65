//! Log lines from any store (Loki, Elasticsearch/OpenSearch, the estate): the line model, the bounded
//! buffer the view reads, and the filter. No I/O and no ratatui here.
pub mod buffer;
pub mod filter;
pub mod logql;
pub mod model;

pub use buffer::{Entry, LogBuffer};
pub use filter::LineFilter;
pub use model::{Level, LogLine};
