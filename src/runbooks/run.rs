//! A runbook run: parameters resolved (given, from the alert's labels, or defaults) and validated before
//! anything runs; then each step in order — recorded in the audit trail (refused if it cannot be) and
//! journalled (start, output, end, fsynced) — skipping steps a resumed run already did. A dry run shows
//! each step with its values and runs nothing.
use super::exec::{self, Value};
use super::journal::{Event, Journal};
use super::model::{ParamKind, Runbook, Step, StepKind};
use crate::ops::audit::Audit;
use crate::ops::who::Who;
use crate::sources::prometheus::Prometheus;
use std::collections::BTreeMap;
use std::time::Duration;

/// What the operator decided, or the run's options standing in for them.
pub trait Operator {
    /// A destructive step: the operator types the service name; `None` means no.
    fn confirm(&mut self, step: &Step, service: &str) -> Option<String>;
    /// A manual step's checklist: all ticked?
    fn checklist(&mut self, step: &Step, items: &[String]) -> bool;
    /// Something to show: a step starting or ending, or a line of output.
    fn say(&mut self, text: &str);
}

/// The parameters' values: given ones, else the alert's label, else the default; each validated.
pub fn resolve(
    rb: &Runbook,
    given: &[(String, String)],
    labels: &BTreeMap<String, String>,
) -> Result<Vec<Value>, Vec<String>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (name, _) in given {
        if rb.param(name).is_none() {
            problems.push(format!("{name}: not a parameter of {} (it takes {})", rb.id, names(rb)));
        }
    }
    for p in &rb.params {
        let value = given
            .iter()
            .find(|(k, _)| k == &p.name)
            .map(|(_, v)| v.clone())
            .or_else(|| p.from_label.as_ref().and_then(|l| labels.get(l).cloned()))
            .or_else(|| p.default.clone());
        match value {
            None => problems.push(format!("{}: no value (give it with --param {}=…)", p.name, p.name)),
            Some(v) => match super::params::validate(p, &v) {
                Ok(()) => out.push(Value { name: p.name.clone(), value: v, kind: p.kind.clone() }),
                Err(e) => problems.push(e),
            },
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

fn names(rb: &Runbook) -> String {
    rb.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// What may be written down: secrets as `***`.
pub fn shown(values: &[Value]) -> BTreeMap<String, String> {
    values
        .iter()
        .map(|v| (v.name.clone(), if v.kind == ParamKind::Secret { "***".into() } else { v.value.clone() }))
        .collect()
}

/// A secret's value from its reference, at the moment it is needed.
async fn secret(reference: &str, vault: Option<&crate::ops::vault::Vault>) -> Result<String, String> {
    if let Some(var) = reference.strip_prefix("env:") {
        return std::env::var(var).map_err(|_| format!("environment variable {var} is not set"));
    }
    if let Some(path) = reference.strip_prefix("file:") {
        return std::fs::read_to_string(path).map(|s| s.trim().to_string()).map_err(|e| format!("{path}: {e}"));
    }
    match (reference.strip_prefix("vault:"), vault) {
        (Some(r), Some(v)) => v.read(r).await.map(|s| s.expose().to_string()),
        (Some(_), None) => Err("a vault: secret, and no [vault] in the config".into()),
        (None, _) => Err("expected env:, file: or vault:".into()),
    }
}

pub struct Run<'a> {
    pub runbook: &'a Runbook,
    pub values: Vec<Value>,
    pub journal: Option<&'a mut Journal>,
    pub audit: Option<&'a mut Audit>,
    pub who: Who,
    pub prometheus: Option<&'a Prometheus>,
    pub vault: Option<&'a crate::ops::vault::Vault>,
    pub dry_run: bool,
    /// Steps already done (a resumed run): not run again.
    pub done: BTreeMap<String, String>,
}

impl Run<'_> {
    fn log(&mut self, e: Event, sync: bool) -> Result<(), String> {
        match self.journal.as_deref_mut() {
            Some(j) => j.append(&e, sync),
            None => Ok(()),
        }
    }

    fn record(&mut self, step: &Step, result: &str) -> Result<(), String> {
        let Some(a) = self.audit.as_deref_mut() else { return Ok(()) };
        let values = serde_json::to_value(shown(&self.values)).unwrap_or_default();
        let action = if result == "intent" { "runbook.step" } else { "runbook.step.result" };
        let target = format!("{}/{}", self.runbook.id, step.id);
        a.record(&self.who, chrono::Utc::now(), action, &target, &values, result).map(|_| ())
    }

    /// Run every step not yet done, in order; stops at the first that fails.
    pub async fn run(&mut self, op: &mut (dyn Operator + Send)) -> Result<(), String> {
        let steps: Vec<Step> = self.runbook.steps().cloned().collect();
        for step in &steps {
            if let Some(r) = self.done.get(&step.id) {
                op.say(&format!("= {} already done ({r})", step.id));
                continue;
            }
            if self.dry_run {
                op.say(&self.describe(step));
                continue;
            }
            if step.destructive {
                let service = self.service();
                if op.confirm(step, &service).as_deref() != Some(service.as_str()) {
                    return Err(format!("{}: not confirmed (type `{service}` to run a destructive step)", step.id));
                }
            }
            let result = self.step(step, op).await?;
            result.map_err(|e| format!("{}: {e}", step.id))?;
        }
        Ok(())
    }

    /// What a destructive step asks the operator to type: the `service` parameter, else the runbook's id.
    pub fn service(&self) -> String {
        self.values.iter().find(|v| v.name == "service").map_or(self.runbook.id.clone(), |v| v.value.clone())
    }

    /// One step, confirmed already if destructive: audited first (not run if that fails), journalled,
    /// run. The outer error means it could not be recorded; the inner one is the step's own failure.
    pub async fn step(&mut self, step: &Step, op: &mut (dyn Operator + Send)) -> Result<Result<(), String>, String> {
        self.record(step, "intent").map_err(|e| format!("{}: not run, the audit trail refused it: {e}", step.id))?;
        let now = || chrono::Utc::now().to_rfc3339();
        self.log(Event::Start { step: step.id.clone(), at: now() }, true)?;
        op.say(&format!("> {} ({})", step.id, step.kind.name()));
        let result = self.execute(step, op).await;
        let text = match &result {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("failed: {e}"),
        };
        self.log(Event::End { step: step.id.clone(), at: now(), result: text.clone() }, true)?;
        if let Err(e) = self.record(step, &text) {
            op.say(&format!("! the outcome of {} was not recorded: {e}", step.id));
        }
        op.say(&format!("< {} {text}", step.id));
        Ok(result)
    }

    /// Skip a step, with the operator's reason: journalled and audited.
    pub fn skip(&mut self, step: &Step, reason: &str) -> Result<(), String> {
        self.record(step, &format!("skipped: {reason}"))?;
        self.log(Event::Skip { step: step.id.clone(), reason: reason.to_string() }, true)
    }

    /// The operator stopped the run.
    pub fn abort(&mut self) -> Result<(), String> {
        self.log(Event::Abort { at: chrono::Utc::now().to_rfc3339() }, true)
    }

    /// A step with its values resolved, as a dry run shows it.
    pub fn describe(&self, step: &Step) -> String {
        let vals = shown(&self.values).into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
        let what = match &step.kind {
            StepKind::Shell { script } => format!("sh with env {vals}:\n{}", script.trim_end()),
            StepKind::Check { query, for_ } => {
                format!("until {} holds for {}", exec::promql(query, &self.values), crate::time::short(*for_))
            }
            StepKind::Http { method, url, .. } => format!("{method} {}", exec::url(url, &self.values)),
            StepKind::Manual { checklist } => format!("checklist: {}", checklist.join("; ")),
            StepKind::Wait { duration } => format!("wait {}", crate::time::short(*duration)),
        };
        let flags = if step.destructive { " [destructive: asks for the service name]" } else { "" };
        format!("- {} (timeout {}){flags}: {what}", step.id, crate::time::short(step.timeout))
    }

    async fn execute(&mut self, step: &Step, op: &mut (dyn Operator + Send)) -> Result<(), String> {
        match &step.kind {
            StepKind::Shell { script } => {
                let mut env = Vec::new();
                for v in &self.values {
                    let value =
                        if v.kind == ParamKind::Secret { secret(&v.value, self.vault).await? } else { v.value.clone() };
                    env.push(Value { value, ..v.clone() });
                }
                let mut lines = Vec::new();
                let r = exec::shell(script, &env, step.timeout, |l| {
                    op.say(&format!("  {l}"));
                    lines.push(l.to_string());
                })
                .await;
                for line in lines {
                    self.log(Event::Output { step: step.id.clone(), line }, false)?;
                }
                r
            }
            StepKind::Wait { duration } => {
                tokio::time::sleep((*duration).min(step.timeout)).await;
                Ok(())
            }
            StepKind::Manual { checklist } => {
                if op.checklist(step, checklist) {
                    Ok(())
                } else {
                    Err("checklist not ticked".into())
                }
            }
            StepKind::Check { query, for_ } => {
                check(self.prometheus, &exec::promql(query, &self.values), *for_, step.timeout, op).await
            }
            StepKind::Http { method, url, headers, body } => {
                let client = reqwest::Client::builder().timeout(step.timeout).build().map_err(|e| e.to_string())?;
                let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
                let mut req = client.request(method, exec::url(url, &self.values));
                for (k, v) in headers {
                    req = req.header(k, exec::json_body(v, &self.values));
                }
                if !body.trim().is_empty() {
                    req = req.body(exec::json_body(body, &self.values));
                }
                let resp = req.send().await.map_err(|e| e.to_string())?;
                let status = resp.status();
                if status.is_success() { Ok(()) } else { Err(format!("HTTP {status}")) }
            }
        }
    }
}

/// Poll the condition until it has held for `for_` (it holds when the query returns something).
async fn check(
    prometheus: Option<&Prometheus>,
    query: &str,
    for_: Duration,
    timeout: Duration,
    op: &mut (dyn Operator + Send),
) -> Result<(), String> {
    let Some(prom) = prometheus else { return Err("no Prometheus configured to check against".into()) };
    let deadline = tokio::time::Instant::now() + timeout;
    let every = (for_ / 4).clamp(Duration::from_secs(1), Duration::from_secs(15));
    let mut since: Option<tokio::time::Instant> = None;
    loop {
        let holds = match prom.query(query, chrono::Utc::now()).await {
            Ok(o) => !o.result.series().is_empty() || o.result.single().is_some_and(|v| v != 0.0),
            Err(e) => {
                op.say(&format!("  query failed: {e}"));
                false
            }
        };
        let now = tokio::time::Instant::now();
        since = if holds { since.or(Some(now)) } else { None };
        if since.is_some_and(|s| now - s >= for_) {
            return Ok(());
        }
        if now + every > deadline {
            return Err(format!(
                "did not hold for {} within {}",
                crate::time::short(for_),
                crate::time::short(timeout)
            ));
        }
        tokio::time::sleep(every).await;
    }
}
