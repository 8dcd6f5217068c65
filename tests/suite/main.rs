//! The integration suite, one test binary (one link, one process start) for every area: each module
//! is one area's tests. Tests that set process-wide environment variables stay binaries of their own.
#[path = "../support/mod.rs"]
mod support;

mod alert_screens;
mod alertmanager_live;
mod audit;
mod changes_screen;
mod cli_query;
mod cli_shell;
mod config_files;
mod demo;
mod deploy_providers;
mod drill_console;
mod drills;
mod engine_differential;
mod engine_edge_cases;
mod environments;
mod estate_export;
mod estate_serve;
mod estate_telemetry;
mod failover;
mod forms;
mod http_client;
mod incident_screens;
mod layers;
mod log_stores;
mod log_trace_screens;
mod maintenance;
mod messages;
mod navigation;
mod overview_keys;
mod prometheus_live;
mod readme;
mod rollback;
mod rollback_console;
mod runbook_console;
mod runbook_drills;
mod runbook_runs;
mod runbooks;
mod sanitize_props;
mod terminal;
mod trace_stores;
mod ui_snapshots;
mod vault;
