//! Incidents (PagerDuty, Opsgenie): the list, and one incident's timeline; both take the same actions.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::incidents::model::Status;
use crate::screens::{Screen, View, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Incidents;
pub struct Incident;

fn act(app: &mut App, action: Action) -> bool {
    use crate::screens::incidents::state::PromptKind;
    match action {
        Action::Acknowledge => app.incident_status(Status::Acknowledged),
        Action::Resolve => app.incident_status(Status::Resolved),
        Action::AddNote => app.incident_prompt(PromptKind::Note),
        Action::Reassign => app.incident_prompt(PromptKind::Reassign),
        Action::Escalate => app.incident_escalate(),
        _ => return false,
    }
    true
}

impl View for Incidents {
    fn title(&self) -> &'static str {
        "Incidents"
    }
    fn keys(&self) -> &'static str {
        "incidents"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Incidents, app.incidents.prompt.is_some())
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.incidents.incidents.len();
        Some((&mut app.incidents.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        if action == Action::Open {
            app.open_incident();
            return true;
        }
        act(app, action)
    }
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        app.incidents.prompt.as_mut().map(|p| p as &mut dyn Form)
    }
    fn submit(&self, app: &mut App) {
        app.submit_incident_prompt();
    }
    fn cancel(&self, app: &mut App) {
        app.incidents.prompt = None;
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw_list(app, f, area)
    }
}

/// The timeline takes the list's keys, selection and prompts.
impl View for Incident {
    fn title(&self) -> &'static str {
        "Incident"
    }
    fn keys(&self) -> &'static str {
        Incidents.keys()
    }
    fn context(&self, app: &App) -> Context {
        Incidents.context(app)
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        Incidents.cursor(app)
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        // Already open.
        action == Action::Open || act(app, action)
    }
    /// Enter opens the timeline from the list; here it is open already.
    fn applies(&self, app: &App, action: Action) -> bool {
        action != Action::Open && Incidents.applies(app, action)
    }
    fn form<'a>(&self, app: &'a mut App) -> Option<&'a mut dyn Form> {
        Incidents.form(app)
    }
    fn submit(&self, app: &mut App) {
        Incidents.submit(app)
    }
    fn cancel(&self, app: &mut App) {
        Incidents.cancel(app)
    }
    fn draw(&self, app: &App, f: &mut Frame, area: Rect) {
        draw::draw_timeline(app, f, area)
    }
}
