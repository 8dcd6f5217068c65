//! Maintenance windows as a team keeps them: a TOML file under version control (the console writes to
//! it too), so every engineer sees the same windows. Each is one-off or recurring, in a time zone,
//! scoped by services and matchers, with a reason and an owner.
//!
//! ```toml
//! [[window]]
//! id = "db-patching"
//! title = "Monthly database patching"
//! owner = "ann"
//! reason = "PostgreSQL minor upgrade"
//! start = "2026-12-01T02:00"        # local time in `timezone`
//! timezone = "Europe/Berlin"         # default UTC
//! duration = "2h"                    # or end = "2026-12-01T04:00"
//! rrule = "FREQ=MONTHLY;BYDAY=1TU"   # or cron = "0 2 * * 2"; neither: once
//! services = ["db"]
//! matchers = ['severity!="page"']
//! exclude_from_slo = true
//! ```
use crate::alerts::matcher::{Matcher, Op};
use crate::config::error::{ConfigError, with_suggestion};
use crate::schedule::{Rule, Schedule};
use serde::{Deserialize, Serialize};
use std::path::Path;
use toml::Spanned;

/// The demo estate's windows.
pub const DEMO: &str = include_str!("../../assets/demo/maintenance.toml");

#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub reason: String,
    pub schedule: Schedule,
    pub services: Vec<String>,
    pub matchers: Vec<Matcher>,
    /// Its time is left out of availability and the error budget (for SLOs that allow it).
    pub exclude_from_slo: bool,
}

impl Window {
    /// What a silence for it matches: its services' alerts (by `job`), narrowed by its matchers.
    pub fn silence_matchers(&self) -> Vec<Matcher> {
        let mut out = Vec::new();
        match self.services.as_slice() {
            [] => {}
            [one] => out.extend(Matcher::new("job", Op::Equal, one)),
            many => {
                let alternatives: Vec<String> = many.iter().map(|s| regex::escape(s)).collect();
                out.extend(Matcher::new("job", Op::Regex, &alternatives.join("|")));
            }
        }
        out.extend(self.matchers.iter().cloned());
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    window: Vec<Spanned<RawWindow>>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    id: Spanned<String>,
    #[serde(default)]
    title: String,
    owner: String,
    reason: String,
    start: Spanned<String>,
    #[serde(default)]
    timezone: Option<Spanned<String>>,
    duration: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    rrule: Option<Spanned<String>>,
    cron: Option<Spanned<String>>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    matchers: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_from_slo: bool,
}

/// Read a windows file; every problem is located (file:line:col).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Window>, ConfigError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        ConfigError::Invalid(vec![ConfigError::at(path, text, span, with_suggestion(e.message()))])
    })?;
    let mut problems = Vec::new();
    let mut out: Vec<Window> = Vec::new();
    for w in raw.window {
        let span = w.span();
        let w = w.into_inner();
        let mut bad = |span: std::ops::Range<usize>, msg: String| problems.push(ConfigError::at(path, text, span, msg));
        let id = w.id.get_ref();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            bad(w.id.span(), format!("id `{id}`: expected lower-case letters, digits and `-`"));
            continue;
        }
        if out.iter().any(|o| &o.id == id) {
            bad(w.id.span(), format!("id `{id}` is used by another window"));
            continue;
        }
        let fields = crate::schedule::fields::Fields {
            start: &w.start,
            timezone: w.timezone.as_ref(),
            duration: w.duration.as_ref(),
            end: w.end.as_ref(),
            rrule: w.rrule.as_ref(),
            cron: w.cron.as_ref(),
        };
        let schedule = match crate::schedule::fields::read(&fields, &format!("window `{id}`"), span.clone()) {
            Ok(s) => s,
            Err((at, msg)) => {
                bad(at, msg);
                continue;
            }
        };
        let mut matchers = Vec::new();
        for m in &w.matchers {
            match crate::alerts::matcher::parse(m.get_ref()) {
                Ok(ms) => matchers.extend(ms),
                Err(e) => bad(m.span(), format!("matcher: {e}")),
            }
        }
        if w.services.is_empty() && w.matchers.is_empty() {
            bad(span.clone(), format!("window `{id}`: give `services` or `matchers` (a window silences something)"));
            continue;
        }
        out.push(Window {
            id: id.clone(),
            title: if w.title.is_empty() { id.clone() } else { w.title },
            owner: w.owner,
            reason: w.reason,
            schedule,
            services: w.services,
            matchers,
            exclude_from_slo: w.exclude_from_slo,
        });
    }
    if problems.is_empty() { Ok(out) } else { Err(ConfigError::Invalid(problems)) }
}

/// Read a windows file; a missing one has no windows.
pub fn load(path: &Path) -> Result<Vec<Window>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(ConfigError::Io { path: path.to_path_buf(), message: format!("cannot read windows: {e}") }),
    }
}

/// A window as the file writes it.
pub fn to_toml(w: &Window) -> String {
    let mut s = String::from("[[window]]\n");
    let q = |v: &str| toml::Value::String(v.to_string()).to_string();
    s.push_str(&format!(
        "id = {}\ntitle = {}\nowner = {}\nreason = {}\n",
        q(&w.id),
        q(&w.title),
        q(&w.owner),
        q(&w.reason)
    ));
    s.push_str(&format!("start = {}\n", q(&w.schedule.start.format("%Y-%m-%dT%H:%M").to_string())));
    s.push_str(&format!("timezone = {}\n", q(w.schedule.tz.name())));
    let secs = w.schedule.length.num_seconds().max(0) as u64;
    s.push_str(&format!("duration = {}\n", q(&crate::time::short(std::time::Duration::from_secs(secs)))));
    match &w.schedule.rule {
        Rule::Once => {}
        Rule::RRule(r) => s.push_str(&format!("rrule = {}\n", q(r))),
        Rule::Cron(c) => s.push_str(&format!("cron = {}\n", q(c))),
    }
    let list = |v: Vec<String>| v.iter().map(|x| q(x)).collect::<Vec<_>>().join(", ");
    s.push_str(&format!("services = [{}]\n", list(w.services.clone())));
    if !w.matchers.is_empty() {
        s.push_str(&format!("matchers = [{}]\n", list(w.matchers.iter().map(ToString::to_string).collect())));
    }
    if w.exclude_from_slo {
        s.push_str("exclude_from_slo = true\n");
    }
    s
}

/// Add a window to the file (its text kept as it is, comments and all), refusing a duplicate id or a
/// window the file would not read back; written to a new file, synced and renamed into place.
pub fn append(path: &Path, w: &Window) -> Result<(), String> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut text = old.clone();
    if !text.is_empty() && !text.ends_with("\n\n") {
        text.push_str(if text.ends_with('\n') { "\n" } else { "\n\n" });
    }
    text.push_str(&to_toml(w));
    parse(path, &text).map_err(|e| e.to_string())?;
    crate::files::write_atomic(path, text.as_bytes())
}

/// Take window `id` out of the file: its `[[window]]` block goes, the rest of the text stays as it
/// is; written to a new file, synced and renamed into place.
pub fn remove(path: &Path, id: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // Blocks start at `[[window]]` lines; the text before the first is kept whole.
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim() == "[[window]]" {
            starts.push(at);
        }
        at += line.len();
    }
    starts.push(text.len());
    let block = starts
        .windows(2)
        .find(|b| parse(path, &text[b[0]..b[1]]).is_ok_and(|ws| ws.first().is_some_and(|w| w.id == id)));
    let Some(b) = block else { return Err(format!("no window `{id}` in {}", path.display())) };
    let kept = format!("{}{}", &text[..b[0]], &text[b[1]..]);
    parse(path, &kept).map_err(|e| e.to_string())?;
    crate::files::write_atomic(path, kept.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[window]]
id = "db-patching"
owner = "ann"
reason = "minor upgrade"
start = "2026-12-01T02:00"
timezone = "Europe/Berlin"
duration = "2h"
rrule = "FREQ=MONTHLY;BYDAY=1TU"
services = ["db"]

[[window]]
id = "edge"
owner = "bo"
reason = "router swap"
start = "2026-12-05T22:00"
end = "2026-12-06T01:30"
services = ["gateway", "auth"]
matchers = ['severity!="page"']
"#;

    #[test]
    fn windows_read_and_write_back() {
        let ws = parse(Path::new("m.toml"), FILE).unwrap();
        assert_eq!(ws.len(), 2);
        assert_eq!(ws[1].schedule.length, chrono::Duration::minutes(210));
        assert_eq!(
            crate::alerts::matcher::to_text(&ws[1].silence_matchers()),
            r#"job=~"gateway|auth", severity!="page""#
        );
        let again = parse(Path::new("m.toml"), &ws.iter().map(to_toml).collect::<Vec<_>>().join("\n")).unwrap();
        assert_eq!(again, ws);
    }

    #[test]
    fn a_window_is_removed_and_the_rest_kept() {
        let dir = std::env::temp_dir().join(format!("wp-windows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.toml");
        std::fs::write(&path, format!("# ours\n{FILE}")).unwrap();
        remove(&path, "db-patching").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# ours\n") && !text.contains("db-patching") && text.contains("router swap"),
            "{text}"
        );
        assert!(remove(&path, "db-patching").unwrap_err().contains("no window"));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn the_demo_windows_parse() {
        assert_eq!(parse(Path::new("demo.toml"), DEMO).unwrap().len(), 3);
    }

    #[test]
    fn problems_are_located() {
        let text = "[[window]]\nid = \"w\"\nowner = \"a\"\nreason = \"r\"\nstart = \"2026-12-01T02:00\"\nend = \"2026-12-01T01:00\"\nservices = [\"db\"]\n";
        let e = parse(Path::new("m.toml"), text).unwrap_err().to_string();
        assert!(e.contains("m.toml:6:7") && e.contains("ends before it starts"), "{e}");
        let text = "[[window]]\nid = \"w\"\nowner = \"a\"\nreason = \"r\"\nstart = \"2026-12-01T02:00\"\nduration = \"1s\"\nrrule = \"FREQ=SECONDLY\"\nservices = [\"db\"]\n";
        let e = parse(Path::new("m.toml"), text).unwrap_err().to_string();
        assert!(e.contains("m.toml:7:9") && e.contains("occurs every 1s"), "{e}");
        let text = "[[window]]\nid = \"w\"\nowner = \"a\"\nreason = \"r\"\nstart = \"2026-12-01T02:00\"\nduration = \"1h\"\ntimezone = \"Mars/Olympus\"\nservices = [\"db\"]\n";
        let e = parse(Path::new("m.toml"), text).unwrap_err().to_string();
        assert!(e.contains("m.toml:7:12") && e.contains("IANA"), "{e}");
    }
}
