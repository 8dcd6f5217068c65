//! Elasticsearch and OpenSearch: `POST /{index}/_search` with a time range, a query string and a sort,
//! paged with `search_after` (elastic.co/guide/en/elasticsearch/reference/current/paginate-search-results.html;
//! OpenSearch's search API is the same). Which fields hold the time, message, level, service and trace id
//! is the config's mapping.
use crate::config::{ElasticConfig, ElasticFields};
use crate::logs::LogLine;
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;
use serde_json::{Value, json};

/// Hits asked for per page (Elasticsearch's default `index.max_result_window` is 10 000).
pub const PAGE: usize = 1000;

#[derive(Clone)]
pub struct Elastic {
    pub http: HttpClient,
    pub index: String,
    pub fields: ElasticFields,
}

/// A field by its dotted name: a flat key (`"log.level": …`) or a path through objects.
fn field<'a>(src: &'a Value, name: &str) -> Option<&'a Value> {
    src.get(name).or_else(|| name.split('.').try_fold(src, |v, k| v.get(k)))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Array(a) => a.first().and_then(text),
        other => Some(other.to_string()),
    }
}

/// A timestamp as documents hold it: RFC 3339 (with or without zone), or epoch milliseconds.
fn ts_ns(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_f64().map(|ms| (ms * 1e6) as i64),
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_nanos_opt().unwrap_or(0))
            .or_else(|_| s.parse::<f64>().map(|ms| (ms * 1e6) as i64))
            .ok()
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .and_then(|t| t.and_utc().timestamp_nanos_opt())
            }),
        _ => None,
    }
}

impl Elastic {
    pub fn new(c: &ElasticConfig) -> Result<Self, String> {
        Ok(Elastic {
            http: HttpClient::new(&c.source.name, &c.source)?,
            index: c.index.clone(),
            fields: c.fields.clone(),
        })
    }

    /// The search body for one page.
    pub fn body(&self, query: &str, from_ns: i64, to_ns: i64, size: usize, after: Option<&Value>) -> Value {
        let f = &self.fields;
        let range = json!({"range": {&f.timestamp: {"gte": from_ns / 1_000_000, "lte": to_ns / 1_000_000, "format": "epoch_millis"}}});
        let mut must = Vec::new();
        if !query.trim().is_empty() && query.trim() != "*" {
            must.push(json!({"query_string": {"query": query, "default_field": f.message}}));
        }
        let mut sort = vec![json!({&f.timestamp: {"order": "desc"}})];
        if let Some(t) = &f.tiebreaker {
            sort.push(json!({t: {"order": "desc"}}));
        }
        let mut body = json!({
            "size": size,
            "track_total_hits": false,
            "query": {"bool": {"filter": [range], "must": must}},
            "sort": sort,
        });
        if let Some(a) = after {
            body["search_after"] = a.clone();
        }
        body
    }

    /// The newest `limit` documents matching `query` in `[from, to]` (ns), in time order.
    pub async fn search(
        &self,
        query: &str,
        from_ns: i64,
        to_ns: i64,
        limit: usize,
    ) -> Result<Vec<LogLine>, FetchError> {
        let path = format!("{}/_search", self.index.trim_matches('/'));
        let mut out: Vec<LogLine> = Vec::new();
        let mut after: Option<Value> = None;
        while out.len() < limit {
            let size = PAGE.min(limit - out.len());
            let body = self.http.query_json(&path, &self.body(query, from_ns, to_ns, size, after.as_ref())).await?;
            let v: Value = serde_json::from_slice(&body).map_err(|e| FetchError::Decode(Clean::new(&e.to_string())))?;
            if let Some(e) = v.get("error") {
                let reason = field(e, "root_cause.0.reason")
                    .or_else(|| e.get("root_cause").and_then(|r| r.get(0)).and_then(|r| r.get("reason")))
                    .or_else(|| e.get("reason"))
                    .and_then(text)
                    .unwrap_or_else(|| e.to_string());
                let kind = e.get("type").and_then(text).unwrap_or_else(|| "error".into());
                return Err(FetchError::Api { kind: Clean::new(&kind), message: Clean::new(&reason) });
            }
            let hits = v.pointer("/hits/hits").and_then(Value::as_array).cloned().unwrap_or_default();
            let n = hits.len();
            for h in &hits {
                if let Some(l) = self.line(h) {
                    out.push(l);
                }
            }
            after = hits.last().and_then(|h| h.get("sort")).cloned();
            if n < size || after.is_none() {
                break;
            }
        }
        out.sort_by_key(|l| l.ts_ns);
        Ok(out)
    }

    fn line(&self, hit: &Value) -> Option<LogLine> {
        let src = hit.get("_source")?;
        let f = &self.fields;
        let ts = field(src, &f.timestamp).and_then(ts_ns)?;
        let message = field(src, &f.message).and_then(text).unwrap_or_default();
        let mut labels: Vec<(String, String)> = Vec::new();
        for (name, key) in [("level", &f.level), ("service", &f.service), ("trace_id", &f.trace_id)] {
            if let Some(v) = field(src, key).and_then(text) {
                labels.push((name.to_string(), v));
            }
        }
        if let Some(i) = hit.get("_index").and_then(text) {
            labels.push(("_index".into(), i));
        }
        let l: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Some(LogLine::new(ts, &message, &l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn fields_flat_or_nested_and_times() {
        let doc = json!({"log.level": "warn", "service": {"name": "api"}, "@timestamp": "2026-11-29T03:00:00.5Z"});
        assert_eq!(field(&doc, "log.level").and_then(text).as_deref(), Some("warn"));
        assert_eq!(field(&doc, "service.name").and_then(text).as_deref(), Some("api"));
        assert_eq!(ts_ns(&doc["@timestamp"]), Some(1_795_921_200_500_000_000));
        assert_eq!(ts_ns(&json!(1_795_921_200_500i64)), Some(1_795_921_200_500_000_000));
    }
}
