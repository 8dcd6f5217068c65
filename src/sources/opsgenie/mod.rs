//! Opsgenie's Alert API (v2): open alerts (paginated by `paging.next`), acknowledge, close, notes and
//! the alert's log, shown as incidents beside PagerDuty's. Acknowledge, close and add note are
//! asynchronous in Opsgenie: the answer (202, "Request will be processed") only says the request was
//! queued, so its outcome is read from the request's status before the change is called done. When the
//! answer to an acknowledge or close is lost, the alert is read back to see whether the change was made
//! before it is asked again.
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

/// Opsgenie's answer to an action it queued: `{"result": "Request will be processed", "requestId"}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    request_id: String,
}

/// What `GET v2/alerts/requests/{requestId}` says of a processed request (its `data`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestStatus {
    is_success: Option<bool>,
    success: Option<bool>,
    /// "Acknowledged", or why it failed ("Alert is already closed").
    #[serde(default)]
    status: String,
}

/// The waits before each further read of a request's status: five reads within about 4 s, since
/// Opsgenie usually processes a request in well under a second.
const STATUS_WAITS: [Duration; 4] =
    [Duration::from_millis(300), Duration::from_millis(600), Duration::from_millis(1200), Duration::from_secs(2)];

fn api_error(message: &str) -> FetchError {
    FetchError::Api { kind: "opsgenie".into(), message: Clean::new(message) }
}

/// An accepted request whose outcome could not be learnt: neither done nor refused, as far as we know.
fn unknown(request: &str, why: &FetchError) -> FetchError {
    api_error(&format!("request {request} was accepted but its outcome is unknown: {why}"))
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

    /// Acknowledge or close (an action POST), done when Opsgenie's request status says so; if the answer
    /// to the POST is lost, done when the alert shows it.
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
            Ok(b) => self.outcome(&b).await,
            Err(e) if e.is_transient() => match self.one(&id).await {
                Ok(a) if a.status >= status => Ok(()),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Add a note to the alert, done when Opsgenie's request status says so.
    pub async fn note(&self, id: &str, text: &str) -> Result<(), FetchError> {
        let id = crate::sources::alertmanager::api::safe_id(id).ok_or(FetchError::Decode("bad alert id".into()))?;
        let body = json!({"user": "watchpost", "source": "watchpost", "note": text});
        let answer = self.http.post_json(&format!("v2/alerts/{id}/notes?identifierType=id"), &body).await?;
        self.outcome(&answer).await
    }

    /// The outcome of an action from the answer to its POST: a refusal (400, 422) comes back as a body
    /// with a `message`; an accepted request's `requestId` is followed to its status.
    async fn outcome(&self, answer: &[u8]) -> Result<(), FetchError> {
        if let Ok(e) = serde_json::from_slice::<ErrorBody>(answer) {
            return Err(api_error(&e.message));
        }
        let accepted: Accepted =
            serde_json::from_slice(answer).map_err(|e| api_error(&format!("accepted without a request id: {e}")))?;
        let request = crate::sources::alertmanager::api::safe_id(&accepted.request_id)
            .ok_or_else(|| api_error("accepted with an unreadable request id"))?;
        self.request_status(&request).await
    }

    /// Wait for Opsgenie to process `request`: `Ok` only when it says it succeeded, its status text
    /// when it failed. Until processed, the status answers 404 (marked `X-Opsgenie-Errortype:
    /// RequestNotProcessed`); it is read again after each of [`STATUS_WAITS`].
    async fn request_status(&self, request: &str) -> Result<(), FetchError> {
        let path = format!("v2/alerts/requests/{request}");
        for wait in std::iter::once(Duration::ZERO).chain(STATUS_WAITS) {
            tokio::time::sleep(wait).await;
            let body = match self.http.get(&path, &[]).await {
                Err(FetchError::Status { code: 404, .. }) => continue,
                Err(e) => return Err(unknown(request, &e)),
                Ok(body) => body,
            };
            let s: One<RequestStatus> = decode(&body).map_err(|e| unknown(request, &e))?;
            return match s.data.is_success.or(s.data.success) {
                Some(true) => Ok(()),
                Some(false) if s.data.status.is_empty() => Err(api_error(&format!("request {request} failed"))),
                Some(false) => Err(api_error(&s.data.status)),
                None => Err(unknown(request, &FetchError::Decode("no isSuccess in the request status".into()))),
            };
        }
        let tries = STATUS_WAITS.len() + 1;
        Err(api_error(&format!("not processed yet after {tries} tries (request id {request}); its outcome is unknown")))
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
