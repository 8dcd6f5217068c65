//! Silences: new, extended by an hour, expired — each audited first.
pub mod draw;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::alerts::Alerts;
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
    // The silence editor is the alerts' (it opens from an alert too): the same form, the same keys.
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        Alerts.form(app)
    }
    fn typed(&self, app: &mut App) {
        Alerts.typed(app)
    }
    fn submit(&self, app: &mut App) {
        Alerts.submit(app)
    }
    fn cancel(&self, app: &mut App) {
        Alerts.cancel(app)
    }
    fn applies(&self, app: &App, action: Action) -> bool {
        Alerts.applies(app, action)
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area);
        if app.alerts.editor.is_some() {
            draw::draw_editor(app, f, area);
        }
    }
}
