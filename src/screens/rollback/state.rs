//! The Rollback screen's state: a service's versions, the one chosen, the checks and the plan shown
//! exactly as it will run, the typed confirmation (and a freeze's override reason), then the live
//! output and the watch's gates, and the outcome. No I/O: commands go to the rollback worker.
use crate::app::state::App;
use crate::deploy::Version;
use crate::ops::rollback::{Blocker, Gate, Outcome, Progress, gates, precheck};
use crate::ops::rollback_tasks::{RollbackCommand, RollbackUpdate, Start};
use ratatui_textarea::TextArea;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Loading,
    Choose,
    Confirm,
    Running,
    Done,
}

#[derive(Debug)]
pub struct RollbackView {
    pub service: String,
    pub phase: Phase,
    pub history: Vec<Version>,
    pub selected: usize,
    pub error: Option<String>,
    pub blockers: Vec<Blocker>,
    /// What will run, planned once when the version is chosen (and run exactly as shown).
    pub plan: Vec<crate::deploy::Action>,
    pub gates: Vec<Gate>,
    /// Typing the service's name (and, in a freeze, the override's reason first).
    pub input: Option<TextArea<'static>>,
    pub override_reason: Option<String>,
    pub lines: VecDeque<String>,
    pub holding: Vec<crate::ops::rollback::Reading>,
    pub held: std::time::Duration,
    pub outcome: Option<Result<Outcome, String>>,
}

const LINES: usize = 500;

impl App {
    /// `R`: the selected service's rollback, starting with its versions.
    pub(crate) fn open_rollback(&mut self) {
        let Some(service) = self.services.get(self.selected).map(|v| v.service.name.clone()) else { return };
        if self.rollback.as_ref().is_some_and(|r| r.phase == Phase::Running) {
            self.go(crate::app::Screen::Rollback, true);
            return;
        }
        let Some(p) = self.deploy.get(&service).cloned() else {
            self.report(format!("No deploy provider for {service}: add [deploy.{service}] to the config."));
            return;
        };
        // In a drill, going to roll the service back is acting on the problem.
        self.drill_saw(&service, "the rollback");
        self.rollback = Some(RollbackView {
            service,
            phase: Phase::Loading,
            history: Vec::new(),
            selected: 0,
            error: None,
            blockers: Vec::new(),
            plan: Vec::new(),
            gates: Vec::new(),
            input: None,
            override_reason: None,
            lines: VecDeque::new(),
            holding: Vec::new(),
            held: std::time::Duration::ZERO,
            outcome: None,
        });
        self.rollback_commands.push(RollbackCommand::History(Box::new(p)));
        self.go(crate::app::Screen::Rollback, true);
    }

    pub fn on_rollback_update(&mut self, u: RollbackUpdate) {
        self.dirty = true;
        if let RollbackUpdate::History { service, result } = &u {
            self.changes.histories.insert(service.clone(), result.clone());
        }
        let Some(r) = self.rollback.as_mut() else { return };
        match u {
            RollbackUpdate::History { service, result } if service == r.service => match result {
                Ok(h) if r.phase == Phase::Done => r.history = h,
                Ok(h) => {
                    r.selected = h.iter().position(|v| v.current).unwrap_or(0).saturating_sub(1);
                    r.history = h;
                    r.phase = Phase::Choose;
                    r.error = None;
                }
                Err(e) => {
                    r.error = Some(crate::text::sanitize(&e).into_owned());
                    if r.phase == Phase::Loading {
                        r.phase = Phase::Choose;
                    }
                }
            },
            RollbackUpdate::History { .. } => {}
            RollbackUpdate::Progress(p) => match p {
                Progress::Step(s) => push(&mut r.lines, format!("> {s}")),
                Progress::Line(l) => push(&mut r.lines, format!("  {l}")),
                Progress::Gates { holding, held } => (r.holding, r.held) = (holding, held),
            },
            RollbackUpdate::Done(result) => {
                r.phase = Phase::Done;
                r.outcome = Some(result);
                // The versions as they are now (the rollback made a new one).
                if let Some(p) = self.deploy.get(&r.service) {
                    self.rollback_commands.push(RollbackCommand::History(Box::new(p.clone())));
                }
            }
            RollbackUpdate::Aborted => {
                r.phase = Phase::Done;
                r.outcome = Some(Err("aborted: the running command was killed".into()));
            }
        }
    }

    /// Enter: on a version, the checks and the plan; on the plan, the confirmation; typed, it starts.
    pub(crate) fn rollback_enter(&mut self) {
        let now = self.now;
        let word = self.rollback.as_ref().map(|r| self.confirm_word(&r.service)).unwrap_or_default();
        let who = self.who();
        let Some(r) = self.rollback.as_mut() else { return };
        match r.phase {
            Phase::Choose => {
                let Some(to) = r.history.get(r.selected).cloned() else { return };
                // Rolling back to what runs is no rollback: say so, and plan nothing.
                if to.current {
                    r.error = Some(format!(
                        "{} (revision {}) is what runs now: choose an earlier version (↑) to roll back to.",
                        crate::text::sanitize(&to.version),
                        crate::text::sanitize(&to.revision)
                    ));
                    return;
                }
                let Some(p) = self.deploy.get(&r.service) else { return };
                r.blockers = precheck(&r.service, &r.history, &to.revision, &self.freezes, now).unwrap_or_default();
                let from = r.history.iter().find(|v| v.current).map_or("?".into(), |v| v.revision.clone());
                let cause = format!("rollback by {} from {from} to {}", who.user, to.revision);
                match p.plan(&to, &who.user, &cause) {
                    Ok(plan) => r.plan = plan,
                    Err(e) => r.blockers.push(Blocker::Target(e)),
                }
                let svc = self.services.iter().find(|v| v.service.name == r.service).map(|v| v.service.clone());
                r.gates = svc.map(|s| gates(&s, self.rollback_settings.window)).unwrap_or_default();
                r.phase = Phase::Confirm;
                r.override_reason = None;
                r.input = None;
            }
            Phase::Confirm if r.blockers.iter().any(|b| !b.overridable()) => {}
            Phase::Confirm if r.input.is_none() => {
                let freeze = !r.blockers.is_empty();
                let mut t = TextArea::new(vec![String::new()]);
                t.set_placeholder_text(if freeze && r.override_reason.is_none() {
                    "the reason to go ahead anyway (recorded)".to_string()
                } else {
                    word
                });
                r.input = Some(t);
            }
            _ => {}
        }
    }

    /// Enter in the input: the override's reason, then the service's name; right, and it starts.
    pub(crate) fn submit_rollback_input(&mut self) {
        let word = self.rollback.as_ref().map(|r| self.confirm_word(&r.service)).unwrap_or_default();
        let refused = self.read_only_refusal("rollback");
        let who = self.who();
        let Some(r) = self.rollback.as_mut() else { return };
        if let Some(why) = refused {
            r.error = Some(why);
            return;
        }
        let Some(t) = r.input.take() else { return };
        let text = t.lines().join("").trim().to_string();
        let freeze = !r.blockers.is_empty();
        if freeze && r.override_reason.is_none() {
            if text.is_empty() {
                r.error = Some("An override needs a reason.".into());
                return;
            }
            r.override_reason = Some(text);
            let mut t = TextArea::new(vec![String::new()]);
            t.set_placeholder_text(word);
            r.input = Some(t);
            return;
        }
        if text != word {
            r.error = Some(format!("Not run: type `{word}` exactly to roll it back."));
            return;
        }
        let (Some(provider), Some(to), Some(from)) = (
            self.deploy.get(&r.service).cloned(),
            r.history.get(r.selected).cloned(),
            r.history.iter().find(|v| v.current).cloned(),
        ) else {
            return;
        };
        if r.plan.is_empty() {
            return;
        }
        r.error = None;
        r.phase = Phase::Running;
        r.lines.clear();
        self.rollback_commands.push(RollbackCommand::Start(Box::new(Start {
            provider,
            from,
            to,
            plan: r.plan.clone(),
            gates: r.gates.clone(),
            settings: self.rollback_settings,
            override_reason: r.override_reason.clone(),
            who,
            audit_path: self.audit.path.clone(),
            lock_dir: crate::ops::rollback::lock_dir(),
        })));
    }

    /// `x`: abort the running rollback (its command is killed; the trail records it).
    pub(crate) fn abort_rollback(&mut self) {
        if self.rollback.as_ref().is_some_and(|r| r.phase == Phase::Running) {
            self.rollback_commands.push(RollbackCommand::Abort);
        }
    }

    pub fn take_rollback_commands(&mut self) -> Vec<RollbackCommand> {
        std::mem::take(&mut self.rollback_commands)
    }
}

fn push(lines: &mut VecDeque<String>, l: String) {
    if lines.len() == LINES {
        lines.pop_front();
    }
    lines.push_back(l);
}
