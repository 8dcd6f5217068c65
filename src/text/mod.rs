//! Text that comes from outside: the one sanitizer every untrusted string passes where it is drawn, and
//! the checks a form makes before it sends a value.
pub mod quote;
pub mod sanitize;
pub use sanitize::{Clean, Suspicion, capped, sanitize, suspicions};
