//! Durations as people write them (`30s`, `5m`, `30d`) and as the console shows them.
use std::time::Duration;

/// Parse `250ms`, `30s`, `5m`, `2h`, `30d`, `1w` or combinations (`1h30m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|_| format!("invalid duration `{s}`: expected a number with a unit, like 500ms, 30s, 5m, 2h or 30d"))
}

/// Compact human form: `42s`, `3m12s`, `5h04m`, `12d3h`.
pub fn short(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else if s < 86_400 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s < 86_400 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s % 86_400 < 3600 {
        format!("{}d", s / 86_400)
    } else {
        format!("{}d{}h", s / 86_400, (s % 86_400) / 3600)
    }
}

/// PromQL duration literal for a range (`5m`, `1h`, `30d`).
pub fn promql(d: Duration) -> String {
    let s = d.as_secs().max(1);
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if s.is_multiple_of(n) {
            return format!("{}{unit}", s / n);
        }
    }
    format!("{s}s")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn forms() {
        assert_eq!(parse_duration("30d").unwrap(), Duration::from_secs(30 * 86_400));
        assert!(parse_duration("5x").unwrap_err().contains("like 500ms"));
        assert_eq!(short(Duration::from_secs(3725)), "1h02m");
        assert_eq!(short(Duration::from_secs(30 * 86_400)), "30d");
        assert_eq!(promql(Duration::from_secs(1800)), "30m");
        assert_eq!(promql(Duration::from_secs(90)), "90s");
    }
}
