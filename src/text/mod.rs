//! Text that comes from outside: the one sanitizer every untrusted string passes where it enters.
pub mod sanitize;
pub use sanitize::{Clean, sanitize};
