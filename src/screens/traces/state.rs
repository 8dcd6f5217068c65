//! The Traces screens' state: a search (service, window, errors only, minimum duration) and its list,
//! the open trace's waterfall, and the overview's live traces. No I/O: searches go out as commands.
use crate::app::state::App;
use crate::sources::SourceHealth;
use crate::sources::traces::{Query, TraceCommand, TraceUpdate};
use crate::text::Clean;
use crate::traces::TraceSummary;
use crate::traces::waterfall::Waterfall;
use chrono::{DateTime, Utc};

/// The minimum durations `m` steps through, µs.
pub const MIN_DURATIONS: [i64; 6] = [0, 50_000, 100_000, 200_000, 500_000, 1_000_000];

#[derive(Debug, Default)]
pub struct TracesView {
    pub configured: bool,
    pub store: String,
    pub health: Option<SourceHealth>,
    pub service: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub errors_only: bool,
    pub min_duration_us: i64,
    pub list: Vec<TraceSummary>,
    pub selected: usize,
    pub(crate) request: u64,
    pub loading: bool,
    pub error: Option<Clean>,
    pub searched_at: Option<DateTime<Utc>>,
    /// The open trace, or the id being fetched and what went wrong.
    pub open: Option<Waterfall>,
    pub opening: Option<String>,
    pub open_error: Option<Clean>,
    /// Live traces per service, when they were fetched, and the last failure.
    pub live: Vec<(String, Vec<TraceSummary>)>,
    pub live_at: Option<DateTime<Utc>>,
    pub live_error: Option<Clean>,
    /// The overview's focus is on the live traces, at this row.
    pub live_focus: Option<usize>,
    /// The search as typed (`/`): `service=… operation="…" min=200ms errors=true key=value …`.
    pub prompt: Option<ratatui_textarea::TextArea<'static>>,
    pub prompt_error: Option<String>,
    pub operation: Option<String>,
    pub tags: Vec<(String, String)>,
    /// The service's operations and the store's services, for the prompt's hint.
    pub operations: Vec<String>,
    pub services: Vec<String>,
    pub(crate) commands: Vec<TraceCommand>,
}

/// A search as typed: `key=value` pairs (values may be double-quoted). `service`, `operation` (`op`),
/// `min` (a duration) and `errors` are the search's own; any other key is a tag.
pub fn parse_search(s: &str) -> Result<SearchSpec, String> {
    let (mut service, mut operation, mut min, mut errors, mut tags) = (None, None, 0i64, false, Vec::new());
    let mut rest = s.trim();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("`{}`: expected key=value", rest.split_whitespace().next().unwrap_or(rest)))?;
        let key = rest[..eq].trim().to_string();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(format!("`{}`: expected key=value", &rest[..eq]));
        }
        let after = &rest[eq + 1..];
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').ok_or("a quoted value is not closed")?;
            (q[..end].to_string(), &q[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        match key.as_str() {
            "service" => service = Some(value).filter(|v| !v.is_empty()),
            "operation" | "op" => operation = Some(value).filter(|v| !v.is_empty()),
            "min" => {
                min = crate::time::parse_duration(&value)
                    .map_err(|_| format!("min={value}: expected a duration such as 200ms"))?
                    .as_micros() as i64
            }
            "errors" => errors = matches!(value.as_str(), "true" | "yes" | "1"),
            _ => tags.push((key, value)),
        }
        rest = tail.trim_start();
    }
    Ok(SearchSpec { service, operation, min_duration_us: min, errors_only: errors, tags })
}

/// A typed search, parsed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchSpec {
    pub service: Option<String>,
    pub operation: Option<String>,
    pub min_duration_us: i64,
    pub errors_only: bool,
    pub tags: Vec<(String, String)>,
}

impl TracesView {
    /// The live traces in triage order across services (what the overview lists).
    pub fn live_list(&self) -> Vec<&TraceSummary> {
        let mut all: Vec<&TraceSummary> = self.live.iter().flat_map(|(_, l)| l.iter()).collect();
        all.sort_by(|a, b| crate::traces::model::triage_order(a, b));
        all
    }
}

impl App {
    /// The Traces screen for `service` over `[from, to]`, failing and slowest first.
    pub fn open_traces(&mut self, service: Option<&str>, from: DateTime<Utc>, to: DateTime<Utc>) {
        if !self.traces.configured {
            let msg = "No trace store is configured: add [jaeger], [tempo] or [zipkin] to the config.".to_string();
            self.alerts.notice = Some((false, msg.clone()));
            self.logs.notice = Some((false, msg));
            return;
        }
        let v = &mut self.traces;
        v.service = service.map(str::to_string);
        v.from = Some(from);
        v.to = Some(to);
        v.selected = 0;
        // A hop is a fresh search: an earlier manual filter (an operation, a minimum duration, errors
        // only, tags) would hide what the hop is for.
        (v.operation, v.min_duration_us, v.errors_only) = (None, 0, false);
        v.tags.clear();
        self.search_traces();
        self.go(crate::app::Screen::Traces, true);
    }

    /// Ask for the traces the search names; one of a service is an action on it (a drill's detection).
    pub(crate) fn search_traces(&mut self) {
        if let Some(s) = self.traces.service.clone() {
            self.drill_saw(&s, "the traces");
        }
        let now = self.now;
        let range = chrono::Duration::from_std(self.range()).unwrap_or_default();
        let v = &mut self.traces;
        let (from, to) = (v.from.unwrap_or(now - range), v.to.unwrap_or(now));
        v.request += 1;
        v.loading = true;
        v.error = None;
        let query = Query {
            service: v.service.clone(),
            operation: v.operation.clone(),
            tags: v.tags.clone(),
            errors_only: v.errors_only,
            min_duration_us: v.min_duration_us,
            from_us: from.timestamp_micros(),
            to_us: to.timestamp_micros(),
            limit: 50,
        };
        v.commands.push(TraceCommand::Search { id: v.request, query });
    }

    /// Fetch and show one trace's waterfall.
    pub fn open_trace(&mut self, id: &str) {
        if !self.traces.configured {
            self.logs.notice =
                Some((false, "No trace store is configured: add [jaeger], [tempo] or [zipkin] to the config.".into()));
            return;
        }
        let v = &mut self.traces;
        if v.open.as_ref().is_none_or(|w| w.trace.trace_id != id) {
            v.open = None;
            v.opening = Some(id.to_string());
            v.open_error = None;
            v.commands.push(TraceCommand::Get { trace_id: id.to_string() });
        }
        self.go(crate::app::Screen::Trace, true);
    }

    pub fn on_trace_update(&mut self, u: TraceUpdate) {
        self.dirty = true;
        let v = &mut self.traces;
        match u {
            TraceUpdate::Health(h) => v.health = Some(h),
            TraceUpdate::Found { id, result } if id == v.request => {
                v.loading = false;
                v.searched_at = Some(self.now);
                match result {
                    Ok(list) => {
                        v.list = list;
                        v.selected = v.selected.min(v.list.len().saturating_sub(1));
                    }
                    Err(e) => v.error = Some(e),
                }
            }
            TraceUpdate::Found { .. } => {}
            TraceUpdate::Trace { trace_id, result } if v.opening.as_deref() == Some(trace_id.as_str()) => {
                v.opening = None;
                match result {
                    Ok(w) => v.open = Some(*w),
                    Err(e) => v.open_error = Some(e),
                }
            }
            TraceUpdate::Services(found) => v.services = found,
            TraceUpdate::Operations { service, operations } => {
                if v.service.as_deref() == Some(service.as_str()) {
                    v.operations = operations;
                }
            }
            TraceUpdate::Trace { .. } => {}
            TraceUpdate::Live { at, traces, error } => {
                v.live = traces;
                v.live_at = Some(at);
                v.live_error = error;
                if let Some(f) = &mut v.live_focus {
                    *f = (*f).min(v.live.iter().map(|(_, l)| l.len()).sum::<usize>().saturating_sub(1));
                }
            }
        }
    }

    /// Ask the trace task to poll live traces for the services shown (their p95 target is "slow").
    pub(crate) fn request_live_traces(&mut self) {
        if !self.traces.configured {
            return;
        }
        let services = self
            .services
            .iter()
            .map(|v| (v.service.name.clone(), v.service.targets.latency_p95.as_micros() as i64))
            .collect();
        self.traces.commands.push(TraceCommand::Live { services });
    }

    pub fn take_trace_commands(&mut self) -> Vec<TraceCommand> {
        std::mem::take(&mut self.traces.commands)
    }

    /// The search as text, for the prompt.
    pub fn search_text(&self) -> String {
        let v = &self.traces;
        let mut parts = Vec::new();
        if let Some(s) = &v.service {
            parts.push(format!("service={s}"));
        }
        if let Some(o) = &v.operation {
            parts.push(format!("operation=\"{o}\""));
        }
        if v.min_duration_us > 0 {
            parts.push(format!("min={}ms", v.min_duration_us / 1000));
        }
        if v.errors_only {
            parts.push("errors=true".into());
        }
        parts.extend(v.tags.iter().map(|(k, val)| format!("{k}={val}")));
        parts.join(" ")
    }

    pub(crate) fn trace_prompt(&mut self) {
        let mut t = ratatui_textarea::TextArea::new(vec![self.search_text()]);
        t.set_placeholder_text(
            "service=checkout operation=\"POST /checkout\" min=200ms errors=true http.status_code=500",
        );
        t.move_cursor(ratatui_textarea::CursorMove::End);
        self.traces.prompt = Some(t);
        self.traces.prompt_error = None;
        if let Some(s) = self.traces.service.clone() {
            self.traces.commands.push(TraceCommand::Operations { service: s });
        }
        if self.traces.services.is_empty() {
            self.traces.commands.push(TraceCommand::Services);
        }
    }

    pub(crate) fn submit_trace_prompt(&mut self) {
        let Some(t) = self.traces.prompt.take() else { return };
        match parse_search(&t.lines().join(" ")) {
            Ok(q) => {
                let v = &mut self.traces;
                (v.service, v.operation, v.min_duration_us, v.errors_only, v.tags) =
                    (q.service, q.operation, q.min_duration_us, q.errors_only, q.tags);
                v.selected = 0;
                self.search_traces();
            }
            Err(e) => {
                self.traces.prompt = Some(t);
                self.traces.prompt_error = Some(e);
            }
        }
    }

    pub(crate) fn open_selected_trace(&mut self) {
        let id = match self.screen {
            crate::app::Screen::Overview => {
                let list = self.traces.live_list();
                self.traces.live_focus.and_then(|i| list.get(i)).map(|t| t.trace_id.clone())
            }
            _ => self.traces.list.get(self.traces.selected).map(|t| t.trace_id.clone()),
        };
        if let Some(id) = id {
            self.open_trace(&id);
        }
    }

    /// From the waterfall: the selected span's service logs around the trace, filtered to its id.
    pub(crate) fn logs_for_trace(&mut self) {
        let Some(w) = &self.traces.open else { return };
        let service = w.selected_span().map(|s| s.service.raw().to_string());
        let id = w.trace.trace_id.clone();
        let from = DateTime::from_timestamp_micros(w.start_us - 60_000_000).unwrap_or(self.now);
        let to = DateTime::from_timestamp_micros(w.start_us + w.duration_us + 60_000_000).unwrap_or(self.now);
        self.open_logs(service.as_deref(), from, to.min(self.now), false);
        self.logs.buffer.set_filter(crate::logs::LineFilter::new(&regex::escape(&id)).ok());
    }
}
