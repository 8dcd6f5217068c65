//! `watchpost estate serve` and `watchpost estate export`.
use super::{fail, parse_time};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::process::ExitCode;

/// `watchpost estate export`.
pub fn estate_export(seed: u64, from: &str, to: &str, step: &str, output: Option<PathBuf>) -> ExitCode {
    let now = Utc::now();
    let window = parse_time(from, now).and_then(|f| Ok((f, parse_time(to, now)?, crate::time::parse_duration(step)?)));
    let (from, to, step) = match window {
        Ok(w) => w,
        Err(e) => return fail(e),
    };
    let secs = |t: DateTime<Utc>| t.timestamp_millis() as f64 / 1000.0;
    let written = match &output {
        Some(path) => std::fs::File::create(path)
            .and_then(|mut f| crate::estate::export::write(seed, secs(from), secs(to), step.as_secs_f64(), &mut f)),
        None => crate::estate::export::write(seed, secs(from), secs(to), step.as_secs_f64(), &mut std::io::stdout()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("export failed: {e}")),
    }
}

/// `watchpost estate serve`: runs until SIGINT or SIGTERM.
pub async fn estate_serve(seed: u64, listen: std::net::SocketAddr) -> ExitCode {
    let served = match crate::estate::serve::start(seed, listen).await {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot listen on {listen}: {e}")),
    };
    let endpoints = served.endpoints;
    println!("watchpost estate, seed {seed}: {} services", endpoints.len());
    for e in &endpoints {
        println!("  {:<10} {}", e.service, e.url());
    }
    println!("  deploy API http://{}/estate/v1/services", served.api);
    println!("\n# Prometheus scrape config for these endpoints:\n{}", crate::estate::serve::scrape_config(&endpoints));
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
        return ExitCode::FAILURE;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    ExitCode::SUCCESS
}
