//! Opsgenie against a test server whose responses follow Opsgenie's published Alert API documentation
//! (`GET /v2/alerts` with `data` and `paging.next`, `POST /v2/alerts/{id}/acknowledge` and `/close`
//! answering 202 "Request will be processed", errors as `{"message", "took", "requestId"}`, 429):
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

#[derive(Default)]
struct Server {
    acked: Vec<String>,
    closed: Vec<String>,
    calls: usize,
    ack_delay: Duration,
}

type S = State<Arc<Mutex<Server>>>;

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

async fn list(State(s): S, h: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if h.get("authorization").is_none_or(|v| v != "GenieKey og-secret") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Could not authenticate", "took": 0.0, "requestId": "r0"})),
        )
            .into_response();
    }
    let mut st = s.lock().unwrap();
    st.calls += 1;
    if st.calls == 1 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            Json(json!({"message": "Rate limit", "took": 0.0, "requestId": "r1"})),
        )
            .into_response();
    }
    let (limit, offset): (usize, usize) = (q["limit"].parse().unwrap(), q["offset"].parse().unwrap());
    let total = 130;
    let data: Vec<Value> = (offset + 1..=(offset + limit).min(total)).map(|n| alert(n, &st)).collect();
    let next = (offset + limit < total)
        .then(|| format!("https://api.opsgenie.com/v2/alerts?limit={limit}&offset={}", offset + limit));
    Json(json!({"data": data, "paging": {"next": next, "first": "…"}, "took": 0.1, "requestId": "r2"})).into_response()
}

async fn act(State(s): S, Path((id, action)): Path<(String, String)>) -> Response {
    if id.starts_with("a0003") {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "Alert is already closed", "took": 0.0, "requestId": "r3"})),
        )
            .into_response();
    }
    let delay = {
        let mut st = s.lock().unwrap();
        match action.as_str() {
            "acknowledge" => st.acked.push(id),
            _ => st.closed.push(id),
        }
        st.ack_delay
    };
    tokio::time::sleep(delay).await;
    (StatusCode::ACCEPTED, Json(json!({"result": "Request will be processed", "took": 0.1, "requestId": "r4"})))
        .into_response()
}

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
        .with_state(state);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    url
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
    let state = Arc::new(Mutex::new(Server::default()));
    let url = serve(state.clone()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let (cmd, cmd_rx) = mpsc::channel(16);
    tokio::spawn(run(client(&url, "2s"), Duration::from_secs(30), tx, cmd_rx));
    let IncidentUpdate::Snapshot { source, incidents, cut, .. } = next(&mut rx).await else { panic!() };
    assert_eq!((source, incidents.len(), cut), (Source::Opsgenie, 130, false), "a 429, then both pages");
    let first = &incidents[0];
    assert_eq!((first.service.as_str(), first.urgency.as_str(), first.status), ("checkout", "P1", Status::Triggered));

    cmd.send(IncidentCommand::SetStatus("a0001-0000-0000".into(), Status::Acknowledged)).await.unwrap();
    let IncidentUpdate::Done { result, .. } = next(&mut rx).await else { panic!() };
    assert!(result.is_ok(), "{result:?}");
    let IncidentUpdate::Snapshot { incidents, .. } = next(&mut rx).await else { panic!() };
    assert_eq!(incidents.iter().find(|i| i.id == "a0001-0000-0000").unwrap().status, Status::Acknowledged);

    cmd.send(IncidentCommand::SetStatus("a0003-0000-0000".into(), Status::Resolved)).await.unwrap();
    let IncidentUpdate::Done { result, .. } = next(&mut rx).await else { panic!() };
    assert!(result.unwrap_err().as_str().contains("Alert is already closed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_whose_answer_was_lost_is_checked_not_resent() {
    let state = Arc::new(Mutex::new(Server { ack_delay: Duration::from_millis(1500), ..Default::default() }));
    let url = serve(state.clone()).await;
    let og = client(&url, "500ms");
    og.act("a0002-0000-0000", Status::Acknowledged, "from watchpost").await.expect("found acknowledged");
    assert_eq!(state.lock().unwrap().acked.len(), 1, "sent once");
}
