//! Faults injected into the estate (by drills): what goes wrong, on which service, from when until
//! when. The model applies them; a dependency's fault reaches its callers through the model's own
//! propagation of latency and errors.
use serde::{Deserialize, Serialize};

/// What goes wrong. Written in drill files as a `[fault]` table with `kind = "…"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        #[serde(deserialize_with = "duration", serialize_with = "write_duration")]
        fill_in: f64,
    },
    /// The TLS certificate is replaced by one expiring `expires_in` after the fault starts.
    CertExpiry {
        #[serde(deserialize_with = "duration", serialize_with = "write_duration")]
        expires_in: f64,
    },
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let s = String::deserialize(d)?;
    crate::time::parse_duration(&s).map(|d| d.as_secs_f64()).map_err(serde::de::Error::custom)
}

/// Seconds written back in the form [`duration`] reads (milliseconds: exact for what drills write).
fn write_duration<S: serde::Serializer>(secs: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{}ms", (secs * 1000.0).round() as u64))
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

/// A fault as the deploy API takes and lists it (`/estate/v1/faults`): the service by name, times in
/// unix seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub service: String,
    pub fault: FaultKind,
    /// When it starts; now when absent.
    #[serde(default)]
    pub from: Option<f64>,
    /// When it ends by itself; an hour after `from` when absent.
    #[serde(default)]
    pub until: Option<f64>,
}

/// How long a posted fault lasts when the request does not say.
pub const DEFAULT_SPAN: f64 = 3600.0;

impl FaultSpec {
    pub fn of(f: &Fault) -> Self {
        FaultSpec {
            service: super::topology::TOPOLOGY[f.service].name.to_string(),
            fault: f.kind.clone(),
            from: Some(f.from),
            until: Some(f.until),
        }
    }

    /// The fault it asks for, starting at `now` when it gives no start.
    pub fn fault(self, now: f64) -> Result<Fault, String> {
        let service =
            super::topology::index_of(&self.service).ok_or_else(|| format!("no service `{}`", self.service))?;
        let from = self.from.unwrap_or(now);
        let until = self.until.unwrap_or(from + DEFAULT_SPAN);
        if !(from.is_finite() && until.is_finite() && from < until) {
            return Err(format!("the fault must end after it starts (from {from}, until {until})"));
        }
        Ok(Fault { service, kind: self.fault, from, until })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the console posts is what the estate reads back: durations included.
    #[test]
    fn a_fault_goes_over_the_wire_unchanged() {
        for kind in [
            FaultKind::Latency { factor: 4.0 },
            FaultKind::Down,
            FaultKind::DiskFill { fill_in: 1800.0 },
            FaultKind::CertExpiry { expires_in: 90.5 },
            FaultKind::BadDeploy { version: "2.0.0".into(), error_ratio: 0.3 },
        ] {
            let f = Fault { service: 2, kind, from: 100.0, until: 200.0 };
            let json = serde_json::to_string(&FaultSpec::of(&f)).unwrap();
            let back: FaultSpec = serde_json::from_str(&json).unwrap();
            assert_eq!(back.fault(0.0), Ok(f), "{json}");
        }
        let spec: FaultSpec = serde_json::from_str(r#"{"service":"db","fault":{"kind":"down"}}"#).unwrap();
        let f = spec.fault(10.0).unwrap();
        assert_eq!((f.from, f.until), (10.0, 10.0 + DEFAULT_SPAN));
        let spec: FaultSpec = serde_json::from_str(r#"{"service":"nope","fault":{"kind":"down"}}"#).unwrap();
        assert!(spec.fault(0.0).is_err());
    }
}
