//! PagerDuty against a test server whose responses follow PagerDuty's published REST API v2
//! documentation (incidents filtered by `statuses[]`, `service_ids[]` and a `since`..`until` window
//! unless `date_range=all`, with offset pagination and `more`; log entries, notes, `PUT /incidents/{id}`
//! with an `incident_reference`, changes requiring the `From` header; errors as `{"error": {"message",
//! "code", "errors"}}`, 429 with Retry-After): there is no PagerDuty to install here. Driven through the
//! console's own keys.
mod support;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use watchpost::app::{App, Screen};
use watchpost::embedded::pagerduty::ListQuery;
use watchpost::sources::pagerduty::PagerDuty;
use watchpost::sources::pagerduty::poller::{IncidentCommand, IncidentUpdate, NotDone, run};

struct Server {
    /// When the incidents were made: their times are relative to it, as a real account's are to now.
    t0: DateTime<Utc>,
    /// Every `GET /incidents` query, as the raw pairs in the order sent.
    listings: Vec<Vec<(String, String)>>,
    puts: Vec<(String, Value)>,
    /// The `From` header of each change, as "METHOD path from".
    froms: Vec<String>,
    notes: HashMap<String, Vec<String>>,
    list_calls: usize,
    note_delay: Duration,
    /// The listing of resolved incidents fails (500).
    resolved_fails: bool,
    /// One more incident is open (P09004, opened an hour before `t0`).
    extra_open: bool,
    /// Reading an incident's notes fails (500).
    notes_broken: bool,
}

type S = State<Arc<Mutex<Server>>>;

fn authorized(h: &HeaderMap) -> bool {
    h.get("authorization").is_some_and(|v| v == "Token token=pd-secret")
        && h.get("accept").is_some_and(|v| v == "application/vnd.pagerduty+json;version=2")
}

fn invalid(why: &str) -> Response {
    let e = json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [why]}});
    (StatusCode::BAD_REQUEST, Json(e)).into_response()
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Incident `n` of service PSVC1, opened `n` minutes before `t0`: 1 triggered, even ones acknowledged,
/// odd ones resolved.
fn incident(n: u64, t0: DateTime<Utc>) -> Value {
    let created = t0 - chrono::Duration::minutes(n as i64);
    let status = match n {
        1 => "triggered",
        _ if n.is_multiple_of(2) => "acknowledged",
        _ => "resolved",
    };
    json!({
        "id": format!("P{n:05}"), "type": "incident", "incident_number": n,
        "title": if n == 1 { "payments p95 over 200ms \u{1b}[31m" } else { "disk filling" },
        "status": status, "urgency": "high", "created_at": ts(created),
        "resolved_at": (status == "resolved").then(|| ts(created + chrono::Duration::seconds(30))),
        "service": {"id": "PSVC1", "type": "service_reference", "summary": "payments"},
        "assignments": [{"at": ts(created), "assignee": {"id": "PUSR1", "type": "user_reference", "summary": "Alice"}}],
        "escalation_level": 1, "html_url": format!("https://example.pagerduty.com/incidents/P{n:05}"),
    })
}

/// The account: 250 recent incidents, one opened 40 days ago and still triggered, one opened and
/// resolved 40 days ago, one of another service, and P09004 when `extra_open`.
fn account(t0: DateTime<Utc>, extra_open: bool) -> Vec<Value> {
    let mut all: Vec<Value> = (1..=250).map(|n| incident(n, t0)).collect();
    let old = t0 - chrono::Duration::days(40);
    let mut open_old = incident(9001, t0);
    (open_old["status"], open_old["created_at"], open_old["title"]) =
        (json!("triggered"), json!(ts(old)), json!("certificate expiring"));
    let mut resolved_old = incident(9002, t0);
    (resolved_old["status"], resolved_old["created_at"], resolved_old["resolved_at"]) =
        (json!("resolved"), json!(ts(old)), json!(ts(old + chrono::Duration::hours(1))));
    let mut other = incident(9003, t0);
    (other["status"], other["service"]["id"]) = (json!("triggered"), json!("PSVC2"));
    all.extend([open_old, resolved_old, other]);
    if extra_open {
        let mut new = incident(9004, t0);
        (new["status"], new["created_at"]) = (json!("triggered"), json!(ts(t0 - chrono::Duration::hours(1))));
        all.push(new);
    }
    all
}

fn server_error() -> Response {
    let e = json!({"error": {"message": "Internal Server Error", "code": 2000}});
    (StatusCode::INTERNAL_SERVER_ERROR, Json(e)).into_response()
}

fn time(v: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v).ok().map(|t| t.with_timezone(&Utc))
}

/// `GET /incidents` as PagerDuty answers it: the query read as the embedded PagerDuty reads it (one
/// reading of PagerDuty's rules for both: `statuses[]`, `service_ids[]`, the `since`..`until` window
/// unless `date_range=all`, `limit` and `offset`); offset pages with `more` and `"total": null`; a 429
/// with Retry-After first.
async fn incidents(State(s): S, h: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    if !authorized(&h) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "Unauthorized", "code": 2006}})))
            .into_response();
    }
    let raw = raw.unwrap_or_default();
    let (first, t0, resolved_fails, extra_open) = {
        let mut s = s.lock().unwrap();
        s.list_calls += 1;
        s.listings.push(url::form_urlencoded::parse(raw.as_bytes()).into_owned().collect());
        (s.list_calls == 1, s.t0, s.resolved_fails, s.extra_open)
    };
    if first {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            Json(json!({"error": {"message": "Rate Limit Exceeded", "code": 2020}})),
        )
            .into_response();
    }
    let q = match ListQuery::parse(&raw, Utc::now()) {
        Ok(q) => q,
        Err(why) => return invalid(&why),
    };
    if resolved_fails && q.statuses == ["resolved"] {
        return server_error();
    }
    let matching: Vec<Value> = account(t0, extra_open)
        .into_iter()
        .filter(|i| {
            let created = time(i["created_at"].as_str().unwrap()).unwrap();
            q.matches(i["status"].as_str().unwrap(), i["service"]["id"].as_str().unwrap(), created)
        })
        .collect();
    let items: Vec<Value> = matching.iter().skip(q.offset).take(q.limit).cloned().collect();
    let more = q.offset + q.limit < matching.len();
    Json(json!({"incidents": items, "limit": q.limit, "offset": q.offset, "more": more, "total": null})).into_response()
}

/// `PUT /incidents/{id}` as PagerDuty answers it: the `From` header is required; a resolved incident
/// refuses a change of status.
async fn update(State(s): S, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let Some(from) = h.get("from").filter(|_| authorized(&h)) else { return invalid("From header is required") };
    if id == "P00003" {
        return invalid("Incident Already Resolved");
    }
    let mut s = s.lock().unwrap();
    s.froms.push(format!("PUT incidents/{id} {}", from.to_str().unwrap()));
    s.puts.push((id.clone(), body));
    Json(json!({"incident": incident(1, s.t0)})).into_response()
}

/// `GET /incidents/{id}/notes` as PagerDuty answers it.
async fn notes(State(s): S, Path(id): Path<String>) -> Response {
    let s = s.lock().unwrap();
    if s.notes_broken {
        return server_error();
    }
    let list: Vec<Value> =
        s.notes.get(&id).cloned().unwrap_or_default().into_iter().map(|c| json!({"content": c})).collect();
    Json(json!({"notes": list})).into_response()
}

/// `POST /incidents/{id}/notes` as PagerDuty answers it: the `From` header is required.
async fn add_note(State(s): S, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let Some(from) = h.get("from").filter(|_| authorized(&h)) else { return invalid("From header is required") };
    let delay = {
        let mut s = s.lock().unwrap();
        s.froms.push(format!("POST incidents/{id}/notes {}", from.to_str().unwrap()));
        s.notes.entry(id).or_default().push(body["note"]["content"].as_str().unwrap().to_string());
        s.note_delay
    };
    tokio::time::sleep(delay).await;
    Json(json!({"note": body["note"]})).into_response()
}

/// `GET /incidents/{id}/log_entries` as PagerDuty answers it (one page).
async fn log_entries(State(s): S, Path(id): Path<String>) -> Json<Value> {
    let mut entries = vec![
        json!({"type": "trigger_log_entry", "summary": "Triggered through the API", "created_at": "2026-11-29T01:00:00Z", "agent": {"summary": "Prometheus"}}),
        json!({"type": "acknowledge_log_entry", "summary": "Acknowledged by Alice", "created_at": "2026-11-29T01:03:00Z", "agent": {"summary": "Alice"}}),
    ];
    for n in s.lock().unwrap().notes.get(&id).cloned().unwrap_or_default() {
        entries.push(json!({"type": "annotate_log_entry", "summary": format!("Note added: {n}"), "created_at": "2026-11-29T01:05:00Z", "agent": {"summary": "Alice"}}));
    }
    Json(json!({"log_entries": entries, "limit": 100, "offset": 0, "more": false}))
}

async fn serve() -> (String, Arc<Mutex<Server>>) {
    let state = Arc::new(Mutex::new(Server {
        t0: Utc::now(),
        listings: Vec::new(),
        puts: Vec::new(),
        froms: Vec::new(),
        notes: HashMap::new(),
        list_calls: 0,
        note_delay: Duration::ZERO,
        resolved_fails: false,
        extra_open: false,
        notes_broken: false,
    }));
    let app = axum::Router::new()
        .route("/incidents", get(incidents))
        .route("/incidents/{id}", put(update))
        .route("/incidents/{id}/notes", get(notes).post(add_note))
        .route("/incidents/{id}/log_entries", get(log_entries))
        .with_state(state.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, state)
}

fn config(url: &str, timeout: &str) -> watchpost::config::Config {
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("WP_TEST_PD_TOKEN", "pd-secret") };
    let toml = format!(
        "[pagerduty]\nurl = \"{url}\"\ntoken = {{ env = \"WP_TEST_PD_TOKEN\" }}\nservices = [\"PSVC1\"]\nfrom = \"alice@example.com\"\ntimeout = \"{timeout}\"\n"
    );
    watchpost::config::load_str(std::path::Path::new("pd.toml"), &toml).expect("config")
}

async fn until(rx: &mut mpsc::Receiver<IncidentUpdate>, app: &mut App, what: &str, want: impl Fn(&App) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !want(app) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => app.on_incident_update(u),
            _ => panic!("{what}: not reached; {:?} {:?}", app.incidents.unreachable, app.incidents.notice),
        }
    }
}

/// The incident worker against the test server at `url`, and a console fed by it: the app, the worker's
/// updates and its command channel.
fn console(url: &str) -> (App, mpsc::Receiver<IncidentUpdate>, mpsc::Sender<IncidentCommand>) {
    let cfg = config(url, "2s");
    let pd = cfg.pagerduty.as_ref().unwrap();
    let client = PagerDuty::new(&pd.source, pd.services.clone(), pd.teams.clone()).unwrap();
    let (tx, rx) = mpsc::channel(64);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    tokio::spawn(run(client, Duration::from_secs(30), tx, cmd_rx));
    (App::new(&cfg, Utc::now()), rx, cmd_tx)
}

fn key(app: &mut App, c: KeyCode) {
    app.on_key(KeyEvent::new(c, KeyModifiers::NONE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_paginated_acknowledged_noted_and_refused() {
    let (url, state) = serve().await;
    let (mut app, mut rx, cmd_tx) = console(&url);
    assert_eq!(app.screen, Screen::Incidents, "PagerDuty alone: the console opens on the incidents");

    // Open ones however old, resolved ones of the last 30 days, each in two pages, after a 429 that was
    // waited out: 126 recent open and the one opened 40 days ago, 124 resolved.
    until(&mut rx, &mut app, "251 incidents", |a| a.incidents.incidents.len() == 251).await;
    let ids: Vec<&str> = app.incidents.incidents.iter().map(|i| i.id.as_str()).collect();
    assert!(ids.contains(&"P09001"), "opened 40 days ago and still triggered: listed");
    assert!(!ids.contains(&"P09002"), "resolved 40 days ago: outside the window");
    assert!(!ids.contains(&"P09003"), "another service's");
    let listings = state.lock().unwrap().listings.clone();
    assert_eq!(listings.len(), 5, "429, then two pages of each listing: {listings:?}");
    let values = |q: &[(String, String)], k: &str| -> Vec<String> {
        q.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect()
    };
    let (mut open_offsets, mut resolved_offsets) = (Vec::new(), Vec::new());
    for q in &listings {
        assert_eq!(values(q, "service_ids[]"), ["PSVC1"], "{q:?}");
        assert_eq!(values(q, "limit"), ["100"], "{q:?}");
        if values(q, "date_range") == ["all"] {
            assert_eq!(values(q, "statuses[]"), ["triggered", "acknowledged"], "{q:?}");
            assert!(values(q, "since").is_empty() && values(q, "until").is_empty(), "{q:?}");
            open_offsets.extend(values(q, "offset"));
        } else {
            assert!(values(q, "date_range").is_empty(), "{q:?}");
            assert_eq!(values(q, "statuses[]"), ["resolved"], "{q:?}");
            let at = |k: &str| DateTime::parse_from_rfc3339(&values(q, k)[0]).unwrap();
            let span = at("until") - at("since");
            assert!((span - chrono::Duration::days(30)).num_seconds().abs() < 60, "30 days: {q:?}");
            resolved_offsets.extend(values(q, "offset"));
        }
    }
    for offsets in [&mut open_offsets, &mut resolved_offsets] {
        offsets.sort();
        offsets.dedup();
        assert_eq!(*offsets, ["0", "100"], "{listings:?}");
    }
    let first = app.incidents.selected_incident().unwrap();
    assert_eq!((first.number, first.status.as_str()), (1, "triggered"), "open first");
    assert!(first.title.as_str().contains("\\e[31m"), "sanitized: {}", first.title);

    // `a` acknowledges: PagerDuty's incident_reference body, with the From header.
    key(&mut app, KeyCode::Char('a'));
    for (_, c) in app.take_incident_commands() {
        cmd_tx.send(c).await.unwrap();
    }
    until(&mut rx, &mut app, "acknowledged", |a| {
        a.incidents.notice.as_ref().is_some_and(|n| n.0 && n.1.starts_with("acknowledged"))
    })
    .await;
    let (id, body) = state.lock().unwrap().puts[0].clone();
    assert_eq!(id, "P00001");
    assert_eq!(body, json!({"incident": {"type": "incident_reference", "status": "acknowledged"}}));
    assert_eq!(state.lock().unwrap().froms, ["PUT incidents/P00001 alice@example.com"]);

    // `n` adds a note; enter opens the timeline, where it appears with the log.
    key(&mut app, KeyCode::Char('n'));
    for c in "rolled back payments".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    for (_, c) in app.take_incident_commands() {
        cmd_tx.send(c).await.unwrap();
    }
    until(&mut rx, &mut app, "note", |a| a.incidents.notice.as_ref().is_some_and(|n| n.1.starts_with("note added")))
        .await;
    assert_eq!(state.lock().unwrap().froms[1], "POST incidents/P00001/notes alice@example.com");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Incident);
    for (_, c) in app.take_incident_commands() {
        cmd_tx.send(c).await.unwrap();
    }
    until(&mut rx, &mut app, "log", |a| a.incidents.log.is_some()).await;
    let mut term = Terminal::new(TestBackend::new(110, 20)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let s = term.backend().to_string();
    assert!(
        s.contains("trigger: Triggered through the API") && s.contains("acknowledge: Acknowledged by Alice"),
        "{s}"
    );
    assert!(s.contains("Note added: rolled back payments"), "{s}");

    // A refusal is shown with PagerDuty's own words.
    key(&mut app, KeyCode::Esc);
    app.incidents.selected = app.incidents.sorted().iter().position(|i| i.id == "P00003").unwrap();
    key(&mut app, KeyCode::Char('R'));
    for (_, c) in app.take_incident_commands() {
        cmd_tx.send(c).await.unwrap();
    }
    until(&mut rx, &mut app, "refused", |a| a.incidents.notice.as_ref().is_some_and(|n| !n.0)).await;
    let notice = &app.incidents.notice.as_ref().unwrap().1;
    assert!(notice.contains("Incident Already Resolved"), "{notice}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_whose_answer_was_lost_is_not_added_twice() {
    let (url, state) = serve().await;
    state.lock().unwrap().note_delay = Duration::from_millis(1500);
    let cfg = config(&url, "500ms");
    let pd = cfg.pagerduty.as_ref().unwrap();
    let client = PagerDuty::new(&pd.source, pd.services.clone(), pd.teams.clone()).unwrap();
    client.add_note("P00001", "checked the database").await.expect("found among the notes");
    assert_eq!(state.lock().unwrap().notes["P00001"].len(), 1, "sent once");
}

/// The answer lost and the notes unreadable: perhaps added, perhaps not, so neither done nor failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_whose_answer_was_lost_and_cannot_be_checked_is_of_unknown_outcome() {
    let (url, state) = serve().await;
    {
        let mut s = state.lock().unwrap();
        (s.note_delay, s.notes_broken) = (Duration::from_millis(1500), true);
    }
    let cfg = config(&url, "500ms");
    let pd = cfg.pagerduty.as_ref().unwrap();
    let client = PagerDuty::new(&pd.source, pd.services.clone(), pd.teams.clone()).unwrap();
    let err = client.add_note("P00001", "checked the database").await.unwrap_err();
    let NotDone::Unknown(why) = &err else { panic!("not of unknown outcome: {err:?}") };
    assert!(why.as_str().contains("the incident's notes could not be read: HTTP 500"), "{why}");
    assert_eq!(state.lock().unwrap().notes["P00001"].len(), 1, "sent once");
}

/// The resolved incidents cannot be listed: the open ones are still listed as they are now, the resolved
/// ones of the last listing kept, and the screen says which listing failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_incidents_are_listed_when_the_resolved_ones_cannot_be() {
    let (url, state) = serve().await;
    let (mut app, mut rx, cmd_tx) = console(&url);
    until(&mut rx, &mut app, "251 incidents", |a| a.incidents.incidents.len() == 251).await;

    {
        let mut s = state.lock().unwrap();
        (s.resolved_fails, s.extra_open) = (true, true);
    }
    // A change makes the poller list again at once.
    cmd_tx.send(IncidentCommand::Escalate("P00002".into(), 2)).await.unwrap();
    until(&mut rx, &mut app, "partial listing", |a| a.incidents.unreachable.is_some()).await;
    let why = app.incidents.unreachable.as_ref().unwrap().as_str();
    assert!(why.starts_with("resolved incidents not listed (the last ones shown): HTTP 500"), "{why}");
    let ids: Vec<&str> = app.incidents.incidents.iter().map(|i| i.id.as_str()).collect();
    assert!(ids.contains(&"P09004"), "opened since the last listing: listed");
    assert_eq!(ids.len(), 252, "127 open then, one more now, and the 124 resolved ones kept");
}
