//! Changes to the estate: `[deploy.<service>]` (each service's deploy provider), `[rollback]` (the
//! post-rollback watch), `[[freeze]]` (change freezes) and `[maintenance]` (the windows file).
//!
//! ```toml
//! [deploy.checkout]
//! provider = "kubernetes"      # kubernetes | helm | argo-rollouts | command | estate
//! namespace = "shop"
//! context = "prod-eu"          # a kubeconfig context
//! name = "checkout"            # Deployment, release or Rollout (default: the service)
//! timeout = "5m"
//!
//! [deploy.billing]
//! provider = "command"
//! list = ["deployctl", "history", "{service}", "--json"]
//! rollback = ["deployctl", "rollback", "{service}", "--to", "{revision}"]
//!
//! [rollback]
//! hold = "5m"                  # the gates must hold this long …
//! watch = "15m"                # … within this long
//!
//! [[freeze]]
//! name = "year-end"
//! start = "2026-12-20T00:00"
//! end = "2027-01-04T00:00"
//! timezone = "Europe/Berlin"
//! services = []                # none: every service
//!
//! [maintenance]
//! file = "maintenance.toml"    # beside the config; under version control
//! ahead = "7d"
//! ```
use super::load::Problems;
use super::raw::Dur;
use crate::deploy::{Kind, Provider};
use crate::schedule::Schedule;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeploy {
    #[schemars(with = "String")]
    provider: Spanned<String>,
    name: Option<String>,
    namespace: Option<String>,
    context: Option<String>,
    /// `kubectl` or `helm`, if not on PATH under that name.
    program: Option<String>,
    timeout: Option<Dur>,
    #[serde(default)]
    blue_green: bool,
    list: Option<Vec<String>>,
    rollback: Option<Vec<String>>,
    status: Option<Vec<String>>,
    /// `estate`: the estate's address.
    #[schemars(with = "Option<String>")]
    url: Option<Spanned<String>>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRollback {
    hold: Option<Dur>,
    watch: Option<Dur>,
    window: Option<Dur>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFreeze {
    name: String,
    #[schemars(with = "String")]
    start: Spanned<String>,
    #[schemars(with = "Option<String>")]
    end: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    duration: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    timezone: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    rrule: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    cron: Option<Spanned<String>>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    reason: String,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMaintenance {
    #[schemars(with = "Option<PathBuf>")]
    file: Option<Spanned<PathBuf>>,
    ahead: Option<Dur>,
}

/// The post-rollback watch: the gates must hold for `hold`, within `watch`; their rates are over
/// `window`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RollbackSettings {
    pub hold: Duration,
    pub watch: Duration,
    pub window: Duration,
}

impl Default for RollbackSettings {
    fn default() -> Self {
        RollbackSettings {
            hold: Duration::from_secs(5 * 60),
            watch: Duration::from_secs(15 * 60),
            window: Duration::from_secs(120),
        }
    }
}

/// A change freeze: rollbacks and maintenance changes in it need an override with a reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Freeze {
    pub name: String,
    pub reason: String,
    pub schedule: Schedule,
    /// None: every service.
    pub services: Vec<String>,
}

impl Freeze {
    pub fn covers(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == service)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MaintenanceSettings {
    pub file: PathBuf,
    pub ahead: chrono::Duration,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChangeConfig {
    pub deploy: BTreeMap<String, Provider>,
    pub rollback: RollbackSettings,
    pub freezes: Vec<Freeze>,
    pub maintenance: Option<MaintenanceSettings>,
}

fn freeze(p: &mut Problems<'_>, r: &RawFreeze) -> Option<Freeze> {
    let fields = crate::schedule::fields::Fields {
        start: &r.start,
        timezone: r.timezone.as_ref(),
        duration: r.duration.as_ref(),
        end: r.end.as_ref(),
        rrule: r.rrule.as_ref(),
        cron: r.cron.as_ref(),
    };
    match crate::schedule::fields::read(&fields, &format!("freeze `{}`", r.name), r.start.span()) {
        Ok(schedule) => {
            Some(Freeze { name: r.name.clone(), reason: r.reason.clone(), schedule, services: r.services.clone() })
        }
        Err((at, msg)) => {
            p.at(at, msg);
            None
        }
    }
}

pub(super) fn load(p: &mut Problems<'_>, raw: &super::raw::RawConfig, base: &Path) -> ChangeConfig {
    let mut deploy = BTreeMap::new();
    for (service, r) in &raw.deploy {
        let kind = match r.provider.get_ref().as_str() {
            "kubernetes" => Kind::Kubernetes,
            "helm" => Kind::Helm,
            "argo-rollouts" => Kind::ArgoRollouts { blue_green: r.blue_green },
            "command" => match (&r.list, &r.rollback) {
                (Some(list), Some(rollback)) if !list.is_empty() && !rollback.is_empty() => {
                    Kind::Command { list: list.clone(), rollback: rollback.clone(), status: r.status.clone() }
                }
                _ => {
                    p.at(r.provider.span(), "provider \"command\" needs `list` and `rollback` (argv lists)");
                    continue;
                }
            },
            "estate" => match r.url.as_ref().map(|u| (u, url::Url::parse(u.get_ref()))) {
                Some((_, Ok(base))) => Kind::Estate { base },
                Some((u, Err(e))) => {
                    p.at(u.span(), format!("url: {e}"));
                    continue;
                }
                None => {
                    p.at(r.provider.span(), "provider \"estate\" needs `url` (the estate's deploy API)");
                    continue;
                }
            },
            other => {
                let msg =
                    format!("unknown provider `{other}`: expected kubernetes, helm, argo-rollouts, command or estate");
                p.at(r.provider.span(), msg);
                continue;
            }
        };
        let program = r.program.clone().unwrap_or_else(|| if kind == Kind::Helm { "helm" } else { "kubectl" }.into());
        deploy.insert(
            service.clone(),
            Provider {
                service: service.clone(),
                kind,
                name: r.name.clone().unwrap_or_else(|| service.clone()),
                namespace: r.namespace.clone(),
                context: r.context.clone(),
                program,
                timeout: r.timeout.map_or(crate::deploy::model::DEFAULT_TIMEOUT, |d| d.0),
            },
        );
    }
    let mut rollback = RollbackSettings::default();
    if let Some(r) = &raw.rollback {
        rollback.hold = r.hold.map_or(rollback.hold, |d| d.0);
        rollback.watch = r.watch.map_or(rollback.watch, |d| d.0);
        rollback.window = r.window.map_or(rollback.window, |d| d.0);
    }
    let freezes = raw.freeze.iter().filter_map(|f| freeze(p, f)).collect();
    let maintenance = raw.maintenance.as_ref().map(|m| MaintenanceSettings {
        file: m.file.as_ref().map_or_else(|| base.join("maintenance.toml"), |f| base.join(f.get_ref())),
        ahead: m
            .ahead
            .map_or(crate::maintenance::reconcile::AHEAD, |d| chrono::Duration::from_std(d.0).unwrap_or_default()),
    });
    ChangeConfig { deploy, rollback, freezes, maintenance }
}
