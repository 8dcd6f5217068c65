//! Asking before anything running is killed: quitting while a runbook step or a rollback runs, and
//! aborting a run or a rollback. The question names what will be killed; `y` does it, `n` or Esc keeps
//! it running (any other key is ignored, so a stray key neither kills nor dismisses silently).
use super::state::App;
use crate::screens::rollback::state::Phase;
use crossterm::event::{KeyCode, KeyEvent};

/// What `y` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    Quit,
    /// Abort the run with this id.
    AbortRun(u64),
    AbortRollback,
    /// Open the environment at this index of the config's.
    Switch(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Confirm {
    pub question: String,
    /// What is killed, one line each.
    pub kills: Vec<String>,
    /// What `y` says it does.
    pub yes: &'static str,
    pub then: Then,
}

impl App {
    /// What is running now that quitting would kill, one line each.
    pub fn running(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .runbooks
            .runs
            .iter()
            .filter(|r| r.busy() && !r.aborted)
            .map(|r| {
                let step = r.running_step().unwrap_or(0);
                format!("runbook {}: step `{}` (its processes are killed)", r.runbook.id, r.step_id(step))
            })
            .collect();
        if let Some(r) = self.rollback.as_ref().filter(|r| r.phase == Phase::Running) {
            out.push(format!("the rollback of {} (its running command is killed)", r.service));
        }
        out
    }

    /// `q`: quit at once when nothing runs; otherwise ask, naming what would be killed.
    pub(crate) fn ask_quit(&mut self) {
        let kills = self.running();
        if kills.is_empty() {
            self.quit = true;
            return;
        }
        self.confirm =
            Some(Confirm { question: "Quit the console?".into(), kills, yes: "quit and kill", then: Then::Quit });
    }

    /// What leaving this environment stops: what quitting would kill, runs paused between steps (they
    /// are offered again here, not in the next), and a drill under way.
    pub fn leaving(&self) -> Vec<String> {
        let mut out = self.running();
        let here = self.environment.as_ref().map_or(String::new(), |e| format!(" (offered again in {})", e.name));
        out.extend(
            self.runbooks
                .runs
                .iter()
                .filter(|r| !r.busy() && !r.aborted && !r.dry_run && !r.finished())
                .map(|r| format!("runbook {}: paused between steps{here}", r.runbook.id)),
        );
        if let Some(d) = self.drills.run.as_ref().filter(|r| r.is_active()) {
            out.push(format!("the drill {} (its fault stays in the estate until it ends)", d.scenario.name));
        }
        out
    }

    /// `N`: the config's next environment, at once when nothing runs; otherwise ask first (leaving this
    /// one ends what runs in it).
    pub(crate) fn ask_switch(&mut self) {
        let here = self.environment.as_ref().and_then(|e| self.environments.iter().position(|n| *n == e.name));
        let Some(here) = here.filter(|_| self.environments.len() > 1) else {
            self.report("One environment only: a config's [[environments]] name others to switch to.");
            return;
        };
        let next = (here + 1) % self.environments.len();
        if self.leaving().is_empty() {
            self.switch_to = Some(self.environments[next].clone());
            return;
        }
        self.ask_switch_to(next);
    }

    /// Leaving ends what runs here: ask first, naming it.
    pub(crate) fn ask_switch_to(&mut self, to: usize) {
        let (Some(here), Some(next)) = (self.environment.as_ref(), self.environments.get(to)) else { return };
        let question = format!("Leave {} for {next}?", here.name);
        let kills = self.leaving();
        self.confirm = Some(Confirm { question, kills, yes: "switch and kill", then: Then::Switch(to) });
    }

    /// `x` on a run: ask first, naming the step that would be killed.
    pub(crate) fn ask_abort_run(&mut self) {
        let Some(r) = self.runbooks.runs.get(self.runbooks.current) else { return };
        if r.aborted || r.dry_run {
            return;
        }
        let kills = match r.running_step() {
            Some(i) => vec![format!("step `{}` is running: its processes are killed", r.step_id(i))],
            None => vec!["no step is running: the steps left are not run".into()],
        };
        let question = format!("Abort the run of {}?", r.runbook.id);
        self.confirm = Some(Confirm { question, kills, yes: "abort", then: Then::AbortRun(r.id) });
    }

    /// `x` on a running rollback: ask first.
    pub(crate) fn ask_abort_rollback(&mut self) {
        let Some(r) = self.rollback.as_ref().filter(|r| r.phase == Phase::Running) else { return };
        self.confirm = Some(Confirm {
            question: format!("Abort the rollback of {}?", r.service),
            kills: vec!["its running command is killed; what it changed stays as it is".into()],
            yes: "abort",
            then: Then::AbortRollback,
        });
    }

    pub(crate) fn confirm_key(&mut self, key: KeyEvent) {
        self.dirty = true;
        let Some(c) = &self.confirm else { return };
        match key.code {
            KeyCode::Char('y' | 'Y') => {
                let then = c.then;
                self.confirm = None;
                match then {
                    Then::Quit => self.quit = true,
                    Then::AbortRun(id) => self.abort_run(id),
                    Then::AbortRollback => self.abort_rollback(),
                    Then::Switch(i) => self.switch_to = self.environments.get(i).cloned(),
                }
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => self.confirm = None,
            _ => {}
        }
    }
}
