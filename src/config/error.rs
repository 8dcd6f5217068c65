//! Config errors that say where (file:line:col), what was found, what was expected, and the nearest key.
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem at one place in one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// The offending source line, for the caret display.
    pub source_line: String,
    pub width: usize,
}

/// All problems found in a config; loading collects as many as it can before failing.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigError {
    /// The file could not be read at all.
    Io {
        path: PathBuf,
        message: String,
    },
    Invalid(Vec<Located>),
}

impl ConfigError {
    pub fn at(path: &Path, text: &str, span: Range<usize>, message: impl Into<String>) -> Located {
        let start = span.start.min(text.len());
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = text[line_start..start].chars().count() + 1;
        let source_line = text[line_start..].lines().next().unwrap_or("").to_string();
        let end = span.end.clamp(start, text.len());
        let width = text[start..end].lines().next().map_or(1, |l| l.chars().count().max(1));
        Located { path: path.to_path_buf(), line, col, message: message.into(), source_line, width }
    }

    pub fn problems(&self) -> &[Located] {
        match self {
            ConfigError::Io { .. } => &[],
            ConfigError::Invalid(v) => v,
        }
    }
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        writeln!(f, "{path}:{}:{}: {}", self.line, self.col, self.message)?;
        let gutter = self.line.to_string().len();
        let src = crate::text::sanitize(&self.source_line);
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{} | {src}", self.line)?;
        write!(f, "{:gutter$} | {:pad$}{}", "", "", "^".repeat(self.width.min(80)), pad = self.col - 1)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Io { path, message } => write!(f, "{}: {message}", path.display()),
            ConfigError::Invalid(problems) => {
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "error: {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// The candidate nearest to `word`, if it is near enough to be a plausible misspelling.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Add "did you mean …?" to serde's unknown field / variant messages, which list what was expected.
pub fn with_suggestion(message: &str) -> String {
    let found = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|p| message.split_once(p).map(|(_, rest)| rest))
        .and_then(|rest| rest.split('`').next());
    let Some(found) = found else { return message.to_string() };
    let list = message.split_once("expected").map_or("", |(_, list)| list);
    let expected: Vec<&str> = if list.contains('`') {
        list.split('`').skip(1).step_by(2).collect()
    } else {
        // Some parsers list the names bare: "expected one of a, b, c".
        list.trim_start_matches(" one of").split(',').map(str::trim).collect()
    };
    match nearest(found, expected) {
        Some(s) => format!("{message}; did you mean `{s}`?"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn location_and_caret() {
        let text = "a = 1\nbb = \"x\"\n";
        let l = ConfigError::at(Path::new("c.toml"), text, 11..14, "bad");
        assert_eq!((l.line, l.col), (2, 6));
        assert!(l.to_string().starts_with("c.toml:2:6: bad"));
        assert!(l.to_string().ends_with("|      ^^^"));
    }
    #[test]
    fn suggestion() {
        let m = "unknown field `treshold`, expected one of `threshold`, `window`";
        assert!(with_suggestion(m).ends_with("did you mean `threshold`?"));
        assert!(!with_suggestion("unknown field `zzzzzzz`, expected `a`").contains("did you mean"));
    }
}
