//! Incidents (PagerDuty) and their timelines, merged with the alerts and silences that concern them.
pub mod model;
pub mod timeline;
