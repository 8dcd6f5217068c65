//! HashiCorp Vault's KV secrets engine, version 2, over its HTTP API
//! (developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2: `GET /v1/<mount>/data/<path>` with
//! `X-Vault-Token`, answering `{"data": {"data": {…}, "metadata": {…}}}`, errors as `{"errors": […]}`).
//! A runbook refers to a secret as `vault:<mount>/<path>#<key>`; the value is read when the step runs
//! and never shown, journalled or audited.
use crate::config::{HttpSource, Secret};
use crate::sources::http::{FetchError, HttpClient};
use serde_json::Value;

#[derive(Clone)]
pub struct Vault {
    http: HttpClient,
}

/// `mount/path#key` split: (mount, path, key).
pub fn parse_ref(r: &str) -> Result<(&str, &str, &str), String> {
    let (path, key) = r.split_once('#').ok_or("expected vault:<mount>/<path>#<key>")?;
    let (mount, rest) = path.split_once('/').ok_or("expected vault:<mount>/<path>#<key>")?;
    let ok = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) && !s.contains("..")
    };
    if !ok(mount) || !ok(rest) || key.is_empty() || key.contains(['/', '?', '#']) {
        return Err(format!("`{r}`: expected vault:<mount>/<path>#<key> with plain path segments"));
    }
    Ok((mount, rest, key))
}

impl Vault {
    /// A client for the Vault at `src.url`, authenticating with `token` (and a namespace, if any).
    pub fn new(src: &HttpSource, token: &Secret, namespace: Option<&str>) -> Result<Vault, String> {
        let mut s = src.clone();
        s.name = "vault".into();
        s.headers.push(("X-Vault-Token".into(), token.expose().to_string()));
        if let Some(ns) = namespace {
            s.headers.push(("X-Vault-Namespace".into(), ns.to_string()));
        }
        Ok(Vault { http: HttpClient::new("vault", &s)? })
    }

    /// The secret behind `mount/path#key`.
    pub async fn read(&self, reference: &str) -> Result<Secret, String> {
        let (mount, path, key) = parse_ref(reference)?;
        let body = self.http.get(&format!("v1/{mount}/data/{path}"), &[]).await.map_err(|e| match e {
            FetchError::Status { code: 404, .. } => format!("vault: no secret at {mount}/{path}"),
            FetchError::Status { code: 403, .. } => format!("vault: permission denied for {mount}/{path}"),
            other => format!("vault: {other}"),
        })?;
        let v: Value = serde_json::from_slice(&body).map_err(|e| format!("vault: unreadable answer: {e}"))?;
        if let Some(errs) = v.get("errors").and_then(Value::as_array).filter(|e| !e.is_empty()) {
            let msg: Vec<String> =
                errs.iter().filter_map(Value::as_str).map(|s| crate::text::sanitize(s).into_owned()).collect();
            return Err(format!("vault: {}", msg.join("; ")));
        }
        match v.pointer("/data/data").and_then(|d| d.get(key)) {
            Some(Value::String(s)) => Ok(Secret::new(s.clone())),
            Some(other) => Ok(Secret::new(other.to_string())),
            None => Err(format!("vault: {mount}/{path} has no key `{key}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn references() {
        assert_eq!(parse_ref("secret/payments/db#password").unwrap(), ("secret", "payments/db", "password"));
        assert!(parse_ref("secret/../sys#x").is_err());
        assert!(parse_ref("secret#x").is_err());
        assert!(parse_ref("secret/a?b#x").is_err());
    }
}
