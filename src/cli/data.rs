//! `watchpost query --data FILE`: the embedded engine over a file of samples, printed as `query` prints
//! Prometheus's answers (a table, or the API's JSON shape).
use super::{QueryArgs, fail, parse_range, render_table};
use crate::engine::json::{to_result, to_series};
use crate::engine::{Engine, Store, load::load};
use crate::sources::prometheus::QueryResult;
use chrono::{DateTime, Utc};
use std::path::Path;
use std::process::ExitCode;

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
    let at = match args.time.as_deref().map(|t| super::parse_time(t, now)).transpose() {
        Ok(t) => t.map_or(newest, |t| t.timestamp_millis()),
        Err(e) => return fail(e),
    };
    let result = match args.range.as_deref().map(|r| parse_range(r, now)).transpose() {
        Err(e) => return fail(e),
        Ok(None) => engine.instant(&args.expr, at).map(|v| to_result(v, at)),
        Ok(Some((s, e, step))) => engine
            .range(&args.expr, s.timestamp_millis(), e.timestamp_millis(), step.as_millis() as i64)
            .map(|series| QueryResult::Matrix(series.into_iter().map(to_series).collect())),
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            if args.json {
                println!("{}", crate::engine::json::error("bad_data", &e.0));
            }
            return fail(e.0);
        }
    };
    if args.json {
        let body = serde_json::json!({"status": "success", "data": crate::engine::json::data(&result)});
        match super::safe_json(body.to_string().as_bytes()) {
            Ok(s) => println!("{s}"),
            Err(e) => return fail(e),
        }
    } else {
        print!("{}", render_table(&result));
    }
    ExitCode::SUCCESS
}
