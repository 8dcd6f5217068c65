//! Error budget: how much unreliability the objective allows, and how much is left.
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorBudget {
    /// Fraction of the budget left: 1.0 untouched, 0.0 spent, negative when overspent.
    pub remaining: f64,
    /// The budget left expressed as full-outage time over the window (may be negative).
    pub remaining_secs: f64,
    /// The whole budget as full-outage time (30 d at 99.9 % = 43 m 12 s).
    pub total_secs: f64,
}

impl ErrorBudget {
    /// From the measured availability over the window and the objective.
    ///
    /// Worked example: objective 99.9 % over 30 d allows 0.1 % of 30 d = 43.2 min of full outage. A measured
    /// 99.95 % spent 0.05 / 0.1 = half of it: 50 % and 21.6 min remain.
    pub fn new(measured_availability: f64, objective: f64, window: Duration) -> Option<Self> {
        let allowed = 1.0 - objective;
        if !(measured_availability.is_finite() && allowed > 0.0) {
            return None;
        }
        let spent = (1.0 - measured_availability) / allowed;
        let total_secs = allowed * window.as_secs_f64();
        let remaining = 1.0 - spent;
        Some(ErrorBudget { remaining, remaining_secs: remaining * total_secs, total_secs })
    }

    pub fn exhausted(&self) -> bool {
        self.remaining <= 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const DAY: u64 = 86_400;
    #[test]
    fn hand_worked() {
        let b = ErrorBudget::new(0.9995, 0.999, Duration::from_secs(30 * DAY)).unwrap();
        assert!((b.total_secs - 2592.0).abs() < 1e-6, "43.2 min");
        assert!((b.remaining - 0.5).abs() < 1e-9);
        assert!((b.remaining_secs - 1296.0).abs() < 1e-6);
        let over = ErrorBudget::new(0.998, 0.999, Duration::from_secs(30 * DAY)).unwrap();
        assert!((over.remaining + 1.0).abs() < 1e-9, "twice the budget spent");
        assert!(over.exhausted());
        assert_eq!(ErrorBudget::new(0.5, 1.0, Duration::from_secs(DAY)), None);
    }
}
