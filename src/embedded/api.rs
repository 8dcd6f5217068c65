//! The Prometheus HTTP API over the engine: `query`, `query_range`, `labels`, `label/<name>/values`,
//! `targets`, and `/-/ready`, in the API's documented JSON.
use super::Shared;
use crate::engine::json;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
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

async fn query(State(s): State<Arc<Shared>>, Query(p): Params) -> Response {
    let Some(q) = p.get("query") else { return bad("missing parameter \"query\"") };
    let t = match time(&p, "time", chrono::Utc::now().timestamp_millis()) {
        Ok(t) => t,
        Err(e) => return bad(e),
    };
    let result = s.engine.read().unwrap_or_else(|e| e.into_inner()).instant(q, t);
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
    let result = s.engine.read().unwrap_or_else(|e| e.into_inner()).range(q, start, end, step);
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

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/query", get(query))
        .route("/api/v1/query_range", get(query_range))
        .route("/api/v1/labels", get(labels))
        .route("/api/v1/label/{name}/values", get(label_values))
        .route("/api/v1/targets", get(targets))
        .route("/-/ready", get(|| async { "Prometheus Server is Ready.\n" }))
        .with_state(shared)
}
