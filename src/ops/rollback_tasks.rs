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
}

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
) {
    let mut abort: Option<oneshot::Sender<()>> = None;
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
                    let _ = a.send(());
                }
            }
            RollbackCommand::Start(s) => {
                let (stop, stopped) = oneshot::channel();
                abort = Some(stop);
                tokio::spawn(one(*s, tx.clone(), prometheus.clone(), stopped));
            }
        }
    }
}

async fn one(
    s: Start,
    tx: mpsc::Sender<RollbackUpdate>,
    prometheus: Option<crate::sources::prometheus::Prometheus>,
    stopped: oneshot::Receiver<()>,
) {
    let service = s.provider.service.clone();
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
        Ok(()) = stopped => {
            if let Ok(mut a) = crate::ops::audit::Audit::open(&s.audit_path) {
                let values = serde_json::json!({"service": service, "to": s.to.revision});
                let _ = a.record(&s.who, chrono::Utc::now(), "rollback.result", &service, &values, "aborted by the operator");
            }
            let _ = tx.send(RollbackUpdate::Aborted).await;
        }
    }
}
