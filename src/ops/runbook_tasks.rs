//! Runbook runs inside the console: one task per run, owning its journal, audit trail and clients. The
//! screen drives it a step at a time (it never waits for a step): run this step (confirmed already when
//! destructive, ticked when manual), skip it with a reason, abort. Output lines and outcomes come back as
//! updates.
use crate::ops::audit::Audit;
use crate::ops::who::Who;
use crate::runbooks::Runbook;
use crate::runbooks::exec::Value;
use crate::runbooks::journal::Journal;
use crate::runbooks::run::{NOT_IN_DRILL, Operator, Run};
use std::path::PathBuf;
use tokio::sync::mpsc;

#[derive(Clone, Debug, PartialEq)]
pub enum RunCommand {
    Step(usize),
    Skip(usize, String),
    Abort,
    /// The console is ending, for this reason (the terminal was lost, a signal): a step running now is
    /// killed and journalled with it; a run between steps is left as it is, to be resumed.
    End(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunUpdate {
    Started {
        run: u64,
        journal: PathBuf,
    },
    Line {
        run: u64,
        text: String,
    },
    /// The running check step asked its query again.
    Check {
        run: u64,
        state: crate::runbooks::run::CheckState,
    },
    /// The step ran: its own result.
    Ended {
        run: u64,
        step: usize,
        result: Result<(), String>,
    },
    Skipped {
        run: u64,
        step: usize,
        reason: String,
    },
    /// The step was not run (the audit trail or the journal refused it), or the run could not start.
    Refused {
        run: u64,
        step: Option<usize>,
        error: String,
    },
    /// The run was aborted; `step` was running and was killed.
    Aborted {
        run: u64,
        step: Option<usize>,
    },
}

/// What a run needs that the task will own.
pub struct Start {
    pub run: u64,
    pub runbook: Runbook,
    pub values: Vec<Value>,
    pub who: Who,
    pub audit_path: PathBuf,
    pub prometheus: Option<crate::sources::prometheus::Prometheus>,
    pub vault: Option<crate::ops::vault::Vault>,
    /// A run interrupted earlier: its journal, appended to.
    pub resume: Option<PathBuf>,
    /// Where a new run's journal goes.
    pub journal_dir: PathBuf,
    /// A drill: the built-in estate's address (its deploy API), which `drill=` steps act on.
    pub drill: Option<url::Url>,
    /// The roles policy (none: every run is allowed): a run it does not allow is not started.
    pub policy: Option<crate::ops::policy::Policy>,
}

/// Whether the policy lets `who` run `rb` (the action `runbook:<id>`, and the runbook's `role:`); why
/// not when it does not. An advisory policy's refusal is a warning, not a refusal.
pub fn allowed(policy: Option<&crate::ops::policy::Policy>, who: &Who, rb: &Runbook) -> Result<Option<String>, String> {
    let groups = crate::ops::policy::current_groups();
    let note = crate::ops::policy::decide(policy, who, &groups, &format!("runbook:{}", rb.id))?;
    if let (Some(role), Some(p)) = (&rb.role, policy)
        && !p.has_role(&who.user, &groups, role)
    {
        let msg =
            format!("`{}` needs the role `{role}`, which {} does not have in {}", rb.id, who.user, p.path.display());
        if !p.advisory {
            return Err(msg);
        }
        return Ok(Some(format!("advisory policy: {msg}")));
    }
    Ok(note)
}

/// The screen stands in for the operator: confirmations and checklists happened there already.
struct Screen {
    run: u64,
    tx: mpsc::Sender<RunUpdate>,
}

impl Operator for Screen {
    fn confirm(&mut self, _: &crate::runbooks::Step, service: &str) -> Option<String> {
        Some(service.to_string())
    }
    fn checklist(&mut self, _: &crate::runbooks::Step, _: &[String]) -> bool {
        true
    }
    fn say(&mut self, text: &str) {
        // A screen that falls behind loses output lines, never the run's progress.
        let _ = self.tx.try_send(RunUpdate::Line { run: self.run, text: text.to_string() });
    }
    fn checking(&mut self, state: &crate::runbooks::run::CheckState) {
        // Each one stands for the ones before it: one lost is made good by the next.
        let _ = self.tx.try_send(RunUpdate::Check { run: self.run, state: state.clone() });
    }
}

/// Start a run's task; commands go in through the returned sender.
pub fn spawn(s: Start, tx: mpsc::Sender<RunUpdate>) -> mpsc::Sender<RunCommand> {
    let (cmd_tx, mut cmd_rx) = mpsc::channel::<RunCommand>(8);
    tokio::spawn(async move {
        let id = s.run;
        // Allowed first, as on the command line: a run the policy does not allow is not started.
        if let Err(denied) = allowed(s.policy.as_ref(), &s.who, &s.runbook) {
            let error = format!("not run: {denied}");
            let _ = tx.send(RunUpdate::Refused { run: id, step: None, error }).await;
            return;
        }
        let opened = Audit::open(&s.audit_path).and_then(|a| {
            if let Some(path) = &s.resume {
                return Ok((a, Journal::create(path)?));
            }
            let tag = format!("-{id}");
            let j = crate::runbooks::journal::begin(
                &s.journal_dir,
                &s.runbook,
                &s.values,
                &s.who,
                &tag,
                s.drill.is_some(),
            )?;
            Ok((a, j))
        });
        let (mut audit, mut journal) = match opened {
            Ok(x) => x,
            Err(error) => {
                let _ = tx.send(RunUpdate::Refused { run: id, step: None, error }).await;
                return;
            }
        };
        let _ = tx.send(RunUpdate::Started { run: id, journal: journal.path.clone() }).await;
        let steps: Vec<crate::runbooks::Step> = s.runbook.steps().cloned().collect();
        while let Some(cmd) = cmd_rx.recv().await {
            let mut run = Run {
                runbook: &s.runbook,
                values: s.values.clone(),
                journal: Some(&mut journal),
                audit: Some(&mut audit),
                who: s.who.clone(),
                prometheus: s.prometheus.as_ref(),
                vault: s.vault.as_ref(),
                dry_run: false,
                done: Default::default(),
                drill: s.drill.clone(),
            };
            let mut op = Screen { run: id, tx: tx.clone() };
            let update = match cmd {
                RunCommand::Step(i) => match steps.get(i) {
                    None => continue,
                    Some(step) if run.skipped_in_drill(step) => match run.skip(step, NOT_IN_DRILL) {
                        Ok(()) => RunUpdate::Skipped { run: id, step: i, reason: NOT_IN_DRILL.into() },
                        Err(error) => RunUpdate::Refused { run: id, step: Some(i), error },
                    },
                    Some(step) => {
                        // The step runs while commands are still heard: an abort drops it (its process
                        // group is killed) and the journal says so.
                        let outcome = {
                            let running = run.step(step, &mut op);
                            tokio::pin!(running);
                            loop {
                                tokio::select! {
                                    r = &mut running => break Ok(r),
                                    c = cmd_rx.recv() => match c {
                                        Some(RunCommand::Abort) | None => break Err("the operator aborted the run".to_string()),
                                        Some(RunCommand::End(why)) => break Err(why),
                                        Some(_) => {}
                                    },
                                }
                            }
                        };
                        match outcome {
                            Ok(Ok(result)) => RunUpdate::Ended { run: id, step: i, result },
                            Ok(Err(error)) => RunUpdate::Refused { run: id, step: Some(i), error },
                            Err(why) => {
                                if let Err(e) = run.killed(step, &why) {
                                    op.say(&format!("! {e}"));
                                }
                                let _ = tx.send(RunUpdate::Aborted { run: id, step: Some(i) }).await;
                                return;
                            }
                        }
                    }
                },
                RunCommand::Skip(i, reason) => match steps.get(i).map(|st| run.skip(st, &reason)) {
                    Some(Ok(())) => RunUpdate::Skipped { run: id, step: i, reason },
                    Some(Err(error)) => RunUpdate::Refused { run: id, step: Some(i), error },
                    None => continue,
                },
                // Between steps: the journal shows it interrupted, and the next start offers it again.
                RunCommand::End(_) => return,
                RunCommand::Abort => {
                    let _ = run.abort();
                    let _ = tx.send(RunUpdate::Aborted { run: id, step: None }).await;
                    return;
                }
            };
            if tx.send(update).await.is_err() {
                return;
            }
        }
    });
    cmd_tx
}
