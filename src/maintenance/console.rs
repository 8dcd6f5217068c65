//! Windows added or cancelled from the console: recorded in the audit trail before the file is touched (not written
//! if it cannot be recorded), appended to the team's file, and the reconciler woken so the silences
//! follow at once.
use super::Window;
use crate::ops::who::Who;
use std::path::PathBuf;
use tokio::sync::{Notify, mpsc};

/// What the console asks of the windows file.
#[derive(Debug)]
pub enum Edit {
    Add(Box<Add>),
    /// Cancel a window: its block leaves the file, and the reconciler expires its silences.
    Cancel {
        id: String,
        who: Who,
    },
}

#[derive(Debug)]
pub struct Add {
    pub window: Window,
    /// Why it goes ahead in a change freeze (recorded), if it falls in one.
    pub override_reason: Option<String>,
    pub who: Who,
}

/// Edit the windows file as the console asks, one change at a time; each result is sent back.
pub async fn run(
    mut adds: mpsc::Receiver<Edit>,
    file: PathBuf,
    audit_path: PathBuf,
    reconcile_now: std::sync::Arc<Notify>,
    tx: mpsc::Sender<Result<String, String>>,
) {
    while let Some(edit) = adds.recv().await {
        let (file, audit_path) = (file.clone(), audit_path.clone());
        let result = tokio::task::spawn_blocking(move || {
            let mut audit = crate::ops::audit::Audit::open(&audit_path)?;
            let (who, id, action, values) = match &edit {
                Edit::Add(a) => (
                    a.who.clone(),
                    a.window.id.clone(),
                    "maintenance.create",
                    serde_json::json!({"window": super::window::to_toml(&a.window), "override": a.override_reason}),
                ),
                Edit::Cancel { id, who } => {
                    (who.clone(), id.clone(), "maintenance.cancel", serde_json::json!({"window": id}))
                }
            };
            audit
                .record(&who, chrono::Utc::now(), action, &id, &values, "intent")
                .map_err(|e| format!("not written: the audit trail refused it: {e}"))?;
            let written = match &edit {
                Edit::Add(a) => super::window::append(&file, &a.window),
                Edit::Cancel { id, .. } => super::window::remove(&file, id),
            };
            let result = match &written {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("failed: {e}"),
            };
            let _ = audit.record(&who, chrono::Utc::now(), &format!("{action}.result"), &id, &values, &result);
            written.map(|()| match edit {
                Edit::Add(_) => format!("window {id} added to {}", file.display()),
                Edit::Cancel { .. } => format!("window {id} cancelled in {}", file.display()),
            })
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        if result.is_ok() {
            reconcile_now.notify_one();
        }
        if tx.send(result).await.is_err() {
            return;
        }
    }
}
