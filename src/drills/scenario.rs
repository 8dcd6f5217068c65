//! Drill scenarios: TOML files naming a service, a fault, how long it lasts, and what must happen (the
//! alert that fires, within how long, and the metric that changes). Built-in ones ship in
//! `assets/drills/`; teams add their own in `~/.config/watchpost/drills/`.
use crate::config::error::{ConfigError, nearest, with_suggestion};
use crate::config::raw::Dur;
use crate::estate::TOPOLOGY;
use crate::estate::fault::FaultKind;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    title: String,
    #[serde(default)]
    briefing: String,
    service: Spanned<String>,
    duration: Dur,
    random_within: Option<Dur>,
    #[serde(default)]
    mitigation: String,
    fault: FaultKind,
    expect: RawExpect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    alert: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    within: Dur,
    changes: Spanned<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    pub alert: String,
    /// Labels the firing alert must carry (its `job`, usually).
    pub labels: BTreeMap<String, String>,
    pub within: Duration,
    /// A PromQL condition that returns something once the fault is in effect.
    pub changes: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The file's stem: what `watchpost drill run NAME` takes.
    pub name: String,
    pub title: String,
    pub briefing: String,
    pub service: String,
    pub fault: FaultKind,
    pub duration: Duration,
    pub random_within: Duration,
    pub mitigation: String,
    pub expect: Expect,
}

impl Scenario {
    pub fn service_index(&self) -> usize {
        crate::estate::topology::index_of(&self.service).unwrap_or(0)
    }

    /// The services an action on which counts as detecting the fault: the faulty one and the alert's.
    pub fn concerns(&self, service: &str) -> bool {
        service == self.service || self.expect.labels.get("job").is_some_and(|j| j == service)
    }

    /// Whether an alert (by its raw labels) is the drill's: the one it expects, with its labels, or any
    /// alert on a service it concerns (by its `service` label, else its `job`).
    pub fn concerns_alert(&self, labels: &BTreeMap<String, String>) -> bool {
        let expected = labels.get("alertname") == Some(&self.expect.alert)
            && self.expect.labels.iter().all(|(k, v)| labels.get(k) == Some(v));
        expected || labels.get("service").or_else(|| labels.get("job")).is_some_and(|s| self.concerns(s))
    }
}

/// Unless a scenario says otherwise, a random start falls within this long of arming.
pub const DEFAULT_RANDOM_WITHIN: Duration = Duration::from_secs(10 * 60);

pub fn parse(path: &Path, text: &str) -> Result<Scenario, ConfigError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        ConfigError::Invalid(vec![ConfigError::at(path, text, span, with_suggestion(e.message()))])
    })?;
    let mut problems = Vec::new();
    let service = raw.service.get_ref();
    if crate::estate::topology::index_of(service).is_none() {
        let names = TOPOLOGY.iter().map(|s| s.name);
        let hint = nearest(service, names.clone()).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
        let list: Vec<&str> = names.collect();
        let msg = format!("unknown service `{service}`: expected one of the estate's: {}{hint}", list.join(", "));
        problems.push(ConfigError::at(path, text, raw.service.span(), msg));
    }
    if let Err((msg, pos)) = crate::config::queries::check(raw.expect.changes.get_ref()) {
        let span = raw.expect.changes.span();
        let at = pos.map_or(span.start, |p| span.start + 1 + p);
        problems.push(ConfigError::at(path, text, at..at + 1, format!("invalid PromQL in `changes`: {msg}")));
    }
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    Ok(Scenario {
        name: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        title: raw.title,
        briefing: raw.briefing,
        service: service.clone(),
        fault: raw.fault,
        duration: raw.duration.0,
        random_within: raw.random_within.map_or(DEFAULT_RANDOM_WITHIN, |d| d.0),
        mitigation: raw.mitigation,
        expect: Expect {
            alert: raw.expect.alert,
            labels: raw.expect.labels,
            within: raw.expect.within.0,
            changes: raw.expect.changes.into_inner(),
        },
    })
}

/// The scenarios that ship with watchpost (`assets/drills/`).
pub const BUILT_IN: &[(&str, &str)] = &[
    ("payments-latency", include_str!("../../assets/drills/payments-latency.toml")),
    ("checkout-bad-deploy", include_str!("../../assets/drills/checkout-bad-deploy.toml")),
    ("search-down", include_str!("../../assets/drills/search-down.toml")),
    ("db-timeout-cascade", include_str!("../../assets/drills/db-timeout-cascade.toml")),
    ("db-disk-filling", include_str!("../../assets/drills/db-disk-filling.toml")),
    ("auth-cert-expiry", include_str!("../../assets/drills/auth-cert-expiry.toml")),
];

pub fn built_in() -> Vec<Scenario> {
    BUILT_IN
        .iter()
        .filter_map(|(name, text)| parse(&PathBuf::from(format!("assets/drills/{name}.toml")), text).ok())
        .collect()
}

/// Where teams put their own scenarios.
pub fn user_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("watchpost").join("drills"))
}

/// Every `*.toml` in `dir`, sorted by name; a bad file is an error that names it.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, ConfigError> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p)
            .map_err(|e| ConfigError::Io { path: p.clone(), message: format!("cannot read drill: {e}") })?;
        match parse(&p, &text) {
            Ok(s) => out.push(s),
            Err(ConfigError::Invalid(v)) => problems.extend(v),
            Err(io) => return Err(io),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(ConfigError::Invalid(problems)) }
}

/// Built-in scenarios, then the user's (a user scenario with a built-in's name replaces it).
pub fn all() -> Result<Vec<Scenario>, ConfigError> {
    let mut out = built_in();
    if let Some(dir) = user_dir() {
        for s in load_dir(&dir)? {
            out.retain(|o| o.name != s.name);
            out.push(s);
        }
    }
    Ok(out)
}

/// A scenario by name, or by path to a file.
pub fn find(name: &str) -> Result<Scenario, String> {
    let p = Path::new(name);
    if p.extension().is_some_and(|x| x == "toml") {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: cannot read drill: {e}", p.display()))?;
        return parse(p, &text).map_err(|e| e.to_string());
    }
    let all = all().map_err(|e| e.to_string())?;
    all.iter().find(|s| s.name == name).cloned().ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        let hint = nearest(name, names.iter().copied()).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
        format!("no drill named `{name}`: expected one of {}{hint}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn built_in_scenarios_parse() {
        assert_eq!(built_in().len(), BUILT_IN.len());
        let kinds: std::collections::BTreeSet<&str> = built_in().iter().map(|s| s.fault.name()).collect();
        assert_eq!(kinds.len(), 6, "every kind of fault has a scenario: {kinds:?}");
    }
    #[test]
    fn an_alert_is_the_drills_by_its_expectation_or_its_service() {
        let s = built_in().into_iter().find(|s| s.name == "payments-latency").unwrap();
        let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert!(s.concerns_alert(&labels(&[("alertname", "HighLatency"), ("job", "payments")])));
        assert!(s.concerns_alert(&labels(&[("alertname", "HighErrorRate"), ("service", "payments")])));
        assert!(!s.concerns_alert(&labels(&[("alertname", "HighLatency"), ("job", "gateway")])));
        assert!(!s.concerns_alert(&labels(&[("alertname", "HighLatency")])), "not its labels");
    }
    #[test]
    fn problems_are_located() {
        let text = "title = \"t\"\nservice = \"paymnts\"\nduration = \"5m\"\n[fault]\nkind = \"latency\"\nfactor = 2.0\n[expect]\nalert = \"A\"\nwithin = \"1m\"\nchanges = 'up{'\n";
        let e = parse(Path::new("d.toml"), text).unwrap_err();
        let p = e.problems();
        assert_eq!((p[0].line, p[0].col), (2, 11));
        assert!(p[0].message.contains("did you mean `payments`"), "{}", p[0].message);
        assert_eq!(p[1].line, 10);
        let e = parse(Path::new("d.toml"), &text.replace("latency", "latncy")).unwrap_err();
        assert!(e.to_string().contains("latncy"), "{e}");
    }
}
