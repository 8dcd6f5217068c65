//! What a deploy provider reports and what a rollback runs.
use chrono::{DateTime, Utc};
use std::time::Duration;

/// One version of a service in its provider's history.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    /// The provider's own name for it: a Kubernetes or Helm revision number, a generic id.
    pub revision: String,
    /// What runs: a version, an image, a chart.
    pub version: String,
    pub at: Option<DateTime<Utc>>,
    pub by: Option<String>,
    /// Why it was made (Kubernetes' change cause, Helm's description).
    pub cause: Option<String>,
    pub current: bool,
}

/// One thing a rollback does, shown to the operator exactly as it will run.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A program and its arguments (no shell).
    Argv(Vec<String>),
    /// A request to the built-in estate's deploy API.
    Http { method: &'static str, url: url::Url, body: serde_json::Value },
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Argv(args) => {
                let quoted: Vec<String> = args.iter().map(|a| quote(a)).collect();
                write!(f, "{}", quoted.join(" "))
            }
            Action::Http { method, url, body } if body.is_null() => write!(f, "{method} {url}"),
            Action::Http { method, url, body } => write!(f, "{method} {url} {body}"),
        }
    }
}

/// Whether the version at `i` of a history (oldest first) was taken back by the next one: its cause
/// says so, or it returns to an earlier version.
pub fn was_rolled_back(history: &[Version], i: usize) -> bool {
    let Some(next) = history.get(i + 1) else { return false };
    let cause = next.cause.as_deref().unwrap_or("").to_lowercase();
    cause.contains("rollback")
        || cause.contains("rolled back")
        || history[..i].iter().any(|v| v.version == next.version)
}

/// An argument as a POSIX shell would need it to read it back as one word: for showing, never for
/// running (arguments go to the program as they are).
pub fn quote(a: &str) -> String {
    let plain = !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    let text = if plain { a.to_string() } else { format!("'{}'", a.replace('\'', r"'\''")) };
    crate::text::sanitize(&text).into_owned()
}

/// A revision as providers name them: a number for Kubernetes, Helm, Argo Rollouts and the estate;
/// letters, digits and `._:@/+-` for a generic provider. Anything else is refused before it is used.
pub fn valid_revision(r: &str, numeric: bool) -> Result<(), String> {
    let ok = if numeric {
        !r.is_empty() && r.len() <= 10 && r.bytes().all(|b| b.is_ascii_digit())
    } else {
        !r.is_empty() && r.len() <= 200 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:@/+-".contains(&b))
    };
    if ok {
        Ok(())
    } else {
        let what = if numeric { "a revision number" } else { "letters, digits and ._:@/+-" };
        Err(format!("revision `{}`: expected {what}", crate::text::sanitize(&r.chars().take(80).collect::<String>())))
    }
}

/// How long a provider's command may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn revisions_with_shell_metacharacters_are_refused() {
        for bad in ["3; rm -rf /", "$(reboot)", "`id`", "3\n4", "", "a b", "../../x\0"] {
            assert!(valid_revision(bad, false).is_err(), "{bad:?}");
            assert!(valid_revision(bad, true).is_err(), "{bad:?}");
        }
        assert!(valid_revision("42", true).is_ok());
        assert!(valid_revision("v1.2.3+build.7", false).is_ok());
        assert!(valid_revision("v1", true).is_err());
    }
    #[test]
    fn actions_are_shown_as_a_shell_would_read_them() {
        let a = Action::Argv(vec!["kubectl".into(), "-n".into(), "shop floor".into(), "it's".into()]);
        assert_eq!(a.to_string(), r"kubectl -n 'shop floor' 'it'\''s'");
    }
}
