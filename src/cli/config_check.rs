//! `watchpost config check [PATH]`: validate a config without starting the console.
use crate::config::{self, Found};
use std::path::PathBuf;
use std::process::ExitCode;

pub fn config_check(path: Option<PathBuf>, flag: super::ConfigChoice) -> ExitCode {
    let path = match path.or(flag.path) {
        Some(p) => p,
        None => match config::find(None) {
            Found::File(p) => p,
            Found::Nothing => {
                eprintln!(
                    "error: no config file to check (looked at $WATCHPOST_CONFIG and {})",
                    config::find::default_path()
                        .map_or("~/.config/watchpost/config.toml".into(), |p| p.display().to_string())
                );
                return ExitCode::FAILURE;
            }
        },
    };
    match config::load_file_environments(&path) {
        Ok(envs) => {
            if envs.all.len() > 1 || envs.all[0].environment.is_some() {
                println!("{}: ok — {} environments", path.display(), envs.all.len());
                for (i, c) in envs.all.iter().enumerate() {
                    let name = c.environment.as_ref().map_or("", |e| e.name.as_str());
                    let default = if i == envs.default { " (default)" } else { "" };
                    let ro = if c.read_only { ", read-only" } else { "" };
                    println!("  {name}{default}{ro}: {}", describe(c));
                }
            } else {
                println!("{}: ok — {}", path.display(), describe(&envs.all[0]));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// A config's sources and services, on one line.
fn describe(c: &config::Config) -> String {
    let src = c.prometheus.as_ref().map_or("no Prometheus source".to_string(), |p| format!("Prometheus at {}", p.url));
    let svc = if c.discover {
        "services discovered from `up`".to_string()
    } else {
        format!(
            "{} service(s): {}",
            c.services.len(),
            c.services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
        )
    };
    let mut stores = String::new();
    if let Some(l) = &c.logs {
        stores.push_str(&format!("; logs from {}", l.name()));
    }
    if let Some(t) = &c.traces {
        stores.push_str(&format!("; traces from {} at {}", t.backend.name(), t.source.url));
    }
    format!("{src}; {svc}{stores}; refresh every {}", crate::time::limit(c.refresh))
}
