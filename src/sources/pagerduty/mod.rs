//! PagerDuty's REST API v2: incidents of the configured services or teams (paginated), their log
//! entries, acknowledge, resolve, reassign, escalate and notes. State changes are PUTs (the same twice
//! is harmless); a note is a POST, looked for among the incident's notes before it is sent again.
pub mod poller;

use crate::config::HttpSource;
use crate::incidents::model::{Incident, LogEntry, Status};
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use poller::NotDone;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// At most this many pages are read (100 per page) for one poll's incidents, open and resolved together,
/// and for one incident's log or notes: a runaway list is cut, not followed forever.
pub const MAX_PAGES: usize = 10;
const PAGE: usize = 100;

/// What one poll lists: the open incidents, and the resolved ones or why they could not be listed.
pub struct Listing {
    pub open: Vec<Incident>,
    pub resolved: Result<Vec<Incident>, FetchError>,
    /// The pages ran out (at [`MAX_PAGES`]) before the incidents did.
    pub cut: bool,
}

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

    /// At most `max_pages` pages of a list: the items, how many pages were read, and whether more were
    /// left unread.
    async fn pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        max_pages: usize,
    ) -> Result<(Vec<T>, usize, bool), FetchError> {
        let mut out = Vec::new();
        for page in 0..max_pages {
            let mut q = query.to_vec();
            q.push(("limit", PAGE.to_string()));
            q.push(("offset", (page * PAGE).to_string()));
            let body = self.http.get(path, &q).await?;
            let p: Page<T> = decode(&body)?;
            out.extend(p.items);
            if !p.more {
                return Ok((out, page + 1, false));
            }
        }
        Ok((out, max_pages, true))
    }

    /// Open incidents (triggered or acknowledged), however old, and resolved ones opened since `since`:
    /// PagerDuty's window is by when an incident was opened, so one opened before `since` and resolved
    /// since is not among them. An error when the open ones cannot be listed; when only the resolved ones
    /// cannot, the open ones and that error.
    ///
    /// Two listings: PagerDuty searches a `since`..`until` window of at most 6 months (1 month when unset),
    /// so an incident opened before the window and still open would be missed by one windowed listing.
    /// Open ones are asked with `date_range=all` (the window ignored), resolved ones within the window.
    pub async fn incidents(&self, since: DateTime<Utc>) -> Result<Listing, FetchError> {
        let mut open: Vec<(&str, String)> = vec![("date_range", "all".into())];
        open.extend(["triggered", "acknowledged"].map(|s| ("statuses[]", s.to_string())));
        let mut resolved: Vec<(&str, String)> =
            vec![("since", since.to_rfc3339()), ("until", Utc::now().to_rfc3339()), ("statuses[]", "resolved".into())];
        for q in [&mut open, &mut resolved] {
            q.extend(self.services.iter().map(|s| ("service_ids[]", s.clone())));
            q.extend(self.teams.iter().map(|t| ("team_ids[]", t.clone())));
        }
        // One budget of pages for both listings, open ones first: the cap bounds what one poll asks of
        // PagerDuty (the screen says the list was cut at 1 000), and the open incidents, the ones acted
        // on, are never those left out. So they are read one after the other, at one more round trip.
        let (open, read, open_cut) = self.pages::<RawIncident>("incidents", &open, MAX_PAGES).await?;
        let open = open.into_iter().filter_map(incident).collect();
        let (resolved, resolved_cut) = match MAX_PAGES - read {
            0 => (Ok(Vec::new()), true),
            left => match self.pages::<RawIncident>("incidents", &resolved, left).await {
                Ok((r, _, cut)) => (Ok(r.into_iter().filter_map(incident).collect()), cut),
                Err(e) => (Err(e), false),
            },
        };
        Ok(Listing { open, resolved, cut: open_cut || resolved_cut })
    }

    pub async fn log(&self, id: &str) -> Result<Vec<LogEntry>, FetchError> {
        let id = safe_id(id).ok_or(FetchError::Decode("bad incident id".into()))?;
        let (raw, ..): (Vec<RawLog>, _, _) = self.pages(&format!("incidents/{id}/log_entries"), &[], MAX_PAGES).await?;
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

    /// Add a note, once: if the answer is lost, the notes are read to see whether it was added. PagerDuty
    /// adds a note before it answers, so one not among them then is taken as not added; when they cannot
    /// be read, whether it was is unknown.
    pub async fn add_note(&self, id: &str, content: &str) -> Result<(), NotDone> {
        let id = safe_id(id).ok_or(FetchError::Decode("bad incident id".into()))?;
        let path = format!("incidents/{id}/notes");
        match self.http.post_json(&path, &json!({"note": {"content": content}})).await {
            Ok(body) => Ok(refused(&body)?),
            Err(e) if e.is_transient() => match self.pages::<RawNote>(&path, &[], MAX_PAGES).await {
                Ok((notes, ..)) if notes.iter().any(|n| n.content == content) => Ok(()),
                Ok(_) => Err(NotDone::Failed(Clean::new(&format!("{e}; the note is not among the incident's notes")))),
                Err(read) => {
                    Err(NotDone::Unknown(Clean::new(&format!("{e}; the incident's notes could not be read: {read}"))))
                }
            },
            Err(e) => Err(e.into()),
        }
    }
}

/// Open and resolved incidents as one list. One resolved while the listings were read is in both, and one
/// can come twice when a list shifts under the offset; its status only moves forward, so the furthest one
/// seen is the current one.
pub fn merge(open: Vec<Incident>, resolved: Vec<Incident>) -> Vec<Incident> {
    let mut list: Vec<Incident> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for i in open.into_iter().chain(resolved) {
        match at.get(&i.id) {
            Some(&n) if i.status >= list[n].status => list[n] = i,
            Some(_) => {}
            None => {
                at.insert(i.id.clone(), list.len());
                list.push(i);
            }
        }
    }
    list
}

/// The id of a user reference, for reassigning (PagerDuty user ids such as `PABC123`).
pub fn user_id(r: &str) -> Option<String> {
    safe_id(r.trim())
}
