//! `watchpost query --data FILE`: the embedded engine over a file of samples, printed as `query` prints
//! Prometheus's answers (a table, or the API's JSON shape).
use super::{QueryArgs, parse_range, render_table};
use crate::engine::{Engine, Store, Value, load::load};
use crate::sources::prometheus::{QueryResult, Series};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

fn fail(m: String) -> ExitCode {
    eprintln!("error: {m}");
    ExitCode::FAILURE
}

pub fn query(args: &QueryArgs, path: &Path) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    let mut store = Store::default();
    if let Err(e) = load(&mut store, &text, Utc::now().timestamp_millis()) {
        return fail(format!("{}: {e}", path.display()));
    }
    let newest = store.series().iter().filter_map(|s| s.samples.last()).map(|p| p.0).max().unwrap_or(0);
    let now = DateTime::from_timestamp_millis(newest).unwrap_or_else(Utc::now);
    let engine = Engine::new(store);
    let result = match args.range.as_deref().map(|r| parse_range(r, now)).transpose() {
        Err(e) => return fail(e),
        Ok(None) => engine.instant(&args.expr, newest).map(|v| to_result(v, newest)),
        Ok(Some((s, e, step))) => engine
            .range(&args.expr, s.timestamp_millis(), e.timestamp_millis(), step.as_millis() as i64)
            .map(|series| QueryResult::Matrix(series.into_iter().map(to_series).collect())),
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            if args.json {
                println!("{}", json!({"status": "error", "errorType": "bad_data", "error": e.0}));
            }
            return fail(e.0);
        }
    };
    if args.json {
        let body = json!({"status": "success", "data": api_json(&result)});
        match super::safe_json(body.to_string().as_bytes()) {
            Ok(s) => println!("{s}"),
            Err(e) => return fail(e),
        }
    } else {
        print!("{}", render_table(&result));
    }
    ExitCode::SUCCESS
}

fn to_series(s: crate::engine::Series) -> Series {
    Series {
        labels: s.labels.iter().map(|(k, v)| (Clean::new(k), Clean::new(v))).collect(),
        points: s.samples.iter().map(|(t, v)| (*t as f64 / 1000.0, *v)).collect(),
    }
}

fn to_result(v: Value, t: i64) -> QueryResult {
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

fn api_json(r: &QueryResult) -> serde_json::Value {
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
