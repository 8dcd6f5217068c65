//! Alertmanager's API v2 as JSON (the documented `GettableAlert`, `GettableSilence`, `PostableSilence`),
//! decoded into the console's own types at the edge.
use crate::alerts::matcher::{Matcher, Op};
use crate::alerts::model::{Alert, AlertState, NewSilence, Silence, SilenceState, display_pairs, display_value};
use crate::engine::Labels;
use crate::text::Clean;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawAlert {
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub annotations: Labels,
    pub fingerprint: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    pub status: RawStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawStatus {
    pub state: String,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawMatcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawSilence {
    pub id: String,
    pub status: RawSilenceStatus,
    pub matchers: Vec<RawMatcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Deserialize)]
pub struct RawSilenceStatus {
    pub state: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    #[serde(rename = "silenceID")]
    pub silence_id: String,
}

/// An id as a server gave it, kept only if it is what ids look like (it goes into URLs).
pub fn safe_id(s: &str) -> Option<String> {
    (!s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')).then(|| s.to_string())
}

impl RawAlert {
    pub fn into_alert(self, source: &str) -> Option<Alert> {
        Some(Alert {
            fingerprint: safe_id(&self.fingerprint)?,
            source: source.to_string(),
            labels: display_pairs(&self.labels),
            annotations: display_pairs(&self.annotations),
            raw_labels: self.labels,
            state: match self.status.state.as_str() {
                "active" => AlertState::Active,
                "suppressed" => AlertState::Suppressed,
                _ => AlertState::Unprocessed,
            },
            silenced_by: self.status.silenced_by.iter().filter_map(|s| safe_id(s)).collect(),
            inhibited_by: self.status.inhibited_by.iter().filter_map(|s| safe_id(s)).collect(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            updated_at: self.updated_at,
            generator_url: display_value(&self.generator_url),
        })
    }
}

impl RawSilence {
    pub fn into_silence(self, source: &str) -> Option<Silence> {
        let matchers = self
            .matchers
            .iter()
            .map(|m| Matcher::new(&m.name, Op::from_api(m.is_regex, m.is_equal), &m.value).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(Silence {
            id: safe_id(&self.id)?,
            source: source.to_string(),
            matchers,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            created_by: display_value(&self.created_by),
            comment: display_value(&self.comment),
            state: match self.status.state.as_str() {
                "active" => SilenceState::Active,
                "pending" => SilenceState::Pending,
                _ => SilenceState::Expired,
            },
        })
    }
}

pub fn matcher_json(m: &Matcher) -> serde_json::Value {
    json!({"name": m.name, "value": m.value, "isRegex": m.op.is_regex(), "isEqual": m.op.is_equal()})
}

/// The `PostableSilence` body.
pub fn postable(s: &NewSilence) -> serde_json::Value {
    let mut v = json!({
        "matchers": s.matchers.iter().map(matcher_json).collect::<Vec<_>>(),
        "startsAt": s.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "endsAt": s.ends_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "createdBy": s.created_by,
        "comment": s.comment,
    });
    if let Some(id) = &s.id {
        v["id"] = json!(id);
    }
    v
}

/// An error body (Alertmanager answers 400 with a JSON string, or text).
pub fn error_text(body: &[u8]) -> Clean {
    match serde_json::from_slice::<String>(body) {
        Ok(s) => Clean::new(&s),
        Err(_) => Clean::from_bytes(&body[..body.len().min(512)]),
    }
}
