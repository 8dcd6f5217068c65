//! From a Markdown file to a [`Runbook`], every problem located at file:line:col. The front matter is
//! YAML between `---` lines (read with serde-saphyr for its positions); the body is read with
//! pulldown-cmark, and a fenced block whose info string carries attributes in braces is a step:
//!
//! ````text
//! ```sh {#restart destructive rollback=start timeout=2m}
//! systemctl restart "$service"
//! ```
//! ````
//!
//! Kinds by the block's language: `sh`/`bash`/`shell`, `promql` (a check: `for=`), `http`, `manual`
//! (a checklist), `wait` (`duration=`). Parameters are referenced as `$name` (lower case); in shell they
//! are environment variables, so `$UPPER` names are the environment's own and not checked. `drill=`
//! names what the step does to the built-in estate in a drill (`drill=rollback`), in place of its
//! command.
use super::model::{Block, DEFAULT_TIMEOUT, DRILL_ACTIONS, Param, ParamKind, Runbook, Step, StepKind};
use crate::config::error::{ConfigError, Located, with_suggestion};
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFront {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    alerts: Vec<String>,
    role: Option<String>,
    #[serde(default)]
    params: indexmap::IndexMap<String, Spanned<RawParam>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    #[serde(rename = "type")]
    kind: String,
    default: Option<Scalar>,
    allowed: Option<Vec<Scalar>>,
    pattern: Option<String>,
    from_label: Option<String>,
    description: Option<String>,
}

/// A YAML scalar written as a string, number or boolean: kept as its text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// `$name`, `${name}` or a shell expansion of it (`${#name}`, `${name%…}`) with a lower-case name.
static REFERENCE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\$(?:\{#?([a-z_][a-z0-9_]*)(?:[^a-z0-9_}][^}]*)?\}|([a-z_][a-z0-9_]*))").expect("valid regex")
});

struct Problems<'a> {
    path: &'a Path,
    text: &'a str,
    found: Vec<Located>,
}

impl Problems<'_> {
    fn at(&mut self, offset: usize, width: usize, msg: impl Into<String>) {
        self.found.push(ConfigError::at(self.path, self.text, offset..offset + width.max(1), msg));
    }
}

/// The byte offset of (line, column), 1-based, in `text`.
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let l = &text[line_start.min(text.len())..];
    line_start + l.char_indices().nth(col.saturating_sub(1)).map_or(l.len(), |(i, _)| i)
}

fn id_ok(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Where `name:` is written as a key in the YAML (indented: a parameter's name).
fn key_at(yaml: &str, name: &str) -> Option<usize> {
    let re = regex::Regex::new(&format!(r"(?m)^[ \t]+{}[ \t]*:", regex::escape(name))).ok()?;
    re.find(yaml).map(|m| m.start() + (m.as_str().len() - m.as_str().trim_start().len()))
}

/// Read a runbook file.
pub fn load(path: &Path) -> Result<Runbook, Vec<Located>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Located {
            path: path.to_path_buf(),
            line: 1,
            col: 1,
            message: format!("cannot read the runbook: {e}"),
            source_line: String::new(),
            width: 1,
        }]
    })?;
    parse(path, &text)
}

/// Every `*.md` runbook under the directories (not recursive), in name order: those that load, and the
/// problems of those that do not (one bad runbook does not hide the others). Ids must be unique.
pub fn load_dir(dirs: &[PathBuf]) -> (Vec<Runbook>, Vec<Located>) {
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|rd| rd.filter_map(Result::ok).map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md") && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    let (mut ok, mut bad) = (Vec::<Runbook>::new(), Vec::new());
    for f in files {
        match load(&f) {
            Ok(r) if ok.iter().any(|o| o.id == r.id) => bad.push(Located {
                path: f.clone(),
                line: 2,
                col: 1,
                message: format!("runbook id `{}` is already used by another runbook", r.id),
                source_line: String::new(),
                width: 1,
            }),
            Ok(r) => ok.push(r),
            Err(mut e) => bad.append(&mut e),
        }
    }
    (ok, bad)
}

pub fn parse(path: &Path, text: &str) -> Result<Runbook, Vec<Located>> {
    let mut p = Problems { path, text, found: Vec::new() };
    // Front matter: `---` on the first line, up to the next `---` line.
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        p.at(0, 3, "expected front matter: a first line `---`, YAML (id, title, …), and a closing `---`");
        return Err(p.found);
    };
    let front_start = text.len() - rest.len();
    let Some(end) = rest.find("\n---").map(|i| i + 1) else {
        p.at(0, 3, "the front matter is not closed: expected a `---` line after it");
        return Err(p.found);
    };
    let yaml = &rest[..end];
    let body_start = front_start + end + rest[end..].find('\n').map_or(rest.len() - end, |i| i + 1);
    let raw: RawFront = match serde_saphyr::from_str(yaml) {
        Ok(r) => r,
        Err(e) => {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
            let at = front_start + offset_of(yaml, line, col);
            let opts = serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off };
            let msg = e.render_with_options(opts);
            let msg = msg.split(" at line ").next().unwrap_or(&msg).trim().to_string();
            p.at(at, 1, with_suggestion(&msg));
            return Err(p.found);
        }
    };
    let at_yaml = |s: (usize, usize)| front_start + offset_of(yaml, s.0, s.1);
    let id_at = at_yaml((raw.id.referenced.line() as usize, raw.id.referenced.column() as usize));
    if !id_ok(&raw.id.value) {
        p.at(id_at, raw.id.value.len(), format!("id `{}`: expected lower-case letters, digits and `-`", raw.id.value));
    }

    let mut params = Vec::new();
    for (name, rp) in &raw.params {
        // Problems with a parameter point at its name.
        let at = key_at(yaml, name)
            .map(|i| front_start + i)
            .unwrap_or_else(|| at_yaml((rp.referenced.line() as usize, rp.referenced.column() as usize)));
        let r = &rp.value;
        if !name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            p.at(at, 1, format!("parameter `{name}`: expected a lower-case name ([a-z_][a-z0-9_]*)"));
        }
        let kind = match (r.kind.as_str(), &r.allowed) {
            ("string", None) => ParamKind::String,
            ("int", None) => ParamKind::Int,
            ("number", None) => ParamKind::Number,
            ("bool", None) => ParamKind::Bool,
            ("duration", None) => ParamKind::Duration,
            ("secret", None) => ParamKind::Secret,
            ("enum", Some(a)) if !a.is_empty() => ParamKind::Enum(a.iter().map(Scalar::text).collect()),
            ("enum", _) => {
                p.at(at, 1, format!("parameter `{name}`: an enum needs `allowed: [..]`"));
                continue;
            }
            (_, Some(_)) => {
                p.at(at, 1, format!("parameter `{name}`: `allowed` is for `type: enum`"));
                continue;
            }
            (other, None) => {
                let msg = format!(
                    "parameter `{name}`: unknown type `{other}`: expected string, int, number, bool, duration, enum or secret"
                );
                p.at(at, 1, msg);
                continue;
            }
        };
        if let Some(pat) = &r.pattern
            && let Err(e) = regex::Regex::new(pat)
        {
            p.at(at, 1, format!("parameter `{name}`: pattern: {e}"));
        }
        let param = Param {
            name: name.clone(),
            kind,
            default: r.default.as_ref().map(Scalar::text),
            pattern: r.pattern.clone(),
            from_label: r.from_label.clone(),
            description: r.description.clone(),
        };
        if let Some(d) = &param.default
            && let Err(e) = super::params::validate(&param, d)
        {
            p.at(at, 1, format!("default: {e}"));
        }
        params.push(param);
    }

    let (body, steps) = body(&mut p, text, body_start);
    check_steps(&mut p, &steps, &params, text);
    if !p.found.is_empty() {
        p.found.sort_by_key(|l| (l.line, l.col));
        return Err(p.found);
    }
    Ok(Runbook {
        id: raw.id.value.clone(),
        title: raw.title.clone(),
        path: path.to_path_buf(),
        services: raw.services.clone(),
        alerts: raw.alerts.clone(),
        role: raw.role.clone(),
        params,
        body,
    })
}

/// A step as found, with where its parts are, for the checks.
struct Found {
    step: Step,
    /// Byte offset of the content and the content (what references are looked for in).
    content_at: usize,
    content: String,
    fence_at: usize,
}

fn body(p: &mut Problems<'_>, text: &str, start: usize) -> (Vec<Block>, Vec<Found>) {
    let md = &text[start..];
    let mut blocks = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    let mut prose_from = 0;
    let mut current: Option<(String, usize, std::ops::Range<usize>)> = None;
    let mut content = String::new();
    let mut content_at = None;
    for (ev, range) in Parser::new(md).into_offset_iter() {
        match ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if info.contains('{') => {
                current = Some((info.to_string(), range.start, range.clone()));
                content.clear();
                content_at = None;
            }
            Event::Text(t) if current.is_some() => {
                content_at.get_or_insert(range.start);
                content.push_str(&t);
            }
            Event::End(TagEnd::CodeBlock) => {
                let Some((info, fence, range)) = current.take() else { continue };
                let prose = md[prose_from..fence].trim();
                if !prose.is_empty() {
                    blocks.push(Block::Prose(prose.to_string()));
                }
                prose_from = range.end;
                let fence_at = start + fence;
                let at = start + content_at.unwrap_or(fence);
                if let Some(step) = step(p, &info, &content, fence_at, text) {
                    blocks.push(Block::Step(step.clone()));
                    found.push(Found { step, content_at: at, content: content.clone(), fence_at });
                }
            }
            _ => {}
        }
    }
    let prose = md[prose_from..].trim();
    if !prose.is_empty() {
        blocks.push(Block::Prose(prose.to_string()));
    }
    (blocks, found)
}

/// The step of a fenced block: `lang {#id key=value flag …}` and its content.
fn step(p: &mut Problems<'_>, info: &str, content: &str, fence_at: usize, text: &str) -> Option<Step> {
    let (lang, attrs) = info.split_once('{').map(|(l, a)| (l.trim(), a.trim_end().trim_end_matches('}')))?;
    // Where the attributes start in the file: after the fence's backticks and the language.
    let attrs_at = fence_at + text[fence_at..].find('{').map_or(0, |i| i + 1);
    let line = text[..fence_at].matches('\n').count() + 1;
    let mut id = None;
    let (mut destructive, mut irreversible, mut rollback) = (false, false, None);
    let mut timeout = DEFAULT_TIMEOUT;
    let (mut for_, mut duration, mut drill) = (None, None, None);
    let mut pos = 0;
    for word in attrs.split_whitespace() {
        let w_at = attrs_at + attrs[pos..].find(word).map_or(pos, |i| pos + i);
        pos = w_at - attrs_at + word.len();
        let dur = |p: &mut Problems<'_>, v: &str| match crate::time::parse_duration(v) {
            Ok(d) => Some(d),
            Err(_) => {
                p.at(w_at, word.len(), format!("`{word}`: expected a duration such as 30s or 5m"));
                None
            }
        };
        match word.split_once('=') {
            None if word.starts_with('#') => id = Some(word[1..].to_string()),
            None if word == "destructive" => destructive = true,
            None if word == "irreversible" => irreversible = true,
            Some(("rollback", v)) => rollback = Some(v.to_string()),
            Some(("timeout", v)) => timeout = dur(p, v).unwrap_or(timeout),
            Some(("for", v)) => for_ = dur(p, v),
            Some(("duration", v)) => duration = dur(p, v),
            Some(("drill", v)) if DRILL_ACTIONS.contains(&v) => drill = Some(v.to_string()),
            Some(("drill", v)) => {
                let msg = format!("drill `{v}`: expected one of the estate's actions: {}", DRILL_ACTIONS.join(", "));
                p.at(w_at + 6, v.len(), msg);
            }
            _ => {
                let msg = format!(
                    "unknown step attribute `{word}`: expected #id, destructive, irreversible, rollback=, timeout=, for=, duration= or drill="
                );
                p.at(w_at, word.len(), msg);
            }
        }
    }
    let Some(id) = id.filter(|i| id_ok(i)) else {
        p.at(attrs_at, attrs.len(), "a step needs an id: `{#restart …}` (lower-case letters, digits and `-`)");
        return None;
    };
    let kind = match lang {
        "sh" | "bash" | "shell" => StepKind::Shell { script: content.to_string() },
        "promql" => StepKind::Check { query: content.trim().to_string(), for_: for_.unwrap_or(Duration::ZERO) },
        "http" => http(p, content, fence_at)?,
        "manual" | "checklist" => StepKind::Manual {
            checklist: content
                .lines()
                .filter_map(|l| {
                    let l = l.trim();
                    l.strip_prefix("- [ ]").or_else(|| l.strip_prefix("- [x]")).or_else(|| l.strip_prefix("- "))
                })
                .map(|l| l.trim().to_string())
                .collect(),
        },
        "wait" => match duration {
            Some(d) => StepKind::Wait { duration: d },
            None => {
                p.at(attrs_at, attrs.len(), "a wait step needs `duration=`, e.g. duration=2m");
                return None;
            }
        },
        other => {
            p.at(
                fence_at,
                3 + other.len(),
                format!("unknown step kind `{other}`: expected sh, promql, http, manual or wait"),
            );
            return None;
        }
    };
    Some(Step { id, kind, destructive, rollback, irreversible, timeout, drill, line })
}

/// `METHOD URL`, header lines, a blank line, the body.
fn http(p: &mut Problems<'_>, content: &str, fence_at: usize) -> Option<StepKind> {
    let mut lines = content.lines();
    let first = lines.next().unwrap_or("").trim();
    let Some((method, url)) = first.split_once(' ') else {
        p.at(fence_at, 3, "an http step starts with `METHOD URL`, e.g. POST https://hooks.example/notify");
        return None;
    };
    let method = method.to_ascii_uppercase();
    if !matches!(method.as_str(), "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
        p.at(fence_at, 3, format!("http step: unknown method `{method}`"));
        return None;
    }
    let mut headers = Vec::new();
    for l in lines.by_ref() {
        if l.trim().is_empty() {
            break;
        }
        match l.split_once(':') {
            Some((k, v)) => headers.push((k.trim().to_string(), v.trim().to_string())),
            None => {
                p.at(fence_at, 3, format!("http step: `{l}` is not a header (`Name: value`)"));
                return None;
            }
        }
    }
    let body = lines.collect::<Vec<_>>().join("\n");
    Some(StepKind::Http { method, url: url.trim().to_string(), headers, body })
}

/// Across steps: unique ids, rollbacks that exist, destructive steps that can be undone (or say they
/// cannot), parameters referenced but not declared or declared but not used, PromQL that parses.
fn check_steps(p: &mut Problems<'_>, found: &[Found], params: &[Param], text: &str) {
    let mut ids = BTreeSet::new();
    let mut used = BTreeSet::new();
    for f in found {
        let s = &f.step;
        let attrs_at = f.fence_at + text[f.fence_at..].find('{').map_or(0, |i| i + 1);
        if !ids.insert(s.id.clone()) {
            p.at(attrs_at, s.id.len() + 1, format!("step id `{}` is used twice", s.id));
        }
        if let Some(r) = &s.rollback
            && !found.iter().any(|o| &o.step.id == r)
        {
            p.at(attrs_at, 1, format!("rollback `{r}`: no step has that id"));
        }
        if s.drill.is_some() && !params.iter().any(|q| q.name == "service") {
            p.at(attrs_at, 1, "a `drill=` step acts on the service named by the `service` parameter: declare one");
        }
        if s.destructive && s.rollback.is_none() && !s.irreversible {
            p.at(attrs_at, 1, "a destructive step needs `rollback=<step id>`, or `irreversible` to say it has none");
        }
        // References: lower-case `$name` must be declared parameters.
        for c in REFERENCE.captures_iter(&f.content) {
            let m = c.get(1).or_else(|| c.get(2)).expect("one group matches");
            let name = m.as_str();
            if params.iter().any(|q| q.name == name) {
                used.insert(name.to_string());
            } else {
                p.at(f.content_at + m.start() - 1, name.len() + 1, format!("`${name}` is not a declared parameter"));
            }
        }
        if let StepKind::Check { query, .. } = &s.kind {
            // Parameters stand in as values of their type for the parse.
            let sample = REFERENCE.replace_all(query, |c: &regex::Captures<'_>| {
                let name = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
                match params.iter().find(|q| q.name == name).map(|q| &q.kind) {
                    Some(ParamKind::Duration) => "5m".to_string(),
                    Some(ParamKind::Int | ParamKind::Number) => "1".to_string(),
                    _ => "x".to_string(),
                }
            });
            if let Err((msg, pos)) = crate::config::queries::check(&sample) {
                let lead = f.content.len() - f.content.trim_start().len();
                let at = f.content_at + lead + pos.filter(|_| sample == *query).unwrap_or(0);
                p.at(at, 1, format!("invalid PromQL: {}", crate::text::sanitize(&msg)));
            }
        }
    }
    let yaml_end = text.find("\n---").unwrap_or(text.len());
    for q in params {
        if !used.contains(&q.name) {
            let at = key_at(&text[..yaml_end], &q.name).unwrap_or(0);
            p.at(at, q.name.len(), format!("parameter `{}` is declared but no step uses it", q.name));
        }
    }
}
