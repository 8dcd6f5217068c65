//! Runbooks as drills against the built-in estate, for real: the estate served on loopback with its
//! deploy API, each built-in drill scenario's fault injected, the shipped runbook that handles it run in
//! drill mode (its `drill=` steps act through the API, its other shell steps are skipped), and the
//! estate's change feed saying the fault was ended by that runbook's step. The API's refusals are
//! checked too.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use watchpost::estate::changes::Change;
use watchpost::estate::control::Control;
use watchpost::estate::fault::Fault;
use watchpost::runbooks::run::{Operator, Run};
use watchpost::runbooks::{Step, StepKind};

struct Trainee {
    said: Vec<String>,
}

impl Operator for Trainee {
    fn confirm(&mut self, _: &Step, service: &str) -> Option<String> {
        Some(service.to_string())
    }
    fn checklist(&mut self, _: &Step, _: &[String]) -> bool {
        true
    }
    fn say(&mut self, text: &str) {
        self.said.push(text.to_string());
    }
}

fn shipped(id: &str) -> watchpost::runbooks::Runbook {
    let (books, problems) =
        watchpost::runbooks::load_dir(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("runbooks")]);
    assert!(problems.is_empty(), "{problems:?}");
    books.into_iter().find(|b| b.id == id).unwrap_or_else(|| panic!("no runbook {id}"))
}

async fn get(url: String) -> serde_json::Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// Which shipped runbook a trainee reaches for in each built-in drill.
const PLAYBOOK: &[(&str, &str)] = &[
    ("payments-latency", "scale-out"),
    ("checkout-bad-deploy", "bad-deploy-rollback"),
    ("search-down", "target-down"),
    ("db-timeout-cascade", "db-failover"),
    ("db-disk-filling", "disk-filling"),
    ("auth-cert-expiry", "cert-expiry"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_drill_is_mitigated_by_its_runbook_through_the_estate() {
    let scenarios = watchpost::drills::scenario::built_in();
    assert_eq!(scenarios.len(), PLAYBOOK.len(), "every built-in drill has a runbook in this table");
    for s in &scenarios {
        let (_, book) = PLAYBOOK.iter().find(|(d, _)| *d == s.name).unwrap_or_else(|| panic!("{} unplayed", s.name));
        let estate = watchpost::estate::serve::start(7, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://{}/", estate.api);
        let mut changes = estate.changes.subscribe();
        let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        let fault = Fault { service: s.service_index(), kind: s.fault.clone(), from: now, until: now + 1200.0 };
        estate.control.send(Control::Inject(fault)).await.unwrap();

        // The parameters a trainee would give: the service, and for a rollback the revision before the
        // bad one (read from the history, as the runbook's `history` step shows it).
        let rb = shipped(book);
        let mut given = vec![("service".to_string(), s.service.clone())];
        if rb.param("revision").is_some() {
            let history = get(format!("{base}estate/v1/services/{}/revisions", s.service)).await;
            let last = history.as_array().unwrap().last().unwrap();
            assert_eq!(last["version"], "5.3.0", "the bad deploy is the newest revision");
            let before = last["revision"].as_u64().unwrap() - 1;
            given.push(("revision".into(), before.to_string()));
        }
        let values = watchpost::runbooks::run::resolve(&rb, &given, &BTreeMap::new()).unwrap();
        // PromQL checks and waits are not what this test is about (they run against a real Prometheus
        // in `runbook_runs`): the drill's actions are.
        let mut acting = rb.clone();
        acting.body.retain(|b| {
            !matches!(b, watchpost::runbooks::model::Block::Step(st) if matches!(st.kind, StepKind::Check { .. } | StepKind::Wait { .. }))
        });
        let mut run = Run {
            runbook: &acting,
            values,
            journal: None,
            audit: None,
            who: watchpost::ops::who::Who {
                user: "trainee".into(),
                host: "h".into(),
                ssh_client: None,
                environment: None,
            },
            prometheus: None,
            vault: None,
            dry_run: false,
            done: Default::default(),
            drill: Some(url::Url::parse(&base).unwrap()),
        };
        let mut op = Trainee { said: Vec::new() };
        run.run(&mut op).await.unwrap_or_else(|e| panic!("{}: {e}\n{}", s.name, op.said.join("\n")));

        let mitigation: Change = loop {
            let c = tokio::time::timeout(Duration::from_secs(5), changes.recv()).await.expect("a change").unwrap();
            if c.mitigated {
                break c;
            }
        };
        assert_eq!(mitigation.service, s.service, "{}", s.name);
        assert_eq!(mitigation.by, "trainee");
        assert!(mitigation.cause.starts_with(&format!("runbook {book}, step ")), "{}", mitigation.cause);
        let status = get(format!("{base}estate/v1/services/{}", s.service)).await;
        assert_eq!(status["up"], true, "{}: {status}", s.name);
        if s.name == "checkout-bad-deploy" {
            assert_eq!(status["version"], "5.2.0", "rolled back");
        }
        // Steps with no drill counterpart were skipped, and said so.
        let skipped = op.said.iter().filter(|l| l.contains("not run in a drill")).count();
        let live_only = acting
            .steps()
            .filter(|st| st.drill.is_none() && matches!(st.kind, StepKind::Shell { .. } | StepKind::Http { .. }))
            .count();
        assert_eq!(skipped, live_only, "{}", op.said.join("\n"));
    }
}

#[tokio::test]
async fn a_drill_never_runs_a_step_without_a_drill_counterpart() {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("canary");
    let text = format!(
        "---\nid: t\ntitle: t\nparams:\n  service:\n    type: string\n    default: search\n---\n```sh {{#touch}}\ntouch '{}' \"$service\"\n```\n\n```sh {{#restart drill=restart}}\ntouch '{}'\n```\n",
        canary.display(),
        canary.display()
    );
    let rb = watchpost::runbooks::parse(std::path::Path::new("t.md"), &text).unwrap();
    let estate = watchpost::estate::serve::start(7, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let values = watchpost::runbooks::run::resolve(&rb, &[], &BTreeMap::new()).unwrap();
    let mut run = Run {
        runbook: &rb,
        values,
        journal: None,
        audit: None,
        who: watchpost::ops::who::Who { user: "t".into(), host: "h".into(), ssh_client: None, environment: None },
        prometheus: None,
        vault: None,
        dry_run: false,
        done: Default::default(),
        drill: Some(url::Url::parse(&format!("http://{}/", estate.api)).unwrap()),
    };
    let mut op = Trainee { said: Vec::new() };
    run.run(&mut op).await.unwrap();
    assert!(!canary.exists(), "no shell ran: {:?}", op.said);
    assert!(op.said.iter().any(|l| l.contains("\"action\": \"restart\"")), "{:?}", op.said);
    // The dry run of a drill says what each step would do to the estate.
    run.dry_run = true;
    let described: Vec<String> = rb.steps().map(|s| run.describe(s)).collect();
    assert!(described[0].contains("not run in a drill"), "{described:?}");
    assert!(described[1].contains("POST /estate/v1/services/search/restart"), "{described:?}");
}

#[tokio::test]
async fn the_deploy_api_refuses_with_reasons() {
    let estate = watchpost::estate::serve::start(7, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = format!("http://{}/estate/v1", estate.api);
    let client = reqwest::Client::new();
    let post = |path: &str, body: &'static str| client.post(format!("{base}{path}")).body(body).send();
    let status = |r: reqwest::Response| r.status().as_u16();

    let services = get(format!("{base}/services")).await;
    assert_eq!(services.as_array().unwrap().len(), watchpost::estate::TOPOLOGY.len());
    let history = get(format!("{base}/services/checkout/revisions")).await;
    let current = history.as_array().unwrap().last().unwrap()["revision"].as_u64().unwrap();
    assert!(current >= 3, "a seeded history: {history}");
    assert!(history[0]["at"].as_str().unwrap().ends_with('Z'), "times are RFC 3339: {history}");

    assert_eq!(status(post("/services/nope/restart", "").await.unwrap()), 404);
    assert_eq!(status(post("/services/checkout/reboot", "").await.unwrap()), 404);
    assert_eq!(status(post("/services/checkout/scale", "{\"replicas\": \"many\"}").await.unwrap()), 400);
    assert_eq!(status(post("/services/checkout/scale", "[1]").await.unwrap()), 400);
    assert_eq!(status(post("/services/checkout/scale", "{\"replicas\": 0}").await.unwrap()), 409);
    let body: &'static str = Box::leak(format!("{{\"revision\": {current}}}").into_boxed_str());
    let r = post("/services/checkout/rollback", body).await.unwrap();
    assert_eq!(r.status().as_u16(), 409);
    assert!(r.text().await.unwrap().contains("already runs revision"));
    let big: &'static str = Box::leak(format!("{{\"by\": \"{}\"}}", "x".repeat(100_000)).into_boxed_str());
    assert_eq!(status(post("/services/checkout/restart", big).await.unwrap()), 413);
    // Hostile text in `by` is kept printable, and bounded.
    let r: serde_json::Value =
        post("/services/checkout/restart", "{\"by\": \"\\u001b[31mevil\\u0007\"}").await.unwrap().json().await.unwrap();
    assert!(!r["by"].as_str().unwrap().contains('\u{1b}'), "{r}");
    assert_eq!(r["mitigated"], false, "nothing was wrong");
    let changes = get(format!("{base}/changes")).await;
    assert_eq!(changes.as_array().unwrap().len(), 1, "refusals change nothing: {changes}");
}
