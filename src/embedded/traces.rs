//! Jaeger- and Tempo-compatible trace APIs over the estate's traces. Jaeger's HTTP JSON API (the one its
//! UI uses: `/api/services`, `/api/services/{service}/operations`, `/api/traces?…`, `/api/traces/{id}`)
//! at the root; Tempo's (`/api/search`, `/api/traces/{id}` in OTLP JSON) under `/tempo`, since both
//! use `/api/traces/{id}`.
use super::Shared;
use crate::estate::telemetry::{self, Request, each_request};
use crate::estate::{Model, TOPOLOGY};
use crate::traces::Trace;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

type Params = Query<HashMap<String, String>>;

fn now_s() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

/// What a trace search asks for.
#[derive(Clone, Debug, Default)]
pub struct Search {
    pub service: Option<usize>,
    pub operation: Option<String>,
    pub errors_only: bool,
    pub min_duration: f64,
    pub from: f64,
    pub to: f64,
    pub limit: usize,
}

/// The matching requests over `[from, to]`, newest first and spread over the whole window: the window
/// is cut into `limit` slices and each gives its newest match, so a one-hour search is not the last few
/// seconds' traffic. A search that finds fewer than `limit` that way fills up with the newest others.
pub fn search(m: &Model, q: &Search) -> Vec<Request> {
    let services: Vec<usize> = q.service.map_or_else(|| (0..TOPOLOGY.len()).collect(), |s| vec![s]);
    let mut out: Vec<Request> = Vec::new();
    if q.limit == 0 || q.to <= q.from {
        return out;
    }
    let matches = |r: &Request| {
        (!q.errors_only || r.error.is_some())
            && r.duration >= q.min_duration
            && q.operation.as_ref().is_none_or(|o| o == r.operation)
    };
    let slice = (q.to - q.from) / q.limit as f64;
    for k in 0..q.limit {
        let to = q.to - slice * k as f64;
        each_request(m, &services, to - slice, to, true, |r| {
            if matches(&r) {
                out.push(r);
                return false;
            }
            true
        });
    }
    if out.len() < q.limit {
        let have: std::collections::HashSet<(usize, i64, u32)> =
            out.iter().map(|r| (r.service, r.second, r.k)).collect();
        let mut more = Vec::new();
        each_request(m, &services, q.from, q.to, true, |r| {
            if matches(&r) && !have.contains(&(r.service, r.second, r.k)) {
                more.push(r);
            }
            out.len() + more.len() < q.limit
        });
        out.extend(more);
        out.sort_by(|a, b| (b.start + b.duration).total_cmp(&(a.start + a.duration)));
    }
    out
}

/// Jaeger's answer for a service it does not know: no traces.
fn no_traces() -> Response {
    Json(json!({"data": [], "total": 0, "limit": 0, "offset": 0, "errors": null})).into_response()
}

fn duration_param(p: &HashMap<String, String>, key: &str) -> Result<f64, String> {
    p.get(key).filter(|s| !s.is_empty()).map_or(Ok(0.0), |s| {
        crate::time::parse_duration(s)
            .map(|d| d.as_secs_f64())
            .or_else(|_| go_duration(s))
            .map_err(|_| format!("unable to parse param '{key}': time: invalid duration \"{s}\""))
    })
}

/// Go durations with fractions or units the config parser does not take (`1.5s`, `250ms`, `300us`).
fn go_duration(s: &str) -> Result<f64, ()> {
    let split = s.find(|c: char| c.is_ascii_alphabetic() || c == 'µ').ok_or(())?;
    let n: f64 = s[..split].parse().map_err(|_| ())?;
    let unit = match &s[split..] {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(()),
    };
    Ok(n * unit)
}

fn jaeger_error(code: u16, msg: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(json!({"data": null, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": code, "msg": msg}]})))
        .into_response()
}

/// A trace in Jaeger's JSON (`model/json` in Jaeger's tree: spans with `references`, `processes`).
pub fn jaeger_json(t: &Trace) -> Value {
    let mut processes: BTreeMap<String, Value> = BTreeMap::new();
    let mut pid = HashMap::new();
    let spans: Vec<Value> = t
        .spans
        .iter()
        .map(|s| {
            let next = pid.len() + 1;
            let p = pid.entry(s.service.as_str().to_string()).or_insert_with(|| format!("p{next}")).clone();
            processes.entry(p.clone()).or_insert_with(|| json!({"serviceName": s.service.as_str(), "tags": []}));
            let mut tags: Vec<Value> =
                s.attributes.iter().map(|(k, v)| json!({"key": k.as_str(), "type": "string", "value": v.as_str()})).collect();
            if s.error {
                tags.push(json!({"key": "error", "type": "bool", "value": true}));
            }
            let references: Vec<Value> = s
                .parent
                .iter()
                .map(|p| json!({"refType": "CHILD_OF", "traceID": t.trace_id, "spanID": p}))
                .collect();
            let logs: Vec<Value> = s
                .events
                .iter()
                .map(|(ts, e)| json!({"timestamp": ts, "fields": [{"key": "event", "type": "string", "value": e.as_str()}]}))
                .collect();
            json!({
                "traceID": t.trace_id, "spanID": s.span_id, "operationName": s.operation.as_str(),
                "references": references, "startTime": s.start_us, "duration": s.duration_us,
                "tags": tags, "logs": logs, "processID": p, "warnings": null
            })
        })
        .collect();
    json!({"traceID": t.trace_id, "spans": spans, "processes": processes, "warnings": null})
}

/// A trace in OTLP JSON as Tempo returns it: `batches` of resource spans, hex ids.
pub fn otlp_json(t: &Trace) -> Value {
    let mut by_service: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for s in &t.spans {
        let attrs: Vec<Value> = s
            .attributes
            .iter()
            .map(|(k, v)| json!({"key": k.as_str(), "value": {"stringValue": v.as_str()}}))
            .collect();
        let events: Vec<Value> = s
            .events
            .iter()
            .map(|(ts, e)| json!({"timeUnixNano": (ts * 1000).to_string(), "name": e.as_str()}))
            .collect();
        let mut span = json!({
            "traceId": t.trace_id, "spanId": s.span_id, "name": s.operation.as_str(), "kind": "SPAN_KIND_SERVER",
            "startTimeUnixNano": (s.start_us * 1000).to_string(),
            "endTimeUnixNano": (s.end_us() * 1000).to_string(),
            "attributes": attrs, "events": events,
            "status": if s.error { json!({"code": "STATUS_CODE_ERROR"}) } else { json!({}) },
        });
        if let Some(p) = &s.parent {
            span["parentSpanId"] = json!(p);
        }
        by_service.entry(s.service.as_str()).or_default().push(span);
    }
    let batches: Vec<Value> = by_service
        .into_iter()
        .map(|(svc, spans)| {
            json!({
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": svc}}]},
                "scopeSpans": [{"scope": {"name": "estate"}, "spans": spans}]
            })
        })
        .collect();
    json!({"batches": batches})
}

async fn services() -> Response {
    let names: Vec<&str> = TOPOLOGY.iter().map(|s| s.name).collect();
    Json(json!({"data": names, "total": names.len(), "limit": 0, "offset": 0, "errors": null})).into_response()
}

async fn operations(Path(service): Path<String>) -> Response {
    let Some(i) = crate::estate::topology::index_of(&service) else { return no_traces() };
    let ops = telemetry::operations(i);
    Json(json!({"data": ops, "total": ops.len(), "limit": 0, "offset": 0, "errors": null})).into_response()
}

async fn jaeger_search(State(s): State<Arc<Shared>>, Query(p): Params) -> Response {
    let Some(service) = p.get("service").filter(|s| !s.is_empty()) else {
        return jaeger_error(400, "parameter 'service' is required");
    };
    let Some(service) = crate::estate::topology::index_of(service) else { return no_traces() };
    let min = match duration_param(&p, "minDuration") {
        Ok(d) => d,
        Err(e) => return jaeger_error(400, &e),
    };
    let tags: HashMap<String, Value> = match p.get("tags").filter(|t| !t.is_empty()) {
        None => HashMap::new(),
        Some(t) => match serde_json::from_str(t) {
            Ok(m) => m,
            Err(e) => return jaeger_error(400, &format!("malformed 'tags' parameter: {e}")),
        },
    };
    let errors_only = tags.get("error").is_some_and(|v| v == "true" || v == &json!(true));
    let now = now_s();
    let us = |k: &str, d: f64| p.get(k).and_then(|v| v.parse::<f64>().ok()).map_or(d, |v| v / 1e6);
    let q = Search {
        service: Some(service),
        operation: p.get("operation").filter(|o| !o.is_empty()).cloned(),
        errors_only,
        min_duration: min,
        from: us("start", now - 3600.0),
        to: us("end", now),
        limit: p.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20usize).min(1500),
    };
    let Some(m) = s.model() else { return jaeger_error(503, "the estate is still starting") };
    let traces = tokio::task::spawn_blocking(move || {
        search(&m, &q)
            .iter()
            .filter_map(|r| telemetry::trace(&m, &telemetry::trace_id(m.seed, r.service, r.second, r.k)))
            .map(|t| jaeger_json(&t))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    Json(json!({"data": traces, "total": 0, "limit": 0, "offset": 0, "errors": null})).into_response()
}

async fn jaeger_trace(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match s.model().and_then(|m| telemetry::trace(&m, &id)) {
        Some(t) => Json(json!({"data": [jaeger_json(&t)], "total": 0, "limit": 0, "offset": 0, "errors": null}))
            .into_response(),
        None => jaeger_error(404, "trace not found"),
    }
}

/// Tempo's `tags` parameter: logfmt pairs such as `service.name=checkout error=true`.
fn tempo_tags(s: &str) -> HashMap<String, String> {
    s.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

async fn tempo_search(State(s): State<Arc<Shared>>, Query(p): Params) -> Response {
    let tags = tempo_tags(p.get("tags").map_or("", String::as_str));
    let service = match tags.get("service.name") {
        None => None,
        Some(name) => match crate::estate::topology::index_of(name) {
            Some(i) => Some(i),
            None => return Json(json!({"traces": [], "metrics": {"inspectedTraces": 0}})).into_response(),
        },
    };
    let min = match duration_param(&p, "minDuration") {
        Ok(d) => d,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let now = now_s();
    let secs = |k: &str, d: f64| p.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(d);
    let q = Search {
        service,
        operation: tags.get("name").cloned(),
        // `status.code=error` as Tempo reads it; the attribute spellings older clients sent still work here.
        errors_only: tags.get("status.code").is_some_and(|v| v == "error")
            || tags.get("error").is_some_and(|v| v == "true")
            || tags.get("status").is_some_and(|v| v == "error"),
        min_duration: min,
        from: secs("start", now - 3600.0),
        to: secs("end", now),
        limit: p.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20usize).min(1500),
    };
    let Some(m) = s.model() else { return (StatusCode::SERVICE_UNAVAILABLE, "starting").into_response() };
    let found = tokio::task::spawn_blocking(move || {
        let list = search(&m, &q);
        let n = list.len();
        let traces: Vec<Value> = list
            .iter()
            .map(|r| {
                json!({
                    "traceID": telemetry::trace_id(m.seed, r.service, r.second, r.k),
                    "rootServiceName": TOPOLOGY[r.service].name,
                    "rootTraceName": r.operation,
                    "startTimeUnixNano": ((r.start * 1e9) as i64).to_string(),
                    "durationMs": (r.duration * 1000.0).round() as i64,
                })
            })
            .collect();
        json!({"traces": traces, "metrics": {"inspectedTraces": n}})
    })
    .await
    .unwrap_or_default();
    Json(found).into_response()
}

async fn tempo_trace(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match s.model().and_then(|m| telemetry::trace(&m, &id)) {
        Some(t) => Json(otlp_json(&t)).into_response(),
        None => (StatusCode::NOT_FOUND, "trace not found").into_response(),
    }
}

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/services", get(services))
        .route("/api/services/{service}/operations", get(operations))
        .route("/api/traces", get(jaeger_search))
        .route("/api/traces/{id}", get(jaeger_trace))
        .route("/tempo/api/search", get(tempo_search))
        .route("/tempo/api/traces/{id}", get(tempo_trace))
        .route("/tempo/ready", get(|| async { "ready" }))
        .route(
            "/tempo/api/search/tag/service.name/values",
            get(|| async { Json(json!({"tagValues": TOPOLOGY.iter().map(|s| s.name).collect::<Vec<_>>()})) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-hour search gives traces from the whole hour, newest first (it gave the last 12 seconds).
    #[test]
    fn a_search_covers_its_window() {
        let m = Model::new(42);
        let to = 1_800_000_000.0;
        let q = Search {
            service: Some(0),
            operation: None,
            errors_only: false,
            min_duration: 0.0,
            from: to - 3600.0,
            to,
            limit: 50,
        };
        let found = search(&m, &q);
        assert_eq!(found.len(), 50);
        let ends: Vec<f64> = found.iter().map(|r| r.start + r.duration).collect();
        assert!(ends.windows(2).all(|w| w[0] >= w[1]), "newest first");
        assert!(ends[0] > to - 72.0, "the newest from the last slice");
        assert!(*ends.last().unwrap() < to - 3600.0 + 72.0, "the oldest from the first slice: {}", to - ends[49]);
        assert!(ends.iter().all(|e| (to - 3600.0..to).contains(e)));
    }
}
