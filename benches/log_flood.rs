//! A log flood into the log view, end to end: a Loki-compatible tail websocket pushes RATE lines/s
//! (default 50 000) for DURATION seconds (default 60) to the release binary running on a pseudo-terminal,
//! which follows it in the Logs screen. Twice a second a key toggles follow/pause, and the time until
//! the terminal shows the change is measured. Reports key latency (p50/p95/max), lines delivered, the
//! process's RSS over the run and its CPU use.
//!
//! Run: `cargo bench --bench log_flood` (RATE=… DURATION=… to change the load).
#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;

use axum::Router;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// RSS (kB) and CPU ticks (user + system) of a process.
fn usage(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat are utime and stime; after the ")" (field 2) they are at 11 and 12.
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    (rss, field(11) + field(12))
}

fn main() {
    let rate = env("RATE", 50_000);
    let duration = Duration::from_secs(env("DURATION", 60));
    let sent = Arc::new(AtomicU64::new(0));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let counter = sent.clone();
    let addr = rt.block_on(async move {
        let tail = get(move |ws: WebSocketUpgrade| {
            let counter = counter.clone();
            async move {
                ws.on_upgrade(move |mut socket| async move {
                    // Every 10 ms, a hundredth of a second's lines.
                    let per_tick = (rate / 100).max(1);
                    let mut tick = tokio::time::interval(Duration::from_millis(10));
                    let mut n: u64 = 0;
                    loop {
                        tick.tick().await;
                        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
                        let values: Vec<serde_json::Value> = (0..per_tick)
                            .map(|i| {
                                n += 1;
                                let level = if n.is_multiple_of(50) { "error" } else { "info" };
                                serde_json::json!([
                                    (now + i as i64).to_string(),
                                    format!("level={level} msg=\"flood line {n}\" duration_ms=12.5 trace_id={n:032x}")
                                ])
                            })
                            .collect();
                        let msg = serde_json::json!({"streams": [{"stream": {"service": "flood"}, "values": values}]});
                        if socket.send(Message::Text(msg.to_string().into())).await.is_err() {
                            return;
                        }
                        counter.fetch_add(per_tick, Ordering::Relaxed);
                    }
                })
            }
        });
        let empty = get(|| async {
            axum::Json(serde_json::json!({"status": "success", "data": {"resultType": "streams", "result": []}}))
        });
        let app = Router::new().route("/loki/api/v1/tail", tail).route("/loki/api/v1/query_range", empty);
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        addr
    });

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("watchpost.toml");
    std::fs::write(&config, format!("[loki]\nurl = \"http://{addr}\"\n")).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_watchpost"));
    cmd.arg("--config").arg(&config).env("HOME", dir.path()).env("TERM", "xterm-256color");
    let mut term = pty::Pty::spawn(cmd, 160, 48);
    term.wait_for("FOLLOW", 20);
    term.wait_for("● live", 20);
    let pid = term.child.id();
    let ticks_per_sec = 100.0; // CLK_TCK on Linux
    let (rss0, cpu0) = usage(pid);
    let (sent0, started) = (sent.load(Ordering::Relaxed), Instant::now());
    let mut latencies = Vec::new();
    let mut rss_max = rss0;
    let mut paused = false;
    let mut missed = 0;
    while started.elapsed() < duration {
        let from = term.output.lock().unwrap().len();
        let want: &[u8] = if paused { b"FOLLOW" } else { b"PAUSED" };
        let t = Instant::now();
        term.send(b"f");
        paused = !paused;
        let mut seen = false;
        while t.elapsed() < Duration::from_secs(2) {
            let out = term.output.lock().unwrap();
            if out[from..].windows(want.len()).any(|w| w == want) {
                seen = true;
                break;
            }
            drop(out);
            std::thread::sleep(Duration::from_micros(500));
        }
        if seen {
            latencies.push(t.elapsed());
        } else {
            missed += 1;
        }
        rss_max = rss_max.max(usage(pid).0);
        std::thread::sleep(Duration::from_millis(500).saturating_sub(t.elapsed()));
    }
    let secs = started.elapsed().as_secs_f64();
    let (rss1, cpu1) = usage(pid);
    let delivered = sent.load(Ordering::Relaxed) - sent0;
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "log flood: {rate} lines/s offered for {secs:.0} s, {:.0} lines/s sent to the console",
        delivered as f64 / secs
    );
    println!(
        "keys answered: {} of {} (p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; over 50 ms: {})",
        latencies.len(),
        latencies.len() + missed,
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.95).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        latencies.iter().filter(|l| **l > Duration::from_millis(50)).count()
    );
    println!(
        "RSS: {:.1} MiB at start, {:.1} MiB max, {:.1} MiB at end",
        rss0 as f64 / 1024.0,
        rss_max as f64 / 1024.0,
        rss1 as f64 / 1024.0
    );
    println!("CPU: {:.0}% of one core", (cpu1 - cpu0) as f64 / ticks_per_sec / secs * 100.0);
    term.send(b"q");
}
