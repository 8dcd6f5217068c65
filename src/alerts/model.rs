//! Alerts and silences as the console holds them, whatever served them. Label and annotation values are
//! kept twice: raw, only to match and to send back to the server (never drawn), and sanitized and
//! truncated for display.
use super::matcher::Matcher;
use crate::engine::Labels;
use crate::text::Clean;
use chrono::{DateTime, Utc};

/// Longest label or annotation value kept for display; the rest is cut with a marker.
pub const MAX_VALUE_CHARS: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertState {
    Active,
    Suppressed,
    Unprocessed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub fingerprint: String,
    /// Which server reported it (the first, when an HA pair both do).
    pub source: String,
    /// For matching and for silences only: never drawn.
    pub raw_labels: Labels,
    pub labels: Vec<(Clean, Clean)>,
    pub annotations: Vec<(Clean, Clean)>,
    pub state: AlertState,
    pub silenced_by: Vec<String>,
    pub inhibited_by: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub generator_url: Clean,
}

/// Sanitized and cut to [`MAX_VALUE_CHARS`], with how much was cut.
/// Active alerts (not silenced or inhibited) counted by severity, most first: an environment's row on
/// the Environments screen, from its summary task or the console's own alerts.
pub fn firing_by_severity<'a>(alerts: impl IntoIterator<Item = &'a Alert>) -> Vec<(Clean, usize)> {
    let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
    for a in alerts.into_iter().filter(|a| a.state == AlertState::Active) {
        *by.entry(a.severity()).or_default() += 1;
    }
    let mut v: Vec<(Clean, usize)> = by.into_iter().map(|(k, n)| (Clean::new(k), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_str().cmp(b.0.as_str())));
    v
}

pub fn display_value(raw: &str) -> Clean {
    let n = raw.chars().count();
    if n <= MAX_VALUE_CHARS {
        return Clean::new(raw);
    }
    let kept: String = raw.chars().take(MAX_VALUE_CHARS).collect();
    Clean::new(&format!("{kept}… (+{} chars)", n - MAX_VALUE_CHARS))
}

pub fn display_pairs<'a>(it: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<(Clean, Clean)> {
    it.into_iter().map(|(k, v)| (Clean::new(k), display_value(v))).collect()
}

impl Alert {
    pub fn label(&self, name: &str) -> Option<&Clean> {
        self.labels.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
    }
    pub fn annotation(&self, name: &str) -> Option<&Clean> {
        self.annotations.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
    }
    pub fn name(&self) -> &str {
        self.label("alertname").map_or("", Clean::as_str)
    }
    pub fn severity(&self) -> &str {
        self.label("severity").map_or("", Clean::as_str)
    }
    pub fn is_critical(&self) -> bool {
        matches!(self.severity(), "critical" | "page" | "P1")
    }
    /// The service it is about: its `service` label, else `job`.
    pub fn service(&self) -> Option<&str> {
        self.raw_labels.get("service").or_else(|| self.raw_labels.get("job")).map(String::as_str)
    }
    pub fn summary(&self) -> &str {
        self.annotation("summary").or_else(|| self.annotation("description")).map_or("", Clean::as_str)
    }
    /// The rule's expression, from Prometheus's generator URL (`…/graph?g0.expr=…`), when it has one.
    pub fn rule_expr(&self) -> Option<String> {
        let url = url::Url::parse(self.generator_url.as_str()).ok()?;
        url.query_pairs().find(|(k, _)| k == "g0.expr").map(|(_, v)| v.into_owned())
    }

    /// The windows the rule's expression measures over (its range selectors and subqueries), longest
    /// first: why the value in its annotations can differ from the console's figures.
    pub fn rule_windows(&self) -> Vec<std::time::Duration> {
        self.rule_expr().map_or_else(Vec::new, |e| windows_of(&e))
    }

    pub fn state_label(&self) -> &'static str {
        match self.state {
            AlertState::Active => "firing",
            AlertState::Suppressed if !self.silenced_by.is_empty() => "silenced",
            AlertState::Suppressed => "inhibited",
            AlertState::Unprocessed => "unprocessed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SilenceState {
    Active,
    Pending,
    Expired,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Silence {
    pub id: String,
    pub source: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: Clean,
    pub comment: Clean,
    pub state: SilenceState,
}

impl Silence {
    /// The alerts (of those given) it would cover.
    pub fn covers<'a>(&'a self, alerts: &'a [Alert]) -> impl Iterator<Item = &'a Alert> + 'a {
        alerts.iter().filter(|a| super::matcher::matches_all(&self.matchers, &a.raw_labels))
    }
}

/// A silence to create (or, with `id`, to update).
#[derive(Clone, Debug, PartialEq)]
pub struct NewSilence {
    pub id: Option<String>,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

/// Alertmanager's fingerprint of a label set (FNV-1a 64 over sorted names and values, each followed by
/// a 0xff separator), so alerts from an HA pair and from the estate line up.
pub fn fingerprint(labels: &Labels) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut add = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    for (k, v) in labels {
        k.bytes().for_each(&mut add);
        add(0xff);
        v.bytes().for_each(&mut add);
        add(0xff);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn long_values_are_cut_with_a_marker_and_sanitized() {
        let v = format!("\u{1b}[31m{}", "x".repeat(10_000));
        let d = display_value(&v);
        assert!(d.as_str().starts_with("\\e[31m") && d.as_str().ends_with("… (+8981 chars)"), "{}", &d.as_str()[..20]);
    }
}

/// The range windows in a PromQL expression (`rate(x[1m])` → 1m), longest first, each once.
pub fn windows_of(expr: &str) -> Vec<std::time::Duration> {
    use promql_parser::parser::Expr;
    struct Ranges(Vec<std::time::Duration>);
    impl promql_parser::util::ExprVisitor for Ranges {
        type Error = ();
        fn pre_visit(&mut self, e: &Expr) -> Result<bool, ()> {
            match e {
                Expr::MatrixSelector(m) => self.0.push(m.range),
                Expr::Subquery(s) => self.0.push(s.range),
                _ => {}
            }
            Ok(true)
        }
    }
    let Ok(ast) = promql_parser::parser::parse(expr) else { return Vec::new() };
    let mut r = Ranges(Vec::new());
    let _ = promql_parser::util::walk_expr(&mut r, &ast);
    r.0.sort_by(|a, b| b.cmp(a));
    r.0.dedup();
    r.0
}

#[cfg(test)]
mod window_tests {
    use super::windows_of;
    use std::time::Duration;

    #[test]
    fn an_alert_rule_names_its_windows() {
        let e = r#"sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m])) > 0.05"#;
        assert_eq!(windows_of(e), [Duration::from_secs(60)]);
        assert_eq!(
            windows_of("max_over_time(rate(x[5m])[1h:1m]) > 1"),
            [Duration::from_secs(3600), Duration::from_secs(300)]
        );
        assert!(windows_of("up == 0").is_empty());
        assert!(windows_of("not promql (").is_empty());
    }
}
