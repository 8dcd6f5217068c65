//! Jaeger's HTTP JSON API, the one its UI uses (jaegertracing.io/docs/latest/apis/ — "HTTP JSON
//! (internal)"): `/api/services`, `/api/services/{service}/operations`, `/api/traces?service=…&operation=…
//! &tags={json}&minDuration=…&start=…&end=…&limit=…` and `/api/traces/{traceID}`; spans reference their
//! parent (`CHILD_OF`), processes carry the service name, times are microseconds.
use super::Query;
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;
use crate::traces::{Span, Trace, TraceSummary};
use serde_json::Value;

fn api_error(v: &Value) -> Option<FetchError> {
    let e = v.get("errors")?.as_array()?.first()?;
    let msg = e.get("msg").and_then(Value::as_str).unwrap_or("error");
    Some(FetchError::Api { kind: Clean::new("jaeger"), message: Clean::new(msg) })
}

fn decode(body: &[u8]) -> Result<Value, FetchError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| FetchError::Decode(Clean::new(&e.to_string())))?;
    match api_error(&v) {
        Some(e) => Err(e),
        None => Ok(v),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One trace of Jaeger's JSON.
pub fn trace(v: &Value) -> Trace {
    let id = v.get("traceID").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let processes = v.get("processes");
    let mut warnings = Vec::new();
    let spans = v
        .get("spans")
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            let span_id = s.get("spanID")?.as_str()?.to_string();
            let parent = s
                .get("references")
                .and_then(Value::as_array)
                .and_then(|r| {
                    r.iter()
                        .find(|r| r.get("refType").and_then(Value::as_str) == Some("CHILD_OF"))
                        .or_else(|| r.first())
                })
                .and_then(|r| r.get("spanID"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    s.get("parentSpanID")
                        .and_then(Value::as_str)
                        .filter(|p| !p.is_empty() && *p != "0")
                        .map(str::to_string)
                });
            let service = s
                .get("processID")
                .and_then(Value::as_str)
                .and_then(|p| processes?.get(p)?.get("serviceName")?.as_str())
                .or_else(|| s.get("process")?.get("serviceName")?.as_str())
                .unwrap_or("?");
            let tags: Vec<(String, String)> = s
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(|t| Some((t.get("key")?.as_str()?.to_string(), value_text(t.get("value")?))))
                        .collect()
                })
                .unwrap_or_default();
            let error =
                tags.iter().any(|(k, v)| (k == "error" && v == "true") || (k == "otel.status_code" && v == "ERROR"));
            let events = s
                .get("logs")
                .and_then(Value::as_array)
                .map(|logs| {
                    logs.iter()
                        .map(|l| {
                            let ts = l.get("timestamp").and_then(Value::as_i64).unwrap_or_default();
                            let fields: Vec<String> = l
                                .get("fields")
                                .and_then(Value::as_array)
                                .map(|f| {
                                    f.iter()
                                        .filter_map(|f| {
                                            let k = f.get("key")?.as_str()?;
                                            let v = value_text(f.get("value")?);
                                            Some(if k == "event" || k == "message" { v } else { format!("{k}={v}") })
                                        })
                                        .collect()
                                })
                                .unwrap_or_default();
                            (ts, Clean::new(&fields.join(" ")))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(Span {
                span_id,
                parent,
                service: Clean::new(service),
                operation: Clean::new(s.get("operationName").and_then(Value::as_str).unwrap_or("")),
                start_us: s.get("startTime").and_then(Value::as_i64).unwrap_or_default(),
                duration_us: s.get("duration").and_then(Value::as_i64).unwrap_or_default(),
                error,
                attributes: tags.iter().map(|(k, v)| (Clean::new(k), Clean::new(v))).collect(),
                events,
            })
        })
        .collect();
    if let Some(w) = v.get("warnings").and_then(Value::as_array) {
        warnings.extend(w.iter().filter_map(Value::as_str).map(|s| crate::text::sanitize(s).into_owned()));
    }
    Trace { trace_id: id, spans, warnings }
}

pub async fn services(http: &HttpClient) -> Result<Vec<String>, FetchError> {
    let v = decode(&http.get("api/services", &[]).await?)?;
    Ok(v.get("data")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default())
}

pub async fn operations(http: &HttpClient, service: &str) -> Result<Vec<String>, FetchError> {
    let path = format!(
        "api/services/{}/operations",
        url::form_urlencoded::byte_serialize(service.as_bytes()).collect::<String>()
    );
    let v = decode(&http.get(&path, &[]).await?)?;
    Ok(v.get("data")
        .and_then(Value::as_array)
        .map(|a| {
            // Older Jaeger lists names; `/api/operations` lists objects with a `name`.
            a.iter()
                .filter_map(|o| o.as_str().or_else(|| o.get("name")?.as_str()))
                .map(|s| crate::text::sanitize(s).into_owned())
                .collect()
        })
        .unwrap_or_default())
}

pub async fn search(http: &HttpClient, q: &Query) -> Result<Vec<TraceSummary>, FetchError> {
    let mut params = vec![
        ("service", q.service.clone().unwrap_or_default()),
        ("start", (q.from_us).to_string()),
        ("end", (q.to_us).to_string()),
        ("limit", q.limit.to_string()),
    ];
    if let Some(op) = &q.operation {
        params.push(("operation", op.clone()));
    }
    if q.min_duration_us > 0 {
        params.push(("minDuration", format!("{}us", q.min_duration_us)));
    }
    let mut tags = serde_json::Map::new();
    for (k, v) in &q.tags {
        tags.insert(k.clone(), Value::String(v.clone()));
    }
    if q.errors_only {
        tags.insert("error".into(), Value::String("true".into()));
    }
    if !tags.is_empty() {
        params.push(("tags", Value::Object(tags).to_string()));
    }
    let v = decode(&http.get("api/traces", &params).await?)?;
    Ok(v.get("data")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|t| trace(t).summary()).collect())
        .unwrap_or_default())
}

pub async fn get(http: &HttpClient, id: &str) -> Result<Trace, FetchError> {
    let v = decode(&http.get(&format!("api/traces/{id}"), &[]).await?)?;
    v.get("data")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .map(trace)
        .ok_or_else(|| FetchError::Api { kind: Clean::new("jaeger"), message: Clean::new("trace not found") })
}
