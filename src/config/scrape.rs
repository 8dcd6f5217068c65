//! The `[scrape]` section: exporters watchpost scrapes itself, with the embedded engine's limits and
//! optional rule files. Without `[prometheus]` they are the data source; with it, the fallback used
//! while Prometheus's circuit is open.
use super::error::{ConfigError, Located};
use super::raw::{Dur, RawScrape};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(6 * 3600);
pub const DEFAULT_MAX_MEMORY: u64 = 64 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub struct ScrapeTarget {
    pub job: String,
    pub url: url::Url,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScrapeConfig {
    pub interval: Duration,
    pub retention: Duration,
    /// The store is kept under this many bytes: the oldest samples go first.
    pub max_memory: u64,
    pub targets: Vec<ScrapeTarget>,
    pub rule_files: Vec<PathBuf>,
    /// Parsed from `rule_files` when the config is loaded.
    pub rules: Vec<crate::rules::Group>,
}

/// `64MiB`, `512MB`, `1GiB` or a number of bytes. A dozen lines: not worth a dependency.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("invalid size `{s}`: expected a number and a unit, like 64MiB"))?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1000,
        "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "GiB" => 1 << 30,
        other => return Err(format!("invalid size unit `{other}` in `{s}`: expected B, KB, KiB, MB, MiB, GB or GiB")),
    };
    Ok((n * mult as f64) as u64)
}

pub fn validate(
    raw: &RawScrape,
    base: &Path,
    at: &mut dyn FnMut(Range<usize>, String),
    rule_problems: &mut Vec<Located>,
) -> Option<ScrapeConfig> {
    let mut ok = true;
    let mut targets = Vec::new();
    for t in &raw.targets {
        match url::Url::parse(t.url.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {
                targets.push(ScrapeTarget { job: t.job.clone(), url: u });
            }
            _ => {
                ok = false;
                at(
                    t.url.span(),
                    format!("invalid target URL `{}`: expected http(s)://host:port/metrics", t.url.get_ref()),
                );
            }
        }
    }
    if raw.targets.is_empty() {
        ok = false;
        at(0..0, "[scrape] lists no targets: add [[scrape.targets]] with job and url".into());
    }
    let max_memory = match &raw.max_memory {
        None => DEFAULT_MAX_MEMORY,
        Some(s) => match parse_size(s.get_ref()) {
            Ok(n) if n >= 1 << 20 => n,
            Ok(_) => {
                ok = false;
                at(s.span(), "max_memory below 1MiB would hold almost nothing".into());
                0
            }
            Err(e) => {
                ok = false;
                at(s.span(), e);
                0
            }
        },
    };
    let rule_files: Vec<PathBuf> = raw.rule_files.iter().map(|p| base.join(p)).collect();
    let rules = match crate::rules::file::load_all(&rule_files) {
        Ok(r) => r,
        Err(ConfigError::Invalid(v)) => {
            rule_problems.extend(v);
            ok = false;
            Vec::new()
        }
        Err(ConfigError::Io { path, message }) => {
            ok = false;
            at(0..0, format!("cannot read rule file {}: {message}", path.display()));
            Vec::new()
        }
    };
    ok.then(|| ScrapeConfig {
        interval: raw.interval.map_or(DEFAULT_INTERVAL, |Dur(d)| d.max(Duration::from_secs(1))),
        retention: raw.retention.map_or(DEFAULT_RETENTION, |Dur(d)| d),
        max_memory,
        targets,
        rule_files,
        rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sizes() {
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("1.5GB").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("12XB").unwrap_err().contains("expected B, KB"));
    }
}
