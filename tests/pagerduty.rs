//! PagerDuty against a test server whose responses follow PagerDuty's published REST API v2
//! documentation (incidents with offset pagination and `more`, log entries, notes, `PUT /incidents/{id}`
//! with an `incident_reference`, errors as `{"error": {"message", "code", "errors"}}`, 429 with
//! Retry-After): there is no PagerDuty to install here. Driven through the console's own keys.
mod support;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use watchpost::app::{App, Screen};
use watchpost::sources::pagerduty::PagerDuty;
use watchpost::sources::pagerduty::poller::{IncidentUpdate, run};

#[derive(Default)]
struct Server {
    puts: Vec<(String, Value)>,
    notes: HashMap<String, Vec<String>>,
    list_calls: usize,
    note_delay: Duration,
}

type S = State<Arc<Mutex<Server>>>;

fn authorized(h: &HeaderMap) -> bool {
    h.get("authorization").is_some_and(|v| v == "Token token=pd-secret")
        && h.get("accept").is_some_and(|v| v == "application/vnd.pagerduty+json;version=2")
}

fn incident(n: u64) -> Value {
    json!({
        "id": format!("P{n:05}"), "type": "incident", "incident_number": n,
        "title": if n == 1 { "payments p95 over 200ms \u{1b}[31m" } else { "disk filling" },
        "status": if n == 1 { "triggered" } else if n.is_multiple_of(2) { "acknowledged" } else { "resolved" },
        "urgency": "high", "created_at": "2026-11-29T01:00:00Z",
        "service": {"id": "PSVC1", "type": "service_reference", "summary": "payments"},
        "assignments": [{"at": "2026-11-29T01:00:00Z", "assignee": {"id": "PUSR1", "type": "user_reference", "summary": "Alice"}}],
        "escalation_level": 1, "html_url": format!("https://example.pagerduty.com/incidents/P{n:05}"),
    })
}

async fn incidents(State(s): S, h: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if !authorized(&h) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "Unauthorized", "code": 2006}})))
            .into_response();
    }
    let first = {
        let mut s = s.lock().unwrap();
        s.list_calls += 1;
        s.list_calls == 1
    };
    if first {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            Json(json!({"error": {"message": "Rate Limit Exceeded", "code": 2020}})),
        )
            .into_response();
    }
    let (limit, offset): (u64, u64) = (q["limit"].parse().unwrap(), q["offset"].parse().unwrap());
    let total = 150;
    let items: Vec<Value> = (offset + 1..=(offset + limit).min(total)).map(incident).collect();
    Json(json!({"incidents": items, "limit": limit, "offset": offset, "more": offset + limit < total, "total": null}))
        .into_response()
}

async fn update(State(s): S, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    if !authorized(&h) || h.get("from").is_none() {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["From header is required"]}}))).into_response();
    }
    if id == "P00003" {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["Incident Already Resolved"]}}))).into_response();
    }
    s.lock().unwrap().puts.push((id.clone(), body));
    Json(json!({"incident": incident(1)})).into_response()
}

async fn notes(State(s): S, Path(id): Path<String>) -> Json<Value> {
    let list: Vec<Value> = s
        .lock()
        .unwrap()
        .notes
        .get(&id)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|c| json!({"content": c}))
        .collect();
    Json(json!({"notes": list}))
}

async fn add_note(State(s): S, Path(id): Path<String>, Json(body): Json<Value>) -> Json<Value> {
    let delay = {
        let mut s = s.lock().unwrap();
        s.notes.entry(id).or_default().push(body["note"]["content"].as_str().unwrap().to_string());
        s.note_delay
    };
    tokio::time::sleep(delay).await;
    Json(json!({"note": body["note"]}))
}

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
    let state = Arc::new(Mutex::new(Server::default()));
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

fn key(app: &mut App, c: KeyCode) {
    app.on_key(KeyEvent::new(c, KeyModifiers::NONE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_paginated_acknowledged_noted_and_refused() {
    let (url, state) = serve().await;
    let cfg = config(&url, "2s");
    let pd = cfg.pagerduty.as_ref().unwrap();
    let client = PagerDuty::new(&pd.source, pd.services.clone(), pd.teams.clone()).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    tokio::spawn(run(client, Duration::from_secs(30), tx, cmd_rx));
    let mut app = App::new(&cfg, Utc::now());
    assert_eq!(app.screen, Screen::Incidents, "PagerDuty alone: the console opens on the incidents");

    // Both pages, after a 429 that was waited out.
    until(&mut rx, &mut app, "150 incidents", |a| a.incidents.incidents.len() == 150).await;
    assert!(state.lock().unwrap().list_calls >= 3, "429, then two pages");
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
