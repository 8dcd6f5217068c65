//! The application: state, the key table, and the loop that joins terminal, sources and drawing.
pub mod confirm;
pub mod event_loop;
pub mod history;
pub mod input;
pub mod keymap;
pub mod message;
pub mod palette;
pub mod screen;
pub mod service_view;
pub mod startup;
pub mod state;
pub mod textinput;
pub mod update;

pub use screen::{RANGES, Screen};
pub use service_view::ServiceView;
pub use state::App;
