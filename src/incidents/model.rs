//! An incident as the console holds it: sanitized for display, ids validated for URLs.
use crate::text::Clean;
use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Triggered,
    Acknowledged,
    Resolved,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Triggered => "triggered",
            Status::Acknowledged => "acknowledged",
            Status::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "acknowledged" => Status::Acknowledged,
            "resolved" => Status::Resolved,
            _ => Status::Triggered,
        }
    }
}

/// Which service reported an incident (their commands differ).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    #[default]
    PagerDuty,
    Opsgenie,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub source: Source,
    pub id: String,
    pub number: u64,
    pub title: Clean,
    pub status: Status,
    pub urgency: Clean,
    /// The PagerDuty service's name, and the watchpost service it maps to (by name), if any.
    pub service: Clean,
    pub assignees: Vec<Clean>,
    pub escalation_level: u32,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub url: Clean,
}

/// One line of an incident's log (PagerDuty's log entries).
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub at: DateTime<Utc>,
    /// `trigger`, `acknowledge`, `annotate` (a note), `resolve`, `assign`, `escalate`, …
    pub kind: String,
    pub summary: Clean,
    pub agent: Clean,
}
