//! Runbook secrets from HashiCorp Vault, against a server following Vault's published KV v2 API
//! (developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2: `GET /v1/<mount>/data/<path>` with
//! `X-Vault-Token`, `{"data": {"data": {...}, "metadata": {...}}}`, errors as `{"errors": [...]}` with
//! 403 and 404). No Vault can be installed here. The value reaches the step, and nothing else: not the
//! journal, not the audit trail, not the output of a dry run.
use axum::Json;
use axum::Router;
use axum::extract::Path as AxPath;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::process::{Command, Stdio};

async fn kv(AxPath(path): AxPath<String>, h: HeaderMap) -> Response {
    if h.get("x-vault-token").is_none_or(|t| t != "hvs.test-token") {
        return (StatusCode::FORBIDDEN, Json(json!({"errors": ["permission denied"]}))).into_response();
    }
    assert_eq!(h.get("x-vault-namespace").map(|v| v.to_str().unwrap()), Some("ops"));
    match path.as_str() {
        "payments/db" => Json(json!({
            "request_id": "1", "lease_id": "", "renewable": false, "lease_duration": 0,
            "data": {"data": {"password": "s3cret-value"}, "metadata": {"created_time": "2026-11-29T00:00:00Z", "version": 3}},
            "wrap_info": null, "warnings": null, "auth": null
        }))
        .into_response(),
        _ => (StatusCode::NOT_FOUND, Json(json!({"errors": []}))).into_response(),
    }
}

async fn serve() -> url::Url {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}/", l.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(l, Router::new().route("/v1/secret/data/{*path}", get(kv))).await.unwrap() });
    url
}

#[tokio::test]
async fn kv2_reads_and_errors() {
    use watchpost::ops::vault::Vault;
    let url = serve().await;
    let src = watchpost::config::HttpSource::new(url);
    let v = Vault::new(&src, &watchpost::config::Secret::new("hvs.test-token".into()), Some("ops")).unwrap();
    assert_eq!(v.read("secret/payments/db#password").await.unwrap().expose(), "s3cret-value");
    assert!(v.read("secret/payments/db#nope").await.unwrap_err().contains("no key `nope`"));
    assert!(v.read("secret/other#password").await.unwrap_err().contains("no secret at secret/other"));
    let bad = Vault::new(
        &watchpost::config::HttpSource::new(url::Url::parse("http://127.0.0.1:1/").unwrap()),
        &watchpost::config::Secret::new("x".into()),
        None,
    )
    .unwrap();
    assert!(bad.read("secret/a#b").await.is_err());
}

const RUNBOOK: &str = r#"---
id: uses-a-secret
title: A step that needs a password
params:
  password:
    type: secret
    default: vault:secret/payments/db#password
---
```sh {#use}
# The value's length (12), so that the runbook's own text does not hold the secret.
if [ "${#password}" -eq 12 ] && [ "${password#s3cret}" = "-value" ]; then echo "the step has its secret"; fi
```
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_secret_reaches_the_step_and_nothing_else() {
    let url = serve().await;
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("watchpost.toml");
    std::fs::write(
        &cfg,
        format!("[vault]\nurl = \"{url}\"\ntoken = {{ env = \"WP_TEST_VAULT_TOKEN\" }}\nnamespace = \"ops\"\n"),
    )
    .unwrap();
    let book = home.path().join("uses-a-secret.md");
    std::fs::write(&book, RUNBOOK).unwrap();
    let h = home.path().to_path_buf();
    let run = |args: Vec<String>| {
        let h = h.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_watchpost"))
                .args(args)
                .env("HOME", &h)
                .env("XDG_STATE_HOME", h.join("state"))
                .env("XDG_DATA_HOME", h.join("data"))
                .env("WP_TEST_VAULT_TOKEN", "hvs.test-token")
                .stdin(Stdio::null())
                .output()
                .unwrap()
        })
    };
    let c = cfg.display().to_string();
    let b = book.display().to_string();
    let o = run(vec!["--config".into(), c.clone(), "runbook".into(), "run".into(), b.clone()]).await.unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("the step has its secret"), "{stdout}");
    let dry = run(vec!["--config".into(), c, "runbook".into(), "run".into(), "--dry-run".into(), b]).await.unwrap();
    let mut everything = String::from_utf8_lossy(&dry.stdout).into_owned() + &stdout;
    for entry in walk(&home.path().join("state")).into_iter().chain(walk(&home.path().join("data"))) {
        everything.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
    }
    assert!(everything.contains("password=***"), "the secret is named, as ***");
    assert!(!everything.contains("s3cret-value"), "the secret leaked");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
