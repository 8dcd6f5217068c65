//! A PagerDuty-like incident list over the embedded engine's critical alerts (the demo's and drills'),
//! answering the part of PagerDuty's REST API v2 the console uses: `GET /incidents` (filtered by
//! status, service and time window as PagerDuty does, in offset pages),
//! `PUT /incidents/{id}` (status, assignments, escalation level), `GET`/`POST /incidents/{id}/notes`,
//! `GET /incidents/{id}/log_entries`. An incident opens when a critical alert fires and resolves when
//! it stops.
use super::Shared;
use crate::alerts::model::fingerprint;
use crate::rules::AlertState;
use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq)]
pub struct EstateIncident {
    pub id: String,
    pub number: u64,
    pub alert: String,
    pub title: String,
    pub service: String,
    pub status: &'static str,
    pub assignee: String,
    pub escalation_level: u64,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub notes: Vec<String>,
    /// (time, type, summary, agent)
    pub log: Vec<(DateTime<Utc>, &'static str, String, String)>,
}

/// The incident list keeps at most this many (open ones are never dropped).
pub const MAX_INCIDENTS: usize = 500;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Open an incident for every firing critical alert that has none; resolve those whose alert stopped.
fn sync(s: &Shared, now: DateTime<Utc>) {
    let firing: Vec<(String, String, String, DateTime<Utc>)> = {
        let rules = s.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules
            .alerts()
            .filter(|(_, a)| a.state == AlertState::Firing && a.labels.get("severity").is_some_and(|v| v == "critical"))
            .map(|(r, a)| {
                let job = a.labels.get("job").or_else(|| a.labels.get("service")).cloned().unwrap_or_default();
                let title = a.annotations.get("summary").cloned().unwrap_or_else(|| r.name().to_string());
                let fired = DateTime::from_timestamp_millis(a.fired_at.unwrap_or(a.active_at)).unwrap_or(now);
                (fingerprint(&a.labels), title, job, fired)
            })
            .collect()
    };
    let mut all = s.incidents.lock().unwrap_or_else(|p| p.into_inner());
    for (fp, title, job, fired) in &firing {
        if !all.iter().any(|i| &i.alert == fp && i.status != "resolved") {
            // Numbers never repeat, though old incidents are dropped.
            let number = all.iter().map(|i| i.number).max().unwrap_or(0) + 1;
            all.push(EstateIncident {
                id: format!("Q{number:06}"),
                number,
                alert: fp.clone(),
                title: title.clone(),
                service: job.clone(),
                status: "triggered",
                assignee: "On call".into(),
                escalation_level: 1,
                created_at: *fired,
                resolved_at: None,
                notes: Vec::new(),
                log: vec![(
                    *fired,
                    "trigger_log_entry",
                    "Triggered by the estate's alert".into(),
                    "watchpost estate".into(),
                )],
            });
        }
    }
    // Bounded: the oldest resolved incidents go first.
    while all.len() > MAX_INCIDENTS {
        match all.iter().position(|i| i.status == "resolved") {
            Some(p) => drop(all.remove(p)),
            None => break,
        }
    }
    for i in all.iter_mut().filter(|i| i.status != "resolved") {
        if !firing.iter().any(|(fp, ..)| *fp == i.alert) {
            i.status = "resolved";
            i.resolved_at = Some(now);
            i.log.push((now, "resolve_log_entry", "Resolved: the alert stopped".into(), "watchpost estate".into()));
        }
    }
}

fn incident_json(i: &EstateIncident) -> Value {
    json!({
        "id": i.id, "type": "incident", "incident_number": i.number, "title": i.title, "status": i.status,
        "urgency": "high", "created_at": ts(i.created_at), "resolved_at": i.resolved_at.map(ts),
        "service": {"id": i.service, "type": "service_reference", "summary": i.service},
        "assignments": [{"assignee": {"id": "PONCALL", "type": "user_reference", "summary": i.assignee}}],
        "escalation_level": i.escalation_level, "html_url": "",
    })
}

/// A `GET /incidents` query read as PagerDuty reads it: `statuses[]` and `service_ids[]` (each
/// repeated) filter; incidents opened within `since`..`until` are listed (a month back from `until` when
/// `since` is unset, 6 months at most) unless `date_range=all`; `limit` (25 by default, 100 at most) and
/// `offset` page. Public so that tests answering as PagerDuty read a query the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct ListQuery {
    pub statuses: Vec<String>,
    pub service_ids: Vec<String>,
    /// `None` with `date_range=all`.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub limit: usize,
    pub offset: usize,
}

impl ListQuery {
    /// Read a raw query string at time `now`; `Err` says why PagerDuty would refuse it (a 400).
    pub fn parse(raw: &str, now: DateTime<Utc>) -> Result<ListQuery, String> {
        let q: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes()).into_owned().collect();
        let all_of = |k: &str| q.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        let one = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let time = |k: &str| match one(k) {
            None => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(v).map(|t| Some(t.with_timezone(&Utc))).map_err(|_| k.to_string()),
        };
        let number = |k: &str, default: usize| one(k).map_or(Ok(default), |v| v.parse().map_err(|_| k.to_string()));
        let window = match one("date_range") {
            Some("all") => None,
            _ => {
                let until = time("until")?.unwrap_or(now);
                let since = time("since")?.unwrap_or(until - chrono::Duration::days(30));
                if until - since > chrono::Duration::days(183) {
                    return Err("Date range cannot be more than 6 months".into());
                }
                Some((since, until))
            }
        };
        Ok(ListQuery {
            statuses: all_of("statuses[]"),
            service_ids: all_of("service_ids[]"),
            window,
            limit: number("limit", 25)?.clamp(1, 100),
            offset: number("offset", 0)?,
        })
    }

    /// Whether an incident with this status, of this service, opened at `created_at`, is listed.
    pub fn matches(&self, status: &str, service_id: &str, created_at: DateTime<Utc>) -> bool {
        (self.statuses.is_empty() || self.statuses.iter().any(|s| s == status))
            && (self.service_ids.is_empty() || self.service_ids.iter().any(|s| s == service_id))
            && self.window.is_none_or(|(since, until)| since <= created_at && created_at < until)
    }
}

fn invalid(why: &str) -> Response {
    let e = json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [why]}});
    (StatusCode::BAD_REQUEST, Json(e)).into_response()
}

/// Only what the query asks, as PagerDuty answers it ([`ListQuery`]), newest first.
async fn list(State(s): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let now = Utc::now();
    sync(&s, now);
    let q = match ListQuery::parse(&raw.unwrap_or_default(), now) {
        Ok(q) => q,
        Err(why) => return invalid(&why),
    };
    let all = s.incidents.lock().unwrap_or_else(|p| p.into_inner());
    let matching: Vec<&EstateIncident> =
        all.iter().rev().filter(|i| q.matches(i.status, &i.service, i.created_at)).collect();
    let page: Vec<Value> = matching.iter().skip(q.offset).take(q.limit).map(|i| incident_json(i)).collect();
    let more = q.offset + q.limit < matching.len();
    Json(json!({"incidents": page, "limit": q.limit, "offset": q.offset, "more": more, "total": null})).into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": {"message": "Not Found", "code": 2100}}))).into_response()
}

async fn update(State(s): State<Arc<Shared>>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let now = Utc::now();
    let mut all = s.incidents.lock().unwrap_or_else(|p| p.into_inner());
    let Some(i) = all.iter_mut().find(|i| i.id == id) else { return not_found() };
    let inc = &body["incident"];
    if let Some(st) = inc["status"].as_str() {
        if i.status == "resolved" {
            return invalid("Incident Already Resolved");
        }
        let (status, kind) = match st {
            "acknowledged" => ("acknowledged", "acknowledge_log_entry"),
            "resolved" => ("resolved", "resolve_log_entry"),
            _ => return invalid("status"),
        };
        i.status = status;
        if status == "resolved" {
            i.resolved_at = Some(now);
        }
        i.log.push((
            now,
            kind,
            format!("{} from watchpost", if status == "resolved" { "Resolved" } else { "Acknowledged" }),
            "you".into(),
        ));
    }
    if let Some(who) = inc["assignments"][0]["assignee"]["id"].as_str() {
        i.assignee = who.to_string();
        i.log.push((now, "assign_log_entry", format!("Reassigned to {who}"), "you".into()));
    }
    if let Some(level) = inc["escalation_level"].as_u64() {
        i.escalation_level = level;
        i.log.push((now, "escalate_log_entry", format!("Escalated to level {level}"), "you".into()));
    }
    Json(json!({"incident": incident_json(i)})).into_response()
}

async fn notes(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let all = s.incidents.lock().unwrap_or_else(|p| p.into_inner());
    let Some(i) = all.iter().find(|i| i.id == id) else { return not_found() };
    Json(json!({"notes": i.notes.iter().map(|n| json!({"content": n})).collect::<Vec<_>>()})).into_response()
}

async fn add_note(State(s): State<Arc<Shared>>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let now = Utc::now();
    let mut all = s.incidents.lock().unwrap_or_else(|p| p.into_inner());
    let Some(i) = all.iter_mut().find(|i| i.id == id) else { return not_found() };
    let content = body["note"]["content"].as_str().unwrap_or_default().to_string();
    i.notes.push(content.clone());
    i.log.push((now, "annotate_log_entry", format!("Note added: {content}"), "you".into()));
    Json(json!({"note": {"content": content, "created_at": ts(now)}})).into_response()
}

async fn log_entries(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let all = s.incidents.lock().unwrap_or_else(|p| p.into_inner());
    let Some(i) = all.iter().find(|i| i.id == id) else { return not_found() };
    let entries: Vec<Value> = i
        .log
        .iter()
        .map(|(at, kind, summary, agent)| json!({"type": kind, "summary": summary, "created_at": ts(*at), "agent": {"summary": agent}}))
        .collect();
    Json(json!({"log_entries": entries, "limit": 100, "offset": 0, "more": false})).into_response()
}

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/incidents", get(list))
        .route("/incidents/{id}", axum::routing::put(update))
        .route("/incidents/{id}/notes", get(notes).post(add_note))
        .route("/incidents/{id}/log_entries", get(log_entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(number: u64, created_at: DateTime<Utc>) -> EstateIncident {
        EstateIncident {
            id: format!("Q{number:06}"),
            number,
            alert: String::new(),
            title: "checkout errors".into(),
            service: "checkout".into(),
            status: "resolved",
            assignee: "On call".into(),
            escalation_level: 1,
            created_at,
            resolved_at: Some(created_at),
            notes: Vec::new(),
            log: Vec::new(),
        }
    }

    async fn ids(s: &Arc<Shared>, query: &str) -> Vec<String> {
        let resp = list(State(s.clone()), RawQuery(Some(query.to_string()))).await;
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["incidents"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
    }

    #[tokio::test]
    async fn the_list_honours_statuses_and_the_time_window() {
        let now = Utc::now();
        let s = Arc::new(Shared::default());
        *s.incidents.lock().unwrap() =
            vec![resolved(1, now - chrono::Duration::days(40)), resolved(2, now - chrono::Duration::hours(1))];
        let since =
            url::form_urlencoded::byte_serialize(ts(now - chrono::Duration::days(30)).as_bytes()).collect::<String>();
        assert_eq!(ids(&s, &format!("statuses[]=resolved&since={since}")).await, ["Q000002"]);
        assert_eq!(ids(&s, "statuses[]=resolved").await, ["Q000002"], "30 days by default");
        assert_eq!(ids(&s, "statuses[]=resolved&date_range=all").await, ["Q000002", "Q000001"]);
        assert!(ids(&s, "statuses[]=triggered&statuses[]=acknowledged&date_range=all").await.is_empty());
        assert!(ids(&s, "date_range=all&service_ids[]=payments").await.is_empty());
        let refused = list(State(s.clone()), RawQuery(Some("since=yesterday".into()))).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "a time PagerDuty cannot read");
    }
}
