//! Logs: a service's lines following live or over a window, filtered, highlighted, jumped through.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::logs::state::LogPrompt;
use crate::screens::{Screen, View, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Logs;

impl View for Logs {
    fn title(&self) -> &'static str {
        "Logs"
    }
    fn keys(&self) -> &'static str {
        "logs"
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Logs, app.logs.prompt.is_some())
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        let logs = &mut app.logs;
        match action {
            // The view keeps its own position: moving off the newest line pauses following.
            Action::Up => logs.step(-1),
            Action::Down => logs.step(1),
            Action::PageUp => logs.step(-20),
            Action::PageDown => logs.step(20),
            Action::Top => logs.step(isize::MIN / 2),
            Action::Bottom => logs.bottom(),
            Action::Back if logs.context.is_some() => logs.context = None,
            Action::Edit => app.log_prompt(LogPrompt::Query),
            Action::Follow => app.toggle_follow(),
            Action::LineFilter => app.log_prompt(LogPrompt::Filter),
            Action::Highlight => app.log_prompt(LogPrompt::Highlight),
            Action::JumpTime => app.log_prompt(LogPrompt::Jump),
            Action::Wrap => logs.wrap = !logs.wrap,
            Action::ScrollLeft => logs.hscroll = logs.hscroll.saturating_sub(8),
            Action::ScrollRight => logs.hscroll = (logs.hscroll + 8).min(crate::logs::model::MAX_LINE_BYTES),
            Action::LineContext => app.log_context(),
            Action::Copy => app.copy_log_line(),
            Action::OpenTrace => app.open_log_trace(),
            Action::NextField if logs.prompt.as_ref().is_some_and(|(k, _)| *k == LogPrompt::Query) => {
                app.complete_log_query()
            }
            // Already here.
            Action::Logs => {}
            _ => return false,
        }
        true
    }
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        app.logs.prompt.as_mut().map(|p| p as &mut dyn Form)
    }
    fn typed(&self, app: &mut App) {
        app.logs.prompt_error = None;
    }
    fn submit(&self, app: &mut App) {
        app.submit_log_prompt();
    }
    fn cancel(&self, app: &mut App) {
        app.logs.prompt = None;
    }
    /// Tab completes in the query prompt.
    fn applies(&self, app: &App, action: Action) -> bool {
        match action {
            Action::NextField => app.logs.prompt.as_ref().is_some_and(|(k, _)| *k == LogPrompt::Query),
            _ => !matches!(action, Action::PrevField | Action::ToggleDryRun),
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area)
    }
}
