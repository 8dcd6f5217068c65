//! Burn rate and the multi-window, multi-burn-rate alerting of the SRE workbook (chapter 5).
//!
//! A burn rate of 1 spends exactly the whole budget over the SLO window. The workbook pages when 2 % of a
//! 30-day budget burns in 1 hour (burn 14.4) or 5 % in 6 hours (burn 6), each confirmed by a short window
//! (5 m and 30 m) so that an alert stops soon after the burning stops.
use std::time::Duration;

/// `error_ratio / (1 − objective)`.
pub fn burn_rate(error_ratio: f64, objective: f64) -> Option<f64> {
    let allowed = 1.0 - objective;
    (error_ratio.is_finite() && allowed > 0.0).then(|| error_ratio / allowed)
}

/// The burn rate that spends `budget_fraction` of the budget within `alert_window`.
pub fn threshold(budget_fraction: f64, window: Duration, alert_window: Duration) -> f64 {
    budget_fraction * window.as_secs_f64() / alert_window.as_secs_f64()
}

/// Burn rates over the four windows the two alerts need.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BurnRates {
    pub m5: Option<f64>,
    pub m30: Option<f64>,
    pub h1: Option<f64>,
    pub h6: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BurnAlert {
    None,
    /// Burning faster than 1: the budget will not last the window.
    Elevated,
    /// 6 h and 30 m both above the 5 %-in-6 h threshold.
    PageSlow,
    /// 1 h and 5 m both above the 2 %-in-1 h threshold.
    PageFast,
}

impl BurnRates {
    /// Thresholds (1 h, 6 h) for this SLO window: 14.4 and 6 for 30 days.
    pub fn thresholds(window: Duration) -> (f64, f64) {
        (threshold(0.02, window, Duration::from_secs(3600)), threshold(0.05, window, Duration::from_secs(6 * 3600)))
    }

    pub fn alert(&self, window: Duration) -> BurnAlert {
        let (fast, slow) = Self::thresholds(window);
        let above = |long: Option<f64>, short: Option<f64>, t: f64| matches!((long, short), (Some(l), Some(s)) if l >= t && s >= t);
        if above(self.h1, self.m5, fast) {
            BurnAlert::PageFast
        } else if above(self.h6, self.m30, slow) {
            BurnAlert::PageSlow
        } else if self.h6.or(self.h1).is_some_and(|b| b > 1.0) {
            BurnAlert::Elevated
        } else {
            BurnAlert::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const MONTH: Duration = Duration::from_secs(30 * 86_400);

    #[test]
    fn workbook_thresholds() {
        let (fast, slow) = BurnRates::thresholds(MONTH);
        assert!((fast - 14.4).abs() < 1e-9);
        assert!((slow - 6.0).abs() < 1e-9);
    }

    #[test]
    fn hand_worked_burn() {
        // 0.5 % errors against a 99.9 % objective burns 5× too fast.
        assert!((burn_rate(0.005, 0.999).unwrap() - 5.0).abs() < 1e-9);
        assert_eq!(burn_rate(0.1, 1.0), None);
    }

    #[test]
    fn both_windows_must_agree() {
        let r = BurnRates { h1: Some(20.0), m5: Some(2.0), ..Default::default() };
        assert_eq!(r.alert(MONTH), BurnAlert::Elevated, "burning stopped: short window is low");
        let r = BurnRates { h1: Some(20.0), m5: Some(15.0), ..Default::default() };
        assert_eq!(r.alert(MONTH), BurnAlert::PageFast);
        let r = BurnRates { h6: Some(7.0), m30: Some(6.5), h1: Some(7.0), m5: Some(7.0) };
        assert_eq!(r.alert(MONTH), BurnAlert::PageSlow);
        let r = BurnRates { h6: Some(0.4), h1: Some(0.3), ..Default::default() };
        assert_eq!(r.alert(MONTH), BurnAlert::None);
    }
}
