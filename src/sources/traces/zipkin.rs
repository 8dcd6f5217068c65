//! Zipkin's API v2 (zipkin.io/zipkin-api/): `/api/v2/services`, `/api/v2/traces?serviceName=…&spanName=…
//! &minDuration=…&endTs=…&lookback=…&limit=…` (a list of traces, each a list of spans) and
//! `/api/v2/trace/{traceId}`; times in microseconds, an `error` tag marks a failed span.
use super::Query;
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;
use crate::traces::{Span, Trace, TraceSummary};
use serde_json::Value;

fn decode(body: &[u8]) -> Result<Value, FetchError> {
    serde_json::from_slice(body).map_err(|_| FetchError::Api {
        kind: Clean::new("zipkin"),
        message: Clean::new(String::from_utf8_lossy(&body[..body.len().min(512)]).trim()),
    })
}

pub fn trace(spans: &[Value]) -> Trace {
    let id = spans.first().and_then(|s| s.get("traceId")).and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
    let spans = spans
        .iter()
        .filter_map(|s| {
            let tags: Vec<(String, String)> = s
                .get("tags")
                .and_then(Value::as_object)
                .map(|t| {
                    t.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                        .collect()
                })
                .unwrap_or_default();
            Some(Span {
                span_id: s.get("id")?.as_str()?.to_string(),
                parent: s.get("parentId").and_then(Value::as_str).map(str::to_string),
                service: Clean::new(
                    s.get("localEndpoint").and_then(|e| e.get("serviceName")).and_then(Value::as_str).unwrap_or("?"),
                ),
                operation: Clean::new(s.get("name").and_then(Value::as_str).unwrap_or("")),
                start_us: s.get("timestamp").and_then(Value::as_i64).unwrap_or_default(),
                duration_us: s.get("duration").and_then(Value::as_i64).unwrap_or_default(),
                error: tags.iter().any(|(k, _)| k == "error"),
                attributes: tags.iter().map(|(k, v)| (Clean::new(k), Clean::new(v))).collect(),
                events: s
                    .get("annotations")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|a| {
                                let ts = a.get("timestamp").and_then(Value::as_i64).unwrap_or_default();
                                (ts, Clean::new(a.get("value").and_then(Value::as_str).unwrap_or("")))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect();
    Trace { trace_id: id, spans, warnings: Vec::new() }
}

pub async fn services(http: &HttpClient) -> Result<Vec<String>, FetchError> {
    let v = decode(&http.get("api/v2/services", &[]).await?)?;
    Ok(v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default())
}

pub async fn operations(http: &HttpClient, service: &str) -> Result<Vec<String>, FetchError> {
    let v = decode(&http.get("api/v2/spans", &[("serviceName", service.to_string())]).await?)?;
    Ok(v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(|s| crate::text::sanitize(s).into_owned()).collect())
        .unwrap_or_default())
}

pub async fn search(http: &HttpClient, q: &Query) -> Result<Vec<TraceSummary>, FetchError> {
    // Zipkin takes milliseconds and refuses an `endTs` or `lookback` below 1: a window shorter than a
    // millisecond, or ending within the first one, is asked as one millisecond.
    let mut params = vec![
        ("endTs", (q.to_us / 1000).max(1).to_string()),
        ("lookback", ((q.to_us - q.from_us) / 1000).max(1).to_string()),
        ("limit", q.limit.to_string()),
    ];
    if let Some(s) = &q.service {
        params.push(("serviceName", s.clone()));
    }
    if let Some(o) = &q.operation {
        params.push(("spanName", o.clone()));
    }
    if q.min_duration_us > 0 {
        params.push(("minDuration", q.min_duration_us.to_string()));
    }
    let mut tags: Vec<String> = q.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if q.errors_only {
        tags.push("error".into());
    }
    if !tags.is_empty() {
        params.push(("annotationQuery", tags.join(" and ")));
    }
    let v = decode(&http.get("api/v2/traces", &params).await?)?;
    Ok(v.as_array()
        .map(|a| a.iter().filter_map(Value::as_array).map(|spans| trace(spans).summary()).collect())
        .unwrap_or_default())
}

pub async fn get(http: &HttpClient, id: &str) -> Result<Trace, FetchError> {
    let v = decode(&http.get(&format!("api/v2/trace/{id}"), &[]).await?)?;
    Ok(trace(v.as_array().map(|a| a.as_slice()).unwrap_or_default()))
}
