//! A Loki-compatible log API over the estate's logs (`query_range`, `labels`, `label/<name>/values`,
//! and the `tail` websocket), in the JSON of Loki's HTTP API reference. Streams are labelled
//! `service`, `level` and `job`; queries are the LogQL subset in [`crate::logs::logql`].
use super::Shared;
use crate::engine::Labels;
use crate::estate::telemetry::{each_request, log_line};
use crate::estate::{Model, TOPOLOGY};
use crate::logs::logql::LogQuery;
use axum::Json;
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

type Params = Query<HashMap<String, String>>;

fn bad(msg: impl Into<String>) -> Response {
    // Loki answers a bad request with a plain-text body.
    (StatusCode::BAD_REQUEST, msg.into()).into_response()
}

fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Loki's time parameters: nanoseconds, (fractional) seconds, or RFC 3339.
fn time_ns(p: &HashMap<String, String>, key: &str, default: i64) -> Result<i64, String> {
    let Some(s) = p.get(key) else { return Ok(default) };
    if let Ok(n) = s.parse::<i64>() {
        // Seconds if it is too small to be nanoseconds.
        return Ok(if n < 100_000_000_000 { n * 1_000_000_000 } else { n });
    }
    s.parse::<f64>()
        .map(|f| (f * 1e9) as i64)
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_nanos_opt().unwrap_or(0)))
        .map_err(|_| format!("invalid {key}: cannot parse \"{s}\""))
}

fn stream_labels(service: usize, level: crate::logs::Level) -> Labels {
    [
        ("job".to_string(), format!("estate/{}", TOPOLOGY[service].name)),
        ("service".to_string(), TOPOLOGY[service].name.to_string()),
        ("level".to_string(), level.label().to_ascii_lowercase()),
    ]
    .into()
}

/// Lines matching `q` completing in `[from, to)` ns, newest first when `backward`, at most `limit`.
pub fn lines(
    model: &Model,
    q: &LogQuery,
    from: i64,
    to: i64,
    backward: bool,
    limit: usize,
) -> Vec<(Labels, i64, String)> {
    let services: Vec<usize> = (0..TOPOLOGY.len())
        .filter(|&i| {
            use crate::logs::Level::*;
            [Info, Warn, Error].iter().any(|l| q.matches_stream(&stream_labels(i, *l)))
        })
        .collect();
    let mut out = Vec::new();
    if limit == 0 || services.is_empty() {
        return out;
    }
    each_request(model, &services, from as f64 / 1e9, to as f64 / 1e9, backward, |r| {
        let (level, text) = log_line(model, &r);
        let labels = stream_labels(r.service, level);
        if q.matches_stream(&labels) && q.matches_line(&text) {
            out.push((labels, r.end_ns(), text));
        }
        out.len() < limit
    });
    out
}

/// Group lines by stream, as Loki answers.
fn streams(lines: Vec<(Labels, i64, String)>) -> Value {
    let mut by: BTreeMap<Labels, Vec<Value>> = BTreeMap::new();
    for (labels, ts, text) in lines {
        by.entry(labels).or_default().push(json!([ts.to_string(), text]));
    }
    Value::Array(by.into_iter().map(|(stream, values)| json!({"stream": stream, "values": values})).collect())
}

async fn query_range(State(s): State<Arc<Shared>>, Query(p): Params) -> Response {
    let Some(q) = p.get("query") else { return bad("query parameter is required") };
    let q = match LogQuery::parse(q) {
        Ok(q) => q,
        Err(e) => return bad(e),
    };
    let now = now_ns();
    let (start, end) = match (time_ns(&p, "start", now - 3_600_000_000_000), time_ns(&p, "end", now)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return bad(e),
    };
    if end < start {
        return bad("end timestamp must not be before or equal to start time");
    }
    let limit = p.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100usize).min(5000);
    let backward = p.get("direction").is_none_or(|d| d != "forward");
    let Some(m) = s.model() else { return bad("the estate is still starting") };
    let found =
        tokio::task::spawn_blocking(move || lines(&m, &q, start, end, backward, limit)).await.unwrap_or_default();
    let n = found.len();
    Json(json!({
        "status": "success",
        "data": {"resultType": "streams", "result": streams(found), "stats": {"summary": {"totalEntriesReturned": n}}}
    }))
    .into_response()
}

async fn labels() -> Response {
    Json(json!({"status": "success", "data": ["job", "level", "service"]})).into_response()
}

async fn label_values(Path(name): Path<String>) -> Response {
    let values: Vec<String> = match name.as_str() {
        "service" => TOPOLOGY.iter().map(|s| s.name.to_string()).collect(),
        "job" => TOPOLOGY.iter().map(|s| format!("estate/{}", s.name)).collect(),
        "level" => vec!["error".into(), "info".into(), "warn".into()],
        _ => Vec::new(),
    };
    Json(json!({"status": "success", "data": values})).into_response()
}

async fn tail(State(s): State<Arc<Shared>>, Query(p): Params, ws: WebSocketUpgrade) -> Response {
    let Some(q) = p.get("query") else { return bad("query parameter is required") };
    let q = match LogQuery::parse(q) {
        Ok(q) => q,
        Err(e) => return bad(e),
    };
    let start = match time_ns(&p, "start", now_ns() - 3_600_000_000_000) {
        Ok(t) => t,
        Err(e) => return bad(e),
    };
    let limit = p.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100usize).min(5000);
    ws.on_upgrade(move |socket| tail_socket(socket, s, q, start, limit))
}

/// Lines since `start` (the newest `limit` of them), then each second's new lines.
async fn tail_socket(mut socket: WebSocket, s: Arc<Shared>, q: LogQuery, start: i64, limit: usize) {
    let mut from = start;
    let mut first = true;
    loop {
        let to = now_ns() - 1_000_000_000;
        if to > from
            && let Some(m) = s.model()
        {
            let q2 = q.clone();
            let mut found =
                tokio::task::spawn_blocking(move || lines(&m, &q2, from, to, true, limit)).await.unwrap_or_default();
            found.reverse();
            if !found.is_empty() || first {
                let msg = json!({"streams": streams(found), "dropped_entries": null});
                if socket.send(Message::Text(msg.to_string().into())).await.is_err() {
                    return;
                }
            }
            from = to;
            first = false;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/loki/api/v1/query_range", get(query_range))
        .route("/loki/api/v1/labels", get(labels))
        .route("/loki/api/v1/label/{name}/values", get(label_values))
        .route("/loki/api/v1/tail", get(tail))
        .route("/loki/api/v1/status/buildinfo", get(|| async { Json(json!({"version": "estate"})) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn newest_first_and_limited() {
        let m = Model::new(42);
        let q = LogQuery::parse(r#"{service="checkout"}"#).unwrap();
        let t = 1_800_000_000 * 1_000_000_000i64;
        let got = lines(&m, &q, t, t + 60_000_000_000, true, 10);
        assert_eq!(got.len(), 10);
        assert!(got.windows(2).all(|w| w[0].1 >= w[1].1));
        assert!(got.iter().all(|(l, ..)| l["service"] == "checkout"));
    }
}
