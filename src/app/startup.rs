//! Starting the console's sources and workers: a task per configured source, the audit gate, runbook
//! and rollback workers, the maintenance windows' keeper. What they send comes back through the
//! [`Inbox`]; what the console asks of them goes out through the [`Runtime`]'s channels.
use super::event_loop::{Attached, Runtime};
use super::state::App;
use crate::config::{Config, LogSource};
use crate::sources::alertmanager::poller::AlertPoller;
use crate::sources::alertmanager::{AlertUpdate, Alertmanager};
use crate::sources::logs::elastic::Elastic;
use crate::sources::logs::loki::Loki;
use crate::sources::logs::{LogStore, LogUpdate};
use crate::sources::opsgenie::Opsgenie;
use crate::sources::pagerduty::PagerDuty;
use crate::sources::pagerduty::poller::IncidentUpdate;
use crate::sources::prometheus::poller::Poller;
use crate::sources::prometheus::{Prometheus, Update};
use crate::sources::traces::{TraceStore, TraceUpdate};
use color_eyre::eyre::{Result, eyre};
use std::time::Duration;
use tokio::sync::mpsc;

/// Where every source's and worker's messages arrive.
pub(super) struct Inbox {
    pub prometheus: mpsc::Receiver<Update>,
    pub alerts: mpsc::Receiver<AlertUpdate>,
    pub incidents: mpsc::Receiver<IncidentUpdate>,
    pub logs: mpsc::Receiver<LogUpdate>,
    pub traces: mpsc::Receiver<TraceUpdate>,
    pub refused: mpsc::Receiver<crate::ops::gate::Refused>,
    pub audit: mpsc::Receiver<crate::screens::audit::state::AuditRead>,
    pub runs: mpsc::Receiver<crate::ops::runbook_tasks::RunUpdate>,
    pub rollbacks: mpsc::Receiver<crate::ops::rollback_tasks::RollbackUpdate>,
    pub window_passes: mpsc::Receiver<crate::maintenance::reconcile::Pass>,
    pub windows_added: mpsc::Receiver<Result<String, String>>,
    pub estate_changes: Option<tokio::sync::broadcast::Receiver<crate::estate::changes::Change>>,
    _open: Open,
}

/// A sender for each channel whose source may be off, kept so that its receiver never reads as closed
/// (a closed `recv_many` returns at once, every turn). The other way round, the command channel of a
/// source that is off is closed: what the console sends it is not delivered, and the screen says the
/// source is not configured.
struct Open {
    _prometheus: mpsc::Sender<Update>,
    _alerts: mpsc::Sender<AlertUpdate>,
    _incidents: mpsc::Sender<IncidentUpdate>,
    _logs: mpsc::Sender<LogUpdate>,
    _traces: mpsc::Sender<TraceUpdate>,
    _window_passes: mpsc::Sender<crate::maintenance::reconcile::Pass>,
    _windows_added: Option<mpsc::Sender<Result<String, String>>>,
}

/// Start what the config names, and the workers every console has.
pub(super) fn start(config: &Config, app: &mut App, attached: Attached) -> Result<(Runtime, Inbox)> {
    // One client per source, shared by the poller, runbook steps and rollback watches, so its bound on
    // requests in flight (and connections) holds for the whole console.
    let prom = match &config.prometheus {
        Some(src) => Some(Prometheus::new(src).map_err(|e| eyre!("prometheus client: {e}"))?),
        None => None,
    };
    let (tx, prometheus) = mpsc::channel::<Update>(1024);
    let (prom_cmd, cmd_rx) = mpsc::channel(64);
    if let Some(p) = &prom {
        let mut poller = Poller::new(
            p.clone(),
            config.services.clone(),
            config.discover,
            config.slo_defaults.clone(),
            config.refresh,
            tx.clone(),
        )
        .with_group_label(config.overview.group_by.clone());
        if let Some(f) = &attached.fallback {
            poller = poller.with_fallback(Prometheus::new(f).map_err(|e| eyre!("direct-scrape client: {e}"))?);
        }
        tokio::spawn(poller.run(cmd_rx));
    }
    let (alert_tx, alerts) = mpsc::channel::<AlertUpdate>(256);
    let (alert_cmd, alert_cmd_rx) = mpsc::channel(16);
    if !config.alertmanagers.is_empty() {
        let servers = alertmanagers(config).map_err(|e| eyre!("alertmanager client: {e}"))?;
        let every = config.refresh.max(Duration::from_secs(2));
        tokio::spawn(AlertPoller::new(servers, every, alert_tx.clone()).run(alert_cmd_rx));
    }
    let (incident_tx, incidents) = mpsc::channel::<IncidentUpdate>(64);
    let (pagerduty, opsgenie) = start_incidents(config, &incident_tx)?;
    let (log_tx, logs) = mpsc::channel::<LogUpdate>(256);
    let log_cmd = start_logs(config, &log_tx)?;
    let (trace_tx, traces) = mpsc::channel::<TraceUpdate>(64);
    let (trace_cmd, trace_cmd_rx) = mpsc::channel(16);
    if let Some(t) = &config.traces {
        let store = TraceStore::new(t).map_err(|e| eyre!("trace store client: {e}"))?;
        let every = crate::sources::traces::live_every(config.refresh);
        tokio::spawn(crate::sources::traces::run(store, every, trace_cmd_rx, trace_tx.clone()));
        app.request_live_traces();
    }

    // Every action is recorded before it goes out (the audit thread sends it once it is on disk).
    let policy = crate::ops::policy::find(config.policy_path.as_deref()).map_err(|e| {
        // `config check` reports a bad policy; here, with no readable policy, actions are refused.
        tracing::error!("policy: {e}");
        eyre!("the policy cannot be read: {e}")
    })?;
    let (gate, refused) = crate::ops::gate::spawn(
        config.audit_path.clone(),
        crate::ops::who::Who::current().in_environment(config.environment.as_ref()),
        policy.clone(),
    );
    let (audit_tx, audit) = mpsc::channel(4);
    load_runbooks(app);
    let (run_tx, runs) = mpsc::channel(256);
    let vault = config
        .vault
        .as_ref()
        .and_then(|v| crate::ops::vault::Vault::new(&v.source, &v.token, v.namespace.as_deref()).ok());
    let (rollback_tx, rollbacks) = mpsc::channel(256);
    let (rollback_cmd, rollback_cmd_rx) = mpsc::channel(8);
    tokio::spawn(crate::ops::rollback_tasks::run(rollback_cmd_rx, rollback_tx, prom.clone(), policy.clone()));
    let (window_tx, window_passes) = mpsc::channel(4);
    let (windows, windows_added, added_tx) = start_windows(config, &window_tx);

    let rt = Runtime {
        estate: attached.estate,
        gate,
        alertmanager: alert_cmd,
        pagerduty,
        opsgenie,
        run_tx,
        run_cmds: Default::default(),
        run_prom: prom,
        run_vault: vault,
        run_policy: policy,
        windows,
        rollbacks: rollback_cmd,
        audit: (app.audit.path.clone(), audit_tx),
        logs: log_cmd,
        traces: trace_cmd,
        prometheus: prom_cmd,
        history_path: super::history::path(),
        histories: Vec::new(),
    };
    let inbox = Inbox {
        prometheus,
        alerts,
        incidents,
        logs,
        traces,
        refused,
        audit,
        runs,
        rollbacks,
        window_passes,
        windows_added,
        estate_changes: attached.estate_changes,
        _open: Open {
            _prometheus: tx,
            _alerts: alert_tx,
            _incidents: incident_tx,
            _logs: log_tx,
            _traces: trace_tx,
            _window_passes: window_tx,
            _windows_added: added_tx,
        },
    };
    open_alone(app);
    Ok((rt, inbox))
}

/// A console for logs or traces alone opens on them, now that their store is asked.
fn open_alone(app: &mut App) {
    let range = chrono::Duration::from_std(app.range()).unwrap_or_default();
    let (from, to) = (app.now - range, app.now);
    match app.screen {
        crate::app::Screen::Logs => {
            app.screen = crate::app::Screen::Overview;
            app.open_logs(None, from, to, true);
        }
        crate::app::Screen::Traces => {
            app.screen = crate::app::Screen::Overview;
            app.open_traces(None, from, to);
        }
        _ => return,
    }
    app.nav.clear();
}

fn alertmanagers(config: &Config) -> Result<Vec<Alertmanager>, String> {
    config.alertmanagers.iter().map(|s| Alertmanager::new(s).map_err(|e| e.to_string())).collect()
}

/// PagerDuty's and Opsgenie's pollers (each when configured), and the channels that reach them.
type IncidentCommands = mpsc::Sender<crate::sources::pagerduty::poller::IncidentCommand>;
fn start_incidents(config: &Config, tx: &mpsc::Sender<IncidentUpdate>) -> Result<(IncidentCommands, IncidentCommands)> {
    let (pd_cmd, pd_cmd_rx) = mpsc::channel(16);
    let (og_cmd, og_cmd_rx) = mpsc::channel(16);
    let every = config.refresh.max(Duration::from_secs(15));
    if let Some(pd) = &config.pagerduty {
        let client = PagerDuty::new(&pd.source, pd.services.clone(), pd.teams.clone())
            .map_err(|e| eyre!("pagerduty client: {e}"))?;
        tokio::spawn(crate::sources::pagerduty::poller::run(client, every, tx.clone(), pd_cmd_rx));
    }
    if let Some(og) = &config.opsgenie {
        let client = Opsgenie::new(&og.source, og.query.clone()).map_err(|e| eyre!("opsgenie client: {e}"))?;
        tokio::spawn(crate::sources::opsgenie::run(client, every, tx.clone(), og_cmd_rx));
    }
    Ok((pd_cmd, og_cmd))
}

/// The log store's task (Loki or Elasticsearch/OpenSearch), when one is configured.
fn start_logs(config: &Config, tx: &mpsc::Sender<LogUpdate>) -> Result<mpsc::Sender<crate::sources::logs::LogCommand>> {
    let (cmd, cmd_rx) = mpsc::channel(16);
    if let Some(src) = &config.logs {
        let store = match src {
            LogSource::Loki { source, .. } => LogStore::Loki(Loki::new(source).map_err(|e| eyre!("loki client: {e}"))?),
            LogSource::Elastic(c) => {
                LogStore::Elastic(Elastic::new(c).map_err(|e| eyre!("elasticsearch client: {e}"))?)
            }
        };
        tokio::spawn(crate::sources::logs::run(store, cmd_rx, tx.clone()));
    }
    Ok(cmd)
}

/// Runbooks are read once at start (small local files); runs a crash or a dropped session interrupted
/// are offered again (`B`).
fn load_runbooks(app: &mut App) {
    app.runbooks.dirs = crate::cli::runbook_dirs();
    (app.runbooks.books, app.runbooks.problems) = crate::runbooks::load_all(&app.runbooks.dirs);
    let books = app.runbooks.books.clone();
    let env = app.environment.as_ref().map(|e| e.name.clone());
    let interrupted = crate::runbooks::journal::interrupted(&app.runbooks.journal_dir, env.as_deref(), |id| {
        books.iter().find(|b| b.id == id).map(crate::runbooks::Runbook::forward_steps)
    });
    app.offer_interrupted(interrupted);
}

/// Maintenance windows: their silences kept in line at start, every five minutes and after a window is
/// added from the console (which writes the team's file, audited first). The sender of added windows
/// comes back when no task took it.
type Added = Result<String, String>;
#[allow(clippy::type_complexity)]
fn start_windows(
    config: &Config,
    passes: &mpsc::Sender<crate::maintenance::reconcile::Pass>,
) -> (mpsc::Sender<crate::maintenance::console::Edit>, mpsc::Receiver<Added>, Option<mpsc::Sender<Added>>) {
    let (add_tx, add_rx) = mpsc::channel(4);
    let (added_tx, added) = mpsc::channel(4);
    if let Some(m) = &config.changes.maintenance {
        let servers: Vec<Alertmanager> =
            config.alertmanagers.iter().filter_map(|s| Alertmanager::new(s).ok()).collect();
        let every = Duration::from_secs(300);
        let wake = std::sync::Arc::new(tokio::sync::Notify::new());
        let (file, audit_path) = (m.file.clone(), config.audit_path.clone());
        tokio::spawn(crate::maintenance::console::run(add_rx, file, audit_path, wake.clone(), added_tx.clone()));
        tokio::spawn(crate::maintenance::reconcile::keep_in_line(
            m.clone(),
            (!config.read_only).then_some(servers),
            every,
            wake,
            config.audit_path.clone(),
            crate::ops::who::Who::current().in_environment(config.environment.as_ref()),
            passes.clone(),
        ));
        return (add_tx, added, None);
    }
    (add_tx, added, Some(added_tx))
}
