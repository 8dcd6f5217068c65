//! Rule evaluation with Prometheus's semantics: recording rules write their result back as new series;
//! alerting rules go inactive → pending → firing after `for`, stay firing for `keep_firing_for`, write
//! `ALERTS` and `ALERTS_FOR_STATE`, and keep resolved alerts for a while so they can be reported.
use super::file::{Group, Kind, Rule};
use super::template::{Data, go_g};
use crate::engine::store::{NAME, STALE};
use crate::engine::{Engine, Labels, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Resolved alerts are kept this long (Prometheus keeps them 15 minutes, to tell Alertmanager).
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertState {
    Pending,
    Firing,
    Inactive,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Inactive => "inactive",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub labels: Labels,
    pub annotations: BTreeMap<String, String>,
    pub state: AlertState,
    pub value: f64,
    /// Milliseconds: when the expression first returned it, when it started firing, when it resolved.
    pub active_at: i64,
    pub fired_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub last_seen: i64,
}

impl Alert {
    /// The value as the API reports it (Go's `%e`-free shortest form, as strconv 'e' -1 writes it).
    pub fn value_text(&self) -> String {
        let s = format!("{:e}", self.value);
        match s.split_once('e') {
            Some((m, e)) if self.value.is_finite() => {
                let e: i32 = e.parse().unwrap_or(0);
                format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
            }
            _ => go_g(self.value, -1),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleState {
    /// `Some(error)` after a failed evaluation; `None` when it last succeeded (or never ran).
    pub last_error: Option<String>,
    pub last_evaluation: Option<i64>,
    pub evaluation_seconds: f64,
    /// Alerting rules: active and recently resolved alerts, by their label set.
    pub alerts: BTreeMap<Labels, Alert>,
    /// Recording rules: the series written last time (to mark the ones that vanish stale).
    written: BTreeSet<Labels>,
}

impl RuleState {
    pub fn health(&self) -> &'static str {
        match (&self.last_error, self.last_evaluation) {
            (Some(_), _) => "err",
            (None, Some(_)) => "ok",
            (None, None) => "unknown",
        }
    }

    /// An alerting rule's state: the worst of its alerts.
    pub fn state(&self) -> AlertState {
        let states = self.alerts.values().map(|a| a.state);
        if states.clone().any(|s| s == AlertState::Firing) {
            AlertState::Firing
        } else if states.clone().any(|s| s == AlertState::Pending) {
            AlertState::Pending
        } else {
            AlertState::Inactive
        }
    }
}

/// Groups, their rules' state, and when each group is next due.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub groups: Vec<Group>,
    pub states: Vec<Vec<RuleState>>,
    pub last_group_evaluation: Vec<Option<(i64, f64)>>,
    /// Labels added to every alert (and `$externalLabels` in templates).
    pub external: Labels,
}

impl Rules {
    pub fn new(groups: Vec<Group>) -> Self {
        let states = groups.iter().map(|g| vec![RuleState::default(); g.rules.len()]).collect();
        let last = vec![None; groups.len()];
        Rules { groups, states, last_group_evaluation: last, external: Labels::new() }
    }

    /// Evaluate every group whose interval has come round at `t` (ms), in order, writing results into
    /// the engine's store. A group is due once per interval-aligned slot.
    pub fn run_due(&mut self, engine: &mut Engine, t: i64) {
        for g in 0..self.groups.len() {
            let every = self.groups[g].interval.as_millis() as i64;
            let slot = t.div_euclid(every) * every;
            let due = self.last_group_evaluation[g].is_none_or(|(last, _)| last.div_euclid(every) * every < slot);
            if due {
                self.evaluate_group(g, engine, t);
            }
        }
    }

    /// Evaluate one group at `t`: each rule sees the series the rules before it wrote.
    pub fn evaluate_group(&mut self, g: usize, engine: &mut Engine, t: i64) {
        let started = std::time::Instant::now();
        for r in 0..self.groups[g].rules.len() {
            let rule_started = std::time::Instant::now();
            let rule = &self.groups[g].rules[r];
            let limit = self.groups[g].limit;
            let result = engine.instant(&rule.expr, t).map_err(|e| e.0).and_then(|v| match v {
                Value::Vector(v) if limit > 0 && v.len() > limit => {
                    Err(format!("exceeded limit of {limit} with {} series", v.len()))
                }
                Value::Vector(v) => Ok(v.into_iter().map(|s| (s.labels, s.value)).collect::<Vec<_>>()),
                Value::Scalar(x) => Ok(vec![(Labels::new(), x)]),
                other => Err(format!("rule result is a {}, not an instant vector", other.kind())),
            });
            let state = &mut self.states[g][r];
            state.last_evaluation = Some(t);
            match result {
                Ok(samples) => {
                    state.last_error = match &rule.kind {
                        Kind::Record(name) => record(rule, name, samples, state, engine, t),
                        Kind::Alert { .. } => alert(rule, samples, state, &self.external, engine, t),
                    };
                }
                Err(e) => state.last_error = Some(e),
            }
            state.evaluation_seconds = rule_started.elapsed().as_secs_f64();
        }
        self.last_group_evaluation[g] = Some((t, started.elapsed().as_secs_f64()));
    }

    /// Every alert of every rule (pending, firing, and resolved within the retention), with its rule.
    pub fn alerts(&self) -> impl Iterator<Item = (&Rule, &Alert)> {
        self.groups
            .iter()
            .zip(&self.states)
            .flat_map(|(g, s)| g.rules.iter().zip(s))
            .flat_map(|(r, s)| s.alerts.values().map(move |a| (r, a)))
    }
}

fn record(
    rule: &Rule,
    name: &str,
    samples: Vec<(Labels, f64)>,
    state: &mut RuleState,
    engine: &mut Engine,
    t: i64,
) -> Option<String> {
    let mut out: BTreeMap<Labels, f64> = BTreeMap::new();
    for (mut l, v) in samples {
        l.insert(NAME.to_string(), name.to_string());
        for (k, (text, _)) in &rule.labels {
            if text.is_empty() {
                l.remove(k);
            } else {
                l.insert(k.clone(), text.clone());
            }
        }
        if out.insert(l, v).is_some() {
            return Some("vector contains metrics with the same labelset after applying rule labels".into());
        }
    }
    let written: BTreeSet<Labels> = out.keys().cloned().collect();
    for gone in state.written.difference(&written) {
        engine.store.append(gone.clone(), t, STALE);
    }
    for (l, v) in out {
        engine.store.append(l, t, v);
    }
    state.written = written;
    None
}

fn alert(
    rule: &Rule,
    samples: Vec<(Labels, f64)>,
    state: &mut RuleState,
    external: &Labels,
    engine: &mut Engine,
    t: i64,
) -> Option<String> {
    let Kind::Alert { name, for_, keep_firing_for, annotations } = &rule.kind else { return None };
    let mut error = None;
    let mut seen = BTreeSet::new();
    for (mut l, value) in samples {
        l.remove(NAME);
        let data = Data { labels: &l, external, value };
        let mut labels = l.clone();
        for (k, (_, tpl)) in &rule.labels {
            let text = tpl.expand(&data).unwrap_or_else(|(text, e)| {
                error.get_or_insert(format!("label {k}: {e}"));
                text
            });
            if text.is_empty() {
                labels.remove(k);
            } else {
                labels.insert(k.clone(), text);
            }
        }
        labels.insert("alertname".into(), name.clone());
        let annotations: BTreeMap<String, String> = annotations
            .iter()
            .map(|(k, (_, tpl))| {
                let text = tpl.expand(&data).unwrap_or_else(|(text, e)| {
                    error.get_or_insert(format!("annotation {k}: {e}"));
                    text
                });
                (k.clone(), text)
            })
            .collect();
        if !seen.insert(labels.clone()) {
            return Some("vector contains metrics with the same labelset after applying alert labels".into());
        }
        let a = state.alerts.entry(labels.clone()).or_insert_with(|| Alert {
            labels,
            annotations: BTreeMap::new(),
            state: AlertState::Pending,
            value,
            active_at: t,
            fired_at: None,
            resolved_at: None,
            last_seen: t,
        });
        if a.state == AlertState::Inactive {
            *a = Alert { state: AlertState::Pending, active_at: t, fired_at: None, resolved_at: None, ..a.clone() };
        }
        a.value = value;
        a.annotations = annotations;
        a.last_seen = t;
    }
    let for_ms = for_.as_millis() as i64;
    let keep_ms = keep_firing_for.as_millis() as i64;
    state.alerts.retain(|labels, a| {
        if !seen.contains(labels) {
            match a.state {
                AlertState::Pending => return false,
                AlertState::Firing if t - a.last_seen < keep_ms => {}
                AlertState::Firing => {
                    a.state = AlertState::Inactive;
                    a.resolved_at = Some(t);
                }
                AlertState::Inactive => {
                    return a.resolved_at.is_some_and(|r| t - r < RESOLVED_RETENTION_MS);
                }
            }
        } else if a.state == AlertState::Pending && t - a.active_at >= for_ms {
            a.state = AlertState::Firing;
            a.fired_at = Some(t);
        }
        true
    });
    for a in state.alerts.values() {
        let mut series = a.labels.clone();
        series.insert(NAME.into(), "ALERTS".into());
        series.insert("alertstate".into(), a.state.as_str().into());
        let mut for_state = a.labels.clone();
        for_state.insert(NAME.into(), "ALERTS_FOR_STATE".into());
        match a.state {
            AlertState::Inactive if a.resolved_at == Some(t) => {
                series.insert("alertstate".into(), "firing".into());
                engine.store.append(series, t, STALE);
                engine.store.append(for_state, t, STALE);
            }
            AlertState::Inactive => {}
            s => {
                if s == AlertState::Firing && a.fired_at == Some(t) && for_ms > 0 {
                    let mut pending = series.clone();
                    pending.insert("alertstate".into(), "pending".into());
                    engine.store.append(pending, t, STALE);
                }
                engine.store.append(series, t, 1.0);
                engine.store.append(for_state, t, a.active_at as f64 / 1000.0);
            }
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Store;
    use crate::rules::file::parse;
    use std::path::Path;

    const RULES: &str = "groups:
  - name: g
    interval: 15s
    rules:
      - record: job:x:sum
        expr: sum by (job) (x)
      - alert: XHigh
        expr: job:x:sum > 10
        for: 30s
        labels:
          severity: page
          team: '{{ $labels.job }}-team'
        annotations:
          summary: '{{ $labels.job }} is at {{ $value }}'
";

    fn at(engine: &Engine, q: &str, t: i64) -> Vec<(Labels, f64)> {
        match engine.instant(q, t).unwrap() {
            Value::Vector(v) => v.into_iter().map(|s| (s.labels, s.value)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pending_then_firing_then_resolved() {
        let groups = parse(Path::new("r.yml"), RULES).unwrap();
        let mut rules = Rules::new(groups);
        let mut engine = Engine::new(Store::default());
        let x = |job: &str| -> Labels { [(NAME.into(), "x".into()), ("job".into(), job.into())].into() };
        let mut states = Vec::new();
        for step in 0..12 {
            let t = 1_000_000 + step * 15_000;
            let v = if (2..8).contains(&step) { 20.0 } else { 1.0 };
            engine.store.append(x("a"), t, v);
            rules.run_due(&mut engine, t);
            states.push(rules.states[0][1].state());
        }
        use AlertState::*;
        assert_eq!(
            states,
            [
                Inactive, Inactive, Pending, Pending, Firing, Firing, Firing, Firing, Inactive, Inactive, Inactive,
                Inactive
            ]
        );
        let (rule, a) = rules.alerts().next().unwrap();
        assert_eq!(rule.name(), "XHigh");
        assert_eq!(a.labels.get("team").map(String::as_str), Some("a-team"));
        assert_eq!(a.annotations["summary"], "a is at 20");
        assert_eq!(a.active_at, 1_030_000);
        assert_eq!(a.fired_at, Some(1_060_000));
        assert_eq!(a.resolved_at, Some(1_120_000));
        // ALERTS while firing, gone (stale) once resolved.
        let firing = at(&engine, "ALERTS{alertstate=\"firing\"}", 1_105_000);
        assert_eq!(firing.len(), 1);
        assert_eq!(firing[0].0.get("severity").map(String::as_str), Some("page"));
        assert!(at(&engine, "ALERTS{alertstate=\"pending\"}", 1_105_000).is_empty(), "pending marked stale");
        assert!(at(&engine, "ALERTS", 1_125_000).is_empty(), "resolved: stale at once, not after 5 minutes");
        assert_eq!(at(&engine, "ALERTS_FOR_STATE", 1_105_000)[0].1, 1_030.0);
        assert_eq!(at(&engine, "job:x:sum", 1_105_000)[0].1, 20.0);
    }

    #[test]
    fn errors_are_kept_per_rule() {
        let text = "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: limitk(1, x)\n";
        let mut rules = Rules::new(parse(Path::new("r.yml"), text).unwrap());
        let mut engine = Engine::new(Store::default());
        rules.run_due(&mut engine, 60_000);
        assert_eq!(rules.states[0][0].health(), "err");
        assert!(rules.states[0][0].last_error.as_deref().unwrap().contains("limitk"));
    }

    #[test]
    fn value_as_the_api_writes_it() {
        let a = |value| Alert {
            labels: Labels::new(),
            annotations: BTreeMap::new(),
            state: AlertState::Firing,
            value,
            active_at: 0,
            fired_at: None,
            resolved_at: None,
            last_seen: 0,
        };
        assert_eq!(a(1.0).value_text(), "1e+00");
        assert_eq!(a(0.0123).value_text(), "1.23e-02");
        assert_eq!(a(f64::NAN).value_text(), "NaN");
    }
}
