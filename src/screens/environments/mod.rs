//! Environments side by side: every environment's state on one screen (enter opens one), and one
//! service in every environment (enter opens its detail there).
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::screens::{Screen, View};
use ratatui::Frame;
use ratatui::layout::Rect;

/// Every environment: its sources, its services healthy, degraded and down, firing alerts by
/// severity and the worst burn rate.
pub struct Environments;

impl View for Environments {
    fn title(&self) -> &'static str {
        "Environments"
    }
    fn keys(&self) -> &'static str {
        "environments"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, _app: &App) -> Context {
        Context::Screen(Screen::Environments)
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.environments.len();
        Some((&mut app.envs.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::Open => app.open_environment(app.envs.selected, Screen::Overview),
            _ => return false,
        }
        true
    }
    fn shown(&self, app: &mut App) {
        // Where the console is: its row selected.
        if let Some(i) = app.environment.as_ref().and_then(|e| app.environments.iter().position(|n| *n == e.name)) {
            app.envs.selected = i;
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::environments(app, f, area)
    }
}

/// One service in every environment: version, errors, p95, availability and budget against each
/// environment's own objective, and its last deploys.
pub struct Across;

impl View for Across {
    fn title(&self) -> &'static str {
        "Across environments"
    }
    fn keys(&self) -> &'static str {
        "across"
    }
    fn context(&self, _app: &App) -> Context {
        Context::Screen(Screen::Across)
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.environments.len();
        Some((&mut app.envs.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::Open => app.open_environment(app.envs.selected, Screen::Detail),
            _ => return false,
        }
        true
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::across(app, f, area)
    }
}
