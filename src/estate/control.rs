//! The estate's control plane: one task owns the simulator's changes (drills' faults, operators'
//! actions) and applies them in order; the deploy API below reaches it through the same channel, so a
//! runbook, a rollback from the console and a drill all act on the estate the same way.
//!
//! The API, under `/estate/v1`:
//! - `GET services` — each service's version, revision, replicas, whether it is up, disk and certificate;
//! - `GET services/{name}` — one of them;
//! - `GET services/{name}/revisions` — its deploy history, oldest first;
//! - `POST services/{name}/{action}` — `rollback` (`{"revision": n}`, else the one before the current),
//!   `restart`, `scale` (`{"replicas": n}`), `failover`, `disk-cleanup`, `renew-cert`; the body may give
//!   `by` and `cause`. Answers the change made (`mitigated` when it fixed a fault), or 409 with why not;
//! - `GET changes?since=UNIX_SECONDS` — what operators did, oldest first;
//! - `GET faults` — the faults injected (a drill's), each `{"service", "fault": {"kind", …}, "from",
//!   "until"}` in unix seconds; `POST faults` injects one (`from` defaults to now, `until` to an hour
//!   later), as a drill in the console does; `DELETE faults?at=UNIX_SECONDS` ends those active then
//!   (default now). A drill run against `watchpost estate serve` acts through these.
use super::changes::{Action, Change, Revision};
use super::fault::{Fault, FaultSpec};
use super::model::Model;
use super::sim::Simulator;
use super::topology::{TOPOLOGY, index_of};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};

/// What can be done to the running estate.
#[derive(Debug)]
pub enum Control {
    Inject(Fault),
    /// End every fault active at this time (unix seconds): a drill's mitigation by hand, or its abort.
    EndFaults(f64),
    /// An operator's action on a service.
    Act {
        service: usize,
        action: Action,
        by: String,
        cause: String,
        reply: oneshot::Sender<Result<Change, String>>,
    },
    /// The model as it is now.
    Read(oneshot::Sender<(Model, f64)>),
}

/// Apply controls in order until every sender is gone. `changes` hears each operator action (the
/// console's drill learns of a mitigation from it); `on_model` sees the model after each control.
pub async fn run(
    sim: Arc<Mutex<Simulator>>,
    mut rx: mpsc::Receiver<Control>,
    changes: broadcast::Sender<Change>,
    mut on_model: impl FnMut(&Model) + Send,
) {
    while let Some(c) = rx.recv().await {
        let mut s = sim.lock().unwrap_or_else(|p| p.into_inner());
        let now = super::serve::now();
        s.advance_to(now);
        match c {
            Control::Inject(f) => s.inject(f),
            Control::EndFaults(t) => s.end_faults(t),
            Control::Act { service, action, by, cause, reply } => {
                let result = s.model.act(service, action, now, &by, &cause);
                if let Ok(change) = &result {
                    let _ = changes.send(change.clone());
                }
                let _ = reply.send(result);
            }
            Control::Read(reply) => {
                let _ = reply.send((s.model.clone(), now));
                continue;
            }
        }
        on_model(&s.model);
    }
}

/// How long a request waits for the control task (it is busy filling the demo's history at start).
const WAIT: Duration = Duration::from_secs(10);
/// The most faults the estate takes over its life, and at once.
const MAX_FAULTS: usize = 1000;
const MAX_ACTIVE_FAULTS: usize = 32;
/// Action bodies are a few fields.
const MAX_BODY: usize = 16 * 1024;

/// A refusal: its status and why, as `{"error": "…"}`.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

fn unavailable() -> ApiError {
    ApiError(StatusCode::SERVICE_UNAVAILABLE, "the estate is starting; try again shortly".into())
}

type Answer<T> = Result<Json<T>, ApiError>;

async fn read(tx: &mpsc::Sender<Control>) -> Result<(Model, f64), ApiError> {
    let (reply, rx) = oneshot::channel();
    tx.send(Control::Read(reply)).await.map_err(|_| unavailable())?;
    tokio::time::timeout(WAIT, rx).await.map_err(|_| unavailable())?.map_err(|_| unavailable())
}

fn service(name: &str) -> Result<usize, ApiError> {
    index_of(name).ok_or_else(|| {
        let names: Vec<&str> = TOPOLOGY.iter().map(|s| s.name).collect();
        ApiError(StatusCode::NOT_FOUND, format!("no service `{name}`: expected one of {}", names.join(", ")))
    })
}

#[derive(Serialize)]
struct Status {
    name: &'static str,
    version: String,
    revision: u32,
    replicas: u32,
    up: bool,
    disk_used_ratio: f64,
    cert_expires_at: String,
}

fn status(m: &Model, i: usize, now: f64) -> Status {
    let moment = m.moment(i, now);
    let rfc3339 = |t: f64| {
        chrono::DateTime::from_timestamp_millis((t * 1000.0) as i64)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    Status {
        name: TOPOLOGY[i].name,
        version: m.version(i, now).to_string(),
        revision: m.revisions(i, now).last().map_or(0, |r| r.revision),
        replicas: m.replicas(i, now),
        up: m.is_up(i, now),
        disk_used_ratio: moment.disk_used_bytes / TOPOLOGY[i].disk_capacity_bytes,
        cert_expires_at: rfc3339(moment.cert_expiry),
    }
}

type Tx = State<mpsc::Sender<Control>>;

async fn services(State(tx): Tx) -> Answer<Vec<Status>> {
    let (m, now) = read(&tx).await?;
    Ok(Json((0..TOPOLOGY.len()).map(|i| status(&m, i, now)).collect()))
}

async fn one(State(tx): Tx, Path(name): Path<String>) -> Answer<Status> {
    let i = service(&name)?;
    let (m, now) = read(&tx).await?;
    Ok(Json(status(&m, i, now)))
}

async fn revisions(State(tx): Tx, Path(name): Path<String>) -> Answer<Vec<Revision>> {
    let i = service(&name)?;
    let (m, now) = read(&tx).await?;
    Ok(Json(m.revisions(i, now)))
}

async fn changes(State(tx): Tx, Query(q): Query<HashMap<String, String>>) -> Answer<Vec<Change>> {
    let since = match q.get("since").map(|s| s.parse::<f64>()) {
        None => f64::MIN,
        Some(Ok(s)) => s,
        Some(Err(_)) => return Err(ApiError(StatusCode::BAD_REQUEST, "since: expected unix seconds".into())),
    };
    let (m, _) = read(&tx).await?;
    Ok(Json(m.changes.into_iter().filter(|c| c.at >= since).collect()))
}

fn faults_of(m: &Model) -> Vec<FaultSpec> {
    m.faults.iter().map(FaultSpec::of).collect()
}

async fn faults(State(tx): Tx) -> Answer<Vec<FaultSpec>> {
    Ok(Json(faults_of(&read(&tx).await?.0)))
}

async fn inject(State(tx): Tx, body: axum::body::Bytes) -> Result<(StatusCode, Json<FaultSpec>), ApiError> {
    let spec: FaultSpec = serde_json::from_slice(&body)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("expected a fault: {e}")))?;
    let now = super::serve::now();
    let fault = spec.fault(now).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    // Faults stay in the model (its history is made of them): bounded, as every buffer is.
    let (m, _) = read(&tx).await?;
    if m.faults.len() >= MAX_FAULTS {
        let msg = format!("the estate has taken {MAX_FAULTS} faults: restart it to take more");
        return Err(ApiError(StatusCode::TOO_MANY_REQUESTS, msg));
    }
    if m.faults.iter().filter(|f| f.until > now).count() >= MAX_ACTIVE_FAULTS {
        let msg = format!("{MAX_ACTIVE_FAULTS} faults are in effect or to come: end some first (DELETE)");
        return Err(ApiError(StatusCode::TOO_MANY_REQUESTS, msg));
    }
    let answer = FaultSpec::of(&fault);
    tx.send(Control::Inject(fault)).await.map_err(|_| unavailable())?;
    Ok((StatusCode::CREATED, Json(answer)))
}

async fn end_faults(State(tx): Tx, Query(q): Query<HashMap<String, String>>) -> Answer<Vec<FaultSpec>> {
    let at = match q.get("at").map(|s| s.parse::<f64>()) {
        None => super::serve::now(),
        Some(Ok(t)) if t.is_finite() => t,
        Some(_) => return Err(ApiError(StatusCode::BAD_REQUEST, "at: expected unix seconds".into())),
    };
    tx.send(Control::EndFaults(at)).await.map_err(|_| unavailable())?;
    // Controls apply in order: this read sees them ended.
    Ok(Json(faults_of(&read(&tx).await?.0)))
}

/// Text fields of a request are bounded and kept printable before they enter the model.
fn field(body: &serde_json::Map<String, serde_json::Value>, key: &str, default: &str) -> String {
    let s = body.get(key).and_then(|v| v.as_str()).unwrap_or(default);
    crate::text::sanitize(&s.chars().take(200).collect::<String>()).into_owned()
}

async fn act(State(tx): Tx, Path((name, action)): Path<(String, String)>, body: axum::body::Bytes) -> Answer<Change> {
    let i = service(&name)?;
    let bad = |msg: String| ApiError(StatusCode::BAD_REQUEST, msg);
    let mut body = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(_) => return Err(bad("expected a JSON object".into())),
            Err(e) => return Err(bad(format!("invalid JSON: {e}"))),
        }
    };
    if !Action::NAMES.contains(&action.as_str()) {
        let msg = format!("no action `{action}`: expected one of {}", Action::NAMES.join(", "));
        return Err(ApiError(StatusCode::NOT_FOUND, msg));
    }
    let (by, cause) = (field(&body, "by", "unknown"), field(&body, "cause", ""));
    body.insert("action".into(), action.clone().into());
    let action: Action =
        serde_json::from_value(serde_json::Value::Object(body)).map_err(|e| bad(format!("{action}: {e}")))?;
    let (reply, rx) = oneshot::channel();
    tx.send(Control::Act { service: i, action, by, cause, reply }).await.map_err(|_| unavailable())?;
    match tokio::time::timeout(WAIT, rx).await {
        Ok(Ok(Ok(change))) => Ok(Json(change)),
        Ok(Ok(Err(why))) => Err(ApiError(StatusCode::CONFLICT, why)),
        _ => Err(unavailable()),
    }
}

/// The deploy API, for a router that also serves other things.
pub fn router(tx: mpsc::Sender<Control>) -> Router {
    Router::new()
        .route("/estate/v1/services", get(services))
        .route("/estate/v1/services/{name}", get(one))
        .route("/estate/v1/services/{name}/revisions", get(revisions))
        .route("/estate/v1/services/{name}/{action}", post(act))
        .route("/estate/v1/changes", get(changes))
        .route("/estate/v1/faults", get(faults).post(inject).delete(end_faults))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(tx)
}
