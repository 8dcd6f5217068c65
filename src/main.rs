use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use watchpost::cli::{
    self, AuditCmd, Cli, Cmd, ConfigCmd, DeployCmd, DrillCmd, EstateCmd, MaintenanceCmd, RunbookCmd, Watch,
};

fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = Cli::parse();
    let choice = cli.choice();
    let _log = watchpost::logging::init(&cli.log_level);
    if let Some(p) = watchpost::logging::problem() {
        eprintln!("watchpost: {p}");
    }
    // One thread runs the view and every source: the console's work is waiting, not computing (heavy
    // steps go to the blocking pool), and one thread keeps its idle cost to one wake-up per timer.
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match cli.command {
        Some(Cmd::Config { cmd: ConfigCmd::Check { path } }) => cli::config_check(path, choice.clone()),
        Some(Cmd::Config { cmd: ConfigCmd::Schema }) => {
            println!("{}", watchpost::config::schema());
            ExitCode::SUCCESS
        }
        Some(Cmd::Query(args)) => rt.block_on(cli::query(args, choice.clone())),
        Some(Cmd::Estate { cmd: EstateCmd::Serve { seed, listen } }) => rt.block_on(cli::estate_serve(seed, listen)),
        Some(Cmd::Estate { cmd: EstateCmd::Export { seed, from, to, step, output } }) => {
            cli::estate_export(seed, &from, &to, &step, output)
        }
        Some(Cmd::Demo { seed }) => cli::console(&rt, Watch::Demo { seed, choice }, None),
        Some(Cmd::Drill { cmd: DrillCmd::List }) => cli::drill_list(),
        Some(Cmd::Runbook { cmd: RunbookCmd::Check { paths } }) => cli::runbook_check(paths),
        Some(Cmd::Runbook { cmd: RunbookCmd::Run { name, params, dry_run, yes, confirm, drill } }) => {
            rt.block_on(cli::runbook_run(name, cli::RunArgs { params, dry_run, yes, confirm, drill }, choice.clone()))
        }
        Some(Cmd::Runbook {
            cmd: RunbookCmd::Resume { journal, skip_unknown, rerun_unknown, params, yes, confirm },
        }) => {
            let unknown = (skip_unknown || rerun_unknown).then_some(rerun_unknown);
            let args = cli::RunArgs { params, dry_run: false, yes, confirm, drill: None };
            rt.block_on(cli::runbook_resume(journal, unknown, args, choice.clone()))
        }
        Some(Cmd::Deploy { cmd: DeployCmd::History { service } }) => {
            rt.block_on(cli::deploy_history(service, choice.clone()))
        }
        Some(Cmd::Rollback { service, to, dry_run, confirm, override_freeze }) => {
            let args = cli::RollbackArgs { to, dry_run, confirm, override_freeze };
            rt.block_on(cli::rollback(service, args, choice.clone()))
        }
        Some(Cmd::Maintenance { cmd: MaintenanceCmd::List }) => cli::maintenance_list(choice.clone()),
        Some(Cmd::Maintenance { cmd: MaintenanceCmd::Reconcile { dry_run } }) => {
            rt.block_on(cli::maintenance_reconcile(dry_run, choice.clone()))
        }
        Some(Cmd::Audit { cmd: AuditCmd::Verify { db } }) => cli::audit_verify(db),
        Some(Cmd::Audit { cmd: AuditCmd::Export { db, output } }) => cli::audit_export(db, output),
        Some(Cmd::Drill { cmd: DrillCmd::Run { name, random, seed, estate } }) => {
            match watchpost::drills::scenario::find(&name) {
                Ok(s) => {
                    let on = match estate {
                        Some(url) => Watch::Remote { url, choice },
                        None => Watch::Demo { seed, choice },
                    };
                    cli::console(&rt, on, Some((s, random)))
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Cmd::Completions { shell }) => cli::completions(shell),
        Some(Cmd::Man) => cli::man(),
        Some(Cmd::Keys { defaults, markdown }) => {
            let format = match (defaults, markdown) {
                (true, _) => cli::KeysFormat::Shipped,
                (_, true) => cli::KeysFormat::Markdown,
                _ => cli::KeysFormat::Table,
            };
            cli::keys(choice.clone(), format)
        }
        None => cli::console(&rt, Watch::Config(choice), None),
    };
    // Source tasks may be mid-request: do not wait for them.
    rt.shutdown_timeout(Duration::from_millis(200));
    code
}
