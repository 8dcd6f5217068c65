//! Opsgenie against a test server whose responses follow Opsgenie's published Alert API documentation
//! (`GET /v2/alerts` with `data` and `paging.next`; `POST /v2/alerts/{id}/acknowledge`, `/close` and
//! `/notes` answering 202 "Request will be processed" with a `requestId`, whose outcome is read at
//! `GET /v2/alerts/requests/{requestId}`; errors as `{"message", "took", "requestId"}`, 429):
//! there is no Opsgenie to install here. Its alerts are listed beside PagerDuty's incidents.
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use watchpost::incidents::model::{Source, Status};
use watchpost::sources::opsgenie::{Opsgenie, run};
use watchpost::sources::pagerduty::poller::{IncidentCommand, IncidentUpdate};

/// How the fixture processes the requests it queued.
#[derive(Default, Clone, Copy, PartialEq)]
enum Processing {
    /// Not yet at the first read of the status, done at the next.
    #[default]
    Soon,
    /// Never processed: the status stays "not processed".
    Never,
    /// The status cannot be read (the server fails).
    Broken,
}

#[derive(Default)]
struct Server {
    acked: Vec<String>,
    closed: Vec<String>,
    notes: HashMap<String, Vec<String>>,
    calls: usize,
    ack_delay: Duration,
    /// Every `GET /v2/alerts` query.
    listings: Vec<HashMap<String, String>>,
    /// Queued requests by id: the status's `data` once processed, and how often it was read.
    requests: HashMap<String, (Value, usize)>,
    processing: Processing,
}

impl Server {
    /// 130 alerts, a0003 closed already.
    fn new() -> Self {
        Server { closed: vec!["a0003-0000-0000".into()], ..Default::default() }
    }
}

type S = State<Arc<Mutex<Server>>>;

const TOTAL: usize = 130;

fn unauthorized(h: &HeaderMap) -> Option<Response> {
    h.get("authorization").is_none_or(|v| v != "GenieKey og-secret").then(|| {
        (StatusCode::UNAUTHORIZED, Json(json!({"message": "Could not authenticate", "took": 0.0, "requestId": "r0"})))
            .into_response()
    })
}

fn alert(n: usize, s: &Server) -> Value {
    let id = format!("a{n:04}-0000-0000");
    json!({
        "id": id, "tinyId": n.to_string(), "alias": format!("alias-{n}"), "message": format!("checkout errors {n}"),
        "status": if s.closed.contains(&id) { "closed" } else { "open" }, "acknowledged": s.acked.contains(&id),
        "isSeen": true, "tags": ["service:checkout", "team:shop"], "snoozed": false, "count": 1,
        "createdAt": "2026-11-29T01:00:00.000Z", "updatedAt": "2026-11-29T01:02:00.000Z",
        "source": "prometheus", "owner": "bob@example.com", "priority": "P1",
    })
}

/// `GET /v2/alerts` as Opsgenie answers it: the `query` (here only `status: open`) filters, `offset` and
/// `limit` page, with `paging.next` while more follow; a 429 first.
async fn list(State(s): S, h: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Some(r) = unauthorized(&h) {
        return r;
    }
    let mut st = s.lock().unwrap();
    st.calls += 1;
    st.listings.push(q.clone());
    if st.calls == 1 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            Json(json!({"message": "Rate limit", "took": 0.0, "requestId": "r1"})),
        )
            .into_response();
    }
    let open_only = match q.get("query").map(String::as_str) {
        None | Some("") => false,
        Some("status: open") => true,
        Some(other) => {
            let e = json!({"message": format!("Invalid query: {other}"), "took": 0.0, "requestId": "r2"});
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(e)).into_response();
        }
    };
    let (limit, offset): (usize, usize) = (q["limit"].parse().unwrap(), q["offset"].parse().unwrap());
    let matching: Vec<Value> =
        (1..=TOTAL).map(|n| alert(n, &st)).filter(|a| !open_only || a["status"] == "open").collect();
    let data: Vec<Value> = matching.iter().skip(offset).take(limit).cloned().collect();
    let next = (offset + limit < matching.len())
        .then(|| format!("https://api.opsgenie.com/v2/alerts?limit={limit}&offset={}", offset + limit));
    Json(json!({"data": data, "paging": {"next": next, "first": "…"}, "took": 0.1, "requestId": "r2"})).into_response()
}

/// `POST /v2/alerts/{id}/acknowledge`, `/close` and `/notes` as Opsgenie answers them: 202 "Request will
/// be processed" with a request id, whatever the outcome; the outcome (done, the alert already closed or
/// missing) is given by the request's status.
async fn act(
    State(s): S,
    h: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = unauthorized(&h) {
        return r;
    }
    let n: Option<usize> = id.strip_prefix('a').and_then(|x| x.get(..4)).and_then(|x| x.parse().ok());
    let delay = {
        let mut st = s.lock().unwrap();
        let outcome = if n.is_none_or(|n| n > TOTAL) {
            Err("Alert does not exist")
        } else if action != "notes" && st.closed.contains(&id) {
            Err("Alert is already closed")
        } else {
            Ok(match action.as_str() {
                "acknowledge" => {
                    st.acked.push(id.clone());
                    ("Acknowledge", "Acknowledged")
                }
                "close" => {
                    st.closed.push(id.clone());
                    ("Close", "Closed")
                }
                _ => {
                    st.notes.entry(id.clone()).or_default().push(body["note"].as_str().unwrap().to_string());
                    ("AddNote", "Added note")
                }
            })
        };
        let (action, status) = outcome.unwrap_or(("", ""));
        let data = json!({
            "success": outcome.is_ok(), "action": action, "processedAt": "2026-11-29T01:03:00.000Z",
            "integrationId": "i1", "isSuccess": outcome.is_ok(), "status": outcome.err().unwrap_or(status),
            "alertId": id, "alias": "",
        });
        let request = format!("req-{}", st.requests.len() + 1);
        st.requests.insert(request.clone(), (data, 0));
        (st.ack_delay, request)
    };
    tokio::time::sleep(delay.0).await;
    let answer = json!({"result": "Request will be processed", "took": 0.1, "requestId": delay.1});
    (StatusCode::ACCEPTED, Json(answer)).into_response()
}

/// `GET /v2/alerts/requests/{requestId}` as Opsgenie answers it: 404 marked `X-Opsgenie-Errortype:
/// RequestNotProcessed` until the request is processed, then its outcome in `data`.
async fn request_status(State(s): S, h: HeaderMap, Path(request): Path<String>) -> Response {
    if let Some(r) = unauthorized(&h) {
        return r;
    }
    let mut st = s.lock().unwrap();
    let processing = st.processing;
    let Some((data, reads)) = st.requests.get_mut(&request) else {
        return (StatusCode::NOT_FOUND, [("x-opsgenie-errortype", "RequestNotProcessed")]).into_response();
    };
    *reads += 1;
    match processing {
        Processing::Soon if *reads > 1 => Json(json!({"data": data, "took": 0.01, "requestId": "r9"})).into_response(),
        Processing::Broken => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            [("x-opsgenie-errortype", "RequestNotProcessed")],
            Json(json!({"message": "Request not processed yet", "took": 0.0, "requestId": "r8"})),
        )
            .into_response(),
    }
}

/// `GET /v2/alerts/{id}` as Opsgenie answers it.
async fn one(State(s): S, Path(id): Path<String>) -> Json<Value> {
    let st = s.lock().unwrap();
    let n: usize = id[1..5].parse().unwrap();
    Json(json!({"data": alert(n, &st), "took": 0.0, "requestId": "r5"}))
}

async fn serve(state: Arc<Mutex<Server>>) -> String {
    let app = axum::Router::new()
        .route("/v2/alerts", get(list))
        .route("/v2/alerts/{id}", get(one))
        .route("/v2/alerts/{id}/{action}", post(act))
        .route("/v2/alerts/requests/{request}", get(request_status))
        .with_state(state);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    url
}

/// How often each request's status was read, by the alert it was about.
fn reads(state: &Mutex<Server>, alert: &str) -> Vec<usize> {
    state.lock().unwrap().requests.values().filter(|(d, _)| d["alertId"] == alert).map(|(_, r)| *r).collect()
}

fn client(url: &str, timeout: &str) -> Opsgenie {
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("WP_TEST_OG_KEY", "og-secret") };
    let toml = format!("[opsgenie]\nurl = \"{url}\"\nkey = {{ env = \"WP_TEST_OG_KEY\" }}\ntimeout = \"{timeout}\"\n");
    let cfg = watchpost::config::load_str(std::path::Path::new("og.toml"), &toml).expect("config");
    let og = cfg.opsgenie.unwrap();
    Opsgenie::new(&og.source, og.query).unwrap()
}

async fn next(rx: &mut mpsc::Receiver<IncidentUpdate>) -> IncidentUpdate {
    tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("an update in time").expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_listed_acknowledged_and_closed() {
    let state = Arc::new(Mutex::new(Server::new()));
    let url = serve(state.clone()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let (cmd, cmd_rx) = mpsc::channel(16);
    tokio::spawn(run(client(&url, "2s"), Duration::from_secs(30), tx, cmd_rx));
    let IncidentUpdate::Snapshot { source, incidents, cut, .. } = next(&mut rx).await else { panic!() };
    assert_eq!((source, incidents.len(), cut), (Source::Opsgenie, 129, false), "a 429, then both pages of open ones");
    let first = &incidents[0];
    assert_eq!((first.service.as_str(), first.urgency.as_str(), first.status), ("checkout", "P1", Status::Triggered));
    let listings = state.lock().unwrap().listings.clone();
    assert_eq!(listings.len(), 3, "{listings:?}");
    for (q, offset) in listings.iter().zip(["0", "0", "100"]) {
        let want =
            [("query", "status: open"), ("limit", "100"), ("offset", offset), ("sort", "createdAt"), ("order", "desc")];
        assert_eq!(*q, want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), "{listings:?}");
    }

    // Done once the request's status, read again after "not processed yet", says so.
    cmd.send(IncidentCommand::SetStatus("a0001-0000-0000".into(), Status::Acknowledged)).await.unwrap();
    let IncidentUpdate::Done { result, .. } = next(&mut rx).await else { panic!() };
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(reads(&state, "a0001-0000-0000"), [2], "not processed, then processed");
    let IncidentUpdate::Snapshot { incidents, .. } = next(&mut rx).await else { panic!() };
    assert_eq!(incidents.iter().find(|i| i.id == "a0001-0000-0000").unwrap().status, Status::Acknowledged);

    // Accepted with 202, refused in the request's status.
    cmd.send(IncidentCommand::SetStatus("a0003-0000-0000".into(), Status::Resolved)).await.unwrap();
    let IncidentUpdate::Done { result, .. } = next(&mut rx).await else { panic!() };
    assert_eq!(result.unwrap_err().as_str(), "opsgenie: Alert is already closed");
    assert_eq!(reads(&state, "a0003-0000-0000"), [2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_is_done_when_its_request_status_says_so() {
    let state = Arc::new(Mutex::new(Server::new()));
    let og = client(&serve(state.clone()).await, "2s");
    og.note("a0002-0000-0000", "rolled back checkout").await.expect("added");
    assert_eq!(state.lock().unwrap().notes["a0002-0000-0000"], ["rolled back checkout"]);
    assert_eq!(reads(&state, "a0002-0000-0000"), [2]);

    let err = og.note("a0999-0000-0000", "wrong alert").await.unwrap_err();
    assert_eq!(err.to_string(), "opsgenie: Alert does not exist");
    assert_eq!(reads(&state, "a0999-0000-0000"), [2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_never_processed_or_unreadable_is_not_called_done() {
    let state = Arc::new(Mutex::new(Server { processing: Processing::Never, ..Server::new() }));
    let og = client(&serve(state.clone()).await, "2s");
    let err = og.act("a0004-0000-0000", Status::Acknowledged, "from watchpost").await.unwrap_err().to_string();
    assert!(err.contains("not processed yet after 5 tries (request id req-1)"), "{err}");
    assert_eq!(reads(&state, "a0004-0000-0000"), [5]);

    state.lock().unwrap().processing = Processing::Broken;
    let err = og.note("a0004-0000-0000", "checked").await.unwrap_err().to_string();
    assert!(err.contains("request req-2 was accepted but its outcome is unknown: HTTP 503"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_whose_answer_was_lost_is_checked_not_resent() {
    let state = Arc::new(Mutex::new(Server { ack_delay: Duration::from_millis(1500), ..Server::new() }));
    let url = serve(state.clone()).await;
    let og = client(&url, "500ms");
    og.act("a0002-0000-0000", Status::Acknowledged, "from watchpost").await.expect("found acknowledged");
    assert_eq!(state.lock().unwrap().acked.len(), 1, "sent once");
}
