//! The PagerDuty task: incidents every refresh (open ones, and resolved ones opened in the last 30 days,
//! for the KPIs), an incident's log on request, and the changes the UI asks for.
use super::PagerDuty;
use crate::incidents::model::{Incident, LogEntry, Source, Status};
use crate::sources::health::SourceHealth;
use crate::sources::http::FetchError;
use crate::text::Clean;
use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Clone, Debug, PartialEq)]
pub enum IncidentCommand {
    Log(String),
    SetStatus(String, Status),
    Note(String, String),
    Reassign(String, String),
    Escalate(String, u32),
}

/// Why a change the UI asked for is not reported done.
#[derive(Clone, Debug, PartialEq)]
pub enum NotDone {
    /// Refused or failed: not done, so asking again is safe.
    Failed(Clean),
    /// Sent, but whether it was done could not be learnt (the answer was lost, or the service had not
    /// processed it when last asked): someone must look before asking again, or it may be done twice.
    Unknown(Clean),
}

impl std::fmt::Display for NotDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotDone::Failed(why) => write!(f, "{why}"),
            NotDone::Unknown(why) => write!(f, "outcome unknown: {why}"),
        }
    }
}

impl From<FetchError> for NotDone {
    fn from(e: FetchError) -> Self {
        NotDone::Failed(Clean::new(&e.to_string()))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum IncidentUpdate {
    Health(SourceHealth),
    /// Everything one source reports now (the other source's incidents are kept).
    Snapshot {
        at: DateTime<Utc>,
        source: Source,
        incidents: Vec<Incident>,
        cut: bool,
        /// What could not be listed this time, and why; the incidents it gave last time are in
        /// `incidents` again, the rest is current.
        errors: Vec<Clean>,
    },
    Unreachable(Clean),
    Log {
        id: String,
        entries: Result<Vec<LogEntry>, Clean>,
    },
    Done {
        what: String,
        result: Result<(), NotDone>,
    },
}

/// Resolved incidents opened within this far back are fetched (the KPIs' window): PagerDuty's window
/// is by the time an incident was opened, not resolved.
pub const HISTORY: Duration = Duration::from_secs(30 * 86_400);

pub async fn run(
    pd: PagerDuty,
    refresh: Duration,
    tx: mpsc::Sender<IncidentUpdate>,
    mut commands: mpsc::Receiver<IncidentCommand>,
) {
    crate::sources::health::forward(pd.http.health(), tx.clone(), IncidentUpdate::Health);
    let mut tick = tokio::time::interval(refresh);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The last resolved incidents listed, shown again when their listing fails.
    let mut resolved = Vec::new();
    loop {
        let update = tokio::select! {
            _ = tick.tick() => poll(&pd, &mut resolved).await,
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { break };
                let (what, result) = match &cmd {
                    IncidentCommand::Log(id) => {
                        let entries = pd.log(id).await.map_err(|e| Clean::new(&e.to_string()));
                        let _ = tx.send(IncidentUpdate::Log { id: id.clone(), entries }).await;
                        continue;
                    }
                    IncidentCommand::SetStatus(id, s) => (format!("{} {id}", s.as_str()), pd.set_status(id, *s).await.map_err(NotDone::from)),
                    IncidentCommand::Note(id, text) => (format!("note added to {id}"), pd.add_note(id, text).await),
                    IncidentCommand::Reassign(id, user) => (format!("{id} reassigned to {user}"), pd.reassign(id, user).await.map_err(NotDone::from)),
                    IncidentCommand::Escalate(id, level) => (format!("{id} escalated to level {level}"), pd.escalate(id, *level).await.map_err(NotDone::from)),
                };
                let _ = tx.send(IncidentUpdate::Done { what, result }).await;
                if let IncidentCommand::Note(id, _) = &cmd {
                    let entries = pd.log(id).await.map_err(|e| Clean::new(&e.to_string()));
                    let _ = tx.send(IncidentUpdate::Log { id: id.clone(), entries }).await;
                }
                tick.reset();
                poll(&pd, &mut resolved).await
            }
        };
        if tx.send(update).await.is_err() {
            break;
        }
    }
}

/// One listing: when only the resolved incidents cannot be listed, the open ones are still shown as
/// they are now, with the resolved ones of the last listing and why they are not current.
async fn poll(pd: &PagerDuty, resolved_before: &mut Vec<Incident>) -> IncidentUpdate {
    let at = Utc::now();
    let since = at - chrono::Duration::from_std(HISTORY).unwrap_or_default();
    match pd.incidents(since).await {
        Ok(listing) => {
            let mut errors = Vec::new();
            let resolved = match listing.resolved {
                Ok(r) => {
                    resolved_before.clone_from(&r);
                    r
                }
                Err(e) => {
                    errors.push(Clean::new(&format!("resolved incidents not listed (the last ones shown): {e}")));
                    resolved_before.clone()
                }
            };
            let incidents = super::merge(listing.open, resolved);
            IncidentUpdate::Snapshot { at, source: Source::PagerDuty, incidents, cut: listing.cut, errors }
        }
        Err(e) => IncidentUpdate::Unreachable(Clean::new(&e.to_string())),
    }
}
