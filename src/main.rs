use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use watchpost::app::event_loop::{Attached, Exit, run};
use watchpost::cli::{self, AuditCmd, Cli, Cmd, ConfigCmd, DeployCmd, DrillCmd, EstateCmd, MaintenanceCmd, RunbookCmd};
use watchpost::term::Tui;

use watchpost::embedded::demo::DEFAULT_SEED;

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
        Some(Cmd::Demo { seed }) => console(&rt, Estate::Demo(seed), None),
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
                        Some(url) => Estate::Remote(url),
                        None => Estate::Demo(seed),
                    };
                    console(&rt, on, Some((s, random)))
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
        None => console(&rt, Estate::Config(choice.clone()), None),
    };
    // Source tasks may be mid-request: do not wait for them.
    rt.shutdown_timeout(Duration::from_millis(200));
    code
}

/// What the console watches.
enum Estate {
    /// The config's (the flag's, else the usual places'); none at all is the demo.
    Config(cli::ConfigChoice),
    /// The built-in estate, in this process, with this seed.
    Demo(u64),
    /// The built-in estate a `watchpost estate serve` runs, at its API address.
    Remote(url::Url),
}

fn console(
    rt: &tokio::runtime::Runtime,
    estate: Estate,
    drill: Option<(watchpost::drills::Scenario, bool)>,
) -> ExitCode {
    // A bad config is reported before the terminal is touched: nothing is drawn.
    let (config, demo_seed, remote) = match estate {
        Estate::Demo(seed) => (None, Some(seed), None),
        Estate::Remote(url) => (None, None, Some(url)),
        Estate::Config(flag) => match cli::resolve_config(flag) {
            // No config file and no Prometheus: the built-in demo estate.
            Ok(c) if c.prometheus.is_none() && c.scrape.is_none() && c.path.is_none() => {
                (None, Some(DEFAULT_SEED), None)
            }
            Ok(c) => (Some(c), None, None),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
    };
    // Drill scenarios, the user's included: a bad file is reported like a bad config.
    let drills = match config.is_none().then(watchpost::drills::scenario::all) {
        None => Vec::new(),
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // An estate elsewhere that does not answer is said before the terminal is touched.
    if let Some(url) = &remote
        && let Err(e) = rt.block_on(watchpost::estate::remote::check(url))
    {
        eprintln!(
            "error: no estate at {url}: {e}\n(start one with `watchpost estate serve`; give --estate the API address it prints)"
        );
        return ExitCode::FAILURE;
    }
    let result = rt.block_on(async {
        let mut attached = Attached::default();
        if let Some(url) = remote {
            let mut c = watchpost::config::Config::demo(&url, 0);
            // Short: the header keeps it beside the drill's clock at 80 columns.
            c.estate = format!(
                "estate {}",
                url.host_str().map_or(url.to_string(), |h| match url.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_string(),
                })
            );
            c.drills = drills;
            c.start_drill = drill;
            let (control, changes) = watchpost::estate::remote::connect(url).map_err(|e| color_eyre::eyre::eyre!(e))?;
            attached.estate = Some(control);
            attached.estate_changes = Some(changes.subscribe());
            tracing::info!(estate = %c.estate, "starting console");
            let mut tui = Tui::enter()?;
            return run(&c, &mut tui, attached).await;
        }
        let config = match demo_seed {
            // Binding is all that happens before the first frame; history and scraping follow.
            Some(seed) => {
                let demo = watchpost::embedded::demo::start(seed).await?;
                let mut c = watchpost::config::Config::demo(&demo.api, seed);
                c.drills = drills;
                c.start_drill = drill;
                // The demo's maintenance windows (two clash on Tuesdays, to show a conflict), put where the
                // console reads them; their silences go to the estate's Alertmanager-compatible API.
                let windows = watchpost::runbooks::journal::dir().with_file_name("demo-maintenance.toml");
                if let Some(d) = windows.parent() {
                    let _ = std::fs::create_dir_all(d);
                }
                // Its silences are kept beside them, so a second start finds the ones the first made.
                watchpost::embedded::alertmanager::keep_silences(
                    &demo.shared,
                    windows.with_file_name("demo-silences.json"),
                );
                if std::fs::write(&windows, watchpost::maintenance::window::DEMO).is_ok() {
                    c.changes.maintenance = Some(watchpost::config::changes::MaintenanceSettings {
                        file: windows,
                        ahead: watchpost::maintenance::reconcile::AHEAD,
                    });
                }
                attached.estate = Some(demo.control);
                attached.estate_changes = Some(demo.changes.subscribe());
                c
            }
            None => {
                let mut c = config.expect("a config when not in demo mode");
                if let Some(scrape) = &c.scrape {
                    let direct = watchpost::embedded::direct::start(scrape).await?;
                    let mut src = watchpost::config::HttpSource::new(direct.api);
                    src.name = "direct scrape".into();
                    // Without Prometheus the direct scrape is the source; with it, the fallback.
                    match c.prometheus {
                        None => c.prometheus = Some(src),
                        Some(_) => attached.fallback = Some(src),
                    }
                }
                c
            }
        };
        tracing::info!(estate = %config.estate, services = config.services.len(), "starting console");
        let mut tui = Tui::enter()?;
        run(&config, &mut tui, attached).await
    });
    // Tui is dropped (terminal restored) before anything is printed.
    match result {
        Ok(Exit::Quit) => ExitCode::SUCCESS,
        Ok(Exit::Signal(sig)) => {
            tracing::info!("{sig}: terminal restored, exiting");
            ExitCode::from(if sig == "SIGHUP" { 129 } else { 143 })
        }
        Ok(Exit::TerminalGone) => {
            tracing::warn!("terminal gone: exiting");
            // EX_IOERR: told apart from a failure (1) and from a signal (128 + its number).
            ExitCode::from(74)
        }
        Err(e) => {
            eprintln!("error: {e:?}");
            ExitCode::FAILURE
        }
    }
}
