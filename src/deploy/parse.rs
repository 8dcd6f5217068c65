//! Reading providers' answers into [`Version`]s: `kubectl get replicasets -o json` (a Deployment's or an
//! Argo Rollout's ReplicaSets, each carrying its revision in an annotation), `helm history -o json`,
//! a generic provider's JSON list, and the estate's revisions. Text from them is sanitized here, where
//! it enters.
use super::model::Version;
use crate::text::sanitize;
use chrono::{DateTime, Utc};
use serde::Deserialize;

fn clean(s: &str) -> String {
    sanitize(&s.chars().take(300).collect::<String>()).into_owned()
}

fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc))
}

/// Who owns a ReplicaSet, and which annotation holds its revision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Owner<'a> {
    Deployment(&'a str),
    Rollout(&'a str),
}

/// A Deployment's or a Rollout's history from its ReplicaSets, oldest first; the highest revision is
/// the current one (Kubernetes renumbers the ReplicaSet a rollback returns to).
pub fn replicasets(json: &[u8], owner: Owner<'_>) -> Result<Vec<Version>, String> {
    let list: serde_json::Value = serde_json::from_slice(json).map_err(|e| format!("kubectl output: {e}"))?;
    let (kind, name, key) = match owner {
        Owner::Deployment(n) => ("Deployment", n, "deployment.kubernetes.io/revision"),
        Owner::Rollout(n) => ("Rollout", n, "rollout.argoproj.io/revision"),
    };
    let items = list.get("items").and_then(|i| i.as_array()).ok_or("kubectl output: no `items` list")?;
    let mut out: Vec<(u64, Version)> = Vec::new();
    for rs in items {
        let meta = &rs["metadata"];
        let owned = meta["ownerReferences"]
            .as_array()
            .is_some_and(|o| o.iter().any(|r| r["kind"] == kind && r["name"] == name));
        let Some(rev) = meta["annotations"][key].as_str().and_then(|r| r.parse::<u64>().ok()) else { continue };
        if !owned {
            continue;
        }
        let image = rs["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap_or("?");
        out.push((
            rev,
            Version {
                revision: rev.to_string(),
                version: clean(image),
                at: time(meta["creationTimestamp"].as_str()),
                by: None,
                cause: meta["annotations"]["kubernetes.io/change-cause"].as_str().map(clean),
                current: false,
            },
        ));
    }
    out.sort_by_key(|(r, _)| *r);
    let mut versions: Vec<Version> = out.into_iter().map(|(_, v)| v).collect();
    if let Some(last) = versions.last_mut() {
        last.current = true;
    }
    Ok(versions)
}

#[derive(Deserialize)]
struct HelmRevision {
    revision: u64,
    updated: Option<String>,
    status: Option<String>,
    chart: Option<String>,
    app_version: Option<String>,
    description: Option<String>,
}

/// `helm history RELEASE -o json`: the `deployed` one is current.
pub fn helm_history(json: &[u8]) -> Result<Vec<Version>, String> {
    let list: Vec<HelmRevision> = serde_json::from_slice(json).map_err(|e| format!("helm output: {e}"))?;
    let mut out: Vec<Version> = list
        .into_iter()
        .map(|h| {
            let version = match (&h.app_version, &h.chart) {
                (Some(a), Some(c)) if !a.is_empty() => format!("{a} ({c})"),
                (_, Some(c)) => c.clone(),
                (Some(a), None) => a.clone(),
                (None, None) => "?".into(),
            };
            Version {
                revision: h.revision.to_string(),
                version: clean(&version),
                // Helm writes times like `2026-11-29T07:12:04.123456+01:00`.
                at: time(h.updated.as_deref()),
                by: None,
                cause: h.description.as_deref().map(clean),
                current: h.status.as_deref() == Some("deployed"),
            }
        })
        .collect();
    out.sort_by_key(|v| v.revision.parse::<u64>().unwrap_or(0));
    Ok(out)
}

#[derive(Deserialize)]
struct Generic {
    revision: serde_json::Value,
    version: String,
    at: Option<String>,
    by: Option<String>,
    cause: Option<String>,
    #[serde(default)]
    current: bool,
}

/// A generic provider's list: `[{"revision": …, "version": "…", "at": "RFC 3339", "by": "…", "cause": "…",
/// "current": true}]`, in its order (oldest first).
pub fn generic(json: &[u8]) -> Result<Vec<Version>, String> {
    let list: Vec<Generic> =
        serde_json::from_slice(json).map_err(|e| format!("expected a JSON list of {{revision, version, …}}: {e}"))?;
    Ok(list
        .into_iter()
        .map(|g| Version {
            revision: match &g.revision {
                serde_json::Value::String(s) => clean(s),
                other => clean(&other.to_string()),
            },
            version: clean(&g.version),
            at: time(g.at.as_deref()),
            by: g.by.as_deref().map(clean),
            cause: g.cause.as_deref().map(clean),
            current: g.current,
        })
        .collect())
}

/// The estate's `/estate/v1/services/{name}/revisions`: the last is current.
pub fn estate(json: &[u8]) -> Result<Vec<Version>, String> {
    let mut v = generic(json)?;
    if let Some(last) = v.last_mut() {
        last.current = true;
    }
    Ok(v)
}
