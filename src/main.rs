use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use watchpost::app::run::{Exit, run};
use watchpost::cli::{self, Cli, Cmd, ConfigCmd, EstateCmd};
use watchpost::term::Tui;

const DEFAULT_DEMO_SEED: u64 = 42;

fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = Cli::parse();
    let _log = watchpost::logging::init(&cli.log_level);
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match cli.command {
        Some(Cmd::Config { cmd: ConfigCmd::Check { path } }) => cli::config_check(path, cli.config),
        Some(Cmd::Query(args)) => rt.block_on(cli::query(args, cli.config)),
        Some(Cmd::Estate { cmd: EstateCmd::Serve { seed, listen } }) => rt.block_on(cli::estate_serve(seed, listen)),
        Some(Cmd::Estate { cmd: EstateCmd::Export { seed, from, to, step, output } }) => {
            cli::estate_export(seed, &from, &to, &step, output)
        }
        Some(Cmd::Demo { seed }) => console(&rt, None, Some(seed)),
        None => console(&rt, cli.config, None),
    };
    // Source tasks may be mid-request: do not wait for them.
    rt.shutdown_timeout(Duration::from_millis(200));
    code
}

fn console(rt: &tokio::runtime::Runtime, flag: Option<std::path::PathBuf>, demo_seed: Option<u64>) -> ExitCode {
    // A bad config is reported before the terminal is touched: nothing is drawn.
    let config = match demo_seed {
        Some(_) => None,
        None => match cli::resolve_config(flag) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
    };
    // No config file and no Prometheus: the built-in demo estate.
    let demo_seed = match &config {
        Some(c) if c.prometheus.is_none() && c.path.is_none() => Some(DEFAULT_DEMO_SEED),
        _ => demo_seed,
    };
    let result = rt.block_on(async {
        let config = match demo_seed {
            // Binding is all that happens before the first frame; history and scraping follow.
            Some(seed) => {
                let demo = watchpost::embedded::demo::start(seed).await?;
                watchpost::config::Config::demo(&demo.api, seed)
            }
            None => config.expect("a config when not in demo mode"),
        };
        tracing::info!(estate = %config.estate, services = config.services.len(), "starting console");
        let mut tui = Tui::enter()?;
        run(&config, &mut tui).await
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
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:?}");
            ExitCode::FAILURE
        }
    }
}
