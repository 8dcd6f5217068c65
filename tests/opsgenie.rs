//! Opsgenie against a test server whose responses follow Opsgenie's published Alert API documentation
//! (`GET /v2/alerts` with `data` and `paging.next`; `POST /v2/alerts/{id}/acknowledge`, `/close` and
//! `/notes` answering 202 "Request will be processed" with a `requestId`, whose outcome is read at
//! `GET /v2/alerts/requests/{requestId}`; errors as `{"message", "took", "requestId"}`, 429):
//! there is no Opsgenie to install here. Its alerts are listed beside PagerDuty's incidents.
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use watchpost::incidents::model::{Source, Status};
use watchpost::sources::opsgenie::{Opsgenie, run};
use watchpost::sources::pagerduty::poller::{IncidentCommand, IncidentUpdate, NotDone};

/// How the fixture processes the requests it queued.
#[derive(Default, Clone, Copy, PartialEq)]
enum Processing {
    /// At the second time the console looks (at the request's status, the alert or its notes), standing
    /// in for the moment Opsgenie gets to it: not yet at the first.
    #[default]
    Soon,
    /// Never: the status stays "not processed".
    Never,
    /// The status cannot be read (the server fails).
    Broken,
    /// The 202 gives a request id Opsgenie does not know, whose status is a 404 not marked "not
    /// processed".
    Lost,
}

/// A queued change.
struct Request {
    alert: String,
    action: String,
    note: String,
    /// How often the console looked at its alert since it was queued.
    looks: usize,
    /// How often its status was read.
    status_reads: usize,
    /// Its status's `data`, once processed.
    done: Option<Value>,
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
    /// Every change POSTed: its action, its query and its body.
    posts: Vec<(String, HashMap<String, String>, Value)>,
    /// Every read of one alert (`""`) or of its notes (`"notes"`): what, the alert and the query.
    reads: Vec<(String, String, HashMap<String, String>)>,
    /// Queued changes by request id.
    requests: HashMap<String, Request>,
    /// Reads of the status of a request id it never gave.
    unknown_reads: usize,
    processing: Processing,
}

impl Server {
    /// 130 alerts, a0003 closed already.
    fn new() -> Self {
        Server { closed: vec!["a0003-0000-0000".into()], ..Default::default() }
    }

    /// The console looks at `alert`: the changes queued for it are processed at the second look.
    fn look(&mut self, alert: &str) {
        let soon = self.processing == Processing::Soon;
        let mut due: Vec<String> = Vec::new();
        for (id, r) in self.requests.iter_mut().filter(|(_, r)| r.alert == alert && r.done.is_none()) {
            r.looks += 1;
            if soon && r.looks >= 2 {
                due.push(id.clone());
            }
        }
        due.sort();
        for id in due {
            self.process(&id);
        }
    }

    /// Carry out a queued change, as Opsgenie does when it gets to it: done, or refused (the alert
    /// already closed or missing), which only the request's status tells.
    fn process(&mut self, request: &str) {
        let r = &self.requests[request];
        let (id, action, note) = (r.alert.clone(), r.action.clone(), r.note.clone());
        let n: Option<usize> = id.strip_prefix('a').and_then(|x| x.get(..4)).and_then(|x| x.parse().ok());
        let outcome = if n.is_none_or(|n| n > TOTAL) {
            Err("Alert does not exist")
        } else if action != "notes" && self.closed.contains(&id) {
            Err("Alert is already closed")
        } else {
            Ok(match action.as_str() {
                "acknowledge" => {
                    self.acked.push(id.clone());
                    ("Acknowledge", "Acknowledged")
                }
                "close" => {
                    self.closed.push(id.clone());
                    ("Close", "Closed")
                }
                _ => {
                    self.notes.entry(id.clone()).or_default().push(note);
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
        self.requests.get_mut(request).unwrap().done = Some(data);
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
/// be processed" with a request id, whatever the outcome, which the request's status gives once it is
/// processed. The query and body are kept for the tests to check.
async fn act(
    State(s): S,
    h: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = unauthorized(&h) {
        return r;
    }
    let (delay, answer) = {
        let mut st = s.lock().unwrap();
        st.posts.push((action.clone(), q, body.clone()));
        let request = format!("req-{}", st.requests.len() + 1);
        let note = body["note"].as_str().unwrap_or_default().to_string();
        let queued = Request { alert: id, action, note, looks: 0, status_reads: 0, done: None };
        st.requests.insert(request.clone(), queued);
        let answer = if st.processing == Processing::Lost { request.replace("req", "gone") } else { request };
        (st.ack_delay, answer)
    };
    tokio::time::sleep(delay).await;
    let answer = json!({"result": "Request will be processed", "took": 0.1, "requestId": answer});
    (StatusCode::ACCEPTED, Json(answer)).into_response()
}

/// `GET /v2/alerts/requests/{requestId}` as Opsgenie answers it: 404 marked `X-Opsgenie-Errortype:
/// RequestNotProcessed` until the request is processed, then its outcome in `data`; a plain 404 for a
/// request id it never gave.
async fn request_status(State(s): S, h: HeaderMap, Path(request): Path<String>) -> Response {
    if let Some(r) = unauthorized(&h) {
        return r;
    }
    let mut st = s.lock().unwrap();
    let Some(alert) = st.requests.get(&request).map(|r| r.alert.clone()) else {
        st.unknown_reads += 1;
        let e = json!({"message": "Request not found", "took": 0.0, "requestId": "r7"});
        return (StatusCode::NOT_FOUND, Json(e)).into_response();
    };
    st.requests.get_mut(&request).unwrap().status_reads += 1;
    if st.processing == Processing::Broken {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    st.look(&alert);
    match &st.requests[&request].done {
        Some(data) => Json(json!({"data": data, "took": 0.01, "requestId": "r9"})).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [("x-opsgenie-errortype", "RequestNotProcessed")],
            Json(json!({"message": "Request not processed yet", "took": 0.0, "requestId": "r8"})),
        )
            .into_response(),
    }
}

/// `GET /v2/alerts/{id}` as Opsgenie answers it.
async fn one(State(s): S, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let mut st = s.lock().unwrap();
    st.reads.push((String::new(), id.clone(), q));
    st.look(&id);
    let n: usize = id[1..5].parse().unwrap();
    Json(json!({"data": alert(n, &st), "took": 0.0, "requestId": "r5"}))
}

/// `GET /v2/alerts/{id}/notes` as Opsgenie answers it: newest first.
async fn notes(
    State(s): S,
    Path((id, what)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if what != "notes" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut st = s.lock().unwrap();
    st.reads.push((what, id.clone(), q));
    st.look(&id);
    let note = |(i, n): (usize, String)| {
        let offset = (1_764_378_240_000usize - i).to_string();
        json!({"note": n, "owner": "watchpost", "createdAt": "2026-11-29T01:04:00.000Z", "offset": offset})
    };
    let data: Vec<Value> =
        st.notes.get(&id).cloned().unwrap_or_default().into_iter().rev().enumerate().map(note).collect();
    Json(json!({"data": data, "paging": {"first": "…", "last": "…"}, "took": 0.01, "requestId": "r6"})).into_response()
}

async fn serve(state: Arc<Mutex<Server>>) -> String {
    let app = axum::Router::new()
        .route("/v2/alerts", get(list))
        .route("/v2/alerts/{id}", get(one))
        .route("/v2/alerts/{id}/{action}", get(notes).post(act))
        .route("/v2/alerts/requests/{request}", get(request_status))
        .with_state(state);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    url
}

/// How often each request's status was read, by the alert it was about.
fn reads(state: &Mutex<Server>, alert: &str) -> Vec<usize> {
    state.lock().unwrap().requests.values().filter(|r| r.alert == alert).map(|r| r.status_reads).collect()
}

/// The queries of the reads of one alert (`""`) or of its notes (`"notes"`).
fn looks(state: &Mutex<Server>, what: &str, alert: &str) -> Vec<HashMap<String, String>> {
    let st = state.lock().unwrap();
    st.reads.iter().filter(|(w, a, _)| w == what && a == alert).map(|(_, _, q)| q.clone()).collect()
}

/// A query or body as a map, to compare with what the server saw.
fn pairs(kv: &[(&str, &str)]) -> HashMap<String, String> {
    kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn config(url: &str, timeout: &str) -> watchpost::config::Config {
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("WP_TEST_OG_KEY", "og-secret") };
    let toml = format!("[opsgenie]\nurl = \"{url}\"\nkey = {{ env = \"WP_TEST_OG_KEY\" }}\ntimeout = \"{timeout}\"\n");
    watchpost::config::load_str(std::path::Path::new("og.toml"), &toml).expect("config")
}

/// A client that reads a request's status again after 20 ms, not after Opsgenie's waits of up to 2 s:
/// the fixture processes a request when it is looked at, not after a time.
fn client(url: &str, timeout: &str) -> Opsgenie {
    let og = config(url, timeout).opsgenie.unwrap();
    let mut client = Opsgenie::new(&og.source, og.query).unwrap();
    client.status_waits = vec![Duration::from_millis(20); 4];
    client
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
        assert_eq!(*q, pairs(&want), "{listings:?}");
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
    assert_eq!(result, Err(NotDone::Failed("opsgenie: Alert is already closed".into())));
    assert_eq!(reads(&state, "a0003-0000-0000"), [2]);

    // Each change names the alert by its id, and says who sends it and why.
    let body = json!({"user": "watchpost", "source": "watchpost", "note": "from watchpost"});
    let posts = state.lock().unwrap().posts.clone();
    assert_eq!(
        posts,
        [
            ("acknowledge".to_string(), pairs(&[("identifierType", "id")]), body.clone()),
            ("close".to_string(), pairs(&[("identifierType", "id")]), body)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_is_done_when_its_request_status_says_so() {
    let state = Arc::new(Mutex::new(Server::new()));
    let og = client(&serve(state.clone()).await, "2s");
    og.note("a0002-0000-0000", "rolled back checkout").await.expect("added");
    assert_eq!(state.lock().unwrap().notes["a0002-0000-0000"], ["rolled back checkout"]);
    assert_eq!(reads(&state, "a0002-0000-0000"), [2]);
    let (action, query, body) = state.lock().unwrap().posts[0].clone();
    assert_eq!((action.as_str(), query), ("notes", pairs(&[("identifierType", "id")])));
    assert_eq!(body, json!({"user": "watchpost", "source": "watchpost", "note": "rolled back checkout"}));

    let err = og.note("a0999-0000-0000", "wrong alert").await.unwrap_err();
    assert_eq!(err, NotDone::Failed("opsgenie: Alert does not exist".into()));
    assert_eq!(reads(&state, "a0999-0000-0000"), [2]);
}

/// Never processed, or its status unreadable: neither done nor failed, and the screen says to look
/// before sending it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_never_processed_or_unreadable_is_of_unknown_outcome() {
    let state = Arc::new(Mutex::new(Server { processing: Processing::Never, ..Server::new() }));
    let url = serve(state.clone()).await;
    let og = client(&url, "2s");
    let err = og.act("a0004-0000-0000", Status::Acknowledged, "from watchpost").await.unwrap_err();
    let NotDone::Unknown(why) = &err else { panic!("not of unknown outcome: {err:?}") };
    assert_eq!(why.as_str(), "Opsgenie accepted request req-1, but had not processed it after 5 reads of its status");
    assert_eq!(reads(&state, "a0004-0000-0000"), [5]);

    let mut app = watchpost::app::App::new(&config(&url, "2s"), chrono::Utc::now());
    app.on_incident_update(IncidentUpdate::Done { what: "acknowledged a0004-0000-0000".into(), result: Err(err) });
    let (ok, notice) = app.incidents.notice.clone().unwrap();
    assert!(!ok && !notice.contains("failed"), "{notice}");
    assert!(notice.starts_with("acknowledged a0004-0000-0000: outcome unknown (Opsgenie accepted"), "{notice}");
    assert!(notice.ends_with("check the incident before sending it again"), "{notice}");

    state.lock().unwrap().processing = Processing::Broken;
    let err = og.note("a0004-0000-0000", "checked").await.unwrap_err();
    let NotDone::Unknown(why) = &err else { panic!("not of unknown outcome: {err:?}") };
    assert!(
        why.as_str().starts_with("Opsgenie accepted request req-2, but its status could not be read: HTTP 503"),
        "{why}"
    );
}

/// A 404 not marked "not processed yet" means Opsgenie knows no such request: asking again would not
/// tell more, so it is read once and the outcome is unknown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_opsgenie_does_not_know_is_read_once() {
    let state = Arc::new(Mutex::new(Server { processing: Processing::Lost, ..Server::new() }));
    let og = client(&serve(state.clone()).await, "2s");
    let err = og.act("a0004-0000-0000", Status::Acknowledged, "from watchpost").await.unwrap_err();
    let NotDone::Unknown(why) = &err else { panic!("not of unknown outcome: {err:?}") };
    assert!(
        why.as_str().starts_with("Opsgenie accepted request gone-1, but its status could not be read: HTTP 404"),
        "{why}"
    );
    assert_eq!(state.lock().unwrap().unknown_reads, 1);
}

/// The answer lost: the alert is read again until Opsgenie has processed the request, not sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_whose_answer_was_lost_is_checked_not_resent() {
    let state = Arc::new(Mutex::new(Server { ack_delay: Duration::from_millis(1500), ..Server::new() }));
    let og = client(&serve(state.clone()).await, "500ms");
    og.act("a0002-0000-0000", Status::Acknowledged, "from watchpost").await.expect("found acknowledged");
    let sent = state.lock().unwrap().posts.len();
    assert_eq!((state.lock().unwrap().acked.len(), sent), (1, 1), "sent once");
    let looks = looks(&state, "", "a0002-0000-0000");
    let want = pairs(&[("identifierType", "id")]);
    assert_eq!(looks, [want.clone(), want], "not processed at the first read, then processed");
}

/// The answer to a note lost: looked for among the alert's notes until it shows; never showing, it is of
/// unknown outcome (Opsgenie may still add it), not failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_whose_answer_was_lost_is_looked_for_among_the_notes() {
    let state = Arc::new(Mutex::new(Server { ack_delay: Duration::from_millis(1500), ..Server::new() }));
    let og = client(&serve(state.clone()).await, "500ms");
    og.note("a0002-0000-0000", "rolled back checkout").await.expect("found among the notes");
    assert_eq!(state.lock().unwrap().notes["a0002-0000-0000"], ["rolled back checkout"], "sent once");
    let want = pairs(&[("identifierType", "id"), ("order", "desc"), ("limit", "100")]);
    assert_eq!(looks(&state, "notes", "a0002-0000-0000"), [want.clone(), want]);

    state.lock().unwrap().processing = Processing::Never;
    let err = og.note("a0005-0000-0000", "paged the database team").await.unwrap_err();
    let NotDone::Unknown(why) = &err else { panic!("not of unknown outcome: {err:?}") };
    assert!(
        why.as_str().starts_with("timed out after 500ms, and the alert's notes did not show the change in 5 reads"),
        "{why}"
    );
    assert_eq!(state.lock().unwrap().posts.len(), 2, "each sent once");
}
