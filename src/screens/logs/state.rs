//! The Logs screen's state: the bounded buffer, the query and its window, follow/pause, the cursor, the
//! filter and highlight, wrap and horizontal scroll, a line's context, jump to a time, and copy. No I/O:
//! queries and follows go out as commands; a copied line waits here for the loop to write it.
use crate::app::state::App;
use crate::config::LogSource;
use crate::logs::{Entry, LineFilter, LogBuffer};
use crate::sources::SourceHealth;
use crate::sources::logs::{LogCommand, LogUpdate, TailState};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogsMode {
    /// A fixed window, nanoseconds.
    Range { from_ns: i64, to_ns: i64 },
    /// New lines as they come.
    Follow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogPrompt {
    Query,
    Filter,
    Highlight,
    Jump,
}

impl LogPrompt {
    pub fn label(self) -> &'static str {
        match self {
            LogPrompt::Query => "query",
            LogPrompt::Filter => "filter (regex)",
            LogPrompt::Highlight => "highlight (regex)",
            LogPrompt::Jump => "jump to (HH:MM[:SS] UTC, or -10m)",
        }
    }
}

/// Lines of context shown each side of a line.
pub const CONTEXT: u64 = 10;

#[derive(Debug)]
pub struct LogsView {
    pub source: Option<LogSource>,
    pub health: Option<SourceHealth>,
    pub buffer: LogBuffer,
    pub query: String,
    pub service: Option<String>,
    pub mode: LogsMode,
    /// The selected entry; `None` keeps the newest line selected (following).
    pub cursor: Option<u64>,
    /// Lines that arrived while paused.
    pub unseen: u64,
    pub tail: Option<TailState>,
    pub(crate) request: u64,
    pub loading: bool,
    pub error: Option<Clean>,
    pub wrap: bool,
    pub hscroll: usize,
    pub highlight: Option<LineFilter>,
    pub prompt: Option<(LogPrompt, TextArea<'static>)>,
    pub prompt_error: Option<String>,
    /// Showing the unfiltered lines around this entry.
    pub context: Option<u64>,
    /// The selection is drawn mid-screen, with as many lines before it as after (after a jump to a time,
    /// so the lines that led to it show too), rather than at the bottom edge; until the next query.
    pub centered: bool,
    pub copy_enabled: bool,
    /// A line to put on the terminal's clipboard (OSC 52), taken by the loop.
    pub(crate) clipboard: Option<String>,
    pub notice: Option<(bool, String)>,
    pub labels: Vec<String>,
    /// Label values asked for while completing, by label.
    pub values: std::collections::HashMap<String, Vec<String>>,
    /// What the last completion could not decide between.
    pub candidates: Vec<String>,
    pub(crate) commands: Vec<LogCommand>,
}

impl Default for LogsView {
    fn default() -> Self {
        LogsView {
            source: None,
            health: None,
            buffer: LogBuffer::default(),
            query: String::new(),
            service: None,
            mode: LogsMode::Follow,
            cursor: None,
            unseen: 0,
            tail: None,
            request: 0,
            loading: false,
            error: None,
            wrap: false,
            hscroll: 0,
            highlight: None,
            prompt: None,
            prompt_error: None,
            context: None,
            centered: false,
            copy_enabled: false,
            clipboard: None,
            notice: None,
            labels: Vec::new(),
            values: Default::default(),
            candidates: Vec::new(),
            commands: Vec::new(),
        }
    }
}

fn ns(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// A time typed by the operator: `HH:MM[:SS]` (UTC, the latest such moment not in the future) or a
/// duration back from now (`-10m`, `10m`).
pub fn parse_jump(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(d) = crate::time::parse_duration(s.trim_start_matches('-')) {
        return Ok(now - chrono::Duration::from_std(d).unwrap_or_default());
    }
    let t = chrono::NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M"))
        .map_err(|_| format!("`{s}`: expected HH:MM, HH:MM:SS (UTC) or a duration such as -10m"))?;
    let today = now.date_naive().and_time(t).and_utc();
    Ok(if today > now { today - chrono::Duration::days(1) } else { today })
}

/// What the text before the cursor is completing.
#[derive(Debug, PartialEq)]
pub enum Completion {
    Name(String),
    Value { label: String, partial: String },
}

/// Inside a stream selector: after `{` or `,` a label name; after `name="` (or `=~"`, `!="`) its value.
pub fn completion_context(text: &str) -> Option<Completion> {
    let open = text.rfind('{')?;
    if text[open..].contains('}') {
        return None;
    }
    let inner = &text[open + 1..];
    let last = inner.rsplit(',').next().unwrap_or(inner).trim_start();
    match last.find(['=', '!']) {
        None => Some(Completion::Name(last.to_string())),
        Some(i) => {
            let label = last[..i].trim().to_string();
            let rest = last[i..].trim_start_matches(['=', '!', '~']).trim_start();
            let partial = rest.strip_prefix('"')?;
            (!partial.contains('"')).then(|| Completion::Value { label, partial: partial.to_string() })
        }
    }
}

impl LogsView {
    /// The selected row of the view.
    pub fn selected_row(&self) -> usize {
        match self.cursor {
            Some(n) => self.buffer.row_of(n),
            None => self.buffer.shown_len().saturating_sub(1),
        }
    }

    pub fn selected_entry(&self) -> Option<&Entry> {
        match self.context {
            Some(n) => self.buffer.get(self.cursor.unwrap_or(n)),
            None => self.buffer.shown_at(self.selected_row()).and_then(|n| self.buffer.get(n)),
        }
    }

    pub fn paused(&self) -> bool {
        self.mode == LogsMode::Follow && self.cursor.is_some()
    }

    /// Move the cursor by `delta` rows (negative is up); moving off the newest line pauses.
    pub fn step(&mut self, delta: isize) {
        if let Some(c) = self.context {
            let r = self.buffer.around(c, CONTEXT, CONTEXT);
            let at = self.cursor.unwrap_or(c) as i64 + delta as i64;
            self.cursor = Some((at.max(r.start as i64) as u64).min(r.end.saturating_sub(1)));
            return;
        }
        let len = self.buffer.shown_len();
        if len == 0 {
            return;
        }
        let row = (self.selected_row() as isize + delta).clamp(0, len as isize - 1) as usize;
        self.cursor = if row + 1 == len && self.mode == LogsMode::Follow { None } else { self.buffer.shown_at(row) };
        if self.cursor.is_none() {
            self.unseen = 0;
        }
    }

    pub fn bottom(&mut self) {
        let len = self.buffer.shown_len();
        self.cursor = if self.mode == LogsMode::Follow { None } else { self.buffer.shown_at(len.saturating_sub(1)) };
        self.unseen = 0;
    }
}

impl App {
    /// Open the Logs screen on `service` (or the store's whole query when `None`) over `[from, to]`;
    /// following new lines too when `follow`.
    pub fn open_logs(&mut self, service: Option<&str>, from: DateTime<Utc>, to: DateTime<Utc>, follow: bool) {
        let Some(src) = &self.logs.source else {
            self.notice_no_store("logs", "[loki] or [elasticsearch]");
            return;
        };
        let query = match service {
            Some(s) => src.service_query(s),
            None if self.logs.query.is_empty() => src.all_query(),
            None => self.logs.query.clone(),
        };
        if let Some(s) = service {
            self.drill_saw(s, "the logs");
        }
        self.logs.service = service.map(str::to_string);
        self.logs.query = query;
        self.logs.centered = false;
        // A new subject starts unfiltered (the trace's logs set their filter after this).
        self.logs.buffer.set_filter(None);
        self.logs.notice = None;
        self.logs.mode = if follow { LogsMode::Follow } else { LogsMode::Range { from_ns: ns(from), to_ns: ns(to) } };
        self.run_log_query(from, to);
        self.go(crate::app::Screen::Logs, true);
    }

    fn notice_no_store(&mut self, what: &str, sections: &str) {
        let msg = format!("No {what} store is configured: add {sections} to the config.");
        if self.screen == crate::app::Screen::Alerts {
            self.alerts.notice = Some((false, msg));
        } else {
            self.logs.notice = Some((false, msg));
        }
    }

    /// Ask for the window's lines (they replace the buffer) and, when following, new ones after them.
    pub(crate) fn run_log_query(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) {
        let v = &mut self.logs;
        v.request += 1;
        v.loading = true;
        v.error = None;
        v.cursor = None;
        v.context = None;
        v.unseen = 0;
        v.tail = None;
        v.buffer.clear();
        let id = v.request;
        v.commands.push(LogCommand::Query {
            id,
            query: v.query.clone(),
            from_ns: ns(from),
            to_ns: ns(to),
            limit: v.buffer.capacity().min(5000),
        });
        if v.mode == LogsMode::Follow {
            v.commands.push(LogCommand::Follow { id, query: v.query.clone(), since_ns: ns(to) + 1 });
        } else {
            v.commands.push(LogCommand::StopFollow);
        }
    }

    pub fn on_log_update(&mut self, u: LogUpdate) {
        self.dirty = true;
        let v = &mut self.logs;
        match u {
            LogUpdate::Health(h) => v.health = Some(h),
            LogUpdate::Lines { id, entries, replace } if id == v.request => {
                if replace {
                    // A follow may have delivered lines before the range answered: keep them after it.
                    let early = v.buffer.take_all();
                    v.loading = false;
                    for e in entries.into_iter().chain(early) {
                        v.buffer.push(e);
                    }
                } else {
                    if v.cursor.is_some() {
                        v.unseen += entries.len() as u64;
                    }
                    for e in entries {
                        v.buffer.push(e);
                    }
                }
            }
            LogUpdate::Lines { .. } => {}
            LogUpdate::Failed { id, error } if id == v.request => {
                v.loading = false;
                v.error = Some(error);
            }
            LogUpdate::Failed { .. } => {}
            // The tail going live says nothing of the query: an error the query got stays on screen.
            LogUpdate::Tail { id, state } if id == v.request => v.tail = Some(state),
            LogUpdate::Tail { .. } => {}
            LogUpdate::Labels(l) => v.labels = l,
            LogUpdate::LabelValues { name, values } => {
                v.values.insert(name, values);
            }
        }
    }

    pub fn take_log_commands(&mut self) -> Vec<LogCommand> {
        std::mem::take(&mut self.logs.commands)
    }

    pub fn take_clipboard(&mut self) -> Option<String> {
        self.logs.clipboard.take()
    }

    pub(crate) fn log_prompt(&mut self, kind: LogPrompt) {
        let v = &mut self.logs;
        let text = match kind {
            LogPrompt::Query => v.query.clone(),
            LogPrompt::Filter => v.buffer.filter().map(|f| f.pattern.clone()).unwrap_or_default(),
            LogPrompt::Highlight => v.highlight.as_ref().map(|f| f.pattern.clone()).unwrap_or_default(),
            LogPrompt::Jump => String::new(),
        };
        let mut t = TextArea::new(vec![text]);
        t.set_placeholder_text(kind.label());
        t.move_cursor(ratatui_textarea::CursorMove::End);
        v.prompt = Some((kind, t));
        v.prompt_error = None;
        if kind == LogPrompt::Query && v.labels.is_empty() {
            v.commands.push(LogCommand::Labels);
        }
    }

    pub(crate) fn submit_log_prompt(&mut self) {
        let Some((kind, t)) = self.logs.prompt.take() else { return };
        let text = t.lines().join("");
        let text = text.trim();
        let result = match kind {
            LogPrompt::Query if text.is_empty() => Err("an empty query: type a query".to_string()),
            LogPrompt::Query => {
                // The title names the service only while the query is still the one asked for it.
                let for_service =
                    |s: &String| self.logs.source.as_ref().is_some_and(|src| src.service_query(s) == text);
                if !self.logs.service.as_ref().is_some_and(for_service) {
                    self.logs.service = None;
                }
                self.logs.query = text.to_string();
                self.logs.centered = false;
                let (from, to) = self.log_window();
                self.run_log_query(from, to);
                Ok(())
            }
            LogPrompt::Filter | LogPrompt::Highlight => {
                let f = if text.is_empty() { Ok(None) } else { LineFilter::new(text).map(Some) };
                f.map(|f| {
                    if kind == LogPrompt::Filter {
                        self.logs.buffer.set_filter(f);
                        self.logs.context = None;
                    } else {
                        self.logs.highlight = f;
                    }
                })
            }
            LogPrompt::Jump => parse_jump(text, self.now).map(|t| {
                let v = &mut self.logs;
                let row = v.buffer.row_at_time(ns(t));
                v.context = None;
                v.cursor = v.buffer.shown_at(row);
                v.centered = true;
                if v.cursor.is_some() && v.buffer.get(v.cursor.unwrap_or(0)).is_some_and(|e| e.ts_ns() < ns(t)) {
                    v.notice = Some((false, "No line at or after that time in the buffer: showing the last.".into()));
                }
            }),
        };
        if let Err(e) = result {
            self.logs.prompt = Some((kind, t));
            self.logs.prompt_error = Some(e);
        }
    }

    /// Tab in the query: complete the label name or value before the cursor (at the end of the text),
    /// from Loki's label API; several candidates fill their common prefix and are listed.
    pub(crate) fn complete_log_query(&mut self) {
        let v = &mut self.logs;
        let Some((_, t)) = &mut v.prompt else { return };
        let text = t.lines().join("");
        let (candidates, partial): (Vec<String>, String) = match completion_context(&text) {
            Some(Completion::Name(partial)) => {
                if v.labels.is_empty() {
                    v.commands.push(LogCommand::Labels);
                }
                (v.labels.clone(), partial)
            }
            Some(Completion::Value { label, partial }) => match v.values.get(&label) {
                Some(vals) => (vals.clone(), partial),
                None => {
                    v.commands.push(LogCommand::LabelValues(label));
                    v.candidates = vec!["(asking Loki; press tab again)".into()];
                    return;
                }
            },
            None => return,
        };
        let matching: Vec<String> = candidates.into_iter().filter(|c| c.starts_with(&partial)).collect();
        let common = matching.iter().skip(1).fold(matching.first().cloned().unwrap_or_default(), |acc, c| {
            acc.chars().zip(c.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect()
        });
        if common.len() > partial.len() {
            t.insert_str(&common[partial.len()..]);
        }
        v.candidates = if matching.len() == 1 { Vec::new() } else { matching.into_iter().take(20).collect() };
    }

    /// The window a re-run query covers: the range, or the screen's time range back from now.
    fn log_window(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        match self.logs.mode {
            LogsMode::Range { from_ns, to_ns } => {
                (DateTime::from_timestamp_nanos(from_ns), DateTime::from_timestamp_nanos(to_ns))
            }
            LogsMode::Follow => (self.now - chrono::Duration::from_std(self.range()).unwrap_or_default(), self.now),
        }
    }

    pub(crate) fn toggle_follow(&mut self) {
        let v = &mut self.logs;
        match v.mode {
            LogsMode::Follow if v.cursor.is_none() => {
                // Pause where we are.
                v.cursor = v.buffer.shown_at(v.buffer.shown_len().saturating_sub(1));
            }
            LogsMode::Follow => v.bottom(),
            LogsMode::Range { .. } => {
                v.mode = LogsMode::Follow;
                let (from, to) = (self.now - chrono::Duration::from_std(self.range()).unwrap_or_default(), self.now);
                self.run_log_query(from, to);
            }
        }
    }

    pub(crate) fn log_context(&mut self) {
        let v = &mut self.logs;
        if v.context.take().is_some() {
            return;
        }
        let row = v.selected_row();
        v.context = v.buffer.shown_at(row);
        v.cursor = v.context;
    }

    pub(crate) fn copy_log_line(&mut self) {
        let v = &mut self.logs;
        let Some(line) = v.selected_entry().and_then(Entry::line) else { return };
        if !v.copy_enabled {
            v.notice = Some((false, "Copy is off: set `copy = true` under [logs] (it uses OSC 52).".into()));
            return;
        }
        v.clipboard = Some(line.text.as_str().to_string());
        v.notice = Some((true, "Line copied to the terminal's clipboard (OSC 52).".into()));
    }

    /// Enter on a line: its trace, when it names one.
    pub(crate) fn open_log_trace(&mut self) {
        let id = self.logs.selected_entry().and_then(Entry::line).and_then(|l| l.trace_id.clone());
        match id {
            Some(id) => self.open_trace(&id),
            None => self.logs.notice = Some((false, "This line names no trace id.".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn completion_contexts() {
        assert_eq!(completion_context("{ser"), Some(Completion::Name("ser".into())));
        assert_eq!(completion_context("{a=\"b\", lev"), Some(Completion::Name("lev".into())));
        assert_eq!(
            completion_context("{service=~\"chec"),
            Some(Completion::Value { label: "service".into(), partial: "chec".into() })
        );
        assert_eq!(completion_context("{a=\"b\"} |= \"x"), None);
    }

    #[test]
    fn jump_times() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T03:30:00Z").unwrap().to_utc();
        assert_eq!(parse_jump("-10m", now).unwrap().to_rfc3339(), "2026-11-29T03:20:00+00:00");
        assert_eq!(parse_jump("03:15", now).unwrap().to_rfc3339(), "2026-11-29T03:15:00+00:00");
        assert_eq!(parse_jump("23:00:05", now).unwrap().to_rfc3339(), "2026-11-28T23:00:05+00:00");
        assert!(parse_jump("soon", now).is_err());
    }
}
