//! The PromQL explorer's state: the input, history, completion and the last result.
use crate::sources::prometheus::QueryOutcome;
use crate::sources::prometheus::poller::Completion;
use crate::text::Clean;
use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;
use std::collections::HashMap;

/// Bounded: the oldest queries are dropped.
pub const HISTORY_MAX: usize = 200;

#[derive(Debug)]
pub struct Explorer {
    pub input: TextArea<'static>,
    pub editing: bool,
    pub history: Vec<String>,
    history_pos: Option<usize>,
    pub range_query: bool,
    pub chart: bool,
    pub next_id: u64,
    pub pending: Option<(u64, String)>,
    pub result: Option<ExplorerResult>,
    pub scroll: usize,
    pub metric_names: Vec<Clean>,
    pub label_names: Vec<Clean>,
    pub label_values: HashMap<String, Vec<Clean>>,
    /// Candidates shown under the input after an ambiguous Tab.
    pub candidates: Vec<String>,
    pub notice: Option<String>,
    /// The history changed and should be saved (the loop does the writing).
    pub history_dirty: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExplorerResult {
    pub expr: String,
    pub at: DateTime<Utc>,
    pub outcome: Result<QueryOutcome, Clean>,
}

impl Default for Explorer {
    fn default() -> Self {
        let mut input = TextArea::default();
        input.set_placeholder_text("PromQL, e.g. sum by (job) (rate(http_requests_total[5m]))");
        Explorer {
            input,
            editing: false,
            history: Vec::new(),
            history_pos: None,
            range_query: false,
            chart: false,
            next_id: 1,
            pending: None,
            result: None,
            scroll: 0,
            metric_names: Vec::new(),
            label_names: Vec::new(),
            label_values: HashMap::new(),
            candidates: Vec::new(),
            notice: None,
            history_dirty: false,
        }
    }
}

/// What the word under the cursor is, for completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompletionTarget {
    Metric { prefix: String },
    LabelName { prefix: String },
    LabelValue { label: String, prefix: String },
}

/// Decide from the text before the cursor what is being typed.
pub fn completion_target(before: &str) -> CompletionTarget {
    let open = before.rfind('{');
    let close = before.rfind('}');
    let in_braces = matches!((open, close), (Some(o), c) if c.is_none_or(|c| c < o));
    if in_braces {
        let inside = &before[open.map_or(0, |o| o + 1)..];
        let clause = inside.rsplit(',').next().unwrap_or("").trim_start();
        if let Some(q) = clause.find('"') {
            let label = clause[..q].trim_end_matches(['=', '~', '!']).trim().to_string();
            return CompletionTarget::LabelValue { label, prefix: clause[q + 1..].to_string() };
        }
        return CompletionTarget::LabelName { prefix: clause.to_string() };
    }
    let start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).map_or(0, |i| i + 1);
    CompletionTarget::Metric { prefix: before[start..].to_string() }
}

fn common_prefix(items: &[&str]) -> String {
    let Some(first) = items.first() else { return String::new() };
    let mut end = first.len();
    for s in &items[1..] {
        end = end.min(first.bytes().zip(s.bytes()).take_while(|(a, b)| a == b).count());
    }
    while !first.is_char_boundary(end) {
        end -= 1;
    }
    first[..end].to_string()
}

impl Explorer {
    pub fn text(&self) -> String {
        self.input.lines().join("\n")
    }

    fn set_text(&mut self, s: &str) {
        self.input.select_all();
        self.input.cut();
        self.input.insert_str(s);
    }

    /// Record and return the query to run (None when the input is empty).
    pub fn submit(&mut self) -> Option<(u64, String)> {
        let expr = self.text().trim().to_string();
        if expr.is_empty() {
            return None;
        }
        if self.history.last() != Some(&expr) {
            self.history.push(expr.clone());
            if self.history.len() > HISTORY_MAX {
                self.history.remove(0);
            }
            self.history_dirty = true;
        }
        self.history_pos = None;
        self.candidates.clear();
        let id = self.next_id;
        self.next_id += 1;
        self.pending = Some((id, expr.clone()));
        Some((id, expr))
    }

    pub fn history_prev(&mut self) {
        if self.history.is_empty() {
            return;
        }
        let pos = self.history_pos.map_or(self.history.len() - 1, |p| p.saturating_sub(1));
        self.history_pos = Some(pos);
        let q = self.history[pos].clone();
        self.set_text(&q);
    }

    pub fn history_next(&mut self) {
        match self.history_pos {
            Some(p) if p + 1 < self.history.len() => {
                self.history_pos = Some(p + 1);
                let q = self.history[p + 1].clone();
                self.set_text(&q);
            }
            Some(_) => {
                self.history_pos = None;
                self.set_text("");
            }
            None => {}
        }
    }

    fn before_cursor(&self) -> String {
        let ratatui_textarea::DataCursor(row, col) = self.input.cursor();
        let line = self.input.lines().get(row).cloned().unwrap_or_default();
        line.chars().take(col).collect()
    }

    /// Complete the word under the cursor. Returns a label whose values must be fetched first, if any.
    pub fn complete(&mut self) -> Option<String> {
        self.notice = None;
        let target = completion_target(&self.before_cursor());
        // Raw names, and values as the body of a PromQL string (an invisible code point is inserted as
        // its `\uXXXX` escape): what is inserted names exactly what Prometheus sent.
        let (pool, prefix): (Vec<String>, String) = match &target {
            CompletionTarget::Metric { prefix } => {
                (self.metric_names.iter().map(|c| c.raw().to_string()).collect(), prefix.clone())
            }
            CompletionTarget::LabelName { prefix } => {
                (self.label_names.iter().map(|c| c.raw().to_string()).collect(), prefix.clone())
            }
            CompletionTarget::LabelValue { label, prefix } => match self.label_values.get(label) {
                Some(v) => (v.iter().map(|c| crate::text::quote::body(c.raw())).collect(), prefix.clone()),
                None => {
                    self.notice = Some(format!("fetching values of `{label}`… press Tab again"));
                    return Some(label.clone());
                }
            },
        };
        let matches: Vec<&str> = pool.iter().map(String::as_str).filter(|c| c.starts_with(&prefix)).collect();
        match matches.len() {
            0 => {
                self.candidates.clear();
                self.notice = Some(format!("no completion for `{prefix}`"));
            }
            1 => {
                let rest = matches[0][prefix.len()..].to_string();
                self.input.insert_str(&rest);
                if matches!(target, CompletionTarget::LabelValue { .. }) {
                    self.input.insert_char('"');
                }
                self.candidates.clear();
            }
            _ => {
                let common = common_prefix(&matches);
                self.input.insert_str(&common[prefix.len()..]);
                self.candidates = matches.iter().take(50).map(|s| s.to_string()).collect();
            }
        }
        None
    }

    pub fn on_completions(&mut self, kind: Completion, values: Result<Vec<Clean>, Clean>) {
        let values = match values {
            Ok(v) => v,
            Err(e) => {
                self.notice = Some(format!("completion unavailable: {e}"));
                return;
            }
        };
        match kind {
            Completion::MetricNames => self.metric_names = values,
            Completion::LabelNames => self.label_names = values,
            Completion::LabelValues(l) => {
                self.label_values.insert(l, values);
            }
        }
    }
}

impl crate::app::state::App {
    /// Ask the explorer's query, as an instant or a range query by its mode.
    pub(crate) fn run_explorer_query(&mut self) {
        if let Some((id, expr)) = self.explorer.submit() {
            let range = self.explorer.range_query.then(|| self.range());
            self.commands.push(crate::sources::prometheus::Command::Query { id, expr, range });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn targets() {
        assert_eq!(completion_target("rate(http_req"), CompletionTarget::Metric { prefix: "http_req".into() });
        assert_eq!(completion_target("up{jo"), CompletionTarget::LabelName { prefix: "jo".into() });
        assert_eq!(
            completion_target("up{job=\"no"),
            CompletionTarget::LabelValue { label: "job".into(), prefix: "no".into() }
        );
        assert_eq!(
            completion_target("up{a=\"b\", job=~\"x"),
            CompletionTarget::LabelValue { label: "job".into(), prefix: "x".into() }
        );
        assert_eq!(completion_target("up{a=\"b\"} + no"), CompletionTarget::Metric { prefix: "no".into() });
    }
    #[test]
    fn completes_and_remembers() {
        let mut e = Explorer {
            metric_names: vec!["node_load1".into(), "node_load5".into(), "up".into()],
            ..Default::default()
        };
        e.input.insert_str("node_l");
        e.complete();
        assert_eq!(e.text(), "node_load");
        assert_eq!(e.candidates.len(), 2);
        e.input.insert_str("1");
        assert_eq!(e.submit().unwrap().1, "node_load1");
        e.set_text("");
        e.history_prev();
        assert_eq!(e.text(), "node_load1");
    }
}
