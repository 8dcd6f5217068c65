//! Command line: the console, `config check`, and one-shot `query`.
use crate::config::{self, Config, Found};
use crate::sources::prometheus::{Prometheus, QueryResult};
use crate::ui::format;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "watchpost", version, about = "A terminal operations console: health, SLOs and PromQL over SSH")]
pub struct Cli {
    /// Config file (default: $WATCHPOST_CONFIG, then ~/.config/watchpost/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log level or filter for the log file in the state dir (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Work with the config file.
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
    /// Run one PromQL query against the configured Prometheus and print the result.
    Query(QueryArgs),
    /// The built-in simulated estate.
    Estate {
        #[command(subcommand)]
        cmd: EstateCmd,
    },
}

#[derive(Debug, Subcommand)]
pub enum EstateCmd {
    /// Serve every service's /metrics on loopback and print the endpoints and a Prometheus scrape config.
    Serve {
        /// Seed of the simulation: the same seed gives the same traffic.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Address of the first service; the others take the following ports (port 0: any free ports).
        #[arg(long, default_value = "127.0.0.1:9400")]
        listen: std::net::SocketAddr,
    },
    /// Write the estate's samples over a window as OpenMetrics text (for promtool's backfill).
    Export {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Start: RFC 3339, unix seconds, `now` or `now-1h`.
        #[arg(long)]
        from: String,
        /// End, in the same forms.
        #[arg(long, default_value = "now")]
        to: String,
        /// Time between samples, such as 15s or 1m.
        #[arg(long, default_value = "1m")]
        step: String,
        /// Output file (standard output when absent).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Validate a config (PATH, or the one watchpost would use); exits non-zero on any error.
    Check { path: Option<PathBuf> },
}

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The PromQL expression.
    pub expr: String,
    /// A range query: START,END,STEP. Times are RFC 3339, unix seconds, `now` or `now-1h`; STEP is `30s`.
    #[arg(long, value_name = "START,END,STEP")]
    pub range: Option<String>,
    /// Print the Prometheus API's JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The config the console or a command would use, or the error to print.
pub fn resolve_config(flag: Option<PathBuf>) -> Result<Config, String> {
    let env_url = std::env::var("PROMETHEUS_URL").ok().filter(|u| !u.is_empty());
    match config::find(flag) {
        Found::File(p) => {
            let mut c = config::load_file(&p).map_err(|e| e.to_string())?;
            if c.prometheus.is_none()
                && let Some(u) = env_url
            {
                c.prometheus = Config::from_env(Some(&u))?.prometheus;
            }
            Ok(c)
        }
        Found::Nothing => Config::from_env(env_url.as_deref()),
    }
}

pub fn config_check(path: Option<PathBuf>, flag: Option<PathBuf>) -> ExitCode {
    let path = match path.or(flag) {
        Some(p) => p,
        None => match config::find(None) {
            Found::File(p) => p,
            Found::Nothing => {
                eprintln!(
                    "error: no config file to check (looked at $WATCHPOST_CONFIG and {})",
                    config::find::default_path()
                        .map_or("~/.config/watchpost/config.toml".into(), |p| p.display().to_string())
                );
                return ExitCode::FAILURE;
            }
        },
    };
    match config::load_file(&path) {
        Ok(c) => {
            let src = c
                .prometheus
                .as_ref()
                .map_or("no Prometheus source".to_string(), |p| format!("Prometheus at {}", p.url));
            let svc = if c.discover {
                "services discovered from `up`".to_string()
            } else {
                format!(
                    "{} service(s): {}",
                    c.services.len(),
                    c.services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
                )
            };
            println!("{}: ok — {src}; {svc}; refresh every {}", path.display(), crate::time::short(c.refresh));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

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

pub async fn query(args: QueryArgs, flag: Option<PathBuf>) -> ExitCode {
    let fail = |m: String| {
        eprintln!("error: {m}");
        ExitCode::FAILURE
    };
    let cfg = match resolve_config(flag) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let Some(src) = cfg.prometheus else {
        return fail("no Prometheus configured: set PROMETHEUS_URL or [prometheus] url in the config".into());
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
    let ts = |t: DateTime<Utc>| format!("{:.3}", t.timestamp_millis() as f64 / 1000.0);
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

/// `watchpost estate export`.
pub fn estate_export(seed: u64, from: &str, to: &str, step: &str, output: Option<PathBuf>) -> ExitCode {
    let now = Utc::now();
    let window = parse_time(from, now).and_then(|f| Ok((f, parse_time(to, now)?, crate::time::parse_duration(step)?)));
    let (from, to, step) = match window {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let secs = |t: DateTime<Utc>| t.timestamp_millis() as f64 / 1000.0;
    let written = match &output {
        Some(path) => std::fs::File::create(path)
            .and_then(|mut f| crate::estate::export::write(seed, secs(from), secs(to), step.as_secs_f64(), &mut f)),
        None => crate::estate::export::write(seed, secs(from), secs(to), step.as_secs_f64(), &mut std::io::stdout()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: export failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `watchpost estate serve`: runs until SIGINT or SIGTERM.
pub async fn estate_serve(seed: u64, listen: std::net::SocketAddr) -> ExitCode {
    let endpoints = match crate::estate::serve::start(seed, listen).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("watchpost estate, seed {seed}: {} services", endpoints.len());
    for e in &endpoints {
        println!("  {:<10} {}", e.service, e.url());
    }
    println!("\n# Prometheus scrape config for these endpoints:\n{}", crate::estate::serve::scrape_config(&endpoints));
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
        return ExitCode::FAILURE;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    ExitCode::SUCCESS
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
