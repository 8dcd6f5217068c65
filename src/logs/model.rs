//! One log line as the console holds it: sanitized where it enters, its level and trace id found once.
use crate::text::Clean;
use regex::Regex;
use std::sync::LazyLock;

/// A line longer than this is cut where it enters (a 1 MB line must not cost a megabyte per frame);
/// the cut is shown with the number of bytes left out.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
    #[default]
    Unknown,
}

impl Level {
    /// A level name as stores and loggers write it (`warn`, `WARNING`, `err`, `critical`, …).
    pub fn parse(s: &str) -> Level {
        match s.trim().to_ascii_lowercase().as_str() {
            "trace" => Level::Trace,
            "debug" | "dbg" => Level::Debug,
            "info" | "information" | "notice" => Level::Info,
            "warn" | "warning" => Level::Warn,
            "error" | "err" | "eror" => Level::Error,
            "fatal" | "critical" | "crit" | "panic" | "emerg" | "alert" => Level::Fatal,
            _ => Level::Unknown,
        }
    }

    /// The level written in the line itself: `level=error`, `"level":"warn"`, `severity=…`, or a
    /// bracketed or bare upper-case word near the start.
    pub fn detect(line: &str) -> Level {
        static KEYED: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#"(?i)\b(?:level|lvl|severity|loglevel)"?\s*[=:]\s*"?([a-z]+)"#).expect("valid regex")
        });
        static WORD: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL|PANIC)\b").expect("valid regex")
        });
        if let Some(c) = KEYED.captures(line) {
            return Level::parse(&c[1]);
        }
        let head = &line[..line.floor_char_boundary(200)];
        WORD.captures(head).map_or(Level::Unknown, |c| Level::parse(&c[1]))
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
            Level::Unknown => "-",
        }
    }
}

/// A trace id written in a line (`trace_id=…`, `"traceID":"…"`, `traceId: …`): 16 or 32 hex digits.
pub fn find_trace_id(line: &str) -> Option<String> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)\btrace[_.-]?id"?\s*[=:]\s*"?([0-9a-f]{32}|[0-9a-f]{16})\b"#).expect("valid regex")
    });
    RE.captures(line).map(|c| c[1].to_ascii_lowercase())
}

/// Whether `s` is a trace id as the trace stores take it (hex, 1 to 32 digits).
pub fn is_trace_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Nanoseconds since the epoch (Loki's resolution).
    pub ts_ns: i64,
    /// The service it came from (the `service`, `service_name`, `app` or `job` label, or the mapped field).
    pub service: Clean,
    pub level: Level,
    pub text: Clean,
    pub trace_id: Option<String>,
    /// The stream's labels (Loki) or the mapped fields (Elasticsearch), sanitized.
    pub labels: Vec<(Clean, Clean)>,
}

impl LogLine {
    /// A line from a store: raw text and labels, sanitized here; level from a label or the text.
    pub fn new(ts_ns: i64, raw: &str, labels: &[(&str, &str)]) -> LogLine {
        // The first name in the list that is present wins.
        let label = |names: &[&str]| names.iter().find_map(|n| labels.iter().find(|(k, _)| k == n)).map(|(_, v)| *v);
        let cut = raw.floor_char_boundary(MAX_LINE_BYTES);
        let text = if cut < raw.len() {
            let mut t = crate::text::sanitize(&raw[..cut]).into_owned();
            t.push_str(&format!(" … [{} bytes more]", raw.len() - cut));
            Clean::new(&t)
        } else {
            Clean::new(raw)
        };
        let level = label(&["level", "detected_level", "severity", "log.level"])
            .map(Level::parse)
            .filter(|l| *l != Level::Unknown)
            .unwrap_or_else(|| Level::detect(&raw[..cut]));
        let trace_id = label(&["trace_id", "traceID", "traceId", "trace.id"])
            .filter(|t| is_trace_id(t))
            .map(str::to_ascii_lowercase)
            .or_else(|| find_trace_id(&raw[..cut]));
        LogLine {
            ts_ns,
            service: Clean::new(label(&["service", "service_name", "app", "job", "service.name"]).unwrap_or("")),
            level,
            text,
            trace_id,
            labels: labels.iter().map(|(k, v)| (Clean::new(k), Clean::new(v))).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_labels_and_text() {
        assert_eq!(Level::detect(r#"{"level":"warn","msg":"x"}"#), Level::Warn);
        assert_eq!(Level::detect("ts=1 level=ERROR msg=boom"), Level::Error);
        assert_eq!(Level::detect("2026-01-01 INFO started"), Level::Info);
        assert_eq!(Level::detect("nothing here"), Level::Unknown);
        let l = LogLine::new(1, "msg=ok", &[("level", "critical"), ("service", "db")]);
        assert_eq!((l.level, l.service.as_str()), (Level::Fatal, "db"));
    }

    #[test]
    fn trace_ids_in_text_and_labels() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(find_trace_id(&format!("GET / trace_id={id} 500")), Some(id.into()));
        assert_eq!(find_trace_id(&format!(r#"{{"traceID":"{}"}}"#, id.to_uppercase())), Some(id.into()));
        assert_eq!(find_trace_id("trace_id=xyz"), None);
        let l = LogLine::new(1, "x", &[("traceID", "00f067aa0ba902b7")]);
        assert_eq!(l.trace_id.as_deref(), Some("00f067aa0ba902b7"));
        assert_eq!(LogLine::new(1, "x", &[("trace_id", "$(reboot)")]).trace_id, None);
    }

    #[test]
    fn long_lines_are_cut_and_escapes_are_visible() {
        let big = "é".repeat(600_000);
        let l = LogLine::new(1, &big, &[]);
        assert!(l.text.as_str().len() < MAX_LINE_BYTES + 64);
        assert!(l.text.as_str().ends_with("bytes more]"));
        let l = LogLine::new(1, "a\x1b]52;c;ZXZpbA==\x07b\u{202e}", &[("service", "\x1b[2Jx")]);
        assert_eq!(l.text.as_str(), "a\\e]52;c;ZXZpbA==\\x07b\\u{202e}");
        assert_eq!(l.service.as_str(), "\\e[2Jx");
    }
}
