//! Drills: incident rehearsals on the built-in estate, started, mitigated and scored here.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::screens::{Screen, View};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Drills;

impl View for Drills {
    fn title(&self) -> &'static str {
        "Drills"
    }
    fn keys(&self) -> &'static str {
        "drills"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, _app: &App) -> Context {
        Context::Screen(Screen::Drills)
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.drills.scenarios.len();
        Some((&mut app.drills.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::StartDrill => app.start_drill(false),
            Action::StartDrillRandom => app.start_drill(true),
            Action::Mitigate => app.mitigate_drill(),
            Action::AbortDrill => app.abort_drill(),
            _ => return false,
        }
        true
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area)
    }
}
