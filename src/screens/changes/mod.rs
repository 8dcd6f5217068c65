//! What changed (deploys, rollbacks, runbooks, silences, windows) and what is coming, for the estate or
//! the selected service.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::{Screen, View, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Changes;

impl View for Changes {
    fn title(&self) -> &'static str {
        "Changes"
    }
    fn keys(&self) -> &'static str {
        "changes"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Changes, app.changes.form.is_some() || app.changes.cancel.is_some())
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.change_rows().len();
        Some((&mut app.changes.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::NewWindow => app.new_window_form(),
            Action::CancelWindow => app.cancel_window_prompt(),
            // The selected service's changes, or back to the estate's when they are shown already.
            Action::ChangesScope => {
                let selected = app.selected_service().map(|v| v.service.name.clone());
                app.scope_changes(if app.changes.service == selected { None } else { selected });
            }
            _ => return false,
        }
        true
    }
    /// A service's changes follow the selection: the service chosen since, its charts as of now.
    fn shown(&self, app: &mut App) {
        if app.changes.service.is_some() {
            app.scope_changes(app.selected_service().map(|v| v.service.name.clone()));
        }
    }
    /// The id of a window to cancel, or the new window's form.
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        let c = &mut app.changes;
        match &mut c.cancel {
            Some(t) => Some(t as &mut dyn Form),
            None => c.form.as_mut().map(|f| f as &mut dyn Form),
        }
    }
    fn submit(&self, app: &mut App) {
        if app.changes.cancel.is_some() {
            app.submit_cancel_window();
        } else if app.changes.form.is_some() {
            app.submit_window_form();
        }
    }
    fn cancel(&self, app: &mut App) {
        app.changes.form = None;
        app.changes.cancel = None;
    }
    fn applies(&self, app: &App, action: Action) -> bool {
        match action {
            Action::NextField | Action::PrevField => app.changes.cancel.is_none() && app.changes.form.is_some(),
            _ => action != Action::ToggleDryRun,
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area)
    }
}
