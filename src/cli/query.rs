//! `watchpost query EXPR`: one instant or range query, printed as a table or as the API's JSON.
use super::fail;
use super::{QueryArgs, resolve_config};
use crate::sources::prometheus::{Prometheus, QueryResult, ts};
use crate::ui::format;
use chrono::{DateTime, Utc};
use std::process::ExitCode;
use std::time::Duration;

/// `now`, `now-1h`, `-1h`, RFC 3339, or unix seconds.
pub fn parse_time(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if s == "now" {
        return Ok(now);
    }
    if let Some(ago) = s.strip_prefix("now-").or_else(|| s.strip_prefix('-')) {
        let d = crate::time::parse_duration(ago)?;
        return Ok(now - chrono::Duration::from_std(d).map_err(|e| e.to_string())?);
    }
    if let Ok(secs) = s.parse::<f64>() {
        return DateTime::from_timestamp_millis((secs * 1000.0) as i64)
            .ok_or_else(|| format!("time `{s}` is out of range"));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("invalid time `{s}`: expected RFC 3339, unix seconds, `now` or `now-1h`"))
}

pub fn parse_range(s: &str, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>, Duration), String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [start, end, step] = parts[..] else {
        return Err(format!("invalid --range `{s}`: expected START,END,STEP such as now-1h,now,30s"));
    };
    let (start, end) = (parse_time(start, now)?, parse_time(end, now)?);
    let step = match step.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 => Duration::from_secs_f64(secs),
        _ => crate::time::parse_duration(step)?,
    };
    if end < start {
        return Err("invalid --range: END is before START".into());
    }
    if step.is_zero() {
        return Err("invalid --range: STEP must be positive".into());
    }
    Ok((start, end, step))
}

/// JSON from a server, re-encoded so that no control, bidi or zero-width character reaches the terminal
/// raw (serde_json escapes only C0 controls inside strings).
pub fn safe_json(body: &[u8]) -> Result<String, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the server sent invalid JSON: {e}"))?;
    let s = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c != '\n' && crate::text::sanitize::is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

pub fn render_table(result: &QueryResult) -> String {
    let mut out = String::new();
    match result {
        QueryResult::Scalar(t, v) => out.push_str(&format!("scalar\t{}\t@{t}\n", format::number(*v))),
        QueryResult::String(t, s) => out.push_str(&format!("string\t{s}\t@{t}\n")),
        QueryResult::Vector(series) => {
            let w = series.iter().map(|s| s.display_name().chars().count()).max().unwrap_or(6).max(6);
            out.push_str(&format!("{:<w$}  VALUE\n", "SERIES"));
            for s in series {
                let v = s.last().map_or(format::NONE.into(), format::number);
                out.push_str(&format!("{:<w$}  {v}\n", s.display_name()));
            }
        }
        QueryResult::Matrix(series) => {
            for s in series {
                out.push_str(&format!("{}\n", s.display_name()));
                for (t, v) in &s.points {
                    let at =
                        DateTime::from_timestamp_millis((t * 1000.0) as i64).map_or(t.to_string(), |d| d.to_rfc3339());
                    out.push_str(&format!("  {at}  {}\n", format::number(*v)));
                }
            }
        }
    }
    if result.series().is_empty() && matches!(result, QueryResult::Vector(_) | QueryResult::Matrix(_)) {
        out.push_str("(empty result)\n");
    }
    out
}

pub async fn query(args: QueryArgs, flag: super::ConfigChoice) -> ExitCode {
    if let Some(path) = &args.data {
        return super::data::query(&args, path);
    }
    // The demo estate, while asked, runs in this process.
    let mut _estate = None;
    let src = if args.demo {
        match demo_source().await {
            Ok((s, estate)) => {
                _estate = Some(estate);
                s
            }
            Err(e) => return fail(e),
        }
    } else {
        let cfg = match resolve_config(flag) {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
        let Some(src) = cfg.prometheus else {
            return fail(
                "no Prometheus configured: set PROMETHEUS_URL or [prometheus] url in the config, ask a file of \
                 samples with --data FILE, or the built-in estate with --demo",
            );
        };
        src
    };
    let prom = match Prometheus::new(&src) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let now = Utc::now();
    let range = match args.range.as_deref().map(|r| parse_range(r, now)).transpose() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let now = match args.time.as_deref().map(|t| parse_time(t, now)).transpose() {
        Ok(t) => t.unwrap_or(now),
        Err(e) => return fail(e),
    };
    if args.json {
        let (path, q) = match range {
            None => ("api/v1/query", vec![("query", args.expr.clone()), ("time", ts(now))]),
            Some((s, e, step)) => (
                "api/v1/query_range",
                vec![
                    ("query", args.expr.clone()),
                    ("start", ts(s)),
                    ("end", ts(e)),
                    ("step", step.as_secs_f64().to_string()),
                ],
            ),
        };
        return match prom.raw(path, &q).await {
            Ok(body) => match safe_json(&body) {
                Ok(s) => {
                    println!("{s}");
                    let ok = serde_json::from_slice::<serde_json::Value>(&body)
                        .is_ok_and(|v| v.get("status").and_then(|s| s.as_str()) == Some("success"));
                    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
                }
                Err(e) => fail(e),
            },
            Err(e) => fail(e.to_string()),
        };
    }
    let outcome = match range {
        None => prom.query(&args.expr, now).await,
        Some((s, e, step)) => prom.query_range(&args.expr, s, e, step).await,
    };
    match outcome {
        Ok(o) => {
            for w in &o.warnings {
                eprintln!("warning: {w}");
            }
            print!("{}", render_table(&o.result));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e.to_string()),
    }
}

/// The built-in estate, started in this process: its Prometheus API once its history is in (the
/// backfill runs beside the API, which answers empty until then).
async fn demo_source() -> Result<(crate::config::HttpSource, crate::embedded::demo::Demo), String> {
    use crate::embedded::demo::{DEFAULT_SEED, start};
    let demo = start(DEFAULT_SEED).await.map_err(|e| format!("the demo estate: {e}"))?;
    if !demo.history_in(Duration::from_secs(60)).await {
        return Err("the demo estate's history was not in after 60 s".into());
    }
    let src = crate::config::Config::demo(&demo.api, DEFAULT_SEED).prometheus.ok_or("the demo has no Prometheus")?;
    Ok((src, demo))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn times_and_ranges() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(parse_time("now-1h", now).unwrap().to_rfc3339(), "2026-01-01T11:00:00+00:00");
        assert_eq!(parse_time("1767268800", now).unwrap(), now);
        let (s, e, step) = parse_range("-30m,now,15s", now).unwrap();
        assert_eq!((e - s).num_minutes(), 30);
        assert_eq!(step, Duration::from_secs(15));
        assert!(parse_range("now,now-1h,15s", now).is_err());
        assert!(parse_range("now", now).unwrap_err().contains("START,END,STEP"));
    }
    #[test]
    fn json_is_made_safe() {
        let s = safe_json("{\"a\":\"x\u{9b}y\u{202e}\"}".as_bytes()).unwrap();
        assert!(s.contains("\\u009b") && s.contains("\\u202e"), "{s}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&s).unwrap()["a"], "x\u{9b}y\u{202e}");
    }
}
