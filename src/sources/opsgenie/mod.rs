//! Opsgenie's Alert API (v2): open alerts (paginated by `paging.next`), acknowledge, close, notes and
//! the alert's log, shown as incidents beside PagerDuty's. Acknowledge and close are asynchronous in
//! Opsgenie (202, "Request will be processed"); when the answer is lost the alert is read back to see
//! whether the change was made before it is asked again.
use crate::config::HttpSource;
use crate::incidents::model::{Incident, LogEntry, Source, Status};
use crate::sources::http::{FetchError, HttpClient};
use crate::sources::pagerduty::poller::{IncidentCommand, IncidentUpdate};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;
use tokio::sync::mpsc;

pub const MAX_PAGES: usize = 10;
const PAGE: usize = 100;

#[derive(Clone)]
pub struct Opsgenie {
    pub http: HttpClient,
    /// Opsgenie's alert search query (default `status: open`).
    pub query: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlert {
    id: String,
    #[serde(default)]
    tiny_id: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    acknowledged: bool,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    owner: String,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Paging {
    next: Option<String>,
}

#[derive(Deserialize)]
struct Page<T> {
    data: Vec<T>,
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct One<T> {
    data: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    #[serde(default)]
    log: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    owner: String,
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: String,
}

fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, FetchError> {
    serde_json::from_slice(body).map_err(|e| match serde_json::from_slice::<ErrorBody>(body) {
        Ok(err) => FetchError::Api { kind: "opsgenie".into(), message: Clean::new(&err.message) },
        Err(_) => FetchError::Decode(Clean::new(&e.to_string())),
    })
}

fn incident(a: RawAlert) -> Option<Incident> {
    let service = a.tags.iter().find_map(|t| t.strip_prefix("service:")).map(str::to_string).unwrap_or(a.source);
    Some(Incident {
        source: Source::Opsgenie,
        id: crate::sources::alertmanager::api::safe_id(&a.id)?,
        number: a.tiny_id.parse().unwrap_or(0),
        title: crate::alerts::model::display_value(&a.message),
        status: if a.status == "closed" {
            Status::Resolved
        } else if a.acknowledged {
            Status::Acknowledged
        } else {
            Status::Triggered
        },
        urgency: Clean::new(&a.priority),
        service: Clean::new(&service),
        assignees: if a.owner.is_empty() { vec![] } else { vec![Clean::new(&a.owner)] },
        escalation_level: 1,
        created_at: a.created_at,
        resolved_at: (a.status == "closed").then_some(a.updated_at).flatten(),
        url: Clean::default(),
    })
}

impl Opsgenie {
    pub fn new(src: &HttpSource, query: String) -> Result<Self, String> {
        Ok(Opsgenie { http: HttpClient::new(&src.name, src)?, query })
    }

    /// Alerts matching the query; `true` when cut at [`MAX_PAGES`].
    pub async fn alerts(&self) -> Result<(Vec<Incident>, bool), FetchError> {
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let q = [
                ("query", self.query.clone()),
                ("limit", PAGE.to_string()),
                ("offset", (page * PAGE).to_string()),
                ("sort", "createdAt".to_string()),
                ("order", "desc".to_string()),
            ];
            let body = self.http.get("v2/alerts", &q).await?;
            let p: Page<RawAlert> = decode(&body)?;
            let more = p.paging.and_then(|x| x.next).is_some() && p.data.len() == PAGE;
            out.extend(p.data.into_iter().filter_map(incident));
            if !more {
                return Ok((out, false));
            }
        }
        Ok((out, true))
    }

    async fn one(&self, id: &str) -> Result<Incident, FetchError> {
        let body = self.http.get(&format!("v2/alerts/{id}"), &[("identifierType", "id".into())]).await?;
        let one: One<RawAlert> = decode(&body)?;
        incident(one.data).ok_or(FetchError::Decode("bad alert".into()))
    }

    pub async fn log(&self, id: &str) -> Result<Vec<LogEntry>, FetchError> {
        let id = crate::sources::alertmanager::api::safe_id(id).ok_or(FetchError::Decode("bad alert id".into()))?;
        let body = self.http.get(&format!("v2/alerts/{id}/logs"), &[("identifierType", "id".into())]).await?;
        let p: Page<RawLog> = decode(&body)?;
        Ok(p.data
            .into_iter()
            .map(|l| LogEntry {
                at: l.created_at,
                kind: l.kind,
                summary: crate::alerts::model::display_value(&l.log),
                agent: Clean::new(&l.owner),
            })
            .collect())
    }

    /// Acknowledge or close (an action POST); if its answer is lost, done when the alert shows it.
    pub async fn act(&self, id: &str, status: Status, note: &str) -> Result<(), FetchError> {
        let id = crate::sources::alertmanager::api::safe_id(id).ok_or(FetchError::Decode("bad alert id".into()))?;
        let action = match status {
            Status::Acknowledged => "acknowledge",
            Status::Resolved => "close",
            Status::Triggered => {
                return Err(FetchError::Decode("Opsgenie alerts cannot be re-opened from here".into()));
            }
        };
        let body = json!({"user": "watchpost", "source": "watchpost", "note": note});
        match self.http.post_json(&format!("v2/alerts/{id}/{action}?identifierType=id"), &body).await {
            // A refusal (400, 422) comes back as a body with a message; success has a `result`.
            Ok(b) => match serde_json::from_slice::<ErrorBody>(&b) {
                Ok(e) => Err(FetchError::Api { kind: "opsgenie".into(), message: Clean::new(&e.message) }),
                Err(_) => Ok(()),
            },
            Err(e) if e.is_transient() => match self.one(&id).await {
                Ok(a) if a.status >= status => Ok(()),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    pub async fn note(&self, id: &str, text: &str) -> Result<(), FetchError> {
        let id = crate::sources::alertmanager::api::safe_id(id).ok_or(FetchError::Decode("bad alert id".into()))?;
        let body = json!({"user": "watchpost", "source": "watchpost", "note": text});
        self.http.post_json(&format!("v2/alerts/{id}/notes?identifierType=id"), &body).await.map(|_| ())
    }
}

/// The Opsgenie task: the same updates as PagerDuty's, tagged by source.
pub async fn run(
    og: Opsgenie,
    refresh: Duration,
    tx: mpsc::Sender<IncidentUpdate>,
    mut commands: mpsc::Receiver<IncidentCommand>,
) {
    let mut tick = tokio::time::interval(refresh);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let update = tokio::select! {
            _ = tick.tick() => poll(&og).await,
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { break };
                let (what, result) = match cmd {
                    IncidentCommand::Log(id) => {
                        let entries = og.log(&id).await.map_err(|e| Clean::new(&e.to_string()));
                        let _ = tx.send(IncidentUpdate::Log { id, entries }).await;
                        continue;
                    }
                    IncidentCommand::SetStatus(id, s) => (format!("{} {id}", s.as_str()), og.act(&id, s, "from watchpost").await),
                    IncidentCommand::Note(id, text) => (format!("note added to {id}"), og.note(&id, &text).await),
                    IncidentCommand::Reassign(id, _) | IncidentCommand::Escalate(id, _) => {
                        (format!("{id}: reassign and escalate are PagerDuty's; not done for Opsgenie"), Err(FetchError::Decode("not supported".into())))
                    }
                };
                let _ = tx.send(IncidentUpdate::Done { what, result: result.map_err(|e| Clean::new(&e.to_string())) }).await;
                tick.reset();
                poll(&og).await
            }
        };
        if tx.send(update).await.is_err() {
            break;
        }
    }
}

async fn poll(og: &Opsgenie) -> IncidentUpdate {
    match og.alerts().await {
        Ok((incidents, cut)) => IncidentUpdate::Snapshot { at: Utc::now(), source: Source::Opsgenie, incidents, cut },
        Err(e) => IncidentUpdate::Unreachable(Clean::new(&format!("opsgenie: {e}"))),
    }
}
