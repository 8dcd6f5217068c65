//! PagerDuty's REST API v2: incidents of the configured services or teams (paginated), their log
//! entries, acknowledge, resolve, reassign, escalate and notes. State changes are PUTs (the same twice
//! is harmless); a note is a POST, looked for among the incident's notes before it is sent again.
pub mod poller;

use crate::config::HttpSource;
use crate::incidents::model::{Incident, LogEntry, Status};
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// At most this many pages are read (100 per page): a runaway list is cut, not followed forever.
pub const MAX_PAGES: usize = 10;
const PAGE: usize = 100;

#[derive(Clone)]
pub struct PagerDuty {
    pub http: HttpClient,
    pub services: Vec<String>,
    pub teams: Vec<String>,
}

#[derive(Deserialize)]
struct Ref {
    #[serde(default)]
    summary: String,
}

#[derive(Deserialize)]
struct Assignment {
    assignee: Ref,
}

#[derive(Deserialize)]
struct RawIncident {
    id: String,
    #[serde(default)]
    incident_number: u64,
    #[serde(default)]
    title: String,
    status: String,
    #[serde(default)]
    urgency: String,
    service: Option<Ref>,
    #[serde(default)]
    assignments: Vec<Assignment>,
    escalation_level: Option<u32>,
    created_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    html_url: String,
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(alias = "incidents", alias = "log_entries", alias = "notes")]
    items: Vec<T>,
    #[serde(default)]
    more: bool,
}

#[derive(Deserialize)]
struct RawLog {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    summary: String,
    created_at: DateTime<Utc>,
    agent: Option<Ref>,
}

#[derive(Deserialize)]
struct RawNote {
    #[serde(default)]
    content: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorInner,
}

#[derive(Deserialize)]
struct ErrorInner {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<String>,
}

fn safe_id(s: &str) -> Option<String> {
    crate::sources::alertmanager::api::safe_id(s)
}

/// Ok, unless the body is PagerDuty's error (a 400 answer comes back as a body).
fn refused(body: &[u8]) -> Result<(), FetchError> {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(err) => Err(FetchError::Api {
            kind: Clean::new("pagerduty"),
            message: Clean::new(format!("{} {}", err.error.message, err.error.errors.join("; ")).trim()),
        }),
        Err(_) => Ok(()),
    }
}

/// The body as `T`, or PagerDuty's error (`{"error": {"message", "errors"}}`) as an API error.
fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, FetchError> {
    serde_json::from_slice(body).map_err(|e| match serde_json::from_slice::<ErrorBody>(body) {
        Ok(err) => FetchError::Api {
            kind: Clean::new("pagerduty"),
            message: Clean::new(format!("{} {}", err.error.message, err.error.errors.join("; ")).trim()),
        },
        Err(_) => FetchError::Decode(Clean::new(&e.to_string())),
    })
}

/// The console's incident, or `None` for an id that is not safe to put in a path.
fn incident(r: RawIncident) -> Option<Incident> {
    Some(Incident {
        source: crate::incidents::model::Source::PagerDuty,
        id: safe_id(&r.id)?,
        number: r.incident_number,
        title: crate::alerts::model::display_value(&r.title),
        status: Status::parse(&r.status),
        urgency: Clean::new(&r.urgency),
        service: Clean::new(&r.service.map(|s| s.summary).unwrap_or_default()),
        assignees: r.assignments.iter().map(|a| Clean::new(&a.assignee.summary)).collect(),
        escalation_level: r.escalation_level.unwrap_or(1),
        created_at: r.created_at,
        resolved_at: r.resolved_at,
        url: Clean::new(&r.html_url),
    })
}

impl PagerDuty {
    pub fn new(src: &HttpSource, services: Vec<String>, teams: Vec<String>) -> Result<Self, String> {
        Ok(PagerDuty { http: HttpClient::new(&src.name, src)?, services, teams })
    }

    async fn pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(Vec<T>, bool), FetchError> {
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let mut q = query.to_vec();
            q.push(("limit", PAGE.to_string()));
            q.push(("offset", (page * PAGE).to_string()));
            let body = self.http.get(path, &q).await?;
            let p: Page<T> = decode(&body)?;
            out.extend(p.items);
            if !p.more {
                return Ok((out, false));
            }
        }
        Ok((out, true))
    }

    /// Open incidents (triggered or acknowledged), however old, and those resolved since `since`. `true`
    /// when either list was cut at [`MAX_PAGES`].
    ///
    /// Two listings: PagerDuty searches a `since`..`until` window of at most 6 months (1 month when unset),
    /// so an incident opened before the window and still open would be missed by one windowed listing.
    /// Open ones are asked with `date_range=all` (the window ignored), resolved ones within the window.
    pub async fn incidents(&self, since: DateTime<Utc>) -> Result<(Vec<Incident>, bool), FetchError> {
        let mut open: Vec<(&str, String)> = vec![("date_range", "all".into())];
        open.extend(["triggered", "acknowledged"].map(|s| ("statuses[]", s.to_string())));
        let mut resolved: Vec<(&str, String)> =
            vec![("since", since.to_rfc3339()), ("until", Utc::now().to_rfc3339()), ("statuses[]", "resolved".into())];
        for q in [&mut open, &mut resolved] {
            q.extend(self.services.iter().map(|s| ("service_ids[]", s.clone())));
            q.extend(self.teams.iter().map(|t| ("team_ids[]", t.clone())));
        }
        let ((open, open_cut), (resolved, resolved_cut)): ((Vec<RawIncident>, bool), (Vec<RawIncident>, bool)) =
            futures::future::try_join(self.pages("incidents", &open), self.pages("incidents", &resolved)).await?;
        // One resolved while the listings were read is in both, and one can come twice when a list shifts
        // under the offset. Its status only moves forward, so the furthest one seen is the current one.
        let mut list: Vec<Incident> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        for i in open.into_iter().chain(resolved).filter_map(incident) {
            match at.get(&i.id) {
                Some(&n) if i.status >= list[n].status => list[n] = i,
                Some(_) => {}
                None => {
                    at.insert(i.id.clone(), list.len());
                    list.push(i);
                }
            }
        }
        Ok((list, open_cut || resolved_cut))
    }

    pub async fn log(&self, id: &str) -> Result<Vec<LogEntry>, FetchError> {
        let id = safe_id(id).ok_or(FetchError::Decode("bad incident id".into()))?;
        let (raw, _): (Vec<RawLog>, bool) = self.pages(&format!("incidents/{id}/log_entries"), &[]).await?;
        Ok(raw
            .into_iter()
            .map(|l| LogEntry {
                at: l.created_at,
                kind: l.kind,
                summary: crate::alerts::model::display_value(&l.summary),
                agent: Clean::new(&l.agent.map(|a| a.summary).unwrap_or_default()),
            })
            .collect())
    }

    async fn put(&self, id: &str, incident: serde_json::Value) -> Result<(), FetchError> {
        let id = safe_id(id).ok_or(FetchError::Decode("bad incident id".into()))?;
        let body = self.http.put_json(&format!("incidents/{id}"), &json!({ "incident": incident })).await?;
        refused(&body)
    }

    pub async fn set_status(&self, id: &str, status: Status) -> Result<(), FetchError> {
        self.put(id, json!({"type": "incident_reference", "status": status.as_str()})).await
    }

    pub async fn reassign(&self, id: &str, user_id: &str) -> Result<(), FetchError> {
        let user = safe_id(user_id).ok_or(FetchError::Decode("bad user id".into()))?;
        let a = json!([{"assignee": {"id": user, "type": "user_reference"}}]);
        self.put(id, json!({"type": "incident_reference", "assignments": a})).await
    }

    pub async fn escalate(&self, id: &str, level: u32) -> Result<(), FetchError> {
        self.put(id, json!({"type": "incident_reference", "escalation_level": level})).await
    }

    /// Add a note, once: if the answer is lost, the notes are read to see whether it was added.
    pub async fn add_note(&self, id: &str, content: &str) -> Result<(), FetchError> {
        let id = safe_id(id).ok_or(FetchError::Decode("bad incident id".into()))?;
        let path = format!("incidents/{id}/notes");
        match self.http.post_json(&path, &json!({"note": {"content": content}})).await {
            Ok(body) => refused(&body),
            Err(e) if e.is_transient() => {
                let (notes, _): (Vec<RawNote>, bool) = self.pages(&path, &[]).await.map_err(|_| e.clone())?;
                if notes.iter().any(|n| n.content == content) { Ok(()) } else { Err(e) }
            }
            Err(e) => Err(e),
        }
    }
}

/// The id of a user reference, for reassigning (PagerDuty user ids such as `PABC123`).
pub fn user_id(r: &str) -> Option<String> {
    safe_id(r.trim())
}
