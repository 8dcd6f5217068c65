//! What each service does at a given moment: traffic on a daily cycle with seeded noise, errors and
//! latency that include its dependencies', and saturation. A pure function of (seed, service, time).
use super::fault::{Fault, FaultKind};
use super::topology::{ServiceSpec, TOPOLOGY, index_of};
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::f64::consts::PI;

/// Latency histogram bucket bounds, seconds (client_golang's defaults).
pub const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// One service's behaviour over one second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moment {
    pub rps: f64,
    pub error_ratio: f64,
    /// Median and spread of the log-normal latency, seconds.
    pub latency: f64,
    pub spread: f64,
    pub cpu: f64,
    pub memory_bytes: f64,
    pub connections: f64,
    pub disk_used_bytes: f64,
    /// When the service's TLS certificate expires, unix seconds.
    pub cert_expiry: f64,
}

/// Certificates are renewed to this validity, so at rest one always has weeks left.
const CERT_VALIDITY: f64 = 45.0 * 86_400.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub seed: u64,
    /// Injected faults, in the order they were added.
    pub faults: Vec<Fault>,
    /// What operators did to it, in order.
    pub changes: Vec<super::changes::Change>,
    /// When this estate came up (unix seconds): its seeded deploy history ends a few days before.
    pub epoch: f64,
    /// Its traffic against the topology's (a staging estate takes a fifth of production's).
    pub load: f64,
}

/// Load over the day: a trough around 04:00 UTC and a peak around 16:00, between 0.4 and 1.6 of the mean.
pub fn daily(unix_secs: f64) -> f64 {
    let hour = (unix_secs / 3600.0).rem_euclid(24.0);
    1.0 + 0.6 * ((hour - 10.0) / 24.0 * 2.0 * PI).sin()
}

/// The share of a log-normal(median, spread) distribution at or below `x`. The normal CDF is taken as
/// the logistic approximation 1/(1+e^(−1.702 z)) (within 0.01 of Φ), enough for a simulation.
pub fn below(x: f64, median: f64, spread: f64) -> f64 {
    let z = (x.ln() - median.ln()) / spread;
    1.0 / (1.0 + (-1.702 * z).exp())
}

impl Model {
    pub fn new(seed: u64) -> Self {
        Model { seed, faults: Vec::new(), changes: Vec::new(), epoch: 0.0, load: 1.0 }
    }

    /// The faults on service `i` active at `t`.
    pub fn faults_at(&self, i: usize, t: f64) -> impl Iterator<Item = &Fault> {
        self.faults.iter().filter(move |f| f.service == i && f.active(t))
    }

    /// Whether service `i` answers at `t`.
    pub fn is_up(&self, i: usize, t: f64) -> bool {
        !self.faults_at(i, t).any(|f| f.kind == FaultKind::Down)
    }

    /// The version service `i` runs at `t`: a bad deploy's while it lasts, else the last rollback's,
    /// else the topology's.
    pub fn version(&self, i: usize, t: f64) -> &str {
        let bad = self.faults_at(i, t).find_map(|f| match &f.kind {
            FaultKind::BadDeploy { version, .. } => Some(version.as_str()),
            _ => None,
        });
        let rolled_back = || {
            self.changes
                .iter()
                .filter(|c| c.service == TOPOLOGY[i].name && c.at <= t)
                .filter_map(|c| c.version.as_deref())
                .next_back()
        };
        bad.or_else(rolled_back).unwrap_or(TOPOLOGY[i].version)
    }

    /// Uniform noise in [−1, 1), fixed for (seed, service, stream, minute): repeatable, and smooth enough
    /// that a rate over a few minutes is stable.
    fn noise(&self, service: usize, stream: u64, minute: i64) -> f64 {
        let key = self.seed
            ^ (service as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ stream.rotate_left(48)
            ^ (minute as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        StdRng::seed_from_u64(key).random_range(-1.0..1.0)
    }

    pub fn moment(&self, service: usize, unix_secs: f64) -> Moment {
        let s: &ServiceSpec = &TOPOLOGY[service];
        let minute = (unix_secs / 60.0).floor() as i64;
        let load = daily(unix_secs) * (1.0 + 0.08 * self.noise(service, 1, minute));
        let mut error_ratio = s.error_ratio * (1.0 + 0.5 * self.noise(service, 2, minute));
        let mut latency = s.latency * (1.0 + 0.15 * load) * (1.0 + 0.05 * self.noise(service, 3, minute));
        // Dependencies are called in parallel: a request waits for the slowest, and a share of their
        // failures (those not retried or degraded around) surfaces as its own.
        let mut slowest: f64 = 0.0;
        for d in s.depends_on.iter().filter_map(|d| index_of(d)) {
            let dm = self.moment(d, unix_secs);
            slowest = slowest.max(dm.latency);
            error_ratio += dm.error_ratio * 0.3;
        }
        latency += slowest * 0.8;
        let mut disk = s.disk_used_bytes;
        let mut cert_expiry = (unix_secs / 86_400.0).floor() * 86_400.0 + CERT_VALIDITY;
        let mut connections = s.connections * load * self.load;
        for f in self.faults_at(service, unix_secs) {
            match &f.kind {
                FaultKind::Latency { factor } => latency *= factor.max(1.0),
                FaultKind::Errors { ratio } | FaultKind::BadDeploy { error_ratio: ratio, .. } => error_ratio += ratio,
                FaultKind::Timeout { seconds, error_ratio: ratio } => {
                    latency = latency.max(*seconds);
                    error_ratio += ratio;
                    // Requests pile up while they hang.
                    connections *= 1.0 + seconds / latency.max(0.001);
                }
                FaultKind::DiskFill { fill_in } => {
                    let done = ((unix_secs - f.from) / fill_in.max(1.0)).clamp(0.0, 1.0);
                    disk += (s.disk_capacity_bytes - disk) * done;
                }
                FaultKind::CertExpiry { expires_in } => cert_expiry = f.from + expires_in,
                // Callers' requests to it fail (and the share the model propagates upstream).
                FaultKind::Down => error_ratio = 1.0,
            }
        }
        Moment {
            rps: s.rps * load * self.load,
            error_ratio: error_ratio.clamp(0.0, 1.0),
            latency,
            spread: s.spread,
            cpu: s.cpu * (0.3 + 0.7 * load),
            memory_bytes: s.memory_bytes * (0.9 + 0.1 * load),
            connections: connections.round(),
            disk_used_bytes: disk.round(),
            cert_expiry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prometheus's histogram_quantile over the expected bucket shares: linear inside the bucket.
    fn bucket_quantile(q: f64, median: f64, spread: f64) -> f64 {
        let mut lower = (0.0, 0.0);
        for le in BUCKETS {
            let share = below(le, median, spread);
            if share >= q {
                return lower.0 + (le - lower.0) * (q - lower.1) / (share - lower.1);
            }
            lower = (le, share);
        }
        f64::INFINITY
    }
    #[test]
    fn repeatable_and_seed_dependent() {
        let t = 1_800_000_000.0;
        assert_eq!(Model::new(7).moment(0, t), Model::new(7).moment(0, t));
        assert_ne!(Model::new(7).moment(0, t), Model::new(8).moment(0, t));
    }
    #[test]
    fn dependencies_add_latency_and_errors() {
        let m = Model::new(1);
        let t = 1_800_000_000.0;
        let gateway = m.moment(0, t);
        let db = m.moment(index_of("db").unwrap(), t);
        assert!(gateway.latency > TOPOLOGY[0].latency + db.latency * 0.8);
        assert!(gateway.error_ratio > TOPOLOGY[0].error_ratio);
    }
    #[test]
    fn at_rest_every_service_is_within_the_default_slo() {
        let m = Model::new(42);
        for (i, spec) in TOPOLOGY.iter().enumerate() {
            for h in 0..24 {
                let at = m.moment(i, 1_800_000_000.0 + f64::from(h) * 3600.0);
                // p95 as histogram_quantile estimates it from the buckets (what the console shows).
                let p95 = bucket_quantile(0.95, at.latency, at.spread);
                assert!(at.error_ratio < 0.001, "{} errors {}", spec.name, at.error_ratio);
                assert!(p95 < 0.2, "{} p95 {p95}", spec.name);
            }
        }
    }
    #[test]
    fn daily_cycle_and_distribution() {
        assert!(daily(4.0 * 3600.0) < 0.5 && daily(16.0 * 3600.0) > 1.5);
        assert!((below(0.1, 0.1, 0.5) - 0.5).abs() < 1e-12);
        assert!(below(10.0, 0.1, 0.5) > 0.999 && below(0.001, 0.1, 0.5) < 0.001);
    }
}
