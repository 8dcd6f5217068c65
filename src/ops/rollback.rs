//! A gated rollback: checks before (is one already running for this service, is there a change freeze,
//! is the target a version the provider has and not the one running), the plan shown exactly as it
//! will run, the audit trail before anything runs, the provider's commands with live output, then a
//! watch of the service's figures — PromQL gates from its SLO (error ratio and p95 below target) that
//! must hold for `hold` within `watch`. It succeeds, or fails naming the step or the gate that failed.
//! Dropping the run (the operator aborts) kills a running command and leaves the lock to be released.
use crate::config::changes::{Freeze, RollbackSettings};
use crate::config::{Queries, Service};
use crate::deploy::{Action, Provider, Version};
use crate::ops::audit::Audit;
use crate::ops::who::Who;
use crate::sources::prometheus::Prometheus;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A condition the service must meet after the rollback: the query's value (every series of it) below
/// `below`. The value is read, not just the comparison, so the watch can show what it measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    /// What it holds the service to, with its window: `error ratio over 2m < 0.10%`.
    pub name: String,
    pub query: String,
    pub below: f64,
    /// The value is a ratio (shown as a percentage), else seconds.
    pub ratio: bool,
}

impl Gate {
    pub fn show(&self, v: f64) -> String {
        if self.ratio { format!("{:.2}%", v * 100.0) } else { millis(Duration::from_secs_f64(v.max(0.0))) }
    }

    /// Holds when there is a value and every series is below the threshold (no traffic: no value, no
    /// evidence that the service is well, so it does not hold).
    fn read(&self, result: &crate::sources::prometheus::QueryResult) -> Reading {
        let values: Vec<f64> = match result.single() {
            Some(v) => vec![v],
            None => result.series().iter().filter_map(|s| s.last()).collect(),
        };
        let worst = values.iter().copied().filter(|v| v.is_finite()).reduce(f64::max);
        Reading { gate: self.name.clone(), value: worst, holds: worst.is_some_and(|v| v < self.below) }
    }
}

/// One gate at one moment of the watch.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub gate: String,
    pub value: Option<f64>,
    pub holds: bool,
}

/// `200ms`, `1.5s`, `2s`.
fn millis(d: Duration) -> String {
    if d < Duration::from_secs(1) { format!("{}ms", d.as_millis()) } else { format!("{}s", d.as_secs_f64()) }
}

/// The service's SLO as gates: its error ratio and its p95 below their targets, rates over `window`
/// (short, so the watch sees the new version soon).
pub fn gates(service: &Service, window: Duration) -> Vec<Gate> {
    let t = &service.targets;
    let w = crate::time::promql(window);
    vec![
        Gate {
            name: format!("error ratio over {w} < {:.2}%", t.error_rate * 100.0),
            query: service.queries.error_ratio(window),
            below: t.error_rate,
            ratio: true,
        },
        Gate {
            name: format!("p95 over {w} < {}", millis(t.latency_p95)),
            query: Queries::at(&service.queries.latency_p95, window),
            below: t.latency_p95.as_secs_f64(),
            ratio: false,
        },
    ]
}

/// Why a rollback may not go ahead (or needs an override).
#[derive(Clone, Debug, PartialEq)]
pub enum Blocker {
    /// Not a version the provider lists, or the one already running.
    Target(String),
    /// Another rollback of this service holds the lock.
    Running(String),
    /// A change freeze is in effect: an override with a reason lets it through (and is recorded).
    Freeze { name: String, until: DateTime<Utc>, reason: String },
    /// The target is not known good: it was itself rolled back once. An override with a reason lets
    /// it through.
    NotKnownGood(String),
}

impl Blocker {
    /// A freeze or a target not known good: an operator's reason lets the rollback through.
    pub fn overridable(&self) -> bool {
        matches!(self, Blocker::Freeze { .. } | Blocker::NotKnownGood(_))
    }
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocker::Target(s) | Blocker::Running(s) => write!(f, "{s}"),
            Blocker::NotKnownGood(s) => write!(f, "{s}: an override with a reason is needed"),
            Blocker::Freeze { name, until, reason } => {
                let why = if reason.is_empty() { String::new() } else { format!(" ({reason})") };
                write!(
                    f,
                    "change freeze `{name}`{why} until {}: an override with a reason is needed",
                    until.format("%Y-%m-%d %H:%M UTC")
                )
            }
        }
    }
}

/// The freeze in effect for `service` at `now`, if any.
pub fn freeze_at<'a>(freezes: &'a [Freeze], service: &str, now: DateTime<Utc>) -> Option<(&'a Freeze, DateTime<Utc>)> {
    freezes.iter().filter(|f| f.covers(service)).find_map(|f| f.schedule.at(now).map(|o| (f, o.end)))
}

/// Checks before a rollback to `to`: the target (a version the provider has, not the one running,
/// not one rolled back before — that one is overridable), a freeze (overridable).
pub fn precheck(
    service: &str,
    history: &[Version],
    to: &str,
    freezes: &[Freeze],
    now: DateTime<Utc>,
) -> Result<Vec<Blocker>, String> {
    let mut out = Vec::new();
    match history.iter().find(|v| v.revision == to) {
        None => {
            let known: Vec<&str> = history.iter().map(|v| v.revision.as_str()).collect();
            out.push(Blocker::Target(format!("{service} has no revision `{to}` (it has {})", known.join(", "))));
        }
        Some(v) if v.current => {
            out.push(Blocker::Target(format!("{service} already runs revision {to} ({})", v.version)))
        }
        Some(v) => {
            let i = history.iter().position(|x| x.revision == to).unwrap_or(0);
            if crate::deploy::model::was_rolled_back(history, i) {
                let why = format!("revision {to} ({}) is not known good: it was rolled back before", v.version);
                out.push(Blocker::NotKnownGood(why));
            }
        }
    }
    if let Some((f, until)) = freeze_at(freezes, service, now) {
        out.push(Blocker::Freeze { name: f.name.clone(), until, reason: f.reason.clone() });
    }
    Ok(out)
}

/// One rollback at a time per service, across consoles on this machine: a lock file naming who holds
/// it. A lock whose process is gone is stale and taken over.
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    pub fn take(dir: &Path, service: &str, who: &Who) -> Result<Lock, Blocker> {
        std::fs::create_dir_all(dir).map_err(|e| Blocker::Running(format!("{}: {e}", dir.display())))?;
        let path = dir.join(format!("{service}.lock"));
        let me = format!("{} {} {}", std::process::id(), who.user, Utc::now().to_rfc3339());
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    use std::io::Write;
                    let _ = f.write_all(me.as_bytes());
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid: Option<i32> = held.split_whitespace().next().and_then(|p| p.parse().ok());
                    // SAFETY: kill(pid, 0) only asks whether the process exists.
                    let alive = pid.is_some_and(|p| unsafe { libc::kill(p, 0) } == 0);
                    if alive {
                        let mut parts = held.split_whitespace().skip(1);
                        let (user, since) = (parts.next().unwrap_or("?"), parts.next().unwrap_or("?"));
                        return Err(Blocker::Running(format!(
                            "a rollback of {service} is already running (by {user} since {since})"
                        )));
                    }
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => return Err(Blocker::Running(format!("{}: {e}", path.display()))),
            }
        }
        Err(Blocker::Running(format!("cannot take {}", path.display())))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Where rollback locks live: `$XDG_STATE_HOME/watchpost/rollbacks`.
pub fn lock_dir() -> PathBuf {
    dirs::state_dir().or_else(dirs::data_dir).unwrap_or_else(|| PathBuf::from(".")).join("watchpost").join("rollbacks")
}

/// What the rollback tells its watcher as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// A plan step starts: its command as it runs.
    Step(String),
    Line(String),
    /// The watch: each gate, holding or not, and for how long all have held.
    Gates {
        holding: Vec<Reading>,
        held: Duration,
    },
}

/// How it ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Succeeded,
    /// A plan step failed (its command and why).
    StepFailed(String),
    /// The watch ran out: the gates that did not hold at the end.
    GateFailed(Vec<String>),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Succeeded => write!(f, "succeeded: every gate held"),
            Outcome::StepFailed(e) => write!(f, "failed: {e}"),
            Outcome::GateFailed(g) => write!(f, "failed: the gate {} did not hold", g.join(", ")),
        }
    }
}

pub struct Rollback<'a> {
    pub provider: &'a Provider,
    pub from: Version,
    pub to: Version,
    pub plan: Vec<Action>,
    pub gates: Vec<Gate>,
    pub settings: RollbackSettings,
    /// An override of a freeze: its reason, recorded.
    pub override_reason: Option<String>,
    pub who: Who,
}

impl Rollback<'_> {
    fn values(&self) -> serde_json::Value {
        serde_json::json!({
            "from": {"revision": self.from.revision, "version": self.from.version},
            "to": {"revision": self.to.revision, "version": self.to.version},
            "provider": self.provider.kind_name(),
            "plan": self.plan.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "override": self.override_reason,
        })
    }

    /// Record, run, watch. The outer error: it could not be recorded, so nothing ran.
    pub async fn run(
        &self,
        audit: &mut Audit,
        prometheus: Option<&Prometheus>,
        mut progress: impl FnMut(Progress),
    ) -> Result<Outcome, String> {
        let target = self.provider.service.clone();
        audit
            .record(&self.who, Utc::now(), "rollback", &target, &self.values(), "intent")
            .map_err(|e| format!("not run: the audit trail refused it: {e}"))?;
        let outcome = self.execute(prometheus, &mut progress).await;
        if let Err(e) =
            audit.record(&self.who, Utc::now(), "rollback.result", &target, &self.values(), &outcome.to_string())
        {
            progress(Progress::Line(format!("! the outcome was not recorded: {e}")));
        }
        Ok(outcome)
    }

    async fn execute(&self, prometheus: Option<&Prometheus>, progress: &mut impl FnMut(Progress)) -> Outcome {
        for action in &self.plan {
            progress(Progress::Step(action.to_string()));
            let mut lines = Vec::new();
            let r = crate::deploy::provider::run(action, self.provider.timeout, |l| lines.push(l.to_string())).await;
            for l in lines {
                progress(Progress::Line(l));
            }
            if let Err(e) = r {
                return Outcome::StepFailed(format!("`{action}`: {e}"));
            }
        }
        let Some(prom) = prometheus else {
            return Outcome::GateFailed(vec!["(no Prometheus to watch the service with)".into()]);
        };
        watch(prom, &self.gates, self.settings, progress).await
    }
}

/// `error ratio over 2m < 0.10% (was 2.41%)`, or `(no data)` when the query had no value.
pub fn reading_text(gates: &[Gate], r: &Reading) -> String {
    let gate = gates.iter().find(|g| g.name == r.gate);
    match (gate, r.value) {
        (Some(g), Some(v)) => format!("{} (was {})", r.gate, g.show(v)),
        _ => format!("{} (no data)", r.gate),
    }
}

/// Poll the gates until all have held together for `hold`, or `watch` runs out.
pub async fn watch(
    prom: &Prometheus,
    gates: &[Gate],
    settings: RollbackSettings,
    progress: &mut impl FnMut(Progress),
) -> Outcome {
    let start = tokio::time::Instant::now();
    let every = (settings.hold / 6).clamp(Duration::from_secs(1), Duration::from_secs(15));
    let mut since: Option<tokio::time::Instant> = None;
    loop {
        let mut holding = Vec::new();
        for g in gates {
            let reading = match prom.query(&g.query, Utc::now()).await {
                Ok(o) => g.read(&o.result),
                Err(e) => {
                    progress(Progress::Line(format!("{}: {e}", g.name)));
                    Reading { gate: g.name.clone(), value: None, holds: false }
                }
            };
            holding.push(reading);
        }
        let now = tokio::time::Instant::now();
        since = if holding.iter().all(|r| r.holds) { since.or(Some(now)) } else { None };
        let held = since.map_or(Duration::ZERO, |s| now - s);
        progress(Progress::Gates { holding: holding.clone(), held });
        if held >= settings.hold {
            return Outcome::Succeeded;
        }
        if now + every - start > settings.watch {
            let failed = holding.iter().filter(|r| !r.holds);
            return Outcome::GateFailed(failed.map(|r| reading_text(gates, r)).collect());
        }
        tokio::time::sleep(every).await;
    }
}
