//! Deploys in progress in an environment, for its row on the Environments screen: one command per
//! kubeconfig context and kind, not per service, so the cost stays flat as the estate grows —
//! `kubectl get deployments --all-namespaces -o json`, judged as `kubectl rollout status` judges a
//! Deployment; `kubectl get rollouts.argoproj.io --all-namespaces -o json`, judged by the phase the
//! Rollouts controller writes; and `helm list --all-namespaces --pending -o json` (releases pending an
//! install, upgrade or rollback). A generic command's provider cannot say it in one ask (its status
//! command is per service) and the built-in estate's deploys are instant: neither is counted.
use super::provider::{Kind, Provider, output};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// A service whose deploy is under way, and how far it is (kubectl's or helm's words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InProgress {
    pub service: String,
    pub why: String,
}

#[derive(Deserialize)]
struct List<T> {
    items: Vec<T>,
}

#[derive(Deserialize)]
struct Deployment {
    metadata: Meta,
    #[serde(default)]
    spec: DeploymentSpec,
    #[serde(default)]
    status: DeploymentStatus,
}

#[derive(Deserialize)]
struct Meta {
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    generation: i64,
}

#[derive(Deserialize, Default)]
struct DeploymentSpec {
    replicas: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DeploymentStatus {
    #[serde(default)]
    observed_generation: i64,
    #[serde(default)]
    replicas: i64,
    #[serde(default)]
    updated_replicas: i64,
    #[serde(default)]
    available_replicas: i64,
    #[serde(default)]
    conditions: Vec<Condition>,
}

#[derive(Deserialize)]
struct Condition {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    reason: String,
}

/// Whether a Deployment is still rolling out, and why, by `kubectl rollout status`'s rules: a spec not
/// yet observed, new replicas not all updated, old ones not yet gone, updated ones not yet available. A
/// rollout past its progress deadline is not in progress: it has failed, and says so.
fn rolling(d: &Deployment) -> Option<String> {
    let s = &d.status;
    if d.metadata.generation > s.observed_generation {
        return Some("waiting for the spec update to be observed".into());
    }
    if s.conditions.iter().any(|c| c.kind == "Progressing" && c.reason == "ProgressDeadlineExceeded") {
        return Some("exceeded its progress deadline".into());
    }
    if let Some(want) = d.spec.replicas
        && s.updated_replicas < want
    {
        return Some(format!("{} of {want} new replicas updated", s.updated_replicas));
    }
    if s.replicas > s.updated_replicas {
        return Some(format!("{} old replicas pending termination", s.replicas - s.updated_replicas));
    }
    if s.available_replicas < s.updated_replicas {
        return Some(format!("{} of {} updated replicas available", s.available_replicas, s.updated_replicas));
    }
    None
}

/// The services of `wanted` ((service, name, namespace): a namespace only when configured) whose
/// object `judge` finds under way, and why.
fn under_way<'a, T: 'a>(
    items: impl IntoIterator<Item = &'a T>,
    wanted: &[(String, String, Option<String>)],
    name_ns: impl Fn(&T) -> (&str, &str),
    judge: impl Fn(&T) -> Option<String>,
) -> Vec<InProgress> {
    items
        .into_iter()
        .filter_map(|item| {
            let (name, namespace) = name_ns(item);
            let (service, _, _) =
                wanted.iter().find(|(_, n, ns)| n == name && ns.as_ref().is_none_or(|ns| ns == namespace))?;
            Some(InProgress { service: service.clone(), why: judge(item)? })
        })
        .collect()
}

/// The Deployments of `wanted` that are rolling out, from kubectl's JSON.
pub fn deployments(json: &[u8], wanted: &[(String, String, Option<String>)]) -> Result<Vec<InProgress>, String> {
    let list: List<Deployment> = serde_json::from_slice(json).map_err(|e| format!("kubectl's deployments: {e}"))?;
    Ok(under_way(&list.items, wanted, |d| (&d.metadata.name, &d.metadata.namespace), rolling))
}

#[derive(Deserialize)]
struct Release {
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    status: String,
}

/// The releases of `wanted` pending, from `helm list --pending -o json`.
pub fn helm_pending(json: &[u8], wanted: &[(String, String, Option<String>)]) -> Result<Vec<InProgress>, String> {
    let list: Vec<Release> = serde_json::from_slice(json).map_err(|e| format!("helm's releases: {e}"))?;
    let pending = |r: &Release| r.status.starts_with("pending").then(|| r.status.clone());
    Ok(under_way(&list, wanted, |r| (&r.name, &r.namespace), pending))
}

#[derive(Deserialize)]
struct Rollout {
    metadata: Meta,
    #[serde(default)]
    status: RolloutStatus,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RolloutStatus {
    /// A string in the Rollouts API (a hash in its oldest versions, the generation since).
    #[serde(default)]
    observed_generation: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    abort: bool,
}

/// Whether a Rollout is under way, and why, by the phase its controller writes: Progressing, or Paused
/// at a step (a canary waiting for promotion is a deploy under way); an aborted one has failed and says
/// so, as a Deployment past its deadline does. The phase holds only once the controller has seen the
/// spec (the API's own rule); an observed generation that is not a number (the oldest controllers')
/// cannot be compared and the phase is taken as it is.
fn rollout_under_way(r: &Rollout) -> Option<String> {
    let s = &r.status;
    if s.observed_generation.parse::<i64>().is_ok_and(|seen| seen < r.metadata.generation) {
        return Some("waiting for the spec update to be observed".into());
    }
    let said = |what: &str| if s.message.is_empty() { what.to_string() } else { format!("{what}: {}", s.message) };
    match s.phase.as_str() {
        "Progressing" => Some(said("progressing")),
        "Paused" => Some(said("paused")),
        "Degraded" if s.abort => Some(said("aborted")),
        _ => None,
    }
}

/// The Rollouts of `wanted` under way, from `kubectl get rollouts.argoproj.io -o json`.
pub fn rollouts(json: &[u8], wanted: &[(String, String, Option<String>)]) -> Result<Vec<InProgress>, String> {
    let list: List<Rollout> = serde_json::from_slice(json).map_err(|e| format!("kubectl's rollouts: {e}"))?;
    Ok(under_way(&list.items, wanted, |r| (&r.metadata.name, &r.metadata.namespace), rollout_under_way))
}

/// Whether any of `providers` can say what is under way (the built-in estate can: its deploys are
/// instant, so nothing ever is).
pub fn can_say(providers: &BTreeMap<String, Provider>) -> bool {
    providers
        .values()
        .any(|p| matches!(p.kind, Kind::Kubernetes | Kind::Helm | Kind::ArgoRollouts { .. } | Kind::Estate { .. }))
}

/// Every deploy in progress among `providers`' services (those whose kind can say it in one ask), and
/// the asks that failed, in their own words.
pub async fn in_progress(providers: &BTreeMap<String, Provider>, timeout: Duration) -> (Vec<InProgress>, Vec<String>) {
    // One ask per (kind, program, context): its services' names and namespaces.
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Ask {
        Deployments,
        Rollouts,
        Helm,
    }
    type Wanted = Vec<(String, String, Option<String>)>;
    let mut groups: BTreeMap<(Ask, String, Option<String>), Wanted> = BTreeMap::new();
    for p in providers.values() {
        let ask = match p.kind {
            Kind::Kubernetes => Ask::Deployments,
            Kind::ArgoRollouts { .. } => Ask::Rollouts,
            Kind::Helm => Ask::Helm,
            _ => continue,
        };
        groups.entry((ask, p.program.clone(), p.context.clone())).or_default().push((
            p.service.clone(),
            p.name.clone(),
            p.namespace.clone(),
        ));
    }
    let (mut found, mut failed) = (Vec::new(), Vec::new());
    for ((ask, program, context), wanted) in groups {
        let mut args = vec![program];
        let got = if ask == Ask::Helm {
            args.extend(["list", "--all-namespaces", "--pending", "-o", "json"].map(String::from));
            if let Some(c) = context {
                args.extend(["--kube-context".into(), c]);
            }
            output(&args, timeout).await.and_then(|o| helm_pending(&o, &wanted))
        } else {
            if let Some(c) = context {
                args.extend(["--context".into(), c]);
            }
            let (resource, judge): (&str, fn(&[u8], &[_]) -> _) = match ask {
                Ask::Rollouts => ("rollouts.argoproj.io", rollouts),
                _ => ("deployments", deployments),
            };
            args.extend(["get", resource, "--all-namespaces", "-o", "json"].map(String::from));
            output(&args, timeout).await.and_then(|o| judge(&o, &wanted))
        };
        match got {
            Ok(v) => found.extend(v),
            Err(e) => failed.push(e),
        }
    }
    (found, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted() -> Vec<(String, String, Option<String>)> {
        vec![
            ("checkout".into(), "checkout".into(), Some("shop".into())),
            ("payments".into(), "payments-api".into(), None),
            ("search".into(), "search".into(), None),
        ]
    }

    /// As `kubectl get deployments -o json` writes them (trimmed to the fields read): checkout half
    /// rolled out, payments' new spec not yet observed, search done, and one not ours rolling.
    #[test]
    fn deployments_rolling_out_by_kubectls_rules() {
        let json = br#"{"apiVersion":"v1","kind":"List","items":[
          {"metadata":{"name":"checkout","namespace":"shop","generation":7},
           "spec":{"replicas":4},
           "status":{"observedGeneration":7,"replicas":5,"updatedReplicas":2,"readyReplicas":4,"availableReplicas":4,
             "conditions":[{"type":"Available","status":"True","reason":"MinimumReplicasAvailable"},
                           {"type":"Progressing","status":"True","reason":"ReplicaSetUpdated"}]}},
          {"metadata":{"name":"payments-api","namespace":"pay","generation":3},
           "spec":{"replicas":2},"status":{"observedGeneration":2,"replicas":2,"updatedReplicas":2,"availableReplicas":2}},
          {"metadata":{"name":"search","namespace":"shop","generation":9},
           "spec":{"replicas":3},"status":{"observedGeneration":9,"replicas":3,"updatedReplicas":3,"availableReplicas":3,
             "conditions":[{"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable"}]}},
          {"metadata":{"name":"other","namespace":"x","generation":2},
           "spec":{"replicas":3},"status":{"observedGeneration":2,"replicas":3,"updatedReplicas":1}}
        ]}"#;
        let got = deployments(json, &wanted()).unwrap();
        assert_eq!(
            got,
            vec![
                InProgress { service: "checkout".into(), why: "2 of 4 new replicas updated".into() },
                InProgress { service: "payments".into(), why: "waiting for the spec update to be observed".into() },
            ]
        );
        // The last steps: old replicas going, then the new ones becoming available.
        let old = br#"{"items":[{"metadata":{"name":"search","namespace":"shop","generation":1},"spec":{"replicas":3},
          "status":{"observedGeneration":1,"replicas":4,"updatedReplicas":3,"availableReplicas":3}}]}"#;
        assert_eq!(deployments(old, &wanted()).unwrap()[0].why, "1 old replicas pending termination");
        let avail =
            br#"{"items":[{"metadata":{"name":"search","namespace":"shop","generation":1},"spec":{"replicas":3},
          "status":{"observedGeneration":1,"replicas":3,"updatedReplicas":3,"availableReplicas":1}}]}"#;
        assert_eq!(deployments(avail, &wanted()).unwrap()[0].why, "1 of 3 updated replicas available");
        // A Deployment in another namespace than the one configured is not ours.
        let elsewhere = br#"{"items":[{"metadata":{"name":"checkout","namespace":"staging","generation":2},
          "spec":{"replicas":3},"status":{"observedGeneration":1}}]}"#;
        assert!(deployments(elsewhere, &wanted()).unwrap().is_empty());
    }

    /// As `kubectl get rollouts.argoproj.io -o json` writes them (trimmed to the fields read): checkout
    /// paused at a canary step, payments' new spec not yet observed, search healthy, and an aborted one.
    #[test]
    fn rollouts_under_way_by_their_phase() {
        let json = br#"{"apiVersion":"v1","kind":"List","items":[
          {"metadata":{"name":"checkout","namespace":"shop","generation":4},
           "status":{"observedGeneration":"4","phase":"Paused","message":"CanaryPauseStep","replicas":5,
             "currentStepIndex":1,"pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-12-06T10:00:00Z"}]}},
          {"metadata":{"name":"payments-api","namespace":"pay","generation":3},
           "status":{"observedGeneration":"2","phase":"Healthy"}},
          {"metadata":{"name":"search","namespace":"shop","generation":9},
           "status":{"observedGeneration":"9","phase":"Healthy"}},
          {"metadata":{"name":"other","namespace":"x","generation":2},"status":{"phase":"Progressing"}}
        ]}"#;
        let got = rollouts(json, &wanted()).unwrap();
        assert_eq!(
            got,
            vec![
                InProgress { service: "checkout".into(), why: "paused: CanaryPauseStep".into() },
                InProgress { service: "payments".into(), why: "waiting for the spec update to be observed".into() },
            ]
        );
        let aborted = br#"{"items":[{"metadata":{"name":"search","namespace":"shop","generation":2},
          "status":{"observedGeneration":"2","phase":"Degraded","abort":true,
            "message":"RolloutAborted: Rollout aborted update to revision 3"}}]}"#;
        assert_eq!(
            rollouts(aborted, &wanted()).unwrap()[0].why,
            "aborted: RolloutAborted: Rollout aborted update to revision 3"
        );
        // Degraded after a finished update (pods lost) is not a deploy; an old controller's hashed
        // generation is taken with its phase.
        let lost = br#"{"items":[{"metadata":{"name":"search","namespace":"shop","generation":2},
          "status":{"observedGeneration":"2","phase":"Degraded","message":"pods unavailable"}},
          {"metadata":{"name":"checkout","namespace":"shop","generation":2},
          "status":{"observedGeneration":"7d9f8c6b5","phase":"Progressing"}}]}"#;
        let got = rollouts(lost, &wanted()).unwrap();
        assert_eq!(got, vec![InProgress { service: "checkout".into(), why: "progressing".into() }]);
        assert!(rollouts(b"{}", &wanted()).is_err());
    }

    /// As `helm list --pending -o json` writes releases.
    #[test]
    fn helm_releases_pending() {
        let json =
            br#"[{"name":"checkout","namespace":"shop","revision":"12","updated":"2026-12-06 10:01:02.3 +0000 UTC",
          "status":"pending-upgrade","chart":"checkout-5.2.1","app_version":"5.2.1"},
          {"name":"search","namespace":"shop","revision":"4","updated":"2026-12-06 09:00:00 +0000 UTC",
          "status":"pending-rollback","chart":"search-4.0.2","app_version":"4.0.2"}]"#;
        let got = helm_pending(json, &wanted()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].service.as_str(), got[0].why.as_str()), ("checkout", "pending-upgrade"));
        assert!(helm_pending(b"not json", &wanted()).is_err());
    }
}
