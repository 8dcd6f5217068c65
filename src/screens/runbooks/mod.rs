//! Runbooks: the list (and the runs in progress), and one run's steps.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::input::step;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::{Screen, View, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Runbooks;
pub struct Run;

impl View for Runbooks {
    fn title(&self) -> &'static str {
        "Runbooks"
    }
    fn keys(&self) -> &'static str {
        "runbooks"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Runbooks, app.runbooks.form.is_some())
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.runbooks.books.len() + app.runbooks.runs.len();
        Some((&mut app.runbooks.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            // A runbook opens its form; a run in the list below them opens the run.
            Action::StartRunbook => {
                let (sel, n) = (app.runbooks.selected, app.runbooks.books.len());
                if sel < n {
                    app.runbook_form(sel, Default::default());
                } else if sel - n < app.runbooks.runs.len() {
                    app.runbooks.current = sel - n;
                    app.go_run();
                }
            }
            Action::ToggleDryRun => {
                if let Some(f) = &mut app.runbooks.form {
                    f.dry_run = !f.dry_run;
                }
            }
            _ => return false,
        }
        true
    }
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        app.runbooks.form.as_mut().map(|f| f as &mut dyn Form)
    }
    fn submit(&self, app: &mut App) {
        app.submit_runbook_form();
    }
    fn cancel(&self, app: &mut App) {
        app.runbooks.form = None;
    }
    fn applies(&self, app: &App, action: Action) -> bool {
        match action {
            Action::NextField | Action::PrevField => app.runbooks.form.as_ref().is_some_and(|f| f.fields.len() > 1),
            _ => true,
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw_list(app, f, area)
    }
}

impl View for Run {
    fn title(&self) -> &'static str {
        "Run"
    }
    fn keys(&self) -> &'static str {
        "run"
    }
    fn context(&self, app: &App) -> Context {
        let prompt = app.runbooks.runs.get(app.runbooks.current).is_some_and(|r| r.prompt.is_some());
        own(Screen::Run, prompt)
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let r = app.runbooks.runs.get_mut(app.runbooks.current)?;
        let n = r.states.len();
        Some((&mut r.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        let checklist = app.current_run().is_some_and(|r| r.checklist.is_some());
        match action {
            // A manual step's checklist, while open, takes the movement keys and Esc.
            a if crate::screens::is_move(a) && checklist => {
                if let Some(c) = app.current_run().and_then(|r| r.checklist.as_mut()) {
                    c.cursor = step(c.cursor, c.items.len(), a);
                }
            }
            Action::Back if checklist => {
                if let Some(r) = app.current_run() {
                    r.checklist = None;
                    r.notice = Some("Checklist put away: nothing was run.".into());
                }
            }
            Action::RunStep => app.run_selected_step(),
            Action::RunRest => app.run_rest(),
            Action::PauseRun => app.pause_run(),
            Action::TickItem => app.tick_item(),
            Action::SkipStep => app.skip_selected_step(),
            Action::AbortRun => app.ask_abort_run(),
            _ => return false,
        }
        true
    }
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        let run = app.runbooks.runs.get_mut(app.runbooks.current)?;
        run.prompt.as_mut().map(|p| p as &mut dyn Form)
    }
    fn submit(&self, app: &mut App) {
        app.submit_run_prompt();
    }
    /// The question goes unanswered: running the rest stops here.
    fn cancel(&self, app: &mut App) {
        if let Some(r) = app.current_run()
            && r.prompt.take().is_some()
        {
            r.auto = false;
        }
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw_run(app, f, area)
    }
}
