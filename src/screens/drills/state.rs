//! The Drills screen's state: the scenarios, the selection, the drill in progress, and what it asks of
//! the estate (taken by the loop, which sends it to the demo).
use crate::app::state::App;
use crate::drills::session::Effect;
use crate::drills::{DrillRun, Phase, Scenario};
use crate::engine::Labels;
use chrono::{DateTime, Utc};
use rand::Rng;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Drills {
    pub scenarios: Vec<Scenario>,
    pub selected: usize,
    /// The current drill, or the last one (with its score) until another starts.
    pub run: Option<DrillRun>,
    /// A one-line message for the screen (why a key did nothing).
    pub notice: Option<String>,
    pub(crate) effects: Vec<Effect>,
    /// The matchers of the silences the trainee made for the drill's alerts while it was on: expired
    /// when it ends, so the next drill's alerts are not silenced by this one's.
    pub(crate) silenced: Vec<Vec<crate::alerts::matcher::Matcher>>,
}

impl Drills {
    /// The trainee did `what` ("the logs") to `service`: the drill's detection, if it concerns the
    /// service.
    pub(crate) fn saw(&mut self, now: DateTime<Utc>, service: &str, what: &str) {
        if let Some(r) = self.run.as_mut().filter(|r| r.scenario.concerns(service)) {
            r.detect(now, &format!("by {what} of {service}"));
        }
    }

    /// Whether the alert with these raw labels is the active drill's.
    pub(crate) fn is_drill_alert(&self, labels: &Labels) -> bool {
        self.run.as_ref().is_some_and(|r| r.is_active() && r.scenario.concerns_alert(labels))
    }

    /// The trainee did `what` ("a silence") to the alert with these raw labels: the drill's detection,
    /// if the alert is the drill's.
    pub(crate) fn saw_alert(&mut self, now: DateTime<Utc>, labels: &Labels, what: &str) {
        if let Some(r) = self.run.as_mut().filter(|r| r.scenario.concerns_alert(labels)) {
            let name = labels.get("alertname").map_or("", String::as_str);
            r.detect(now, &format!("by {what} of {name}"));
        }
    }
}

impl App {
    pub fn selected_scenario(&self) -> Option<&Scenario> {
        self.drills.scenarios.get(self.drills.selected)
    }

    /// Arm the selected drill: now, or at a random time within the scenario's `random_within`.
    pub fn start_drill(&mut self, random: bool) {
        let Some(s) = self.selected_scenario().cloned() else { return };
        self.arm_drill(s, random);
    }

    pub fn arm_drill(&mut self, s: Scenario, random: bool) {
        if !self.demo {
            self.drills.notice = Some("Drills run on the built-in estate: start `watchpost drill run NAME`.".into());
            return;
        }
        if self.drills.run.as_ref().is_some_and(DrillRun::is_active) {
            self.drills.notice = Some("A drill is already in progress: mitigate (m) or abort (x) it first.".into());
            return;
        }
        let delay = if random {
            let max = s.random_within.as_secs().max(1);
            Duration::from_secs(rand::rng().random_range(0..=max))
        } else {
            Duration::ZERO
        };
        self.drills.notice = None;
        self.drills.silenced.clear();
        self.drills.run = Some(DrillRun::arm(s, self.now, delay, random));
        self.tick_drill(self.now);
    }

    pub fn mitigate_drill(&mut self) {
        let now = self.now;
        match self.drills.run.as_mut().and_then(|r| r.mitigate(now)) {
            Some(e) => self.drills.effects.push(e),
            None => self.drills.notice = Some("No fault in effect to mitigate.".into()),
        }
    }

    pub fn abort_drill(&mut self) {
        let now = self.now;
        if let Some(e) = self.drills.run.as_mut().and_then(|r| r.abort(now)) {
            self.drills.effects.push(e);
        }
        // Silences are noted only while a drill is on: after one that was not, there are none.
        self.expire_drill_silences();
    }

    /// The drill is over: the silences the trainee made for its alerts go with it (asked of the
    /// Alertmanager as any expiry is, so the audit trail has them), and the screen says so. Only those
    /// made here, by this console's author, with the same matchers: not a silence someone else made.
    fn expire_drill_silences(&mut self) {
        let made = std::mem::take(&mut self.drills.silenced);
        if made.is_empty() {
            return;
        }
        let ids: Vec<String> = self
            .alerts
            .silences
            .iter()
            .filter(|s| s.state != crate::alerts::model::SilenceState::Expired)
            .filter(|s| s.created_by.as_str() == self.alerts.author && made.contains(&s.matchers))
            .map(|s| s.id.clone())
            .collect();
        if ids.is_empty() {
            return;
        }
        self.drills.notice = Some(format!(
            "The drill is over: expiring the {} silence{} made for its alerts.",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" }
        ));
        for id in ids {
            self.alerts.commands.push(crate::sources::alertmanager::AlertCommand::ExpireSilence { id });
        }
        self.dirty = true;
    }

    /// An operator's action on the built-in estate (a runbook step in a drill, a rollback): kept for
    /// the change list. On the drill's service it is a detection, and if it ended the drill's fault,
    /// the drill is mitigated by it.
    pub fn on_estate_change(&mut self, c: crate::estate::changes::Change) {
        self.dirty = true;
        let now = self.now;
        if let Some(r) = self.drills.run.as_mut().filter(|r| r.scenario.concerns(&c.service)) {
            let cause = if c.cause.is_empty() { String::new() } else { format!(": {}", c.cause) };
            let by = format!("by {} of {} ({}{cause})", c.action.name(), c.service, c.by);
            r.detect(now, &by);
            if c.mitigated && r.scenario.service == c.service && r.mitigated_by(now, &by) {
                self.drills.notice = Some(format!("Fault ended {by}."));
            }
        }
        if self.estate_changes.len() == 200 {
            self.estate_changes.pop_front();
        }
        self.estate_changes.push_back(c);
    }

    /// The trainee did `what` to `service`, now: detection, if the drill concerns it.
    pub(crate) fn drill_saw(&mut self, service: &str, what: &str) {
        self.drills.saw(self.now, service, what);
    }

    /// Whether the services the drill concerns are back within their SLO, by figures fetched after
    /// the fault ended: every target up, error ratio and p95 within the objectives.
    fn drill_services_healthy(&self, run: &DrillRun) -> bool {
        let Some(ended) = run.fault_ended_at else { return false };
        let concerned: Vec<_> = self.services.iter().filter(|v| run.scenario.concerns(&v.service.name)).collect();
        !concerned.is_empty()
            && concerned.iter().all(|v| {
                let t = &v.service.targets;
                v.figures.as_ref().is_some_and(|f| {
                    f.at > ended
                        && f.up.is_some_and(|(up, all)| up == all && all > 0)
                        && f.error_ratio.is_some_and(|e| e <= t.error_rate)
                        && f.p95.is_some_and(|p| p <= t.latency_p95.as_secs_f64())
                })
            })
    }

    pub(crate) fn tick_drill(&mut self, now: DateTime<Utc>) {
        let Some(run) = &self.drills.run else { return };
        if !run.is_active() {
            return;
        }
        let healthy = run.phase == Phase::Recovering && self.drill_services_healthy(run);
        if let Some(run) = self.drills.run.as_mut() {
            let before = run.phase;
            self.drills.effects.extend(run.tick(now, healthy));
            if run.phase != before {
                self.dirty = true;
                if !run.is_active() {
                    self.expire_drill_silences();
                }
            }
        }
    }

    /// What the drill asks of the estate since last time.
    pub fn take_drill_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.drills.effects)
    }
}
