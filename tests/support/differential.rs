//! Comparing the embedded engine with a real Prometheus: both answers as series → points, labels exact,
//! values within 1e-9 relative (NaN equal to NaN).
use super::{Prometheus, get_json};
use std::collections::BTreeMap;
use watchpost::engine::{Engine, Value};

pub type Result = BTreeMap<String, Vec<(i64, f64)>>;

pub fn key(labels: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(","))
}

pub fn parse(v: &str) -> f64 {
    match v {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        _ => v.parse().unwrap(),
    }
}

/// Prometheus's answer, as series → points (time in ms).
pub fn prometheus(prom: &Prometheus, path: &str, q: &[(&str, &str)]) -> std::result::Result<Result, String> {
    let v = get_json(&format!("{}/api/v1/{path}", prom.url()), q).ok_or("no answer")?;
    if v["status"] != "success" {
        return Err(v["error"].as_str().unwrap_or("error").to_string());
    }
    let point =
        |p: &serde_json::Value| ((p[0].as_f64().unwrap() * 1000.0).round() as i64, parse(p[1].as_str().unwrap()));
    let mut out = Result::new();
    let data = &v["data"];
    match data["resultType"].as_str().unwrap() {
        "scalar" => {
            out.insert("scalar".into(), vec![point(&data["result"])]);
        }
        _ => {
            for s in data["result"].as_array().unwrap() {
                let labels: BTreeMap<String, String> = serde_json::from_value(s["metric"].clone()).unwrap();
                let points = match s.get("values") {
                    Some(vs) => vs.as_array().unwrap().iter().map(point).collect(),
                    None => vec![point(&s["value"])],
                };
                out.insert(key(&labels), points);
            }
        }
    }
    Ok(out)
}

pub fn engine_instant(e: &Engine, q: &str, t: i64) -> std::result::Result<Result, String> {
    let mut out = Result::new();
    match e.instant(q, t).map_err(|e| e.0)? {
        Value::Scalar(v) => {
            out.insert("scalar".into(), vec![(t, v)]);
        }
        Value::Vector(samples) => {
            for s in samples {
                out.insert(key(&s.labels), vec![(t, s.value)]);
            }
        }
        other => return Err(format!("unexpected {}", other.kind())),
    }
    Ok(out)
}

pub fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

pub fn compare(what: &str, ours: &Result, theirs: &Result) -> Option<String> {
    if ours.keys().ne(theirs.keys()) {
        return Some(format!(
            "{what}: series differ\n  engine:     {:?}\n  prometheus: {:?}",
            ours.keys(),
            theirs.keys()
        ));
    }
    for (k, p) in ours {
        let q = &theirs[k];
        if p.len() != q.len() {
            return Some(format!("{what}: {k}: {} points vs {}", p.len(), q.len()));
        }
        for (a, b) in p.iter().zip(q) {
            if a.0 != b.0 || !close(a.1, b.1) {
                return Some(format!("{what}: {k}: engine {a:?}, prometheus {b:?}"));
            }
        }
    }
    None
}
