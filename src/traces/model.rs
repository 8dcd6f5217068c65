//! A trace as the console holds it, whatever store it came from. Text fields are sanitized where the
//! store's answer is read.
use crate::text::Clean;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Span {
    pub span_id: String,
    /// The parent's id; `None` for a root. A parent that is not in the trace makes an orphan.
    pub parent: Option<String>,
    pub service: Clean,
    pub operation: Clean,
    /// Microseconds since the epoch.
    pub start_us: i64,
    pub duration_us: i64,
    pub error: bool,
    pub attributes: Vec<(Clean, Clean)>,
    /// Events (OTLP) or logs (Jaeger, Zipkin annotations): time in µs and a one-line description.
    pub events: Vec<(i64, Clean)>,
}

impl Span {
    pub fn end_us(&self) -> i64 {
        self.start_us.saturating_add(self.duration_us.max(0))
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub trace_id: String,
    pub spans: Vec<Span>,
    /// What the store's answer had that could not be read (shown above the waterfall).
    pub warnings: Vec<String>,
}

impl Trace {
    pub fn start_us(&self) -> i64 {
        self.spans.iter().map(|s| s.start_us).min().unwrap_or(0)
    }
    pub fn end_us(&self) -> i64 {
        self.spans.iter().map(Span::end_us).max().unwrap_or(0)
    }
    pub fn duration_us(&self) -> i64 {
        self.end_us() - self.start_us()
    }
    pub fn errors(&self) -> usize {
        self.spans.iter().filter(|s| s.error).count()
    }
    pub fn summary(&self) -> TraceSummary {
        let ids: std::collections::HashSet<&str> = self.spans.iter().map(|s| s.span_id.as_str()).collect();
        let root = self
            .spans
            .iter()
            .filter(|s| s.parent.as_deref().is_none_or(|p| !ids.contains(p)))
            .min_by_key(|s| s.start_us);
        TraceSummary {
            trace_id: self.trace_id.clone(),
            service: root.map(|r| r.service.clone()).unwrap_or_default(),
            operation: root.map(|r| r.operation.clone()).unwrap_or_default(),
            start_us: self.start_us(),
            duration_us: self.duration_us(),
            spans: self.spans.len(),
            errors: self.errors(),
        }
    }
}

/// One row of a trace list: what a search returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceSummary {
    pub trace_id: String,
    pub service: Clean,
    pub operation: Clean,
    pub start_us: i64,
    pub duration_us: i64,
    pub spans: usize,
    pub errors: usize,
}

/// A trace list in the order an engineer reads it during an incident: erroring traces first, then the
/// slowest, then the newest.
pub fn sort_for_triage(list: &mut [TraceSummary]) {
    list.sort_by(triage_order);
}

/// The order of [`sort_for_triage`], for lists of references too.
pub fn triage_order(a: &TraceSummary, b: &TraceSummary) -> std::cmp::Ordering {
    (b.errors > 0).cmp(&(a.errors > 0)).then(b.duration_us.cmp(&a.duration_us)).then(b.start_us.cmp(&a.start_us))
}

#[cfg(test)]
pub(crate) fn test_span(id: &str, parent: Option<&str>, start: i64, dur: i64) -> Span {
    Span { span_id: id.into(), parent: parent.map(Into::into), start_us: start, duration_us: dur, ..Span::default() }
}
