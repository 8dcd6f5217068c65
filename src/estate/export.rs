//! The estate over a window as OpenMetrics text with timestamps: what a scrape every `step` would have
//! stored, with the `job` and `instance` labels and the `up` series that scraping adds. Debian's
//! `promtool tsdb create-blocks-from openmetrics` turns it into blocks a real Prometheus serves.
use super::exposition::{Family, families, series_name};
use super::serve::DEFAULT_PORT;
use super::sim::Simulator;
use super::topology::TOPOLOGY;
use std::io::{self, Write};

/// The `job` and `instance` labels of service `i`, as a Prometheus scraping `estate serve` on its
/// default ports would set them.
pub fn target_labels(i: usize) -> String {
    format!("instance=\"127.0.0.1:{}\",job=\"{}\"", DEFAULT_PORT as usize + i, TOPOLOGY[i].name)
}

/// Write samples at `from`, `from + step`, … up to `to` (unix seconds). OpenMetrics wants each family's
/// samples together, so every step's values are kept (as numbers only) and written family by family.
pub fn write(seed: u64, from: f64, to: f64, step: f64, out: &mut impl Write) -> io::Result<()> {
    if !(step > 0.0 && to >= from) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "export needs FROM ≤ TO and a positive STEP"));
    }
    // Whole milliseconds, computed in integers: every reader parses the same instants.
    let (from_ms, to_ms) = ((from * 1000.0).round() as i64, (to * 1000.0).round() as i64);
    let step_ms = ((step * 1000.0).round() as i64).max(1);
    let mut sim = Simulator::new(seed, from_ms as f64 / 1000.0);
    let shape: Vec<Vec<Family>> = (0..TOPOLOGY.len()).map(|i| families(&sim, i)).collect();
    // values[step][service] = every sample's value, in the order of `shape`.
    let mut times = Vec::new();
    let mut values: Vec<Vec<Vec<f64>>> = Vec::new();
    let mut t = from_ms;
    while t <= to_ms {
        sim.advance_to(t as f64 / 1000.0);
        times.push(format!("{}.{:03}", t.div_euclid(1000), t.rem_euclid(1000)));
        values.push(
            (0..TOPOLOGY.len())
                .map(|i| families(&sim, i).iter().flat_map(|f| f.samples.iter().map(|s| s.value)).collect())
                .collect(),
        );
        t += step_ms;
    }
    let mut w = io::BufWriter::new(out);
    writeln!(w, "# HELP up Whether the target answered its scrape.\n# TYPE up gauge")?;
    for i in 0..TOPOLOGY.len() {
        for at in &times {
            writeln!(w, "up{{{}}} 1 {at}", target_labels(i))?;
        }
    }
    for (fi, family) in shape[0].iter().enumerate() {
        writeln!(w, "# HELP {} {}\n# TYPE {} {}", family.name, family.help, family.name, family.kind.name())?;
        for (i, svc_shape) in shape.iter().enumerate() {
            let f = &svc_shape[fi];
            let offset: usize = svc_shape[..fi].iter().map(|f| f.samples.len()).sum();
            for (si, s) in f.samples.iter().enumerate() {
                let name = series_name(f, s, &target_labels(i));
                for (step_values, at) in values.iter().zip(&times) {
                    writeln!(w, "{name} {} {at}", step_values[i][offset + si])?;
                }
            }
        }
    }
    writeln!(w, "# EOF")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn families_are_contiguous_and_ordered_in_time() {
        let mut out = Vec::new();
        write(5, 1_800_000_000.0, 1_800_000_300.0, 60.0, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("# EOF\n"));
        let types: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE")).collect();
        let unique: std::collections::BTreeSet<&&str> = types.iter().collect();
        assert_eq!(types.len(), unique.len(), "each family once");
        let line = "http_requests_total{instance=\"127.0.0.1:9401\",job=\"checkout\",code=\"200\"}";
        let points: Vec<f64> = text
            .lines()
            .filter(|l| l.starts_with(line))
            .map(|l| l.rsplit(' ').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(points.len(), 6);
        assert!(points.windows(2).all(|w| w[0] <= w[1]), "a counter never falls: {points:?}");
        let again = {
            let mut o = Vec::new();
            write(5, 1_800_000_000.0, 1_800_000_300.0, 60.0, &mut o).unwrap();
            o
        };
        assert_eq!(text.as_bytes(), again, "the same seed gives the same export");
    }
}
