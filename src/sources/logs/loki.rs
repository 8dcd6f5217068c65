//! Loki's HTTP API (grafana.com/docs/loki/latest/reference/loki-http-api/): `query_range` for a range
//! of lines, `labels` and `label/<name>/values` for completion, and the `tail` websocket. Multi-tenant
//! Loki takes its tenant in `X-Scope-OrgID` (the source's `tenant`).
use crate::config::HttpSource;
use crate::logs::LogLine;
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone)]
pub struct Loki {
    pub http: HttpClient,
    pub source: HttpSource,
}

#[derive(Deserialize)]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    error: Option<String>,
}

/// A query's `data`: `result` is read by its `resultType` (a metric query answers a `matrix` of
/// `metric` and `values`, or a `vector`, not `streams`).
#[derive(Deserialize)]
struct QueryData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

/// One stream: its labels and `[timestamp ns as a string, line]` values. Loki puts structured metadata
/// and parsed labels into the stream's labels; asked with the `categorize-labels` encoding flag it sends
/// them apart, as a third element `{"structuredMetadata": {…}, "parsed": {…}}`: both are read.
#[derive(Deserialize)]
pub struct Stream {
    pub stream: BTreeMap<String, String>,
    pub values: Vec<Vec<serde_json::Value>>,
}

/// A tail message: new lines, and entries the server dropped because the client was too slow.
#[derive(Deserialize)]
pub struct TailMessage {
    #[serde(default)]
    pub streams: Vec<Stream>,
    #[serde(default)]
    pub dropped_entries: Option<Vec<serde_json::Value>>,
}

/// Lines of several streams, merged into time order.
pub fn lines_of(streams: &[Stream]) -> Vec<LogLine> {
    let mut out = Vec::new();
    for s in streams {
        let labels: Vec<(&str, &str)> = s.stream.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        for v in &s.values {
            let ts = v.first().and_then(|t| t.as_str()).and_then(|t| t.parse::<i64>().ok());
            let line = v.get(1).and_then(|l| l.as_str());
            if let (Some(ts), Some(line)) = (ts, line) {
                // Categorized labels (a third element) are shown with the stream's.
                let mut all = labels.clone();
                let meta = v.get(2).map(categorized).unwrap_or_default();
                all.extend(meta.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                out.push(LogLine::new(ts, line, &all));
            }
        }
    }
    out.sort_by_key(|l| l.ts_ns);
    out
}

/// The labels of a value's third element: `structuredMetadata` and `parsed`, each an object of strings.
fn categorized(v: &serde_json::Value) -> Vec<(String, String)> {
    ["structuredMetadata", "parsed"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(|m| m.as_object()))
        .flat_map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))))
        .collect()
}

fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, FetchError> {
    // Invalid UTF-8 in a line must not cost the whole answer: it is shown as U+FFFD.
    match serde_json::from_str::<Envelope<T>>(&String::from_utf8_lossy(body)) {
        Ok(Envelope { status, data: Some(d), .. }) if status == "success" => Ok(d),
        Ok(e) => Err(FetchError::Api {
            kind: Clean::new("loki"),
            message: Clean::new(e.error.as_deref().unwrap_or("the answer had no data")),
        }),
        // Loki refuses a bad query with 400 and a plain-text reason.
        Err(_) => Err(FetchError::Api {
            kind: Clean::new("loki"),
            message: Clean::new(String::from_utf8_lossy(&body[..body.len().min(512)]).trim()),
        }),
    }
}

impl Loki {
    pub fn new(source: &HttpSource) -> Result<Self, String> {
        Ok(Loki { http: HttpClient::new(&source.name, source)?, source: source.clone() })
    }

    /// Lines matching `query` in `[from, to]` (ns): the newest `limit` of them, in time order.
    pub async fn query_range(&self, query: &str, from: i64, to: i64, limit: usize) -> Result<Vec<LogLine>, FetchError> {
        let q = [
            ("query", query.to_string()),
            ("start", from.to_string()),
            ("end", to.to_string()),
            ("limit", limit.to_string()),
            ("direction", "backward".to_string()),
        ];
        let body = self.http.get("loki/api/v1/query_range", &q).await?;
        let data: QueryData = decode(&body)?;
        if data.result_type != "streams" {
            let what = match data.result_type.as_str() {
                "matrix" | "vector" | "scalar" => "a metric query",
                _ => "not a log query",
            };
            let message = format!(
                "{what} (Loki answered a {}): the log view shows lines — use a log query such as \
                 {{app=\"x\"}} |= \"error\", and the explorer for metrics",
                crate::text::sanitize(&data.result_type)
            );
            return Err(FetchError::Api { kind: Clean::new("loki"), message: Clean::new(&message) });
        }
        let streams: Vec<Stream> = serde_json::from_value(data.result)
            .map_err(|e| FetchError::Decode(Clean::new(&format!("Loki's streams: {e}"))))?;
        Ok(lines_of(&streams))
    }

    pub async fn labels(&self) -> Result<Vec<String>, FetchError> {
        decode(&self.http.get("loki/api/v1/labels", &[]).await?)
    }

    pub async fn label_values(&self, name: &str) -> Result<Vec<String>, FetchError> {
        let path = format!(
            "loki/api/v1/label/{}/values",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        );
        decode(&self.http.get(&path, &[]).await?)
    }

    /// The tail websocket's URL for `query` from `start` (ns).
    pub fn tail_url(&self, query: &str, start: i64, limit: usize) -> Result<url::Url, String> {
        let mut u = self.http.base().join("loki/api/v1/tail").map_err(|e| e.to_string())?;
        let scheme = if u.scheme() == "https" { "wss" } else { "ws" };
        u.set_scheme(scheme).map_err(|_| "cannot make a websocket URL".to_string())?;
        u.query_pairs_mut()
            .append_pair("query", query)
            .append_pair("start", &start.to_string())
            .append_pair("limit", &limit.to_string());
        Ok(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With `categorize-labels`, Loki (`encodeStream`) writes each value as a triple whose third
    /// element holds structured metadata and parsed labels apart from the stream's.
    #[test]
    fn categorized_labels_are_read() {
        let s: Stream = serde_json::from_value(serde_json::json!({
            "stream": {"app": "shop"},
            "values": [
                ["2", "paid", {"structuredMetadata": {"traceID": "00f067aa0ba902b7"}, "parsed": {"level": "info"}}],
                ["1", "plain", {}]
            ]
        }))
        .unwrap();
        let lines = lines_of(&[s]);
        assert_eq!(lines[0].text.as_str(), "plain");
        assert_eq!(lines[1].trace_id.as_deref(), Some("00f067aa0ba902b7"));
        assert!(
            lines[1].labels.iter().any(|(k, v)| k.as_str() == "level" && v.as_str() == "info"),
            "{:?}",
            lines[1].labels
        );
    }
}
