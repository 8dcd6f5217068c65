//! A service: its charts over the chosen range, its scrape targets and its SLO panel.
pub mod draw;
use crate::app::App;
use crate::app::keymap::Context;
use crate::screens::{Screen, View};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Detail;

impl View for Detail {
    fn title(&self) -> &'static str {
        "Service"
    }
    fn keys(&self) -> &'static str {
        "detail"
    }
    fn context(&self, _app: &App) -> Context {
        Context::Screen(Screen::Detail)
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.selected_service().map_or(0, |s| s.detail.targets.len());
        Some((&mut app.target_scroll, n))
    }
    fn shown(&self, app: &mut App) {
        app.target_scroll = 0;
        app.request_detail();
        if let Some(name) = app.selected_service().map(|v| v.service.name.clone()) {
            app.drill_saw(&name, "the detail");
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area)
    }
}
