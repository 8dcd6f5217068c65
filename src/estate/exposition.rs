//! A service's metrics in the Prometheus text exposition format (version 0.0.4).
use super::model::BUCKETS;
use super::sim::Simulator;
use super::topology::TOPOLOGY;
use std::fmt::Write;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The exposition of service `i` at the simulator's current time.
pub fn render(sim: &Simulator, i: usize) -> String {
    let spec = &TOPOLOGY[i];
    let c = &sim.counters[i];
    let m = sim.moment(i);
    let mut o = String::with_capacity(2048);
    family(&mut o, "http_requests_total", "counter", "HTTP requests handled, by status code.");
    let _ = writeln!(o, "http_requests_total{{code=\"200\"}} {}", c.requests_ok);
    let _ = writeln!(o, "http_requests_total{{code=\"500\"}} {}", c.requests_err);
    family(&mut o, "http_request_duration_seconds", "histogram", "Time to answer a request.");
    for (le, n) in BUCKETS.iter().zip(c.buckets) {
        let _ = writeln!(o, "http_request_duration_seconds_bucket{{le=\"{le}\"}} {n}");
    }
    let _ = writeln!(o, "http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}", c.requests());
    let _ = writeln!(o, "http_request_duration_seconds_sum {}", c.latency_sum);
    let _ = writeln!(o, "http_request_duration_seconds_count {}", c.requests());
    family(&mut o, "process_cpu_seconds_total", "counter", "CPU time used, seconds.");
    let _ = writeln!(o, "process_cpu_seconds_total {}", c.cpu_seconds);
    family(&mut o, "process_resident_memory_bytes", "gauge", "Resident memory, bytes.");
    let _ = writeln!(o, "process_resident_memory_bytes {}", m.memory_bytes.round());
    family(&mut o, "app_connections_active", "gauge", "Open client connections.");
    let _ = writeln!(o, "app_connections_active {}", m.connections);
    family(&mut o, "app_disk_used_bytes", "gauge", "Disk space in use, bytes.");
    let _ = writeln!(o, "app_disk_used_bytes {}", spec.disk_used_bytes.round());
    family(&mut o, "app_disk_capacity_bytes", "gauge", "Disk size, bytes.");
    let _ = writeln!(o, "app_disk_capacity_bytes {}", spec.disk_capacity_bytes.round());
    family(&mut o, "app_build_info", "gauge", "The running version; always 1.");
    let _ = writeln!(o, "app_build_info{{service=\"{}\",version=\"{}\"}} 1", spec.name, spec.version);
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
