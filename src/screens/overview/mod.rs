//! The overview: a row per service, the selected one's SLO panel, and the live traces.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::input::step;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::{Screen, View, is_move, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Overview;

impl View for Overview {
    fn title(&self) -> &'static str {
        "Overview"
    }
    fn keys(&self) -> &'static str {
        "overview"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Overview, app.overview.filter.is_some())
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            // Moving in the live traces once they have focus (`v`), else through the rows.
            a if is_move(a) && app.traces.live_focus.is_some() => {
                let n = app.traces.live_list().len();
                if let Some(f) = &mut app.traces.live_focus {
                    *f = step(*f, n, a);
                }
            }
            a if is_move(a) => app.step_overview(a),
            Action::Open | Action::OpenTrace if app.traces.live_focus.is_some() => app.open_selected_trace(),
            Action::Open => {
                // A row the filter hides is not opened.
                if !app.services.is_empty() && app.overview.order(&app.services).contains(&app.selected) {
                    app.go(Screen::Detail, true);
                }
            }
            Action::ClearFilter => app.overview.filter_text.clear(),
            Action::FilterServices => app.overview_filter(),
            Action::SortServices => app.cycle_sort(),
            Action::GroupServices => app.toggle_grouping(),
            Action::LiveTraces => {
                let n = app.traces.live_list().len();
                app.traces.live_focus = match app.traces.live_focus {
                    Some(_) => None,
                    None if n > 0 => Some(0),
                    None => {
                        app.logs.notice = None;
                        None
                    }
                };
            }
            _ => return false,
        }
        true
    }
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        app.overview.filter.as_mut().map(|t| t as &mut dyn Form)
    }
    fn typed(&self, app: &mut App) {
        app.overview_filter_typed();
    }
    /// The filter stays as typed.
    fn submit(&self, app: &mut App) {
        app.overview.filter = None;
    }
    fn cancel(&self, app: &mut App) {
        app.overview.filter = None;
        app.overview.filter_text.clear();
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area)
    }
}
