//! Samples from text: the Prometheus exposition format or OpenMetrics, with or without timestamps.
//!
//! Written by hand rather than with prometheus-parse because storage needs every raw sample with its own
//! timestamp, while that crate folds histogram and summary lines into per-family values.
use super::store::{Labels, NAME, Store};

/// Load every sample line; `default_ms` is the time of samples that carry none. Returns how many.
pub fn load(store: &mut Store, text: &str, default_ms: i64) -> Result<usize, String> {
    load_with(store, text, default_ms, &Labels::new())
}

/// As [`load`], with `target` labels (a scrape's `job` and `instance`) set on every sample.
pub fn load_with(store: &mut Store, text: &str, default_ms: i64, target: &Labels) -> Result<usize, String> {
    load_each(store, text, default_ms, target, |_| {})
}

/// As [`load_with`], calling `seen` with each series' labels (a scrape tracks which series vanish).
pub fn load_each(
    store: &mut Store,
    text: &str,
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
        let (mut labels, v, t) = sample(line).map_err(|e| format!("line {}: {e}: {line}", no + 1))?;
        labels.extend(target.iter().map(|(k, v)| (k.clone(), v.clone())));
        seen(&labels);
        store.append(labels, t.unwrap_or(default_ms), v);
        n += 1;
    }
    Ok(n)
}

fn sample(line: &str) -> Result<(Labels, f64, Option<i64>), String> {
    let name_end = line.find(['{', ' ']).ok_or("expected a metric name and a value")?;
    let mut labels = Labels::new();
    labels.insert(NAME.to_string(), line[..name_end].to_string());
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        rest = parse_labels(body, &mut labels)?;
    }
    let mut parts = rest.split_whitespace();
    let v = parts.next().ok_or("expected a value")?;
    let v = parse_value(v)?;
    let t = parts.next().map(millis).transpose()?;
    Ok((labels, v, t))
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
        let text = "# TYPE x counter\nx_total{a=\"q\\\"uote\",b=\"2\"} 3.5 1700000000.25\nup 1\nnan_metric NaN 5\n";
        assert_eq!(load(&mut s, text, 42).unwrap(), 3);
        let x = &s.series()[0];
        assert_eq!(x.labels["a"], "q\"uote");
        assert_eq!(x.samples, vec![(1_700_000_000_250, 3.5)]);
        assert_eq!(s.series()[1].samples, vec![(42, 1.0)]);
        assert!(s.series()[2].samples[0].1.is_nan());
        assert!(load(&mut s, "bad{a=\"x} 1", 0).unwrap_err().contains("line 1"));
    }
}
