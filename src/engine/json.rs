//! Engine results in the shape of the Prometheus HTTP API's JSON (prometheus.io/docs/prometheus/latest/
//! querying/api/#expression-query-result-formats), through the same result type the console's client
//! decodes into.
use super::value::Value;
use crate::sources::prometheus::{QueryResult, Series};
use crate::text::Clean;
use serde_json::json;

pub fn to_series(s: crate::engine::Series) -> Series {
    Series {
        labels: s.labels.into_iter().collect(),
        points: s.samples.iter().map(|(t, v)| (*t as f64 / 1000.0, *v)).collect(),
    }
}

pub fn to_result(v: Value, t: i64) -> QueryResult {
    let secs = t as f64 / 1000.0;
    match v {
        Value::Scalar(x) => QueryResult::Scalar(secs, x),
        Value::String(s) => QueryResult::String(secs, Clean::new(&s)),
        Value::Vector(samples) => QueryResult::Vector(
            samples
                .into_iter()
                .map(|s| to_series(crate::engine::Series { labels: s.labels, samples: vec![(t, s.value)] }))
                .collect(),
        ),
        Value::Matrix(series) => QueryResult::Matrix(series.into_iter().map(to_series).collect()),
    }
}

/// A value as Prometheus writes it in JSON: shortest decimal, `+Inf`, `-Inf`, `NaN`.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

/// The `data` member of a query answer.
pub fn data(r: &QueryResult) -> serde_json::Value {
    let metric = |s: &Series| -> serde_json::Map<String, serde_json::Value> {
        s.labels.iter().map(|(k, v)| (k.to_string(), json!(v.as_str()))).collect()
    };
    match r {
        QueryResult::Scalar(t, v) => json!({"resultType": "scalar", "result": [t, number(*v)]}),
        QueryResult::String(t, s) => json!({"resultType": "string", "result": [t, s.as_str()]}),
        QueryResult::Vector(series) => json!({"resultType": "vector", "result": series.iter().map(|s| {
            let (t, v) = s.points[0];
            json!({"metric": metric(s), "value": [t, number(v)]})
        }).collect::<Vec<_>>()}),
        QueryResult::Matrix(series) => json!({"resultType": "matrix", "result": series.iter().map(|s| {
            json!({"metric": metric(s), "values": s.points.iter().map(|(t, v)| json!([t, number(*v)])).collect::<Vec<_>>()})
        }).collect::<Vec<_>>()}),
    }
}

/// An error answer, as the API gives it.
pub fn error(kind: &str, message: &str) -> serde_json::Value {
    json!({"status": "error", "errorType": kind, "error": message})
}
