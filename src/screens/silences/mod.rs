//! Silences: new, extended by an hour, expired — each audited first.
pub mod draw;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::{Screen, View, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Silences;

impl View for Silences {
    fn title(&self) -> &'static str {
        "Silences"
    }
    fn keys(&self) -> &'static str {
        "silences"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Silences, app.alerts.editor.is_some() || app.alerts.filter.is_some())
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.alerts.silences.len();
        Some((&mut app.alerts.silence_selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::NewSilence => app.new_silence(),
            Action::ExtendSilence => app.edit_selected_silence(Some(std::time::Duration::from_secs(3600))),
            Action::ExpireSilence => app.expire_selected_silence(),
            _ => return false,
        }
        true
    }
    /// The silence editor over the list (the alerts' filter, opened there, is theirs).
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        let a = &mut app.alerts;
        match &mut a.editor {
            Some(ed) => Some(ed as &mut dyn Form),
            None => a.filter.as_mut().map(|t| t as &mut dyn Form),
        }
    }
    fn typed(&self, app: &mut App) {
        if app.alerts.editor.is_none() {
            app.update_filter();
        }
    }
    fn submit(&self, app: &mut App) {
        if app.alerts.editor.is_some() {
            app.submit_silence();
        } else if app.alerts.filter_error.is_none() {
            app.alerts.filter = None;
        }
    }
    /// The editor closes; a filter that did not parse is dropped, one that did stays applied.
    fn cancel(&self, app: &mut App) {
        if app.alerts.editor.take().is_none()
            && app.alerts.filter.take().is_some()
            && app.alerts.filter_error.take().is_some()
        {
            app.alerts.filter_matchers.clear();
        }
    }
    fn applies(&self, app: &App, action: Action) -> bool {
        match action {
            Action::NextField | Action::PrevField => app.alerts.editor.is_some(),
            _ => action != Action::ToggleDryRun,
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area);
        if app.alerts.editor.is_some() {
            draw::draw_editor(app, f, area);
        }
    }
}
