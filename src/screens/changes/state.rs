//! The Changes screen's state: what changed, per service or for the estate — deploys (from each
//! service's provider), rollbacks, runbook steps and silences (from the audit trail), changes made to
//! the built-in estate, maintenance windows — newest first; the change success rate (deploys not rolled
//! back) against 99 %; and the coming week's windows and freezes with their conflicts. Pure: the
//! histories, the trail and the windows are fed in.
use crate::app::state::App;
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

/// The fields of a new window, in order.
pub const FORM_FIELDS: [(&str, &str); 8] = [
    ("id", "lower-case letters, digits and -"),
    ("services", "comma-separated, e.g. db, cache"),
    ("start", "local time, e.g. 2026-12-01T02:00"),
    ("timezone", "UTC, or an IANA name such as Europe/Berlin"),
    ("duration", "e.g. 2h"),
    ("rrule", "empty for once, or e.g. FREQ=WEEKLY;BYDAY=TU"),
    ("reason", "why (shown in the silences)"),
    ("freeze override", "only in a change freeze: why it must happen anyway"),
];

/// A window being written in the console.
#[derive(Debug)]
pub struct WindowForm {
    pub fields: Vec<ratatui_textarea::TextArea<'static>>,
    pub focus: usize,
    pub error: Option<String>,
}

impl crate::app::textinput::Form for WindowForm {
    fn field(&mut self) -> Option<&mut ratatui_textarea::TextArea<'static>> {
        self.fields.get_mut(self.focus)
    }
    fn fields(&self) -> usize {
        self.fields.len()
    }
    fn focus(&mut self) -> Option<&mut usize> {
        Some(&mut self.focus)
    }
    fn edited(&mut self) {
        self.error = None;
    }
}

#[derive(Debug, Default)]
pub struct ChangesView {
    pub form: Option<WindowForm>,
    /// Typing the id of a window to cancel.
    pub cancel: Option<ratatui_textarea::TextArea<'static>>,
    pub(crate) adds: Vec<crate::maintenance::console::Edit>,
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
            self.rollback_commands.push(crate::ops::rollback_tasks::RollbackCommand::History(Box::new(p.clone())));
        }
        self.audit.wanted = true;
        self.go(crate::app::Screen::Changes, true);
    }

    /// The Changes screen on `service`'s changes (none: the estate's), from the top of its timeline when
    /// that is another one; a service's charts are asked for as of now and, in a drill, it counts as
    /// looking at that service.
    pub(crate) fn scope_changes(&mut self, service: Option<String>) {
        if self.changes.service != service {
            self.changes.service = service;
            self.changes.selected = 0;
        }
        if let Some(service) = self.changes.service.clone() {
            self.drill_saw(&service, "the changes");
            self.request_detail();
        }
    }

    /// `n` on the Changes screen: a new window's form.
    pub(crate) fn new_window_form(&mut self) {
        let fields = FORM_FIELDS
            .iter()
            .map(|(name, hint)| {
                let mut t = ratatui_textarea::TextArea::new(vec![match *name {
                    "timezone" => "UTC".to_string(),
                    "duration" => "1h".to_string(),
                    "services" => self.changes.service.clone().unwrap_or_default(),
                    _ => String::new(),
                }]);
                t.set_placeholder_text(*hint);
                t.move_cursor(ratatui_textarea::CursorMove::End);
                t
            })
            .collect();
        self.changes.form = Some(WindowForm { fields, focus: 0, error: None });
    }

    /// Enter in the form: the window is checked as the file would read it, against the freezes, and
    /// handed to the loop to be recorded and written.
    pub(crate) fn submit_window_form(&mut self) {
        let who = self.who();
        let Some(form) = self.changes.form.as_mut() else { return };
        let v: Vec<String> = form.fields.iter().map(|t| t.lines().join("").trim().to_string()).collect();
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let services: Vec<String> = v[1].split(',').map(str::trim).filter(|s| !s.is_empty()).map(&q).collect();
        let mut text = format!(
            "[[window]]\nid = {}\nowner = {}\nreason = {}\nstart = {}\ntimezone = {}\nduration = {}\nservices = [{}]\n",
            q(&v[0]),
            q(&who.user),
            q(&v[6]),
            q(&v[2]),
            q(&v[3]),
            q(&v[4]),
            services.join(", ")
        );
        if !v[5].is_empty() {
            text.push_str(&format!("rrule = {}\n", q(&v[5])));
        }
        let window = match crate::maintenance::window::parse(std::path::Path::new("new window"), &text) {
            Ok(mut w) if w.len() == 1 => w.remove(0),
            Ok(_) => return,
            Err(e) => {
                // The form's fields are its lines: say which field, not which line.
                let msg = e.to_string();
                let msg = msg.lines().next().unwrap_or("").split_once(": ").map_or(msg.clone(), |(_, m)| m.to_string());
                form.error = Some(msg);
                return;
            }
        };
        if self.changes.windows.iter().any(|w| w.id == window.id) {
            form.error = Some(format!("id `{}` is taken by another window", window.id));
            return;
        }
        let first = window.schedule.next(self.now);
        let frozen = first.and_then(|o| {
            self.freezes
                .iter()
                .filter(|f| window.services.is_empty() || window.services.iter().any(|s| f.covers(s)))
                .find(|f| f.schedule.between(o.start, o.end).iter().any(|fo| fo.start < o.end && o.start < fo.end))
        });
        let override_reason = (!v[7].is_empty()).then(|| v[7].clone());
        if let (Some(f), None) = (frozen, &override_reason) {
            form.error = Some(format!("it falls in the change freeze `{}`: give a freeze override reason", f.name));
            return;
        }
        let add = crate::maintenance::console::Add { window, override_reason, who };
        self.changes.adds.push(crate::maintenance::console::Edit::Add(Box::new(add)));
        self.changes.form = None;
        self.report("Recording and writing the window…");
    }

    /// `x` on the Changes screen: the id of the window to cancel.
    pub(crate) fn cancel_window_prompt(&mut self) {
        let mut t = ratatui_textarea::TextArea::new(vec![String::new()]);
        t.set_placeholder_text("the id of the window to cancel (its silences are expired)");
        self.changes.cancel = Some(t);
    }

    pub(crate) fn submit_cancel_window(&mut self) {
        let Some(t) = self.changes.cancel.take() else { return };
        let id = t.lines().join("").trim().to_string();
        if !self.changes.windows.iter().any(|w| w.id == id) {
            let known: Vec<&str> = self.changes.windows.iter().map(|w| w.id.as_str()).collect();
            self.report(format!("No window `{id}`: the file has {}", known.join(", ")));
            return;
        }
        let who = self.who();
        self.changes.adds.push(crate::maintenance::console::Edit::Cancel { id, who });
        self.report("Recording and cancelling the window…");
    }

    pub fn take_window_adds(&mut self) -> Vec<crate::maintenance::console::Edit> {
        std::mem::take(&mut self.changes.adds)
    }

    pub fn on_window_added(&mut self, r: Result<String, String>) {
        self.dirty = true;
        match r {
            Ok(m) => self.tell(format!("{m}; the silences follow.")),
            Err(e) => self.report(format!("Not added: {e}")),
        }
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
        self.send_maintenance_exclusions();
    }

    /// Each service's past maintenance (windows marked `exclude_from_slo`) over its SLO window, for the
    /// source to leave out of availability where the SLO allows it.
    fn send_maintenance_exclusions(&mut self) {
        let mut map = BTreeMap::new();
        for v in self.services.iter().filter(|v| v.service.targets.exclude_maintenance) {
            let from = self.now - Duration::from_std(v.service.targets.window).unwrap_or_default();
            let spans: Vec<_> = self
                .changes
                .windows
                .iter()
                .filter(|w| w.exclude_from_slo && w.services.contains(&v.service.name))
                .flat_map(|w| w.schedule.between(from, self.now))
                .map(|o| (o.start, o.end))
                .collect();
            if !spans.is_empty() {
                map.insert(v.service.name.clone(), spans);
            }
        }
        self.commands.push(crate::sources::prometheus::Command::Maintenance(map));
    }

    /// The timeline, newest first, for the chosen service or the whole estate.
    pub fn change_rows(&self) -> Vec<Row> {
        self.change_rows_for(self.changes.service.as_deref())
    }

    /// The timeline for one service (or, with `None`, the estate).
    pub fn change_rows_for(&self, scope: Option<&str>) -> Vec<Row> {
        let mut rows = Vec::new();
        let keep = |s: &str| scope.is_none_or(|x| x == s);
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
        // An action and its outcome are one row: the outcome's (an intent stays only while it has none).
        let outcomes: std::collections::HashSet<(&str, &str)> = self
            .audit
            .entries
            .iter()
            .filter_map(|e| e.action.strip_suffix(".result").map(|a| (a, e.target.as_str())))
            .collect();
        for e in &self.audit.entries {
            if e.result == "intent" && outcomes.contains(&(e.action.as_str(), e.target.as_str())) {
                continue;
            }
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
            if !keep(&service) && !service.is_empty() || (scope.is_some() && service.is_empty()) {
                continue;
            }
            // A silence says what it is for (a window's tag, or the operator's comment).
            let about = serde_json::from_str::<serde_json::Value>(&e.values)
                .ok()
                .and_then(|v| v.get("comment").and_then(|c| c.as_str()).map(|c| c.chars().take(60).collect::<String>()))
                .map(|c| format!(" — {c}"))
                .unwrap_or_default();
            let action = e.action.trim_end_matches(".result");
            let text = format!("{action} {} by {}: {}{about}", e.target, e.user, e.result);
            rows.push(Row { at: at.with_timezone(&Utc), service, kind, text });
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
            if scope.is_some_and(|s| !w.services.iter().any(|x| x == s)) {
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

    /// Deploys in the last 30 days and how many were not rolled back: (succeeded, all). A rollback the
    /// audit trail recorded but the provider's history does not show ([`Self::rollbacks_only_in_trail`])
    /// counts as a deploy rolled back.
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
        (ok, all + self.rollbacks_only_in_trail())
    }

    /// Rollbacks of the last 30 days that the audit trail recorded as done (the service is back on the
    /// earlier version, whether or not its gates then held) and that the service's history does not
    /// show within ten minutes: a provider that was reset since (the demo's estate, after a restart) or
    /// that keeps no causes. Each took back a deploy the history no longer lists.
    pub fn rollbacks_only_in_trail(&self) -> usize {
        let since = self.now - Duration::days(30);
        let near = Duration::minutes(10);
        let shown = |service: &str, at: DateTime<Utc>| {
            self.changes.histories.get(service).and_then(|h| h.as_ref().ok()).is_some_and(|h| {
                (1..h.len()).any(|i| rolled_back(h, i - 1) && h[i].at.is_some_and(|t| (t - at).abs() <= near))
            })
        };
        self.audit
            .entries
            .iter()
            .filter(|e| e.action == "rollback.result")
            .filter(|e| e.result.starts_with("succeeded") || e.result.contains("the gate"))
            .filter_map(|e| Some((e, DateTime::parse_from_rfc3339(&e.at).ok()?.with_timezone(&Utc))))
            .filter(|(e, at)| *at >= since && !shown(&e.target, *at))
            .count()
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
                if w.services.iter().any(|s| s == inc.service.raw()) && !occ.is_empty() {
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
