//! Drawing: `draw(&App, &mut Frame)` is a function of state and nothing else. The frame, popups and
//! shared widgets are here; each screen's own drawing is its module's (`crate::screens`).
pub mod chart;
pub mod confirm;
pub mod first_run;
pub mod format;
pub mod frame;
pub mod help;
pub mod palette;
pub mod slo_panel;
pub mod theme;
pub mod when;
pub mod widgets;

pub use frame::{MIN_HEIGHT, MIN_WIDTH, draw};
