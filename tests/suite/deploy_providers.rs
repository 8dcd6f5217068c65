//! Deploy providers. `kubectl` and `helm` cannot run here (no cluster): they are played by a stand-in
//! executable that records its argv and prints outputs shaped as the Kubernetes API reference
//! (`ReplicaSetList`, ReplicaSets annotated with `deployment.kubernetes.io/revision` or Argo Rollouts'
//! `rollout.argoproj.io/revision`) and Helm's `helm history -o json` documentation show
//! (`tests/fixtures/deploy/`). The generic provider runs a real program, and the estate's provider talks
//! to the estate's real deploy API.
use std::path::{Path, PathBuf};
use std::time::Duration;
use watchpost::deploy::{Action, Kind, Provider};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deploy")
}

/// A stand-in program in `dir`: it appends its arguments to `log` (one line per run, arguments split
/// by U+001F) and prints the fixture its arguments ask for.
fn standin(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let log = dir.join(format!("{name}.log"));
    let f = fixtures();
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\037' \"$a\"; done >> '{log}'\necho >> '{log}'\ncase \"$*\" in\n  *'get replicasets'*) cat '{rs}';;\n  *'get deployments'*) cat '{deps}';;\n  *'get rollouts.argoproj.io'*) cat '{rollouts}';;\n  *'history'*) cat '{helm}';;\n  *'hang'*) sleep 60;;\n  *) echo \"done: $1 $2\";;\nesac\n",
        log = log.display(),
        rs = f.join("kubectl-replicasets.json").display(),
        deps = f.join("kubectl-deployments.json").display(),
        rollouts = f.join("kubectl-rollouts.json").display(),
        helm = f.join("helm-history.json").display(),
    );
    let path = dir.join(name);
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    (path, log)
}

fn runs(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('\u{1f}').filter(|a| !a.is_empty()).map(String::from).collect())
        .collect()
}

fn provider(kind: Kind, program: &Path, name: &str) -> Provider {
    Provider {
        service: name.into(),
        kind,
        name: name.into(),
        namespace: Some("shop".into()),
        context: Some("prod eu".into()),
        program: program.display().to_string(),
        timeout: Duration::from_secs(5),
    }
}

async fn run_plan(p: &Provider, plan: &[Action]) -> Vec<String> {
    let mut lines = Vec::new();
    for a in plan {
        watchpost::deploy::provider::run(a, p.timeout, |l| lines.push(l.to_string())).await.unwrap();
    }
    lines
}

#[tokio::test]
async fn kubernetes_history_rollback_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let (kubectl, log) = standin(dir.path(), "kubectl");
    let p = provider(Kind::Kubernetes, &kubectl, "checkout");
    let h = p.history().await.unwrap();
    let revs: Vec<(&str, &str, bool)> =
        h.iter().map(|v| (v.revision.as_str(), v.version.as_str(), v.current)).collect();
    assert_eq!(
        revs,
        vec![
            ("1", "registry.example/checkout:5.1.8", false),
            ("2", "registry.example/checkout:5.2.0", false),
            ("3", "registry.example/checkout:5.3.0", true),
        ],
        "only the Deployment's ReplicaSets, by revision"
    );
    assert!(!h[1].cause.as_ref().unwrap().contains('\u{1b}'), "text from the provider is sanitized");
    assert_eq!(runs(&log)[0], ["--context", "prod eu", "-n", "shop", "get", "replicasets", "-o", "json"]);

    let plan = p.plan(&h[1], "ann", "bad deploy").unwrap();
    assert_eq!(
        plan[0].to_string().split_once(' ').unwrap().1,
        "--context 'prod eu' -n shop rollout undo deployment/checkout --to-revision=2"
    );
    run_plan(&p, &plan).await;
    let r = runs(&log);
    assert_eq!(
        r[1],
        ["--context", "prod eu", "-n", "shop", "rollout", "undo", "deployment/checkout", "--to-revision=2"]
    );
    assert_eq!(
        r[2],
        ["--context", "prod eu", "-n", "shop", "rollout", "status", "deployment/checkout", "--timeout=5s"]
    );

    // A revision with shell metacharacters is refused before anything runs.
    let mut evil = h[1].clone();
    evil.revision = "2; touch /tmp/pwned".into();
    assert!(p.plan(&evil, "ann", "").unwrap_err().contains("expected a revision number"));
    assert_eq!(runs(&log).len(), 3);
}

#[tokio::test]
async fn helm_and_argo_rollouts() {
    let dir = tempfile::tempdir().unwrap();
    let (helm, log) = standin(dir.path(), "helm");
    let p = provider(Kind::Helm, &helm, "checkout");
    let h = p.history().await.unwrap();
    assert_eq!(h.iter().filter(|v| v.current).map(|v| v.revision.as_str()).collect::<Vec<_>>(), ["3"]);
    assert_eq!(h[1].version, "5.2.0 (checkout-1.4.1)");
    assert!(h[2].at.is_some(), "helm's times with an offset are read");
    run_plan(&p, &p.plan(&h[1], "ann", "").unwrap()).await;
    assert_eq!(
        runs(&log)[1],
        ["rollback", "checkout", "2", "--wait", "--timeout", "5s", "--kube-context", "prod eu", "-n", "shop"]
    );

    let (kubectl, log) = standin(dir.path(), "kubectl");
    let p = provider(Kind::ArgoRollouts { blue_green: true }, &kubectl, "search");
    let h = p.history().await.unwrap();
    assert_eq!(h.iter().map(|v| v.revision.as_str()).collect::<Vec<_>>(), ["3", "4"]);
    run_plan(&p, &p.plan(&h[0], "ann", "").unwrap()).await;
    let verbs: Vec<String> = runs(&log)[1..].iter().map(|r| r[4..7].join(" ")).collect();
    assert_eq!(
        verbs,
        ["argo rollouts undo", "argo rollouts promote", "argo rollouts status"],
        "blue-green: promoted back"
    );
}

#[tokio::test]
async fn a_generic_command_provider_for_real_and_a_hanging_one() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("deployed");
    std::fs::write(&state, "v2").unwrap();
    // A small deploy tool: `deployctl list SERVICE` prints JSON, `deployctl rollback SERVICE REV` switches.
    let tool = dir.path().join("deployctl");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n  list) cur=$(cat '{s}'); printf '[{{\"revision\":\"v1\",\"version\":\"1.0\",\"current\":%s}},{{\"revision\":\"v2\",\"version\":\"2.0\",\"current\":%s}}]' $([ \"$cur\" = v1 ] && echo true || echo false) $([ \"$cur\" = v2 ] && echo true || echo false);;\n  rollback) printf '%s' \"$3\" > '{s}'; echo \"rolled $2 back to $3\";;\n  hang) sleep 60;;\nesac\n",
            s = state.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let t = tool.display().to_string();
    let p = Provider {
        service: "checkout".into(),
        kind: Kind::Command {
            list: vec![t.clone(), "list".into(), "{service}".into()],
            rollback: vec![t.clone(), "rollback".into(), "{service}".into(), "{revision}".into()],
            status: None,
        },
        name: "checkout".into(),
        timeout: Duration::from_secs(5),
        ..Provider::default()
    };
    let h = p.history().await.unwrap();
    assert!(h[1].current);
    let lines = run_plan(&p, &p.plan(&h[0], "ann", "").unwrap()).await;
    assert_eq!(lines, ["rolled checkout back to v1"]);
    assert!(p.history().await.unwrap()[0].current, "the tool's own state moved");

    // A command that hangs is cut off at its timeout, and says so.
    let hang = Provider {
        kind: Kind::Command { list: vec![t.clone(), "hang".into()], rollback: vec![t, "hang".into()], status: None },
        timeout: Duration::from_millis(500),
        ..p.clone()
    };
    let started = std::time::Instant::now();
    let e = hang.history().await.unwrap_err();
    assert!(e.contains("timed out after"), "{e}");
    let e = watchpost::deploy::provider::run(&hang.plan(&h[0], "a", "").unwrap()[0], hang.timeout, |_| {})
        .await
        .unwrap_err();
    assert!(e.contains("timed out"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn the_estates_deploy_api() {
    let estate = watchpost::estate::serve::start(3, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = url::Url::parse(&format!("http://{}/", estate.api)).unwrap();
    let p = Provider::estate("checkout", base);
    let h = p.history().await.unwrap();
    let current = h.iter().find(|v| v.current).unwrap();
    assert_eq!(current.version, "5.2.0");
    let older = &h[h.len() - 2];
    let plan = p.plan(older, "ann", "console rollback").unwrap();
    assert!(plan[0].to_string().starts_with("POST http://"), "{}", plan[0]);
    run_plan(&p, &plan).await;
    let after = p.history().await.unwrap();
    let now = after.iter().find(|v| v.current).unwrap();
    assert_eq!(now.version, older.version, "the estate runs the chosen version");
    assert_eq!(now.by.as_deref(), Some("ann"));
}

/// Deploys under way in an environment: one `kubectl get deployments --all-namespaces` for every
/// Deployment of a context and one `kubectl get rollouts.argoproj.io --all-namespaces` for every Argo
/// Rollout (not one per service), judged as `kubectl rollout status` judges a Deployment and by the
/// phase the Rollouts controller writes.
#[tokio::test]
async fn deploys_under_way_are_asked_once_per_context() {
    let dir = tempfile::tempdir().unwrap();
    let (kubectl, log) = standin(dir.path(), "kubectl");
    let mut providers: std::collections::BTreeMap<String, Provider> = ["checkout", "search", "payments"]
        .iter()
        .map(|s| (s.to_string(), provider(Kind::Kubernetes, &kubectl, s)))
        .collect();
    for (s, blue_green) in [("cart", false), ("ledger", true)] {
        providers.insert(s.into(), provider(Kind::ArgoRollouts { blue_green }, &kubectl, s));
    }
    let (found, failed) = watchpost::deploy::progress::in_progress(&providers, Duration::from_secs(5)).await;
    assert!(failed.is_empty(), "{failed:?}");
    let found: Vec<_> = found.iter().map(|f| (f.service.as_str(), f.why.as_str())).collect();
    assert_eq!(found, [("checkout", "2 of 4 new replicas updated"), ("cart", "paused: CanaryPauseStep")]);
    assert_eq!(
        runs(&log),
        vec![
            vec!["--context", "prod eu", "get", "deployments", "--all-namespaces", "-o", "json"],
            vec!["--context", "prod eu", "get", "rollouts.argoproj.io", "--all-namespaces", "-o", "json"],
        ],
        "one ask for the three Deployments, one for the two Rollouts"
    );
}
