//! A test exporter with known figures: 10 requests/s, 1 % of them HTTP 500, and a latency histogram
//! whose p95 is 162.5 ms (50 % ≤ 50 ms, 90 % ≤ 100 ms, 98 % ≤ 200 ms, all ≤ 500 ms).
use axum::{Router, routing::get};
use std::time::Instant;

pub const RATE: f64 = 10.0;
pub const ERROR_RATIO: f64 = 0.01;
/// histogram_quantile(0.95) interpolates linearly inside (0.1, 0.2]: 0.1 + 0.1 × (0.95 − 0.90)/(0.98 − 0.90).
pub const P95: f64 = 0.1625;

fn metrics(started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64();
    let total = RATE * secs;
    let errors = total * ERROR_RATIO;
    let b = |share: f64| total * share;
    format!(
        "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n\
         http_requests_total{{code=\"200\"}} {ok}\nhttp_requests_total{{code=\"500\"}} {errors}\n\
         # HELP http_request_duration_seconds Latency.\n# TYPE http_request_duration_seconds histogram\n\
         http_request_duration_seconds_bucket{{le=\"0.05\"}} {b50}\n\
         http_request_duration_seconds_bucket{{le=\"0.1\"}} {b90}\n\
         http_request_duration_seconds_bucket{{le=\"0.2\"}} {b98}\n\
         http_request_duration_seconds_bucket{{le=\"0.5\"}} {total}\n\
         http_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}\n\
         http_request_duration_seconds_sum {sum}\nhttp_request_duration_seconds_count {total}\n\
         # HELP process_cpu_seconds_total CPU.\n# TYPE process_cpu_seconds_total counter\n\
         process_cpu_seconds_total {cpu}\n",
        ok = total - errors,
        b50 = b(0.5),
        b90 = b(0.9),
        b98 = b(0.98),
        sum = total * 0.07,
        cpu = secs * 0.25,
    )
}

/// Serve on an ephemeral loopback port from a thread of its own; returns the port.
pub fn start() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind exporter");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let started = Instant::now();
            let app = Router::new().route("/metrics", get(move || async move { metrics(started) }));
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    port
}
