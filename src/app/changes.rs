//! The Changes screen's state: what changed, per service or for the estate — deploys (from each
//! service's provider), rollbacks, runbook steps and silences (from the audit trail), changes made to
//! the built-in estate, maintenance windows — newest first; the change success rate (deploys not rolled
//! back) against 99 %; and the coming week's windows and freezes with their conflicts. Pure: the
//! histories, the trail and the windows are fed in.
use super::state::App;
use crate::deploy::Version;
use crate::maintenance::Window;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// The change success objective.
pub const SUCCESS_TARGET: f64 = 0.99;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Deploy,
    Rollback,
    Runbook,
    Silence,
    Maintenance,
    Estate,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Deploy => "deploy",
            Kind::Rollback => "rollback",
            Kind::Runbook => "runbook",
            Kind::Silence => "silence",
            Kind::Maintenance => "window",
            Kind::Estate => "estate",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub at: DateTime<Utc>,
    pub service: String,
    pub kind: Kind,
    pub text: String,
}

/// A clash in the calendar.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub at: DateTime<Utc>,
    pub text: String,
}

/// One line of the calendar: a window's or a freeze's occurrences in the coming week.
#[derive(Clone, Debug, PartialEq)]
pub struct Upcoming {
    pub name: String,
    pub freeze: bool,
    pub scope: String,
    pub occurrences: Vec<crate::schedule::Occurrence>,
}

#[derive(Debug, Default)]
pub struct ChangesView {
    /// Each service's versions, as its provider last said.
    pub histories: BTreeMap<String, Result<Vec<Version>, String>>,
    pub windows: Vec<Window>,
    /// Why the windows file could not be read.
    pub windows_error: Option<String>,
    /// The last reconcile of the windows' silences: when, and what it did or why it failed.
    pub reconciled: Option<(DateTime<Utc>, String)>,
    /// Only this service's changes (none: the estate's).
    pub service: Option<String>,
    pub selected: usize,
}

/// A deploy that a later revision took back (its cause says rollback, or it returns to an earlier version).
fn rolled_back(history: &[Version], i: usize) -> bool {
    let Some(next) = history.get(i + 1) else { return false };
    let cause = next.cause.as_deref().unwrap_or("").to_lowercase();
    cause.contains("rollback")
        || cause.contains("rolled back")
        || history[..i].iter().any(|v| v.version == next.version)
}

impl App {
    /// `C`: the Changes screen; the providers are asked for their histories and the trail is read.
    pub(crate) fn open_changes(&mut self) {
        for p in self.deploy.values() {
            self.rollback_commands.push(crate::ops::rollbacks::RollbackCommand::History(Box::new(p.clone())));
        }
        self.audit.wanted = true;
        self.go(super::Screen::Changes, true);
    }

    /// A pass of the windows' reconciler: the windows as the file says, and what it did.
    pub fn on_window_pass(&mut self, p: crate::maintenance::reconcile::Pass) {
        self.dirty = true;
        match p.windows {
            Ok(w) => {
                self.changes.windows = w;
                self.changes.windows_error = None;
            }
            Err(e) => self.changes.windows_error = Some(e),
        }
        self.changes.reconciled = Some((p.at, p.summary));
    }

    /// The timeline, newest first, for the chosen service or the whole estate.
    pub fn change_rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let keep = |s: &str| self.changes.service.as_deref().is_none_or(|x| x == s);
        for (service, h) in &self.changes.histories {
            let Ok(h) = h else { continue };
            for (i, v) in h.iter().enumerate().filter(|_| keep(service)) {
                let Some(at) = v.at else { continue };
                let undone = if rolled_back(h, i) { " — rolled back" } else { "" };
                let cause = v.cause.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
                let kind = if i > 0 && rolled_back(h, i - 1) { Kind::Rollback } else { Kind::Deploy };
                rows.push(Row {
                    at,
                    service: service.clone(),
                    kind,
                    text: format!("rev {} {}{cause}{undone}", v.revision, v.version),
                });
            }
        }
        for e in &self.audit.entries {
            let Ok(at) = DateTime::parse_from_rfc3339(&e.at) else { continue };
            let (kind, service) = match e.action.as_str() {
                "rollback" | "rollback.result" => (Kind::Rollback, e.target.clone()),
                a if a.starts_with("runbook.step") => {
                    let service = serde_json::from_str::<serde_json::Value>(&e.values)
                        .ok()
                        .and_then(|v| v.get("service").and_then(|s| s.as_str()).map(String::from))
                        .unwrap_or_default();
                    (Kind::Runbook, service)
                }
                a if a.starts_with("silence") => (Kind::Silence, String::new()),
                _ => continue,
            };
            if !keep(&service) && !service.is_empty() || (self.changes.service.is_some() && service.is_empty()) {
                continue;
            }
            rows.push(Row {
                at: at.with_timezone(&Utc),
                service,
                kind,
                text: format!("{} {} by {}: {}", e.action, e.target, e.user, e.result),
            });
        }
        for c in self.estate_changes.iter().filter(|c| keep(&c.service)) {
            let Some(at) = DateTime::from_timestamp_millis((c.at * 1000.0) as i64) else { continue };
            let fixed = if c.mitigated { " — ended the fault" } else { "" };
            rows.push(Row {
                at,
                service: c.service.clone(),
                kind: Kind::Estate,
                text: format!("{} by {}{fixed}", c.action.name(), c.by),
            });
        }
        let week = Duration::days(7);
        for w in &self.changes.windows {
            if self.changes.service.as_ref().is_some_and(|s| !w.services.contains(s)) {
                continue;
            }
            for o in w.schedule.between(self.now - week, self.now) {
                let text = format!("{} ({}) until {}: {}", w.id, w.owner, o.end.format("%H:%M"), w.reason);
                rows.push(Row { at: o.start, service: w.services.join(","), kind: Kind::Maintenance, text });
            }
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.at));
        rows
    }

    /// Deploys in the last 30 days and how many were not rolled back: (succeeded, all).
    pub fn change_success(&self) -> (usize, usize) {
        let since = self.now - Duration::days(30);
        let (mut ok, mut all) = (0, 0);
        for h in self.changes.histories.values().filter_map(|h| h.as_ref().ok()) {
            for (i, v) in h.iter().enumerate() {
                let is_rollback = i > 0 && rolled_back(h, i - 1);
                if v.at.is_some_and(|t| t >= since) && !is_rollback {
                    all += 1;
                    ok += usize::from(!rolled_back(h, i));
                }
            }
        }
        (ok, all)
    }

    /// The coming week's windows and freezes.
    pub fn upcoming(&self) -> Vec<Upcoming> {
        let (from, to) = (self.now, self.now + Duration::days(7));
        let mut out: Vec<Upcoming> = self
            .changes
            .windows
            .iter()
            .map(|w| Upcoming {
                name: w.id.clone(),
                freeze: false,
                scope: if w.services.is_empty() {
                    crate::alerts::matcher::to_text(&w.matchers)
                } else {
                    w.services.join(", ")
                },
                occurrences: w.schedule.between(from, to),
            })
            .collect();
        out.extend(self.freezes.iter().map(|f| Upcoming {
            name: f.name.clone(),
            freeze: true,
            scope: if f.services.is_empty() { "every service".into() } else { f.services.join(", ") },
            occurrences: f.schedule.between(from, to),
        }));
        out
    }

    /// Clashes in the coming week: a window during a freeze, two windows on one service at once, a
    /// window while an incident is open on its service.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let (from, to) = (self.now, self.now + Duration::days(7));
        let overlap =
            |a: &crate::schedule::Occurrence, b: &crate::schedule::Occurrence| a.start < b.end && b.start < a.end;
        let mut out = Vec::new();
        let ws = &self.changes.windows;
        for (i, w) in ws.iter().enumerate() {
            let occ = w.schedule.between(from, to);
            for f in &self.freezes {
                let covered = w.services.is_empty() || w.services.iter().any(|s| f.covers(s));
                for o in
                    occ.iter().filter(|o| covered && f.schedule.between(o.start, o.end).iter().any(|fo| overlap(o, fo)))
                {
                    out.push(Conflict { at: o.start, text: format!("window {} falls in freeze {}", w.id, f.name) });
                }
            }
            for other in &ws[i + 1..] {
                let shared: Vec<&String> = w.services.iter().filter(|s| other.services.contains(s)).collect();
                if shared.is_empty() {
                    continue;
                }
                let theirs = other.schedule.between(from, to);
                for o in occ.iter().filter(|o| theirs.iter().any(|t| overlap(o, t))) {
                    let svc = shared.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                    out.push(Conflict {
                        at: o.start,
                        text: format!("windows {} and {} overlap on {svc}", w.id, other.id),
                    });
                }
            }
            for inc in self.incidents.incidents.iter().filter(|i| i.resolved_at.is_none()) {
                let service = inc.service.as_str();
                if w.services.iter().any(|s| s == service) && !occ.is_empty() {
                    out.push(Conflict {
                        at: occ[0].start,
                        text: format!("window {} while incident #{} is open on {service}", w.id, inc.number),
                    });
                }
            }
        }
        out.sort_by_key(|c| c.at);
        out
    }
}
