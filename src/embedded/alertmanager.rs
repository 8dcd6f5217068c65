//! An Alertmanager-v2-compatible API over the embedded engine's alerting rules, so the console's
//! Alertmanager client works on the demo, on drills and on direct scraping: `GET /api/v2/alerts`
//! (firing alerts, suppressed by matching silences), `GET`/`POST /api/v2/silences`,
//! `DELETE /api/v2/silence/{id}`, `GET /api/v2/status`. Silences live in memory and, where a file is
//! given (the demo's), are kept across restarts as Alertmanager keeps them in its data directory: a
//! console started again finds the silences it made and does not make them twice.
use super::Shared;
use crate::alerts::matcher::{Matcher, Op, matches_all, to_text};
use crate::alerts::model::fingerprint;
use crate::rules::AlertState;
use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq)]
pub struct StoredSilence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

impl StoredSilence {
    fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.ends_at <= now {
            "expired"
        } else if self.starts_at > now {
            "pending"
        } else {
            "active"
        }
    }
}

/// The `filter` parameters of a request (repeated, each one matcher as amtool writes it), parsed; a
/// bad one is the client's error, said as Alertmanager says it.
fn filters(query: Option<&str>) -> Result<Vec<Matcher>, Box<Response>> {
    let mut out = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k == "filter" {
            let parsed =
                crate::alerts::matcher::parse(&v).map_err(|e| Box::new(bad(&format!("bad matcher format: {e}"))))?;
            out.extend(parsed);
        }
    }
    Ok(out)
}

/// Alertmanager's test of a silence against filter matchers: the silence's matchers read as labels
/// (name → value as written), an empty filter value matching an absent label.
fn silence_passes(s: &StoredSilence, filter: &[Matcher]) -> bool {
    let labels: crate::engine::Labels = s.matchers.iter().map(|m| (m.name.clone(), m.value.clone())).collect();
    filter.iter().all(|m| {
        let present = labels.contains_key(&m.name);
        let negative = matches!(m.op, Op::NotEqual | Op::NotRegex);
        (m.value.is_empty() && present == negative) || m.matches(&labels)
    })
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn bad(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!(msg))).into_response()
}

async fn alerts(State(s): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let filter = match filters(query.as_deref()) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let now = Utc::now();
    let silences = s.silences.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let rules = s.rules.lock().unwrap_or_else(|p| p.into_inner());
    let list: Vec<serde_json::Value> = rules
        .alerts()
        .filter(|(_, a)| a.state == AlertState::Firing && matches_all(&filter, &a.labels))
        .map(|(_, a)| {
            let silenced_by: Vec<&String> = silences
                .iter()
                .filter(|x| x.state(now) == "active" && matches_all(&x.matchers, &a.labels))
                .map(|x| &x.id)
                .collect();
            let fired = a.fired_at.unwrap_or(a.active_at);
            json!({
                "labels": a.labels,
                "annotations": a.annotations,
                "fingerprint": fingerprint(&a.labels),
                "startsAt": ts(DateTime::from_timestamp_millis(fired).unwrap_or(now)),
                "endsAt": ts(now + chrono::Duration::minutes(4)),
                "updatedAt": ts(now),
                "generatorURL": "",
                "receivers": [{"name": "watchpost"}],
                "status": {
                    "state": if silenced_by.is_empty() { "active" } else { "suppressed" },
                    "silencedBy": silenced_by,
                    "inhibitedBy": [],
                },
            })
        })
        .collect();
    Json(list).into_response()
}

fn silence_json(x: &StoredSilence, now: DateTime<Utc>) -> serde_json::Value {
    json!({
        "id": x.id,
        "status": {"state": x.state(now)},
        "updatedAt": ts(x.updated_at),
        "matchers": x.matchers.iter().map(crate::sources::alertmanager::api::matcher_json).collect::<Vec<_>>(),
        "startsAt": ts(x.starts_at),
        "endsAt": ts(x.ends_at),
        "createdBy": x.created_by,
        "comment": x.comment,
    })
}

/// Keep the silences in `path` from now on, starting with those already there (expired ones past
/// [`kept`] are forgotten, as on every change). A file that cannot be read starts empty, and says why.
pub fn keep_silences(shared: &Shared, path: std::path::PathBuf) {
    let now = Utc::now();
    let read = match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        read => read
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Vec<serde_json::Value>>(&b).map_err(|e| e.to_string())),
    };
    // An entry that does not read back is left out, not the whole file.
    let kept: Vec<StoredSilence> = match read {
        Ok(list) => list.into_iter().filter_map(stored).filter(|x| kept(x, now)).collect(),
        Err(e) => {
            tracing::warn!("{}: silences not read: {e}", path.display());
            Vec::new()
        }
    };
    *shared.silences.lock().unwrap_or_else(|p| p.into_inner()) = kept;
    *shared.silences_file.lock().unwrap_or_else(|p| p.into_inner()) = Some(path);
}

/// A silence as [`silence_json`] writes it, read back: the posted shape, with its id and last change.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    #[serde(flatten)]
    silence: Postable,
    updated_at: DateTime<Utc>,
}

fn stored(v: serde_json::Value) -> Option<StoredSilence> {
    let s: Saved = serde_json::from_value(v).ok()?;
    let p = s.silence;
    Some(StoredSilence {
        id: p.id?,
        matchers: matchers(&p.matchers).ok()?,
        starts_at: p.starts_at,
        ends_at: p.ends_at,
        updated_at: s.updated_at,
        created_by: p.created_by,
        comment: p.comment,
    })
}

/// The API's matchers as the engine's, or why one is invalid.
fn matchers(raw: &[crate::sources::alertmanager::api::RawMatcher]) -> Result<Vec<Matcher>, String> {
    raw.iter().map(|m| Matcher::new(&m.name, Op::from_api(m.is_regex, m.is_equal), &m.value)).collect()
}

/// Expired silences are kept a day, then forgotten.
fn kept(x: &StoredSilence, now: DateTime<Utc>) -> bool {
    now - x.ends_at < chrono::Duration::days(1)
}

/// Write the silences to their file, if they have one, off the async threads. Each write takes the
/// silences as they are when it runs, under the file's lock, so writes finishing out of order never
/// leave an older state behind.
fn save(s: &Arc<Shared>) {
    let s = s.clone();
    tokio::task::spawn_blocking(move || {
        let file = s.silences_file.lock().unwrap_or_else(|p| p.into_inner());
        let Some(path) = file.as_ref() else { return };
        let now = Utc::now();
        let list: Vec<serde_json::Value> =
            s.silences.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|x| silence_json(x, now)).collect();
        let written = serde_json::to_vec_pretty(&list)
            .map_err(|e| e.to_string())
            .and_then(|t| crate::files::write_atomic(path, &t));
        if let Err(e) = written {
            tracing::warn!("silences not saved: {e}");
        }
    });
}

async fn silences(State(s): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let filter = match filters(query.as_deref()) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let now = Utc::now();
    let all = s.silences.lock().unwrap_or_else(|p| p.into_inner());
    let shown = all.iter().filter(|x| silence_passes(x, &filter));
    Json(shown.map(|x| silence_json(x, now)).collect::<Vec<_>>()).into_response()
}

/// When the embedded Alertmanager API started (its `uptime`).
static STARTED: std::sync::OnceLock<DateTime<Utc>> = std::sync::OnceLock::new();

/// What `amtool config show` and Grafana read: the cluster (none: one process), the configuration (the
/// built-in one: every alert to the console, no routing of its own) and the version.
async fn status() -> Response {
    let started = *STARTED.get_or_init(Utc::now);
    let original = "# The estate's built-in Alertmanager API: alerts from the estate's rules, silences kept by\n\
                    # the console; it routes nowhere.\nroute:\n  receiver: watchpost\nreceivers:\n  - name: watchpost\n";
    Json(json!({
        "cluster": {"status": "disabled", "peers": [], "name": ""},
        "config": {"original": original},
        "uptime": ts(started),
        "versionInfo": {
            "branch": "", "buildDate": "", "buildUser": "", "goVersion": "", "revision": "",
            "version": concat!("watchpost-", env!("CARGO_PKG_VERSION")),
        },
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Postable {
    id: Option<String>,
    matchers: Vec<crate::sources::alertmanager::api::RawMatcher>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    created_by: String,
    comment: String,
}

fn new_id() -> String {
    let mut r = rand::rng();
    let h = |n: usize, r: &mut rand::rngs::ThreadRng| {
        (0..n).map(|_| format!("{:x}", r.random_range(0..16u8))).collect::<String>()
    };
    format!("{}-{}-{}-{}-{}", h(8, &mut r), h(4, &mut r), h(4, &mut r), h(4, &mut r), h(12, &mut r))
}

async fn post_silence(State(s): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let p: Postable = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return bad(&format!("invalid silence: {e}")),
    };
    if p.matchers.is_empty() {
        return bad("silence invalid: at least one matcher required");
    }
    if p.created_by.trim().is_empty() {
        return bad("silence invalid: missing creator");
    }
    if p.comment.trim().is_empty() {
        return bad("silence invalid: missing comment");
    }
    if p.ends_at <= p.starts_at {
        return bad("silence invalid: end time must not be before start time");
    }
    let matchers = match matchers(&p.matchers) {
        Ok(m) => m,
        Err(e) => return bad(&format!("silence invalid: {e}")),
    };
    let now = Utc::now();
    let mut all = s.silences.lock().unwrap_or_else(|p| p.into_inner());
    // An update of an unexpired silence with the same matchers changes it in place; otherwise the old
    // one expires and a new one is made, as Alertmanager does.
    if let Some(id) = &p.id {
        let Some(old) = all.iter_mut().find(|x| &x.id == id) else { return bad("silence not found") };
        if old.state(now) != "expired" && to_text(&old.matchers) == to_text(&matchers) {
            old.ends_at = p.ends_at;
            old.comment = p.comment;
            old.created_by = p.created_by;
            old.updated_at = now;
            save(&s);
            return Json(json!({"silenceID": id})).into_response();
        }
        if old.state(now) != "expired" {
            old.ends_at = now;
            old.updated_at = now;
        }
    }
    let id = new_id();
    all.push(StoredSilence {
        id: id.clone(),
        matchers,
        starts_at: p.starts_at.max(now),
        ends_at: p.ends_at,
        updated_at: now,
        created_by: p.created_by,
        comment: p.comment,
    });
    all.retain(|x| kept(x, now));
    save(&s);
    Json(json!({"silenceID": id})).into_response()
}

async fn delete_silence(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let now = Utc::now();
    let mut all = s.silences.lock().unwrap_or_else(|p| p.into_inner());
    match all.iter_mut().find(|x| x.id == id) {
        None => (StatusCode::NOT_FOUND, Json(json!("silence not found"))).into_response(),
        Some(x) if x.state(now) == "expired" => bad("silence already expired"),
        Some(x) => {
            x.ends_at = now;
            x.updated_at = now;
            save(&s);
            StatusCode::OK.into_response()
        }
    }
}

pub fn routes() -> Router<Arc<Shared>> {
    STARTED.get_or_init(Utc::now);
    Router::new()
        .route("/api/v2/alerts", get(alerts))
        .route("/api/v2/silences", get(silences).post(post_silence))
        .route("/api/v2/silence/{id}", delete(delete_silence))
        .route("/api/v2/status", get(status))
}
