//! The Incidents screens' state: PagerDuty's incidents, the selected one's log, its merged timeline,
//! and the changes asked for (acknowledge, resolve, note, reassign, escalate) as commands.
use crate::app::state::App;
use crate::incidents::model::{Incident, LogEntry, Source, Status};
use crate::sources::SourceHealth;
use crate::sources::pagerduty::poller::{IncidentCommand, IncidentUpdate, NotDone};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Note,
    Reassign,
}

#[derive(Debug, Default)]
pub struct IncidentsView {
    pub configured: bool,
    pub health: Option<SourceHealth>,
    pub incidents: Vec<Incident>,
    pub at: Option<DateTime<Utc>>,
    pub cut: bool,
    /// Why the last listing failed, or which part of it did (the rest of the list is then current).
    pub unreachable: Option<Clean>,
    pub selected: usize,
    /// The open incident's log, by id.
    pub log: Option<(String, Result<Vec<LogEntry>, Clean>)>,
    pub prompt: Option<(PromptKind, TextArea<'static>)>,
    pub notice: Option<(bool, String)>,
    /// Each change goes to the service that reported the incident.
    pub(crate) commands: Vec<(Source, IncidentCommand)>,
}

impl IncidentsView {
    /// Open ones first (triggered, then acknowledged), newest first; then the resolved.
    pub fn sorted(&self) -> Vec<&Incident> {
        let mut v: Vec<&Incident> = self.incidents.iter().collect();
        v.sort_by_key(|a| (a.status, std::cmp::Reverse(a.created_at)));
        v
    }

    pub fn selected_incident(&self) -> Option<&Incident> {
        self.sorted().get(self.selected).copied()
    }
}

impl App {
    pub fn on_incident_update(&mut self, u: IncidentUpdate) {
        self.dirty = true;
        let v = &mut self.incidents;
        match u {
            IncidentUpdate::Health(h) => v.health = Some(h),
            IncidentUpdate::Unreachable(e) => v.unreachable = Some(e),
            IncidentUpdate::Snapshot { at, source, incidents, cut, errors } => {
                let mut incidents = incidents;
                incidents.extend(v.incidents.iter().filter(|i| i.source != source).cloned());
                // With PagerDuty the KPIs come from its incident history.
                let mut spans: Vec<(String, Vec<crate::alerts::kpi::Span>)> = Vec::new();
                for i in &incidents {
                    let span = crate::alerts::kpi::Span { start: i.created_at, end: i.resolved_at };
                    match spans.iter_mut().find(|(n, _)| n == i.service.raw()) {
                        Some((_, s)) => s.push(span),
                        None => spans.push((i.service.raw().to_string(), vec![span])),
                    }
                }
                self.kpis.spans = spans;
                self.kpis.at = Some(at);
                self.kpis.window = crate::screens::kpis::state::WINDOW;
                self.kpis.source = "PagerDuty's incidents";
                v.incidents = incidents;
                v.at = Some(at);
                v.cut = cut;
                let errors: Vec<&str> = errors.iter().map(Clean::raw).collect();
                v.unreachable = (!errors.is_empty()).then(|| Clean::new(&errors.join("; ")));
                v.selected = v.selected.min(v.incidents.len().saturating_sub(1));
            }
            IncidentUpdate::Log { id, entries } => v.log = Some((id, entries)),
            IncidentUpdate::Done { what, result } => {
                v.notice = Some(match result {
                    Ok(()) => (true, what),
                    Err(NotDone::Failed(e)) => (false, format!("{what} failed: {e}")),
                    // Not "failed": it may have been done, and sending it again could do it twice.
                    Err(NotDone::Unknown(e)) => {
                        (false, format!("{what}: outcome unknown ({e}); check the incident before sending it again"))
                    }
                })
            }
        }
    }

    pub fn take_incident_commands(&mut self) -> Vec<(Source, IncidentCommand)> {
        std::mem::take(&mut self.incidents.commands)
    }

    fn selected_incident_id(&mut self) -> Option<(Source, String)> {
        let id = self.incidents.selected_incident().map(|i| (i.source, i.id.clone()));
        if id.is_none() {
            self.incidents.notice = Some((false, "No incident selected.".into()));
        }
        id
    }

    /// The trainee did `what` to the selected incident: a drill's detection, when the incident is on
    /// the drill's service.
    fn drill_saw_incident(&mut self, what: &str) {
        if let Some(i) = self.incidents.selected_incident() {
            self.drills.saw(self.now, i.service.raw(), what);
        }
    }

    pub(crate) fn incident_status(&mut self, s: Status) {
        self.drill_saw_incident(match s {
            Status::Acknowledged => "an acknowledgement",
            Status::Resolved => "a resolution",
            Status::Triggered => "a status change",
        });
        if let Some((src, id)) = self.selected_incident_id() {
            self.incidents.notice = Some((true, format!("sending: {} {id}…", s.as_str())));
            self.incidents.commands.push((src, IncidentCommand::SetStatus(id, s)));
        }
    }

    pub(crate) fn incident_escalate(&mut self) {
        self.drill_saw_incident("an escalation");
        if let Some(i) = self.incidents.selected_incident() {
            let (src, id, level) = (i.source, i.id.clone(), i.escalation_level + 1);
            self.incidents.notice = Some((true, format!("escalating {id} to level {level}…")));
            self.incidents.commands.push((src, IncidentCommand::Escalate(id, level)));
        }
    }

    pub(crate) fn incident_prompt(&mut self, kind: PromptKind) {
        if self.incidents.selected_incident().is_some() {
            let mut t = TextArea::default();
            t.set_placeholder_text(match kind {
                PromptKind::Note => "a note for the incident's timeline",
                PromptKind::Reassign => "PagerDuty user id, e.g. PABC123",
            });
            self.incidents.prompt = Some((kind, t));
        }
    }

    pub(crate) fn submit_incident_prompt(&mut self) {
        let Some((kind, text)) = self.incidents.prompt.take() else { return };
        let text = text.lines().join(" ").trim().to_string();
        let Some((src, id)) = self.selected_incident_id() else { return };
        if text.is_empty() {
            self.incidents.notice = Some((false, "Nothing to send.".into()));
            return;
        }
        self.drill_saw_incident(match kind {
            PromptKind::Note => "a note",
            PromptKind::Reassign => "a reassignment",
        });
        match kind {
            PromptKind::Note => self.incidents.commands.push((src, IncidentCommand::Note(id, text))),
            PromptKind::Reassign => match crate::sources::pagerduty::user_id(&text) {
                Some(user) => self.incidents.commands.push((src, IncidentCommand::Reassign(id, user))),
                None => {
                    self.incidents.notice =
                        Some((false, format!("`{}` is not a PagerDuty user id", crate::text::sanitize(&text))))
                }
            },
        }
    }

    /// Open the selected incident's timeline: ask for its log.
    pub(crate) fn open_incident(&mut self) {
        self.drill_saw_incident("the incident");
        if let Some((src, id)) = self.incidents.selected_incident().map(|i| (i.source, i.id.clone())) {
            self.incidents.log = None;
            self.incidents.commands.push((src, IncidentCommand::Log(id)));
            self.go_incident();
        }
    }
}
