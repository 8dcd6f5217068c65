//! The targets an SLO is judged against.
use std::time::Duration;

/// Per-service objectives. Ratios are fractions (0.999), not percents.
#[derive(Clone, Debug, PartialEq)]
pub struct Targets {
    /// Availability objective over `window`, e.g. 0.999.
    pub availability: f64,
    /// p95 latency objective.
    pub latency_p95: Duration,
    /// Error-rate objective, e.g. 0.001.
    pub error_rate: f64,
    /// The SLO window, e.g. 30 days.
    pub window: Duration,
    /// Maintenance windows marked `exclude_from_slo` are left out of availability and the budget.
    pub exclude_maintenance: bool,
    /// Only these hours count (business hours): availability, budget and burn rates over them alone.
    pub calendar: Option<super::Calendar>,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            availability: 0.999,
            latency_p95: Duration::from_millis(200),
            error_rate: 0.001,
            window: Duration::from_secs(30 * 86_400),
            exclude_maintenance: false,
            calendar: None,
        }
    }
}

/// How a figure compares with its objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Good,
    /// Within the objective but close to it (a fifth of the margin left).
    Warn,
    Bad,
    Unknown,
}

impl Targets {
    pub fn judge_error_ratio(&self, ratio: Option<f64>) -> Verdict {
        judge_upper(ratio, self.error_rate)
    }
    pub fn judge_latency(&self, p95_seconds: Option<f64>) -> Verdict {
        judge_upper(p95_seconds, self.latency_p95.as_secs_f64())
    }
    pub fn judge_availability(&self, a: Option<f64>) -> Verdict {
        match a {
            Some(a) if a.is_finite() => judge_upper(Some(1.0 - a), 1.0 - self.availability),
            _ => Verdict::Unknown,
        }
    }
}

/// Lower is better; Warn from 80 % of the limit.
fn judge_upper(value: Option<f64>, limit: f64) -> Verdict {
    match value {
        Some(v) if v.is_finite() => {
            if v > limit {
                Verdict::Bad
            } else if v > 0.8 * limit {
                Verdict::Warn
            } else {
                Verdict::Good
            }
        }
        _ => Verdict::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn verdicts() {
        let t = Targets::default();
        assert_eq!(t.judge_error_ratio(Some(0.0005)), Verdict::Good);
        assert_eq!(t.judge_error_ratio(Some(0.00095)), Verdict::Warn);
        assert_eq!(t.judge_error_ratio(Some(0.002)), Verdict::Bad);
        assert_eq!(t.judge_latency(Some(0.250)), Verdict::Bad);
        assert_eq!(t.judge_latency(Some(f64::NAN)), Verdict::Unknown);
        assert_eq!(t.judge_availability(Some(0.9995)), Verdict::Good);
        assert_eq!(t.judge_availability(Some(0.998)), Verdict::Bad);
    }
}
