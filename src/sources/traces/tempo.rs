//! Grafana Tempo's HTTP API (grafana.com/docs/tempo/latest/api_docs/): `/api/search` with `tags`
//! (logfmt), `minDuration`, `start`/`end` in seconds and `limit`; `/api/traces/{id}` answering OTLP JSON
//! (`batches` of resource spans; `resourceSpans` in newer versions and `/api/v2`). Ids may be hex or
//! base64, depending on the version: both are read.
use super::Query;
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;
use crate::traces::{Span, Trace, TraceSummary};
use base64::Engine;
use serde_json::Value;

/// An OTLP id as hex: hex stays, base64 is decoded.
pub fn id_hex(s: &str) -> String {
    let hex = s.len().is_multiple_of(2) && (s.len() == 16 || s.len() == 32) && s.bytes().all(|b| b.is_ascii_hexdigit());
    if hex || s.is_empty() {
        return s.to_ascii_lowercase();
    }
    match base64::engine::general_purpose::STANDARD.decode(s) {
        Ok(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Err(_) => crate::text::sanitize(s).into_owned(),
    }
}

fn nanos(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::String(s)) => s.parse().unwrap_or_default(),
        Some(Value::Number(n)) => n.as_i64().unwrap_or_default(),
        _ => 0,
    }
}

/// An OTLP `AnyValue` as text.
fn any_value(v: &Value) -> String {
    let Some(obj) = v.as_object() else { return v.to_string() };
    match obj.iter().next().map(|(k, v)| (k.as_str(), v)) {
        Some((_, Value::String(s))) => s.clone(),
        Some(("arrayValue", a)) => {
            let vals = a.get("values").and_then(Value::as_array).map(|v| v.iter().map(any_value).collect::<Vec<_>>());
            format!("[{}]", vals.unwrap_or_default().join(", "))
        }
        Some((_, other)) => other.to_string(),
        None => String::new(),
    }
}

fn attributes(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|kv| Some((kv.get("key")?.as_str()?.to_string(), any_value(kv.get("value")?))))
                .collect()
        })
        .unwrap_or_default()
}

/// A trace from OTLP JSON (`{"batches": […]}`, `{"resourceSpans": […]}` or `{"trace": {…}}`).
pub fn trace(id: &str, v: &Value) -> Trace {
    let v = v.get("trace").unwrap_or(v);
    let batches =
        v.get("batches").or_else(|| v.get("resourceSpans")).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut spans = Vec::new();
    for b in &batches {
        let resource = attributes(b.get("resource").and_then(|r| r.get("attributes")));
        let service = resource.iter().find(|(k, _)| k == "service.name").map_or("?", |(_, v)| v.as_str()).to_string();
        let scopes = b.get("scopeSpans").or_else(|| b.get("instrumentationLibrarySpans")).and_then(Value::as_array);
        for scope in scopes.map(|s| s.as_slice()).unwrap_or_default() {
            for s in scope.get("spans").and_then(Value::as_array).map(|s| s.as_slice()).unwrap_or_default() {
                let start = nanos(s.get("startTimeUnixNano"));
                let end = nanos(s.get("endTimeUnixNano"));
                let status = s.get("status").and_then(|st| st.get("code"));
                let error = matches!(status, Some(Value::Number(n)) if n.as_i64() == Some(2))
                    || status.and_then(Value::as_str) == Some("STATUS_CODE_ERROR");
                let events = s
                    .get("events")
                    .and_then(Value::as_array)
                    .map(|e| {
                        e.iter()
                            .map(|e| {
                                let mut text = e.get("name").and_then(Value::as_str).unwrap_or("").to_string();
                                for (k, v) in attributes(e.get("attributes")) {
                                    text.push_str(&format!(" {k}={v}"));
                                }
                                (nanos(e.get("timeUnixNano")) / 1000, Clean::new(&text))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let parent = s.get("parentSpanId").and_then(Value::as_str).filter(|p| !p.is_empty()).map(id_hex);
                spans.push(Span {
                    span_id: id_hex(s.get("spanId").and_then(Value::as_str).unwrap_or("")),
                    parent,
                    service: Clean::new(&service),
                    operation: Clean::new(s.get("name").and_then(Value::as_str).unwrap_or("")),
                    start_us: start / 1000,
                    duration_us: (end - start).max(0) / 1000,
                    error,
                    attributes: attributes(s.get("attributes"))
                        .iter()
                        .map(|(k, v)| (Clean::new(k), Clean::new(v)))
                        .collect(),
                    events,
                });
            }
        }
    }
    Trace { trace_id: id.to_ascii_lowercase(), spans, warnings: Vec::new() }
}

/// The services Tempo has seen: the values of the `service.name` tag.
pub async fn services(http: &HttpClient) -> Result<Vec<String>, FetchError> {
    let body = http.get("api/search/tag/service.name/values", &[]).await?;
    let v: Value = serde_json::from_slice(&body).map_err(|e| FetchError::Decode(Clean::new(&e.to_string())))?;
    Ok(v.get("tagValues")
        .and_then(Value::as_array)
        .map(|a| {
            // Strings in the v1 API, `{"type", "value"}` in v2.
            a.iter().filter_map(|x| x.as_str().or_else(|| x.get("value")?.as_str())).map(str::to_string).collect()
        })
        .unwrap_or_default())
}

/// Tempo's search: summaries (it does not say how many spans failed; an errors-only search marks them).
pub async fn search(http: &HttpClient, q: &Query) -> Result<Vec<TraceSummary>, FetchError> {
    let mut tags: Vec<String> = Vec::new();
    if let Some(s) = &q.service {
        tags.push(format!("service.name={s}"));
    }
    if let Some(o) = &q.operation {
        tags.push(format!("name=\"{o}\""));
    }
    // Tempo maps the reserved tag `status.code` to the span status (unset, ok, error); any other key,
    // `status` included, is matched as an ordinary attribute and finds next to nothing.
    if q.errors_only {
        tags.push("status.code=error".into());
    }
    tags.extend(q.tags.iter().map(|(k, v)| format!("{k}={v}")));
    let mut params = vec![
        ("start", (q.from_us / 1_000_000).to_string()),
        ("end", (q.to_us / 1_000_000).to_string()),
        ("limit", q.limit.to_string()),
    ];
    if !tags.is_empty() {
        params.push(("tags", tags.join(" ")));
    }
    if q.min_duration_us > 0 {
        params.push(("minDuration", format!("{}ms", q.min_duration_us / 1000)));
    }
    let body = http.get("api/search", &params).await?;
    let v: Value = serde_json::from_slice(&body).map_err(|_| FetchError::Api {
        kind: Clean::new("tempo"),
        message: Clean::new(String::from_utf8_lossy(&body[..body.len().min(512)]).trim()),
    })?;
    Ok(v.get("traces")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|t| TraceSummary {
                    trace_id: id_hex(t.get("traceID").and_then(Value::as_str).unwrap_or("")),
                    service: Clean::new(t.get("rootServiceName").and_then(Value::as_str).unwrap_or("")),
                    operation: Clean::new(t.get("rootTraceName").and_then(Value::as_str).unwrap_or("")),
                    start_us: nanos(t.get("startTimeUnixNano")) / 1000,
                    duration_us: t.get("durationMs").and_then(Value::as_i64).unwrap_or_default() * 1000,
                    spans: 0,
                    errors: usize::from(q.errors_only),
                })
                .collect()
        })
        .unwrap_or_default())
}

pub async fn get(http: &HttpClient, id: &str) -> Result<Trace, FetchError> {
    let body = http.get(&format!("api/traces/{id}"), &[]).await?;
    let v: Value = serde_json::from_slice(&body).map_err(|_| FetchError::Api {
        kind: Clean::new("tempo"),
        message: Clean::new(String::from_utf8_lossy(&body[..body.len().min(512)]).trim()),
    })?;
    Ok(trace(id, &v))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ids_hex_or_base64() {
        assert_eq!(id_hex("00F067AA0BA902B7"), "00f067aa0ba902b7");
        assert_eq!(id_hex("APBnqgupArc="), "00f067aa0ba902b7");
    }
}
