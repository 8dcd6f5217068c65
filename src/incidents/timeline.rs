//! One timeline per incident: its own log (triggered, acknowledged, notes, reassigned, resolved), the
//! alerts of its service firing and resolving, and the silences made over them, in time order.
use super::model::{Incident, LogEntry};
use crate::alerts::model::{Alert, Silence};
use crate::text::Clean;
use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    AlertFired,
    AlertResolved,
    Silence,
    Incident,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub kind: Kind,
    pub what: String,
    pub who: Clean,
}

/// The merged timeline. `service` is the watchpost service the incident is about (its alerts and
/// silences are those whose `service` or `job` label names it).
pub fn build(
    incident: &Incident,
    log: &[LogEntry],
    alerts: &[Alert],
    silences: &[Silence],
    service: &str,
) -> Vec<Entry> {
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
        if let Some(end) = a.ends_at.filter(|e| *e <= Utc::now()) {
            out.push(Entry {
                at: end,
                kind: Kind::AlertResolved,
                what: format!("alert {} resolved", a.name()),
                who: Clean::default(),
            });
        }
    }
    for s in
        silences.iter().filter(|s| ours.iter().any(|a| crate::alerts::matcher::matches_all(&s.matchers, &a.raw_labels)))
    {
        let what = format!("silence until {}: {}", s.ends_at.format("%H:%M"), s.comment);
        out.push(Entry { at: s.starts_at, kind: Kind::Silence, what, who: s.created_by.clone() });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::model::{AlertState, display_pairs};
    use crate::incidents::model::Status;

    fn at(m: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-29T01:00:00Z").unwrap().with_timezone(&Utc)
            + chrono::Duration::minutes(m.into())
    }

    #[test]
    fn log_alerts_and_silences_in_time_order() {
        let raw: crate::engine::Labels =
            [("alertname".into(), "HighLatency".into()), ("job".into(), "payments".into())].into();
        let alert = Alert {
            fingerprint: "f".into(),
            source: "am".into(),
            labels: display_pairs(&raw),
            annotations: vec![],
            raw_labels: raw,
            state: AlertState::Active,
            silenced_by: vec![],
            inhibited_by: vec![],
            starts_at: at(0),
            ends_at: Some(at(20)),
            updated_at: None,
            generator_url: Clean::default(),
        };
        let silence = Silence {
            id: "s".into(),
            source: "am".into(),
            matchers: crate::alerts::matcher::parse(r#"job="payments""#).unwrap(),
            starts_at: at(4),
            ends_at: at(64),
            created_by: "alice".into(),
            comment: "rolling back".into(),
            state: crate::alerts::model::SilenceState::Active,
        };
        let inc = Incident {
            source: Default::default(),
            id: "P1".into(),
            number: 1,
            title: "slow".into(),
            status: Status::Acknowledged,
            urgency: "high".into(),
            service: "payments".into(),
            assignees: vec![],
            escalation_level: 1,
            created_at: at(1),
            resolved_at: None,
            url: Clean::default(),
        };
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
        let t = build(&inc, &log, std::slice::from_ref(&alert), std::slice::from_ref(&silence), "payments");
        let kinds: Vec<Kind> = t.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [Kind::AlertFired, Kind::Incident, Kind::Incident, Kind::Silence, Kind::AlertResolved]);
        assert_eq!(t[2].what, "acknowledge: Acknowledged");
        assert!(build(&inc, &log, &[alert], &[silence], "checkout").iter().all(|e| e.kind == Kind::Incident));
    }
}
