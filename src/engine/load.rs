//! Samples from text: the Prometheus exposition format or OpenMetrics, with or without timestamps.
//!
//! Written by hand rather than with prometheus-parse because storage needs every raw sample with its own
//! timestamp, while that crate folds histogram and summary lines into per-family values.
use super::store::{Labels, NAME, Store};

/// The two text formats differ where it matters here: a sample's timestamp is integer milliseconds in
/// Prometheus's text format (what `/federate` writes on every sample) and float seconds in OpenMetrics,
/// whose samples may also carry an exemplar (` # {trace_id="…"} 0.05 1520879607.789`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    OpenMetrics,
}

impl Format {
    /// By the response's Content-Type, as Prometheus chooses its parser; with none, OpenMetrics when the
    /// text ends with `# EOF` (which that format requires), else the text format.
    pub fn of(content_type: Option<&str>, text: &str) -> Format {
        let media = content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        match media.as_deref() {
            Some("application/openmetrics-text") => Format::OpenMetrics,
            Some(m) if !m.is_empty() => Format::Text,
            _ if text.trim_end().ends_with("# EOF") => Format::OpenMetrics,
            _ => Format::Text,
        }
    }
}

/// Load every sample line (the format told by the text itself); `default_ms` is the time of samples that
/// carry none. Returns how many.
pub fn load(store: &mut Store, text: &str, default_ms: i64) -> Result<usize, String> {
    load_each(store, text, Format::of(None, text), default_ms, &Labels::new(), |_| {})
}

/// As [`load`] in a known format, with `target` labels (a scrape's `job` and `instance`) set on every
/// sample, calling `seen` with each series' labels (a scrape tracks which series vanish).
pub fn load_each(
    store: &mut Store,
    text: &str,
    format: Format,
    default_ms: i64,
    target: &Labels,
    mut seen: impl FnMut(&Labels),
) -> Result<usize, String> {
    let mut n = 0;
    for (no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (mut labels, v, t) = sample(line, format).map_err(|e| format!("line {}: {e}: {line}", no + 1))?;
        labels.extend(target.iter().map(|(k, v)| (k.clone(), v.clone())));
        seen(&labels);
        store.append(labels, t.unwrap_or(default_ms), v);
        n += 1;
    }
    Ok(n)
}

fn sample(line: &str, format: Format) -> Result<(Labels, f64, Option<i64>), String> {
    let name_end = line.find(['{', ' ']).ok_or("expected a metric name and a value")?;
    let mut labels = Labels::new();
    labels.insert(NAME.to_string(), line[..name_end].to_string());
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        rest = parse_labels(body, &mut labels)?;
    }
    if format == Format::OpenMetrics
        && let Some((sample, exemplar)) = rest.split_once(" # ")
    {
        self::exemplar(exemplar)?;
        rest = sample;
    }
    let mut parts = rest.split_whitespace();
    let v = parts.next().ok_or("expected a value")?;
    let v = parse_value(v)?;
    let t = match format {
        Format::Text => parts.next().map(|t| t.parse::<i64>().map_err(|_| format!("`{t}` is not a timestamp in ms"))),
        Format::OpenMetrics => parts.next().map(millis),
    }
    .transpose()?;
    if let Some(extra) = parts.next() {
        return Err(format!("unexpected `{extra}` after the timestamp"));
    }
    Ok((labels, v, t))
}

/// An OpenMetrics exemplar, `{labels} value [timestamp]`: checked, not stored (the store keeps series).
fn exemplar(s: &str) -> Result<(), String> {
    let body = s.trim_start().strip_prefix('{').ok_or("expected an exemplar's {labels}")?;
    let mut labels = Labels::new();
    let rest = parse_labels(body, &mut labels).map_err(|e| format!("exemplar: {e}"))?;
    let mut parts = rest.split_whitespace();
    parse_value(parts.next().ok_or("expected the exemplar's value")?)?;
    parts.next().map(millis).transpose()?;
    Ok(())
}

/// `a="x",b="y"}` → the labels; returns what follows the closing brace.
fn parse_labels<'a>(mut s: &'a str, labels: &mut Labels) -> Result<&'a str, String> {
    loop {
        s = s.trim_start_matches([' ', ',']);
        if let Some(rest) = s.strip_prefix('}') {
            return Ok(rest);
        }
        let eq = s.find('=').ok_or("expected label=\"value\"")?;
        let key = s[..eq].trim().to_string();
        let body = s[eq + 1..].trim_start().strip_prefix('"').ok_or("expected a quoted label value")?;
        let mut value = String::new();
        let mut chars = body.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => return Err("unterminated escape".into()),
                },
                Some((_, c)) => value.push(c),
            }
        };
        labels.insert(key, value);
        s = &body[end + 1..];
    }
}

fn parse_value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s.parse().map_err(|_| format!("`{s}` is not a number")),
    }
}

/// Seconds with up to millisecond decimals, to integral milliseconds without float rounding.
fn millis(s: &str) -> Result<i64, String> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = int.parse().map_err(|_| format!("`{s}` is not a timestamp"))?;
    let ms: String = frac.chars().chain("000".chars()).take(3).collect();
    let ms: i64 = ms.parse().map_err(|_| format!("`{s}` is not a timestamp"))?;
    Ok(secs * 1000 + if secs < 0 { -ms } else { ms })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lines() {
        let mut s = Store::default();
        let text =
            "# TYPE x counter\nx_total{a=\"q\\\"uote\",b=\"2\"} 3.5 1700000000.25\nup 1\nnan_metric NaN 5\n# EOF\n";
        assert_eq!(load(&mut s, text, 42).unwrap(), 3);
        let x = &s.series()[0];
        assert_eq!(x.labels["a"], "q\"uote");
        assert_eq!(x.samples, vec![(1_700_000_000_250, 3.5)]);
        assert_eq!(s.series()[1].samples, vec![(42, 1.0)]);
        assert!(s.series()[2].samples[0].1.is_nan());
        assert!(load(&mut s, "bad{a=\"x} 1", 0).unwrap_err().contains("line 1"));
    }

    /// Prometheus's text format (what `/federate` writes): timestamps are integer milliseconds.
    #[test]
    fn text_format_timestamps_are_milliseconds() {
        let mut s = Store::default();
        let text = "# TYPE up untyped\nup{instance=\"a\",job=\"x\"} 1 1395066363000\n";
        assert_eq!(Format::of(Some("text/plain; version=0.0.4; charset=utf-8"), text), Format::Text);
        load_each(&mut s, text, Format::Text, 0, &Labels::new(), |_| {}).unwrap();
        assert_eq!(s.series()[0].samples, vec![(1_395_066_363_000, 1.0)]);
        let e = load_each(&mut s, "up 1 1395066363.5\n", Format::Text, 0, &Labels::new(), |_| {}).unwrap_err();
        assert!(e.contains("not a timestamp in ms"), "{e}");
    }

    /// OpenMetrics: timestamps in seconds, and exemplars after ` # ` (the format's own example).
    #[test]
    fn openmetrics_exemplars_are_read() {
        let text = "# TYPE foo histogram\n\
            foo_bucket{le=\"0.01\"} 0\n\
            foo_bucket{le=\"0.1\"} 8 # {} 0.054\n\
            foo_bucket{le=\"1\"} 11 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n\
            foo_bucket{le=\"+Inf\"} 17 1520879607.789 # {trace_id=\"oHg5SJYRHA0\"} 9.8 1520879607.789\n\
            foo_count 17\n\
            # EOF\n";
        assert_eq!(
            Format::of(Some("application/openmetrics-text; version=1.0.0; charset=utf-8"), text),
            Format::OpenMetrics
        );
        assert_eq!(Format::of(None, text), Format::OpenMetrics);
        let mut s = Store::default();
        assert_eq!(load(&mut s, text, 5).unwrap(), 5);
        let inf = s.series().iter().find(|x| x.labels.get("le").is_some_and(|l| l == "+Inf")).unwrap();
        assert_eq!(inf.samples, vec![(1_520_879_607_789, 17.0)]);
        assert!(load(&mut s, "foo 1 # {trace_id=\"x\" 2\n# EOF\n", 0).unwrap_err().contains("exemplar"));
    }
}
