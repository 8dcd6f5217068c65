//! Opsgenie's Alert API (v2): open alerts (paginated by `paging.next`), acknowledge, close, notes and
//! the alert's log, shown as incidents beside PagerDuty's. Acknowledge, close and add note are
//! asynchronous in Opsgenie: the answer (202, "Request will be processed") only says the request was
//! queued, so its outcome is read from the request's status before the change is called done. When the
//! answer to a change is lost, the alert (or its notes) is read back, on the same schedule, to see
//! whether the change was made before anyone asks again. An outcome that cannot be learnt is reported
//! as unknown, never as done or failed.
use crate::config::HttpSource;
use crate::incidents::model::{Incident, LogEntry, Source, Status};
use crate::sources::alertmanager::api::safe_id;
use crate::sources::http::{FetchError, HttpClient};
use crate::sources::pagerduty::poller::{IncidentCommand, IncidentUpdate, NotDone};
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
    /// The waits before each further read of a request's status, or of the alert when the answer to
    /// the request was lost: [`STATUS_WAITS`] unless changed.
    pub status_waits: Vec<Duration>,
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

/// One of an alert's notes (`GET v2/alerts/{id}/notes`).
#[derive(Deserialize)]
struct RawNote {
    #[serde(default)]
    note: String,
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
pub const STATUS_WAITS: [Duration; 4] =
    [Duration::from_millis(300), Duration::from_millis(600), Duration::from_millis(1200), Duration::from_secs(2)];

/// The header in which Opsgenie names the kind of an error, and its name for a request's status asked
/// before the request was processed (a 404). Another 404 means Opsgenie knows no such request.
const ERROR_TYPE: &str = "x-opsgenie-errortype";
const NOT_PROCESSED: &str = "RequestNotProcessed";

/// How a change whose answer was lost is looked for on the alert.
enum Change<'a> {
    /// The alert at this status or further on.
    Status(Status),
    /// This note among the alert's notes.
    Note(&'a str),
}

/// The request may have reached Opsgenie though no answer came back: a timeout, a broken connection, a
/// server error. A 429 says it was turned away, so it is not looked for.
fn answer_lost(e: &FetchError) -> bool {
    e.is_transient() && !matches!(e, FetchError::Status { code: 429, .. })
}

/// Refused, or failed as Opsgenie says: not done.
fn failed(message: &str) -> NotDone {
    FetchError::Api { kind: "opsgenie".into(), message: Clean::new(message) }.into()
}

/// Perhaps done, perhaps not: Opsgenie may still process the request.
fn unknown(message: &str) -> NotDone {
    NotDone::Unknown(Clean::new(message))
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
        id: safe_id(&a.id)?,
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
        let http = HttpClient::new(&src.name, src)?.keep_error_header(ERROR_TYPE);
        Ok(Opsgenie { http, query, status_waits: STATUS_WAITS.to_vec() })
    }

    /// The waits before each read of a request's status (or of the alert): none before the first.
    fn reads(&self) -> impl Iterator<Item = Duration> + '_ {
        std::iter::once(Duration::ZERO).chain(self.status_waits.iter().copied())
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

    /// The alert's latest notes, newest first (one page): enough to find one just added.
    async fn notes(&self, id: &str) -> Result<Vec<String>, FetchError> {
        let q = [("identifierType", "id".to_string()), ("order", "desc".to_string()), ("limit", PAGE.to_string())];
        let body = self.http.get(&format!("v2/alerts/{id}/notes"), &q).await?;
        let p: Page<RawNote> = decode(&body)?;
        Ok(p.data.into_iter().map(|n| n.note).collect())
    }

    pub async fn log(&self, id: &str) -> Result<Vec<LogEntry>, FetchError> {
        let id = safe_id(id).ok_or(FetchError::Decode("bad alert id".into()))?;
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
    pub async fn act(&self, id: &str, status: Status, note: &str) -> Result<(), NotDone> {
        let id = safe_id(id).ok_or(FetchError::Decode("bad alert id".into()))?;
        let action = match status {
            Status::Acknowledged => "acknowledge",
            Status::Resolved => "close",
            Status::Triggered => return Err(failed("Opsgenie alerts cannot be re-opened from here")),
        };
        let body = json!({"user": "watchpost", "source": "watchpost", "note": note});
        match self.http.post_json(&format!("v2/alerts/{id}/{action}?identifierType=id"), &body).await {
            Ok(answer) => self.outcome(&answer).await,
            Err(e) if answer_lost(&e) => self.read_back(&e, &id, Change::Status(status)).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Add a note to the alert, done when Opsgenie's request status says so; if the answer to the POST is
    /// lost, done when the note is among the alert's notes.
    pub async fn note(&self, id: &str, text: &str) -> Result<(), NotDone> {
        let id = safe_id(id).ok_or(FetchError::Decode("bad alert id".into()))?;
        let body = json!({"user": "watchpost", "source": "watchpost", "note": text});
        match self.http.post_json(&format!("v2/alerts/{id}/notes?identifierType=id"), &body).await {
            Ok(answer) => self.outcome(&answer).await,
            Err(e) if answer_lost(&e) => self.read_back(&e, &id, Change::Note(text)).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Whether alert `id` shows `change` now.
    async fn shows(&self, id: &str, change: &Change<'_>) -> Result<bool, FetchError> {
        Ok(match change {
            Change::Status(status) => self.one(id).await?.status >= *status,
            Change::Note(text) => self.notes(id).await?.iter().any(|n| n.trim() == text.trim()),
        })
    }

    /// After the answer to a change of alert `id` was lost (`lost`), look for the change on the schedule
    /// of [`Opsgenie::reads`]: done once it shows. Opsgenie may queue the request and process it later,
    /// so a change that never showed, or that could not be looked for, is of unknown outcome, not failed.
    async fn read_back(&self, lost: &FetchError, id: &str, change: Change<'_>) -> Result<(), NotDone> {
        let what = match change {
            Change::Status(_) => "the alert",
            Change::Note(_) => "the alert's notes",
        };
        let mut reads = 0;
        for wait in self.reads() {
            tokio::time::sleep(wait).await;
            reads += 1;
            match self.shows(id, &change).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => return Err(unknown(&format!("{lost}, and {what} could not be read back: {e}"))),
            }
        }
        Err(unknown(&format!("{lost}, and {what} did not show the change in {reads} reads")))
    }

    /// The outcome of a change from the answer to its POST: a refusal (400, 422) comes back as a body
    /// with a `message`; an accepted request's `requestId` is followed to its status.
    async fn outcome(&self, answer: &[u8]) -> Result<(), NotDone> {
        if let Ok(e) = serde_json::from_slice::<ErrorBody>(answer) {
            return Err(failed(&e.message));
        }
        let request = serde_json::from_slice::<Accepted>(answer).ok().and_then(|a| safe_id(&a.request_id));
        match request {
            Some(request) => self.request_status(&request).await,
            None => Err(unknown("Opsgenie accepted the request without a readable request id to follow")),
        }
    }

    /// Wait for Opsgenie to process `request`: done only when its status says it succeeded, failed with
    /// the status's text when it says it failed, otherwise unknown. Until the request is processed its
    /// status answers 404 marked `X-Opsgenie-Errortype: RequestNotProcessed`, and is read again after
    /// each wait. Any other error (a 404 without that mark: Opsgenie knows no such request; a server
    /// error the client already retried) ends the waiting: reading again would not tell more.
    async fn request_status(&self, request: &str) -> Result<(), NotDone> {
        let path = format!("v2/alerts/requests/{request}");
        let cannot_read = |e: &FetchError| {
            unknown(&format!("Opsgenie accepted request {request}, but its status could not be read: {e}"))
        };
        let mut reads = 0;
        for wait in self.reads() {
            tokio::time::sleep(wait).await;
            reads += 1;
            let body = match self.http.get(&path, &[]).await {
                Err(FetchError::Status { code: 404, error_type: Some(t), .. }) if t.raw() == NOT_PROCESSED => continue,
                Err(e) => return Err(cannot_read(&e)),
                Ok(body) => body,
            };
            let s: One<RequestStatus> = decode(&body).map_err(|e| cannot_read(&e))?;
            return match s.data.is_success.or(s.data.success) {
                Some(true) => Ok(()),
                Some(false) if s.data.status.is_empty() => Err(failed(&format!("request {request} failed"))),
                Some(false) => Err(failed(&s.data.status)),
                None => Err(unknown(&format!("the status of request {request} does not say whether it succeeded"))),
            };
        }
        Err(unknown(&format!(
            "Opsgenie accepted request {request}, but had not processed it after {reads} reads of its status"
        )))
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
                        let why = NotDone::Failed("PagerDuty's only; not done for Opsgenie".into());
                        (format!("{id}: reassign and escalate"), Err(why))
                    }
                };
                let _ = tx.send(IncidentUpdate::Done { what, result }).await;
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
        Ok((incidents, cut)) => {
            IncidentUpdate::Snapshot { at: Utc::now(), source: Source::Opsgenie, incidents, cut, errors: Vec::new() }
        }
        Err(e) => IncidentUpdate::Unreachable(Clean::new(&format!("opsgenie: {e}"))),
    }
}
