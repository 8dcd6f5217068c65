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
    /// A check step has asked its query again: how it stands.
    fn checking(&mut self, _state: &CheckState) {}
}

/// Where a check step stands after its latest query.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckState {
    pub asked_at: chrono::DateTime<chrono::Utc>,
    /// How many series the query returned, and the value when it is one (or a scalar).
    pub series: usize,
    pub value: Option<f64>,
    /// Since when the condition has held without a break; `None` while it does not hold.
    pub holding_since: Option<chrono::DateTime<chrono::Utc>>,
    /// The query's failure, in the server's words.
    pub error: Option<String>,
}

/// Why the parameters cannot be used as given.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// This parameter has no value, given or from a label or a default: each front end says how to give
    /// one (a flag, a form field).
    Missing(String),
    /// Anything else (an unknown parameter, a value that fails its check), said whole.
    Other(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing(name) => write!(f, "{name}: needs a value"),
            Problem::Other(why) => f.write_str(why),
        }
    }
}

/// The parameters' values: given ones, else the alert's label, else the default; each validated.
pub fn resolve(
    rb: &Runbook,
    given: &[(String, String)],
    labels: &BTreeMap<String, String>,
) -> Result<Vec<Value>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (name, _) in given {
        if rb.param(name).is_none() {
            problems.push(Problem::Other(format!("{name}: not a parameter of {} (it takes {})", rb.id, names(rb))));
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
            None => problems.push(Problem::Missing(p.name.clone())),
            Some(v) => match super::params::validate(p, &v) {
                Ok(()) => out.push(Value { name: p.name.clone(), value: v, kind: p.kind.clone() }),
                Err(e) => problems.push(Problem::Other(e)),
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
    /// A drill against the built-in estate at this address: `drill=` steps act through its deploy API,
    /// and shell or HTTP steps without one are skipped.
    pub drill: Option<url::Url>,
}

/// An HTTP step's response shows at most this much.
const MAX_RESPONSE: u64 = 256 * 1024;
/// … and this many lines of it.
const RESPONSE_LINES: usize = 40;

/// Why a step is not run in a drill.
pub const NOT_IN_DRILL: &str = "not run in a drill: it has no drill= counterpart";

/// The values as a JSON object of their types (an int as a number), secrets left out: an estate
/// action's body.
fn typed(values: &[Value]) -> serde_json::Map<String, serde_json::Value> {
    values
        .iter()
        .filter(|v| v.kind != ParamKind::Secret)
        .map(|v| {
            let j = match v.kind {
                ParamKind::Int => v.value.parse::<i64>().map(Into::into).unwrap_or_else(|_| v.value.clone().into()),
                ParamKind::Number => v.value.parse::<f64>().map(Into::into).unwrap_or_else(|_| v.value.clone().into()),
                ParamKind::Bool => (v.value == "true").into(),
                _ => v.value.clone().into(),
            };
            (v.name.clone(), j)
        })
        .collect()
}

/// A response body as lines to show, sanitized: a JSON array one element a line (the last
/// [`RESPONSE_LINES`] of them: histories end with the newest), other JSON pretty-printed, text as it
/// is (the first [`RESPONSE_LINES`] lines).
fn response_lines(body: &[u8]) -> Vec<String> {
    let clean = |l: &str| crate::text::sanitize(l).into_owned();
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Array(items)) => {
            let skip = items.len().saturating_sub(RESPONSE_LINES);
            let earlier = (skip > 0).then(|| format!("… {skip} earlier"));
            earlier.into_iter().chain(items[skip..].iter().map(|v| clean(&v.to_string()))).collect()
        }
        parsed => {
            let text = match parsed {
                Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
                Err(_) => String::from_utf8_lossy(body).into_owned(),
            };
            let total = text.lines().count();
            let more = (total > RESPONSE_LINES).then(|| format!("… {} more lines", total - RESPONSE_LINES));
            text.lines().take(RESPONSE_LINES).map(clean).chain(more).collect()
        }
    }
}

/// Send a request and read its answer (bounded): the status and the body's lines.
async fn send(req: reqwest::RequestBuilder) -> Result<(reqwest::StatusCode, Vec<u8>), String> {
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    match crate::sources::http::read_capped(resp, MAX_RESPONSE).await {
        Ok(body) => Ok((status, body)),
        Err(crate::sources::http::ReadError::TooLarge) => {
            Err(format!("HTTP {status}: response over {MAX_RESPONSE} bytes"))
        }
        Err(crate::sources::http::ReadError::Http(e)) => Err(e.to_string()),
    }
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
            if self.skipped_in_drill(step) {
                op.say(&format!("= {}: {NOT_IN_DRILL}", step.id));
                self.skip(step, NOT_IN_DRILL)?;
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

    /// In a drill, a shell or HTTP step with no `drill=` counterpart is skipped: nothing outside the
    /// estate is touched.
    pub fn skipped_in_drill(&self, step: &Step) -> bool {
        self.drill.is_some()
            && step.drill.is_none()
            && matches!(step.kind, StepKind::Shell { .. } | StepKind::Http { .. })
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

    /// `step` was killed while it ran, and why (the operator aborted the run, the terminal was lost).
    /// Journalled and audited.
    pub fn killed(&mut self, step: &Step, why: &str) -> Result<(), String> {
        let at = chrono::Utc::now().to_rfc3339();
        let result = format!("failed: killed, {why}");
        self.log(Event::End { step: step.id.clone(), at, result: result.clone() }, true)?;
        self.record(step, &result)?;
        self.abort()
    }

    /// The operator stopped the run.
    pub fn abort(&mut self) -> Result<(), String> {
        self.log(Event::Abort { at: chrono::Utc::now().to_rfc3339() }, true)
    }

    /// A step with its values resolved, as a dry run shows it.
    pub fn describe(&self, step: &Step) -> String {
        let vals = shown(&self.values).into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
        let what = match (&step.kind, &self.drill, &step.drill) {
            (_, Some(_), Some(action)) => {
                let (method, path) = drill_request(action, &self.service());
                format!("drill: {method} {path} on the built-in estate")
            }
            (StepKind::Shell { .. } | StepKind::Http { .. }, Some(_), None) => NOT_IN_DRILL.to_string(),
            _ => self.describe_live(step, &vals),
        };
        let flags = if step.destructive { " [destructive: asks for the service name]" } else { "" };
        format!("- {} (timeout {}){flags}: {what}", step.id, crate::time::limit(step.timeout))
    }

    fn describe_live(&self, step: &Step, vals: &str) -> String {
        match &step.kind {
            StepKind::Shell { script } => format!("sh with env {vals}:\n{}", script.trim_end()),
            StepKind::Check { query, for_ } => {
                format!("until {} holds for {}", exec::promql(query, &self.values), crate::time::short(*for_))
            }
            StepKind::Http { method, url, .. } => format!("{method} {}", exec::url(url, &self.values)),
            StepKind::Manual { checklist } => format!("checklist: {}", checklist.join("; ")),
            StepKind::Wait { duration } => format!("wait {}", crate::time::short(*duration)),
        }
    }

    /// A `drill=` step: the estate's deploy API, the run's values as the action's body.
    async fn estate(
        &mut self,
        base: &url::Url,
        action: &str,
        step: &Step,
        op: &mut (dyn Operator + Send),
    ) -> Result<(), String> {
        let (method, path) = drill_request(action, &self.service());
        let url = base.join(path.trim_start_matches('/')).map_err(|e| e.to_string())?;
        let client = reqwest::Client::builder().timeout(step.timeout).build().map_err(|e| e.to_string())?;
        let req = if method == "GET" {
            client.get(url)
        } else {
            let mut body = typed(&self.values);
            body.remove("service");
            body.insert("by".into(), self.who.user.clone().into());
            body.insert("cause".into(), format!("runbook {}, step {}", self.runbook.id, step.id).into());
            client.post(url).json(&body)
        };
        let (status, body) = send(req).await.map_err(|e| format!("the estate: {e}"))?;
        for line in response_lines(&body) {
            op.say(&format!("  {line}"));
            self.log(Event::Output { step: step.id.clone(), line }, false)?;
        }
        if status.is_success() {
            return Ok(());
        }
        let why = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(|e| crate::text::sanitize(e).into_owned()));
        Err(format!("the estate answered HTTP {status}{}", why.map(|w| format!(": {w}")).unwrap_or_default()))
    }

    async fn execute(&mut self, step: &Step, op: &mut (dyn Operator + Send)) -> Result<(), String> {
        if let (Some(base), Some(action)) = (self.drill.clone(), &step.drill) {
            return self.estate(&base, action, step, op).await;
        }
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
                    for item in checklist {
                        let line = format!("[x] {}", crate::text::sanitize(item));
                        op.say(&format!("  {line}"));
                        self.log(Event::Output { step: step.id.clone(), line }, false)?;
                    }
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
                let (status, body) = send(req).await?;
                for line in response_lines(&body) {
                    op.say(&format!("  {line}"));
                    self.log(Event::Output { step: step.id.clone(), line }, false)?;
                }
                if status.is_success() { Ok(()) } else { Err(format!("HTTP {status}")) }
            }
        }
    }
}

/// A drill action's request on the estate's deploy API: reads are GETs, actions POSTs.
pub fn drill_request(action: &str, service: &str) -> (&'static str, String) {
    let svc: String = url::form_urlencoded::byte_serialize(service.as_bytes()).collect();
    match action {
        "status" => ("GET", format!("/estate/v1/services/{svc}")),
        "revisions" => ("GET", format!("/estate/v1/services/{svc}/revisions")),
        a => ("POST", format!("/estate/v1/services/{svc}/{a}")),
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
    // Since when it has held: by the monotonic clock, to decide; by the wall clock, to show.
    let mut since: Option<(tokio::time::Instant, chrono::DateTime<chrono::Utc>)> = None;
    loop {
        let asked_at = chrono::Utc::now();
        let mut state = CheckState { asked_at, series: 0, value: None, holding_since: None, error: None };
        let holds = match prom.query(query, asked_at).await {
            Ok(o) => {
                state.series = o.result.series().len();
                state.value = o.result.single();
                o.result.holds()
            }
            Err(e) => {
                op.say(&format!("  query failed: {e}"));
                state.error = Some(e.to_string());
                false
            }
        };
        let now = tokio::time::Instant::now();
        since = if holds { since.or(Some((now, asked_at))) } else { None };
        state.holding_since = since.map(|(_, wall)| wall);
        op.checking(&state);
        if since.is_some_and(|(s, _)| now - s >= for_) {
            return Ok(());
        }
        if now + every > deadline {
            return Err(format!(
                "did not hold for {} within {}",
                crate::time::short(for_),
                crate::time::limit(timeout)
            ));
        }
        tokio::time::sleep(every).await;
    }
}
