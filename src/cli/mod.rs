//! Command line: the console, and one file per command (`config check`, `query`, `estate`).
mod audit;
mod changes;
mod config_check;
mod console;
mod data;
mod drill;
mod estate;
mod keys;
mod query;
mod runbook;
mod shell;

pub use audit::{audit_export, audit_verify};
pub use changes::{RollbackArgs, deploy_history, maintenance_list, maintenance_reconcile, rollback};
pub use config_check::config_check;
pub use console::{DEMO_ENVIRONMENTS, Watch, console, demo_config};
pub use drill::drill_list;
pub use estate::{estate_export, estate_serve};
pub use keys::{KeysFormat, keys, markdown as key_markdown, table as key_table};
pub use query::{parse_range, parse_time, query, render_table, safe_json};
pub use runbook::{RunArgs, default_dirs as runbook_dirs, runbook_check, runbook_resume, runbook_run};
pub use shell::{completions, man};

use crate::config::{self, Config, Found};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "watchpost", version, about = "A terminal operations console: health, SLOs and PromQL over SSH")]
pub struct Cli {
    /// Config file (default: $WATCHPOST_CONFIG, then ~/.config/watchpost/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log level or filter for the log file in the state dir (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,
    /// The config's environment to open (default: $WATCHPOST_ENV, then the config's
    /// `default_environment`, then its first).
    #[arg(long, global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// Refuse every action (silences, runbooks, rollbacks, windows) in every environment.
    #[arg(long, global = true)]
    pub readonly: bool,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Which config, which of its environments, and whether actions are refused: what every command that
/// reads the config is told.
#[derive(Clone, Debug, Default)]
pub struct ConfigChoice {
    pub path: Option<PathBuf>,
    pub env: Option<String>,
    pub readonly: bool,
}

impl Cli {
    pub fn choice(&self) -> ConfigChoice {
        let env = self.env.clone().or_else(|| std::env::var("WATCHPOST_ENV").ok().filter(|e| !e.is_empty()));
        ConfigChoice { path: self.config.clone(), env, readonly: self.readonly }
    }
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Work with the config file.
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
    /// Run one PromQL query against the configured Prometheus and print the result.
    Query(QueryArgs),
    /// The console on the built-in demo estate (what `watchpost` does with no config and no PROMETHEUS_URL).
    Demo {
        /// Seed of the simulation: the same seed gives the same estate.
        #[arg(long, default_value_t = crate::embedded::demo::DEFAULT_SEED)]
        seed: u64,
    },
    /// Rehearse an incident: fault scenarios injected into the demo estate while the console runs.
    Drill {
        #[command(subcommand)]
        cmd: DrillCmd,
    },
    /// Deploys: a service's versions, from its provider.
    Deploy {
        #[command(subcommand)]
        cmd: DeployCmd,
    },
    /// Roll a service back: checks, the plan as it will run, a confirmation, the audit trail, the
    /// provider's commands, then a watch of its SLO gates.
    Rollback {
        service: String,
        /// The revision to go back to (default: the one before the current).
        #[arg(long)]
        to: Option<String>,
        /// Show the plan and the gates; run nothing.
        #[arg(long)]
        dry_run: bool,
        /// The service's name, typed ahead.
        #[arg(long)]
        confirm: Option<String>,
        /// Go ahead during a change freeze, or to a version that was rolled back before, with this
        /// reason (recorded).
        #[arg(long = "override", alias = "override-freeze", value_name = "REASON")]
        override_freeze: Option<String>,
    },
    /// Maintenance windows: list them, and keep Alertmanager's silences in line with them.
    Maintenance {
        #[command(subcommand)]
        cmd: MaintenanceCmd,
    },
    /// The audit trail of every action.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Runbooks: check them.
    Runbook {
        #[command(subcommand)]
        cmd: RunbookCmd,
    },
    /// The built-in simulated estate.
    Estate {
        #[command(subcommand)]
        cmd: EstateCmd,
    },
    /// Print the shell's completion script for every command and option, to standard output
    /// (e.g. `watchpost completions bash > ~/.local/share/bash-completion/completions/watchpost`).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) to standard output (e.g. `watchpost man > ~/.local/share/man/man1/watchpost.1`).
    Man,
    /// Print the key table the console uses, by context, with each action's name (as `[keys.*]` in the
    /// config rebinds it): the defaults, with the config's overrides.
    Keys {
        /// Print the shipped key table (TOML) instead: every default binding and what it does.
        #[arg(long, conflicts_with = "markdown")]
        defaults: bool,
        /// Print the table in effect as a Markdown table (the README's).
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum EstateCmd {
    /// Serve the estate as the demo does, for other tools: every service's /metrics, and on one address
    /// the Prometheus, Alertmanager v2, Loki, Jaeger, Tempo, PagerDuty-like and deploy APIs over 30 days
    /// of history. Prints the addresses and a Prometheus scrape config; runs until SIGINT or SIGTERM.
    Serve {
        /// Seed of the simulation: the same seed gives the same traffic.
        #[arg(long, default_value_t = crate::embedded::demo::DEFAULT_SEED)]
        seed: u64,
        /// Address of the first service; the others take the following ports and the APIs the one
        /// after them (port 0: any free ports).
        #[arg(long, default_value = "127.0.0.1:9400")]
        listen: std::net::SocketAddr,
    },
    /// Write the estate's samples over a window as OpenMetrics text (for promtool's backfill).
    Export {
        #[arg(long, default_value_t = crate::embedded::demo::DEFAULT_SEED)]
        seed: u64,
        /// Start: RFC 3339, unix seconds, `now` or `now-1h`.
        #[arg(long)]
        from: String,
        /// End, in the same forms.
        #[arg(long, default_value = "now")]
        to: String,
        /// Time between samples, such as 15s or 1m.
        #[arg(long, default_value = "1m")]
        step: String,
        /// Output file (standard output when absent).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DrillCmd {
    /// List the scenarios (built-in, and yours in ~/.config/watchpost/drills/).
    List,
    /// The console on the demo estate with a drill armed: it starts now, or with --random at a moment
    /// within the scenario's `random_within` that the trainee is not told.
    Run {
        /// A scenario's name (see `drill list`) or the path of a scenario file.
        name: String,
        /// Start at a random time instead of now.
        #[arg(long)]
        random: bool,
        #[arg(long, default_value_t = crate::embedded::demo::DEFAULT_SEED, conflicts_with = "estate")]
        seed: u64,
        /// The estate a `watchpost estate serve` runs (its API address, as it prints it) instead of one
        /// in this process: the drill's fault goes there, so a team's own Grafana, promtool or amtool on
        /// the same estate sees it too.
        #[arg(long, value_name = "URL")]
        estate: Option<url::Url>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeployCmd {
    /// The service's versions, the current one marked.
    History { service: String },
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCmd {
    /// The windows and freezes, each with its next occurrence.
    List,
    /// Create, update and expire the windows' silences in every configured Alertmanager.
    Reconcile {
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Walk the hash chain; report any entry edited, removed, reordered or inserted (exit 1 if any).
    Verify {
        /// The audit database (default: ~/.local/share/watchpost/audit.db).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Write every entry as JSON lines.
    Export {
        #[arg(long)]
        db: Option<PathBuf>,
        /// Output file (standard output when absent).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RunbookCmd {
    /// Lint runbooks (files or directories; default: runbooks/ and ~/.config/watchpost/runbooks/): front
    /// matter, parameters declared and used, PromQL, destructive steps and their rollbacks.
    Check { paths: Vec<PathBuf> },
    /// Run a runbook (by id or file) from the command line: parameters checked first, each step audited
    /// and journalled; `--dry-run` shows the steps with their values and runs nothing.
    Run {
        name: String,
        /// A parameter: NAME=VALUE (repeatable).
        #[arg(long = "param", short)]
        params: Vec<String>,
        #[arg(long)]
        dry_run: bool,
        /// Tick manual checklists without asking.
        #[arg(long)]
        yes: bool,
        /// The service name, typed ahead for destructive steps.
        #[arg(long)]
        confirm: Option<String>,
        /// A drill against the built-in estate whose deploy API is at this address (as `estate serve`
        /// prints it): `drill=` steps act on it, other shell and HTTP steps are skipped.
        #[arg(long, value_name = "URL")]
        drill: Option<url::Url>,
    },
    /// What a run did (from its journal); `--skip-unknown` or `--rerun-unknown` goes on from there.
    Resume {
        journal: PathBuf,
        #[arg(long, conflicts_with = "rerun_unknown")]
        skip_unknown: bool,
        #[arg(long)]
        rerun_unknown: bool,
        #[arg(long = "param", short)]
        params: Vec<String>,
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        confirm: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Validate a config (PATH, or the one watchpost would use); exits non-zero on any error.
    Check { path: Option<PathBuf> },
    /// Print the config's JSON Schema, for editors that complete and check TOML (taplo,
    /// Even Better TOML): `watchpost config schema > ~/.config/watchpost/config.schema.json`.
    Schema,
}

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The PromQL expression.
    pub expr: String,
    /// A range query: START,END,STEP. Times are RFC 3339, unix seconds, `now` or `now-1h`; STEP is `30s`.
    #[arg(long, value_name = "START,END,STEP", conflicts_with = "time")]
    pub range: Option<String>,
    /// An instant query at this time (RFC 3339, unix seconds, `now` or `now-1h`) instead of now; with
    /// `--data`, `now` is the newest sample's time.
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    /// Print the Prometheus API's JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Evaluate with the embedded engine over a file of samples (`watchpost estate export`, or any
    /// exposition or OpenMetrics text) instead of asking Prometheus; `now` is the newest sample's time.
    #[arg(long, value_name = "FILE", conflicts_with = "demo")]
    pub data: Option<PathBuf>,
    /// Ask the built-in demo estate (started for this query, with its history) instead of a Prometheus.
    #[arg(long)]
    pub demo: bool,
}

/// Print a command's error and fail.
fn fail(message: impl std::fmt::Display) -> std::process::ExitCode {
    eprintln!("error: {message}");
    std::process::ExitCode::FAILURE
}

/// The config the console or a command would use, or the error to print.
/// Refused when the config's environment is read-only (or `--readonly` was given): `what` is not done.
pub fn refuse_read_only(config: &Config, what: &str) -> Result<(), String> {
    if !config.read_only {
        return Ok(());
    }
    Err(match &config.environment {
        Some(e) => format!("not run: {what} in {} is refused: it is read-only", e.name),
        None => format!("not run: {what} is refused: --readonly"),
    })
}

pub fn resolve_config(choice: ConfigChoice) -> Result<Config, String> {
    resolve_environments(choice.clone())?.pick(choice.env.as_deref())
}

/// Every environment of the chosen config (one unnamed, without environments or without a file), each
/// read-only when `--readonly` says so.
pub fn resolve_environments(choice: ConfigChoice) -> Result<config::Environments, String> {
    let env_url = std::env::var("PROMETHEUS_URL").ok().filter(|u| !u.is_empty());
    let mut envs = match config::find(choice.path) {
        Found::File(p) => {
            let mut envs = config::load_file_environments(&p).map_err(|e| e.to_string())?;
            for c in &mut envs.all {
                if c.prometheus.is_none()
                    && c.environment.is_none()
                    && let Some(u) = &env_url
                {
                    c.prometheus = Config::from_env(Some(u))?.prometheus;
                }
            }
            envs
        }
        Found::Nothing => config::Environments { all: vec![Config::from_env(env_url.as_deref())?], default: 0 },
    };
    if choice.readonly {
        for c in &mut envs.all {
            c.read_only = true;
        }
    }
    Ok(envs)
}
