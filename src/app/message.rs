//! One way in, one way out. Everything that reaches the console — a terminal event, the clock, a
//! source's update, a worker's result — is a [`Msg`] handled by [`App::update`]; everything the console
//! asks of the world — a query, a silence, a runbook step, a rollback, a window — is an [`Effect`] taken
//! with [`App::take_effects`] and carried out by the runtime (`app::event_loop`), which owns the tasks and the
//! channels. So the state machine runs in tests without a terminal or a network: feed messages, read
//! the effects and the drawn buffer.
use super::state::App;
use crate::incidents::model::Source;
use crate::ops::rollback_tasks::{RollbackCommand, RollbackUpdate};
use crate::ops::runbook_tasks::{RunCommand, RunUpdate, Start};
use crate::sources::alertmanager::{AlertCommand, AlertUpdate};
use crate::sources::logs::{LogCommand, LogUpdate};
use crate::sources::pagerduty::poller::{IncidentCommand, IncidentUpdate};
use crate::sources::prometheus::{Command, Update};
use crate::sources::traces::{TraceCommand, TraceUpdate};
use chrono::{DateTime, Utc};

/// An input to the console.
#[derive(Debug)]
pub enum Msg {
    /// A key, a paste, a resize.
    Terminal(crossterm::event::Event),
    /// The clock's new second.
    Tick(DateTime<Utc>),
    Prometheus(Update),
    Alerts(AlertUpdate),
    Incidents(IncidentUpdate),
    Logs(LogUpdate),
    Traces(TraceUpdate),
    Run(RunUpdate),
    Rollback(RollbackUpdate),
    /// A maintenance reconciler's pass over the windows' silences.
    WindowPass(crate::maintenance::reconcile::Pass),
    /// A window added from the console was written to the team's file (or why not).
    WindowAdded(Result<String, String>),
    /// What was done to the built-in estate (a runbook step in a drill, a rollback).
    EstateChange(crate::estate::changes::Change),
    AuditRead(crate::screens::audit::state::AuditRead),
    /// The audit gate refused an action: it could not be recorded first, or the policy forbids it.
    Refused {
        action: String,
        error: String,
    },
    /// An effect could not be handed to its worker: busy, or not configured.
    NotDelivered(Worker),
    /// An environment's summary (its own task's, by name).
    Environment(String, Box<crate::sources::environment::Summary>),
}

/// The workers an effect goes to, for saying which one did not take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Worker {
    Maintenance,
    Rollbacks,
    Logs,
    Traces,
    Run(u64),
}

/// Something the console asks the world to do.
pub enum Effect {
    /// A fault to inject into the built-in estate, or the end of a drill's faults.
    Drill(crate::drills::session::Effect),
    /// A silence or its expiry (audited first).
    Alertmanager(AlertCommand),
    /// An acknowledgement, resolution or note (audited first).
    Incident(Source, IncidentCommand),
    /// A runbook run to start (the runtime gives it the sources' clients).
    StartRun(Box<Start>),
    RunCommand(u64, RunCommand),
    AddWindow(crate::maintenance::console::Edit),
    Rollback(RollbackCommand),
    /// Read the audit trail (for its screen).
    ReadAudit,
    /// Ask every environment for this service's deploy history (a service across environments).
    AcrossHistory(String, u64),
    /// Ring the terminal bell.
    Bell,
    /// Put the text on the terminal's clipboard.
    Copy(String),
    Logs(LogCommand),
    Traces(TraceCommand),
    Prometheus(Command),
    /// Save the explorer's history.
    SaveHistory(Vec<String>),
}

impl App {
    /// Handle one input.
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Terminal(ev) => self.on_event(ev),
            Msg::Tick(now) => self.on_tick(now),
            Msg::Prometheus(u) => self.on_update(u),
            Msg::Alerts(u) => self.on_alert_update(u),
            Msg::Incidents(u) => self.on_incident_update(u),
            Msg::Logs(u) => self.on_log_update(u),
            Msg::Traces(u) => self.on_trace_update(u),
            Msg::Run(u) => self.on_run_update(u),
            Msg::Rollback(u) => self.on_rollback_update(u),
            Msg::WindowPass(p) => self.on_window_pass(p),
            Msg::WindowAdded(r) => self.on_window_added(r),
            Msg::EstateChange(c) => self.on_estate_change(c),
            Msg::AuditRead(r) => self.on_audit_read(r),
            Msg::Refused { action, error } => self.on_refused(&action, &error),
            Msg::NotDelivered(w) => self.not_delivered(w),
            Msg::Environment(name, s) => self.on_environment(name, *s),
        }
    }

    /// Everything the last inputs asked for, in the order the runtime carries it out.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        let mut out: Vec<Effect> = self.take_drill_effects().into_iter().map(Effect::Drill).collect();
        out.extend(self.take_alert_commands().into_iter().map(Effect::Alertmanager));
        out.extend(self.take_incident_commands().into_iter().map(|(s, c)| Effect::Incident(s, c)));
        for (book, values, id, resume) in self.take_run_starts() {
            out.push(Effect::StartRun(Box::new(self.run_start(book, values, id, resume))));
        }
        out.extend(self.take_run_commands().into_iter().map(|(id, c)| Effect::RunCommand(id, c)));
        out.extend(self.take_window_adds().into_iter().map(Effect::AddWindow));
        out.extend(self.take_rollback_commands().into_iter().map(Effect::Rollback));
        if let Some((s, seq)) = self.envs.ask_history.take() {
            out.push(Effect::AcrossHistory(s, seq));
        }
        if self.take_audit_request() {
            out.push(Effect::ReadAudit);
        }
        if self.take_bell() {
            out.push(Effect::Bell);
        }
        out.extend(self.take_clipboard().map(Effect::Copy));
        out.extend(self.take_log_commands().into_iter().map(Effect::Logs));
        out.extend(self.take_trace_commands().into_iter().map(Effect::Traces));
        out.extend(self.take_commands().into_iter().map(Effect::Prometheus));
        if std::mem::take(&mut self.explorer.history_dirty) {
            out.push(Effect::SaveHistory(self.explorer.history.clone()));
        }
        out
    }

    fn not_delivered(&mut self, w: Worker) {
        self.dirty = true;
        match w {
            Worker::Maintenance => {
                self.report("No [maintenance] file configured, or it is busy: the window was not added.")
            }
            Worker::Rollbacks => self.report("The rollback worker is busy: not sent."),
            Worker::Logs => {
                self.logs.notice = Some((false, "The log store is busy or not configured: not sent.".into()))
            }
            Worker::Traces => {
                self.traces.error = Some(crate::text::Clean::new("the trace store is busy or not configured"))
            }
            Worker::Run(run) => self.on_run_update(RunUpdate::Refused {
                run,
                step: None,
                error: "the run's task is busy or gone".into(),
            }),
        }
    }
}
