//! `watchpost` (and `watchpost demo`, `watchpost drill run`): the console, on the config's environments,
//! the built-in demo's, or an estate another process serves. Each environment is started the first
//! time it is opened (its estate, its direct scrape, its bridge) and kept for the next visit; the
//! terminal and its input stay the same across a switch.
use super::{ConfigChoice, fail};
use crate::app::event_loop::{Attached, Exit, Resume, Session, run};
use crate::config::Config;
use crate::estate::changes::Change;
use crate::estate::control::Control;
use crate::term::Tui;
use color_eyre::eyre::{Result, eyre};
use std::process::ExitCode;
use tokio::sync::{broadcast, mpsc};

/// What the console watches.
pub enum Watch {
    /// The config's environments (the flag's file, else the usual places); none at all is the demo.
    Config(ConfigChoice),
    /// The built-in estate, in this process, with this seed.
    Demo { seed: u64, choice: ConfigChoice },
    /// The built-in estate a `watchpost estate serve` runs, at its API address.
    Remote { url: url::Url, choice: ConfigChoice },
}

/// The demo's environments: each its own estate (a seed of its own) and promises.
pub const DEMO_ENVIRONMENTS: [DemoEnvironment; 3] = [
    DemoEnvironment {
        name: "production",
        seed_offset: 0,
        availability: 0.999,
        ahead: None,
        business_hours: false,
        load: 1.0,
    },
    // Staging got checkout's next version three hours ago, and it fails more requests than the one
    // production runs: seen across environments before it goes further.
    DemoEnvironment {
        name: "staging",
        seed_offset: 1,
        availability: 0.99,
        ahead: Some(("checkout", 0.012)),
        business_hours: false,
        load: 0.2,
    },
    // Development promises 95 % in business hours only (weekdays 09:00–18:00, Berlin time).
    DemoEnvironment {
        name: "development",
        seed_offset: 2,
        availability: 0.95,
        ahead: None,
        business_hours: true,
        load: 0.05,
    },
];

pub struct DemoEnvironment {
    pub name: &'static str,
    /// Added to the demo's seed: each environment is an estate of its own.
    pub seed_offset: u64,
    /// Its availability objective.
    pub availability: f64,
    /// A service running its next version here (and the share of requests that version fails).
    pub ahead: Option<(&'static str, f64)>,
    /// Its SLOs count business hours alone.
    pub business_hours: bool,
    /// Its traffic against production's.
    pub load: f64,
}

/// What was deployed to the demo's environment `env` before it started.
fn demo_past(env: usize) -> Vec<crate::estate::fault::Fault> {
    use crate::estate::fault::{Fault, FaultKind};
    let Some((service, error_ratio)) = DEMO_ENVIRONMENTS[env].ahead else { return Vec::new() };
    let Some(i) = crate::estate::topology::index_of(service) else { return Vec::new() };
    let now = crate::estate::serve::now();
    let version = crate::estate::changes::next_version(crate::estate::TOPOLOGY[i].version);
    let kind = FaultKind::BadDeploy { version, error_ratio };
    vec![Fault { service: i, kind, from: now - 3.0 * 3600.0, until: now + 365.0 * 86_400.0 }]
}

/// How an environment is started when first opened.
enum Start {
    /// A config's environment: its direct scrape, if it has one.
    Config,
    Demo {
        seed: u64,
        env: usize,
    },
    Remote(url::Url),
}

/// One environment the console can open: its config once started, and what runs beside it.
struct Place {
    name: Option<String>,
    start: Start,
    started: bool,
    config: Option<Config>,
    estate: Option<mpsc::Sender<Control>>,
    changes: Option<broadcast::Sender<Change>>,
    fallback: Option<crate::config::HttpSource>,
    /// A demo estate's history is in.
    filled: Option<tokio::sync::watch::Receiver<bool>>,
}

impl Place {
    fn new(name: Option<String>, start: Start, config: Option<Config>) -> Self {
        Place { name, start, started: false, config, estate: None, changes: None, fallback: None, filled: None }
    }

    /// Start what it needs, the first time; its config from then on.
    async fn open(&mut self, shared: &Shared) -> Result<&Config> {
        if !self.started {
            self.start(shared).await?;
            self.started = true;
        }
        self.config.as_ref().ok_or_else(|| eyre!("the environment did not start"))
    }

    async fn start(&mut self, shared: &Shared) -> Result<()> {
        match &self.start {
            Start::Config => {
                let Some(c) = self.config.as_mut() else { return Ok(()) };
                if let Some(scrape) = &c.scrape {
                    let direct = crate::embedded::direct::start(scrape).await?;
                    let mut src = crate::config::HttpSource::new(direct.api);
                    src.name = "direct scrape".into();
                    // Without Prometheus the direct scrape is the source; with it, the fallback.
                    match c.prometheus {
                        None => c.prometheus = Some(src),
                        Some(_) => self.fallback = Some(src),
                    }
                }
            }
            Start::Demo { seed, env } => {
                let (seed, env) = (*seed, *env);
                // Binding is all that happens before the first frame; history and scraping follow.
                let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                let options = crate::embedded::demo::Options {
                    after: shared.after.clone(),
                    past: demo_past(env),
                    load: Some(DEMO_ENVIRONMENTS[env].load),
                };
                let demo = crate::embedded::demo::start_with(seed, loopback, options).await?;
                self.filled = Some(demo.filled.clone());
                let mut c = demo_config(&demo.api, seed, env);
                c.drills = shared.drills.clone();
                if env == shared.first {
                    c.start_drill = shared.drill.clone();
                }
                // Production has the demo's maintenance windows (two clash on Tuesdays, to show a
                // conflict), put where the console reads them; their silences go to its estate's
                // Alertmanager-compatible API, and are kept beside them for the next start.
                if env == 0 {
                    let windows = crate::runbooks::journal::dir().with_file_name("demo-maintenance.toml");
                    if let Some(d) = windows.parent() {
                        let _ = std::fs::create_dir_all(d);
                    }
                    crate::embedded::alertmanager::keep_silences(
                        &demo.shared,
                        windows.with_file_name("demo-silences.json"),
                    );
                    if std::fs::write(&windows, crate::maintenance::window::DEMO).is_ok() {
                        c.changes.maintenance = Some(crate::config::changes::MaintenanceSettings {
                            file: windows,
                            ahead: crate::maintenance::reconcile::AHEAD,
                        });
                    }
                }
                c.read_only |= shared.readonly;
                self.estate = Some(demo.control);
                self.changes = Some(demo.changes);
                self.config = Some(c);
            }
            Start::Remote(url) => {
                let mut c = Config::demo(url, 0);
                // Short: the header keeps it beside the drill's clock at 80 columns.
                c.estate = format!(
                    "estate {}",
                    url.host_str().map_or(url.to_string(), |h| match url.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_string(),
                    })
                );
                c.drills = shared.drills.clone();
                c.start_drill = shared.drill.clone();
                c.read_only |= shared.readonly;
                let (control, changes) = crate::estate::remote::connect(url.clone()).map_err(|e| eyre!(e))?;
                self.estate = Some(control);
                self.changes = Some(changes);
                self.config = Some(c);
            }
        }
        Ok(())
    }

    fn attached(&self) -> Attached {
        Attached {
            estate: self.estate.clone(),
            estate_changes: self.changes.as_ref().map(broadcast::Sender::subscribe),
            fallback: self.fallback.clone(),
        }
    }
}

/// What every environment of the demo shares.
struct Shared {
    drills: Vec<crate::drills::Scenario>,
    drill: Option<(crate::drills::Scenario, bool)>,
    /// The environment opened first (the drill's).
    first: usize,
    readonly: bool,
    /// The first demo estate's history is in: the others' backfills wait for it.
    after: Option<tokio::sync::watch::Receiver<bool>>,
}

/// The demo's environment `env`: its estate's config, with its objectives.
pub fn demo_config(api: &url::Url, seed: u64, env: usize) -> Config {
    let mut c = Config::demo(api, seed);
    let e = &DEMO_ENVIRONMENTS[env];
    c.environment = Some(crate::config::environment::Environment { name: e.name.into(), colour: None });
    c.environments = DEMO_ENVIRONMENTS.iter().map(|e| e.name.to_string()).collect();
    c.slo_defaults.availability = e.availability;
    let calendar = e.business_hours.then(|| crate::slo::Calendar::business_hours(chrono_tz::Europe::Berlin));
    c.slo_defaults.calendar = calendar.clone();
    for s in &mut c.services {
        s.targets.availability = e.availability;
        s.targets.calendar = calendar.clone();
    }
    c
}

/// Run the console; its exit code.
pub fn console(rt: &tokio::runtime::Runtime, watch: Watch, drill: Option<(crate::drills::Scenario, bool)>) -> ExitCode {
    // A bad config is reported before the terminal is touched: nothing is drawn.
    let (mut places, first, readonly) = match watch {
        Watch::Config(choice) => match super::resolve_environments(choice.clone()) {
            // No config file and no Prometheus: the built-in demo estate.
            Ok(envs)
                if envs.all.len() == 1
                    && envs.all[0].prometheus.is_none()
                    && envs.all[0].scrape.is_none()
                    && envs.all[0].path.is_none() =>
            {
                match demo_places(crate::embedded::demo::DEFAULT_SEED, choice.env.as_deref()) {
                    Ok((p, first)) => (p, first, choice.readonly),
                    Err(e) => return fail(e),
                }
            }
            Ok(envs) => {
                let first = match envs.index(choice.env.as_deref()) {
                    Ok(i) => i,
                    Err(e) => return fail(e),
                };
                let places = envs
                    .all
                    .into_iter()
                    .map(|c| Place::new(c.environment.as_ref().map(|e| e.name.clone()), Start::Config, Some(c)))
                    .collect();
                (places, first, choice.readonly)
            }
            // Located already (file:line:col), as `config check` prints it.
            Err(e) => return report(e),
        },
        Watch::Demo { seed, choice } => match demo_places(seed, choice.env.as_deref()) {
            Ok((p, first)) => (p, first, choice.readonly),
            Err(e) => return fail(e),
        },
        Watch::Remote { url, choice } => {
            // An estate elsewhere that does not answer is said before the terminal is touched.
            if let Err(e) = rt.block_on(crate::estate::remote::check(&url)) {
                return fail(format!(
                    "no estate at {url}: {e}\n(start one with `watchpost estate serve`; give --estate the API address it prints)"
                ));
            }
            (vec![Place::new(None, Start::Remote(url), None)], 0, choice.readonly)
        }
    };
    let needs_drills = places.iter().any(|p| !matches!(p.start, Start::Config));
    // Drill scenarios, the user's included: a bad file is reported like a bad config.
    let drills = match needs_drills.then(crate::drills::scenario::all) {
        None => Vec::new(),
        Some(Ok(d)) => d,
        Some(Err(e)) => return report(e.to_string()),
    };
    let mut shared = Shared { drills, drill, first, readonly, after: None };
    let result = rt.block_on(async {
        let mut here = first;
        let config = places[here].open(&shared).await?;
        tracing::info!(estate = %config.estate, services = config.services.len(), "starting console");
        // Every environment runs from the start (a summary of each is on the Environments screen);
        // binding is all that happens now, and the demo's others fill their history after the first's.
        shared.after = places[here].filled.clone();
        for p in places.iter_mut() {
            p.open(&shared).await?;
        }
        let configs: Vec<Config> = places.iter().filter_map(|p| p.config.clone()).collect();
        let mut tui = Tui::enter()?;
        // Input is read from here on, in raw mode, by one reader for the console's whole life.
        let mut session = Session::new(crate::term::events());
        if configs.len() > 1 {
            let (summaries, handles) = crate::sources::environment::spawn(&configs);
            (session.summaries, session.envs) = (Some(summaries), handles);
        }
        let mut at = Resume::default();
        loop {
            let config = places[here].open(&shared).await?.clone();
            let attached = places[here].attached();
            let exit = run(&config, &mut tui, attached, &mut session, at).await?;
            // The drill `drill run` armed is armed once: coming back does not start it again.
            if let Some(c) = places[here].config.as_mut() {
                c.start_drill = None;
            }
            match exit {
                Exit::Switch { to, at: left } => {
                    here = places.iter().position(|p| p.name.as_deref() == Some(to.as_str())).unwrap_or(here);
                    tracing::info!(environment = %to, "switching environment");
                    at = left;
                }
                exit => return Ok::<Exit, color_eyre::eyre::Report>(exit),
            }
        }
    });
    // Tui is dropped (terminal restored) before anything is printed.
    match result {
        Ok(Exit::Quit | Exit::Switch { .. }) => ExitCode::SUCCESS,
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

/// The demo's environments (none started yet) and the one to open: `env`, else production.
fn demo_places(seed: u64, env: Option<&str>) -> Result<(Vec<Place>, usize), String> {
    let first = match env {
        None => 0,
        Some(n) => DEMO_ENVIRONMENTS.iter().position(|e| e.name == n).ok_or_else(|| {
            let names: Vec<&str> = DEMO_ENVIRONMENTS.iter().map(|e| e.name).collect();
            format!("no environment `{n}` in the demo: expected one of {}", names.join(", "))
        })?,
    };
    let places = DEMO_ENVIRONMENTS
        .iter()
        .enumerate()
        .map(|(i, e)| Place::new(Some(e.name.into()), Start::Demo { seed: seed + e.seed_offset, env: i }, None))
        .collect();
    Ok((places, first))
}

/// A problem that says where it is already (a config's or a scenario's, at file:line:col): printed as
/// it is.
fn report(e: String) -> ExitCode {
    eprintln!("{e}");
    ExitCode::FAILURE
}
