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

/// `watchpost estate serve`: the demo's estate and every API it serves, on `listen` and the ports after
/// it; runs until SIGINT or SIGTERM.
pub async fn estate_serve(seed: u64, listen: std::net::SocketAddr) -> ExitCode {
    let ports = crate::estate::TOPOLOGY.len() as u16 + 1;
    if listen.port() != 0 && listen.port().checked_add(ports - 1).is_none() {
        return fail(format!("--listen {listen}: the estate needs {ports} ports from it, past 65535"));
    }
    let demo = match crate::embedded::demo::start_on(seed, listen).await {
        Ok(d) => d,
        Err(e) => return fail(format!("cannot listen on {listen} and the {} ports after it: {e}", ports - 1)),
    };
    print!("{}", announce(seed, &demo));
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
        return ExitCode::FAILURE;
    };
    let history = async {
        if demo.history_in(std::time::Duration::from_secs(600)).await {
            println!("ready: 30 days of history in, the estate live from now");
        } else {
            println!("the history is not in after 10 minutes: the APIs answer as an empty Prometheus");
        }
        let _ = std::io::stdout().flush();
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = history => {}
    }
    ExitCode::SUCCESS
}

/// What `estate serve` prints: each service's endpoint, each API's address with a client to try on
/// it, and a scrape config for a Prometheus of one's own.
pub fn announce(seed: u64, demo: &crate::embedded::demo::Demo) -> String {
    let api = demo.api.as_str();
    let base = api.trim_end_matches('/');
    let mut s = format!("watchpost estate, seed {seed}: {} services\n", demo.endpoints.len());
    for e in &demo.endpoints {
        s.push_str(&format!("  {:<10} {}\n", e.service, e.url()));
    }
    s.push_str(&format!("\nAPIs, all at {api} (the history fills first: a few seconds)\n"));
    let apis = [
        ("Prometheus", api.to_string(), format!("promtool query instant {base} 'sum by (job) (up)'")),
        ("Alertmanager v2", api.to_string(), format!("amtool --alertmanager.url={base} alert query")),
        ("Loki", api.to_string(), format!("logcli --addr={base} query '{{service=\"payments\"}}'")),
        ("Jaeger query", api.to_string(), format!("curl {base}/api/services")),
        ("Tempo", format!("{base}/tempo"), format!("curl '{base}/tempo/api/search?tags=service.name%3Dpayments'")),
        ("PagerDuty-like", api.to_string(), format!("curl {base}/incidents")),
        ("deploy API", format!("{base}/estate/v1"), format!("curl {base}/estate/v1/services")),
        ("a drill on it", String::new(), format!("watchpost drill run NAME --estate {api}")),
    ];
    let w = apis.iter().map(|a| a.1.len()).max().unwrap_or(0);
    for (what, url, try_it) in apis {
        s.push_str(&format!("  {what:<16} {url:<w$}  {try_it}\n"));
    }
    s.push_str(&format!(
        "\n# Prometheus scrape config for these endpoints:\n{}\n",
        crate::estate::serve::scrape_config(&demo.endpoints)
    ));
    s
}
