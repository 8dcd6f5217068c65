//! The log stores against test servers whose answers follow the vendors' published API documentation:
//! Loki's HTTP API reference (grafana.com/docs/loki/latest/reference/loki-http-api/: `query_range` with
//! `streams` results and values `[ns, line, {structured metadata}]`, `labels`, `label/<name>/values`, a
//! plain-text 400 for a bad query, and the `/loki/api/v1/tail` websocket sending `{"streams", "dropped_entries"}`),
//! and Elasticsearch's search API (elastic.co/guide/en/elasticsearch/reference/current/search-search.html and
//! paginate-search-results.html: `POST /<index>/_search`, `sort`, `search_after`, hits with `sort` values,
//! error bodies `{"error": {"root_cause", "type", "reason"}, "status"}`). No Loki or Elasticsearch can be
//! installed here.
use crate::support::serve;
use axum::Json;
use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use watchpost::config::{Auth, ElasticConfig, ElasticFields, HttpSource, Secret};
use watchpost::logs::Entry;
use watchpost::sources::http::FetchError;
use watchpost::sources::logs::elastic::Elastic;
use watchpost::sources::logs::loki::Loki;
use watchpost::sources::logs::{LogUpdate, TailState, tail};

fn source(url: &url::Url) -> HttpSource {
    let mut s = HttpSource::new(url.clone());
    s.name = "loki".into();
    s.timeout = Duration::from_secs(2);
    s.headers.push(("X-Scope-OrgID".into(), "team-a".into()));
    s
}

#[derive(Default)]
struct LokiState {
    tenants: Vec<String>,
    params: Vec<HashMap<String, String>>,
    /// Tail connections so far, and the `start` each asked for.
    tail_starts: Vec<i64>,
}

type S = State<Arc<Mutex<LokiState>>>;

const T0: i64 = 1_800_000_000_000_000_000;

async fn query_range(State(s): S, h: HeaderMap, Query(p): Query<HashMap<String, String>>) -> Response {
    s.lock().unwrap().tenants.push(h.get("x-scope-orgid").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default());
    s.lock().unwrap().params.push(p.clone());
    if p["query"].contains("| bad") {
        return (StatusCode::BAD_REQUEST, "parse error at line 1, col 18: syntax error: unexpected IDENTIFIER")
            .into_response();
    }
    // A metric query answers a matrix of `metric` and `values` (seconds as numbers), as Loki's encoder does.
    if p["query"].starts_with("rate(") {
        return Json(json!({
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [{"metric": {"service": "checkout"}, "values": [[1_800_000_000.123, "0.5"]]}],
                "stats": {"summary": {"totalEntriesReturned": 0}}
            }
        }))
        .into_response();
    }
    // Structured metadata is merged into the stream's labels (Loki's default, without the
    // categorize-labels flag), so a line carrying it comes in a stream of its own.
    Json(json!({
        "status": "success",
        "data": {
            "resultType": "streams",
            "result": [
                {"stream": {"service": "checkout", "level": "error"},
                 "values": [[(T0 + 2).to_string(), "payment failed trace_id=4bf92f3577b34da6a3ce929d0e0e4736 \u{1b}[2J\u{1b}]0;pwned\u{7}"]]},
                {"stream": {"service": "checkout", "level": "info", "traceID": "00f067aa0ba902b7"},
                 "values": [[(T0 + 3).to_string(), "ok"]]},
                {"stream": {"service": "checkout", "level": "info"},
                 "values": [[(T0 + 1).to_string(), "first"]]}
            ],
            "stats": {}
        }
    }))
    .into_response()
}

/// A tail message as Loki writes one (`Tailer.loop`, `EncodeTailResult`): each entry its own stream
/// object, and no `dropped_entries` key when none were dropped.
fn stream_msg(from: i64, n: i64) -> String {
    let streams: Vec<Value> = (from..from + n)
        .map(|t| json!({"stream": {"service": "api"}, "values": [[t.to_string(), format!("line {}", t - T0)]]}))
        .collect();
    json!({ "streams": streams }).to_string()
}

/// Loki sends at most this many entries in one tail message (`maxEntriesPerTailResponse`).
const PER_MESSAGE: i64 = 100;

/// `n` lines from `from` as Loki sends them: messages of at most [`PER_MESSAGE`] entries.
async fn send_batched(socket: &mut WebSocket, from: i64, n: i64) {
    for start in (from..from + n).step_by(PER_MESSAGE as usize) {
        let k = PER_MESSAGE.min(from + n - start);
        let _ = socket.send(Message::Text(stream_msg(start, k).into())).await;
    }
}

/// First connection: lines 1..=5, then the connection drops. Second: the replay from `start` (the
/// last line's timestamp, inclusive) and two new lines. Third (after a longer outage, see the test):
/// a full replay that starts later than the last line held.
async fn tail_ws(
    State(s): S,
    h: HeaderMap,
    Query(p): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let start: i64 = p["start"].parse().unwrap();
    let n = {
        let mut st = s.lock().unwrap();
        st.tenants.push(h.get("x-scope-orgid").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default());
        st.tail_starts.push(start);
        st.tail_starts.len()
    };
    ws.on_upgrade(move |mut socket| async move {
        match n {
            1 => {
                let _ = socket.send(Message::Text(stream_msg(T0 + 1, 5).into())).await;
                // Dropped without a close frame, as a network failure would.
            }
            2 => {
                let replay_from = start.max(T0 + 1);
                let _ = socket.send(Message::Text(stream_msg(replay_from, T0 + 9 - replay_from).into())).await;
                let drops =
                    json!({"streams": [], "dropped_entries": [{"labels": {}, "timestamp": (T0 + 9).to_string()}]});
                let _ = socket.send(Message::Text(drops.to_string().into())).await;
            }
            _ => {
                // A full replay, later than the last line held, in messages of 100 as Loki sends it.
                send_batched(&mut socket, T0 + 5000, tail::REPLAY_LIMIT as i64).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
    })
}

fn loki_router(state: Arc<Mutex<LokiState>>) -> Router {
    Router::new()
        .route("/loki/api/v1/query_range", get(query_range))
        .route("/loki/api/v1/labels", get(|| async { Json(json!({"status": "success", "data": ["level", "service"]})) }))
        .route(
            "/loki/api/v1/label/{name}/values",
            get(|Path(name): Path<String>| async move {
                Json(json!({"status": "success", "data": if name == "service" { vec!["checkout", "api"] } else { vec![] }}))
            }),
        )
        .route("/loki/api/v1/tail", get(tail_ws))
        .with_state(state)
}

#[tokio::test]
async fn loki_range_labels_and_errors() {
    let state = Arc::new(Mutex::new(LokiState::default()));
    let url = serve(loki_router(state.clone())).await;
    let loki = Loki::new(&source(&url)).unwrap();
    let lines = loki.query_range("{service=\"checkout\"}", T0, T0 + 10, 500).await.unwrap();
    // Merged across streams, in time order.
    assert_eq!(lines.iter().map(|l| l.ts_ns - T0).collect::<Vec<_>>(), vec![1, 2, 3]);
    let bad = &lines[1];
    assert_eq!(bad.level, watchpost::logs::Level::Error);
    assert_eq!(bad.trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert!(!bad.text.as_str().contains('\u{1b}') && bad.text.as_str().contains("\\e]0;pwned\\x07"));
    assert_eq!(lines[2].trace_id.as_deref(), Some("00f067aa0ba902b7"), "from structured metadata");
    let p = state.lock().unwrap().params[0].clone();
    assert_eq!(
        (p["start"].as_str(), p["limit"].as_str(), p["direction"].as_str()),
        ("1800000000000000000", "500", "backward")
    );
    assert_eq!(state.lock().unwrap().tenants[0], "team-a");

    assert_eq!(loki.labels().await.unwrap(), vec!["level", "service"]);
    assert_eq!(loki.label_values("service").await.unwrap(), vec!["checkout", "api"]);
    match loki.query_range("{a=\"b\"} | bad", T0, T0 + 1, 10).await {
        Err(FetchError::Api { message, .. }) => assert!(message.as_str().contains("syntax error"), "{message}"),
        other => panic!("expected the server's reason, got {other:?}"),
    }
    // A metric query is said to be one, not shown as the raw JSON of its matrix.
    match loki.query_range("rate({service=\"checkout\"}[1m])", T0, T0 + 1, 10).await {
        Err(FetchError::Api { message, .. }) => {
            let m = message.as_str();
            assert!(m.contains("a metric query") && m.contains("matrix") && !m.contains("{\"status"), "{m}")
        }
        other => panic!("expected a metric query to be named, got {other:?}"),
    }
}

#[tokio::test]
async fn loki_tail_reconnects_resumes_without_duplicates_and_marks_gaps() {
    let state = Arc::new(Mutex::new(LokiState::default()));
    let url = serve(loki_router(state.clone())).await;
    let loki = Loki::new(&source(&url)).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(tail::run(loki, 7, "{service=\"api\"}".into(), T0, tx));
    let mut lines = Vec::new();
    let mut gaps = Vec::new();
    let mut states = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while gaps.len() < 2 || lines.len() < 8 + tail::REPLAY_LIMIT {
        let Ok(u) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            panic!("tail stalled: {} lines, gaps {gaps:?}, states {states:?}", lines.len());
        };
        let u = u.unwrap();
        match u {
            LogUpdate::Lines { id: 7, entries, replace: false } => {
                for e in entries {
                    match e {
                        Entry::Line(l) => lines.push(l.ts_ns - T0),
                        Entry::Gap { note, .. } => gaps.push(note),
                    }
                }
            }
            LogUpdate::Tail { id: 7, state } => states.push(state),
            other => panic!("unexpected {other:?}"),
        }
    }
    task.abort();
    // Lines 1..=8 once each (the replay repeated line 5, which is skipped), then the third connection's.
    assert_eq!(&lines[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(lines.len(), 8 + tail::REPLAY_LIMIT);
    let starts = state.lock().unwrap().tail_starts.clone();
    assert_eq!(starts[0], T0, "first from the asked start");
    assert_eq!(starts[1], T0 + 5, "resumed from the last line held");
    assert!(gaps[0].contains("dropped 1 entries"), "{gaps:?}");
    assert!(gaps[1].contains("lines may be missing"), "{gaps:?}");
    assert!(states.iter().any(|s| matches!(s, TailState::Down { .. })));
    assert!(states.iter().any(|s| matches!(s, TailState::Reconnecting { attempt: 1 })));
    assert!(state.lock().unwrap().tenants.iter().all(|t| t == "team-a"), "tenant on the websocket too");
}

/// A Loki tail that ends as the real one does: a query it cannot tail is upgraded and then closed with
/// 1011 and the parse error as the reason (Loki 2.x), or refused with 400 before the upgrade (Loki 3);
/// every tail is closed after `-querier.tail-max-duration` with 1011 "reached tail max duration limit".
async fn closing_tail(State(s): S, Query(p): Query<HashMap<String, String>>, ws: WebSocketUpgrade) -> Response {
    let start: i64 = p["start"].parse().unwrap();
    let n = {
        let mut st = s.lock().unwrap();
        st.tail_starts.push(start);
        st.tail_starts.len()
    };
    let query = p["query"].clone();
    if query.contains("| v3bad") {
        return (StatusCode::BAD_REQUEST, "parse error at line 1, col 14: syntax error: unexpected IDENTIFIER")
            .into_response();
    }
    ws.on_upgrade(move |mut socket| async move {
        let close = |reason: &str| Message::Close(Some(CloseFrame { code: 1011, reason: reason.into() }));
        if query.contains("| bad") {
            let _ = socket.send(close("parse error at line 1, col 14: syntax error: unexpected IDENTIFIER")).await;
            return;
        }
        match n {
            1 => {
                send_batched(&mut socket, T0 + 1, 3).await;
                let _ = socket.send(close(tail::MAX_DURATION)).await;
            }
            _ => {
                // The replay from `start`: 999 lines in ten messages, one short of the limit: no gap.
                send_batched(&mut socket, start, tail::REPLAY_LIMIT as i64 - 1).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
    })
}

/// Run a tail against `closing_tail` until `done` holds for what it sent; the updates and the starts.
async fn tail_until(
    query: &str,
    done: impl Fn(&[LogUpdate]) -> bool,
) -> (Vec<LogUpdate>, Vec<i64>, tokio::task::JoinHandle<()>) {
    let state = Arc::new(Mutex::new(LokiState::default()));
    let url = serve(Router::new().route("/loki/api/v1/tail", get(closing_tail)).with_state(state.clone())).await;
    let (tx, mut rx) = mpsc::channel(256);
    let task = tokio::spawn(tail::run(Loki::new(&source(&url)).unwrap(), 3, query.into(), T0, tx));
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !done(&got) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => got.push(u),
            Ok(None) => break,
            Err(_) => panic!("not done: {got:?}"),
        }
    }
    let starts = state.lock().unwrap().tail_starts.clone();
    (got, starts, task)
}

/// Loki 2.x takes the upgrade for a query it cannot parse and closes with 1011 and the parse error: the
/// reason is shown, the query's error stays, and the tail is not tried again (it reconnected about 1.3
/// times a second, forever, saying "closed by the server").
#[tokio::test]
async fn a_tail_loki_refuses_says_why_and_stops() {
    for (query, why) in [
        ("{service=\"api\"} | bad", "Loki refused the query: parse error at line 1, col 14: syntax error"),
        ("{service=\"api\"} | v3bad", "HTTP 400: parse error at line 1, col 14: syntax error"),
    ] {
        let (got, starts, task) = tail_until(query, |g| g.iter().any(|u| matches!(u, LogUpdate::Failed { .. }))).await;
        let stopped = got.iter().find_map(|u| match u {
            LogUpdate::Tail { state: TailState::Stopped { error }, .. } => Some(error.as_str().to_string()),
            _ => None,
        });
        assert!(stopped.as_deref().is_some_and(|s| s.starts_with(why)), "{query}: {got:?}");
        tokio::time::timeout(Duration::from_secs(5), task).await.expect("the tail ends").unwrap();
        assert_eq!(starts.len(), 1, "{query}: one connection, not a reconnect loop");
        assert!(!got.iter().any(|u| matches!(u, LogUpdate::Tail { state: TailState::Down { .. }, .. })), "{got:?}");
    }
}

/// Loki closes every tail after its max duration (an hour by default): the tail resumes at once from
/// the last line held, shows no failure, and a replay one short of the limit (in ten messages) marks no
/// gap.
#[tokio::test]
async fn the_hourly_close_resumes_at_once_without_a_gap() {
    let lines = |g: &[LogUpdate]| -> Vec<Entry> {
        g.iter()
            .flat_map(|u| match u {
                LogUpdate::Lines { entries, .. } => entries.clone(),
                _ => vec![],
            })
            .collect()
    };
    let (got, starts, task) = tail_until("{service=\"api\"}", |g| lines(g).len() >= 3 + 996).await;
    task.abort();
    assert_eq!(starts, vec![T0, T0 + 3], "resumed from the last line held");
    assert!(!lines(&got).iter().any(|e| matches!(e, Entry::Gap { .. })), "no gap");
    assert!(!got.iter().any(|u| matches!(u, LogUpdate::Tail { state: TailState::Down { .. }, .. })), "{got:?}");
}

#[derive(Default)]
struct EsState {
    bodies: Vec<Value>,
    auth: Vec<String>,
}

/// 2 500 documents, one per millisecond, newest first; pages follow `search_after`.
async fn es_search(
    State(s): State<Arc<Mutex<EsState>>>,
    Path(index): Path<String>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    assert_eq!(index, "logs-*");
    {
        let mut st = s.lock().unwrap();
        st.bodies.push(body.clone());
        st.auth.push(h.get("authorization").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default());
    }
    if body.pointer("/query/bool/must/0/query_string/query").and_then(Value::as_str) == Some("status:") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"root_cause": [{"type": "query_shard_exception", "reason": "Failed to parse query [status:]"}],
                        "type": "search_phase_execution_exception", "reason": "all shards failed"}, "status": 400})),
        )
            .into_response();
    }
    let size = body["size"].as_u64().unwrap() as i64;
    let before = body.get("search_after").map_or(i64::MAX, |a| a[0].as_i64().unwrap());
    let base = 1_800_000_000_000i64;
    let hits: Vec<Value> = (0..2500i64)
        .rev()
        .map(|i| base + i)
        .filter(|ms| *ms < before)
        .take(size as usize)
        .map(|ms| {
            json!({"_index": "logs-2026.11.29", "_id": ms.to_string(),
                   "_source": {"@timestamp": ms, "message": format!("doc {}", ms - base), "log": {"level": "warn"},
                               "service.name": "checkout", "trace": {"id": "4bf92f3577b34da6a3ce929d0e0e4736"}},
                   "sort": [ms]})
        })
        .collect();
    Json(json!({"took": 1, "timed_out": false, "hits": {"hits": hits}})).into_response()
}

#[tokio::test]
async fn elasticsearch_pages_with_search_after_and_reports_errors() {
    let state = Arc::new(Mutex::new(EsState::default()));
    let url = serve(Router::new().route("/{index}/_search", post(es_search)).with_state(state.clone())).await;
    let mut src = HttpSource::new(url);
    src.name = "elasticsearch".into();
    src.auth = Auth::Scheme { scheme: "ApiKey".into(), secret: Secret::new("a2V5".into()) };
    let es = Elastic::new(&ElasticConfig {
        source: src,
        index: "logs-*".into(),
        fields: ElasticFields::default(),
        query: String::new(),
    })
    .unwrap();
    let from = 1_800_000_000_000_000_000i64;
    let lines = es.search("service.name:checkout", from, from + 10_000_000_000, 2500).await.unwrap();
    assert_eq!(lines.len(), 2500);
    assert!(lines.windows(2).all(|w| w[0].ts_ns < w[1].ts_ns), "time order");
    assert_eq!(lines[0].text.as_str(), "doc 0");
    assert_eq!(lines[0].level, watchpost::logs::Level::Warn, "nested field log.level");
    assert_eq!(lines[0].service.as_str(), "checkout", "flat dotted key");
    assert_eq!(lines[0].trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    {
        let st = state.lock().unwrap();
        assert_eq!(st.bodies.len(), 3, "three pages of 1000");
        assert!(st.bodies[0].get("search_after").is_none());
        assert_eq!(st.bodies[1]["search_after"], json!([1_800_000_001_500i64]));
        assert_eq!(st.bodies[0]["sort"][0]["@timestamp"]["order"], "desc");
        assert_eq!(st.bodies[0]["query"]["bool"]["filter"][0]["range"]["@timestamp"]["format"], "epoch_millis");
        assert!(st.auth.iter().all(|a| a == "ApiKey a2V5"));
    }
    match es.search("status:", from, from + 1, 10).await {
        Err(FetchError::Api { kind, message }) => {
            assert_eq!(kind.as_str(), "search_phase_execution_exception");
            assert_eq!(message.as_str(), "Failed to parse query [status:]");
        }
        other => panic!("expected the root cause, got {other:?}"),
    }
}

async fn next(rx: &mut mpsc::Receiver<LogUpdate>) -> LogUpdate {
    tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("an update").unwrap()
}

/// A Loki that is down when the tail starts and comes up later (a restart): the tail says why it is
/// down, keeps trying with backoff, and goes live once the server answers.
#[tokio::test]
async fn loki_tail_waits_out_a_server_that_is_down() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let url = url::Url::parse(&format!("http://{addr}/")).unwrap();
    let loki = Loki::new(&source(&url)).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(tail::run(loki, 1, "{service=\"api\"}".into(), T0, tx));
    let mut down = None;
    while down.is_none() {
        if let LogUpdate::Tail { state: TailState::Down { error, .. }, .. } = next(&mut rx).await {
            down = Some(error);
        }
    }
    assert!(down.unwrap().as_str().to_lowercase().contains("refused"));
    // The server comes up on the same address.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let state = Arc::new(Mutex::new(LokiState::default()));
    tokio::spawn(async move { axum::serve(listener, loki_router(state)).await.unwrap() });
    loop {
        match next(&mut rx).await {
            LogUpdate::Lines { entries, .. } => {
                assert!(matches!(&entries[0], Entry::Line(l) if l.ts_ns == T0 + 1));
                break;
            }
            LogUpdate::Tail { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    task.abort();
}

/// Following a store without a tail: polled for what came since the newest line held, nothing twice.
/// The server holds a growing index (one document every 50 ms) and honours the range filter and size,
/// as `_search` does.
#[tokio::test]
async fn elasticsearch_follow_polls_without_duplicates() {
    use watchpost::sources::logs::{LogCommand, LogStore, run};
    let start = std::time::Instant::now();
    let base_ms = chrono::Utc::now().timestamp_millis();
    let search = post(move |Json(body): Json<Value>| async move {
        let n = (start.elapsed().as_millis() / 50) as i64;
        let range = &body["query"]["bool"]["filter"][0]["range"]["@timestamp"];
        let (gte, lte) = (range["gte"].as_i64().unwrap(), range["lte"].as_i64().unwrap());
        let size = body["size"].as_u64().unwrap() as usize;
        let hits: Vec<Value> = (0..n)
            .rev()
            .map(|i| base_ms + i * 50)
            .filter(|ms| *ms >= gte && *ms <= lte)
            .take(size)
            .map(|ms| json!({"_id": ms.to_string(), "_source": {"@timestamp": ms, "message": format!("doc at {ms}")}, "sort": [ms]}))
            .collect();
        Json(json!({"hits": {"hits": hits}}))
    });
    let url = serve(Router::new().route("/{index}/_search", search)).await;
    let es = Elastic::new(&ElasticConfig {
        source: HttpSource::new(url),
        index: "logs".into(),
        fields: ElasticFields::default(),
        query: String::new(),
    })
    .unwrap();
    let (cmd_tx, cmd_rx) = mpsc::channel(4);
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(run(LogStore::Elastic(es), cmd_rx, tx));
    cmd_tx.send(LogCommand::Follow { id: 3, query: "*".into(), since_ns: base_ms * 1_000_000 }).await.unwrap();
    let mut seen: Vec<i64> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(7);
    while let Ok(Some(u)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        match u {
            LogUpdate::Lines { id: 3, entries, .. } => {
                seen.extend(entries.iter().filter_map(Entry::line).map(|l| l.ts_ns))
            }
            LogUpdate::Tail { state, .. } => assert_eq!(state, TailState::Polling),
            LogUpdate::Health(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(seen.len() > 60, "documents followed over 3 polls: {}", seen.len());
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, none twice");
}
