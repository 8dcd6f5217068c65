//! A service's gated rollback: choose a version, see the checks and the plan, confirm, watch.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::rollback::state::Phase;
use crate::screens::{Screen, View, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Rollback;

impl View for Rollback {
    fn title(&self) -> &'static str {
        "Rollback"
    }
    fn keys(&self) -> &'static str {
        "rollback"
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Rollback, app.rollback.as_ref().is_some_and(|r| r.input.is_some()))
    }
    /// Versions are chosen only while choosing; moving clears the last refusal.
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let r = app.rollback.as_mut().filter(|r| r.phase == Phase::Choose)?;
        r.error = None;
        let n = r.history.len();
        Some((&mut r.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            // From the plan, Esc goes back to choosing the version.
            Action::Back if app.rollback.as_ref().is_some_and(|r| r.phase == Phase::Confirm) => {
                if let Some(r) = app.rollback.as_mut() {
                    r.phase = Phase::Choose;
                    r.blockers.clear();
                    r.plan.clear();
                }
            }
            Action::RollbackNext => app.rollback_enter(),
            Action::AbortRollback => app.ask_abort_rollback(),
            _ => return false,
        }
        true
    }
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        app.rollback.as_mut()?.input.as_mut().map(|t| t as &mut dyn Form)
    }
    fn submit(&self, app: &mut App) {
        app.submit_rollback_input();
    }
    fn cancel(&self, app: &mut App) {
        if let Some(r) = app.rollback.as_mut() {
            r.input = None;
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area)
    }
}
