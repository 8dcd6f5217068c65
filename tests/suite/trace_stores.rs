//! The trace stores against test servers whose answers follow each vendor's published API documentation:
//! Jaeger's HTTP JSON API (jaegertracing.io/docs/latest/apis/, the `/api/...` endpoints its UI uses:
//! `{"data": [...], "errors": [{"code", "msg"}]}`, spans with `references`, `processes`, microseconds),
//! Tempo's HTTP API (grafana.com/docs/tempo/latest/api_docs/: `/api/search` with logfmt `tags` and
//! `traces[]` of `traceID`, `rootServiceName`, `rootTraceName`, `startTimeUnixNano`, `durationMs`;
//! `/api/traces/<id>` in OTLP JSON with `batches`, base64 ids as older versions send them), and Zipkin's
//! API v2 (zipkin.io/zipkin-api/: `/api/v2/traces` as a list of span lists, `/api/v2/trace/{id}`).
//! No Jaeger, Tempo or Zipkin can be installed here.
use crate::support::serve;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use watchpost::config::{HttpSource, TraceBackend, TraceConfig};
use watchpost::sources::traces::{Query as TraceQuery, TraceStore};
use watchpost::traces::waterfall::Waterfall;

type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

fn store(backend: TraceBackend, url: url::Url) -> TraceStore {
    let mut s = HttpSource::new(url);
    s.timeout = Duration::from_secs(2);
    TraceStore::new(&TraceConfig { backend, source: s }).unwrap()
}

const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn jaeger_trace(id: &str, root_us: i64, slow: bool) -> Value {
    json!({
        "traceID": id,
        "spans": [
            {"traceID": id, "spanID": "a1", "operationName": "GET /api", "references": [], "startTime": root_us,
             "duration": if slow { 900_000 } else { 20_000 }, "tags": [{"key": "http.status_code", "type": "int64", "value": 200}],
             "logs": [], "processID": "p1", "warnings": null},
            {"traceID": id, "spanID": "b2", "operationName": "SELECT \u{1b}[31mred", "references": [{"refType": "CHILD_OF", "traceID": id, "spanID": "a1"}],
             "startTime": root_us + 1000, "duration": 5000,
             "tags": [{"key": "error", "type": "bool", "value": true}, {"key": "db.statement", "type": "string", "value": "x\u{202e}y"}],
             "logs": [{"timestamp": root_us + 6000, "fields": [{"key": "event", "type": "string", "value": "error"}, {"key": "message", "type": "string", "value": "timeout"}]}],
             "processID": "p2", "warnings": null},
            {"traceID": id, "spanID": "c3", "operationName": "orphan", "references": [{"refType": "CHILD_OF", "traceID": id, "spanID": "zz"}],
             "startTime": root_us + 2000, "duration": 100, "tags": [], "logs": [], "processID": "p1", "warnings": null}
        ],
        "processes": {"p1": {"serviceName": "api", "tags": []}, "p2": {"serviceName": "db", "tags": []}},
        "warnings": null
    })
}

async fn jaeger_search(State(seen): State<Seen>, Query(p): Query<HashMap<String, String>>) -> Response {
    seen.lock().unwrap().push(p.clone());
    if !p.contains_key("service") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"data": null, "total": 0, "limit": 0, "offset": 0,
            "errors": [{"code": 400, "msg": "parameter 'service' is required"}]})),
        )
            .into_response();
    }
    Json(json!({"data": [jaeger_trace("11", 1_000, false), jaeger_trace(ID, 2_000, true)], "total": 0, "limit": 0, "offset": 0, "errors": null}))
        .into_response()
}

async fn jaeger_get(Path(id): Path<String>) -> Response {
    if id != ID {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"data": null, "total": 0, "limit": 0, "offset": 0,
            "errors": [{"code": 404, "msg": "trace not found"}]})),
        )
            .into_response();
    }
    Json(json!({"data": [jaeger_trace(ID, 2_000, true)], "total": 0, "limit": 0, "offset": 0, "errors": null}))
        .into_response()
}

#[tokio::test]
async fn jaeger_search_trace_and_errors() {
    let seen: Seen = Arc::default();
    let url = serve(
        Router::new()
            .route(
                "/api/services",
                get(|| async {
                    Json(json!({"data": ["api", "db"], "total": 2, "limit": 0, "offset": 0, "errors": null}))
                }),
            )
            .route(
                "/api/services/{service}/operations",
                get(|| async {
                    Json(json!({"data": ["GET /api", "SELECT"], "total": 2, "limit": 0, "offset": 0, "errors": null}))
                }),
            )
            .route("/api/traces", get(jaeger_search))
            .route("/api/traces/{id}", get(jaeger_get))
            .with_state(seen.clone()),
    )
    .await;
    let s = store(TraceBackend::Jaeger, url);
    let q = TraceQuery {
        service: Some("api".into()),
        errors_only: true,
        min_duration_us: 250_000,
        from_us: 1,
        to_us: 2,
        limit: 20,
        ..TraceQuery::default()
    };
    let found = s.search(&q).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].trace_id, ID, "failing and slowest first");
    assert_eq!((found[0].spans, found[0].errors, found[0].duration_us), (3, 1, 900_000));
    let p = seen.lock().unwrap()[0].clone();
    assert_eq!(p["minDuration"], "250000us");
    assert_eq!(serde_json::from_str::<Value>(&p["tags"]).unwrap(), json!({"error": "true"}));
    assert_eq!((p["start"].as_str(), p["end"].as_str(), p["limit"].as_str()), ("1", "2", "20"));

    assert_eq!(s.operations("api").await.unwrap(), vec!["GET /api", "SELECT"]);
    assert_eq!(s.services().await.unwrap(), vec!["api", "db"]);
    let t = s.get(ID).await.unwrap();
    let w = Waterfall::new(t);
    assert_eq!(w.tree.orphans.len(), 1);
    let db = &w.trace.spans[1];
    assert_eq!((db.service.as_str(), db.error), ("db", true));
    assert_eq!(db.operation.as_str(), "SELECT \\e[31mred");
    assert!(db.attributes.iter().any(|(k, v)| k.as_str() == "db.statement" && v.as_str() == "x\\u{202e}y"));
    assert_eq!(db.events[0].1.as_str(), "error timeout");
    let err = s.get("0000000000000001").await.unwrap_err().to_string();
    assert!(err.contains("trace not found"), "{err}");
    assert!(s.get("$(reboot)").await.unwrap_err().to_string().contains("not a hex trace id"));
}

async fn tempo_search(State(seen): State<Seen>, Query(p): Query<HashMap<String, String>>) -> Response {
    seen.lock().unwrap().push(p);
    Json(json!({"traces": [
        {"traceID": "2f3e0cee77ae5dc9c17ade3689eb2e54", "rootServiceName": "shop-backend", "rootTraceName": "update-billing",
         "startTimeUnixNano": "1684778327699392724", "durationMs": 557},
        {"traceID": ID, "rootServiceName": "shop-backend", "rootTraceName": "checkout", "startTimeUnixNano": "1684778327000000000", "durationMs": 1200}
    ], "metrics": {"inspectedBytes": "1", "completedJobs": 1, "totalJobs": 1}})).into_response()
}

/// OTLP JSON as Tempo answers `/api/traces/<id>` (ids in base64, status codes as numbers, older shape).
async fn tempo_trace() -> Response {
    Json(json!({"batches": [
        {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop-backend"}}]},
         "scopeSpans": [{"scope": {"name": "x"}, "spans": [
            {"traceId": "S/kvNXezTaajzpKdDg5HNg==", "spanId": "AAAAAAAAAAE=", "name": "checkout", "kind": "SPAN_KIND_SERVER",
             "startTimeUnixNano": "1684778327000000000", "endTimeUnixNano": "1684778328200000000",
             "attributes": [{"key": "http.status_code", "value": {"intValue": "500"}}], "status": {"code": 2, "message": "boom"}},
            {"traceId": "S/kvNXezTaajzpKdDg5HNg==", "spanId": "AAAAAAAAAAI=", "parentSpanId": "AAAAAAAAAAE=", "name": "charge",
             "startTimeUnixNano": "1684778327100000000", "endTimeUnixNano": "1684778328100000000",
             "events": [{"timeUnixNano": "1684778328000000000", "name": "exception", "attributes": [{"key": "exception.message", "value": {"stringValue": "card declined"}}]}],
             "status": {}}
         ]}]}
    ]}))
    .into_response()
}

#[tokio::test]
async fn tempo_search_and_otlp_trace() {
    let seen: Seen = Arc::default();
    let url = serve(
        Router::new()
            .route("/api/search", get(tempo_search))
            .route(
                "/api/search/tag/service.name/values",
                get(|| async { Json(json!({"tagValues": ["shop-backend", "auth"], "metrics": {}})) }),
            )
            .route("/api/traces/{id}", get(tempo_trace))
            .with_state(seen.clone()),
    )
    .await;
    let s = store(TraceBackend::Tempo, url);
    let q = TraceQuery {
        service: Some("shop-backend".into()),
        errors_only: true,
        min_duration_us: 200_000,
        from_us: 1_684_778_000_000_000,
        to_us: 1_684_778_400_000_000,
        limit: 20,
        ..TraceQuery::default()
    };
    let found = s.search(&q).await.unwrap();
    assert_eq!(found[0].trace_id, ID, "slowest first");
    assert_eq!(found[0].duration_us, 1_200_000);
    let p = seen.lock().unwrap()[0].clone();
    // The reserved tag Tempo maps to the span status; `status=error` would match an attribute named status.
    assert_eq!(p["tags"], "service.name=shop-backend status.code=error");
    assert_eq!(
        (p["minDuration"].as_str(), p["start"].as_str(), p["end"].as_str()),
        ("200ms", "1684778000", "1684778400")
    );

    assert_eq!(s.services().await.unwrap(), vec!["auth", "shop-backend"]);
    let t = s.get(ID).await.unwrap();
    assert_eq!(t.spans.len(), 2);
    assert_eq!(t.spans[0].span_id, "0000000000000001", "base64 ids read as hex");
    assert_eq!(t.spans[1].parent.as_deref(), Some("0000000000000001"));
    assert!(t.spans[0].error && !t.spans[1].error);
    assert_eq!(t.spans[0].duration_us, 1_200_000);
    assert_eq!(t.spans[1].events[0].1.as_str(), "exception exception.message=card declined");
    let w = Waterfall::new(t);
    assert_eq!(w.critical, vec![true, true]);
}

/// A Zipkin v2 trace as `/api/v2/trace/{id}` answers it: a list of spans, times in microseconds.
fn zipkin_trace() -> Value {
    let span = |id: &str, parent: Option<&str>, ts: i64, dur: i64, err: bool| {
        let mut s = json!({"traceId": ID, "id": id, "name": "get /", "timestamp": ts, "duration": dur,
            "kind": "SERVER", "localEndpoint": {"serviceName": "frontend", "ipv4": "127.0.0.1"},
            "annotations": [{"timestamp": ts + 1, "value": "wr"}], "tags": {"http.path": "/"}});
        if let Some(p) = parent {
            s["parentId"] = json!(p);
        }
        if err {
            s["tags"]["error"] = json!("500");
        }
        s
    };
    json!([span("1", None, 100, 1000, false), span("2", Some("1"), 200, 500, true)])
}

/// `/api/v2/traces` as Zipkin checks its parameters (its QueryRequest): `endTs` and `lookback` in
/// milliseconds and `limit` must be positive, and `minDuration` (microseconds) when given; otherwise 400
/// with the reason as text.
async fn zipkin_search(State(seen): State<Seen>, Query(p): Query<HashMap<String, String>>) -> Response {
    seen.lock().unwrap().push(p.clone());
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let checks = [("endTs", Some(now_ms)), ("lookback", Some(86_400_000)), ("limit", Some(10)), ("minDuration", None)];
    for (k, default) in checks {
        let value = match p.get(k) {
            Some(v) => match v.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => return (StatusCode::BAD_REQUEST, format!("{k} is not a number: {v}")).into_response(),
            },
            None => default,
        };
        if value.is_some_and(|n| n <= 0) {
            return (StatusCode::BAD_REQUEST, format!("{k} <= 0")).into_response();
        }
    }
    Json(json!([zipkin_trace()])).into_response()
}

#[tokio::test]
async fn zipkin_traces() {
    let seen: Seen = Arc::default();
    let url = serve(
        Router::new()
            .route("/api/v2/traces", get(zipkin_search))
            .route("/api/v2/trace/{id}", get(|| async { Json(zipkin_trace()) }))
            .with_state(seen.clone()),
    )
    .await;
    let s = store(TraceBackend::Zipkin, url);
    let window = TraceQuery {
        service: Some("frontend".into()),
        limit: 10,
        from_us: 0,
        to_us: 1_000_000,
        ..TraceQuery::default()
    };
    let found = s.search(&window).await.unwrap();
    assert_eq!((found.len(), found[0].errors, found[0].spans), (1, 1, 2));
    let want = [("serviceName", "frontend"), ("endTs", "1000"), ("lookback", "1000"), ("limit", "10")];
    assert_eq!(seen.lock().unwrap()[0], want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());

    // Failing and slow ones of one span name: minDuration in microseconds, the error tag by its key.
    let failing =
        TraceQuery { operation: Some("get /".into()), errors_only: true, min_duration_us: 250_000, ..window.clone() };
    s.search(&failing).await.unwrap();
    let p = seen.lock().unwrap()[1].clone();
    assert_eq!(
        (p["spanName"].as_str(), p["minDuration"].as_str(), p["annotationQuery"].as_str()),
        ("get /", "250000", "error")
    );

    // A window ending within the first millisecond, which Zipkin would refuse as endTs=0, is asked as
    // ending at 1 ms, as the lookback is.
    s.search(&TraceQuery { to_us: 500, ..window }).await.unwrap();
    let p = seen.lock().unwrap()[2].clone();
    assert_eq!((p["endTs"].as_str(), p["lookback"].as_str()), ("1", "1"));

    let t = s.get(ID).await.unwrap();
    assert_eq!(t.spans[1].parent.as_deref(), Some("1"));
    assert_eq!(t.spans[0].events[0].1.as_str(), "wr");
}
