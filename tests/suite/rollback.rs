//! A gated rollback from the command line, for real: the estate served on loopback with a bad deploy
//! of checkout, a real Prometheus scraping it, `watchpost rollback` through the estate's deploy API,
//! and the post-rollback watch seeing the error ratio and p95 back under their targets. A change
//! freeze blocks a rollback unless overridden with a reason; a gate that never holds fails the
//! rollback and names it; the audit trail has both ends of each.
use crate::support;

use std::process::Command;
use support::Prometheus;
use watchpost::estate::control::Control;
use watchpost::estate::fault::{Fault, FaultKind};

struct Estate {
    api: String,
    control: tokio::sync::mpsc::Sender<Control>,
    scrape: String,
}

async fn estate() -> Estate {
    let e = watchpost::estate::serve::start(11, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Estate {
        api: format!("http://{}/", e.api),
        control: e.control,
        scrape: watchpost::estate::serve::scrape_config(&e.endpoints),
    }
}

fn config(dir: &std::path::Path, prom: &str, api: &str, watch: &str) -> std::path::PathBuf {
    let path = dir.join(format!("config-{watch}.toml"));
    let now = chrono::Utc::now();
    let text = format!(
        r#"
[prometheus]
url = "{prom}"

[audit]
path = "audit.db"

[deploy.checkout]
provider = "estate"
url = "{api}"

[deploy.payments]
provider = "estate"
url = "{api}"

[deploy.search]
provider = "estate"
url = "{api}"

[rollback]
hold = "3s"
watch = "{watch}"
window = "10s"

[[freeze]]
name = "payments-audit"
reason = "quarter-end audit"
start = "{start}"
duration = "2h"
services = ["payments"]
"#,
        start = (now - chrono::Duration::minutes(30)).format("%Y-%m-%dT%H:%M")
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn watchpost(dir: &std::path::Path, cfg: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_watchpost"))
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_deploy_rolled_back_and_watched_until_it_recovers() {
    let e = estate().await;
    let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let bad = FaultKind::BadDeploy { version: "5.3.0".into(), error_ratio: 0.3 };
    e.control.send(Control::Inject(Fault { service: 1, kind: bad, from: now, until: now + 3600.0 })).await.unwrap();
    let search = watchpost::estate::topology::index_of("search").unwrap();
    e.control
        .send(Control::Inject(Fault { service: search, kind: FaultKind::Down, from: now, until: now + 3600.0 }))
        .await
        .unwrap();
    let prom = Prometheus::with_scrape_configs(&e.scrape);
    prom.wait_for(r#"rate(http_requests_total{job="checkout",code=~"5.."}[10s]) > 0"#);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &prom.url(), &e.api, "90s");

    let (ok, out) = watchpost(dir.path(), &cfg, &["deploy", "history", "checkout"]);
    assert!(ok && out.contains("5.3.0") && out.contains("▶"), "{out}");
    let (ok, out) = watchpost(dir.path(), &cfg, &["rollback", "checkout", "--dry-run"]);
    assert!(ok, "{out}");
    assert!(out.contains("/estate/v1/services/checkout/rollback"), "the plan as it will run: {out}");
    assert!(out.contains("error ratio over 10s < 0.10%") && out.contains("p95 over 10s < 200ms"), "{out}");
    assert!(out.contains("dry run: nothing was run"));

    // Without the service's name typed, nothing runs.
    let (ok, out) = watchpost(dir.path(), &cfg, &["rollback", "checkout"]);
    assert!(!ok && out.contains("not confirmed"), "{out}");

    let (ok, out) = watchpost(dir.path(), &cfg, &["rollback", "checkout", "--confirm", "checkout"]);
    assert!(ok, "{out}");
    assert!(out.contains("watch: ✓ error ratio over 10s < 0.10% — now "), "the watch shows what it measured: {out}");
    assert!(out.contains("rollback of checkout succeeded"), "{out}");
    let (_, out) = watchpost(dir.path(), &cfg, &["deploy", "history", "checkout"]);
    let current = out.lines().find(|l| l.starts_with('▶')).unwrap();
    assert!(current.contains("5.2.0"), "{out}");

    // The bad version is not known good any more: going back to it needs a reason.
    let (ok, out) = watchpost(dir.path(), &cfg, &["rollback", "checkout", "--to", "6", "--dry-run"]);
    assert!(!ok && out.contains("revision 6 (5.3.0) is not known good"), "{out}");
    let (ok, out) = watchpost(
        dir.path(),
        &cfg,
        &["rollback", "checkout", "--to", "6", "--dry-run", "--override", "re-test the fix"],
    );
    assert!(ok && out.contains("overridden: re-test the fix"), "{out}");

    // A freeze on payments: refused, unless overridden with a reason.
    let (ok, out) = watchpost(dir.path(), &cfg, &["rollback", "payments", "--dry-run"]);
    assert!(!ok && out.contains("change freeze `payments-audit` (quarter-end audit)"), "{out}");
    let (ok, out) =
        watchpost(dir.path(), &cfg, &["rollback", "payments", "--dry-run", "--override-freeze", "hotfix for INC-7"]);
    assert!(ok && out.contains("overridden: hotfix for INC-7"), "{out}");

    // search is down: a rollback does not bring it back, and the watch says which gate failed.
    let fast = config(dir.path(), &prom.url(), &e.api, "4s");
    let (ok, out) = watchpost(dir.path(), &fast, &["rollback", "search", "--confirm", "search"]);
    let failed = "failed: the gate error ratio over 10s < 0.10% (no data), p95 over 10s < 200ms (no data) did not hold";
    assert!(!ok && out.contains(failed), "the failure names the gates and what they read: {out}");

    let audit = watchpost::ops::audit::Audit::open(&dir.path().join("audit.db")).unwrap();
    let entries: Vec<String> =
        audit.entries().unwrap().iter().map(|e| format!("{} {} {}", e.action, e.target, e.result)).collect();
    assert_eq!(
        entries,
        [
            "rollback checkout intent".to_string(),
            "rollback.result checkout succeeded: every gate held".to_string(),
            "rollback search intent".to_string(),
            format!("rollback.result search {failed}"),
        ],
        "dry runs and refusals record nothing; each rollback is recorded before it runs"
    );
    assert!(audit.verify().unwrap().1.is_empty());
}
