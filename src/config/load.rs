//! From TOML text to a validated [`Config`]: every problem found is reported with its position.
use super::error::{ConfigError, Located, nearest, with_suggestion};
use super::keys::{KeyOverride, KeySpec};
use super::queries::{self, Queries};
use super::raw::{RawConfig, RawPrometheus, RawSecret, RawSlo};
use super::scrape::ScrapeConfig;
use super::secret::{self, Auth};
use super::theme::{Palette, ThemeChoice};
use crate::slo::Targets;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;
use url::Url;

pub const DEFAULT_REFRESH: Duration = Duration::from_secs(5);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_SLOW: Duration = Duration::from_secs(1);
/// Requests in flight to one source at once, by default: many consoles share one Prometheus.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 4;
pub const DEFAULT_MAX_RESPONSE: u64 = 16 * 1024 * 1024;

/// A validated configuration, ready to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub path: Option<PathBuf>,
    /// The environment this is (`None`: the config names none).
    pub environment: Option<super::environment::Environment>,
    /// Every environment the config names, in its order (empty when it names none).
    pub environments: Vec<String>,
    /// Every action refused: the environment says so, or `--readonly`.
    pub read_only: bool,
    pub estate: String,
    pub refresh: Duration,
    pub prometheus: Option<HttpSource>,
    /// No services listed: discover them from Prometheus's `up` series, one per job.
    pub discover: bool,
    pub services: Vec<Service>,
    pub slo_defaults: Targets,
    pub theme: Palette,
    pub keys: Vec<super::keys::KeyOverride>,
    /// Watching the built-in simulated estate (marked DEMO in the header).
    pub demo: bool,
    /// Alertmanagers, merged (an HA pair's alerts are the same alerts).
    pub alertmanagers: Vec<HttpSource>,
    pub alerts: AlertSettings,
    /// PagerDuty: the API, and the service and team ids whose incidents are shown.
    pub pagerduty: Option<PagerDutyConfig>,
    /// Opsgenie: the API and the alert query.
    pub opsgenie: Option<OpsgenieConfig>,
    /// Exporters scraped directly: the source when there is no Prometheus, else its fallback.
    pub scrape: Option<ScrapeConfig>,
    /// Drill scenarios (the estate's; run only in the demo).
    pub drills: Vec<crate::drills::Scenario>,
    /// A drill to arm at start (`watchpost drill run`): at once, or at a random time when `true`.
    pub start_drill: Option<(crate::drills::Scenario, bool)>,
    /// The log store (Loki or Elasticsearch/OpenSearch) and the log view's settings.
    pub logs: Option<super::telemetry::LogSource>,
    pub log_view: super::telemetry::LogSettings,
    /// The trace store (Jaeger, Tempo or Zipkin).
    pub traces: Option<super::telemetry::TraceConfig>,
    /// The audit trail's database (`[audit] path`).
    pub audit_path: PathBuf,
    /// Vault for runbook secrets.
    pub vault: Option<VaultConfig>,
    /// The roles policy's file, when the config names one.
    pub policy_path: Option<PathBuf>,
    /// Deploy providers, the rollback watch, change freezes, maintenance windows.
    pub changes: super::changes::ChangeConfig,
    pub overview: OverviewSettings,
}

/// `[overview]`: how the services' rows are grouped and sorted at start.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OverviewSettings {
    /// A label (`team`, `namespace`): rows are grouped by its value under a heading each.
    pub group_by: Option<String>,
    pub sort: super::overview::SortKey,
}

#[derive(Clone, Debug)]
pub struct VaultConfig {
    pub source: HttpSource,
    pub token: secret::Secret,
    pub namespace: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PagerDutyConfig {
    pub source: HttpSource,
    pub services: Vec<String>,
    pub teams: Vec<String>,
}

pub const PAGERDUTY_API: &str = "https://api.pagerduty.com";
pub const OPSGENIE_API: &str = "https://api.opsgenie.com";

#[derive(Clone, Debug)]
pub struct OpsgenieConfig {
    pub source: HttpSource,
    pub query: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlertSettings {
    pub group_by: Vec<String>,
    pub bell: bool,
    pub author: String,
    pub silence_duration: Duration,
}

impl Default for AlertSettings {
    fn default() -> Self {
        let user = std::env::var("USER").unwrap_or_else(|_| "watchpost".into());
        let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
        let author = if host.is_empty() { user } else { format!("{user}@{host}") };
        AlertSettings {
            group_by: vec!["alertname".into()],
            bell: false,
            author,
            silence_duration: Duration::from_secs(2 * 3600),
        }
    }
}

#[derive(Clone, Debug)]
pub struct HttpSource {
    /// What the header calls it: `prometheus`, or `direct scrape` for the embedded engine.
    pub name: String,
    pub url: Url,
    pub timeout: Duration,
    pub slow_after: Duration,
    pub max_response_bytes: u64,
    /// At most this many requests in flight to the source at once; the connection pool is as large.
    pub max_in_flight: usize,
    pub ca_pem: Option<Vec<u8>>,
    pub headers: Vec<(String, String)>,
    pub auth: Auth,
}

impl HttpSource {
    pub fn new(url: Url) -> Self {
        HttpSource {
            name: "prometheus".into(),
            url,
            timeout: DEFAULT_TIMEOUT,
            slow_after: DEFAULT_SLOW,
            max_response_bytes: DEFAULT_MAX_RESPONSE,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            ca_pem: None,
            headers: Vec::new(),
            auth: Auth::None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub name: String,
    pub job: String,
    pub targets: Targets,
    pub queries: Queries,
    /// The rate window of the current figures (rate, error ratio, p95, saturation).
    pub rate_window: Duration,
    /// Labels the overview groups by (`team`, `namespace`): configured, or read from the `up` series.
    pub labels: BTreeMap<String, String>,
}

pub const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(5 * 60);

impl Service {
    /// A service known only by its job label, with conventional queries and default targets.
    pub fn conventional(job: &str, targets: Targets) -> Self {
        Service {
            name: job.to_string(),
            job: job.to_string(),
            targets,
            queries: Queries::conventional(job, "code"),
            rate_window: DEFAULT_RATE_WINDOW,
            labels: BTreeMap::new(),
        }
    }
}

impl Config {
    /// No file: `PROMETHEUS_URL` if set (every job with an `up` series), else nothing to watch yet.
    pub fn from_env(prometheus_url: Option<&str>) -> Result<Self, String> {
        let prometheus = match prometheus_url {
            Some(u) => Some(HttpSource::new(parse_url(u).map_err(|e| format!("PROMETHEUS_URL: {e}"))?)),
            None => None,
        };
        Ok(Config {
            path: None,
            environment: None,
            environments: Vec::new(),
            read_only: false,
            estate: prometheus.as_ref().map_or("watchpost".into(), |p| host_of(&p.url)),
            refresh: DEFAULT_REFRESH,
            discover: true,
            prometheus,
            services: Vec::new(),
            slo_defaults: Targets::default(),
            theme: Palette::default(),
            keys: Vec::new(),
            demo: false,
            alertmanagers: Vec::new(),
            alerts: AlertSettings::default(),
            pagerduty: None,
            opsgenie: None,
            scrape: None,
            drills: Vec::new(),
            start_drill: None,
            logs: None,
            log_view: Default::default(),
            traces: None,
            audit_path: crate::ops::audit::default_path(),
            vault: None,
            policy_path: None,
            changes: Default::default(),
            overview: Default::default(),
        })
    }

    /// The built-in estate through the embedded Prometheus at `api`.
    pub fn demo(api: &Url, seed: u64) -> Self {
        let mut c = Config::from_env(Some(api.as_str())).unwrap_or_else(|_| unreachable!("a loopback URL parses"));
        c.estate = format!("demo estate · seed {seed}");
        c.demo = true;
        // The estate's alerts come from the same embedded server's Alertmanager-compatible API.
        let mut am = HttpSource::new(api.clone());
        am.name = "alertmanager".into();
        c.alertmanagers = vec![am];
        // And its incidents from the same server's PagerDuty-like API.
        let mut pd = HttpSource::new(api.clone());
        pd.name = "pagerduty (estate)".into();
        c.pagerduty = Some(PagerDutyConfig { source: pd, services: Vec::new(), teams: Vec::new() });
        c.discover = false;
        // Its logs from the same server's Loki-compatible API, its traces from the Jaeger-compatible one.
        let mut loki = HttpSource::new(api.clone());
        loki.name = "loki (estate)".into();
        c.logs = Some(super::telemetry::LogSource::Loki { source: loki, query: "{service=\"$service\"}".into() });
        let mut jaeger = HttpSource::new(api.clone());
        jaeger.name = "jaeger (estate)".into();
        c.traces =
            Some(super::telemetry::TraceConfig { backend: super::telemetry::TraceBackend::Jaeger, source: jaeger });
        // The SLO window's availability comes from the estate's recording rules (30 days of them are
        // backfilled at start), as it would from an SLO generator's.
        c.services = crate::estate::TOPOLOGY
            .iter()
            .map(|s| {
                // Windows marked `exclude_from_slo` (the demo's database patching) leave its SLO.
                let mut svc =
                    Service::conventional(s.name, Targets { exclude_maintenance: true, ..Targets::default() });
                svc.queries = svc
                    .queries
                    .with_recorded_availability("job:slo_requests:increase10m", "job:slo_errors:increase10m");
                svc.labels.insert("team".into(), crate::estate::topology::team_of(s.name).into());
                svc
            })
            .collect();
        c.overview.group_by = Some("team".into());
        // Rollbacks go through the estate's deploy API, on the same server.
        c.changes.deploy = crate::estate::TOPOLOGY
            .iter()
            .map(|s| (s.name.to_string(), crate::deploy::Provider::estate(s.name, api.clone())))
            .collect();
        c
    }
}

fn host_of(u: &Url) -> String {
    u.host_str().unwrap_or("prometheus").to_string()
}

fn parse_url(s: &str) -> Result<Url, String> {
    let u = Url::parse(s).map_err(|e| format!("invalid URL `{s}`: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("invalid URL `{s}`: expected an http:// or https:// URL"));
    }
    Ok(u)
}

pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::Io { path: path.to_path_buf(), message: format!("cannot read config: {e}") })?;
    load_str(path, &text)
}

/// Collects problems with their spans, then turns them into located errors.
pub(super) struct Problems<'a> {
    path: &'a Path,
    text: &'a str,
    found: Vec<Located>,
    /// Problems in other files (rule files, the policy), after this file's.
    elsewhere: Vec<Located>,
    /// The environment being read and its table's place: a problem inside it is said to be its.
    env: Option<(String, Range<usize>)>,
}

impl Problems<'_> {
    pub(super) fn at(&mut self, span: Range<usize>, msg: impl Into<String>) {
        let mut msg = msg.into();
        if let Some((name, table)) = &self.env
            && table.start <= span.start
            && span.end <= table.end
        {
            msg = format!("environment `{name}`: {msg}");
        }
        self.found.push(ConfigError::at(self.path, self.text, span, msg));
    }

    /// Every problem, this file's by position then the others'; a shared key's problem, found once
    /// for each environment, once.
    fn into_result<T>(mut self, ok: T) -> Result<T, ConfigError> {
        if self.found.is_empty() && self.elsewhere.is_empty() {
            return Ok(ok);
        }
        self.found.sort_by(|a, b| (a.line, a.col, &a.message).cmp(&(b.line, b.col, &b.message)));
        self.found.dedup();
        // Another file's problems come once for each environment that reads it: once each.
        let mut seen = std::collections::HashSet::new();
        self.elsewhere.retain(|l| seen.insert((l.path.clone(), l.line, l.col, l.message.clone())));
        self.found.extend(self.elsewhere);
        Err(ConfigError::Invalid(self.found))
    }
}

/// Every environment a config describes, in the file's order, and the one opened by default.
#[derive(Clone, Debug)]
pub struct Environments {
    pub all: Vec<Config>,
    pub default: usize,
}

impl Environments {
    /// The environment named `name`, or the default; an unknown name is an error listing the known.
    pub fn pick(mut self, name: Option<&str>) -> Result<Config, String> {
        let i = self.index(name)?;
        Ok(self.all.swap_remove(i))
    }

    /// Where in [`all`](Self::all) the environment named `name` (or the default) is.
    pub fn index(&self, name: Option<&str>) -> Result<usize, String> {
        let Some(n) = name else { return Ok(self.default) };
        self.all.iter().position(|c| c.environment.as_ref().is_some_and(|e| e.name == n)).ok_or_else(|| {
            let names = self.names();
            if names.is_empty() {
                format!("no environment `{n}`: the config names none")
            } else {
                format!("no environment `{n}`: expected one of {}", names.join(", "))
            }
        })
    }

    pub fn names(&self) -> Vec<String> {
        self.all.iter().filter_map(|c| c.environment.as_ref().map(|e| e.name.clone())).collect()
    }
}

/// Every environment of the config at `path`.
pub fn load_file_environments(path: &Path) -> Result<Environments, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::Io { path: path.to_path_buf(), message: format!("cannot read config: {e}") })?;
    load_environments(path, &text)
}

/// Read the file's shape, reporting every misspelled key and wrongly typed value, not only the first.
/// serde stops at the first, so each is recorded, its line blanked (spaces, the same length: every
/// later span still points into the real text) and the text read again. A problem that blanking one
/// line cannot get past (a syntax error, a table header, a missing key) ends the search.
fn read_shape(path: &Path, text: &str) -> (Option<RawConfig>, Vec<Located>) {
    const MOST: usize = 50;
    let mut found: Vec<Located> = Vec::new();
    let mut work = text.to_string();
    let mut blanked: Vec<Range<usize>> = Vec::new();
    for _ in 0..MOST {
        let e = match toml::from_str::<RawConfig>(&work) {
            Ok(raw) => return (Some(raw), found),
            Err(e) => e,
        };
        let span = e.span().unwrap_or(0..0);
        let start = span.start.min(work.len());
        let line =
            work[..start].rfind('\n').map_or(0, |i| i + 1)..work[start..].find('\n').map_or(work.len(), |i| start + i);
        // A key missing from a table whose line was blanked is that blank's echo, not a new problem.
        let echo = e.message().starts_with("missing field")
            && blanked.iter().any(|b| span.start <= b.start && b.end <= span.end);
        if !echo {
            found.push(ConfigError::at(path, text, span, with_suggestion(e.message())));
        }
        let header = work[line.clone()].trim_start().starts_with('[');
        if e.span().is_none() || echo || header || work[line.clone()].trim().is_empty() {
            break;
        }
        let spaces = " ".repeat(line.len());
        work.replace_range(line.clone(), &spaces);
        blanked.push(line);
    }
    (None, found)
}

/// The config's default environment (the only one, when it names none).
pub fn load_str(path: &Path, text: &str) -> Result<Config, ConfigError> {
    load_environments(path, text).map(|e| {
        let d = e.default;
        e.all.into_iter().nth(d).unwrap_or_else(|| unreachable!("the default is one of them"))
    })
}

/// Every environment the config describes: each read as the shared keys with its own over them, and
/// checked as a config of its own, so one run reports every problem of each (with its environment).
pub fn load_environments(path: &Path, text: &str) -> Result<Environments, ConfigError> {
    let (raw, shape) = read_shape(path, text);
    let Some(raw) = raw else { return Err(ConfigError::Invalid(shape)) };
    // The checks of values go on over what could be read: one run reports every problem.
    let mut p = Problems { path, text, found: shape, elsewhere: Vec::new(), env: None };
    if raw.environments.is_empty() {
        if let Some(d) = &raw.default_environment {
            p.at(d.span(), "default_environment names an environment, and there are no [[environments]]");
        }
        let c = build(&mut p, &raw, path);
        return p.into_result(Environments { all: vec![c], default: 0 });
    }
    let mut all = Vec::new();
    for env in &raw.environments {
        let name = env.get_ref().name.get_ref().trim().to_string();
        let name_span = env.get_ref().name.span();
        if name.is_empty() {
            p.at(name_span.clone(), "empty environment name: expected one such as \"production\"");
        } else if all.iter().any(|c: &Config| c.environment.as_ref().is_some_and(|e| e.name == name)) {
            p.at(name_span.clone(), format!("environment `{name}` is named twice"));
        }
        p.env = Some((name.clone(), env_region(text, env.span())));
        let (merged, unknown) = raw.for_environment(env.get_ref());
        let declared: Vec<&str> = raw.services.iter().map(|s| s.name.get_ref().as_str()).collect();
        for u in unknown {
            let msg = format!(
                "no service `{}` to override: declare it once in [[services]], and here only what differs",
                u.get_ref()
            );
            let msg = match nearest(u.get_ref(), declared.iter().copied()) {
                Some(n) => format!("{msg}\ndid you mean `{n}`?"),
                None => msg,
            };
            p.at(u.span(), msg);
        }
        let colour = env.get_ref().colour.as_ref().and_then(|c| match super::theme::Colour::parse(c.get_ref()) {
            Some(x) => Some(x),
            None => {
                p.at(c.span(), format!("unknown colour `{}`: expected a name, #rrggbb or 0-255", c.get_ref()));
                None
            }
        });
        let mut c = build(&mut p, &merged, path);
        c.read_only = env.get_ref().read_only.unwrap_or(false);
        c.environment = Some(super::environment::Environment { name, colour });
        all.push(c);
    }
    p.env = None;
    let default = match &raw.default_environment {
        None => 0,
        Some(d) => match all.iter().position(|c| c.environment.as_ref().is_some_and(|e| e.name == *d.get_ref())) {
            Some(i) => i,
            None => {
                let mut names: Vec<&str> = Vec::new();
                for e in &raw.environments {
                    if !names.contains(&e.get_ref().name.get_ref().as_str()) {
                        names.push(e.get_ref().name.get_ref());
                    }
                }
                p.at(d.span(), format!("no environment `{}`: expected one of {}", d.get_ref(), names.join(", ")));
                0
            }
        },
    };
    let names: Vec<String> = all.iter().filter_map(|c| c.environment.as_ref().map(|e| e.name.clone())).collect();
    for c in &mut all {
        c.environments = names.clone();
    }
    p.into_result(Environments { all, default })
}

/// Where an `[[environments]]` table is written, from the place of its header (all toml gives): up to
/// the next table that is not one of its own (`[[environments.services]]`, `[environments.x]`).
fn env_region(text: &str, header: Range<usize>) -> Range<usize> {
    let mut at = header.end.min(text.len());
    for line in text[at..].split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            let name = t.trim_start_matches('[').trim_start();
            if !name.starts_with("environments.") {
                break;
            }
        }
        at += line.len();
    }
    header.start..at
}

/// One environment's config from the file as it reads it.
fn build(p: &mut Problems<'_>, raw: &RawConfig, path: &Path) -> Config {
    let base = path.parent().unwrap_or(Path::new("."));

    let slo_defaults = targets(p, Targets::default(), raw.slo.as_ref());
    let prometheus = raw.prometheus.as_ref().and_then(|r| http_source(p, r, base));
    let alertmanagers: Vec<HttpSource> = raw
        .alertmanager
        .iter()
        .filter_map(|r| http_source(p, r, base))
        .map(|mut s| {
            s.name = format!("alertmanager {}", host_of(&s.url));
            s
        })
        .collect();
    let mut alerts = AlertSettings::default();
    if let Some(a) = &raw.alerts {
        if let Some(g) = &a.group_by {
            alerts.group_by = g.clone();
        }
        alerts.bell = a.bell.unwrap_or(false);
        if let Some(x) = &a.author {
            alerts.author = x.clone();
        }
        if let Some(d) = a.silence_duration {
            alerts.silence_duration = d.0;
        }
    }
    let pagerduty = raw.pagerduty.as_ref().and_then(|r| {
        let api = SaaS { name: "pagerduty", default_url: PAGERDUTY_API, what: "PagerDuty token", scheme: "Token" };
        let mut src = saas_source(p, base, &api, r.url.as_ref(), r.timeout, &r.token)?;
        // PagerDuty's scheme is `Token token=…`.
        if let Auth::Scheme { secret, .. } = &mut src.auth {
            *secret = secret::Secret::new(format!("token={}", secret.expose()));
        }
        src.headers.push(("Accept".into(), "application/vnd.pagerduty+json;version=2".into()));
        if let Some(from) = &r.from {
            src.headers.push(("From".into(), from.clone()));
        }
        Some(PagerDutyConfig { source: src, services: r.services.clone(), teams: r.teams.clone() })
    });
    let opsgenie = raw.opsgenie.as_ref().and_then(|r| {
        let api = SaaS { name: "opsgenie", default_url: OPSGENIE_API, what: "Opsgenie API key", scheme: "GenieKey" };
        let src = saas_source(p, base, &api, r.url.as_ref(), r.timeout, &r.key)?;
        Some(OpsgenieConfig { source: src, query: r.query.clone().unwrap_or_else(|| "status: open".into()) })
    });
    let (logs, traces, log_view) = super::telemetry::load(p, raw, base);
    let changes = super::changes::load(p, raw, base);
    let vault = raw.vault.as_ref().and_then(|r| {
        let api = SaaS { name: "vault", default_url: "", what: "Vault token", scheme: "" };
        let mut source = saas_source(p, base, &api, Some(&r.url), r.timeout, &r.token)?;
        let Auth::Scheme { secret: token, .. } = std::mem::take(&mut source.auth) else { return None };
        Some(VaultConfig { source, token, namespace: r.namespace.clone() })
    });
    let policy_path = raw.policy.as_ref().and_then(|r| r.path.as_ref()).map(|p| base.join(p.get_ref()));
    let mut rule_problems = Vec::new();
    if let Some(pp) = &policy_path {
        match crate::ops::policy::Policy::load(pp) {
            Ok(_) => {}
            Err(ConfigError::Invalid(mut v)) => rule_problems.append(&mut v),
            Err(ConfigError::Io { message, .. }) => {
                let span = raw.policy.as_ref().and_then(|r| r.path.as_ref()).map_or(0..0, |s| s.span());
                p.at(span, message);
            }
        }
    }
    let scrape = raw.scrape.as_ref().and_then(|r| {
        let mut at = |span: Range<usize>, msg: String| p.at(span, msg);
        super::scrape::validate(r, base, &mut at, &mut rule_problems)
    });

    let services = services(p, raw, &slo_defaults);

    let theme = theme(p, raw, base);
    let keys = key_overrides(p, raw);
    let overview = overview(p, raw);
    p.elsewhere.extend(rule_problems);
    let estate = raw
        .estate
        .clone()
        .or_else(|| prometheus.as_ref().map(|p| host_of(&p.url)))
        .or_else(|| scrape.as_ref().and_then(|s| s.targets.first()).map(|t| host_of(&t.url)))
        .unwrap_or_else(|| "watchpost".into());
    Config {
        path: Some(path.to_path_buf()),
        environment: None,
        environments: Vec::new(),
        read_only: false,
        estate,
        refresh: raw.refresh.map_or(DEFAULT_REFRESH, |d| d.0),
        discover: services.is_empty(),
        prometheus,
        services,
        slo_defaults,
        theme,
        keys,
        demo: false,
        alertmanagers,
        alerts,
        pagerduty,
        opsgenie,
        scrape,
        drills: Vec::new(),
        start_drill: None,
        logs,
        log_view,
        traces,
        vault,
        policy_path,
        changes,
        overview,
        audit_path: raw
            .audit
            .as_ref()
            .and_then(|a| a.path.as_ref())
            .map_or_else(crate::ops::audit::default_path, |p| base.join(p)),
    }
}

/// `[[services]]`: each with its job, queries (the convention's unless overridden, each override
/// parsed), SLO targets, rate window and labels.
fn services(p: &mut Problems<'_>, raw: &RawConfig, slo_defaults: &Targets) -> Vec<Service> {
    let mut services = Vec::new();
    for s in &raw.services {
        let name = s.name.get_ref().trim().to_string();
        if name.is_empty() {
            p.at(s.name.span(), "empty service name: expected a name such as \"checkout\"");
        }
        if services.iter().any(|o: &Service| o.name == name) {
            p.at(s.name.span(), format!("duplicate service `{name}`: service names must be unique"));
        }
        let job = s.job.clone().unwrap_or_else(|| name.clone());
        let mut q = Queries::conventional(&job, s.status_label.as_deref().unwrap_or("code"));
        if let Some(o) = &s.queries {
            for (slot, over) in [
                (&mut q.up, &o.up),
                (&mut q.requests, &o.requests),
                (&mut q.errors, &o.errors),
                (&mut q.latency_p95, &o.latency_p95),
                (&mut q.saturation, &o.saturation),
            ] {
                if let Some(over) = over {
                    check_promql(p, over);
                    *slot = over.get_ref().clone();
                }
            }
            if let Some(over) = &o.availability {
                check_promql(p, over);
                q.availability = Some(over.get_ref().clone());
            }
        }
        let targets = targets(p, slo_defaults.clone(), s.slo.as_ref());
        let rate_window = s.rate_window.map_or(DEFAULT_RATE_WINDOW, |d| d.0);
        for k in s.labels.keys() {
            if !crate::rules::file::label_name_ok(k) {
                p.at(s.name.span(), format!("service `{name}`: `{k}` is not a label name (letters, digits, `_`)"));
            }
        }
        let labels = s.labels.clone();
        services.push(Service { name, job, targets, queries: q, rate_window, labels });
    }
    services
}

/// The theme the config names (a built-in's name or a file), as plain colours.
fn theme(p: &mut Problems<'_>, raw: &RawConfig, base: &Path) -> Palette {
    match &raw.theme {
        None => Palette::default(),
        Some(t) => match Palette::load(&ThemeChoice::parse(t.get_ref(), base)) {
            Ok(theme) => theme,
            Err(e) => {
                p.at(t.span(), e);
                Palette::default()
            }
        },
    }
}

/// `[keys.CONTEXT]` overrides, their context and action names checked against the shipped key table.
fn key_overrides(p: &mut Problems<'_>, raw: &RawConfig) -> Vec<KeyOverride> {
    let mut keys = Vec::new();
    let shipped = super::keys::KeyTable::shipped();
    for (ctx, table) in &raw.keys {
        let context = ctx.get_ref();
        if !shipped.context_names().any(|c| c == context) {
            let known: Vec<&str> = shipped.context_names().collect();
            let hint =
                nearest(context, known.iter().copied()).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            let msg = format!("unknown key context `{context}`: expected one of {}{hint}", known.join(", "));
            p.at(ctx.span(), msg);
            continue;
        }
        for (key, action) in table {
            match KeySpec::parse(key.get_ref()) {
                Err(e) => p.at(key.span(), e),
                Ok(spec) => match action.get_ref().as_str() {
                    "none" => keys.push(KeyOverride { context: context.clone(), key: spec, action: None }),
                    name if shipped.action_names().any(|a| a == name) => {
                        keys.push(KeyOverride { context: context.clone(), key: spec, action: Some(name.to_string()) })
                    }
                    name => {
                        let names: Vec<&str> = shipped.action_names().collect();
                        let hint = nearest(name, names.iter().copied())
                            .map(|n| format!("; did you mean `{n}`?"))
                            .unwrap_or_default();
                        let msg = format!(
                            "unknown action `{name}`: expected one of {} (or `none` to unbind){hint}",
                            names.join(", ")
                        );
                        p.at(action.span(), msg)
                    }
                },
            }
        }
    }
    keys
}

/// `[overview]`: how rows are grouped and sorted at start.
fn overview(p: &mut Problems<'_>, raw: &RawConfig) -> OverviewSettings {
    let mut overview = OverviewSettings::default();
    if let Some(o) = &raw.overview {
        if let Some(g) = &o.group_by {
            if crate::rules::file::label_name_ok(g.get_ref()) {
                overview.group_by = Some(g.get_ref().clone());
            } else {
                p.at(g.span(), format!("`{}` is not a label name (letters, digits, `_`)", g.get_ref()));
            }
        }
        if let Some(sort) = &o.sort {
            match super::overview::SortKey::parse(sort.get_ref()) {
                Ok(k) => overview.sort = k,
                Err(e) => {
                    let names = super::overview::SortKey::ALL.map(|k| k.name());
                    let hint = nearest(sort.get_ref(), names.iter().copied())
                        .map(|n| format!("; did you mean `{n}`?"))
                        .unwrap_or_default();
                    p.at(sort.span(), format!("{e}{hint}"))
                }
            }
        }
    }
    overview
}

/// An incident service's API: its name, default base URL, what its secret is, and its auth scheme.
struct SaaS {
    name: &'static str,
    default_url: &'static str,
    what: &'static str,
    scheme: &'static str,
}

/// The HTTP source of an incident service: URL (or its default), timeout, and the secret sent as
/// `Authorization: {scheme} {secret}`. Problems are located; `None` when there were any.
fn saas_source(
    p: &mut Problems<'_>,
    base: &Path,
    api: &SaaS,
    url: Option<&Spanned<String>>,
    timeout: Option<super::raw::Dur>,
    token: &Spanned<RawSecret>,
) -> Option<HttpSource> {
    let parsed = match parse_url(url.map_or(api.default_url, |u| u.get_ref().as_str())) {
        Ok(u) => u,
        Err(e) => {
            p.at(url.map_or(0..0, |u| u.span()), e);
            return None;
        }
    };
    let mut src = HttpSource::new(parsed);
    src.name = api.name.into();
    if let Some(t) = timeout {
        src.timeout = t.0;
    }
    let raw = token.get_ref();
    let file = raw.file.as_ref().map(|f| base.join(f));
    match secret::resolve(raw.env.as_deref(), file.as_deref(), api.what) {
        Ok(secret) => src.auth = Auth::Scheme { scheme: api.scheme.into(), secret },
        Err(e) => {
            p.at(token.span(), e);
            return None;
        }
    }
    Some(src)
}

fn check_promql(p: &mut Problems<'_>, q: &Spanned<String>) {
    if let Err((msg, pos)) = queries::check(q.get_ref()) {
        let span = q.span();
        // The span covers the quotes; a position inside the query is one past the opening quote.
        let start = match pos {
            Some(pos) => span.start + 1 + pos,
            None => span.start,
        };
        let end = if pos.is_some() { start + 1 } else { span.end };
        p.at(start..end, format!("invalid PromQL: {}", crate::text::sanitize(&msg)));
    }
}

fn percent(p: &mut Problems<'_>, v: &Option<Spanned<f64>>, what: &str, lo: f64, hi: f64) -> Option<f64> {
    let v = v.as_ref()?;
    let x = *v.get_ref();
    if !(x > lo && x < hi) {
        p.at(v.span(), format!("{what} {x} is out of range: expected a percent above {lo} and below {hi}"));
        return None;
    }
    Some(x / 100.0)
}

fn targets(p: &mut Problems<'_>, mut t: Targets, raw: Option<&Spanned<RawSlo>>) -> Targets {
    let Some(raw) = raw else { return t };
    let r = raw.get_ref();
    if let Some(a) = percent(p, &r.availability, "availability", 0.0, 100.0) {
        t.availability = a;
    }
    if let Some(e) = percent(p, &r.error_rate, "error_rate", 0.0, 100.0) {
        t.error_rate = e;
    }
    if let Some(l) = r.latency_p95 {
        t.latency_p95 = l.0;
    }
    if let Some(x) = r.exclude_maintenance {
        t.exclude_maintenance = x;
    }
    if let Some(c) = &r.calendar {
        t.calendar = calendar(p, c.get_ref());
    }
    if let Some(w) = r.window {
        if w.0 < Duration::from_secs(3600) {
            p.at(raw.span(), "SLO window shorter than 1h: expected a window such as 7d, 28d or 30d");
        } else {
            t.window = w.0;
        }
    }
    t
}

/// `[slo] calendar`: its zone, days, hours and holidays, each checked where it is written.
fn calendar(p: &mut Problems<'_>, r: &super::raw::RawCalendar) -> Option<crate::slo::Calendar> {
    let mut ok = true;
    // Every problem of it is reported, the zone's too: the rest is read with UTC meanwhile.
    let tz: chrono_tz::Tz = r.timezone.get_ref().parse().unwrap_or_else(|_| {
        let msg = format!("unknown time zone `{}`: expected an IANA name such as Europe/Berlin", r.timezone.get_ref());
        p.at(r.timezone.span(), msg);
        ok = false;
        chrono_tz::UTC
    });
    let mut c = crate::slo::Calendar::business_hours(tz);
    if let Some(days) = &r.days {
        c.days = [false; 7];
        for d in days.get_ref() {
            match crate::slo::calendar::weekday(d) {
                Some(w) => c.days[w.num_days_from_monday() as usize] = true,
                None => {
                    p.at(days.span(), format!("unknown day `{d}`: expected mon, tue, wed, thu, fri, sat or sun"));
                    ok = false;
                }
            }
        }
        if !c.days.iter().any(|d| *d) {
            p.at(days.span(), "no day counted: name at least one");
            ok = false;
        }
    }
    if let Some(h) = &r.hours {
        let parsed = h.get_ref().split_once('-').and_then(|(a, b)| {
            let t = |s: &str| chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
            Some((t(a)?, t(b)?))
        });
        match parsed {
            Some((from, to)) if from < to => (c.from, c.to) = (from, to),
            Some(_) => {
                p.at(h.span(), "the hours end before they start: expected such as 09:00-18:00 (no span past midnight)");
                ok = false;
            }
            None => {
                p.at(h.span(), format!("invalid hours `{}`: expected HH:MM-HH:MM such as 09:00-18:00", h.get_ref()));
                ok = false;
            }
        }
    }
    for d in &r.holidays {
        match chrono::NaiveDate::parse_from_str(d.get_ref().trim(), "%Y-%m-%d") {
            Ok(date) => c.holidays.push(date),
            Err(_) => {
                p.at(d.span(), format!("invalid date `{}`: expected YYYY-MM-DD", d.get_ref()));
                ok = false;
            }
        }
    }
    ok.then_some(c)
}

pub(super) fn http_source(p: &mut Problems<'_>, r: &RawPrometheus, base: &Path) -> Option<HttpSource> {
    let url = match parse_url(r.url.get_ref()) {
        Ok(u) => u,
        Err(e) => {
            p.at(r.url.span(), e);
            return None;
        }
    };
    let mut src = HttpSource::new(url);
    if let Some(t) = r.timeout {
        src.timeout = t.0;
    }
    if let Some(s) = r.slow_after {
        src.slow_after = s.0;
    }
    if let Some(m) = r.max_response_bytes {
        src.max_response_bytes = m;
    }
    if let Some(n) = r.max_in_flight {
        if n == 0 {
            p.at(r.url.span(), "max_in_flight must be at least 1");
        }
        src.max_in_flight = n.max(1);
    }
    if let Some(ca) = &r.ca_file {
        let path = base.join(ca.get_ref());
        match std::fs::read(&path) {
            Ok(pem) if reqwest::Certificate::from_pem_bundle(&pem).is_ok_and(|c| !c.is_empty()) => {
                src.ca_pem = Some(pem)
            }
            Ok(_) => p.at(ca.span(), format!("{}: expected PEM certificates", path.display())),
            Err(e) => p.at(ca.span(), format!("CA file {} cannot be read: {e}", path.display())),
        }
    }
    for (k, v) in &r.headers {
        let ok = reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_ok()
            && reqwest::header::HeaderValue::from_str(v).is_ok();
        if ok {
            src.headers.push((k.clone(), v.clone()));
        } else {
            p.at(r.url.span(), format!("header `{k}` is not a valid HTTP header name and value"));
        }
    }
    if let Some(t) = &r.tenant {
        match reqwest::header::HeaderValue::from_str(t.get_ref()) {
            Ok(_) if !t.get_ref().trim().is_empty() => src.headers.push(("X-Scope-OrgID".into(), t.get_ref().clone())),
            _ => p.at(t.span(), "tenant: expected a tenant id (sent as X-Scope-OrgID)"),
        }
    }
    if let Some(auth) = &r.auth {
        let a = auth.get_ref();
        let mut get = |s: &Spanned<RawSecret>, what: &str| {
            let raw = s.get_ref();
            let file = raw.file.as_ref().map(|f| base.join(f));
            secret::resolve(raw.env.as_deref(), file.as_deref(), what).map_err(|e| p.at(s.span(), e)).ok()
        };
        src.auth = match (&a.bearer_token, &a.username, &a.password) {
            (Some(t), None, None) => get(t, "bearer token").map_or(Auth::None, Auth::Bearer),
            (None, Some(u), Some(pw)) => get(pw, "basic-auth password")
                .map_or(Auth::None, |password| Auth::Basic { username: u.clone(), password }),
            _ => {
                p.at(
                    auth.span(),
                    "auth: expected either `bearer_token = { env = \"VAR\" }` or `username` with \
                     `password = { env = \"VAR\" }` (or `file = \"/path\"`)",
                );
                Auth::None
            }
        };
    }
    Some(src)
}
