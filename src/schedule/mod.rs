//! Time that recurs: maintenance windows and change freezes, one-off or recurring (RRULE or cron), in a
//! time zone, safe across daylight-saving changes. No I/O.
pub mod fields;
pub mod recurrence;

pub use recurrence::{Occurrence, Rule, Schedule};
