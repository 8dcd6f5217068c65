//! A per-source circuit breaker: after repeated failures stop calling for a cool-down, then let one probe
//! through (half-open); its outcome closes the circuit or opens it again for longer.
//!
//! Hand-written because the logic is twenty lines and must share state across all of a source's
//! concurrent requests and report its state for display, which the retry crates do not offer.
use rand::Rng;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open { until: Instant },
    HalfOpen,
}

#[derive(Debug)]
pub struct Breaker {
    state: BreakerState,
    failures: u32,
    threshold: u32,
    cooldown: Duration,
    base: Duration,
    max: Duration,
    probe_in_flight: bool,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker::new(3, Duration::from_secs(5), Duration::from_secs(60))
    }
}

impl Breaker {
    pub fn new(threshold: u32, base: Duration, max: Duration) -> Self {
        Breaker {
            state: BreakerState::Closed,
            failures: 0,
            threshold,
            cooldown: base,
            base,
            max,
            probe_in_flight: false,
        }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// May a request go out now? `Ok(true)` when it is the half-open probe (its caller must record its
    /// outcome, or [`Breaker::release_probe`] if it gives up); `Err(until)` while open, or while the probe
    /// is out.
    pub fn allow(&mut self, now: Instant) -> Result<bool, Instant> {
        match self.state {
            BreakerState::Closed => Ok(false),
            BreakerState::Open { until } if now < until => Err(until),
            BreakerState::Open { .. } | BreakerState::HalfOpen => {
                if self.probe_in_flight {
                    return Err(now + Duration::from_millis(500));
                }
                self.state = BreakerState::HalfOpen;
                self.probe_in_flight = true;
                Ok(true)
            }
        }
    }

    /// The probe's caller gave up without an outcome (its task was aborted, a newer round replaced it):
    /// the next request may probe instead. Without this the circuit would stay open for good.
    pub fn release_probe(&mut self) {
        self.probe_in_flight = false;
    }

    pub fn record_success(&mut self) {
        self.state = BreakerState::Closed;
        self.failures = 0;
        self.cooldown = self.base;
        self.probe_in_flight = false;
    }

    pub fn record_failure(&mut self, now: Instant) {
        self.failures += 1;
        let reopen = self.state == BreakerState::HalfOpen;
        self.probe_in_flight = false;
        if reopen || self.failures >= self.threshold {
            if reopen {
                self.cooldown = (self.cooldown * 2).min(self.max);
            }
            // ±20 % jitter, so that many consoles do not probe a recovering server in step.
            let jitter = rand::rng().random_range(0.8..1.2);
            self.state = BreakerState::Open { until: now + self.cooldown.mul_f64(jitter) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn opens_probes_and_closes() {
        let t0 = Instant::now();
        let mut b = Breaker::new(3, Duration::from_secs(10), Duration::from_secs(60));
        for _ in 0..2 {
            b.record_failure(t0);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        b.record_failure(t0);
        let BreakerState::Open { until } = b.state() else { panic!("open after 3 failures") };
        assert!(until >= t0 + Duration::from_secs(8) && until <= t0 + Duration::from_secs(12));
        assert!(b.allow(t0 + Duration::from_secs(1)).is_err());
        let later = t0 + Duration::from_secs(13);
        assert!(b.allow(later).is_ok(), "half-open probe");
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(b.allow(later).is_err(), "only one probe at a time");
        b.record_failure(later);
        let BreakerState::Open { until } = b.state() else { panic!("probe failed: open again") };
        assert!(until >= later + Duration::from_secs(16), "cool-down doubled");
        assert!(b.allow(later + Duration::from_secs(30)).is_ok());
        b.record_success();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn a_probe_given_up_lets_the_next_request_probe() {
        let t0 = Instant::now();
        let mut b = Breaker::new(1, Duration::from_secs(1), Duration::from_secs(60));
        b.record_failure(t0);
        let later = t0 + Duration::from_secs(2);
        assert_eq!(b.allow(later), Ok(true), "the probe");
        assert!(b.allow(later).is_err(), "one probe at a time");
        b.release_probe();
        assert_eq!(b.allow(later), Ok(true), "the next request probes in its place");
    }
}
