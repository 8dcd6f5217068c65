//! The PromQL behind each figure of a service: common conventions, each overridable.
use std::time::Duration;

/// Queries with a `$window` placeholder for the range (`5m` for current figures, `30d` for the SLO).
#[derive(Clone, Debug, PartialEq)]
pub struct Queries {
    /// One series per target, 1 when up.
    pub up: String,
    /// Requests per second.
    pub requests: String,
    /// Failed requests per second.
    pub errors: String,
    /// p95 latency in seconds.
    pub latency_p95: String,
    /// A saturation figure (CPU cores used by default).
    pub saturation: String,
    /// The availability over the SLO window (`$window`), as a ratio; by default one minus the error
    /// ratio over the window. Set it to read recording rules (an SLO generator's, say) instead.
    pub availability: Option<String>,
    /// What the conventional queries were made from, so the services that still use them can be asked
    /// together (one query per figure for all of them). A figure whose query was overridden no longer
    /// equals the convention's and is asked on its own.
    pub convention: Option<Convention>,
}

/// The parameters of the conventional queries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Convention {
    pub job: String,
    pub status_label: String,
    /// The recording rules the availability is read from (requests, errors), when it is.
    pub recorded: Option<(String, String)>,
}

/// The placeholder replaced by a PromQL duration.
pub const WINDOW: &str = "$window";

/// A label value as a PromQL string literal body: quotes, backslashes and line breaks escaped, and every
/// invisible or bidi code point as `\uXXXX`, so the query reads as plain text and names the raw value.
pub fn escape_label(v: &str) -> String {
    crate::text::quote::body(v)
}

impl Queries {
    /// `up`, `http_requests_total` by status code and `http_request_duration_seconds_bucket`.
    pub fn conventional(job: &str, status_label: &str) -> Self {
        let j = escape_label(job);
        let s = status_label;
        Queries {
            up: format!("up{{job=\"{j}\"}}"),
            requests: format!("sum(rate(http_requests_total{{job=\"{j}\"}}[$window]))"),
            errors: format!("sum(rate(http_requests_total{{job=\"{j}\",{s}=~\"5..\"}}[$window]))"),
            latency_p95: format!(
                "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{job=\"{j}\"}}[$window])))"
            ),
            saturation: format!("sum(rate(process_cpu_seconds_total{{job=\"{j}\"}}[$window]))"),
            availability: None,
            convention: Some(Convention { job: job.to_string(), status_label: s.to_string(), recorded: None }),
        }
    }

    /// Availability over `window` read from per-job recording rules of requests and errors counted
    /// over fixed intervals (the estate's `job:slo_requests:increase10m` and `job:slo_errors:…`).
    pub fn recorded_availability(job: &str, requests: &str, errors: &str) -> String {
        let j = escape_label(job);
        format!(
            "1 - ((sum(sum_over_time({errors}{{job=\"{j}\"}}[$window])) or vector(0)) / sum(sum_over_time({requests}{{job=\"{j}\"}}[$window])))"
        )
    }

    /// Read the availability from per-job recording rules (see [`Queries::recorded_availability`]).
    pub fn with_recorded_availability(mut self, requests: &str, errors: &str) -> Self {
        if let Some(c) = &mut self.convention {
            self.availability = Some(Self::recorded_availability(&c.job, requests, errors));
            c.recorded = Some((requests.to_string(), errors.to_string()));
        }
        self
    }

    pub fn at(query: &str, window: Duration) -> String {
        query.replace(WINDOW, &crate::time::promql(window))
    }

    /// The error ratio over a window, as one query. A service that never failed has no error series at
    /// all, so errors default to 0 (`or vector(0)`); with no requests the ratio is empty, not 0.
    pub fn error_ratio(&self, window: Duration) -> String {
        format!("(({}) or vector(0)) / ({})", Self::at(&self.errors, window), Self::at(&self.requests, window))
    }
}

/// Parse a query as Prometheus would, with `$window` set. On error: the message and the byte offset in
/// the query as written where the error is.
pub fn check(query: &str) -> Result<(), (String, Option<usize>)> {
    let probe = query.replace(WINDOW, "5m");
    match promql_parser::parser::parse(&probe) {
        Ok(_) => Ok(()),
        Err(e) => {
            let pos = locate(&probe, &e).map(|p| map_back(query, p));
            Err((e, pos))
        }
    }
}

/// The parser names no position, so find one: the shortest prefix of the query that fails with the same
/// message ends at the offending character (an unclosed `(`, a stray `)`, a dangling operator). An
/// unknown function is pointed at by its name.
fn locate(probe: &str, msg: &str) -> Option<usize> {
    if let Some(name) = msg.strip_prefix("unknown function with name '").and_then(|r| r.strip_suffix('\'')) {
        return probe.find(&format!("{name}("));
    }
    if probe.len() > 4096 {
        return None;
    }
    probe
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .find(|&end| promql_parser::parser::parse(&probe[..end]).err().as_deref() == Some(msg))
        .map(|end| probe[..end].char_indices().last().map_or(0, |(i, _)| i))
}

/// A position in the probe (with `5m`) back to the query as written (with `$window`).
fn map_back(query: &str, probe_pos: usize) -> usize {
    let shift = WINDOW.len() as isize - 2;
    let mut before = 0isize;
    let mut rest = query;
    let mut consumed = 0usize;
    while let Some(i) = rest.find(WINDOW) {
        if (consumed + i) as isize - before * shift > probe_pos as isize {
            break;
        }
        before += 1;
        consumed += i + WINDOW.len();
        rest = &query[consumed..];
    }
    (probe_pos as isize + before * shift).max(0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn conventions_parse() {
        let q = Queries::conventional("check\"out", "code");
        for s in [&q.up, &q.requests, &q.errors, &q.latency_p95, &q.saturation] {
            check(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        }
        assert!(q.requests.contains("job=\"check\\\"out\""));
        assert_eq!(Queries::at(&q.requests, Duration::from_secs(3600)).matches("[1h]").count(), 1);
    }
    #[test]
    fn bad_query_is_located() {
        assert_eq!(check("sum(rate(x[5m])").unwrap_err().1, Some(3), "the unclosed `(` of sum");
        assert_eq!(check("rate(x[$window)").unwrap_err().1, Some(14), "the `)` inside brackets");
        let (msg, pos) = check("rate(x[$window]) + nosuch(y)").unwrap_err();
        assert!(msg.contains("nosuch"));
        assert_eq!(pos, Some(19));
    }
}
