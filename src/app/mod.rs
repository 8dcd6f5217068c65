//! The application: state, the key table, and the loop that joins terminal, sources and drawing.
pub mod alerts;
pub mod audit;
pub mod changes;
pub mod confirm;
pub mod drills;
pub mod event_loop;
pub mod explorer;
pub mod history;
pub mod incidents;
pub mod input;
pub mod keymap;
pub mod kpis;
pub mod logs;
pub mod message;
pub mod overview;
pub mod palette;
pub mod rollback;
pub mod runbooks;
pub mod screen;
pub mod service_view;
pub mod state;
pub mod textinput;
pub mod traces;
pub mod update;

pub use screen::{RANGES, Screen};
pub use service_view::ServiceView;
pub use state::App;
