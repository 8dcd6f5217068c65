//! The PagerDuty task: incidents every refresh (open ones, and those resolved in the last 30 days for
//! the KPIs), an incident's log on request, and the changes the UI asks for.
use super::PagerDuty;
use crate::incidents::model::{Incident, LogEntry, Source, Status};
use crate::sources::health::SourceHealth;
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

#[derive(Clone, Debug, PartialEq)]
pub enum IncidentUpdate {
    Health(SourceHealth),
    /// Everything one source reports now (the other source's incidents are kept).
    Snapshot {
        at: DateTime<Utc>,
        source: Source,
        incidents: Vec<Incident>,
        cut: bool,
    },
    Unreachable(Clean),
    Log {
        id: String,
        entries: Result<Vec<LogEntry>, Clean>,
    },
    Done {
        what: String,
        result: Result<(), Clean>,
    },
}

/// Resolved incidents are fetched this far back (the KPIs' window).
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
    loop {
        let update = tokio::select! {
            _ = tick.tick() => poll(&pd).await,
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { break };
                let (what, result) = match &cmd {
                    IncidentCommand::Log(id) => {
                        let entries = pd.log(id).await.map_err(|e| Clean::new(&e.to_string()));
                        let _ = tx.send(IncidentUpdate::Log { id: id.clone(), entries }).await;
                        continue;
                    }
                    IncidentCommand::SetStatus(id, s) => (format!("{} {id}", s.as_str()), pd.set_status(id, *s).await),
                    IncidentCommand::Note(id, text) => (format!("note added to {id}"), pd.add_note(id, text).await),
                    IncidentCommand::Reassign(id, user) => (format!("{id} reassigned to {user}"), pd.reassign(id, user).await),
                    IncidentCommand::Escalate(id, level) => (format!("{id} escalated to level {level}"), pd.escalate(id, *level).await),
                };
                let _ = tx.send(IncidentUpdate::Done { what, result: result.map_err(|e| Clean::new(&e.to_string())) }).await;
                if let IncidentCommand::Note(id, _) = &cmd {
                    let entries = pd.log(id).await.map_err(|e| Clean::new(&e.to_string()));
                    let _ = tx.send(IncidentUpdate::Log { id: id.clone(), entries }).await;
                }
                tick.reset();
                poll(&pd).await
            }
        };
        if tx.send(update).await.is_err() {
            break;
        }
    }
}

async fn poll(pd: &PagerDuty) -> IncidentUpdate {
    let at = Utc::now();
    let since = at - chrono::Duration::from_std(HISTORY).unwrap_or_default();
    match pd.incidents(since).await {
        Ok((incidents, cut)) => IncidentUpdate::Snapshot { at, source: Source::PagerDuty, incidents, cut },
        Err(e) => IncidentUpdate::Unreachable(Clean::new(&e.to_string())),
    }
}
