//! A service's metrics as families of samples, rendered as the Prometheus text exposition format (what a
//! scrape gets) or as OpenMetrics with timestamps (what an export writes, for backfilling).
use super::model::BUCKETS;
use super::sim::Simulator;
use super::topology::TOPOLOGY;
use std::fmt::Write;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One sample: the suffix added to the family name (`_total`, `_bucket`, …), its labels, and the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub suffix: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

/// A metric family, named as OpenMetrics names it (a counter `http_requests` has samples
/// `http_requests_total`).
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    pub samples: Vec<Sample>,
}

fn one(name: &'static str, kind: Kind, help: &'static str, suffix: &'static str, value: f64) -> Family {
    Family { name, kind, help, samples: vec![Sample { suffix, labels: Vec::new(), value }] }
}

/// Service `i`'s families at the simulator's current time.
pub fn families(sim: &Simulator, i: usize) -> Vec<Family> {
    let spec = &TOPOLOGY[i];
    let c = &sim.counters[i];
    let m = sim.moment(i);
    let mut latency: Vec<Sample> = BUCKETS
        .iter()
        .zip(c.buckets)
        .map(|(le, n)| Sample { suffix: "_bucket", labels: vec![("le", le.to_string())], value: n })
        .collect();
    latency.push(Sample { suffix: "_bucket", labels: vec![("le", "+Inf".into())], value: c.requests() });
    latency.push(Sample { suffix: "_sum", labels: Vec::new(), value: c.latency_sum });
    latency.push(Sample { suffix: "_count", labels: Vec::new(), value: c.requests() });
    vec![
        Family {
            name: "http_requests",
            kind: Kind::Counter,
            help: "HTTP requests handled, by status code.",
            samples: vec![
                Sample { suffix: "_total", labels: vec![("code", "200".into())], value: c.requests_ok },
                Sample { suffix: "_total", labels: vec![("code", "500".into())], value: c.requests_err },
            ],
        },
        Family {
            name: "http_request_duration_seconds",
            kind: Kind::Histogram,
            help: "Time to answer a request.",
            samples: latency,
        },
        one("process_cpu_seconds", Kind::Counter, "CPU time used, seconds.", "_total", c.cpu_seconds),
        one("process_resident_memory_bytes", Kind::Gauge, "Resident memory, bytes.", "", m.memory_bytes.round()),
        one("app_connections_active", Kind::Gauge, "Open client connections.", "", m.connections),
        one("app_disk_used_bytes", Kind::Gauge, "Disk space in use, bytes.", "", m.disk_used_bytes),
        one("app_disk_capacity_bytes", Kind::Gauge, "Disk size, bytes.", "", spec.disk_capacity_bytes.round()),
        one(
            "app_tls_cert_expiry_timestamp_seconds",
            Kind::Gauge,
            "When the serving certificate expires, unix seconds.",
            "",
            m.cert_expiry,
        ),
        Family {
            name: "app_build_info",
            kind: Kind::Gauge,
            help: "The running version; always 1.",
            samples: vec![Sample {
                suffix: "",
                labels: vec![("service", spec.name.to_string()), ("version", sim.model.version(i, sim.at).to_string())],
                value: 1.0,
            }],
        },
    ]
}

/// `name{labels}` with `extra` labels (already written, such as an export's job and instance) first.
/// Label values here are the estate's own (service names, versions, bounds): nothing to escape.
pub fn series_name(f: &Family, s: &Sample, extra: &str) -> String {
    let own: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    let all: Vec<&str> =
        std::iter::once(extra).filter(|e| !e.is_empty()).chain(own.iter().map(String::as_str)).collect();
    let labels = if all.is_empty() { String::new() } else { format!("{{{}}}", all.join(",")) };
    format!("{}{}{labels}", f.name, s.suffix)
}

/// The text exposition format (0.0.4), as a scrape of service `i` returns it.
pub fn render(sim: &Simulator, i: usize) -> String {
    let mut o = String::with_capacity(2048);
    for f in families(sim, i) {
        // The classic format names a counter family after its sample (`http_requests_total`).
        let name = if f.kind == Kind::Counter { format!("{}_total", f.name) } else { f.name.to_string() };
        let _ = writeln!(o, "# HELP {name} {}\n# TYPE {name} {}", f.help, f.kind.name());
        for s in &f.samples {
            let _ = writeln!(o, "{} {}", series_name(&f, s, ""), s.value);
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_as_exposition_with_the_conventional_families() {
        let mut sim = Simulator::new(42, 1_800_000_000.0);
        sim.advance_to(1_800_000_030.0);
        let text = render(&sim, 1);
        let lines = text.lines().map(|l| Ok(l.to_string()));
        let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition");
        let names: std::collections::BTreeSet<&str> = scrape.samples.iter().map(|s| s.metric.as_str()).collect();
        for want in
            ["http_requests_total", "http_request_duration_seconds", "process_cpu_seconds_total", "app_build_info"]
        {
            assert!(names.contains(want), "{want} missing from {names:?}");
        }
        let histogram = scrape
            .samples
            .iter()
            .find_map(|s| match &s.value {
                prometheus_parse::Value::Histogram(h) => Some(h.clone()),
                _ => None,
            })
            .expect("a histogram");
        assert_eq!(histogram.len(), BUCKETS.len() + 1);
    }
}
