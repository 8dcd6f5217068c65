//! The API's JSON as documented (prometheus.io/docs/prometheus/latest/querying/api/), decoded into
//! owned values whose every label and message has passed the sanitizer.
use crate::sources::http::FetchError;
use crate::text::Clean;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    infos: Vec<String>,
}

/// The `data` of a successful response, with the warnings and infos Prometheus attached.
pub struct Answer<T> {
    pub data: T,
    pub warnings: Vec<Clean>,
}

pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<Answer<T>, FetchError> {
    let env: Envelope<T> = serde_json::from_slice(body).map_err(|e| FetchError::Decode(Clean::new(&e.to_string())))?;
    let mut warnings: Vec<Clean> = env.warnings.iter().map(|w| Clean::new(w)).collect();
    warnings.extend(env.infos.iter().map(|i| Clean::new(&format!("info: {i}"))));
    match (env.status.as_str(), env.data) {
        ("success", Some(data)) => Ok(Answer { data, warnings }),
        _ => Err(FetchError::Api {
            kind: Clean::new(env.error_type.as_deref().unwrap_or("error")),
            message: Clean::new(env.error.as_deref().unwrap_or("the server gave no reason")),
        }),
    }
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub enum RawData {
    Vector(Vec<RawSeries>),
    Matrix(Vec<RawSeries>),
    Scalar((f64, String)),
    String((f64, String)),
}

#[derive(Deserialize)]
pub struct RawSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: Option<(f64, String)>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// One series: its labels as Prometheus sent them (raw: they name the series in the next query) and
/// (unix seconds, value) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: Vec<(String, String)>,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// `name{a="b", c="d"}` for tables and legends: escaped for drawing, each value capped.
    pub fn display_name(&self) -> String {
        let shown = |s: &str| crate::text::capped(s, MAX_SHOWN_LABEL).into_owned();
        let name = self.labels.iter().find(|(k, _)| k.as_str() == "__name__").map(|(_, v)| shown(v));
        let rest: Vec<String> = self
            .labels
            .iter()
            .filter(|(k, _)| k.as_str() != "__name__")
            .map(|(k, v)| format!("{}=\"{}\"", shown(k), shown(v)))
            .collect();
        match (name, rest.is_empty()) {
            (Some(n), true) => n,
            (n, _) => format!("{}{{{}}}", n.unwrap_or_default(), rest.join(", ")),
        }
    }
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v.as_str())
    }
    pub fn last(&self) -> Option<f64> {
        self.points.last().map(|p| p.1)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum QueryResult {
    Vector(Vec<Series>),
    Matrix(Vec<Series>),
    Scalar(f64, f64),
    String(f64, Clean),
}

impl QueryResult {
    pub fn series(&self) -> &[Series] {
        match self {
            QueryResult::Vector(s) | QueryResult::Matrix(s) => s,
            _ => &[],
        }
    }
    /// A condition's answer, as alerting rules read it: it holds when the query returns any series (or
    /// a scalar other than 0).
    pub fn holds(&self) -> bool {
        !self.series().is_empty() || self.single().is_some_and(|v| v != 0.0)
    }
    /// The single value of a one-element vector or a scalar (what the service figures use).
    pub fn single(&self) -> Option<f64> {
        let v = match self {
            QueryResult::Vector(s) if s.len() == 1 => s[0].last(),
            QueryResult::Scalar(_, v) => Some(*v),
            _ => None,
        }?;
        v.is_finite().then_some(v)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueryOutcome {
    pub result: QueryResult,
    pub warnings: Vec<Clean>,
}

fn value(s: &str) -> f64 {
    // Prometheus writes "NaN", "+Inf", "-Inf"; Rust's parser accepts those spellings.
    s.parse().unwrap_or(f64::NAN)
}

/// The longest label value a legend or table shows (the rest is counted).
pub const MAX_SHOWN_LABEL: usize = 200;

fn series(raw: RawSeries) -> Series {
    let labels = raw.metric.into_iter().collect();
    let mut points: Vec<(f64, f64)> = raw.values.iter().map(|(t, v)| (*t, value(v))).collect();
    if let Some((t, v)) = raw.value {
        points.push((t, value(&v)));
    }
    Series { labels, points }
}

impl From<RawData> for QueryResult {
    fn from(d: RawData) -> Self {
        match d {
            RawData::Vector(v) => QueryResult::Vector(v.into_iter().map(series).collect()),
            RawData::Matrix(m) => QueryResult::Matrix(m.into_iter().map(series).collect()),
            RawData::Scalar((t, v)) => QueryResult::Scalar(t, value(&v)),
            RawData::String((t, s)) => QueryResult::String(t, Clean::new(&s)),
        }
    }
}

#[derive(Deserialize)]
pub struct RawTargets {
    #[serde(rename = "activeTargets", default)]
    pub active: Vec<RawTarget>,
}

#[derive(Deserialize)]
pub struct RawTarget {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(rename = "scrapeUrl", default)]
    scrape_url: String,
    #[serde(default)]
    health: String,
    #[serde(rename = "lastError", default)]
    last_error: String,
    #[serde(rename = "lastScrape")]
    last_scrape: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(rename = "lastScrapeDuration", default)]
    last_scrape_duration: f64,
}

/// A scrape target as `/api/v1/targets` describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Raw: it names the job (the service it belongs to).
    pub job: String,
    pub instance: String,
    pub scrape_url: Clean,
    pub health: Clean,
    pub last_error: Clean,
    pub last_scrape: Option<chrono::DateTime<chrono::Utc>>,
    pub last_scrape_duration: f64,
}

impl From<RawTarget> for Target {
    fn from(t: RawTarget) -> Self {
        let label = |k: &str| t.labels.get(k).cloned().unwrap_or_default();
        Target {
            job: label("job"),
            instance: label("instance"),
            scrape_url: Clean::new(&t.scrape_url),
            health: Clean::new(&t.health),
            last_error: Clean::new(&t.last_error),
            last_scrape: t.last_scrape,
            last_scrape_duration: t.last_scrape_duration,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn decodes_documented_shapes() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"up","job":"x\u001b[2J"},"value":[1435781451.781,"1"]}]},
            "warnings":["careful\u202e"]}"#;
        let a = decode::<RawData>(body).unwrap();
        let r = QueryResult::from(a.data);
        assert_eq!(r.single(), Some(1.0));
        // Raw for naming (the next query), escaped where drawn.
        assert_eq!(r.series()[0].label("job"), Some("x\u{1b}[2J"));
        assert_eq!(r.series()[0].display_name(), "up{job=\"x\\e[2J\"}");
        assert_eq!(a.warnings[0].as_str(), "careful\\u{202e}");
        let err = br#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#;
        assert!(matches!(decode::<RawData>(err), Err(FetchError::Api { .. })));
        let inf = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}}"#;
        assert_eq!(QueryResult::from(decode::<RawData>(inf).unwrap().data).single(), None);
    }
}
