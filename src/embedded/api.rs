//! The Prometheus HTTP API over the engine: `query`, `query_range`, `series`, `labels`,
//! `label/<name>/values`, `targets`, `rules`, `alerts`, and `/-/ready`, in the API's documented JSON.
use super::Shared;
use crate::engine::json;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

type Params = Query<HashMap<String, String>>;

fn bad(msg: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json::error("bad_data", &msg.into()))).into_response()
}

/// A time as the API takes it: unix seconds (with decimals) or RFC 3339; milliseconds.
fn time(p: &HashMap<String, String>, key: &str, default: i64) -> Result<i64, String> {
    match p.get(key) {
        None => Ok(default),
        Some(s) => s
            .parse::<f64>()
            .map(|secs| (secs * 1000.0).round() as i64)
            .or_else(|_| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_millis()))
            .map_err(|_| format!("invalid parameter \"{key}\": cannot parse \"{s}\" to a valid timestamp")),
    }
}

fn step(p: &HashMap<String, String>) -> Result<i64, String> {
    let s = p.get("step").ok_or("missing parameter \"step\"")?;
    s.parse::<f64>()
        .map(|secs| (secs * 1000.0).round() as i64)
        .or_else(|_| crate::time::parse_duration(s).map(|d| d.as_millis() as i64))
        .map_err(|_| format!("invalid parameter \"step\": cannot parse \"{s}\" to a valid duration"))
        .and_then(|ms| {
            if ms > 0 { Ok(ms) } else { Err("zero or negative query resolution step widths are not accepted".into()) }
        })
}

/// A POST's parameters: the URL's and the form body's (`application/x-www-form-urlencoded`), merged, as
/// Prometheus takes them. Clients post long queries (a thousand services' `job=~"…"` matchers) this way.
fn form(raw: Option<String>, body: &str) -> Params {
    let mut p: HashMap<String, String> = HashMap::new();
    for src in [raw.as_deref().unwrap_or(""), body] {
        p.extend(url::form_urlencoded::parse(src.as_bytes()).into_owned());
    }
    Query(p)
}

async fn query_post(s: State<Arc<Shared>>, RawQuery(raw): RawQuery, body: String) -> Response {
    query(s, form(raw, &body)).await
}

async fn query_range_post(s: State<Arc<Shared>>, RawQuery(raw): RawQuery, body: String) -> Response {
    query_range(s, form(raw, &body)).await
}

/// Run `f` on the engine on the blocking pool: evaluation is work, not waiting, and off the console's
/// runtime thread a long query never holds up the keys.
async fn evaluate<T: Send + 'static>(
    s: Arc<Shared>,
    f: impl FnOnce(&crate::engine::Engine) -> T + Send + 'static,
) -> Result<T, Response> {
    tokio::task::spawn_blocking(move || f(&s.engine.read().unwrap_or_else(|e| e.into_inner())))
        .await
        .map_err(|e| bad(format!("evaluation failed: {e}")))
}

async fn query(State(s): State<Arc<Shared>>, Query(p): Params) -> Response {
    let Some(q) = p.get("query") else { return bad("missing parameter \"query\"") };
    let t = match time(&p, "time", chrono::Utc::now().timestamp_millis()) {
        Ok(t) => t,
        Err(e) => return bad(e),
    };
    let q = q.clone();
    let result = match evaluate(s, move |engine| engine.instant(&q, t)).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    match result {
        Ok(v) => Json(json!({"status": "success", "data": json::data(&json::to_result(v, t))})).into_response(),
        Err(e) => bad(e.0),
    }
}

async fn query_range(State(s): State<Arc<Shared>>, Query(p): Params) -> Response {
    let Some(q) = p.get("query") else { return bad("missing parameter \"query\"") };
    let now = chrono::Utc::now().timestamp_millis();
    let (start, end, step) = match (time(&p, "start", now), time(&p, "end", now), step(&p)) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return bad(e),
    };
    if (end - start) / step > 11_000 {
        return bad(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        );
    }
    let q = q.clone();
    let result = match evaluate(s, move |engine| engine.range(&q, start, end, step)).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    match result {
        Ok(series) => {
            let r = crate::sources::prometheus::QueryResult::Matrix(series.into_iter().map(json::to_series).collect());
            Json(json!({"status": "success", "data": json::data(&r)})).into_response()
        }
        Err(e) => bad(e.0),
    }
}

async fn labels(State(s): State<Arc<Shared>>) -> Response {
    let engine = s.engine.read().unwrap_or_else(|e| e.into_inner());
    let names: BTreeSet<&String> = engine.store.series().iter().flat_map(|s| s.labels.keys()).collect();
    Json(json!({"status": "success", "data": names})).into_response()
}

async fn label_values(State(s): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let engine = s.engine.read().unwrap_or_else(|e| e.into_inner());
    let values: BTreeSet<&String> = engine.store.series().iter().filter_map(|s| s.labels.get(&name)).collect();
    Json(json!({"status": "success", "data": values})).into_response()
}

async fn targets(State(s): State<Arc<Shared>>) -> Response {
    let all = s.targets.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let active: Vec<serde_json::Value> = all
        .iter()
        .map(|t| {
            json!({
                "labels": {"job": t.job, "instance": t.instance},
                "scrapePool": t.job,
                "scrapeUrl": t.url,
                "health": t.health,
                "lastError": t.last_error,
                "lastScrape": t.last_scrape.map(|d| d.to_rfc3339()),
                "lastScrapeDuration": t.last_duration,
            })
        })
        .collect();
    Json(json!({"status": "success", "data": {"activeTargets": active, "droppedTargets": []}})).into_response()
}

async fn series(State(s): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
    let p: HashMap<String, String> = pairs.iter().cloned().collect();
    let matches: Vec<&String> = pairs.iter().filter(|(k, _)| k == "match[]").map(|(_, v)| v).collect();
    if matches.is_empty() {
        return bad("no match[] parameter provided");
    }
    let (start, end) = match (time(&p, "start", i64::MIN / 2), time(&p, "end", i64::MAX / 2)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return bad(e),
    };
    let engine = s.engine.read().unwrap_or_else(|e| e.into_inner());
    let mut found = BTreeSet::new();
    for m in matches {
        match engine.series_matching(m, start, end) {
            Ok(v) => found.extend(v),
            Err(e) => return bad(e.0),
        }
    }
    Json(json!({"status": "success", "data": found})).into_response()
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn alert_json(a: &crate::rules::Alert) -> serde_json::Value {
    json!({
        "labels": a.labels,
        "annotations": a.annotations,
        "state": a.state.as_str(),
        "activeAt": rfc3339(a.active_at),
        "value": a.value_text(),
    })
}

async fn rules(State(s): State<Arc<Shared>>, Query(p): Params) -> Response {
    use crate::rules::{AlertState, Kind};
    let want = p.get("type").map(String::as_str);
    let rules = s.rules.lock().unwrap_or_else(|e| e.into_inner());
    let groups: Vec<serde_json::Value> = rules
        .groups
        .iter()
        .zip(&rules.states)
        .zip(&rules.last_group_evaluation)
        .map(|((g, states), last)| {
            let list: Vec<serde_json::Value> = g
                .rules
                .iter()
                .zip(states)
                .filter(|(r, _)| match want {
                    Some("alert") => matches!(r.kind, Kind::Alert { .. }),
                    Some("record") => matches!(r.kind, Kind::Record(_)),
                    _ => true,
                })
                .map(|(r, st)| {
                    let labels: std::collections::BTreeMap<&String, &String> =
                        r.labels.iter().map(|(k, (text, _))| (k, text)).collect();
                    let mut v = json!({
                        "name": r.name(),
                        "query": r.expr,
                        "labels": labels,
                        "health": st.health(),
                        "lastError": st.last_error.clone().unwrap_or_default(),
                        "evaluationTime": st.evaluation_seconds,
                        "lastEvaluation": st.last_evaluation.map(rfc3339).unwrap_or_else(|| "0001-01-01T00:00:00Z".into()),
                    });
                    match &r.kind {
                        Kind::Record(_) => v["type"] = json!("recording"),
                        Kind::Alert { for_, keep_firing_for, annotations, .. } => {
                            let ann: std::collections::BTreeMap<&String, &String> =
                                annotations.iter().map(|(k, (text, _))| (k, text)).collect();
                            let alerts: Vec<serde_json::Value> = st
                                .alerts
                                .values()
                                .filter(|a| a.state != AlertState::Inactive)
                                .map(alert_json)
                                .collect();
                            v["type"] = json!("alerting");
                            v["state"] = json!(st.state().as_str());
                            v["duration"] = json!(for_.as_secs());
                            v["keepFiringFor"] = json!(keep_firing_for.as_secs());
                            v["annotations"] = json!(ann);
                            v["alerts"] = json!(alerts);
                        }
                    }
                    v
                })
                .collect();
            json!({
                "name": g.name,
                "file": g.file,
                "rules": list,
                "interval": g.interval.as_secs(),
                "limit": g.limit,
                "evaluationTime": last.map_or(0.0, |l| l.1),
                "lastEvaluation": last.map_or_else(|| "0001-01-01T00:00:00Z".into(), |l| rfc3339(l.0)),
            })
        })
        .collect();
    Json(json!({"status": "success", "data": {"groups": groups}})).into_response()
}

async fn alerts(State(s): State<Arc<Shared>>) -> Response {
    let rules = s.rules.lock().unwrap_or_else(|e| e.into_inner());
    let list: Vec<serde_json::Value> = rules
        .alerts()
        .filter(|(_, a)| a.state != crate::rules::AlertState::Inactive)
        .map(|(_, a)| alert_json(a))
        .collect();
    Json(json!({"status": "success", "data": {"alerts": list}})).into_response()
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/query", get(query).post(query_post))
        .route("/api/v1/query_range", get(query_range).post(query_range_post))
        .route("/api/v1/series", get(series))
        .route("/api/v1/labels", get(labels))
        .route("/api/v1/rules", get(rules))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/label/{name}/values", get(label_values))
        .route("/api/v1/targets", get(targets))
        .route("/-/ready", get(|| async { "Prometheus Server is Ready.\n" }))
        // What Grafana's Prometheus data source asks on connect: the version, and (empty) metadata and
        // exemplars.
        .route(
            "/api/v1/status/buildinfo",
            get(|| async {
                Json(json!({"status": "success", "data": {
                    "version": concat!("watchpost-", env!("CARGO_PKG_VERSION")),
                    "revision": "", "branch": "", "buildUser": "", "buildDate": "", "goVersion": "",
                }}))
            }),
        )
        .route("/api/v1/metadata", get(|| async { Json(json!({"status": "success", "data": {}})) }))
        .route("/api/v1/query_exemplars", get(|| async { Json(json!({"status": "success", "data": []})) }))
        .merge(super::alertmanager::routes())
        .merge(super::pagerduty::routes())
        .merge(super::loki::routes())
        .merge(super::traces::routes())
        .with_state(shared)
}
