//! The Alertmanager task: polls every configured server, merges what an HA pair both report (alerts by
//! fingerprint, silences by id), and carries out silence changes from the UI. Owned results go to the
//! UI loop; nothing here waits on the UI.
use super::client::Alertmanager;
use crate::alerts::model::{Alert, NewSilence, Silence};
use crate::sources::health::SourceHealth;
use crate::text::Clean;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

#[derive(Clone, Debug, PartialEq)]
pub enum AlertCommand {
    RefreshNow,
    /// Create, or update when it has an id.
    PostSilence(NewSilence),
    ExpireSilence {
        id: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlertUpdate {
    Health(SourceHealth),
    /// Everything the servers know now. `errors` names the servers that did not answer.
    Snapshot {
        at: DateTime<Utc>,
        alerts: Vec<Alert>,
        silences: Vec<Silence>,
        errors: Vec<Clean>,
    },
    /// No server answered.
    Unreachable(Clean),
    /// The outcome of a silence change: its id, or why not.
    SilenceDone {
        what: String,
        result: Result<String, Clean>,
    },
}

pub struct AlertPoller {
    servers: Vec<Alertmanager>,
    refresh: Duration,
    tx: mpsc::Sender<AlertUpdate>,
}

/// One list from several servers: alerts by fingerprint (the most recently updated wins), silences by id.
pub fn merge(per_server: Vec<(Vec<Alert>, Vec<Silence>)>) -> (Vec<Alert>, Vec<Silence>) {
    let mut alerts: BTreeMap<String, Alert> = BTreeMap::new();
    let mut silences: BTreeMap<String, Silence> = BTreeMap::new();
    for (a, s) in per_server {
        for x in a {
            match alerts.get(&x.fingerprint) {
                Some(old) if old.updated_at >= x.updated_at => {}
                _ => {
                    alerts.insert(x.fingerprint.clone(), x);
                }
            }
        }
        for x in s {
            silences.entry(x.id.clone()).or_insert(x);
        }
    }
    (alerts.into_values().collect(), silences.into_values().collect())
}

impl AlertPoller {
    pub fn new(servers: Vec<Alertmanager>, refresh: Duration, tx: mpsc::Sender<AlertUpdate>) -> Self {
        AlertPoller { servers, refresh, tx }
    }

    pub async fn run(self, mut commands: mpsc::Receiver<AlertCommand>) {
        for s in &self.servers {
            crate::sources::health::forward(s.http.health(), self.tx.clone(), AlertUpdate::Health);
        }
        let mut tick = tokio::time::interval(self.refresh);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => self.poll().await,
                cmd = commands.recv() => match cmd {
                    None => break,
                    Some(AlertCommand::RefreshNow) => self.poll().await,
                    Some(c) => {
                        self.change(c).await;
                        self.poll().await;
                        tick.reset();
                    }
                },
            }
        }
    }

    async fn poll(&self) {
        let at = Utc::now();
        let results = join_all(self.servers.iter().map(|s| async move {
            let (a, si) = tokio::join!(s.alerts(), s.silences());
            (s.name.clone(), a, si)
        }))
        .await;
        let mut ok = Vec::new();
        let mut errors = Vec::new();
        for (name, a, s) in results {
            match (a, s) {
                (Ok(a), Ok(s)) => ok.push((a, s)),
                (Err(e), _) | (_, Err(e)) => errors.push(Clean::new(&format!("{name}: {e}"))),
            }
        }
        let update = if ok.is_empty() {
            AlertUpdate::Unreachable(Clean::new(&errors.iter().map(Clean::as_str).collect::<Vec<_>>().join("; ")))
        } else {
            let (alerts, silences) = merge(ok);
            AlertUpdate::Snapshot { at, alerts, silences, errors }
        };
        let _ = self.tx.send(update).await;
    }

    /// Apply a change on the first server that takes it (an HA pair shares silences by gossip).
    async fn change(&self, c: AlertCommand) {
        let (what, mut last) = match &c {
            AlertCommand::PostSilence(s) if s.id.is_some() => ("silence updated".to_string(), None),
            AlertCommand::PostSilence(_) => ("silence created".to_string(), None),
            AlertCommand::ExpireSilence { .. } => ("silence expired".to_string(), None),
            AlertCommand::RefreshNow => return,
        };
        for s in &self.servers {
            let r = match &c {
                AlertCommand::PostSilence(new) => s.post_silence(new).await,
                AlertCommand::ExpireSilence { id } => s.expire(id).await.map(|_| id.clone()),
                AlertCommand::RefreshNow => return,
            };
            match r {
                Ok(id) => {
                    let _ = self.tx.send(AlertUpdate::SilenceDone { what, result: Ok(id) }).await;
                    return;
                }
                // Refused (bad input): another server would refuse it too.
                Err(e) if !e.is_transient() && !matches!(e, crate::sources::http::FetchError::CircuitOpen { .. }) => {
                    last = Some(e);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let err = last.map_or_else(|| Clean::new("no Alertmanager configured"), |e| Clean::new(&e.to_string()));
        let _ = self.tx.send(AlertUpdate::SilenceDone { what, result: Err(err) }).await;
    }
}
