//! Real parts for integration tests: a Prometheus and a node_exporter (Debian packages `prometheus` and
//! `prometheus-node-exporter`, installed by `scripts/test.sh`) on ephemeral loopback ports, and a test
//! exporter of known counters and histograms served by axum.
#![allow(dead_code)]

pub mod differential;
pub mod exporter;
pub mod fixtures;
pub mod pty;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

pub fn which(names: &[&str]) -> PathBuf {
    for n in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
            let p = Path::new(dir).join(n);
            if p.exists() {
                return p;
            }
        }
    }
    panic!("{names:?} not installed: run scripts/test.sh, which installs the Debian packages the tests need")
}

/// Turn an OpenMetrics file into TSDB blocks under `data` with Debian's promtool, as Prometheus's
/// documentation describes for backfilling.
pub fn backfill(openmetrics: &Path, data: &Path) {
    let out = Command::new(which(&["promtool"]))
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(openmetrics)
        .arg(data)
        .output()
        .expect("run promtool");
    assert!(out.status.success(), "promtool refused the file: {}", String::from_utf8_lossy(&out.stderr));
}

/// A child process killed (and reaped) on drop.
pub struct Proc {
    child: Child,
}

impl Proc {
    pub fn new(child: Child) -> Self {
        Proc { child }
    }

    /// The child's piped stdout.
    pub fn stdout(&mut self) -> std::process::ChildStdout {
        self.child.stdout.take().expect("stdout was piped")
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct NodeExporter {
    pub port: u16,
    _proc: Proc,
}

impl NodeExporter {
    pub fn start() -> Self {
        let port = free_port();
        let child = Command::new(which(&["prometheus-node-exporter", "node_exporter"]))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // Keep it quick and quiet: a few collectors are plenty for the tests.
            .args(["--collector.disable-defaults", "--collector.cpu", "--collector.loadavg", "--collector.meminfo"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node_exporter");
        let n = NodeExporter { port, _proc: Proc { child } };
        wait_http(&format!("http://127.0.0.1:{port}/metrics"));
        n
    }
}

pub struct Prometheus {
    pub port: u16,
    pub dir: tempfile::TempDir,
    proc: Option<Proc>,
}

impl Prometheus {
    /// Scrape every second: `shop` (the test exporter), `node` (node_exporter plus one dead target).
    pub fn start(shop_port: u16, node_port: u16) -> Self {
        let dead = free_port();
        Self::with_scrape_configs(&format!(
            "scrape_configs:\n\
             \x20 - job_name: shop\n    static_configs: [{{targets: ['127.0.0.1:{shop_port}']}}]\n\
             \x20 - job_name: node\n    static_configs: [{{targets: ['127.0.0.1:{node_port}', '127.0.0.1:{dead}']}}]\n"
        ))
    }

    /// Scrape every second whatever `scrape_configs` (YAML, the section included) says.
    pub fn with_scrape_configs(scrape: &str) -> Self {
        Self::in_dir(tempfile::tempdir().expect("temp dir"), scrape)
    }

    /// As [`with_scrape_configs`](Self::with_scrape_configs), on `dir/data` (which may hold blocks
    /// already, such as backfilled ones: retention is unlimited so old blocks stay).
    pub fn in_dir(dir: tempfile::TempDir, scrape: &str) -> Self {
        let cfg = format!("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n{scrape}");
        std::fs::write(dir.path().join("prometheus.yml"), cfg).expect("write config");
        let mut p = Prometheus { port: free_port(), dir, proc: None };
        p.restart();
        p
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn kill(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill();
        }
    }

    /// Start (again) on the same port and data directory.
    pub fn restart(&mut self) {
        self.kill();
        let d = self.dir.path();
        let child = Command::new(which(&["prometheus"]))
            .arg(format!("--config.file={}", d.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", d.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .arg("--storage.tsdb.retention.time=100y")
            // Alerts are sent again every second, not every minute (the first send may come before
            // the Alertmanager is discovered, and is dropped).
            .arg("--rules.alert.resend-delay=1s")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("prometheus.log")).map(Stdio::from).unwrap_or(Stdio::null()))
            .spawn()
            .expect("start prometheus");
        self.proc = Some(Proc { child });
        wait_http(&format!("{}/-/ready", self.url()));
    }

    /// Block until `expr` returns at least one series (data has been scraped and rates exist).
    pub fn wait_for(&self, expr: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("{}/api/v1/query", self.url());
        loop {
            let body = get_json(&url, &[("query", expr)]);
            if body.as_ref().is_some_and(|b| b["data"]["result"].as_array().is_some_and(|r| !r.is_empty())) {
                return;
            }
            assert!(Instant::now() < deadline, "Prometheus never had data for {expr}");
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// A blocking GET through curl (installed by scripts/test.sh), returning the JSON body.
pub fn get_json(url: &str, q: &[(&str, &str)]) -> Option<serde_json::Value> {
    let url = reqwest::Url::parse_with_params(url, q).ok()?;
    let out = Command::new("curl").args(["-sf", "--max-time", "5", url.as_str()]).output().ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

fn wait_http(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let ok = Command::new("curl").args(["-sf", "-o", "/dev/null", "--max-time", "2", url]).status();
        if ok.is_ok_and(|s| s.success()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{url} did not come up within 30 s");
}

/// A real Alertmanager (Debian `prometheus-alertmanager`) on an ephemeral loopback port, clustering off,
/// one receiver that sends nowhere.
pub struct Alertmanager {
    pub port: u16,
    _dir: tempfile::TempDir,
    _proc: Proc,
}

impl Alertmanager {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let cfg =
            "route:\n  receiver: nowhere\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: nowhere\n";
        std::fs::write(dir.path().join("am.yml"), cfg).expect("write config");
        let port = free_port();
        let child = Command::new(which(&["prometheus-alertmanager", "alertmanager"]))
            .arg(format!("--config.file={}", dir.path().join("am.yml").display()))
            .arg(format!("--storage.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("am.log")).map(Stdio::from).unwrap_or(Stdio::null()))
            .spawn()
            .expect("start alertmanager");
        let am = Alertmanager { port, _dir: dir, _proc: Proc { child } };
        wait_http(&format!("{}/-/ready", am.url()));
        am
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// POST alerts (a JSON array of PostableAlert) to its API, as Prometheus does.
    pub fn push(&self, alerts: &serde_json::Value) {
        let out = Command::new("curl")
            .args(["-sf", "--max-time", "5", "-H", "Content-Type: application/json", "-d"])
            .arg(alerts.to_string())
            .arg(format!("{}/api/v2/alerts", self.url()))
            .output()
            .expect("curl");
        assert!(out.status.success(), "Alertmanager refused the alerts: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The console drawn at `w`×`h`, as text; no unsafe code point (control, bidi, invisible) may reach a
/// cell.
pub fn screen(app: &watchpost::app::App, w: u16, h: u16) -> String {
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| watchpost::ui::draw(app, f)).expect("draw");
    for c in term.backend().buffer().content() {
        assert!(
            c.symbol().chars().all(|ch| !watchpost::text::sanitize::is_unsafe(ch)),
            "unsafe {:?} on screen",
            c.symbol()
        );
    }
    term.backend().to_string()
}

/// Serve `router` on a loopback port; its base URL.
pub async fn serve(router: axum::Router) -> url::Url {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = url::Url::parse(&format!("http://{}/", l.local_addr().expect("address"))).expect("url");
    tokio::spawn(async move { axum::serve(l, router).await.expect("serve") });
    url
}

/// A key press as the console gets it.
pub fn key(app: &mut watchpost::app::App, c: crossterm::event::KeyCode) {
    app.on_key(crossterm::event::KeyEvent::new(c, crossterm::event::KeyModifiers::NONE));
}

/// Text typed one key at a time.
pub fn typed(app: &mut watchpost::app::App, s: &str) {
    for c in s.chars() {
        key(app, crossterm::event::KeyCode::Char(c));
    }
}

/// A runbook whose one step (`long`, it takes `out`) runs for 30 s and writes its background process's pid
/// to `$out/pid`: for the tests that end a run, or the console, while a step runs.
pub fn long_step(id: &str) -> String {
    format!(
        r#"---
id: {id}
title: One long step
params:
  out:
    type: string
    pattern: '/[A-Za-z0-9/._-]+'
---
```sh {{#long timeout=1m}}
sleep 30 &
echo $! > "$out/pid"
wait
```
"#
    )
}
