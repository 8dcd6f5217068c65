//! Faults injected into the estate (by drills): what goes wrong, on which service, from when until
//! when. The model applies them; a dependency's fault reaches its callers through the model's own
//! propagation of latency and errors.
use serde::Deserialize;

/// What goes wrong. Written in drill files as a `[fault]` table with `kind = "…"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FaultKind {
    /// The service's own work is `factor` times slower.
    Latency { factor: f64 },
    /// A share of requests fail with a 5xx.
    Errors { ratio: f64 },
    /// A new version goes out and fails a share of requests.
    BadDeploy { version: String, error_ratio: f64 },
    /// The service stops answering scrapes (and requests).
    Down,
    /// The service hangs for `seconds` before its callers give up; a share of calls time out.
    Timeout { seconds: f64, error_ratio: f64 },
    /// The disk fills from its usual level to full over `fill_in` (a duration such as `30m`).
    DiskFill {
        #[serde(deserialize_with = "duration")]
        fill_in: f64,
    },
    /// The TLS certificate is replaced by one expiring `expires_in` after the fault starts.
    CertExpiry {
        #[serde(deserialize_with = "duration")]
        expires_in: f64,
    },
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let s = String::deserialize(d)?;
    crate::time::parse_duration(&s).map(|d| d.as_secs_f64()).map_err(serde::de::Error::custom)
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Latency { .. } => "latency",
            FaultKind::Errors { .. } => "errors",
            FaultKind::BadDeploy { .. } => "bad-deploy",
            FaultKind::Down => "down",
            FaultKind::Timeout { .. } => "timeout",
            FaultKind::DiskFill { .. } => "disk-fill",
            FaultKind::CertExpiry { .. } => "cert-expiry",
        }
    }
}

/// A fault on one service over `[from, until)` (unix seconds).
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub service: usize,
    pub kind: FaultKind,
    pub from: f64,
    pub until: f64,
}

impl Fault {
    pub fn active(&self, t: f64) -> bool {
        self.from <= t && t < self.until
    }
}
