//! The PromQL explorer: a query with history and completion, its result as a table or a chart.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::{Screen, View};
use crate::sources::prometheus::Command;
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Explorer;

impl View for Explorer {
    fn title(&self) -> &'static str {
        "Explorer"
    }
    fn keys(&self) -> &'static str {
        "explorer"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, app: &App) -> Context {
        if app.explorer.editing { Context::Editing } else { Context::Screen(Screen::Explorer) }
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let ex = &app.explorer;
        let n = ex.result.as_ref().map_or(0, |r| r.outcome.as_ref().map_or(0, |o| o.result.series().len()));
        Some((&mut app.explorer.scroll, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::Edit => app.explorer.editing = true,
            Action::StopEditing => app.explorer.editing = false,
            Action::RunQuery => app.run_explorer_query(),
            Action::Complete => {
                if let Some(label) = app.explorer.complete() {
                    app.commands.push(Command::LabelValues { label });
                }
            }
            Action::HistoryPrev => app.explorer.history_prev(),
            Action::HistoryNext => app.explorer.history_next(),
            // The mode changes what is asked: the query is asked again at once, not on the next enter.
            Action::ToggleRangeQuery => {
                app.explorer.range_query = !app.explorer.range_query;
                app.run_explorer_query();
            }
            // A chart needs a range: an instant result is asked again as a range query (as the Graph tab
            // of Prometheus's own UI does), and the screen says so.
            Action::ToggleView => {
                app.explorer.chart = !app.explorer.chart;
                let instant = app.explorer.result.as_ref().is_some_and(|r| {
                    r.outcome
                        .as_ref()
                        .is_ok_and(|o| !matches!(o.result, crate::sources::prometheus::QueryResult::Matrix(_)))
                });
                if app.explorer.chart && instant && !app.explorer.range_query {
                    app.explorer.range_query = true;
                    app.run_explorer_query();
                    let range = app.range_label();
                    app.explorer.notice =
                        Some(format!("a chart needs a range: asked again over the last {range} (m: instant)"));
                }
            }
            _ => return false,
        }
        true
    }
    /// The query, while editing it.
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        let ex = &mut app.explorer;
        ex.editing.then_some(&mut ex.input as &mut dyn Form)
    }
    /// Completions and the last notice were for the old text.
    fn typed(&self, app: &mut App) {
        app.explorer.candidates.clear();
        app.explorer.notice = None;
    }
    fn shown(&self, app: &mut App) {
        if app.explorer.metric_names.is_empty() {
            app.commands.push(Command::MetricNames);
            app.commands.push(Command::LabelNames);
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw(app, f, area)
    }
}
