//! The estate's services and who calls whom.

/// A simulated service's nominal behaviour; the model varies it over the day and with noise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceSpec {
    pub name: &'static str,
    /// Services this one calls; their errors and latency propagate upstream.
    pub depends_on: &'static [&'static str],
    /// Requests per second at the daily mean.
    pub rps: f64,
    /// Fraction of requests failing with a 5xx when all is well.
    pub error_ratio: f64,
    /// Median latency of its own work, seconds (dependencies add theirs).
    pub latency: f64,
    /// Spread of the log-normal latency distribution.
    pub spread: f64,
    /// CPU cores in use at the daily mean.
    pub cpu: f64,
    pub memory_bytes: f64,
    pub connections: f64,
    pub disk_capacity_bytes: f64,
    pub disk_used_bytes: f64,
    pub version: &'static str,
}

const GB: f64 = 1024.0 * 1024.0 * 1024.0;

const fn spec(name: &'static str, depends_on: &'static [&'static str], rps: f64, latency: f64) -> ServiceSpec {
    ServiceSpec {
        name,
        depends_on,
        rps,
        error_ratio: 0.0002,
        latency,
        spread: 0.4,
        cpu: 0.4,
        memory_bytes: 0.5 * GB,
        connections: 40.0,
        disk_capacity_bytes: 50.0 * GB,
        disk_used_bytes: 12.0 * GB,
        version: "1.0.0",
    }
}

/// gateway → checkout → payments, inventory; gateway → search → cache; gateway → auth; all → db.
pub const TOPOLOGY: &[ServiceSpec] = &[
    ServiceSpec {
        version: "2.14.1",
        cpu: 1.2,
        connections: 900.0,
        ..spec("gateway", &["checkout", "search", "auth"], 420.0, 0.004)
    },
    ServiceSpec {
        version: "5.2.0",
        error_ratio: 0.0004,
        ..spec("checkout", &["payments", "inventory", "db"], 38.0, 0.012)
    },
    ServiceSpec { version: "3.8.7", error_ratio: 0.0005, ..spec("payments", &["db"], 12.0, 0.035) },
    ServiceSpec { version: "1.22.3", ..spec("inventory", &["db", "cache"], 95.0, 0.012) },
    ServiceSpec { version: "4.0.2", cpu: 2.1, ..spec("search", &["cache"], 160.0, 0.035) },
    ServiceSpec { version: "2.3.9", ..spec("auth", &["db", "cache"], 210.0, 0.006) },
    ServiceSpec {
        version: "16.4",
        cpu: 1.6,
        memory_bytes: 6.0 * GB,
        connections: 180.0,
        disk_capacity_bytes: 500.0 * GB,
        disk_used_bytes: 210.0 * GB,
        ..spec("db", &[], 640.0, 0.002)
    },
    ServiceSpec { version: "7.2.5", memory_bytes: 2.0 * GB, ..spec("cache", &[], 1500.0, 0.0004) },
];

/// The team owning each service: the demo's overview groups by it (`b`).
pub fn team_of(name: &str) -> &'static str {
    match name {
        "gateway" | "auth" => "edge",
        "checkout" | "payments" | "inventory" => "commerce",
        _ => "platform",
    }
}

pub fn index_of(name: &str) -> Option<usize> {
    TOPOLOGY.iter().position(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn dependencies_exist_and_do_not_loop() {
        for s in TOPOLOGY {
            for d in s.depends_on {
                let i = index_of(d).unwrap_or_else(|| panic!("{} depends on unknown {d}", s.name));
                assert!(i > index_of(s.name).unwrap(), "{} → {d}: callers come before callees", s.name);
            }
        }
        assert_eq!(TOPOLOGY.len(), 8);
    }
}
