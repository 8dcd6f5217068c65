//! One drill, as the console runs it: armed (now, or at a random time the trainee is not told),
//! running, waiting for the service to be back within its SLO, done; and its score. Pure state: the
//! clock comes in, fault injections go out.
use super::scenario::Scenario;
use crate::estate::fault::Fault;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Drills are scored against the MTTR target.
pub const MTTR_TARGET: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for its start time.
    Armed,
    /// The fault is in effect.
    Running,
    /// The fault has ended (mitigated, or it ran its course); waiting for the service's figures to be
    /// back within its SLO.
    Recovering,
    Done,
    Aborted,
}

/// What the drill asks of the estate.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Inject(Fault),
    /// End the faults active at this time (unix seconds).
    EndFaults(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct DrillRun {
    pub scenario: Scenario,
    pub phase: Phase,
    pub armed_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    /// The start is not shown until the drill is over.
    pub hidden_start: bool,
    pub started_at: Option<DateTime<Utc>>,
    /// When the trainee first acted on the drill's service or alert (opened its detail, logs, traces or
    /// runbook, silenced or acknowledged it, changed it), and what that was: "by the logs of payments".
    pub detected_at: Option<DateTime<Utc>>,
    pub detected_by: Option<String>,
    /// When the fault ended, and whether the trainee ended it.
    pub fault_ended_at: Option<DateTime<Utc>>,
    pub mitigated: bool,
    /// What ended the fault: "by hand (m)", or the estate change a runbook or a rollback made.
    pub mitigated_by: Option<String>,
    /// Runbooks run against the estate while the drill was on.
    pub runbooks: Vec<String>,
    pub recovered_at: Option<DateTime<Utc>>,
}

/// Times from the fault's start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    pub time_to_detect: Option<Duration>,
    /// To the action that ended the fault; none when it ran its course.
    pub time_to_mitigate: Option<Duration>,
    /// To the service's figures back within its SLO: the drill's end.
    pub time_to_recover: Duration,
    /// Mitigated, and back within SLO inside the MTTR target.
    pub met_target: bool,
}

fn since(a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
    (b - a).to_std().unwrap_or_default()
}

impl DrillRun {
    /// Arm a drill to start after `delay`; `hidden` keeps the start time from the screen.
    pub fn arm(scenario: Scenario, now: DateTime<Utc>, delay: Duration, hidden: bool) -> Self {
        let starts_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
        DrillRun {
            scenario,
            phase: Phase::Armed,
            armed_at: now,
            starts_at,
            hidden_start: hidden,
            started_at: None,
            detected_at: None,
            detected_by: None,
            fault_ended_at: None,
            mitigated: false,
            mitigated_by: None,
            runbooks: Vec::new(),
            recovered_at: None,
        }
    }

    fn fault_until(&self) -> Option<DateTime<Utc>> {
        self.started_at.map(|s| s + chrono::Duration::from_std(self.scenario.duration).unwrap_or_default())
    }

    /// Advance to `now`; `healthy` says whether the scenario's service is within its SLO by the
    /// console's current figures. Returns what to do to the estate.
    pub fn tick(&mut self, now: DateTime<Utc>, healthy: bool) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.phase == Phase::Armed && now >= self.starts_at {
            self.phase = Phase::Running;
            self.started_at = Some(now);
            let from = now.timestamp_millis() as f64 / 1000.0;
            out.push(Effect::Inject(Fault {
                service: self.scenario.service_index(),
                kind: self.scenario.fault.clone(),
                from,
                until: from + self.scenario.duration.as_secs_f64(),
            }));
        }
        if self.phase == Phase::Running && self.fault_until().is_some_and(|u| now >= u) {
            self.phase = Phase::Recovering;
            self.fault_ended_at = self.fault_until();
        }
        if self.phase == Phase::Recovering && healthy {
            self.phase = Phase::Done;
            self.recovered_at = Some(now);
        }
        out
    }

    /// The trainee acted on the drill's service or alert (`by` says how): the first such action while
    /// the fault is in effect is the detection.
    pub fn detect(&mut self, now: DateTime<Utc>, by: &str) {
        if self.phase == Phase::Running && self.detected_at.is_none() {
            self.detected_at = Some(now);
            self.detected_by = Some(by.to_string());
        }
    }

    /// The trainee applied the mitigation by hand: the fault ends now.
    pub fn mitigate(&mut self, now: DateTime<Utc>) -> Option<Effect> {
        self.mitigated_by(now, "by hand (m)").then(|| Effect::EndFaults(now.timestamp_millis() as f64 / 1000.0))
    }

    /// The estate says an action ended the fault (a runbook step, a rollback): `by` says which. The
    /// fault has ended already; true when this drill was running. The action that fixed it is an action
    /// on the service, so it is the detection too when nothing came before it.
    pub fn mitigated_by(&mut self, now: DateTime<Utc>, by: &str) -> bool {
        if self.phase != Phase::Running {
            return false;
        }
        self.detect(now, by);
        self.phase = Phase::Recovering;
        self.fault_ended_at = Some(now);
        self.mitigated = true;
        self.mitigated_by = Some(by.to_string());
        true
    }

    /// A runbook was run against the estate during the drill.
    pub fn used_runbook(&mut self, id: &str) {
        if self.is_active() && !self.runbooks.iter().any(|r| r == id) {
            self.runbooks.push(id.to_string());
        }
    }

    /// Stop the drill; an injected fault is ended.
    pub fn abort(&mut self, now: DateTime<Utc>) -> Option<Effect> {
        let was_running = self.phase == Phase::Running;
        if matches!(self.phase, Phase::Done | Phase::Aborted) {
            return None;
        }
        self.phase = Phase::Aborted;
        was_running.then(|| Effect::EndFaults(now.timestamp_millis() as f64 / 1000.0))
    }

    /// Time since arming: the clock a trainee sees (the start itself may be hidden).
    pub fn clock(&self, now: DateTime<Utc>) -> Duration {
        let end = self.recovered_at.filter(|_| !self.clock_runs()).unwrap_or(now);
        since(self.armed_at, end)
    }

    /// Whether the drill's clock still moves: it stops when the drill is over and the service back.
    pub fn clock_runs(&self) -> bool {
        !(self.phase == Phase::Done && self.recovered_at.is_some())
    }

    /// The score once the drill is over.
    pub fn score(&self) -> Option<Score> {
        if self.phase != Phase::Done {
            return None;
        }
        let start = self.started_at?;
        let time_to_recover = since(start, self.recovered_at?);
        Some(Score {
            time_to_detect: self.detected_at.map(|d| since(start, d)),
            time_to_mitigate: self.fault_ended_at.filter(|_| self.mitigated).map(|m| since(start, m)),
            time_to_recover,
            met_target: self.mitigated && time_to_recover <= MTTR_TARGET,
        })
    }

    pub fn is_active(&self) -> bool {
        matches!(self.phase, Phase::Armed | Phase::Running | Phase::Recovering)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An aborted drill's clock goes on counting (the screen redraws it); it stops only when the drill
    /// is over and the service is back.
    #[test]
    fn the_clock_runs_until_recovery() {
        let s = crate::drills::scenario::built_in().remove(0);
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let mut d = DrillRun::arm(s, t0, Duration::from_secs(120), true);
        assert!(d.clock_runs());
        d.abort(t0 + chrono::Duration::minutes(1));
        assert!(d.clock_runs(), "aborted: still counting from its arming");
        assert_eq!(d.clock(t0 + chrono::Duration::minutes(3)), Duration::from_secs(180));
    }

    #[test]
    fn armed_running_mitigated_recovered_scored() {
        let s = crate::drills::scenario::built_in().remove(0);
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let at = |m: i64| t0 + chrono::Duration::minutes(m);
        let mut d = DrillRun::arm(s, t0, Duration::from_secs(120), true);
        assert!(d.tick(at(1), true).is_empty());
        d.detect(at(1), "by the detail of payments");
        assert_eq!(d.detected_at, None, "nothing to detect before the start");
        let fx = d.tick(at(2), true);
        assert!(matches!(&fx[..], [Effect::Inject(f)] if f.until - f.from == 1200.0), "{fx:?}");
        assert_eq!(d.phase, Phase::Running);
        assert!(d.tick(at(3), true).is_empty(), "healthy figures do not end a running fault");
        d.detect(at(5), "by the logs of payments");
        d.detect(at(6), "by the detail of payments");
        assert!(matches!(d.mitigate(at(9)), Some(Effect::EndFaults(_))));
        assert_eq!(d.detected_by.as_deref(), Some("by the logs of payments"), "the first action is the detection");
        d.tick(at(10), false);
        assert_eq!(d.phase, Phase::Recovering);
        d.tick(at(12), true);
        let score = d.score().unwrap();
        assert_eq!(score.time_to_detect, Some(Duration::from_secs(180)));
        assert_eq!(score.time_to_mitigate, Some(Duration::from_secs(420)), "to the mitigation");
        assert_eq!(score.time_to_recover, Duration::from_secs(600), "to back within SLO");
        assert!(score.met_target);
        assert_eq!(d.clock(at(30)), Duration::from_secs(12 * 60), "the clock stops at recovery");
    }

    #[test]
    fn a_fault_left_to_run_its_course_misses_the_target() {
        let s = crate::drills::scenario::built_in().remove(0);
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let mut d = DrillRun::arm(s, t0, Duration::ZERO, false);
        d.tick(t0, true);
        d.tick(t0 + chrono::Duration::minutes(20), false);
        assert_eq!(d.phase, Phase::Recovering);
        d.tick(t0 + chrono::Duration::minutes(22), true);
        let score = d.score().unwrap();
        assert_eq!(score.time_to_mitigate, None, "nothing fixed it");
        assert_eq!(score.time_to_recover, Duration::from_secs(22 * 60));
        assert!(!score.met_target);
    }

    /// A fault fixed through the estate with nothing done about it before: the fixing action was the
    /// first on the service, so it is the detection as well.
    #[test]
    fn the_action_that_fixed_it_is_a_detection() {
        let s = crate::drills::scenario::built_in().remove(0);
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let at = |m: i64| t0 + chrono::Duration::minutes(m);
        let mut d = DrillRun::arm(s, t0, Duration::ZERO, false);
        d.tick(t0, true);
        assert!(d.mitigated_by(at(6), "by rollback of payments (ann)"));
        d.detect(at(7), "by the logs of payments");
        assert_eq!((d.detected_at, d.detected_by.as_deref()), (Some(at(6)), Some("by rollback of payments (ann)")));
        d.tick(at(8), true);
        let score = d.score().unwrap();
        assert_eq!(score.time_to_detect, score.time_to_mitigate);
        assert_eq!(score.time_to_recover, Duration::from_secs(8 * 60));
    }
}
