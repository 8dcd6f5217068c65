//! Rule files in Prometheus's format (YAML: `groups`, each with `name`, `interval`, `limit` and `rules`
//! of `record` or `alert` with `expr`, `for`, `keep_firing_for`, `labels`, `annotations`), checked as
//! `promtool check rules` would, with every problem located at file:line:col.
use super::template::Template;
use crate::config::error::{ConfigError, Located, with_suggestion};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Rule groups are evaluated this often unless they say otherwise (Prometheus's default).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    groups: Vec<RawGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: Spanned<String>,
    interval: Option<Spanned<String>>,
    #[serde(default)]
    limit: usize,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    record: Option<Spanned<String>>,
    alert: Option<Spanned<String>>,
    expr: Spanned<String>,
    #[serde(rename = "for")]
    for_: Option<Spanned<String>>,
    keep_firing_for: Option<Spanned<String>>,
    #[serde(default)]
    labels: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    annotations: BTreeMap<String, Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub name: String,
    /// The file the group came from, as the API reports it.
    pub file: String,
    pub interval: Duration,
    /// At most this many series per rule (0: no limit).
    pub limit: usize,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub expr: String,
    pub kind: Kind,
    /// Label templates, by name (recording rules' are plain text: they parse to a single text part).
    pub labels: BTreeMap<String, (String, Template)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Record(String),
    Alert { name: String, for_: Duration, keep_firing_for: Duration, annotations: BTreeMap<String, (String, Template)> },
}

impl Rule {
    pub fn name(&self) -> &str {
        match &self.kind {
            Kind::Record(n) => n,
            Kind::Alert { name, .. } => name,
        }
    }
}

/// Read and check a rule file.
pub fn load(path: &Path) -> Result<Vec<Group>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::Io { path: path.to_path_buf(), message: e.to_string() })?;
    parse(path, &text)
}

fn metric_name_ok(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == ':')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == ':')
}

pub(crate) fn label_name_ok(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_') && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    problems: Vec<Located>,
}

impl Checker<'_> {
    /// The byte offset of a value's first character (line and column are 1-based).
    fn offset<T>(&self, s: &Spanned<T>) -> usize {
        let (line, col) = (s.referenced.line() as usize, s.referenced.column() as usize);
        let line_start: usize = self.text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
        let l = &self.text[line_start.min(self.text.len())..];
        line_start + l.char_indices().nth(col.saturating_sub(1)).map_or(l.len(), |(i, _)| i)
    }

    fn problem<T>(&mut self, s: &Spanned<T>, width: usize, message: impl Into<String>) {
        let at = self.offset(s);
        self.problems.push(ConfigError::at(self.path, self.text, at..at + width, message));
    }

    /// Where `inner` (an offset in the value) is in the file: exact for plain and quoted one-line
    /// values; a block scalar (`|`, `>`) is pointed at by its first line.
    fn problem_inside(&mut self, s: &Spanned<String>, inner: usize, message: impl Into<String>) {
        let at = self.offset(s);
        let src = &self.text[at..];
        let shift = if src.starts_with(s.value.as_str()) {
            Some(0)
        } else if (src.starts_with('"') || src.starts_with('\'')) && src[1..].starts_with(s.value.as_str()) {
            Some(1)
        } else {
            None
        };
        let at = shift.map_or(at, |k| at + k + inner);
        self.problems.push(ConfigError::at(self.path, self.text, at..at + 1, message));
    }

    fn duration(&mut self, s: &Option<Spanned<String>>, what: &str) -> Duration {
        let Some(s) = s else { return Duration::ZERO };
        match crate::time::parse_duration(&s.value) {
            Ok(d) => d,
            Err(_) => {
                let msg = format!("`{}` is not a duration for `{what}`: expected like 30s, 5m or 1h30m", s.value);
                self.problem(s, s.value.len().max(1), msg);
                Duration::ZERO
            }
        }
    }

    fn templates(
        &mut self,
        map: &BTreeMap<String, Spanned<String>>,
        what: &str,
    ) -> BTreeMap<String, (String, Template)> {
        let mut out = BTreeMap::new();
        for (k, v) in map {
            if what == "label" && !label_name_ok(k) {
                self.problem(v, 1, format!("`{k}` is not a valid label name: expected [a-zA-Z_][a-zA-Z0-9_]*"));
                continue;
            }
            match Template::parse(&v.value) {
                Ok(t) => {
                    out.insert(k.clone(), (v.value.clone(), t));
                }
                Err(e) => self.problem_inside(v, e.offset, format!("{what} `{k}`: {}", e.message)),
            }
        }
        out
    }
}

pub fn parse(path: &Path, text: &str) -> Result<Vec<Group>, ConfigError> {
    let raw: RawFile = serde_saphyr::from_str(text).map_err(|e| {
        let (line, col) = e.location().map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
        let l = &text[line_start.min(text.len())..];
        let at = line_start + l.char_indices().nth(col.saturating_sub(1)).map_or(l.len(), |(i, _)| i);
        let opts = serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off };
        let msg = e.render_with_options(opts);
        let msg = msg.split(" at line ").next().unwrap_or(&msg).trim().to_string();
        ConfigError::Invalid(vec![ConfigError::at(path, text, at..at + 1, with_suggestion(&msg))])
    })?;
    let mut c = Checker { path, text, problems: Vec::new() };
    let file = path.display().to_string();
    let mut groups: Vec<Group> = Vec::new();
    for g in raw.groups {
        if groups.iter().any(|o| o.name == g.name.value) {
            c.problem(&g.name, g.name.value.len(), format!("group name `{}` is repeated in the file", g.name.value));
        }
        let interval = match &g.interval {
            None => DEFAULT_INTERVAL,
            some => c.duration(some, "interval").max(Duration::from_secs(1)),
        };
        let mut rules = Vec::new();
        for r in g.rules {
            let kind = match (&r.record, &r.alert) {
                (Some(rec), None) => {
                    if !metric_name_ok(&rec.value) {
                        c.problem(rec, rec.value.len().max(1), format!("`{}` is not a valid metric name", rec.value));
                    }
                    if r.for_.is_some() || r.keep_firing_for.is_some() || !r.annotations.is_empty() {
                        c.problem(
                            rec,
                            rec.value.len(),
                            "a recording rule takes no `for`, `keep_firing_for` or `annotations`",
                        );
                    }
                    Kind::Record(rec.value.clone())
                }
                (None, Some(al)) => {
                    if al.value.trim().is_empty() {
                        c.problem(al, 1, "an alert needs a name");
                    }
                    Kind::Alert {
                        name: al.value.clone(),
                        for_: c.duration(&r.for_, "for"),
                        keep_firing_for: c.duration(&r.keep_firing_for, "keep_firing_for"),
                        annotations: c.templates(&r.annotations, "annotation"),
                    }
                }
                (Some(rec), Some(_)) => {
                    c.problem(rec, rec.value.len(), "a rule is either `record` or `alert`, not both");
                    continue;
                }
                (None, None) => {
                    c.problem(&r.expr, 1, "a rule needs `record: NAME` or `alert: NAME`");
                    continue;
                }
            };
            if let Err((msg, pos)) = crate::config::queries::check(&r.expr.value) {
                c.problem_inside(&r.expr, pos.unwrap_or(0), format!("invalid PromQL in `expr`: {msg}"));
            }
            let labels = c.templates(&r.labels, "label");
            rules.push(Rule { expr: r.expr.value.trim().to_string(), kind, labels });
        }
        groups.push(Group { name: g.name.value, file: file.clone(), interval, limit: g.limit, rules });
    }
    if c.problems.is_empty() { Ok(groups) } else { Err(ConfigError::Invalid(c.problems)) }
}

/// Check rule files as `watchpost config check` does: every file's problems, or the groups.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Group>, ConfigError> {
    let mut groups = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match load(p) {
            Ok(g) => groups.extend(g),
            Err(ConfigError::Invalid(v)) => problems.extend(v),
            Err(io) => return Err(io),
        }
    }
    if problems.is_empty() { Ok(groups) } else { Err(ConfigError::Invalid(problems)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse(Path::new("r.yml"), text) {
            Ok(_) => vec![],
            Err(e) => e.problems().iter().map(|p| format!("{}:{} {}", p.line, p.col, p.message)).collect(),
        }
    }

    #[test]
    fn a_valid_file() {
        let text = "groups:\n  - name: g\n    interval: 30s\n    rules:\n      - record: job:x:rate5m\n        expr: sum by (job) (rate(x_total[5m]))\n      - alert: High\n        expr: job:x:rate5m > 1\n        for: 2m\n        labels: {severity: page}\n        annotations:\n          summary: \"{{ $labels.job }} at {{ $value }}\"\n";
        let g = parse(Path::new("r.yml"), text).unwrap();
        assert_eq!(g[0].interval, Duration::from_secs(30));
        assert_eq!(g[0].rules.len(), 2);
        assert!(matches!(&g[0].rules[1].kind, Kind::Alert { for_, .. } if *for_ == Duration::from_secs(120)));
    }

    #[test]
    fn problems_are_located() {
        let p = problems("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(rate(x[5m])\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("5:18 invalid PromQL"), "{p:?}");
        let p =
            problems("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5q\n");
        assert!(p[0].starts_with("6:14 `5q` is not a duration"), "{p:?}");
        let p =
            problems("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        anotations: {}\n");
        assert!(p[0].contains("anotations") && p[0].contains("did you mean `annotations`"), "{p:?}");
        let p = problems(
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        annotations:\n          s: \"x {{ if $value }}\"\n",
        );
        assert!(p[0].starts_with("7:20 annotation `s`: `if` is not supported"), "{p:?}");
        let p = problems("groups:\n  - name: g\n    rules:\n      - record: 1bad\n        expr: up\n");
        assert!(p[0].starts_with("4:17 `1bad` is not a valid metric name"), "{p:?}");
    }
}
