//! Alertmanager's silences kept in line with the windows. Each occurrence that starts within `ahead`
//! (or is under way) has one silence, tagged in its comment with the window's id and the occurrence's
//! start: missing ones are created, ones whose matchers or end changed are updated, ones whose window
//! or occurrence is gone are expired. Silences without the tag are not ours and are never touched.
//!
//! Two reconcilers may run at once (two engineers' consoles): both may create the same occurrence's
//! silence. After applying its plan each reconciler reads the silences again and keeps, of several for
//! one occurrence, the one with the smallest id — the same choice everywhere, so they converge on one
//! silence and never undo each other.
use super::window::Window;
use crate::alerts::matcher::to_text;
use crate::alerts::model::{NewSilence, Silence, SilenceState};
use crate::sources::alertmanager::Alertmanager;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use std::collections::BTreeMap;

/// How far ahead silences are created by default.
pub const AHEAD: Duration = Duration::days(7);

const TAG: &str = "[watchpost window ";

/// The tag that makes a silence ours: the window and the occurrence's start.
pub fn tag(window: &str, start: DateTime<Utc>) -> String {
    format!("{TAG}{window} @ {}]", start.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// A silence's (window, occurrence start), if watchpost made it.
pub fn key_of(comment: &str) -> Option<(String, String)> {
    let rest = comment.strip_prefix(TAG)?;
    let (inner, _) = rest.split_once(']')?;
    let (window, start) = inner.split_once(" @ ")?;
    Some((window.to_string(), start.to_string()))
}

#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Create(NewSilence),
    Update { id: String, silence: NewSilence },
    Expire { id: String, why: String },
}

/// The silence each occurrence wants, by key.
fn desired(windows: &[Window], now: DateTime<Utc>, ahead: Duration) -> BTreeMap<(String, String), NewSilence> {
    let mut out = BTreeMap::new();
    for w in windows {
        for o in w.schedule.between(now, now + ahead) {
            let t = tag(&w.id, o.start);
            let key = key_of(&t).expect("a tag reads back");
            out.insert(
                key,
                NewSilence {
                    id: None,
                    matchers: w.silence_matchers(),
                    starts_at: o.start,
                    ends_at: o.end,
                    created_by: format!("watchpost ({})", w.owner),
                    comment: format!("{t} {}: {} (owner {})", w.title, w.reason, w.owner),
                },
            );
        }
    }
    out
}

/// What to change so that the silences match the windows.
pub fn plan(windows: &[Window], silences: &[Silence], now: DateTime<Utc>, ahead: Duration) -> Vec<Change> {
    let want = desired(windows, now, ahead);
    let mut ours: BTreeMap<(String, String), Vec<&Silence>> = BTreeMap::new();
    for s in silences.iter().filter(|s| s.state != SilenceState::Expired) {
        if let Some(k) = key_of(s.comment.as_str()) {
            ours.entry(k).or_default().push(s);
        }
    }
    let mut out = Vec::new();
    for (key, mut group) in ours {
        group.sort_by(|a, b| a.id.cmp(&b.id));
        let (keep, extra) = group.split_first().expect("a group has one");
        for s in extra {
            out.push(Change::Expire { id: s.id.clone(), why: format!("a second silence for {} @ {}", key.0, key.1) });
        }
        match want.get(&key) {
            None => out.push(Change::Expire {
                id: keep.id.clone(),
                why: format!("window {} no longer has this occurrence", key.0),
            }),
            Some(w) => {
                let changed = to_text(&keep.matchers) != to_text(&w.matchers)
                    || (keep.ends_at - w.ends_at).num_seconds().abs() > 1
                    || (keep.state == SilenceState::Pending && (keep.starts_at - w.starts_at).num_seconds().abs() > 1);
                if changed {
                    let mut s = w.clone();
                    s.id = Some(keep.id.clone());
                    // An active silence keeps its start (Alertmanager does not move it back).
                    if keep.state == SilenceState::Active {
                        s.starts_at = keep.starts_at;
                    }
                    out.push(Change::Update { id: keep.id.clone(), silence: s });
                }
            }
        }
    }
    for (key, s) in want {
        let exists = silences
            .iter()
            .any(|x| x.state != SilenceState::Expired && key_of(x.comment.as_str()).as_ref() == Some(&key));
        if !exists {
            out.push(Change::Create(s));
        }
    }
    out
}

/// Where the reconciler's silences are recorded, and as whom.
pub struct Trail<'a> {
    pub audit: &'a mut crate::ops::audit::Audit,
    pub who: &'a crate::ops::who::Who,
}

impl Trail<'_> {
    fn record(&mut self, c: &Change, result: &str) -> Result<(), String> {
        let (action, target, values) = match c {
            Change::Create(s) => {
                let matchers: Vec<_> = s.matchers.iter().map(crate::sources::alertmanager::api::matcher_json).collect();
                (
                    "silence.create",
                    "maintenance",
                    serde_json::json!({"comment": s.comment, "matchers": matchers, "ends": s.ends_at.to_rfc3339()}),
                )
            }
            Change::Update { id, silence } => (
                "silence.update",
                id.as_str(),
                serde_json::json!({"comment": silence.comment, "ends": silence.ends_at.to_rfc3339()}),
            ),
            Change::Expire { id, why } => ("silence.expire", id.as_str(), serde_json::json!({"why": why})),
        };
        let action = if result == "intent" { action.to_string() } else { format!("{action}.result") };
        self.audit.record(self.who, Utc::now(), &action, target, &values, result).map(|_| ())
    }
}

/// What a reconcile did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub expired: usize,
    pub errors: Vec<String>,
}

/// Make Alertmanager's silences match the windows (see the module's notes on running twice at once).
/// `dry_run` plans and applies nothing.
pub async fn reconcile(
    am: &Alertmanager,
    windows: &[Window],
    now: DateTime<Utc>,
    ahead: Duration,
    dry_run: bool,
    mut trail: Option<Trail<'_>>,
) -> Result<(Vec<Change>, Report), String> {
    let silences = am.silences().await.map_err(|e| format!("listing silences: {e}"))?;
    let changes = plan(windows, &silences, now, ahead);
    let mut report = Report::default();
    if dry_run {
        return Ok((changes, report));
    }
    for c in &changes {
        // Each change is recorded before it is sent; one that cannot be recorded is not sent.
        let recorded = trail.as_mut().map_or(Ok(()), |t| t.record(c, "intent"));
        if let Err(e) = recorded {
            report.errors.push(format!("not sent: the audit trail refused it: {e}"));
            continue;
        }
        let result = match c {
            Change::Create(s) => am.post_silence(s).await.map(|_| report.created += 1),
            Change::Update { silence, .. } => am.post_silence(silence).await.map(|_| report.updated += 1),
            Change::Expire { id, .. } => am.expire(id).await.map(|_| report.expired += 1),
        };
        let outcome = match &result {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("failed: {e}"),
        };
        if let Some(t) = trail.as_mut() {
            let _ = t.record(c, &outcome);
        }
        if let Err(e) = result {
            report.errors.push(e.to_string());
        }
    }
    // Another reconciler may have created the same silences meanwhile: keep the smallest id of each.
    let after = am.silences().await.map_err(|e| format!("listing silences: {e}"))?;
    for c in plan(windows, &after, now, ahead) {
        if let Change::Expire { id, why } = &c
            && why.starts_with("a second silence")
        {
            match am.expire(id).await {
                Ok(()) => report.expired += 1,
                // The other reconciler expired it first.
                Err(e)
                    if am
                        .silences()
                        .await
                        .is_ok_and(|s| s.iter().any(|x| &x.id == id && x.state == SilenceState::Expired)) =>
                {
                    tracing::debug!("duplicate silence {id} already expired: {e}");
                }
                Err(e) => report.errors.push(e.to_string()),
            }
        }
    }
    Ok((changes, report))
}

/// What the console's reconciler reports after each pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Pass {
    pub at: DateTime<Utc>,
    /// The windows as the file says now (or why it could not be read).
    pub windows: Result<Vec<Window>, String>,
    pub summary: String,
}

/// The console's reconciler: at start, every `every` and whenever `now` is notified (a window was
/// added), read the windows file and make each Alertmanager's silences match it; each pass is reported.
pub async fn keep_in_line(
    settings: crate::config::changes::MaintenanceSettings,
    // `None`: read-only here (the environment, or `--readonly`): the windows are read, their silences
    // are not touched.
    servers: Option<Vec<Alertmanager>>,
    every: std::time::Duration,
    now: std::sync::Arc<tokio::sync::Notify>,
    audit_path: std::path::PathBuf,
    who: crate::ops::who::Who,
    tx: tokio::sync::mpsc::Sender<Pass>,
) {
    let (file, ahead) = (settings.file, settings.ahead);
    let wake = now;
    loop {
        let now = Utc::now();
        let path = file.clone();
        let windows = tokio::task::spawn_blocking(move || super::window::load(&path).map_err(|e| e.to_string()))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        let mut parts = Vec::new();
        let read_only = servers.is_none();
        let servers = servers.as_deref().unwrap_or_default();
        if let Ok(ws) = &windows
            && !read_only
        {
            let mut audit = match crate::ops::audit::Audit::open(&audit_path) {
                Ok(a) => Some(a),
                Err(e) => {
                    parts.push(format!("not run: the audit trail cannot be opened: {e}"));
                    None
                }
            };
            for am in servers {
                let Some(audit) = audit.as_mut() else { break };
                let trail = Some(Trail { audit, who: &who });
                match reconcile(am, ws, now, ahead, false, trail).await {
                    Ok((_, r)) if r.errors.is_empty() => {
                        parts.push(format!("{} created, {} updated, {} expired", r.created, r.updated, r.expired))
                    }
                    Ok((_, r)) => parts.push(format!("{} error(s): {}", r.errors.len(), r.errors[0])),
                    Err(e) => parts.push(e),
                }
            }
        }
        let summary = match (&windows, parts.is_empty()) {
            (Ok(_), _) if read_only => "read-only: the windows' silences are not kept in line from here".to_string(),
            (Ok(_), true) => "no Alertmanager to put silences in".to_string(),
            (Err(_), _) => "the windows file could not be read".to_string(),
            _ => parts.join("; "),
        };
        if tx.send(Pass { at: now, windows, summary }).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = wake.notified() => {}
            // The console left (quit, or another environment): not one more pass.
            _ = tx.closed() => return,
        }
    }
}
