//! Roles: a policy file maps users and groups to roles, and roles to the actions they allow (`view`,
//! `silence`, `ack`, `runbook:<id>` or `runbook:*`, `rollback`, `maintenance`, or `*`). A denied action
//! says which rule denied it. An action written `ACTION@ENV` (`rollback@staging`, `*@development`) is
//! allowed in that environment only; without one, in every environment. A policy the current user can write (or whose directory they can write)
//! is reported as advisory: its decisions are shown, not enforced.
use crate::config::error::{ConfigError, Located};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    roles: BTreeMap<String, RawRole>,
    #[serde(default)]
    bindings: Vec<RawBinding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    actions: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    roles: Vec<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    /// Where it is written: `policy.toml:12`.
    pub at: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub path: PathBuf,
    pub roles: BTreeMap<String, Vec<String>>,
    pub bindings: Vec<Binding>,
    /// The current user can change the policy: it is shown, not enforced.
    pub advisory: bool,
}

const ACTIONS: [&str; 6] = ["view", "silence", "ack", "rollback", "maintenance", "runbook:"];

fn action_ok(a: &str) -> bool {
    let (a, env) = scoped(a);
    env.is_none_or(|e| !e.is_empty())
        && (a == "*" || ACTIONS.iter().any(|k| a == *k || (k.ends_with(':') && a.starts_with(k) && a.len() > k.len())))
}

/// An action and the environment it is limited to, if any: `rollback@staging`.
fn scoped(a: &str) -> (&str, Option<&str>) {
    match a.rsplit_once('@') {
        Some((action, env)) => (action, Some(env)),
        None => (a, None),
    }
}

/// Whether `pattern` allows `action` in environment `env` (`None`: the config names no environments,
/// where only unscoped patterns apply).
fn allows(pattern: &str, action: &str, env: Option<&str>) -> bool {
    let (pattern, only) = scoped(pattern);
    only.is_none_or(|o| Some(o) == env)
        && (pattern == "*" || pattern == action || pattern.strip_suffix('*').is_some_and(|p| action.starts_with(p)))
}

/// Whether the current user may write `path` or replace it (write access to its directory).
fn writable(path: &Path) -> bool {
    let w = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_encoded_bytes())
            // SAFETY: access(2) with a valid C string.
            .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
    };
    w(path) || path.parent().is_some_and(|d| w(if d.as_os_str().is_empty() { Path::new(".") } else { d }))
}

/// The names of the current process's groups.
pub fn current_groups() -> Vec<String> {
    // SAFETY: getgroups with a zero size returns the count; then fills a buffer of that size.
    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    if n <= 0 {
        return Vec::new();
    }
    let mut gids = vec![0 as libc::gid_t; n as usize];
    // SAFETY: the buffer holds n gids.
    let n = unsafe { libc::getgroups(n, gids.as_mut_ptr()) };
    gids.truncate(n.max(0) as usize);
    let mut names = Vec::new();
    for gid in gids {
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut out: *mut libc::group = std::ptr::null_mut();
        // SAFETY: getgrgid_r writes into grp and buf (sized) and sets out on success.
        let rc = unsafe { libc::getgrgid_r(gid, &mut grp, buf.as_mut_ptr(), buf.len(), &mut out) };
        if rc == 0 && !out.is_null() {
            // SAFETY: gr_name points into buf, NUL-terminated.
            let name = unsafe { std::ffi::CStr::from_ptr(grp.gr_name) };
            names.push(name.to_string_lossy().into_owned());
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Where a shared policy is looked for when the config names none.
pub const DEFAULT_PATH: &str = "/etc/watchpost/policy.toml";

/// The policy at `configured`, else at [`DEFAULT_PATH`] when there is one; `Ok(None)`: no policy.
pub fn find(configured: Option<&Path>) -> Result<Option<Policy>, ConfigError> {
    match configured {
        Some(p) => Policy::load(p).map(Some),
        None if Path::new(DEFAULT_PATH).exists() => Policy::load(Path::new(DEFAULT_PATH)).map(Some),
        None => Ok(None),
    }
}

/// What a policy says about an action for the current user: go (with the rule, or a warning when the
/// policy is advisory), or stop with the rule that denies it.
pub fn decide(
    policy: Option<&Policy>,
    who: &super::who::Who,
    groups: &[String],
    action: &str,
) -> Result<Option<String>, String> {
    let Some(p) = policy else { return Ok(None) };
    match p.check(&who.user, groups, action, who.environment.as_deref()) {
        Ok(rule) => Ok(Some(rule)),
        Err(denied) if p.advisory => {
            Ok(Some(format!("advisory policy (you can write {}): {denied}", p.path.display())))
        }
        Err(denied) => Err(denied),
    }
}

impl Policy {
    pub fn load(path: &Path) -> Result<Policy, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.to_path_buf(),
            message: format!("cannot read the policy: {e}"),
        })?;
        let mut p = Policy::parse(path, &text)?;
        p.advisory = writable(path);
        Ok(p)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Policy, ConfigError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            ConfigError::Invalid(vec![ConfigError::at(path, text, e.span().unwrap_or(0..0), e.message().to_string())])
        })?;
        let mut problems: Vec<Located> = Vec::new();
        let mut roles = BTreeMap::new();
        for (name, r) in &raw.roles {
            for a in &r.actions {
                if !action_ok(a.get_ref()) {
                    let msg = format!(
                        "unknown action `{}`: expected view, silence, ack, rollback, maintenance, runbook:<id>, runbook:* or *, each optionally @ENVIRONMENT",
                        a.get_ref()
                    );
                    problems.push(ConfigError::at(path, text, a.span(), msg));
                }
            }
            roles.insert(name.clone(), r.actions.iter().map(|a| a.get_ref().clone()).collect());
        }
        let file = path.file_name().map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned());
        let mut bindings = Vec::new();
        for b in &raw.bindings {
            for r in &b.roles {
                if !roles.contains_key(r.get_ref()) {
                    let known: Vec<&str> = roles.keys().map(String::as_str).collect();
                    let msg = format!("unknown role `{}`: the policy defines {}", r.get_ref(), known.join(", "));
                    problems.push(ConfigError::at(path, text, r.span(), msg));
                }
            }
            let line = b.roles.first().map_or(0, |r| text[..r.span().start].matches('\n').count() + 1);
            bindings.push(Binding {
                users: b.users.clone(),
                groups: b.groups.clone(),
                roles: b.roles.iter().map(|r| r.get_ref().clone()).collect(),
                at: format!("{file}:{line}"),
            });
        }
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        Ok(Policy { path: path.to_path_buf(), roles, bindings, advisory: false })
    }

    /// The roles `user` (in `groups`) has, with the bindings that give them.
    pub fn roles_of<'a>(&'a self, user: &str, groups: &[String]) -> Vec<(&'a str, &'a Binding)> {
        let mut out = Vec::new();
        for b in &self.bindings {
            if b.users.iter().any(|u| u == user) || b.groups.iter().any(|g| groups.contains(g)) {
                out.extend(b.roles.iter().map(|r| (r.as_str(), b)));
            }
        }
        out
    }

    /// Allowed: which rule allows it. Denied: which rule (or the lack of one) denies it.
    pub fn check(&self, user: &str, groups: &[String], action: &str, env: Option<&str>) -> Result<String, String> {
        let held = self.roles_of(user, groups);
        let here = env.map_or(String::new(), |e| format!(" in {e}"));
        if let Some((role, b)) = held
            .iter()
            .find(|(r, _)| self.roles.get(*r).is_some_and(|acts| acts.iter().any(|a| allows(a, action, env))))
        {
            return Ok(format!("role `{role}` ({}) allows `{action}`{here}", b.at));
        }
        let who = if groups.is_empty() { user.to_string() } else { format!("{user} (groups {})", groups.join(", ")) };
        if held.is_empty() {
            return Err(format!(
                "denied by {}: {who} is in no binding, so `{action}` is not allowed{here}",
                self.path.display()
            ));
        }
        let list: Vec<String> = held.iter().map(|(r, b)| format!("`{r}` ({})", b.at)).collect();
        Err(format!("denied by {}: {who} has {}; none allows `{action}`{here}", self.path.display(), list.join(", ")))
    }

    /// Whether `user` holds `role` (a runbook's `role:`).
    pub fn has_role(&self, user: &str, groups: &[String], role: &str) -> bool {
        self.roles_of(user, groups).iter().any(|(r, _)| *r == role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const POLICY: &str = r#"
[roles.viewer]
actions = ["view"]

[roles.oncall]
actions = ["view", "silence", "ack", "runbook:*"]

[roles.lead]
actions = ["*"]

[[bindings]]
users = ["alice"]
roles = ["oncall"]

[[bindings]]
groups = ["sre-leads"]
roles = ["lead"]

[[bindings]]
users = ["carol"]
roles = ["viewer"]
"#;

    #[test]
    fn decisions_name_their_rule() {
        let p = Policy::parse(Path::new("policy.toml"), POLICY).unwrap();
        assert_eq!(p.check("alice", &[], "silence", None).unwrap(), "role `oncall` (policy.toml:13) allows `silence`");
        assert!(p.check("alice", &[], "runbook:restart-service", None).is_ok());
        let denied = p.check("alice", &[], "maintenance", None).unwrap_err();
        assert!(denied.contains("alice has `oncall` (policy.toml:13); none allows `maintenance`"), "{denied}");
        assert!(p.check("dave", &["sre-leads".into()], "rollback", None).unwrap().contains("`lead`"));
        assert!(p.check("mallory", &[], "view", None).unwrap_err().contains("in no binding"));
        assert!(p.check("carol", &[], "ack", None).unwrap_err().contains("`viewer`"));
    }

    #[test]
    fn bad_policies_are_located() {
        let bad = "[roles.x]\nactions = [\"silence\", \"reboot\"]\n[[bindings]]\nusers = [\"a\"]\nroles = [\"y\"]\n";
        let e = Policy::parse(Path::new("p.toml"), bad).unwrap_err();
        let msgs: Vec<String> = e.problems().iter().map(|l| format!("{}:{} {}", l.line, l.col, l.message)).collect();
        assert!(msgs[0].starts_with("2:23 unknown action `reboot`"), "{msgs:?}");
        assert!(msgs[1].starts_with("5:10 unknown role `y`"), "{msgs:?}");
    }

    #[test]
    fn a_policy_you_can_write_is_advisory() {
        let dir = std::env::temp_dir().join(format!("wp-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("policy.toml");
        std::fs::write(&f, POLICY).unwrap();
        assert!(Policy::load(&f).unwrap().advisory);
        std::fs::remove_dir_all(dir).ok();
        assert!(!current_groups().is_empty() || unsafe { libc::getgroups(0, std::ptr::null_mut()) } == 0);
    }

    /// An action limited to an environment is allowed there only: the on-call may roll back staging,
    /// not production; a lead may do anything in development.
    #[test]
    fn actions_can_be_granted_per_environment() {
        let text = r#"
[roles.oncall]
actions = ["view", "silence", "rollback@staging", "*@development"]

[[bindings]]
users = ["alice"]
roles = ["oncall"]
"#;
        let p = Policy::parse(Path::new("policy.toml"), text).unwrap();
        assert!(p.check("alice", &[], "rollback", Some("staging")).unwrap().ends_with("allows `rollback` in staging"));
        let denied = p.check("alice", &[], "rollback", Some("production")).unwrap_err();
        assert!(denied.ends_with("none allows `rollback` in production"), "{denied}");
        assert!(p.check("alice", &[], "maintenance", Some("development")).is_ok());
        assert!(p.check("alice", &[], "silence", Some("production")).is_ok(), "unscoped: everywhere");
        assert!(p.check("alice", &[], "rollback", None).is_err(), "a config without environments: unscoped only");
        let bad = Policy::parse(Path::new("policy.toml"), "[roles.x]\nactions = [\"rollback@\", \"reboot@prod\"]\n");
        assert_eq!(bad.unwrap_err().problems().len(), 2);
    }
}
