//! Traces: search results (failing first, then slowest), and one trace's waterfall.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::{Screen, View, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Traces;
pub struct Trace;

impl View for Traces {
    fn title(&self) -> &'static str {
        "Traces"
    }
    fn keys(&self) -> &'static str {
        "traces"
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Traces, app.traces.prompt.is_some())
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.traces.list.len();
        Some((&mut app.traces.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::OpenTrace => app.open_selected_trace(),
            Action::ErrorsOnly => {
                app.traces.errors_only = !app.traces.errors_only;
                app.search_traces();
            }
            Action::MinDuration => {
                let d = &crate::screens::traces::state::MIN_DURATIONS;
                let i = d.iter().position(|x| *x == app.traces.min_duration_us).map_or(0, |i| (i + 1) % d.len());
                app.traces.min_duration_us = d[i];
                app.search_traces();
            }
            Action::Search => app.trace_prompt(),
            // Already here.
            Action::Traces => {}
            _ => return false,
        }
        true
    }
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        app.traces.prompt.as_mut().map(|t| t as &mut dyn Form)
    }
    fn typed(&self, app: &mut App) {
        app.traces.prompt_error = None;
    }
    fn submit(&self, app: &mut App) {
        app.submit_trace_prompt();
    }
    fn cancel(&self, app: &mut App) {
        app.traces.prompt = None;
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw_list(app, f, area)
    }
}

impl View for Trace {
    fn title(&self) -> &'static str {
        "Trace"
    }
    fn keys(&self) -> &'static str {
        "trace"
    }
    fn context(&self, _app: &App) -> Context {
        Context::Screen(Screen::Trace)
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let w = app.traces.open.as_mut()?;
        let n = w.rows.len();
        Some((&mut w.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::Collapse => {
                if let Some(w) = &mut app.traces.open {
                    w.toggle();
                }
            }
            // The selected span's service, around the trace, filtered to its id.
            Action::Logs => app.logs_for_trace(),
            _ => return false,
        }
        true
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw_waterfall(app, f, area)
    }
}
