//! The loop: terminal events in batches, source updates, a one-second clock and signals in; commands out
//! to the source (never awaited); a synchronized draw only when state changed.
use super::message::{Effect, Msg, Worker};
use super::state::App;
use crate::config::Config;
use crate::drills::session::Effect as DrillEffect;
use crate::estate::control::Control;
use crate::incidents::model::Source;
use crate::ops::gate::{Deliver, GateMsg, Outcome};
use crate::sources::alertmanager::{AlertCommand, AlertUpdate};
use crate::sources::logs::LogCommand;
use crate::sources::pagerduty::poller::{IncidentCommand, IncidentUpdate};
use crate::sources::prometheus::{Command, Prometheus};
use crate::sources::traces::TraceCommand;
use crate::term::Tui;
use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr};
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// The shortest time between two frames drawn for anything but a key (a flood of log lines).
const MIN_DATA_FRAME: Duration = Duration::from_millis(33);
/// How long a change that is not a key waits for company before it is drawn: the clock's new second and
/// the round that answers a few milliseconds after it go out as one frame, not two.
const SETTLE: Duration = Duration::from_millis(40);
/// The clock's new second alone waits longer: the round asked on the same aligned tick answers after a
/// round trip to Prometheus, and the two are one frame (the clock shows the second at most this late).
const TICK_SETTLE: Duration = Duration::from_millis(150);
/// When the start-up code pages are handed back (`memory::release_startup_code`): three refreshes in,
/// so the code of an ordinary round has run and is not paged out only to come straight back.
const RELEASE_STARTUP_AFTER: Duration = Duration::from_secs(15);

/// Draw the view, and tell the app when what was drawn goes out of date with time alone.
fn draw(tui: &mut Tui, app: &mut App) -> std::io::Result<()> {
    tui.draw(app)?;
    app.drawn(crate::ui::when::next());
    Ok(())
}

/// Sleep until `at`, or forever when there is nothing to wait for.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The next change to the estate; never, without one. A receiver that fell behind skips what it missed
/// (the change list is for people; a drill's mitigation is also seen by the figures recovering).
async fn next_change(
    rx: &mut Option<tokio::sync::broadcast::Receiver<crate::estate::changes::Change>>,
) -> crate::estate::changes::Change {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match rx.as_mut() {
            None => std::future::pending().await,
            Some(r) => match r.recv().await {
                Ok(c) => return c,
                Err(RecvError::Lagged(n)) => tracing::warn!("{n} estate changes missed"),
                Err(RecvError::Closed) => *rx = None,
            },
        }
    }
}

/// The terminal failed (its input, or a write of a frame): a hang-up sends SIGHUP at the same moment,
/// and whichever the loop sees first would decide the exit code. A SIGHUP arriving with it is the hang-up it is (129); without one,
/// only reads and writes fail (74).
async fn gone(sighup: &mut tokio::signal::unix::Signal) -> Exit {
    match tokio::time::timeout(Duration::from_millis(500), sighup.recv()).await {
        Ok(Some(())) => Exit::Signal("SIGHUP"),
        _ => Exit::TerminalGone,
    }
}

/// Why the loop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(&'static str),
    TerminalGone,
    /// The user asked for another of the config's environments (`N`): open it, where this one was.
    Switch {
        to: String,
        at: Resume,
    },
}

/// Where the console was when it left an environment, to be kept in the next: the screen and the
/// selected service (when the next one has it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resume {
    pub screen: Option<super::Screen>,
    pub service: Option<String>,
}

/// The terminal's input, read on its own thread for as long as the console runs: kept across
/// environments, so no key is read by a reader no one listens to any more.
pub type Input = mpsc::Receiver<std::io::Result<crossterm::event::Event>>;

/// What lasts while the console moves between environments: the terminal's input, and every
/// environment's summary task (the open one's rests: the console has its figures).
pub struct Session {
    pub input: Input,
    pub summaries: Option<crate::sources::environment::Summaries>,
    pub envs: Vec<crate::sources::environment::Handle>,
    /// The latest summary of each environment: the next environment's console starts with them.
    pub last: std::collections::BTreeMap<String, crate::sources::environment::Summary>,
}

impl Session {
    pub fn new(input: Input) -> Self {
        Session { input, summaries: None, envs: Vec::new(), last: Default::default() }
    }
}

async fn next_summary(
    rx: &mut Option<crate::sources::environment::Summaries>,
) -> (String, Box<crate::sources::environment::Summary>) {
    match rx {
        Some(r) => match r.recv().await {
            Some(s) => s,
            None => {
                *rx = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

/// What runs beside the console in this process.
#[derive(Default)]
pub struct Attached {
    /// The built-in estate (the demo), for drills.
    pub estate: Option<mpsc::Sender<Control>>,
    /// What operators do to the built-in estate (runbook steps in drills, rollbacks), as it happens.
    pub estate_changes: Option<tokio::sync::broadcast::Receiver<crate::estate::changes::Change>>,
    /// The direct scrape of the config's `[scrape]` targets, read while Prometheus is down.
    pub fallback: Option<crate::config::HttpSource>,
}

/// Runs the console until quit, a signal, a lost terminal or a switch of environment; `at` is where a
/// switch left the last one.
pub async fn run(
    config: &Config,
    tui: &mut Tui,
    attached: Attached,
    session: &mut Session,
    at: Resume,
) -> Result<Exit> {
    let here = config.environment.as_ref().map(|e| e.name.as_str());
    for h in &session.envs {
        let rest = Some(h.name.as_str()) == here;
        // The environment just left reads itself again now, not at its next round.
        if !rest && h.resting.swap(rest, std::sync::atomic::Ordering::Relaxed) {
            h.wake.notify_one();
        }
        h.resting.store(rest, std::sync::atomic::Ordering::Relaxed);
    }
    let histories: Vec<(String, mpsc::Sender<(String, u64)>)> =
        session.envs.iter().map(|h| (h.name.clone(), h.history.clone())).collect();
    let events = &mut session.input;
    // Signals are caught from the start: one that arrives while sources start still restores the terminal.
    let mut sigterm = signal(SignalKind::terminate()).wrap_err("SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).wrap_err("SIGHUP handler")?;
    let mut app = App::new(config, Utc::now());
    app.resume(&at);
    for (name, s) in &session.last {
        app.on_environment(name.clone(), s.clone());
    }
    app.explorer.history = super::history::load(&super::history::path());
    app.theme = app.theme.clone().honour_no_color(std::env::var("NO_COLOR").ok().as_deref());
    if let Some((scenario, random)) = &config.start_drill {
        app.arm_drill(scenario.clone(), *random);
    }

    // The first frame goes out before any backend has answered.
    draw(tui, &mut app)?;
    app.take_dirty();
    // For the test that proves a panic restores the terminal; nothing else sets this.
    if std::env::var_os("WATCHPOST_TEST_PANIC").is_some() {
        panic!("WATCHPOST_TEST_PANIC is set");
    }
    let (mut rt, mut inbox) = super::startup::start(config, &mut app, attached)?;
    rt.histories = histories;

    let mut release_startup_at = Some(tokio::time::Instant::now() + RELEASE_STARTUP_AFTER);
    // On the wall clock's seconds, in the same phase as the pollers' rounds (`time::next_aligned`).
    let first_tick = tokio::time::Instant::from_std(crate::time::next_aligned(Duration::from_secs(1)));
    let mut clock = tokio::time::interval_at(first_tick, Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut batch = Vec::with_capacity(64);
    let mut log_batch = Vec::with_capacity(64);
    // A flood of log lines redraws at most this often; keys and everything else draw at once.
    let mut last_draw = tokio::time::Instant::now();
    let mut draw_due: Option<tokio::time::Instant> = None;

    if let Some(p) = crate::logging::problem() {
        app.report(format!("Note: {p}."));
    }
    let exit = loop {
        let msg = tokio::select! {
            ev = events.recv() => match ev {
                Some(Ok(ev)) => Msg::Terminal(ev),
                // EOF or an I/O error on the terminal: the SSH session is gone.
                Some(Err(e)) => { tracing::warn!("terminal input failed: {e}"); break gone(&mut sighup).await; }
                None => break gone(&mut sighup).await,
            },
            _ = inbox.prometheus.recv_many(&mut batch, 64) => {
                // A batch is one turn: all but its last update go in here, the last below.
                let Some(last) = batch.pop() else { continue };
                batch.drain(..).for_each(|u| app.update(Msg::Prometheus(u)));
                Msg::Prometheus(last)
            }
            _ = inbox.logs.recv_many(&mut log_batch, 64) => {
                let Some(last) = log_batch.pop() else { continue };
                log_batch.drain(..).for_each(|u| app.update(Msg::Logs(u)));
                Msg::Logs(last)
            }
            Some(u) = inbox.alerts.recv() => {
                if let AlertUpdate::SilenceDone { what, result } = &u {
                    let outcome = match result {
                        Ok(v) => Outcome::Done(v.clone()),
                        Err(e) => Outcome::Failed(e.to_string()),
                    };
                    rt.outcome("silence", what, outcome);
                }
                Msg::Alerts(u)
            }
            Some(u) = inbox.incidents.recv() => {
                if let IncidentUpdate::Done { what, result } = &u {
                    use crate::sources::pagerduty::poller::NotDone;
                    let outcome = match result {
                        Ok(()) => Outcome::Done(String::new()),
                        Err(NotDone::Failed(why)) => Outcome::Failed(why.to_string()),
                        Err(NotDone::Unknown(why)) => Outcome::Unknown(why.to_string()),
                    };
                    rt.outcome("incident", what, outcome);
                }
                Msg::Incidents(u)
            }
            Some(r) = inbox.refused.recv() => Msg::Refused { action: r.action, error: r.error },
            Some(r) = inbox.audit.recv() => Msg::AuditRead(r),
            Some(u) = inbox.runs.recv() => Msg::Run(u),
            Some(u) = inbox.rollbacks.recv() => Msg::Rollback(u),
            Some(p) = inbox.window_passes.recv() => Msg::WindowPass(p),
            Some(r) = inbox.windows_added.recv() => Msg::WindowAdded(r),
            c = next_change(&mut inbox.estate_changes) => Msg::EstateChange(c),
            Some(u) = inbox.traces.recv() => Msg::Traces(u),
            (name, s) = next_summary(&mut session.summaries) => {
                session.last.insert(name.clone(), (*s).clone());
                Msg::Environment(name, s)
            }
            _ = sleep_until(draw_due) => {
                draw_due = None;
                if app.take_dirty() && draw(tui, &mut app).is_err() { break gone(&mut sighup).await; }
                last_draw = tokio::time::Instant::now();
                continue;
            }
            _ = clock.tick() => {
                // Start-up is over once the first rounds are in: its code pages may go.
                if release_startup_at.is_some_and(|at| tokio::time::Instant::now() >= at) {
                    release_startup_at = None;
                    let mappings = crate::memory::release_startup_code();
                    tracing::debug!(mappings, "start-up pages released");
                }
                Msg::Tick(Utc::now())
            }
            _ = sigterm.recv() => break Exit::Signal("SIGTERM"),
            _ = sighup.recv() => break Exit::Signal("SIGHUP"),
        };
        let by_input = matches!(msg, Msg::Terminal(_));
        let settle = if matches!(msg, Msg::Tick(_)) { TICK_SETTLE } else { SETTLE };
        if let Msg::Terminal(crossterm::event::Event::Resize(w, h)) = msg
            && tui.resize(w, h).is_err()
        {
            break gone(&mut sighup).await;
        }
        app.update(msg);
        for effect in app.take_effects() {
            if let Some(reply) = rt.execute(effect, tui) {
                app.update(reply);
            }
        }
        if app.quit {
            break Exit::Quit;
        }
        if let Some(to) = app.switch_to.take() {
            let service = app.services.get(app.selected).map(|v| v.service.name.clone());
            break Exit::Switch { to, at: Resume { screen: Some(app.screen), service } };
        }
        // Keys draw at once; anything else a moment later, with whatever else arrives meanwhile.
        let now = tokio::time::Instant::now();
        if app.dirty && !by_input {
            draw_due.get_or_insert((now + settle).max(last_draw + MIN_DATA_FRAME));
            continue;
        }
        if app.take_dirty() {
            if draw(tui, &mut app).is_err() {
                break gone(&mut sighup).await;
            }
            (last_draw, draw_due) = (now, None);
        }
    };
    // Runs hear why the console ends, so a step killed by it is journalled with the reason.
    let why = match &exit {
        Exit::Quit => "the console quit".to_string(),
        Exit::Signal(s) => format!("the console ended on {s}"),
        Exit::TerminalGone => "the terminal was lost".to_string(),
        Exit::Switch { to, .. } => format!("the console left for environment {to}"),
    };
    rt.end_runs(&why).await;
    rt.end_rollback(&why).await;
    drop(inbox);
    Ok(exit)
}

/// What carries out the console's effects: the channels to every worker, and the clients runs need.
pub(super) struct Runtime {
    pub(super) estate: Option<mpsc::Sender<Control>>,
    pub(super) gate: std::sync::mpsc::Sender<GateMsg>,
    pub(super) alertmanager: mpsc::Sender<AlertCommand>,
    pub(super) pagerduty: mpsc::Sender<IncidentCommand>,
    pub(super) opsgenie: mpsc::Sender<IncidentCommand>,
    pub(super) run_tx: mpsc::Sender<crate::ops::runbook_tasks::RunUpdate>,
    pub(super) run_cmds: std::collections::HashMap<u64, mpsc::Sender<crate::ops::runbook_tasks::RunCommand>>,
    pub(super) run_prom: Option<Prometheus>,
    pub(super) run_vault: Option<crate::ops::vault::Vault>,
    /// The roles policy runs are decided by.
    pub(super) run_policy: Option<crate::ops::policy::Policy>,
    pub(super) windows: mpsc::Sender<crate::maintenance::console::Edit>,
    pub(super) rollbacks: mpsc::Sender<crate::ops::rollback_tasks::RollbackCommand>,
    pub(super) audit: (std::path::PathBuf, mpsc::Sender<crate::screens::audit::state::AuditRead>),
    pub(super) logs: mpsc::Sender<LogCommand>,
    pub(super) traces: mpsc::Sender<TraceCommand>,
    pub(super) prometheus: mpsc::Sender<Command>,
    pub(super) history_path: std::path::PathBuf,
    /// Each environment's summary task, asked for a service's deploy history.
    pub(super) histories: Vec<(String, mpsc::Sender<(String, u64)>)>,
}

impl Runtime {
    /// Tell every run the console is ending and wait (briefly) until each has journalled and stopped.
    async fn end_runs(&self, why: &str) {
        for tx in self.run_cmds.values() {
            let _ = tx.try_send(crate::ops::runbook_tasks::RunCommand::End(why.to_string()));
        }
        let ended = futures::future::join_all(self.run_cmds.values().map(|tx| tx.closed()));
        if tokio::time::timeout(Duration::from_secs(2), ended).await.is_err() {
            tracing::warn!("runs still ending after 2 s: leaving them to the journal's interrupted state");
        }
    }

    /// Tell a running rollback the console is ending and wait (briefly) until the trail has it.
    async fn end_rollback(&self, why: &str) {
        let (done, recorded) = tokio::sync::oneshot::channel();
        let end = crate::ops::rollback_tasks::RollbackCommand::End { why: why.to_string(), done };
        if self.rollbacks.try_send(end).is_ok() && tokio::time::timeout(Duration::from_secs(2), recorded).await.is_err()
        {
            tracing::warn!("the rollback still ending after 2 s");
        }
    }

    /// Record how an audited action ended (the audit thread writes it after the action's own record).
    fn outcome(&self, action: &str, what: &str, result: Outcome) {
        let _ = self.gate.send(GateMsg::Outcome { action: action.into(), what: what.into(), result });
    }

    /// Carry out one effect, never waiting on a worker: a worker that cannot take it now is said so.
    fn execute(&mut self, effect: Effect, tui: &mut Tui) -> Option<Msg> {
        let refused =
            |action: &str| Msg::Refused { action: action.into(), error: "the audit thread has stopped".into() };
        match effect {
            Effect::Drill(e) => {
                let control = match e {
                    DrillEffect::Inject(f) => Control::Inject(f),
                    DrillEffect::EndFaults(t) => Control::EndFaults(t),
                };
                if self.estate.as_ref().is_none_or(|tx| tx.try_send(control).is_err()) {
                    tracing::warn!("drill effect not delivered: the estate is busy or absent");
                }
            }
            Effect::Alertmanager(c) => {
                if self.gate.send(GateMsg::Action(Deliver::Alertmanager(self.alertmanager.clone(), c))).is_err() {
                    return Some(refused("silence"));
                }
            }
            Effect::Incident(source, c) => {
                let tx = match source {
                    Source::PagerDuty => self.pagerduty.clone(),
                    Source::Opsgenie => self.opsgenie.clone(),
                };
                if self.gate.send(GateMsg::Action(Deliver::Incidents(tx, c))).is_err() {
                    return Some(refused("incident"));
                }
            }
            Effect::StartRun(start) => {
                let mut start = *start;
                (start.prometheus, start.vault) = (self.run_prom.clone(), self.run_vault.clone());
                start.policy = self.run_policy.clone();
                let id = start.run;
                self.run_cmds.insert(id, crate::ops::runbook_tasks::spawn(start, self.run_tx.clone()));
            }
            Effect::RunCommand(id, c) => {
                if self.run_cmds.get(&id).is_none_or(|tx| tx.try_send(c).is_err()) {
                    return Some(Msg::NotDelivered(Worker::Run(id)));
                }
            }
            Effect::AddWindow(a) => return offer(&self.windows, a, Worker::Maintenance),
            Effect::Rollback(c) => return offer(&self.rollbacks, c, Worker::Rollbacks),
            Effect::AcrossHistory(service, seq) => {
                for (env, tx) in &self.histories {
                    if tx.try_send((service.clone(), seq)).is_err() {
                        tracing::warn!(%env, "deploy history not asked: its task is busy");
                    }
                }
            }
            Effect::ReadAudit => {
                let (path, tx) = self.audit.clone();
                tokio::task::spawn_blocking(move || {
                    let result = crate::screens::audit::state::read(&path);
                    let _ = tx.blocking_send(crate::screens::audit::state::AuditRead { at: Utc::now(), result });
                });
            }
            Effect::Bell => tui.bell(),
            Effect::Copy(text) => tui.copy(&text),
            Effect::Logs(c) => return offer(&self.logs, c, Worker::Logs),
            Effect::Traces(c) => return offer(&self.traces, c, Worker::Traces),
            Effect::Prometheus(c) => {
                if self.prometheus.try_send(c).is_err() {
                    tracing::debug!("source busy or absent; command dropped");
                }
            }
            Effect::SaveHistory(history) => {
                let path = self.history_path.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = super::history::save(&path, &history) {
                        tracing::warn!("cannot save explorer history to {}: {e}", path.display());
                    }
                });
            }
        }
        None
    }
}

/// Hand `value` to a worker without waiting; if it cannot take it now, the message that says so.
fn offer<T>(worker: &mpsc::Sender<T>, value: T, who: Worker) -> Option<Msg> {
    worker.try_send(value).err().map(|_| Msg::NotDelivered(who))
}
