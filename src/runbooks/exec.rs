//! Running one step. Shell steps get the parameters as environment variables (never in the script's
//! text), run in their own process group, and are killed — the whole group — at their timeout; their
//! output is read as lines, sanitized and bounded. PromQL checks poll until the condition has held for
//! its `for`; HTTP steps send the request with values encoded for where they go.
use super::model::ParamKind;
use crate::text::sanitize;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Output lines kept per step; the rest are counted.
pub const MAX_OUTPUT_LINES: usize = 2000;
/// A line longer than this is cut.
pub const MAX_LINE: usize = 4096;

/// A parameter's value as a step receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub name: String,
    pub value: String,
    pub kind: ParamKind,
}

/// Split a stream into lines (cut at [`MAX_LINE`]), sanitized, sent to `tx`.
async fn lines<R: tokio::io::AsyncRead + Unpin>(mut r: R, tx: tokio::sync::mpsc::Sender<String>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        while let Some(i) = buf.iter().position(|b| *b == b'\n').or((buf.len() >= MAX_LINE).then_some(MAX_LINE)) {
            let line: Vec<u8> = buf.drain(..=i.min(buf.len() - 1)).collect();
            let text = String::from_utf8_lossy(&line);
            if tx.send(sanitize(text.trim_end_matches(['\n', '\r'])).into_owned()).await.is_err() {
                return;
            }
        }
    }
    if !buf.is_empty() {
        let _ = tx.send(sanitize(&String::from_utf8_lossy(&buf)).into_owned()).await;
    }
}

/// The step's process group, killed if the step is dropped before it ends (the operator aborted the
/// run): nothing it started keeps running behind the console's back.
struct Group(Option<u32>);

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pid) = self.0.take() {
            // SAFETY: kill(2) on the step's own process group (the shell leads it).
            unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
        }
    }
}

/// Run a shell script with the values in its environment; each output line goes to `on_line` (at most
/// [`MAX_OUTPUT_LINES`], then one line saying how many more there were).
pub async fn shell(script: &str, values: &[Value], timeout: Duration, on_line: impl FnMut(&str)) -> Result<(), String> {
    let mut cmd = tokio::process::Command::new("/bin/sh");
    cmd.arg("-c").arg(script);
    for v in values {
        cmd.env(&v.name, &v.value);
    }
    run(cmd, "/bin/sh", timeout, on_line).await
}

/// Run a program with its arguments as given (no shell reads them), like [`shell`].
pub async fn argv(args: &[String], timeout: Duration, on_line: impl FnMut(&str)) -> Result<(), String> {
    let Some((program, rest)) = args.split_first() else { return Err("an empty command".into()) };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest);
    run(cmd, program, timeout, on_line).await
}

/// Run a prepared command in its own process group, output read as sanitized, bounded lines; killed
/// (the whole group) at the timeout or when dropped.
async fn run(
    mut cmd: tokio::process::Command,
    name: &str,
    timeout: Duration,
    mut on_line: impl FnMut(&str),
) -> Result<(), String> {
    cmd.stdin(std::process::Stdio::null());
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    cmd.process_group(0).kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", sanitize(name)))?;
    let mut group = Group(child.id());
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(lines(out, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(lines(err, tx.clone()));
    }
    drop(tx);
    let mut kept = 0usize;
    let mut more = 0usize;
    let deadline = tokio::time::Instant::now() + timeout;
    let status = loop {
        tokio::select! {
            line = rx.recv() => match line {
                Some(l) if kept < MAX_OUTPUT_LINES => { kept += 1; on_line(&l); }
                Some(_) => more += 1,
                None => break tokio::time::timeout_at(deadline, child.wait()).await.map_err(|_| ()),
            },
            _ = tokio::time::sleep_until(deadline) => break Err(()),
        }
    };
    if more > 0 {
        on_line(&format!("… {more} more lines not kept"));
    }
    if matches!(status, Ok(Ok(_))) {
        group.0 = None;
    }
    match status {
        Ok(Ok(s)) if s.success() => Ok(()),
        Ok(Ok(s)) => Err(match s.code() {
            Some(c) => format!("exited with status {c}"),
            None => "killed by a signal".into(),
        }),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => {
            drop(group);
            let _ = child.wait().await;
            Err(format!("timed out after {}", crate::time::limit(timeout)))
        }
    }
}

/// `$name` in a PromQL query replaced by the value: quoted contexts get an escaped string, numbers and
/// durations are inserted as they are (they were validated as such).
pub fn promql(query: &str, values: &[Value]) -> String {
    substitute(query, values, |v| match v.kind {
        ParamKind::Int | ParamKind::Number | ParamKind::Duration => v.value.clone(),
        _ => v.value.replace('\\', "\\\\").replace('"', "\\\"").replace('\'', "\\'"),
    })
}

/// `$name` in a URL replaced by the percent-encoded value.
pub fn url(u: &str, values: &[Value]) -> String {
    substitute(u, values, |v| url::form_urlencoded::byte_serialize(v.value.as_bytes()).collect())
}

/// `$name` in a (JSON) body replaced by the value escaped as JSON string content.
pub fn json_body(b: &str, values: &[Value]) -> String {
    substitute(b, values, |v| {
        let quoted = serde_json::Value::String(v.value.clone()).to_string();
        quoted[1..quoted.len() - 1].to_string()
    })
}

/// `$name` or `${name}` with a lower-case name.
static PLACEHOLDER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\$(?:\{([a-z_][a-z0-9_]*)\}|([a-z_][a-z0-9_]*))").expect("valid regex")
});

fn substitute(text: &str, values: &[Value], encode: impl Fn(&Value) -> String) -> String {
    PLACEHOLDER
        .replace_all(text, |c: &regex::Captures<'_>| {
            let name = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
            values.iter().find(|v| v.name == name).map_or_else(|| c[0].to_string(), &encode)
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    fn v(name: &str, value: &str, kind: ParamKind) -> Value {
        Value { name: name.into(), value: value.into(), kind }
    }

    #[tokio::test]
    async fn values_are_environment_not_text() {
        let dir = std::env::temp_dir().join(format!("wp-exec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let canary = dir.join("canary");
        let evil = format!("$(touch {0}); `touch {0}`; touch {0}", canary.display());
        let mut out = Vec::new();
        let r =
            shell("echo \"got: $service\"", &[v("service", &evil, ParamKind::String)], Duration::from_secs(10), |l| {
                out.push(l.to_string())
            })
            .await;
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(out, vec![format!("got: {evil}")]);
        assert!(!canary.exists(), "a value was executed");
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn output_is_sanitized_and_bounded_and_timeouts_kill_the_group() {
        let mut out = Vec::new();
        let script = "printf '\\033]52;c;eA==\\007red\\n'; i=0; while [ $i -lt 3000 ]; do echo $i; i=$((i+1)); done";
        shell(script, &[], Duration::from_secs(20), |l| out.push(l.to_string())).await.unwrap();
        assert_eq!(out[0], "\\e]52;c;eA==\\x07red");
        assert_eq!(out.len(), MAX_OUTPUT_LINES + 1);
        assert_eq!(out.last().unwrap(), "… 1001 more lines not kept");
        let started = std::time::Instant::now();
        let r = shell("sleep 30 & sleep 30", &[], Duration::from_millis(300), |_| {}).await;
        assert!(r.unwrap_err().contains("timed out"));
        assert!(started.elapsed() < Duration::from_secs(10), "the group (with its background child) was killed");
    }

    #[test]
    fn substitutions_encode_for_their_place() {
        let vals = [v("service", "a\"b", ParamKind::String), v("n", "3", ParamKind::Int)];
        assert_eq!(promql("up{job=\"$service\"} > $n", &vals), "up{job=\"a\\\"b\"} > 3");
        assert_eq!(url("https://x/$service?q=${service}", &vals), "https://x/a%22b?q=a%22b");
        assert_eq!(json_body("{\"s\": \"$service\"}", &vals), "{\"s\": \"a\\\"b\"}");
    }
}
