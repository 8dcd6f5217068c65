//! Drawing: `draw(&App, &mut Frame)` is a function of state and nothing else. One file per screen.
pub mod alerts;
pub mod audit;
pub mod changes;
pub mod chart;
pub mod confirm;
pub mod detail;
pub mod drills;
pub mod explorer;
pub mod first_run;
pub mod format;
pub mod frame;
pub mod help;
pub mod incidents;
pub mod kpis;
pub mod logs;
pub mod overview;
pub mod palette;
pub mod rollback;
pub mod runbooks;
pub mod silences;
pub mod slo_panel;
pub mod theme;
pub mod traces;
pub mod when;
pub mod widgets;

pub use frame::{MIN_HEIGHT, MIN_WIDTH, draw};
