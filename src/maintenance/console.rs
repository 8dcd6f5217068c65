//! Windows added from the console: recorded in the audit trail before the file is touched (not written
//! if it cannot be recorded), appended to the team's file, and the reconciler woken so the silences
//! follow at once.
use super::Window;
use crate::ops::who::Who;
use std::path::PathBuf;
use tokio::sync::{Notify, mpsc};

#[derive(Debug)]
pub struct Add {
    pub window: Window,
    /// Why it goes ahead in a change freeze (recorded), if it falls in one.
    pub override_reason: Option<String>,
    pub who: Who,
}

/// Add windows as the console asks, one at a time; each result is sent back.
pub async fn run(
    mut adds: mpsc::Receiver<Add>,
    file: PathBuf,
    audit_path: PathBuf,
    reconcile_now: std::sync::Arc<Notify>,
    tx: mpsc::Sender<Result<String, String>>,
) {
    while let Some(a) = adds.recv().await {
        let (file, audit_path) = (file.clone(), audit_path.clone());
        let result = tokio::task::spawn_blocking(move || {
            let mut audit = crate::ops::audit::Audit::open(&audit_path)?;
            let values = serde_json::json!({
                "window": super::window::to_toml(&a.window),
                "override": a.override_reason,
            });
            let now = chrono::Utc::now();
            audit
                .record(&a.who, now, "maintenance.create", &a.window.id, &values, "intent")
                .map_err(|e| format!("not written: the audit trail refused it: {e}"))?;
            let written = super::window::append(&file, &a.window);
            let result = match &written {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("failed: {e}"),
            };
            let _ =
                audit.record(&a.who, chrono::Utc::now(), "maintenance.create.result", &a.window.id, &values, &result);
            written.map(|()| format!("window {} added to {}", a.window.id, file.display()))
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
