//! The config file as written: serde structs that reject unknown keys and keep spans for later checks.
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use toml::Spanned;

/// A duration written as `30s`, `5m`, `30d`; a bad one is reported at its own position by toml.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dur(pub std::time::Duration);

/// A string humantime reads: `500ms`, `30s`, `5m`, `1h30m`, `30d`.
impl schemars::JsonSchema for Dur {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A duration: a number with a unit, like 500ms, 30s, 5m, 1h30m or 30d.",
            "examples": ["30s", "5m", "30d"]
        })
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        crate::time::parse_duration(&s).map(Dur).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Name shown in the header.
    pub estate: Option<String>,
    /// How often sources are polled.
    pub refresh: Option<Dur>,
    /// `dark`, `light`, or a path to a theme file.
    #[schemars(with = "Option<String>")]
    pub theme: Option<Spanned<String>>,
    pub prometheus: Option<RawPrometheus>,
    /// Alertmanagers (API v2); several are an HA pair or separate clusters, merged by fingerprint.
    #[serde(default)]
    pub alertmanager: Vec<RawPrometheus>,
    pub alerts: Option<RawAlerts>,
    pub pagerduty: Option<RawPagerDuty>,
    pub opsgenie: Option<RawOpsgenie>,
    /// Exporters scraped directly (without Prometheus, or as its fallback).
    pub scrape: Option<RawScrape>,
    /// The log store: Loki, or Elasticsearch/OpenSearch.
    pub loki: Option<RawPrometheus>,
    pub elasticsearch: Option<RawPrometheus>,
    /// The trace store: one of Jaeger, Tempo, Zipkin.
    pub jaeger: Option<RawPrometheus>,
    pub tempo: Option<RawPrometheus>,
    pub zipkin: Option<RawPrometheus>,
    /// HashiCorp Vault, for runbook secrets written `vault:<mount>/<path>#<key>`.
    pub vault: Option<RawVault>,
    /// Who may do what.
    pub policy: Option<RawPolicy>,
    /// Where the audit trail is kept.
    pub audit: Option<RawAudit>,
    /// The log view: buffer size and clipboard.
    pub logs: Option<super::telemetry::RawLogs>,
    /// Each service's deploy provider, by service name.
    #[serde(default)]
    pub deploy: BTreeMap<String, super::changes::RawDeploy>,
    /// The post-rollback watch.
    pub rollback: Option<super::changes::RawRollback>,
    /// Change freezes.
    #[serde(default)]
    pub freeze: Vec<super::changes::RawFreeze>,
    /// The maintenance windows' file.
    pub maintenance: Option<super::changes::RawMaintenance>,
    /// Defaults for every service's SLO.
    #[schemars(with = "Option<RawSlo>")]
    pub slo: Option<Spanned<RawSlo>>,
    #[serde(default)]
    pub services: Vec<RawService>,
    /// The overview's grouping and order.
    pub overview: Option<RawOverview>,
    /// Environments (production, staging, development, …): each names its own sources, SLO defaults
    /// and services' overrides over what the file says outside them, which they share. None: one
    /// unnamed environment, the file as it is.
    #[serde(default)]
    #[schemars(with = "Vec<RawEnvironment>")]
    pub environments: Vec<Spanned<RawEnvironment>>,
    /// The environment opened when neither `--env` nor `WATCHPOST_ENV` names one (default: the first).
    #[schemars(with = "Option<String>")]
    pub default_environment: Option<Spanned<String>>,
    /// Key overrides per context (`global`, a screen's name, `form`, `help`, ...: `watchpost keys` lists
    /// them): key = action, or `none` to unbind.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, BTreeMap<String, String>>")]
    pub keys: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPrometheus {
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    pub timeout: Option<Dur>,
    /// Responses larger than this are refused (bytes).
    pub max_response_bytes: Option<u64>,
    /// A response slower than this marks the source "slow".
    pub slow_after: Option<Dur>,
    /// At most this many requests to the source at once (and as many pooled connections).
    pub max_in_flight: Option<usize>,
    /// PEM file with extra CA certificates.
    #[schemars(with = "Option<PathBuf>")]
    pub ca_file: Option<Spanned<PathBuf>>,
    /// Extra headers, e.g. `X-Scope-OrgID` for Mimir, Cortex or Loki-style tenancy.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[schemars(with = "Option<RawAuth>")]
    pub auth: Option<Spanned<RawAuth>>,
    /// Multi-tenant Loki, Mimir or Cortex: the tenant, sent as `X-Scope-OrgID`.
    #[schemars(with = "Option<String>")]
    pub tenant: Option<Spanned<String>>,
    /// `[loki]` and `[elasticsearch]`: the query for a service's logs; `$service` is its name.
    #[schemars(with = "Option<String>")]
    pub query: Option<Spanned<String>>,
    /// `[elasticsearch]`: the index or pattern, which fields hold what, and an API key.
    #[schemars(with = "Option<String>")]
    pub index: Option<Spanned<String>>,
    #[schemars(with = "Option<super::telemetry::ElasticFields>")]
    pub fields: Option<Spanned<super::telemetry::ElasticFields>>,
    #[schemars(with = "Option<RawSecret>")]
    pub api_key: Option<Spanned<RawSecret>>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPagerDuty {
    /// API base (default `https://api.pagerduty.com`).
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    #[schemars(with = "RawSecret")]
    pub token: Spanned<RawSecret>,
    /// Service and team ids whose incidents are shown.
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    /// The e-mail address changes are made as (PagerDuty's `From` header).
    pub from: Option<String>,
    pub timeout: Option<Dur>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOpsgenie {
    /// API base (default `https://api.opsgenie.com`; `https://api.eu.opsgenie.com` in the EU).
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    #[schemars(with = "RawSecret")]
    pub key: Spanned<RawSecret>,
    /// Opsgenie's alert search query (default `status: open`).
    pub query: Option<String>,
    pub timeout: Option<Dur>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    /// Labels alerts are grouped by on the Alerts screen.
    pub group_by: Option<Vec<String>>,
    /// Ring the terminal bell on a new critical alert.
    pub bell: Option<bool>,
    /// Who silences are created by (default `$USER@host`).
    pub author: Option<String>,
    /// A silence's default length.
    pub silence_duration: Option<Dur>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVault {
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    /// The Vault token (`{ env = "VAULT_TOKEN" }` or `{ file = "…" }`).
    #[schemars(with = "RawSecret")]
    pub token: Spanned<RawSecret>,
    /// Vault Enterprise namespace (`X-Vault-Namespace`).
    pub namespace: Option<String>,
    pub timeout: Option<Dur>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// The SQLite database (default `~/.local/share/watchpost/audit.db`).
    pub path: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// The roles policy (default `/etc/watchpost/policy.toml` when it exists).
    #[schemars(with = "Option<PathBuf>")]
    pub path: Option<Spanned<PathBuf>>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScrape {
    pub interval: Option<Dur>,
    pub retention: Option<Dur>,
    /// `64MiB`, `512MB`, or bytes.
    #[schemars(with = "Option<String>")]
    pub max_memory: Option<Spanned<String>>,
    #[serde(default)]
    pub rule_files: Vec<PathBuf>,
    #[serde(default)]
    pub targets: Vec<RawScrapeTarget>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScrapeTarget {
    pub job: String,
    #[schemars(with = "String")]
    pub url: Spanned<String>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    #[schemars(with = "Option<RawSecret>")]
    pub bearer_token: Option<Spanned<RawSecret>>,
    pub username: Option<String>,
    #[schemars(with = "Option<RawSecret>")]
    pub password: Option<Spanned<RawSecret>>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSecret {
    pub env: Option<String>,
    pub file: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    /// Percent, e.g. 99.9.
    #[schemars(with = "Option<f64>")]
    pub availability: Option<Spanned<f64>>,
    pub latency_p95: Option<Dur>,
    /// Percent, e.g. 0.1.
    #[schemars(with = "Option<f64>")]
    pub error_rate: Option<Spanned<f64>>,
    pub window: Option<Dur>,
    /// Leave maintenance windows marked `exclude_from_slo` out of availability and the budget.
    pub exclude_maintenance: Option<bool>,
    /// Count only a calendar's hours (business hours): availability, budget and burn rates over them.
    #[schemars(with = "Option<RawCalendar>")]
    pub calendar: Option<Spanned<RawCalendar>>,
}

/// `calendar = { timezone = "Europe/Berlin", days = ["mon", "tue", "wed", "thu", "fri"], hours =
/// "09:00-18:00", holidays = ["2026-12-24"] }`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    /// An IANA time zone (`Europe/Berlin`, `America/New_York`, `UTC`).
    #[schemars(with = "String")]
    pub timezone: Spanned<String>,
    /// The weekdays counted (default Monday to Friday).
    #[schemars(with = "Option<Vec<String>>")]
    pub days: Option<Spanned<Vec<String>>>,
    /// Local `HH:MM-HH:MM` counted each of those days (default `09:00-18:00`).
    #[schemars(with = "Option<String>")]
    pub hours: Option<Spanned<String>>,
    /// Local dates not counted (`YYYY-MM-DD`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub holidays: Vec<Spanned<String>>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The `job` label; defaults to the name.
    pub job: Option<String>,
    /// Label holding the HTTP status code (`code` in client_golang, often `status`).
    pub status_label: Option<String>,
    /// Rate window of the current figures (default 5m).
    pub rate_window: Option<Dur>,
    #[schemars(with = "Option<RawSlo>")]
    pub slo: Option<Spanned<RawSlo>>,
    pub queries: Option<RawQueries>,
    /// Labels for grouping on the overview, e.g. `{ team = "payments" }`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOverview {
    /// Group rows by this label's value (`team`, `namespace`).
    #[schemars(with = "Option<String>")]
    pub group_by: Option<Spanned<String>>,
    /// The order at start: `name`, `worst`, `errors`, `p95`, `burn`.
    #[schemars(with = "Option<String>")]
    pub sort: Option<Spanned<String>>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQueries {
    #[schemars(with = "Option<String>")]
    pub up: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub requests: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub errors: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub latency_p95: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub saturation: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub availability: Option<Spanned<String>>,
}

/// `[[environments]]`: what differs in one environment. A key given here replaces the one outside
/// (`[slo]` and a service's fields are merged key by key); one not given is shared.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEnvironment {
    /// `production`, `staging`, `development`, …
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The header's colour in it: a name, `#rrggbb` or 0–255 (default: production red, staging
    /// yellow, development green, others the theme's accent).
    #[schemars(with = "Option<String>")]
    pub colour: Option<Spanned<String>>,
    /// Refuse every action here (silences, runbooks, rollbacks, windows); `--readonly` makes every
    /// environment so.
    pub read_only: Option<bool>,
    pub refresh: Option<Dur>,
    pub prometheus: Option<RawPrometheus>,
    pub alertmanager: Option<Vec<RawPrometheus>>,
    pub pagerduty: Option<RawPagerDuty>,
    pub opsgenie: Option<RawOpsgenie>,
    pub scrape: Option<RawScrape>,
    pub loki: Option<RawPrometheus>,
    pub elasticsearch: Option<RawPrometheus>,
    pub jaeger: Option<RawPrometheus>,
    pub tempo: Option<RawPrometheus>,
    pub zipkin: Option<RawPrometheus>,
    pub vault: Option<RawVault>,
    pub deploy: Option<BTreeMap<String, super::changes::RawDeploy>>,
    pub freeze: Option<Vec<super::changes::RawFreeze>>,
    pub maintenance: Option<super::changes::RawMaintenance>,
    /// This environment's SLO defaults, over the shared `[slo]`.
    #[schemars(with = "Option<RawSlo>")]
    pub slo: Option<Spanned<RawSlo>>,
    /// Services as they differ here, by name (each declared once outside `[[environments]]`): the keys
    /// of a `[[services]]` entry, those given replacing the shared ones.
    #[serde(default)]
    pub services: Vec<RawService>,
}

impl RawSlo {
    /// `over`'s keys where it gives them, else these.
    fn merged(&self, over: &RawSlo) -> RawSlo {
        RawSlo {
            availability: over.availability.clone().or_else(|| self.availability.clone()),
            latency_p95: over.latency_p95.or(self.latency_p95),
            error_rate: over.error_rate.clone().or_else(|| self.error_rate.clone()),
            window: over.window.or(self.window),
            exclude_maintenance: over.exclude_maintenance.or(self.exclude_maintenance),
            calendar: over.calendar.clone().or_else(|| self.calendar.clone()),
        }
    }
}

/// `base`'s SLO with `over`'s keys on top (`over`'s position, where problems in it are reported).
fn merge_slo(base: &Option<Spanned<RawSlo>>, over: &Option<Spanned<RawSlo>>) -> Option<Spanned<RawSlo>> {
    match (base, over) {
        (_, None) => base.clone(),
        (None, Some(o)) => Some(o.clone()),
        (Some(b), Some(o)) => Some(Spanned::new(o.span(), b.get_ref().merged(o.get_ref()))),
    }
}

impl RawQueries {
    fn merged(&self, over: &RawQueries) -> RawQueries {
        let pick = |o: &Option<Spanned<String>>, b: &Option<Spanned<String>>| o.clone().or_else(|| b.clone());
        RawQueries {
            up: pick(&over.up, &self.up),
            requests: pick(&over.requests, &self.requests),
            errors: pick(&over.errors, &self.errors),
            latency_p95: pick(&over.latency_p95, &self.latency_p95),
            saturation: pick(&over.saturation, &self.saturation),
            availability: pick(&over.availability, &self.availability),
        }
    }
}

impl RawConfig {
    /// The file as environment `env` reads it: its keys over the shared ones. A service override
    /// naming no declared service is returned apart, to be reported.
    pub fn for_environment(&self, env: &RawEnvironment) -> (RawConfig, Vec<Spanned<String>>) {
        let mut c = self.clone();
        c.environments = Vec::new();
        c.default_environment = None;
        macro_rules! over {
            ($($f:ident),*) => { $(if let Some(v) = &env.$f { c.$f = Some(v.clone()); })* };
        }
        over!(refresh, prometheus, pagerduty, opsgenie, scrape, loki, elasticsearch, jaeger, tempo, zipkin, vault);
        over!(maintenance);
        if let Some(v) = &env.alertmanager {
            c.alertmanager = v.clone();
        }
        if let Some(v) = &env.deploy {
            c.deploy = v.clone();
        }
        if let Some(v) = &env.freeze {
            c.freeze = v.clone();
        }
        // Where its figures come from is its own whole: a Prometheus or a direct scrape given here
        // replaces both outside (one would be the other environment's fallback, or its source).
        if env.prometheus.is_some() || env.scrape.is_some() {
            (c.prometheus, c.scrape) = (env.prometheus.clone(), env.scrape.clone());
        }
        // A store of one kind here replaces one of the other kind outside.
        if env.loki.is_some() {
            c.elasticsearch = env.elasticsearch.clone();
        } else if env.elasticsearch.is_some() {
            c.loki = None;
        }
        if env.jaeger.is_some() || env.tempo.is_some() || env.zipkin.is_some() {
            (c.jaeger, c.tempo, c.zipkin) = (env.jaeger.clone(), env.tempo.clone(), env.zipkin.clone());
        }
        c.slo = merge_slo(&self.slo, &env.slo);
        let mut unknown = Vec::new();
        for o in &env.services {
            let Some(s) = c.services.iter_mut().find(|s| s.name.get_ref().trim() == o.name.get_ref().trim()) else {
                unknown.push(o.name.clone());
                continue;
            };
            if o.job.is_some() {
                s.job = o.job.clone();
            }
            if o.status_label.is_some() {
                s.status_label = o.status_label.clone();
            }
            s.rate_window = o.rate_window.or(s.rate_window);
            s.slo = merge_slo(&s.slo, &o.slo);
            if let Some(q) = &o.queries {
                s.queries = Some(s.queries.as_ref().map_or_else(|| q.clone(), |b| b.merged(q)));
            }
            s.labels.extend(o.labels.clone());
        }
        (c, unknown)
    }
}
