//! `watchpost deploy history`, `watchpost rollback` and `watchpost maintenance list|reconcile`.
use super::fail;
use crate::config::Config;
use crate::deploy::Version;
use crate::ops::rollback::{Lock, Rollback, gates, precheck};
use std::process::ExitCode;

fn provider<'a>(config: &'a Config, service: &str) -> Result<&'a crate::deploy::Provider, String> {
    config.changes.deploy.get(service).ok_or_else(|| {
        let known: Vec<&str> = config.changes.deploy.keys().map(String::as_str).collect();
        if known.is_empty() {
            format!("no deploy provider for `{service}`: add [deploy.{service}] to the config")
        } else {
            format!("no deploy provider for `{service}`: the config has {}", known.join(", "))
        }
    })
}

fn table(history: &[Version]) {
    println!("  {:<10} {:<40} {:<20} CAUSE", "REVISION", "VERSION", "WHEN");
    for v in history {
        let at = v.at.map_or("—".to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
        let mark = if v.current { "▶" } else { " " };
        println!("{mark} {:<10} {:<40} {:<20} {}", v.revision, v.version, at, v.cause.as_deref().unwrap_or(""));
    }
}

/// `watchpost deploy history SERVICE`.
pub async fn deploy_history(service: String, config: super::ConfigChoice) -> ExitCode {
    let config = match super::resolve_config(config) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let p = match provider(&config, &service) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    match p.history().await {
        Ok(h) => {
            println!("{service} ({}):", p.kind_name());
            table(&h);
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

pub struct RollbackArgs {
    pub to: Option<String>,
    pub dry_run: bool,
    pub confirm: Option<String>,
    pub override_freeze: Option<String>,
}

/// `watchpost rollback SERVICE [--to REV]`: checks, the plan as it will run, a confirmation (the
/// service's name), the audit trail, the provider's commands, then the watch of the SLO gates.
pub async fn rollback(service: String, args: RollbackArgs, config: super::ConfigChoice) -> ExitCode {
    match rollback_inner(service, args, config).await {
        Ok(code) => code,
        Err(e) => fail(e),
    }
}

async fn rollback_inner(service: String, args: RollbackArgs, config: super::ConfigChoice) -> Result<ExitCode, String> {
    let config = super::resolve_config(config)?;
    if !args.dry_run {
        super::refuse_read_only(&config, "a rollback")?;
    }
    let p = provider(&config, &service)?;
    let who = crate::ops::who::Who::current().in_environment(config.environment.as_ref());
    let policy = crate::ops::policy::find(config.policy_path.as_deref()).map_err(|e| e.to_string())?;
    let groups = crate::ops::policy::current_groups();
    match crate::ops::policy::decide(policy.as_ref(), &who, &groups, "rollback") {
        Ok(Some(note)) if note.starts_with("advisory") => eprintln!("warning: {note}"),
        Ok(_) => {}
        Err(denied) => return Err(format!("not run: {denied}")),
    }
    let history = p.history().await?;
    println!("{service} ({}):", p.kind_name());
    table(&history);
    let from = history.iter().find(|v| v.current).cloned().ok_or("the provider marks no version as current")?;
    let to = match &args.to {
        Some(r) => r.clone(),
        None => {
            let i = history.iter().position(|v| v.current).unwrap_or(0);
            history.get(i.wrapping_sub(1)).map(|v| v.revision.clone()).ok_or("there is no earlier revision")?
        }
    };
    let now = chrono::Utc::now();
    let mut override_reason = None;
    for b in precheck(&service, &history, &to, &config.changes.freezes, now)? {
        match (&b, &args.override_freeze) {
            (b, Some(reason)) if b.overridable() && !reason.trim().is_empty() => {
                eprintln!("warning: {b}; overridden: {reason}");
                override_reason = Some(reason.clone());
            }
            _ => return Err(format!("not run: {b}")),
        }
    }
    let target = history.iter().find(|v| v.revision == to).cloned().expect("prechecked");
    let cause = format!("rollback by {} from {} to {}", who.user, from.revision, target.revision);
    let plan = p.plan(&target, &who.user, &cause)?;
    let svc = config
        .services
        .iter()
        .find(|s| s.name == service)
        .cloned()
        .unwrap_or_else(|| crate::config::Service::conventional(&service, config.slo_defaults.clone()));
    let gates = gates(&svc, config.changes.rollback.window);
    println!(
        "\nroll {service} back from {} ({}) to {} ({}); this runs:",
        from.revision, from.version, to, target.version
    );
    for a in &plan {
        println!("  {a}");
    }
    println!(
        "then watches, for {} within {}:",
        crate::time::short(config.changes.rollback.hold),
        crate::time::short(config.changes.rollback.watch)
    );
    for g in &gates {
        println!("  {}: ({}) < {}", g.name, g.query, g.below);
    }
    if args.dry_run {
        println!("dry run: nothing was run");
        return Ok(ExitCode::SUCCESS);
    }
    let typed = args.confirm.clone().or_else(|| super::runbook::ask(&format!("type `{service}` to roll it back:")));
    if typed.as_deref() != Some(service.as_str()) {
        return Err(format!("not run: not confirmed (type `{service}`, or give --confirm {service})"));
    }
    let _lock = Lock::take(&crate::ops::rollback::lock_dir(), &service, &who).map_err(|b| format!("not run: {b}"))?;
    let mut audit = crate::ops::audit::Audit::open(&config.audit_path)
        .map_err(|e| format!("not run: the audit trail cannot be opened: {e}"))?;
    let prom = config.prometheus.as_ref().and_then(|s| crate::sources::prometheus::Prometheus::new(s).ok());
    let shown = gates.clone();
    let r = Rollback {
        provider: p,
        from,
        to: target,
        plan,
        gates,
        settings: config.changes.rollback,
        override_reason,
        who,
    };
    // Ctrl-C aborts: the running command (its whole process group) is killed, and the trail says so.
    let running = r.run(&mut audit, prom.as_ref(), |pr| match pr {
        crate::ops::rollback::Progress::Step(s) => println!("> {s}"),
        crate::ops::rollback::Progress::Line(l) => println!("  {l}"),
        crate::ops::rollback::Progress::Gates { holding, held } => {
            let g: Vec<String> = holding
                .iter()
                .map(|r| {
                    let mark = if r.holds { "✓" } else { "✗" };
                    let now = shown.iter().find(|g| g.name == r.gate).zip(r.value).map(|(g, v)| g.show(v));
                    format!("{mark} {} — now {}", r.gate, now.as_deref().unwrap_or("no data"))
                })
                .collect();
            println!("  watch: {} — held {}", g.join(", "), crate::time::short(held));
        }
    });
    let outcome = tokio::select! {
        o = running => o?,
        _ = tokio::signal::ctrl_c() => {
            let mut audit = crate::ops::audit::Audit::open(&config.audit_path)?;
            let values = serde_json::json!({"service": service});
            let rec = audit.record(&r.who, chrono::Utc::now(), "rollback.result", &service, &values, "aborted by the operator");
            if let Err(e) = rec {
                eprintln!("error: the abort was not recorded: {e}");
            }
            println!("rollback of {service} aborted");
            return Ok(ExitCode::from(130));
        }
    };
    println!("rollback of {service} {outcome}");
    Ok(if outcome == crate::ops::rollback::Outcome::Succeeded { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `watchpost maintenance list`.
pub fn maintenance_list(config: super::ConfigChoice) -> ExitCode {
    let (config, settings, windows) = match maintenance(config) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let now = chrono::Utc::now();
    println!("{} — {} window(s)", settings.file.display(), windows.len());
    for w in &windows {
        let next = w.schedule.next(now).map_or("never again".into(), |o| {
            format!("next {} – {}", o.start.format("%Y-%m-%d %H:%M UTC"), o.end.format("%H:%M UTC"))
        });
        let scope = crate::alerts::matcher::to_text(&w.silence_matchers());
        println!("  {:<20} {next}  {scope}  owner {}: {}", w.id, w.owner, w.reason);
    }
    for f in &config.changes.freezes {
        if let Some(o) = f.schedule.next(now).or_else(|| f.schedule.at(now)) {
            println!(
                "  freeze {:<13} {} – {}",
                f.name,
                o.start.format("%Y-%m-%d %H:%M UTC"),
                o.end.format("%Y-%m-%d %H:%M UTC")
            );
        }
    }
    ExitCode::SUCCESS
}

type Windows = (Config, crate::config::changes::MaintenanceSettings, Vec<crate::maintenance::Window>);

/// The config, its `[maintenance]` settings, and the windows file read.
fn maintenance(config: super::ConfigChoice) -> Result<Windows, String> {
    let (config, settings) = maintenance_settings(config)?;
    let windows = crate::maintenance::window::load(&settings.file).map_err(|e| e.to_string())?;
    Ok((config, settings, windows))
}

fn maintenance_settings(
    config: super::ConfigChoice,
) -> Result<(Config, crate::config::changes::MaintenanceSettings), String> {
    let config = super::resolve_config(config)?;
    let settings = config
        .changes
        .maintenance
        .clone()
        .ok_or("no [maintenance] in the config (its `file` names the windows file)")?;
    Ok((config, settings))
}

/// `watchpost maintenance reconcile [--dry-run]`: every configured Alertmanager's silences made to
/// match the windows.
pub async fn maintenance_reconcile(dry_run: bool, config: super::ConfigChoice) -> ExitCode {
    let (config, settings, windows) = match maintenance(config) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    if config.alertmanagers.is_empty() {
        return fail("no [[alertmanager]] in the config to put the windows' silences in");
    }
    if !dry_run && let Err(e) = super::refuse_read_only(&config, "reconciling the windows' silences") {
        return fail(e);
    }
    let who = crate::ops::who::Who::current().in_environment(config.environment.as_ref());
    let mut audit = match crate::ops::audit::Audit::open(&config.audit_path) {
        Ok(a) => a,
        Err(e) => return fail(format!("not run: the audit trail cannot be opened: {e}")),
    };
    let mut code = ExitCode::SUCCESS;
    for src in &config.alertmanagers {
        let am = match crate::sources::alertmanager::Alertmanager::new(src) {
            Ok(a) => a,
            Err(e) => return fail(e),
        };
        let trail = crate::maintenance::reconcile::Trail { audit: &mut audit, who: &who };
        let now = chrono::Utc::now();
        match crate::maintenance::reconcile::reconcile(&am, &windows, now, settings.ahead, dry_run, Some(trail)).await {
            Ok((changes, report)) => {
                for c in &changes {
                    let what = match c {
                        crate::maintenance::reconcile::Change::Create(s) => format!("create {}", s.comment),
                        crate::maintenance::reconcile::Change::Update { id, silence } => {
                            format!("update {id}: {}", silence.comment)
                        }
                        crate::maintenance::reconcile::Change::Expire { id, why } => format!("expire {id}: {why}"),
                    };
                    println!("{}: {}{what}", src.name, if dry_run { "would " } else { "" });
                }
                println!(
                    "{}: {} created, {} updated, {} expired{}",
                    src.name,
                    report.created,
                    report.updated,
                    report.expired,
                    if dry_run { " (dry run)" } else { "" }
                );
                for e in &report.errors {
                    eprintln!("error: {}: {e}", src.name);
                    code = ExitCode::FAILURE;
                }
            }
            Err(e) => {
                eprintln!("error: {}: {e}", src.name);
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}
