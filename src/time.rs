//! Durations as people write them (`30s`, `5m`, `30d`) and as the console shows them.
use std::time::Duration;

/// Where this process's periodic work falls within each period: one phase, drawn once, for the clock
/// and every poller, so that the clock's new second and the round asked at the same moment are drawn as
/// one frame, while consoles on many desks do not all ask Prometheus in the same millisecond.
pub fn phase() -> Duration {
    static PHASE: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *PHASE.get_or_init(|| Duration::from_millis(rand::random_range(0..250)))
}

/// The next moment that falls on a whole multiple of `period` on the wall clock, plus [`phase`]: ticks
/// of the same period line up across tasks (and steps across refreshes), whenever each task started.
pub fn next_aligned(period: Duration) -> std::time::Instant {
    let period_ms = period.as_millis().max(1);
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let now_ms = since_epoch.as_millis();
    let phase_ms = phase().as_millis() % period_ms;
    let mut next = (now_ms - phase_ms) / period_ms * period_ms + period_ms + phase_ms;
    if next <= now_ms {
        next += period_ms;
    }
    std::time::Instant::now() + Duration::from_millis(u64::try_from(next - now_ms).unwrap_or(0))
}

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

/// A configured limit (a timeout) as said to people: milliseconds under a second, so a 500 ms timeout
/// is not "0s"; `short` above a second. Ages and clocks use `short` alone: they count whole seconds.
pub fn limit(d: Duration) -> String {
    if d < Duration::from_secs(1) { format!("{}ms", d.as_millis()) } else { short(d) }
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
        assert_eq!(limit(Duration::from_millis(250)), "250ms");
        assert_eq!(limit(Duration::from_millis(90_000)), "1m30s");
        assert_eq!(short(Duration::from_secs(30 * 86_400)), "30d");
        assert_eq!(promql(Duration::from_secs(1800)), "30m");
        assert_eq!(promql(Duration::from_secs(90)), "90s");
    }

    #[test]
    fn aligned_ticks_fall_on_the_same_phase_of_the_wall_clock() {
        for period in [Duration::from_secs(1), Duration::from_secs(5), Duration::from_millis(1500)] {
            let at = next_aligned(period);
            let wait = at.saturating_duration_since(std::time::Instant::now());
            assert!(wait <= period, "{period:?}: {wait:?}");
            let wall = std::time::SystemTime::now() + wait;
            let ms = wall.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
            let off = (ms + period.as_millis() - phase().as_millis() % period.as_millis()) % period.as_millis();
            assert!(off <= 5 || off >= period.as_millis() - 5, "{period:?}: {off} ms off its phase");
        }
    }
}
