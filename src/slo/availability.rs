//! Availability: the fraction of requests that succeeded.

/// `1 − errors/total` over the same window. `None` when there was no traffic: a service nobody called
/// has no measured availability, and showing 100 % would be a lie.
pub fn availability(errors: f64, total: f64) -> Option<f64> {
    if !(total.is_finite() && errors.is_finite()) || total <= 0.0 {
        return None;
    }
    Some((1.0 - errors / total).clamp(0.0, 1.0))
}

/// The error ratio `errors/total`, `None` without traffic.
pub fn error_ratio(errors: f64, total: f64) -> Option<f64> {
    availability(errors, total).map(|a| 1.0 - a)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn hand_worked() {
        // 1 000 000 requests, 250 failed: 99.975 %.
        assert!((availability(250.0, 1_000_000.0).unwrap() - 0.99975).abs() < 1e-12);
        assert_eq!(availability(0.0, 0.0), None);
        assert_eq!(availability(5.0, 10.0), Some(0.5));
        assert!((error_ratio(1.0, 1000.0).unwrap() - 0.001).abs() < 1e-12);
    }
}
