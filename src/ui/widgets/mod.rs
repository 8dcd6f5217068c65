//! Small drawing helpers shared by screens.
pub mod spark;
pub use spark::spark;
