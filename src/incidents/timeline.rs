//! One timeline per incident: its own log (triggered, acknowledged, notes, reassigned, resolved), the
//! alerts of its service firing and resolving, and the silences made over them, in time order.
use super::model::{Incident, LogEntry};
use crate::alerts::matcher::{Matcher, matches_all, to_text};
use crate::alerts::model::{Alert, Silence};
use crate::text::Clean;
use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    AlertFired,
    AlertResolved,
    /// A silence taking hold: until when, and whether an alert of the service it covers still fires
    /// (its end then lets that alert through).
    Silence {
        until: DateTime<Utc>,
        firing: bool,
    },
    SilenceEnded,
    Incident,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub kind: Kind,
    pub what: String,
    pub who: Clean,
}

/// The merged timeline as of `now`. The incident is about the watchpost service named as its
/// service: its alerts are those whose `service` or `job` label names it, and its silences those
/// [`about`] it while the incident lasted.
pub fn build(
    incident: &Incident,
    log: &[LogEntry],
    alerts: &[Alert],
    silences: &[Silence],
    now: DateTime<Utc>,
) -> Vec<Entry> {
    let service = incident.service.raw();
    let mut out: Vec<Entry> = log
        .iter()
        .map(|l| Entry {
            at: l.at,
            kind: Kind::Incident,
            what: format!("{}: {}", l.kind.trim_end_matches("_log_entry"), l.summary),
            who: l.agent.clone(),
        })
        .collect();
    let ours: Vec<&Alert> = alerts.iter().filter(|a| a.service() == Some(service)).collect();
    for a in &ours {
        out.push(Entry {
            at: a.starts_at,
            kind: Kind::AlertFired,
            what: format!("alert {} fired: {}", a.name(), a.summary()),
            who: Clean::default(),
        });
        if let Some(end) = a.ends_at.filter(|e| *e <= now) {
            out.push(Entry {
                at: end,
                kind: Kind::AlertResolved,
                what: format!("alert {} resolved", a.name()),
                who: Clean::default(),
            });
        }
    }
    let from = ours.iter().map(|a| a.starts_at).fold(incident.created_at, DateTime::min);
    let during = |s: &Silence| s.ends_at >= from && incident.resolved_at.is_none_or(|end| s.starts_at <= end);
    for s in silences.iter().filter(|s| during(s) && about(s, service, &ours)) {
        out.extend(silence_entries(s, &ours, now));
    }
    if log.is_empty() {
        out.push(Entry {
            at: incident.created_at,
            kind: Kind::Incident,
            what: format!("triggered: {}", incident.title),
            who: Clean::default(),
        });
    }
    out.sort_by_key(|a| (a.at, a.kind));
    out
}

/// Whether a silence is about the service: it covers one of the service's alerts, or one of its
/// matchers picks the service out by name (`service` or `job`), as the console's silences of an
/// alert and the maintenance windows' silences do. The service's alerts may have resolved and left
/// the Alertmanager since: the silence made for them still belongs to the incident.
pub fn about(s: &Silence, service: &str, ours: &[&Alert]) -> bool {
    ours.iter().any(|a| matches_all(&s.matchers, &a.raw_labels)) || s.matchers.iter().any(|m| names(m, service))
}

/// A `service` or `job` matcher that takes this name and is not one that takes any name.
fn names(m: &Matcher, service: &str) -> bool {
    matches!(m.name.as_str(), "service" | "job")
        && m.op.is_equal()
        && m.matches_value(service)
        && !m.matches_any_value()
}

/// A silence at its start (who made it, what it matches and why; until when it holds is drawn as of
/// the moment drawn), and at its end once that has passed.
fn silence_entries(s: &Silence, ours: &[&Alert], now: DateTime<Utc>) -> Vec<Entry> {
    let matchers = to_text(&s.matchers);
    let firing = ours.iter().any(|a| a.ends_at.is_none_or(|e| e > now) && matches_all(&s.matchers, &a.raw_labels));
    let mut out = vec![Entry {
        at: s.starts_at,
        kind: Kind::Silence { until: s.ends_at, firing },
        what: format!("silenced {matchers}: {}", s.comment),
        who: s.created_by.clone(),
    }];
    if s.ends_at <= now {
        out.push(Entry {
            at: s.ends_at,
            kind: Kind::SilenceEnded,
            what: format!("silence ended: {matchers}"),
            who: Clean::default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::model::{AlertState, SilenceState, display_pairs};
    use crate::incidents::model::Status;

    fn at(m: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-29T01:00:00Z").unwrap().with_timezone(&Utc) + chrono::Duration::minutes(m)
    }

    fn alert(job: &str, from: i64, to: Option<i64>) -> Alert {
        let raw: crate::engine::Labels =
            [("alertname".into(), "HighLatency".into()), ("job".into(), job.into())].into();
        Alert {
            fingerprint: "f".into(),
            source: "am".into(),
            labels: display_pairs(&raw),
            annotations: vec![],
            raw_labels: raw,
            state: AlertState::Active,
            silenced_by: vec![],
            inhibited_by: vec![],
            starts_at: at(from),
            ends_at: to.map(at),
            updated_at: None,
            generator_url: Clean::default(),
        }
    }

    fn silence(id: &str, matchers: &str, from: i64, to: i64) -> Silence {
        Silence {
            id: id.into(),
            source: "am".into(),
            matchers: crate::alerts::matcher::parse(matchers).unwrap(),
            starts_at: at(from),
            ends_at: at(to),
            created_by: "alice".into(),
            comment: "rolling back".into(),
            state: SilenceState::Active,
        }
    }

    fn incident(service: &str, from: i64, resolved: Option<i64>) -> Incident {
        Incident {
            source: Default::default(),
            id: "P1".into(),
            number: 1,
            title: "slow".into(),
            status: if resolved.is_some() { Status::Resolved } else { Status::Acknowledged },
            urgency: "high".into(),
            service: service.into(),
            assignees: vec![],
            escalation_level: 1,
            created_at: at(from),
            resolved_at: resolved.map(at),
            url: Clean::default(),
        }
    }

    fn silence_lines(t: &[Entry]) -> Vec<&str> {
        t.iter().filter(|e| matches!(e.kind, Kind::Silence { .. })).map(|e| e.what.as_str()).collect()
    }

    #[test]
    fn log_alerts_and_silences_in_time_order() {
        let alert = alert("payments", 0, Some(20));
        let silence = silence("s", r#"alertname="HighLatency""#, 4, 64);
        let log = [
            LogEntry {
                at: at(1),
                kind: "trigger_log_entry".into(),
                summary: "Triggered".into(),
                agent: "Prometheus".into(),
            },
            LogEntry {
                at: at(3),
                kind: "acknowledge_log_entry".into(),
                summary: "Acknowledged".into(),
                agent: "alice".into(),
            },
        ];
        let inc = incident("payments", 1, None);
        let t = build(&inc, &log, std::slice::from_ref(&alert), std::slice::from_ref(&silence), at(30));
        let kinds: Vec<Kind> = t.iter().map(|e| e.kind).collect();
        let silenced = Kind::Silence { until: at(64), firing: false };
        assert_eq!(kinds, [Kind::AlertFired, Kind::Incident, Kind::Incident, silenced, Kind::AlertResolved]);
        assert_eq!(t[2].what, "acknowledge: Acknowledged");
        assert_eq!(t[3].what, r#"silenced alertname="HighLatency": rolling back"#);
        assert_eq!(t[3].who.as_str(), "alice");
        let elsewhere = incident("checkout", 1, None);
        assert!(build(&elsewhere, &log, &[alert], &[silence], at(30)).iter().all(|e| e.kind == Kind::Incident));
    }

    /// The service's alert resolved and left the Alertmanager: the silences that name the service stay
    /// on its incident's timeline; one that names nothing in particular, or another service, does not.
    #[test]
    fn a_silence_naming_the_service_stays_after_its_alerts_are_gone() {
        let inc = incident("payments", 0, None);
        let silences = [
            silence("console", r#"alertname="HighLatency", job="payments", severity="page""#, 2, 62),
            silence("window", r#"job=~"checkout|payments""#, 3, 63),
            silence("by-service", r#"service="payments""#, 4, 64),
            silence("any-job", r#"job=~".+", alertname="DiskFull""#, 5, 65),
            silence("other", r#"job="checkout""#, 6, 66),
            silence("alertname-only", r#"alertname="HighLatency""#, 7, 67),
        ];
        let t = build(&inc, &[], &[alert("checkout", 0, None)], &silences, at(10));
        assert_eq!(silence_lines(&t).len(), 3, "{t:#?}");
        assert!(t.iter().any(|e| e.what.starts_with(r#"silenced job=~"checkout|payments""#)));
        assert!(!t.iter().any(|e| e.what.contains("DiskFull") || e.what.contains(r#"job="checkout""#)));
    }

    /// Silences over the service before the incident began (its alerts' start, if earlier) or after it
    /// was resolved are another story.
    #[test]
    fn only_the_silences_in_force_during_the_incident() {
        let inc = incident("payments", 30, Some(90));
        let ours = [alert("payments", 20, Some(80))];
        let silences = [
            silence("before", r#"job="payments""#, -600, 10),
            silence("from-the-alert", r#"job="payments""#, 0, 25),
            silence("during", r#"job="payments""#, 40, 100),
            silence("after", r#"job="payments""#, 95, 200),
        ];
        let t = build(&inc, &[], &ours, &silences, at(300));
        let starts: Vec<DateTime<Utc>> =
            t.iter().filter(|e| matches!(e.kind, Kind::Silence { .. })).map(|e| e.at).collect();
        assert_eq!(starts, [at(0), at(40)]);
    }

    /// A silence whose end has passed has it on the timeline too; one still holding over a firing
    /// alert says so (its end lets the alert through).
    #[test]
    fn a_silence_ends_on_the_timeline_and_says_whether_its_alerts_still_fire() {
        let inc = incident("payments", 0, None);
        let ours = [alert("payments", 0, None)];
        let silences = [silence("ended", r#"job="payments""#, 1, 20), silence("holding", r#"job="payments""#, 25, 40)];
        let t = build(&inc, &[], &ours, &silences, at(30));
        let kinds: Vec<Kind> = t.iter().skip(2).map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Silence { until: at(20), firing: true },
                Kind::SilenceEnded,
                Kind::Silence { until: at(40), firing: true }
            ]
        );
        assert_eq!(t[3].at, at(20));
        assert_eq!(t[3].what, r#"silence ended: job="payments""#);
        let quiet = build(&inc, &[], &[alert("payments", 0, Some(10))], &silences[1..], at(30));
        assert!(quiet.iter().any(|e| e.kind == Kind::Silence { until: at(40), firing: false }));
    }
}
