//! The estate over time: counters integrated from the model, as a fresh process would count them from
//! its start, and the gauges of the current moment.
use super::model::{BUCKETS, Model, Moment, below};
use super::topology::TOPOLOGY;

/// A service's counters since the simulation started.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counters {
    pub requests_ok: f64,
    pub requests_err: f64,
    /// Cumulative: requests at or below each of [`BUCKETS`].
    pub buckets: [f64; BUCKETS.len()],
    pub latency_sum: f64,
    pub cpu_seconds: f64,
}

impl Counters {
    pub fn requests(&self) -> f64 {
        self.requests_ok + self.requests_err
    }
}

#[derive(Clone, Debug)]
pub struct Simulator {
    pub model: Model,
    /// Unix seconds the counters are at.
    pub at: f64,
    pub counters: Vec<Counters>,
}

impl Simulator {
    pub fn new(seed: u64, start: f64) -> Self {
        Simulator { model: Model::new(seed), at: start, counters: vec![Counters::default(); TOPOLOGY.len()] }
    }

    /// Integrate up to `t` (never backwards): one-second steps, ten-second steps over long gaps.
    pub fn advance_to(&mut self, t: f64) {
        while self.at < t {
            let dt = if t - self.at > 300.0 { 10.0 } else { 1.0 };
            self.advance(t, dt);
        }
    }

    /// Integrate up to `t` in steps of at most `max_step` seconds (coarse steps for a long backfill).
    pub fn advance(&mut self, t: f64, max_step: f64) {
        while self.at < t {
            let dt = (t - self.at).min(max_step);
            for (i, c) in self.counters.iter_mut().enumerate() {
                // A service that is down serves nothing and counts nothing (its callers' failures
                // are theirs).
                if !self.model.is_up(i, self.at) {
                    continue;
                }
                let m = self.model.moment(i, self.at);
                step(c, &m, dt);
            }
            self.at += dt;
        }
    }

    /// Add a fault; it takes effect from its start time.
    pub fn inject(&mut self, fault: super::fault::Fault) {
        self.model.faults.push(fault);
    }

    /// End every fault still active at `t` (a mitigation: rollback, restart, failover).
    pub fn end_faults(&mut self, t: f64) {
        for f in self.model.faults.iter_mut().filter(|f| f.until > t) {
            f.until = t.max(f.from);
        }
    }

    pub fn is_up(&self, service: usize) -> bool {
        self.model.is_up(service, self.at)
    }

    pub fn moment(&self, service: usize) -> Moment {
        self.model.moment(service, self.at)
    }
}

fn step(c: &mut Counters, m: &Moment, dt: f64) {
    let n = m.rps * dt;
    let err = n * m.error_ratio;
    c.requests_ok += n - err;
    c.requests_err += err;
    for (b, le) in c.buckets.iter_mut().zip(BUCKETS) {
        *b += n * below(le, m.latency, m.spread);
    }
    // The mean of a log-normal distribution is median · e^(σ²/2).
    c.latency_sum += n * m.latency * (m.spread * m.spread / 2.0).exp();
    c.cpu_seconds += m.cpu * dt;
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn counters_only_grow_and_match_the_rate() {
        let t0 = 1_800_000_000.0;
        let mut s = Simulator::new(3, t0);
        s.advance_to(t0 + 60.0);
        let a = s.counters[0];
        s.advance_to(t0 + 30.0);
        assert_eq!(s.counters[0], a, "time does not run backwards");
        s.advance_to(t0 + 120.0);
        let b = s.counters[0];
        assert!(b.requests() > a.requests() && b.cpu_seconds > a.cpu_seconds);
        let rate = (b.requests() - a.requests()) / 60.0;
        let expect = s.model.moment(0, t0 + 90.0).rps;
        assert!((rate / expect - 1.0).abs() < 0.1, "rate {rate} vs model {expect}");
        assert!(b.buckets.windows(2).all(|w| w[0] <= w[1]), "buckets are cumulative");
        assert!(b.buckets[BUCKETS.len() - 1] <= b.requests() + 1e-6);
    }
}
