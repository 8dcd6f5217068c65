//! Alerts from Alertmanager: filtered by matchers, opened on their service's range, silenced.
pub mod draw;
pub mod state;
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use crate::screens::{Screen, View, own};
use ratatui::Frame;
use ratatui::layout::Rect;

pub struct Alerts;

impl View for Alerts {
    fn title(&self) -> &'static str {
        "Alerts"
    }
    fn keys(&self) -> &'static str {
        "alerts"
    }
    fn top_level(&self) -> bool {
        true
    }
    fn context(&self, app: &App) -> Context {
        own(Screen::Alerts, app.alerts.editor.is_some() || app.alerts.filter.is_some())
    }
    fn cursor<'a>(&self, app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        let n = app.alerts.visible().len();
        Some((&mut app.alerts.selected, n))
    }
    fn act(&self, app: &mut App, action: Action) -> bool {
        match action {
            Action::Open => app.open_alert(),
            Action::SilenceAlert => app.silence_selected_alert(),
            Action::Runbook if app.runbook_for_alert() => {}
            Action::Runbook => {
                let msg = match app.alerts.selected_alert() {
                    None => (false, "No alert selected.".to_string()),
                    Some(a) => match a.annotation("runbook_url").or_else(|| a.annotation("runbook")) {
                        Some(url) => (true, format!("runbook: {url}")),
                        None => (false, format!("{} has no runbook_url annotation", a.name())),
                    },
                };
                app.alerts.notice = Some(msg);
            }
            Action::Filter => {
                let text = app.alerts.filter_matchers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                let mut t = ratatui_textarea::TextArea::new(vec![text]);
                t.set_placeholder_text("severity=\"critical\", service=~\"pay.*\"");
                t.move_cursor(ratatui_textarea::CursorMove::End);
                app.alerts.filter = Some(t);
            }
            // Logs and traces of the alert's service, in the alert's window.
            Action::Logs => {
                if let Some((service, from, to, active)) = app.alert_window() {
                    app.open_logs(Some(&service), from, to, active);
                }
            }
            Action::Traces => {
                if let Some((service, from, to, _)) = app.alert_window() {
                    app.open_traces(Some(&service), from, to);
                }
            }
            _ => return false,
        }
        true
    }
    fn shown(&self, app: &mut App) {
        app.alerts.attention = 0;
    }
    /// The silence editor over the list, or the matcher filter.
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
            crate::screens::silences::draw::draw_editor(app, f, area);
        }
    }
}
