//! What operators do to the estate: roll back, restart, scale, fail over, free disk, renew a
//! certificate. Each is a [`Change`] kept in the model; one that removes the cause of a fault ends it
//! (how a drill is mitigated). Deploy history is a function of the seed plus these changes and the
//! drills' bad deploys, so it is the same for everyone watching the same estate.
use super::fault::FaultKind;
use super::model::Model;
use super::topology::TOPOLOGY;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

/// What an operator asks of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// To a revision of its deploy history (the one before the current, if none is given).
    Rollback {
        #[serde(default)]
        revision: Option<u32>,
    },
    Restart,
    Scale {
        replicas: u32,
    },
    /// Promote the standby (a database's, a cache's) and move traffic to it.
    Failover,
    /// Remove old WAL segments and logs.
    DiskCleanup,
    RenewCert,
}

impl Action {
    pub const NAMES: &'static [&'static str] =
        &["rollback", "restart", "scale", "failover", "disk-cleanup", "renew-cert"];

    pub fn name(&self) -> &'static str {
        match self {
            Action::Rollback { .. } => "rollback",
            Action::Restart => "restart",
            Action::Scale { .. } => "scale",
            Action::Failover => "failover",
            Action::DiskCleanup => "disk-cleanup",
            Action::RenewCert => "renew-cert",
        }
    }

    /// The faults this action removes the cause of.
    fn ends(&self, kind: &FaultKind) -> bool {
        matches!(
            (self, kind),
            (
                Action::Rollback { .. },
                FaultKind::BadDeploy { .. } | FaultKind::Errors { .. } | FaultKind::Latency { .. }
            ) | (Action::Restart, FaultKind::Down | FaultKind::Timeout { .. })
                | (Action::Failover, FaultKind::Down | FaultKind::Timeout { .. })
                | (Action::Scale { .. }, FaultKind::Latency { .. })
                | (Action::DiskCleanup, FaultKind::DiskFill { .. })
                | (Action::RenewCert, FaultKind::CertExpiry { .. })
        )
    }
}

/// Unix seconds written as an RFC 3339 time, for people and tools reading the API.
fn rfc3339<S: serde::Serializer>(t: &f64, s: S) -> Result<S::Ok, S::Error> {
    let at = chrono::DateTime::from_timestamp_millis((t * 1000.0).round() as i64).unwrap_or_default();
    s.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// An RFC 3339 time read back as unix seconds (a console reading another process's estate).
fn from_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let s = String::deserialize(d)?;
    let at = chrono::DateTime::parse_from_rfc3339(&s).map_err(serde::de::Error::custom)?;
    Ok(at.timestamp_millis() as f64 / 1000.0)
}

/// One thing done to a service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub service: String,
    #[serde(flatten)]
    pub action: Action,
    /// Unix seconds.
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub at: f64,
    pub by: String,
    pub cause: String,
    /// A rollback's new revision and the version it runs.
    #[serde(rename = "new_revision", default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// It ended a fault: the problem a drill injected is fixed.
    pub mitigated: bool,
}

/// One entry of a service's deploy history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Revision {
    pub revision: u32,
    pub version: String,
    /// Unix seconds.
    #[serde(serialize_with = "rfc3339")]
    pub at: f64,
    pub by: String,
    pub cause: String,
}

/// The version released after `v` (patch up): a newer build than the topology's.
pub fn next_version(v: &str) -> String {
    let mut parts: Vec<u64> = v.split('.').filter_map(|p| p.parse().ok()).collect();
    match parts.last_mut() {
        Some(last) => *last += 1,
        None => return format!("{v}-next"),
    }
    parts.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// The version released before `v` (patch down, or the previous minor's `.9`): the seeded past.
fn previous_version(v: &str) -> String {
    let mut parts: Vec<u64> = v.split('.').filter_map(|p| p.parse().ok()).collect();
    match parts.as_mut_slice() {
        [.., minor, patch] if *patch > 0 => *patch -= 1,
        [.., minor, patch] if *minor > 0 => (*minor, *patch) = (*minor - 1, 9),
        [major, ..] if *major > 0 => *major -= 1,
        _ => return format!("{v}-rc"),
    }
    parts.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// Replicas each service runs at rest.
pub const REPLICAS: u32 = 3;

impl Model {
    /// The deploys before the simulation: three to five releases, a few days apart, the last one the
    /// topology's version, deployed two to nine days before `start`.
    fn seeded_revisions(&self, service: usize, start: f64) -> Vec<Revision> {
        let mut rng = StdRng::seed_from_u64(self.seed ^ (service as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let n = rng.random_range(3..=5);
        let mut at = start - rng.random_range(2.0..9.0) * 86_400.0;
        let mut version = TOPOLOGY[service].version.to_string();
        let mut out = Vec::new();
        for _ in 0..n {
            let by = ["deploy-pipeline", "ci-bot"][rng.random_range(0..2)];
            out.push(Revision {
                revision: 0,
                version: version.clone(),
                at,
                by: by.into(),
                cause: format!("release {version}"),
            });
            version = previous_version(&version);
            at -= rng.random_range(3.0..8.0) * 86_400.0;
        }
        out.reverse();
        out
    }

    /// Service `i`'s deploy history up to `t`, oldest first, numbered from 1: the seeded releases,
    /// the drills' bad deploys, and rollbacks (an operator's, or the pipeline's when a bad deploy ran
    /// its course).
    pub fn revisions(&self, i: usize, t: f64) -> Vec<Revision> {
        let mut out = self.seeded_revisions(i, self.epoch);
        for f in self.faults.iter().filter(|f| f.service == i && f.from <= t) {
            if let FaultKind::BadDeploy { version, .. } = &f.kind {
                let cause = format!("release {version}");
                out.push(Revision {
                    revision: 0,
                    version: version.clone(),
                    at: f.from,
                    by: "deploy-pipeline".into(),
                    cause,
                });
                let rolled_back = self.changes.iter().any(|c| c.service == TOPOLOGY[i].name && c.at == f.until);
                if f.until <= t && !rolled_back {
                    let version = TOPOLOGY[i].version.to_string();
                    let cause = "automatic rollback: health checks failed".to_string();
                    out.push(Revision { revision: 0, version, at: f.until, by: "deploy-pipeline".into(), cause });
                }
            }
        }
        for c in self.changes.iter().filter(|c| c.service == TOPOLOGY[i].name && c.at <= t) {
            if let (Some(version), Action::Rollback { .. }) = (&c.version, &c.action) {
                out.push(Revision {
                    revision: 0,
                    version: version.clone(),
                    at: c.at,
                    by: c.by.clone(),
                    cause: c.cause.clone(),
                });
            }
        }
        out.sort_by(|a, b| a.at.total_cmp(&b.at));
        for (n, r) in out.iter_mut().enumerate() {
            r.revision = n as u32 + 1;
        }
        out
    }

    /// Replicas of service `i` at `t`: the last scale, else [`REPLICAS`].
    pub fn replicas(&self, i: usize, t: f64) -> u32 {
        self.changes
            .iter()
            .filter(|c| c.service == TOPOLOGY[i].name && c.at <= t)
            .filter_map(|c| match c.action {
                Action::Scale { replicas } => Some(replicas),
                _ => None,
            })
            .next_back()
            .unwrap_or(REPLICAS)
    }

    /// Apply an operator's action to service `i` at `t`: recorded as a change, and the faults whose
    /// cause it removes end now. A rollback to the revision already running, or a scale to zero, is
    /// refused with the reason.
    pub fn act(&mut self, i: usize, action: Action, t: f64, by: &str, cause: &str) -> Result<Change, String> {
        let name = TOPOLOGY[i].name;
        let (mut revision, mut version) = (None, None);
        match &action {
            Action::Rollback { revision: target } => {
                let history = self.revisions(i, t);
                let current = history.last().map_or(0, |r| r.revision);
                let target = target.unwrap_or(current.saturating_sub(1));
                let Some(to) = history.iter().find(|r| r.revision == target) else {
                    return Err(format!("{name} has no revision {target} (it has 1 to {current})"));
                };
                if target == current {
                    return Err(format!("{name} already runs revision {current} ({})", to.version));
                }
                revision = Some(current + 1);
                version = Some(to.version.clone());
            }
            Action::Scale { replicas } if !(1..=100).contains(replicas) => {
                return Err(format!("replicas must be 1 to 100, not {replicas}"));
            }
            _ => {}
        }
        // A rollback to the bad version itself fixes nothing.
        let bad_target =
            |k: &FaultKind| matches!(k, FaultKind::BadDeploy { version: v, .. } if Some(v) == version.as_ref());
        let scaled_down = matches!(action, Action::Scale { replicas } if replicas <= self.replicas(i, t));
        let mut mitigated = false;
        for f in self.faults.iter_mut().filter(|f| f.service == i && f.active(t)) {
            if action.ends(&f.kind) && !bad_target(&f.kind) && !scaled_down {
                f.until = t.max(f.from);
                mitigated = true;
            }
        }
        let change = Change {
            service: name.to_string(),
            action,
            at: t,
            by: by.to_string(),
            cause: cause.to_string(),
            revision,
            version,
            mitigated,
        };
        self.changes.push(change.clone());
        Ok(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::fault::Fault;

    #[test]
    fn previous_versions_count_down() {
        assert_eq!(previous_version("5.2.0"), "5.1.9");
        assert_eq!(previous_version("5.2.3"), "5.2.2");
        assert_eq!(previous_version("16.4"), "16.3");
        assert_eq!(previous_version("2.0.0"), "1.0.0");
    }

    #[test]
    fn a_bad_deploy_is_a_revision_and_a_rollback_ends_it() {
        let t0 = 1_800_000_000.0;
        let mut m = Model::new(5);
        m.epoch = t0;
        let checkout = 1;
        let before = m.revisions(checkout, t0);
        assert!(before.len() >= 3 && before.last().unwrap().version == "5.2.0", "{before:?}");
        let kind = FaultKind::BadDeploy { version: "5.3.0".into(), error_ratio: 0.1 };
        m.faults.push(Fault { service: checkout, kind, from: t0 + 60.0, until: t0 + 1260.0 });
        let during = m.revisions(checkout, t0 + 120.0);
        assert_eq!(during.last().unwrap().version, "5.3.0");
        assert_eq!(m.version(checkout, t0 + 120.0), "5.3.0");

        let err = m.act(checkout, Action::Rollback { revision: Some(during.len() as u32) }, t0 + 130.0, "ann", "");
        assert!(err.unwrap_err().contains("already runs"));
        let c = m.act(checkout, Action::Rollback { revision: None }, t0 + 180.0, "ann", "runbook").unwrap();
        assert!(c.mitigated && c.version.as_deref() == Some("5.2.0"), "{c:?}");
        assert_eq!(m.version(checkout, t0 + 200.0), "5.2.0");
        let after = m.revisions(checkout, t0 + 2000.0);
        assert_eq!(after.len(), during.len() + 1, "no automatic rollback after an operator's: {after:?}");
        assert_eq!(after.last().unwrap().by, "ann");
    }

    #[test]
    fn only_the_right_action_ends_a_fault() {
        let t0 = 1_800_000_000.0;
        let mut m = Model::new(5);
        let search = 4;
        m.faults.push(Fault { service: search, kind: FaultKind::Down, from: t0, until: t0 + 600.0 });
        assert!(!m.act(search, Action::DiskCleanup, t0 + 10.0, "ann", "").unwrap().mitigated);
        assert!(!m.is_up(search, t0 + 20.0));
        assert!(m.act(search, Action::Scale { replicas: 0 }, t0 + 25.0, "ann", "").is_err());
        assert!(m.act(search, Action::Restart, t0 + 30.0, "ann", "").unwrap().mitigated);
        assert!(m.is_up(search, t0 + 31.0));
        let payments = 2;
        m.faults.push(Fault {
            service: payments,
            kind: FaultKind::Latency { factor: 8.0 },
            from: t0,
            until: t0 + 600.0,
        });
        assert!(!m.act(payments, Action::Scale { replicas: 2 }, t0 + 40.0, "ann", "").unwrap().mitigated);
        assert!(m.act(payments, Action::Scale { replicas: 6 }, t0 + 50.0, "ann", "").unwrap().mitigated);
        assert_eq!(m.replicas(payments, t0 + 60.0), 6);
    }
}
