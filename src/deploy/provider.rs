//! Deploy providers: where a service's versions come from and how it is rolled back. Every command is
//! a program and its arguments (never a shell line); values put into them (revisions) are validated
//! first; every command has a timeout and its output is bounded.
use super::model::{Action, DEFAULT_TIMEOUT, Version, valid_revision};
use super::parse;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A Deployment, through `kubectl` (rollout history from its ReplicaSets, `rollout undo`,
    /// `rollout status`).
    Kubernetes,
    /// A Helm release (`helm history`, `helm rollback --wait`).
    Helm,
    /// An Argo Rollout (`kubectl argo rollouts undo`; a blue-green one is promoted back so traffic
    /// switches to the rolled-back colour).
    ArgoRollouts { blue_green: bool },
    /// Commands from the config, each an argv template with `{service}`, `{revision}` and `{version}`;
    /// `list` prints a JSON list of versions.
    Command { list: Vec<String>, rollback: Vec<String>, status: Option<Vec<String>> },
    /// The built-in estate's deploy API.
    Estate { base: url::Url },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Provider {
    pub service: String,
    pub kind: Kind,
    /// The Deployment, release or Rollout (default: the service's name).
    pub name: String,
    pub namespace: Option<String>,
    /// A kubeconfig context.
    pub context: Option<String>,
    /// `kubectl` or `helm` (a path, or a name found on PATH).
    pub program: String,
    /// Each command's time limit; a rollout's status waits as long.
    pub timeout: Duration,
}

/// The most a provider's listing may print.
const MAX_OUTPUT: usize = 8 << 20;

impl Provider {
    /// The built-in estate's service, through its deploy API at `base`.
    pub fn estate(service: &str, base: url::Url) -> Self {
        Provider {
            service: service.into(),
            kind: Kind::Estate { base },
            name: service.into(),
            namespace: None,
            context: None,
            program: String::new(),
            timeout: Duration::from_secs(30),
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Kubernetes => "kubernetes",
            Kind::Helm => "helm",
            Kind::ArgoRollouts { .. } => "argo-rollouts",
            Kind::Command { .. } => "command",
            Kind::Estate { .. } => "estate",
        }
    }

    fn numeric(&self) -> bool {
        !matches!(self.kind, Kind::Command { .. })
    }

    /// `kubectl [--context C] [-n NS]`.
    fn kubectl(&self) -> Vec<String> {
        let mut a = vec![self.program.clone()];
        if let Some(c) = &self.context {
            a.extend(["--context".into(), c.clone()]);
        }
        if let Some(n) = &self.namespace {
            a.extend(["-n".into(), n.clone()]);
        }
        a
    }

    fn helm(&self, args: &[&str]) -> Vec<String> {
        let mut a = vec![self.program.clone()];
        a.extend(args.iter().map(|s| s.to_string()));
        if let Some(c) = &self.context {
            a.extend(["--kube-context".into(), c.clone()]);
        }
        if let Some(n) = &self.namespace {
            a.extend(["-n".into(), n.clone()]);
        }
        a
    }

    fn fill(&self, template: &[String], to: Option<&Version>) -> Vec<String> {
        template
            .iter()
            .map(|t| {
                let mut s = t.replace("{service}", &self.service);
                if let Some(v) = to {
                    s = s.replace("{revision}", &v.revision).replace("{version}", &v.version);
                }
                s
            })
            .collect()
    }

    /// What listing the versions runs (shown when it fails).
    pub fn list_action(&self) -> Action {
        match &self.kind {
            Kind::Kubernetes | Kind::ArgoRollouts { .. } => {
                let mut a = self.kubectl();
                a.extend(["get", "replicasets", "-o", "json"].map(String::from));
                Action::Argv(a)
            }
            Kind::Helm => Action::Argv(self.helm(&["history", &self.name, "-o", "json", "--max", "20"])),
            Kind::Command { list, .. } => Action::Argv(self.fill(list, None)),
            Kind::Estate { base } => Action::Http {
                method: "GET",
                url: base.join(&format!("estate/v1/services/{}/revisions", self.name)).unwrap_or_else(|_| base.clone()),
                body: serde_json::Value::Null,
            },
        }
    }

    /// The versions, oldest first, the current one marked.
    pub async fn history(&self) -> Result<Vec<Version>, String> {
        let out = match self.list_action() {
            Action::Argv(a) => output(&a, self.timeout).await?,
            Action::Http { url, .. } => http_get(&url, self.timeout).await?,
        };
        match &self.kind {
            Kind::Kubernetes => parse::replicasets(&out, parse::Owner::Deployment(&self.name)),
            Kind::ArgoRollouts { .. } => parse::replicasets(&out, parse::Owner::Rollout(&self.name)),
            Kind::Helm => parse::helm_history(&out),
            Kind::Command { .. } => parse::generic(&out),
            Kind::Estate { .. } => parse::estate(&out),
        }
    }

    /// Exactly what rolling back to `to` runs, in order; `by` and `cause` go to the estate's record.
    pub fn plan(&self, to: &Version, by: &str, cause: &str) -> Result<Vec<Action>, String> {
        valid_revision(&to.revision, self.numeric())?;
        let rev = to.revision.clone();
        // Whole seconds, at least one: to kubectl and helm a timeout of 0s is no timeout at all.
        let secs = format!("{}s", self.timeout.as_secs().max(1));
        let wait = format!("--timeout={secs}");
        Ok(match &self.kind {
            Kind::Kubernetes => {
                let target = format!("deployment/{}", self.name);
                let mut undo = self.kubectl();
                undo.extend(["rollout".into(), "undo".into(), target.clone(), format!("--to-revision={rev}")]);
                let mut status = self.kubectl();
                status.extend(["rollout".into(), "status".into(), target, wait]);
                vec![Action::Argv(undo), Action::Argv(status)]
            }
            Kind::ArgoRollouts { blue_green } => {
                let argo = |verb: &str, extra: &[String]| {
                    let mut a = self.kubectl();
                    a.extend(["argo".into(), "rollouts".into(), verb.into(), self.name.clone()]);
                    a.extend(extra.iter().cloned());
                    Action::Argv(a)
                };
                let mut plan = vec![argo("undo", &[format!("--to-revision={rev}")])];
                if *blue_green {
                    plan.push(argo("promote", &[]));
                }
                plan.push(argo("status", &["--timeout".into(), secs.clone()]));
                plan
            }
            Kind::Helm => {
                vec![Action::Argv(self.helm(&["rollback", &self.name, &rev, "--wait", "--timeout", &secs]))]
            }
            Kind::Command { rollback, status, .. } => {
                let mut plan = vec![Action::Argv(self.fill(rollback, Some(to)))];
                if let Some(s) = status {
                    plan.push(Action::Argv(self.fill(s, Some(to))));
                }
                plan
            }
            Kind::Estate { base } => {
                let url = base
                    .join(&format!("estate/v1/services/{}/rollback", self.name))
                    .map_err(|e| format!("estate address: {e}"))?;
                let revision: u64 = rev.parse().map_err(|_| format!("revision `{rev}`: expected a number"))?;
                vec![Action::Http {
                    method: "POST",
                    url,
                    body: serde_json::json!({ "revision": revision, "by": by, "cause": cause }),
                }]
            }
        })
    }
}

/// The most of a failing program's stderr kept (its end, where its last line is).
const MAX_STDERR: usize = 64 * 1024;

/// Read `from` to its end, keeping only its last `MAX_STDERR` bytes or so in `kept`.
async fn tail(from: &mut (impl tokio::io::AsyncRead + Unpin), kept: &mut Vec<u8>) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut chunk = [0u8; 8192];
    loop {
        let n = from.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() > 2 * MAX_STDERR {
            kept.drain(..kept.len() - MAX_STDERR);
        }
    }
}

/// Run a program and return what it printed on stdout (bounded: read no further than the cap, and a
/// program that prints more is stopped); a failure says what it printed on stderr.
pub async fn output(args: &[String], timeout: Duration) -> Result<Vec<u8>, String> {
    use tokio::io::AsyncReadExt;
    let Some((program, rest)) = args.split_first() else { return Err("an empty command".into()) };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let shown = Action::Argv(args.to_vec()).to_string();
    let mut child = cmd.spawn().map_err(|e| format!("`{shown}`: {e}"))?;
    let (Some(out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(format!("`{shown}`: no pipes"));
    };
    let run = async {
        // Both pipes at once, so a program filling one while the other is not read never stalls.
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        {
            let errs = tail(&mut err, &mut stderr);
            let mut out = out.take(MAX_OUTPUT as u64 + 1);
            let outs = out.read_to_end(&mut stdout);
            tokio::pin!(errs, outs);
            let (o, e) = tokio::select! {
                o = &mut outs => (o, None),
                e = &mut errs => ((&mut outs).await, Some(e)),
            };
            o.map_err(|e| format!("`{shown}`: {e}"))?;
            if stdout.len() > MAX_OUTPUT {
                // Dropping the child (kill_on_drop) stops it: what it prints next is read by no one.
                return Err(format!("`{shown}` printed more than {MAX_OUTPUT} bytes"));
            }
            match e {
                Some(e) => e,
                None => errs.await,
            }
            .map_err(|e| format!("`{shown}`: {e}"))?;
        }
        let status = child.wait().await.map_err(|e| format!("`{shown}`: {e}"))?;
        Ok((status, stdout, stderr))
    };
    let (status, stdout, stderr) = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| format!("`{shown}` timed out after {}", crate::time::limit(timeout)))??;
    if !status.success() {
        let err = String::from_utf8_lossy(&stderr);
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!("`{shown}` failed ({status}): {}", crate::text::sanitize(last)));
    }
    Ok(stdout)
}

async fn http_get(url: &url::Url, timeout: Duration) -> Result<Vec<u8>, String> {
    let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
    let resp = client.get(url.clone()).send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status();
    let body = crate::sources::http::read_capped(resp, MAX_OUTPUT as u64).await.map_err(|e| match e {
        crate::sources::http::ReadError::TooLarge => format!("{url}: answer over {MAX_OUTPUT} bytes"),
        crate::sources::http::ReadError::Http(e) => format!("{url}: {e}"),
    })?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!(
            "{url}: HTTP {status}: {}",
            crate::text::sanitize(&String::from_utf8_lossy(&body[..body.len().min(300)]))
        ))
    }
}

/// Run one action of a plan, its output line by line to `on_line`.
pub async fn run(action: &Action, timeout: Duration, mut on_line: impl FnMut(&str)) -> Result<(), String> {
    match action {
        Action::Argv(args) => crate::runbooks::exec::argv(args, timeout, on_line).await,
        Action::Http { method, url, body } => {
            let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
            let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
            let resp = client.request(m, url.clone()).json(body).send().await.map_err(|e| format!("{url}: {e}"))?;
            let status = resp.status();
            let body = crate::sources::http::read_capped(resp, 64 * 1024).await.unwrap_or_default();
            for line in String::from_utf8_lossy(&body).lines().take(40) {
                on_line(&crate::text::sanitize(line));
            }
            if status.is_success() { Ok(()) } else { Err(format!("HTTP {status}")) }
        }
    }
}

impl Default for Provider {
    fn default() -> Self {
        Provider {
            service: String::new(),
            kind: Kind::Kubernetes,
            name: String::new(),
            namespace: None,
            context: None,
            program: "kubectl".into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    /// A program that never stops printing is stopped at the cap, with that said, not left to run
    /// into its time limit; one that floods stderr and fails says its last line.
    #[tokio::test]
    async fn output_is_bounded_and_failures_say_why() {
        let long = Duration::from_secs(60);
        let e = output(&["yes".into()], long).await.unwrap_err();
        assert!(e.contains("printed more than"), "{e}");
        let script = "i=0; while [ $i -lt 3000 ]; do echo 'noise noise noise noise noise noise' >&2; i=$((i+1)); done; \
                      echo 'error: the server has asked for the client to provide credentials' >&2; exit 1";
        let e = output(&sh(script), long).await.unwrap_err();
        assert!(
            e.ends_with("failed (exit status: 1): error: the server has asked for the client to provide credentials"),
            "{e}"
        );
        assert_eq!(output(&sh("echo '{\"items\":[]}'"), long).await.unwrap(), b"{\"items\":[]}\n");
        let e = output(&sh("sleep 30"), Duration::from_millis(200)).await.unwrap_err();
        assert!(e.ends_with("timed out after 200ms"), "{e}");
    }
}
