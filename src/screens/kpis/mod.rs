//! The on-call KPIs: incidents, MTTR, MTBF and error rates, per service and pooled.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::screens::{Screen, View};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Kpis;

impl View for Kpis {
    fn title(&self) -> &'static str {
        "KPIs"
    }
    fn keys(&self) -> &'static str {
        "kpis"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, _app: &App) -> Context {
        Context::Screen(Screen::Kpis)
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.services.len();
        Some((&mut app.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::Open if !app.services.is_empty() => app.go(Screen::Detail, true),
            Action::Open => {}
            _ => return false,
        }
        true
    }
    fn shown(&self, app: &mut App) {
        app.request_kpis();
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area)
    }
}
