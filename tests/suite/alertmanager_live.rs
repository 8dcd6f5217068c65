//! Against a real Alertmanager (Debian `prometheus-alertmanager`, started here on a loopback port):
//! alerts pushed through its API reach the console (sanitized, fingerprints as Alertmanager computes
//! them); a silence made with two keys is read back through its API and matches; expiring it lets the
//! alert fire again. A real Prometheus with a firing rule sends to it and the console sees that too. An
//! HA pair is merged by fingerprint. A silence whose answer was lost is found, not sent twice.
use crate::support;

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use std::time::Duration;
use support::{Alertmanager as RealAm, Prometheus, get_json};
use tokio::sync::mpsc;
use watchpost::alerts::model::{AlertState, fingerprint};
use watchpost::app::{App, Screen};
use watchpost::config::{Config, HttpSource};
use watchpost::sources::alertmanager::poller::AlertPoller;
use watchpost::sources::alertmanager::{AlertCommand, AlertUpdate, Alertmanager};

fn source(url: &str) -> HttpSource {
    let mut s = HttpSource::new(url.parse().unwrap());
    s.name = format!("alertmanager {url}");
    s.timeout = Duration::from_secs(2);
    s
}

struct Console {
    app: App,
    rx: mpsc::Receiver<AlertUpdate>,
    cmd: mpsc::Sender<AlertCommand>,
}

impl Console {
    fn start(urls: &[String]) -> Self {
        let mut cfg = Config::from_env(None).unwrap();
        cfg.alertmanagers = urls.iter().map(|u| source(u)).collect();
        cfg.alerts.author = "oncall@test".into();
        let servers = cfg.alertmanagers.iter().map(|s| Alertmanager::new(s).unwrap()).collect();
        let (tx, rx) = mpsc::channel(256);
        let (cmd, cmd_rx) = mpsc::channel(16);
        tokio::spawn(AlertPoller::new(servers, Duration::from_millis(500), tx).run(cmd_rx));
        Console { app: App::new(&cfg, Utc::now()), rx, cmd }
    }

    async fn until(&mut self, what: &str, want: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !want(&self.app) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(u)) => self.app.on_alert_update(u),
                _ => panic!(
                    "{what}: not reached; alerts {:?}, unreachable {:?}, errors {:?}",
                    self.app.alerts.alerts, self.app.alerts.unreachable, self.app.alerts.errors
                ),
            }
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    async fn send_commands(&mut self) {
        for c in self.app.take_alert_commands() {
            self.cmd.send(c).await.unwrap();
        }
    }

    fn screen(&self) -> String {
        let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
        term.draw(|f| watchpost::ui::draw(&self.app, f)).unwrap();
        let buf = term.backend().buffer();
        assert!(buf.content().iter().all(|c| !c.symbol().contains('\u{1b}') && !c.symbol().contains('\u{202e}')));
        term.backend().to_string()
    }
}

fn alert(name: &str, labels: serde_json::Value, summary: &str) -> serde_json::Value {
    let mut l = labels;
    l["alertname"] = json!(name);
    json!({"labels": l, "annotations": {"summary": summary}, "startsAt": Utc::now().to_rfc3339(), "generatorURL": "http://prometheus/graph"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_with_two_keys_read_back_and_expired() {
    let am = RealAm::start();
    let hostile = format!("disk \u{1b}[2J\u{202e}full {}", "x".repeat(10_000));
    am.push(&json!([
        alert("TargetDown", json!({"job": "search", "severity": "critical"}), "search is down"),
        alert("DiskFull", json!({"job": "db", "severity": "warning"}), &hostile),
    ]));
    let mut c = Console::start(&[am.url()]);
    c.until("both alerts", |a| a.alerts.alerts.len() == 2).await;

    // Fingerprints as Alertmanager computes them; hostile text sanitized and cut with a marker.
    for a in &c.app.alerts.alerts {
        assert_eq!(a.fingerprint, fingerprint(&a.raw_labels), "{}", a.name());
    }
    let disk = c.app.alerts.alerts.iter().find(|a| a.name() == "DiskFull").unwrap();
    assert!(
        disk.summary().contains("\\e[2J\\u{202e}full") && disk.summary().ends_with("chars)"),
        "{}",
        &disk.summary()[..40]
    );

    // Two keys: `s` on the selected alert (critical first), then enter.
    c.key(KeyCode::Char('A'));
    assert_eq!(c.app.screen, Screen::Alerts);
    assert_eq!(c.app.alerts.selected_alert().unwrap().name(), "TargetDown");
    c.key(KeyCode::Char('s'));
    let s = c.screen();
    assert!(s.contains("New silence") && s.contains("matches 1 of 2 current alerts"), "{s}");
    c.key(KeyCode::Enter);
    c.send_commands().await;
    c.until("silence created", |a| a.alerts.notice.as_ref().is_some_and(|(ok, m)| *ok && m.contains("created:"))).await;
    c.until("alert silenced", |a| {
        a.alerts.alerts.iter().any(|x| x.name() == "TargetDown" && x.state == AlertState::Suppressed)
    })
    .await;

    // Read back through Alertmanager's own API: the matchers are the alert's labels, and who and why.
    let silences = get_json(&format!("{}/api/v2/silences", am.url()), &[]).unwrap();
    let s0 = &silences.as_array().unwrap()[0];
    assert_eq!(s0["status"]["state"], "active");
    assert_eq!(s0["createdBy"], "oncall@test");
    assert!(s0["comment"].as_str().unwrap().contains("TargetDown"));
    let mut names: Vec<(String, String, bool)> = s0["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (m["name"].as_str().unwrap().into(), m["value"].as_str().unwrap().into(), m["isRegex"].as_bool().unwrap())
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("alertname".into(), "TargetDown".into(), false),
            ("job".into(), "search".into(), false),
            ("severity".into(), "critical".into(), false)
        ]
    );
    let s = c.screen();
    assert!(s.contains("silenced"), "{s}");

    // Expire it from the Silences screen: the alert fires again.
    c.key(KeyCode::Char('S'));
    c.key(KeyCode::Char('x'));
    c.send_commands().await;
    c.until("alert active again", |a| {
        a.alerts.alerts.iter().any(|x| x.name() == "TargetDown" && x.state == AlertState::Active)
    })
    .await;
    let silences = get_json(&format!("{}/api/v2/silences", am.url()), &[]).unwrap();
    assert_eq!(silences[0]["status"]["state"], "expired");
}

/// Two alerts a person cannot tell apart on a plain terminal: `web-1` and `web<U+200B>-1`. The form
/// shows the second's value with its escape and warns; sent, the silence holds the raw value, and a real
/// Alertmanager silences that alert and not the real `web-1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_for_a_look_alike_label_is_sent_as_shown() {
    let am = RealAm::start();
    am.push(&json!([
        alert("InstanceDown", json!({"instance": "web-1", "severity": "critical"}), "web-1 is down"),
        alert("InstanceDown", json!({"instance": "web\u{200b}-1", "severity": "critical"}), "look-alike"),
    ]));
    let mut c = Console::start(&[am.url()]);
    c.until("both alerts", |a| a.alerts.alerts.len() == 2).await;
    c.key(KeyCode::Char('A'));
    if c.app.alerts.selected_alert().unwrap().raw_labels["instance"] == "web-1" {
        c.key(KeyCode::Down);
    }
    assert_ne!(c.app.alerts.selected_alert().unwrap().raw_labels["instance"], "web-1");
    c.key(KeyCode::Char('s'));
    let s = c.screen();
    assert!(c.app.alerts.editor.as_ref().unwrap().text(0).contains(r#"instance="web\u200b-1""#));
    assert!(s.contains("⚠ instance: holds invisible characters") && s.contains("matches 1 of 2"), "{s}");
    c.key(KeyCode::Enter);
    assert!(c.app.take_alert_commands().is_empty(), "the first enter warns");
    c.key(KeyCode::Enter);
    c.send_commands().await;
    c.until("look-alike silenced", |a| {
        a.alerts.alerts.iter().any(|x| x.raw_labels["instance"] != "web-1" && x.state == AlertState::Suppressed)
    })
    .await;
    let real = c.app.alerts.alerts.iter().find(|x| x.raw_labels["instance"] == "web-1").unwrap();
    assert_eq!(real.state, AlertState::Active, "the real web-1 still pages");
    let silences = get_json(&format!("{}/api/v2/silences", am.url()), &[]).unwrap();
    let m = silences[0]["matchers"].as_array().unwrap().iter().find(|m| m["name"] == "instance").unwrap().clone();
    assert_eq!(m["value"], "web\u{200b}-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firing_rule_in_a_real_prometheus_reaches_the_console() {
    let am = RealAm::start();
    let mut c = Console::start(&[am.url()]);
    c.until("first (empty) answer", |a| a.alerts.at.is_some()).await;
    assert!(c.app.alerts.alerts.is_empty());
    // Without Prometheus the console opens on the alerts; the engineer looks elsewhere meanwhile.
    assert_eq!(c.app.screen, Screen::Alerts);
    c.app.screen = Screen::Overview;

    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        "groups:\n  - name: t\n    rules:\n      - alert: PaymentsDown\n        expr: vector(1)\n        labels: {severity: critical, service: payments}\n        annotations: {summary: 'payments is down'}\n",
    )
    .unwrap();
    let cfg = format!(
        "rule_files: ['{}']\nalerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['127.0.0.1:{}']}}]\nscrape_configs: []\n",
        rules.display(),
        am.port
    );
    let prom = Prometheus::in_dir(dir, &cfg);

    c.until("the rule's alert", |a| a.alerts.alerts.iter().any(|x| x.name() == "PaymentsDown")).await;
    // A new critical alert calls for attention without moving anything.
    assert_eq!(c.app.alerts.attention, 1);
    assert_eq!(c.app.screen, Screen::Overview);
    let s = c.screen();
    assert!(s.contains("1 NEW CRITICAL"), "{s}");
    let a = &c.app.alerts.alerts[0];
    assert_eq!(a.service(), Some("payments"));
    assert_eq!(a.summary(), "payments is down");

    // The KPIs without PagerDuty: the same alert in Prometheus's ALERTS history is one open incident.
    prom.wait_for("ALERTS{alertstate=\"firing\",alertname=\"PaymentsDown\"}");
    let client =
        watchpost::sources::prometheus::Prometheus::new(&HttpSource::new(prom.url().parse().unwrap())).unwrap();
    let spans = watchpost::sources::prometheus::figures::poll_incidents(&client, Duration::from_secs(3600), Utc::now())
        .await
        .unwrap();
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(spans[0].0, "payments");
    assert_eq!(spans[0].1.len(), 1);
    assert_eq!(spans[0].1[0].end, None, "still firing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ha_pair_is_merged_and_a_dead_member_is_named() {
    let (a, b) = (RealAm::start(), RealAm::start());
    let both = alert("HighLatency", json!({"service": "payments", "severity": "warning"}), "slow");
    a.push(&json!([both]));
    b.push(&json!([both, alert("OnlyOnB", json!({"severity": "warning"}), "b")]));
    let mut c = Console::start(&[a.url(), b.url()]);
    c.until("merged", |x| x.alerts.alerts.len() == 2).await;
    drop(a);
    c.until("partial answer named", |x| x.alerts.errors.len() == 1).await;
    assert_eq!(c.app.alerts.alerts.len(), 2, "the live member's alerts stay");
    let s = {
        c.key(KeyCode::Char('A'));
        c.screen()
    };
    assert!(s.contains("partial"), "{s}");
}

/// A test server following Alertmanager's documented API v2 for silences, whose POST answer comes too
/// late (after the client's timeout) though the silence is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_whose_answer_was_lost_is_found_not_sent_twice() {
    use axum::routing::get;
    use std::sync::{Arc, Mutex};
    let store: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let (s1, s2) = (store.clone(), store.clone());
    let app = axum::Router::new().route(
        "/api/v2/silences",
        get(move || {
            let s = s1.clone();
            async move { axum::Json(serde_json::Value::Array(s.lock().unwrap().clone())) }
        })
        .post(move |axum::Json(mut body): axum::Json<serde_json::Value>| {
            let s = s2.clone();
            async move {
                let id = format!("id-{}", s.lock().unwrap().len() + 1);
                body["id"] = json!(id);
                body["status"] = json!({"state": "active"});
                s.lock().unwrap().push(body);
                tokio::time::sleep(Duration::from_millis(1500)).await;
                axum::Json(json!({"silenceID": id}))
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let mut src = source(&url);
    src.timeout = Duration::from_millis(500);
    let am = Alertmanager::new(&src).unwrap();
    let new = watchpost::alerts::model::NewSilence {
        id: None,
        matchers: watchpost::alerts::matcher::parse(r#"alertname="X""#).unwrap(),
        starts_at: Utc::now(),
        ends_at: Utc::now() + chrono::Duration::hours(1),
        created_by: "oncall@test".into(),
        comment: "maintenance".into(),
    };
    let id = am.post_silence(&new).await.expect("found after the timeout");
    assert_eq!(id, "id-1");
    assert_eq!(store.lock().unwrap().len(), 1, "sent once");
}
