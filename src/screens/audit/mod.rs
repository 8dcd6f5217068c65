//! The audit trail: who did what, and whether the chain verifies.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::{Screen, View, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Audit;

impl View for Audit {
    fn title(&self) -> &'static str {
        "Audit"
    }
    fn keys(&self) -> &'static str {
        "audit"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Audit, app.audit.filter.is_some())
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.audit.visible().len();
        Some((&mut app.audit.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::AuditFilter => app.audit_filter(),
            // The trail is read again, and the rest refreshes as everywhere.
            Action::Refresh => {
                app.request_audit();
                return false;
            }
            _ => return false,
        }
        true
    }
    fn shown(&self, app: &mut App) {
        app.request_audit();
    }
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        app.audit.filter.as_mut().map(|t| t as &mut dyn Form)
    }
    /// The entries narrow as the filter is typed.
    fn typed(&self, app: &mut App) {
        if let Some(t) = &app.audit.filter {
            app.audit.filter_text = t.lines().join("");
            app.audit.selected = 0;
        }
    }
    fn submit(&self, app: &mut App) {
        app.audit.filter = None;
    }
    fn cancel(&self, app: &mut App) {
        if app.audit.filter.take().is_some() {
            app.audit.filter_text.clear();
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area)
    }
}
