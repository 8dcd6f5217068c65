//! Rollbacks inside the console: the provider's history fetched off the UI, and each rollback a task
//! that owns its lock, audit trail and clients. The screen never waits: it sends commands and reads
//! updates. Dropping a rollback's task (abort) kills its running command.
use super::rollback::{Lock, Outcome, Progress, Rollback};
use crate::config::changes::RollbackSettings;
use crate::deploy::{Action, Provider, Version};
use crate::ops::who::Who;
use std::path::PathBuf;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug)]
pub enum RollbackCommand {
    History(Box<Provider>),
    Start(Box<Start>),
    Abort,
    /// The console is ending (quit, a signal, the terminal lost): a running rollback is killed and the
    /// audit trail says why; `done` is dropped once that is recorded.
    End {
        why: String,
        done: oneshot::Sender<()>,
    },
}

/// Why a running rollback was stopped, and whom to tell once the trail has it.
type Stop = (String, Option<oneshot::Sender<()>>);

#[derive(Debug)]
pub struct Start {
    pub provider: Provider,
    pub from: Version,
    pub to: Version,
    pub plan: Vec<Action>,
    pub gates: Vec<super::rollback::Gate>,
    pub settings: RollbackSettings,
    pub override_reason: Option<String>,
    pub who: Who,
    pub audit_path: PathBuf,
    pub lock_dir: PathBuf,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RollbackUpdate {
    History {
        service: String,
        result: Result<Vec<Version>, String>,
    },
    Progress(Progress),
    /// It ran to an end; or it could not start (the lock, the audit trail), with why.
    Done(Result<Outcome, String>),
    Aborted,
}

/// The worker: takes commands for as long as the console runs.
pub async fn run(
    mut commands: mpsc::Receiver<RollbackCommand>,
    tx: mpsc::Sender<RollbackUpdate>,
    prometheus: Option<crate::sources::prometheus::Prometheus>,
    policy: Option<crate::ops::policy::Policy>,
) {
    let mut abort: Option<oneshot::Sender<Stop>> = None;
    while let Some(c) = commands.recv().await {
        match c {
            RollbackCommand::History(p) => {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let result = p.history().await;
                    let _ = tx.send(RollbackUpdate::History { service: p.service.clone(), result }).await;
                });
            }
            RollbackCommand::Abort => {
                if let Some(a) = abort.take() {
                    let _ = a.send(("aborted by the operator".into(), None));
                }
            }
            RollbackCommand::End { why, done } => {
                if let Some(a) = abort.take() {
                    let _ = a.send((format!("killed: {why}"), Some(done)));
                }
            }
            RollbackCommand::Start(s) => {
                let (stop, stopped) = oneshot::channel();
                abort = Some(stop);
                tokio::spawn(one(*s, tx.clone(), (prometheus.clone(), policy.clone()), stopped));
            }
        }
    }
}

async fn one(
    s: Start,
    tx: mpsc::Sender<RollbackUpdate>,
    (prometheus, policy): (Option<crate::sources::prometheus::Prometheus>, Option<crate::ops::policy::Policy>),
    stopped: oneshot::Receiver<Stop>,
) {
    let service = s.provider.service.clone();
    // Allowed first, as on the command line: a rollback the policy does not allow is not started.
    let groups = crate::ops::policy::current_groups();
    if let Err(denied) = crate::ops::policy::decide(policy.as_ref(), &s.who, &groups, "rollback") {
        let _ = tx.send(RollbackUpdate::Done(Err(format!("not run: {denied}")))).await;
        return;
    }
    let _lock = match Lock::take(&s.lock_dir, &service, &s.who) {
        Ok(l) => l,
        Err(b) => {
            let _ = tx.send(RollbackUpdate::Done(Err(b.to_string()))).await;
            return;
        }
    };
    let mut audit = match crate::ops::audit::Audit::open(&s.audit_path) {
        Ok(a) => a,
        Err(e) => {
            let _ = tx.send(RollbackUpdate::Done(Err(format!("not run: the audit trail cannot be opened: {e}")))).await;
            return;
        }
    };
    let r = Rollback {
        provider: &s.provider,
        from: s.from.clone(),
        to: s.to.clone(),
        plan: s.plan.clone(),
        gates: s.gates.clone(),
        settings: s.settings,
        override_reason: s.override_reason.clone(),
        who: s.who.clone(),
    };
    let ptx = tx.clone();
    let running = r.run(&mut audit, prometheus.as_ref(), move |p| {
        // A screen that falls behind loses lines, never the outcome.
        let _ = ptx.try_send(RollbackUpdate::Progress(p));
    });
    tokio::select! {
        result = running => {
            let _ = tx.send(RollbackUpdate::Done(result)).await;
        }
        Ok((why, done)) = stopped => {
            // The running command is killed as `running` is dropped here, before the trail says so.
            if let Ok(mut a) = crate::ops::audit::Audit::open(&s.audit_path) {
                let values = serde_json::json!({"service": service, "to": s.to.revision});
                if let Err(e) = a.record(&s.who, chrono::Utc::now(), "rollback.result", &service, &values, &why) {
                    tracing::error!("the end of the rollback of {service} was not recorded: {e}");
                }
            }
            let _ = tx.send(RollbackUpdate::Aborted).await;
            drop(done);
        }
    }
}
