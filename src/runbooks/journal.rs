//! The run journal: one JSON line per event of a runbook run (the run, each step's start, output and
//! end), appended and fsynced before the next step starts. After a crash, a killed SSH session or a
//! power cut, replaying it says which steps are done and which one was running — its outcome unknown.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Run {
        run: String,
        runbook: String,
        path: PathBuf,
        params: BTreeMap<String, String>,
        at: String,
        user: String,
        /// A drill: steps act on the built-in estate.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        drill: bool,
        /// The environment it runs in (when the config names environments): it is resumed there only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
    },
    Start {
        step: String,
        at: String,
    },
    Output {
        step: String,
        line: String,
    },
    End {
        step: String,
        at: String,
        result: String,
    },
    Skip {
        step: String,
        reason: String,
    },
    Abort {
        at: String,
    },
}

/// Where runs are journalled: `$XDG_STATE_HOME/watchpost/runs` (or `~/.local/state/…`).
pub fn dir() -> PathBuf {
    dirs::state_dir().or_else(dirs::data_dir).unwrap_or_else(|| PathBuf::from(".")).join("watchpost").join("runs")
}

pub struct Journal {
    file: std::fs::File,
    pub path: PathBuf,
}

impl Journal {
    pub fn create(path: &Path) -> Result<Journal, String> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Journal { file, path: path.to_path_buf() })
    }

    /// Append an event; with `sync`, it is on disk when this returns (starts and ends are; output lines
    /// are synced with their step's end).
    pub fn append(&mut self, e: &Event, sync: bool) -> Result<(), String> {
        let mut line = serde_json::to_string(e).map_err(|e| e.to_string())?;
        line.push('\n');
        self.file.write_all(line.as_bytes()).map_err(|e| format!("{}: {e}", self.path.display()))?;
        if sync {
            self.file.sync_data().map_err(|e| format!("{}: {e}", self.path.display()))?;
        }
        Ok(())
    }
}

/// A new run's journal in `dir` (normally [`dir()`]), named by runbook, time, process and `tag`, opened
/// with its `Run` event (parameters as they may be written down: secrets as `***`).
pub fn begin(
    dir: &Path,
    rb: &super::Runbook,
    values: &[super::exec::Value],
    who: &crate::ops::who::Who,
    tag: &str,
    drill: bool,
) -> Result<Journal, String> {
    let now = chrono::Utc::now();
    let run = format!("{}-{}-{}{tag}", rb.id, now.format("%Y%m%dT%H%M%SZ"), std::process::id());
    let mut j = Journal::create(&dir.join(format!("{run}.jsonl")))?;
    let e = Event::Run {
        run,
        runbook: rb.id.clone(),
        path: rb.path.clone(),
        params: super::run::shown(values),
        at: now.to_rfc3339(),
        user: who.user.clone(),
        drill,
        environment: who.environment.clone(),
    };
    j.append(&e, true)?;
    Ok(j)
}

/// A run as its journal tells it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replay {
    pub run: String,
    pub runbook: String,
    pub path: PathBuf,
    pub params: BTreeMap<String, String>,
    /// Steps that ended (or were skipped), with their result.
    pub done: BTreeMap<String, String>,
    /// A step that started and never ended: the process died during it.
    pub unknown: Option<String>,
    pub aborted: bool,
    pub drill: bool,
    pub environment: Option<String>,
}

/// Read a journal. A last line cut short by the crash is ignored.
pub fn replay(path: &Path) -> Result<Replay, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut r = Replay::default();
    let mut running: Option<String> = None;
    for line in text.lines() {
        let Ok(e) = serde_json::from_str::<Event>(line) else { continue };
        match e {
            Event::Run { run, runbook, path, params, drill, environment, .. } => {
                (r.run, r.runbook, r.path, r.params, r.drill) = (run, runbook, path, params, drill);
                r.environment = environment;
            }
            Event::Start { step, .. } => running = Some(step),
            Event::Output { .. } => {}
            Event::End { step, result, .. } => {
                running = None;
                r.done.insert(step, result);
            }
            Event::Skip { step, reason } => {
                r.done.insert(step, format!("skipped: {reason}"));
            }
            Event::Abort { .. } => r.aborted = true,
        }
    }
    if r.run.is_empty() {
        return Err(format!("{}: not a run journal", path.display()));
    }
    r.unknown = running;
    Ok(r)
}

/// Runs in `dir` that stopped before their end (not aborted, a step running or a step of the way left),
/// newest first: what the console offers to resume. `forward` gives a runbook id's steps of the way (its
/// undo steps left out: a run does not wait for them). Only runs of environment `env` are offered: a
/// production run is resumed in production, never in the staging console opened next.
pub fn interrupted(
    dir: &Path,
    env: Option<&str>,
    forward: impl Fn(&str) -> Option<Vec<String>>,
) -> Vec<(PathBuf, Replay)> {
    let mut found: Vec<(std::time::SystemTime, PathBuf, Replay)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|p| {
            let r = replay(&p).ok().filter(|r| r.environment.as_deref() == env)?;
            let way = forward(&r.runbook)?;
            let open = !r.aborted && (r.unknown.is_some() || way.iter().any(|s| !r.done.contains_key(s)));
            let at = std::fs::metadata(&p).and_then(|m| m.modified()).ok()?;
            open.then_some((at, p, r))
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, p, r)| (p, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    /// A run is offered again in the environment it ran in only.
    #[test]
    fn an_interrupted_run_is_offered_in_its_environment_only() {
        let dir = tempfile_dir();
        let mut j = Journal::create(&dir.join("prod.jsonl")).unwrap();
        let run = Event::Run {
            run: "p1".into(),
            runbook: "restart".into(),
            path: "restart.md".into(),
            params: Default::default(),
            at: "t".into(),
            user: "alice".into(),
            drill: false,
            environment: Some("production".into()),
        };
        j.append(&run, true).unwrap();
        j.append(&Event::Start { step: "a".into(), at: "t".into() }, true).unwrap();
        let way = |_: &str| Some(vec!["a".to_string()]);
        assert_eq!(interrupted(&dir, Some("production"), way).len(), 1);
        assert!(interrupted(&dir, Some("staging"), way).is_empty());
        assert!(interrupted(&dir, None, way).is_empty());
    }

    #[test]
    fn replay_after_a_crash() {
        let dir = tempfile_dir();
        let path = dir.join("run.jsonl");
        let mut j = Journal::create(&path).unwrap();
        let run = Event::Run {
            run: "r1".into(),
            runbook: "restart".into(),
            path: "runbooks/restart.md".into(),
            params: [("service".to_string(), "api".to_string())].into(),
            at: "t".into(),
            user: "alice".into(),
            drill: false,
            environment: None,
        };
        j.append(&run, true).unwrap();
        j.append(&Event::Start { step: "a".into(), at: "t".into() }, true).unwrap();
        j.append(&Event::End { step: "a".into(), at: "t".into(), result: "ok".into() }, true).unwrap();
        j.append(&Event::Start { step: "b".into(), at: "t".into() }, true).unwrap();
        j.append(&Event::Output { step: "b".into(), line: "half".into() }, false).unwrap();
        // A line cut short by the crash.
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"event\":\"out").unwrap();
        let r = replay(&path).unwrap();
        assert_eq!(r.done.get("a").map(String::as_str), Some("ok"));
        assert_eq!(r.unknown.as_deref(), Some("b"));
        assert_eq!(r.params["service"], "api");
        std::fs::remove_dir_all(dir).ok();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("wp-journal-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
