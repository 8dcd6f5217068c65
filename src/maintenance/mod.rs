//! Maintenance windows: the team's file of windows, and keeping Alertmanager's silences in line with
//! it (created ahead of each occurrence, updated when a window changes, expired when it is cancelled;
//! silences watchpost did not create are never touched).
pub mod console;
pub mod reconcile;
pub mod window;

pub use window::Window;
