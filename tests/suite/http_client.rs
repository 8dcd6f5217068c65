//! The HTTP layer every source uses: timeout, size cap (counted as bytes arrive), retry with backoff for
//! transient failures only, credentials and extra headers on every request, and the circuit breaker.
//! The servers here are axum fixtures speaking the Prometheus API's documented envelope
//! (prometheus.io/docs/prometheus/latest/querying/api/#format-overview).
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use watchpost::config::{Auth, HttpSource, Secret};
use watchpost::sources::SourceState;
use watchpost::sources::http::FetchError;
use watchpost::sources::prometheus::Prometheus;

const OK: &str = r#"{"status":"success","data":{"resultType":"scalar","result":[1,"42"]}}"#;

async fn serve(app: Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    url
}

/// A server that takes the request and does not answer for 30 s.
async fn hang() -> &'static str {
    tokio::time::sleep(Duration::from_secs(30)).await;
    OK
}

fn source(url: &str) -> HttpSource {
    let mut s = HttpSource::new(url.parse().unwrap());
    s.timeout = Duration::from_millis(500);
    s
}

#[tokio::test]
async fn credentials_and_headers_go_on_every_request() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let app = Router::new().route(
        "/api/v1/query",
        get(move |h: HeaderMap| async move {
            let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            s2.lock().unwrap().push((get("authorization"), get("x-scope-orgid")));
            OK
        }),
    );
    let url = serve(app).await;
    let mut src = source(&url);
    src.auth = Auth::Bearer(Secret::new("t0ken".into()));
    src.headers = vec![("X-Scope-OrgID".into(), "team-a".into())];
    let p = Prometheus::new(&src).unwrap();
    assert_eq!(p.query("x", Utc::now()).await.unwrap().result.single(), Some(42.0));
    src.auth = Auth::Basic { username: "ops".into(), password: Secret::new("pw".into()) };
    Prometheus::new(&src).unwrap().query("x", Utc::now()).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0], ("Bearer t0ken".to_string(), "team-a".to_string()));
    assert_eq!(seen[1].0, "Basic b3BzOnB3");
    assert_eq!(format!("{:?}", Secret::new("t0ken".into())), "Secret(***)", "never printed");
}

#[tokio::test]
async fn responses_over_the_cap_are_refused() {
    let big = "x".repeat(64 * 1024);
    let app = Router::new()
        .route("/api/v1/query", get(move || async move { big }))
        // Chunked, no Content-Length: the cap must hold while reading.
        .route(
            "/api/v1/labels",
            get(move || async move {
                let chunks = (0..64).map(|_| Ok::<_, std::io::Error>("x".repeat(1024)));
                Response::new(Body::from_stream(futures::stream::iter(chunks)))
            }),
        );
    let url = serve(app).await;
    let mut src = source(&url);
    src.max_response_bytes = 16 * 1024;
    let p = Prometheus::new(&src).unwrap();
    assert_eq!(p.query("x", Utc::now()).await.unwrap_err(), FetchError::TooLarge { limit: 16 * 1024 });
    assert_eq!(p.label_names().await.unwrap_err(), FetchError::TooLarge { limit: 16 * 1024 });
}

#[tokio::test]
async fn a_hanging_server_times_out() {
    let app = Router::new().route("/api/v1/query", get(hang));
    let p = Prometheus::new(&source(&serve(app).await)).unwrap();
    let started = Instant::now();
    let err = p.query("x", Utc::now()).await.unwrap_err();
    assert_eq!(err, FetchError::Timeout(Duration::from_millis(500)));
    // Three attempts of 500 ms with short backoff between them, not 30 s.
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn transient_errors_are_retried_and_refusals_are_not() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let bad = Arc::new(AtomicUsize::new(0));
    let b = bad.clone();
    let app = Router::new()
        .route(
            "/api/v1/query",
            get(move || {
                let n = h.fetch_add(1, Ordering::SeqCst);
                async move { if n == 0 { (StatusCode::SERVICE_UNAVAILABLE, "busy") } else { (StatusCode::OK, OK) } }
            }),
        )
        .route(
            "/api/v1/query_range",
            get(move || {
                b.fetch_add(1, Ordering::SeqCst);
                async {
                    (StatusCode::BAD_REQUEST, r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error"}"#)
                }
            }),
        );
    let p = Prometheus::new(&source(&serve(app).await)).unwrap();
    assert_eq!(p.query("x", Utc::now()).await.unwrap().result.single(), Some(42.0));
    assert_eq!(hits.load(Ordering::SeqCst), 2, "a 503 is retried");
    let now = Utc::now();
    let err = p.query_range("x", now, now, Duration::from_secs(15)).await.unwrap_err();
    assert!(matches!(&err, FetchError::Api { kind, .. } if kind.as_str() == "bad_data"), "{err:?}");
    assert_eq!(bad.load(Ordering::SeqCst), 1, "a refused query is not sent again");
    assert_eq!(p.http.health().borrow().state, SourceState::Ok, "a bad query is not a sick server");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let hits = Arc::new(std::sync::Mutex::new(Vec::new()));
    let h = hits.clone();
    let app = Router::new().route(
        "/api/v1/query",
        get(move || {
            let mut seen = h.lock().unwrap();
            seen.push(Instant::now());
            let first = seen.len() == 1;
            async move {
                if first {
                    Response::builder().status(429).header("Retry-After", "1").body(Body::from("slow down")).unwrap()
                } else {
                    Response::new(Body::from(OK))
                }
            }
        }),
    );
    let p = Prometheus::new(&source(&serve(app).await)).unwrap();
    assert_eq!(p.query("x", Utc::now()).await.unwrap().result.single(), Some(42.0));
    let seen = hits.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen[1] - seen[0] >= Duration::from_millis(950), "waited as asked: {:?}", seen[1] - seen[0]);

    // "Come back in an hour" is not waited for inside a request.
    let app = Router::new().route(
        "/api/v1/query",
        get(|| async { Response::builder().status(429).header("Retry-After", "3600").body(Body::from("no")).unwrap() }),
    );
    let p = Prometheus::new(&source(&serve(app).await)).unwrap();
    let started = Instant::now();
    let e = p.query("x", Utc::now()).await.unwrap_err();
    assert!(matches!(e, FetchError::Status { code: 429, retry_after: Some(_), .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn the_circuit_opens_and_stops_calling() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/api/v1/query",
        get(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async { (StatusCode::INTERNAL_SERVER_ERROR, "down") }
        }),
    );
    let p = Prometheus::new(&source(&serve(app).await)).unwrap();
    for _ in 0..3 {
        let e = p.query("x", Utc::now()).await.unwrap_err();
        assert!(matches!(e, FetchError::Status { code: 500, .. }), "{e:?}");
    }
    let before = hits.load(Ordering::SeqCst);
    assert_eq!(before, 9, "three requests, each tried three times");
    let e = p.query("x", Utc::now()).await.unwrap_err();
    assert!(matches!(e, FetchError::CircuitOpen { .. }), "{e:?}");
    assert_eq!(hits.load(Ordering::SeqCst), before, "nothing sent while open");
    let h = p.http.health().borrow().clone();
    assert_eq!(h.state, SourceState::CircuitOpen);
    assert!(h.retry_at.is_some() && h.failing_since.is_some());
    assert!(h.last_error.unwrap().as_str().contains("HTTP 500"));
}

/// A half-open probe whose task is aborted (a log follow replaced, a round superseded) hands the probe
/// back: the next request probes, and the circuit closes when it succeeds. It stayed open for good.
#[tokio::test]
async fn an_aborted_probe_does_not_keep_the_circuit_open() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/api/v1/query",
        get(move || {
            let n = h.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0..9 => Response::builder().status(500).body(Body::from("down")).unwrap(),
                    // The probe: hangs until its caller gives up.
                    9 => Response::new(Body::from(hang().await)),
                    _ => Response::new(Body::from(OK)),
                }
            }
        }),
    );
    let p = Arc::new(Prometheus::new(&source(&serve(app).await)).unwrap());
    for _ in 0..3 {
        p.query("x", Utc::now()).await.unwrap_err();
    }
    assert!(matches!(p.query("x", Utc::now()).await, Err(FetchError::CircuitOpen { .. })));
    // Wait out the cool-down (5 s with jitter), then send the probe and abort it.
    let until = p.http.health().borrow().retry_at.unwrap();
    tokio::time::sleep((until - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(100)).await;
    let probe = {
        let p = p.clone();
        tokio::spawn(async move { p.query("x", Utc::now()).await })
    };
    while hits.load(Ordering::SeqCst) < 10 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    probe.abort();
    let _ = probe.await;
    assert_eq!(p.query("x", Utc::now()).await.unwrap().result.single(), Some(42.0), "the next request probes");
    assert_eq!(p.http.health().borrow().state, SourceState::Ok);
}

/// A server that takes the connection and never answers: the header says the source is slow, and why,
/// at the first timeout, while the request's later tries are still out.
#[tokio::test]
async fn a_server_that_never_answers_is_called_slow_at_the_first_timeout() {
    let app = Router::new().route("/api/v1/query", get(hang));
    let p = Arc::new(Prometheus::new(&source(&serve(app).await)).unwrap());
    let mut health = p.http.health();
    let pending = {
        let p = p.clone();
        tokio::spawn(async move { p.query("x", Utc::now()).await })
    };
    assert_eq!(health.borrow_and_update().state, SourceState::Connecting);
    health.changed().await.unwrap();
    let h = health.borrow_and_update().clone();
    assert!(!pending.is_finished(), "said before the last try ends");
    assert_eq!(h.state, SourceState::Slow);
    let why = h.last_error.unwrap();
    assert!(why.as_str().contains("timed out after 500ms") && why.as_str().contains("trying again"), "{why}");
    assert_eq!(pending.await.unwrap().unwrap_err(), FetchError::Timeout(Duration::from_millis(500)));
    assert_eq!(health.borrow().state, SourceState::Failing);
}

#[tokio::test]
async fn a_slow_answer_marks_the_source_slow_and_a_fast_one_clears_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = Router::new().route(
        "/api/v1/query",
        get(move || {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                OK
            }
        }),
    );
    let mut src = source(&serve(app).await);
    src.slow_after = Duration::from_millis(150);
    let p = Prometheus::new(&src).unwrap();
    p.query("x", Utc::now()).await.unwrap();
    assert_eq!(p.http.health().borrow().state, SourceState::Slow);
    p.query("x", Utc::now()).await.unwrap();
    assert_eq!(p.http.health().borrow().state, SourceState::Ok);
}

/// Many consoles share one Prometheus: a source has at most `max_in_flight` requests out at once, an
/// identical GET still in flight is not sent again, and a long query goes as a POST form.
#[tokio::test]
async fn requests_in_flight_are_bounded_and_identical_ones_shared() {
    let (now, peak, total) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (n2, p2, t2) = (now.clone(), peak.clone(), total.clone());
    let handler = move || {
        let (n, p, t) = (n2.clone(), p2.clone(), t2.clone());
        async move {
            t.fetch_add(1, Ordering::SeqCst);
            let c = n.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(c, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            n.fetch_sub(1, Ordering::SeqCst);
            OK
        }
    };
    let posted = Arc::new(std::sync::Mutex::new(String::new()));
    let p3 = posted.clone();
    let post = move |body: String| async move {
        *p3.lock().unwrap() = body;
        OK
    };
    let app = Router::new().route("/api/v1/query", get(handler).post(post));
    let url = serve(app).await;
    let mut src = source(&url);
    src.timeout = Duration::from_secs(5);
    assert_eq!(src.max_in_flight, 4, "the default");
    let p = Prometheus::new(&src).unwrap();
    let at = Utc::now();
    let distinct: Vec<String> = (0..12).map(|i| format!("vector({i})")).collect();
    let answers = futures::future::join_all(distinct.iter().map(|q| p.query(q, at))).await;
    assert!(answers.iter().all(Result::is_ok));
    assert_eq!(total.load(Ordering::SeqCst), 12);
    assert_eq!(peak.load(Ordering::SeqCst), 4, "never more than four at once");

    total.store(0, Ordering::SeqCst);
    let same = futures::future::join_all((0..8).map(|_| p.query("up", at))).await;
    assert!(same.iter().all(|r| r.as_ref().unwrap().result.single() == Some(42.0)));
    assert_eq!(total.load(Ordering::SeqCst), 1, "eight identical queries, one request");

    // A regex of a thousand job names does not go in the URL.
    let long = format!("up{{job=~\"{}\"}}", (0..1000).map(|i| format!("svc-{i}")).collect::<Vec<_>>().join("|"));
    assert!(p.query(&long, at).await.is_ok());
    let body = posted.lock().unwrap().clone();
    assert!(
        body.starts_with("query=up%7Bjob%3D%7E%22svc-0%7Csvc-1%7C") && body.contains("&time="),
        "{}",
        &body[..80.min(body.len())]
    );
}

/// A round of the poller costs the same number of queries at ten services as at a thousand: one per
/// figure (and window) for all conventional services, and one more for a service with its own query.
#[tokio::test]
async fn a_round_costs_the_same_at_ten_and_a_thousand_services() {
    use watchpost::config::Service;
    use watchpost::slo::Targets;
    use watchpost::sources::prometheus::Update;
    use watchpost::sources::prometheus::poller::Poller;
    const EMPTY: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
    const EMPTY_RANGE: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
    async fn round(n: usize, overridden: bool) -> (usize, usize) {
        let (instant, range) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (i2, r2) = (instant.clone(), range.clone());
        let app = Router::new()
            .route(
                "/api/v1/query",
                get({
                    let i = i2.clone();
                    move || async move {
                        i.fetch_add(1, Ordering::SeqCst);
                        EMPTY
                    }
                })
                .post(move |_form: String| async move {
                    i2.fetch_add(1, Ordering::SeqCst);
                    EMPTY
                }),
            )
            .route(
                "/api/v1/query_range",
                get({
                    let r = r2.clone();
                    move || async move {
                        r.fetch_add(1, Ordering::SeqCst);
                        EMPTY_RANGE
                    }
                })
                .post(move |_form: String| async move {
                    r2.fetch_add(1, Ordering::SeqCst);
                    EMPTY_RANGE
                }),
            );
        let url = serve(app).await;
        let p = Prometheus::new(&source(&url)).unwrap();
        let mut services: Vec<Service> =
            (0..n).map(|i| Service::conventional(&format!("svc-{i}"), Targets::default())).collect();
        if overridden {
            services[0].queries.requests = "sum(rate(my_requests_total[$window]))".into();
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let (_cmd, cmd_rx) = tokio::sync::mpsc::channel(4);
        let poller = Poller::new(p, services, false, Targets::default(), Duration::from_secs(3600), tx);
        tokio::spawn(poller.run(cmd_rx));
        let mut seen = (false, false, false);
        while seen != (true, true, true) {
            match tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("a round").unwrap() {
                Update::Round(r) => seen.0 = r.len() == n,
                Update::SparksRound(r) => seen.1 = r.len() == n,
                Update::Availability(r) => seen.2 = r.len() == n,
                _ => {}
            }
        }
        (instant.load(Ordering::SeqCst), range.load(Ordering::SeqCst))
    }
    // The round's figures — up (targets up, targets in all), rate, error ratio, p95, saturation and
    // three more burn windows — go as one combined query; the availability (its own lane) is another.
    // The four sparklines are one combined range query.
    assert_eq!(round(10, false).await, (2, 1));
    assert_eq!(round(1000, false).await, (2, 1), "flat with the estate's size");
    // A service with its own request rate is asked on its own for every figure built on it: the rate,
    // the error ratio over each of the four windows and the availability; and two sparklines.
    assert_eq!(round(1000, true).await, (2 + 5 + 1, 1 + 2));
}

/// A server that cannot take the combined query (Prometheus's limit on samples, a proxy's on length)
/// still gets every figure, asked one by one, and is not sent a combined query again.
#[tokio::test]
async fn a_refused_combined_query_falls_back_to_one_query_per_figure() {
    use std::collections::HashMap;
    use watchpost::config::Service;
    use watchpost::slo::Targets;
    use watchpost::sources::prometheus::figures::poll_estate;
    let combined = Arc::new(AtomicUsize::new(0));
    let seen = combined.clone();
    let app = Router::new().route(
        "/api/v1/query",
        get(move |axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>| async move {
            let query = &q["query"];
            if query.contains("watchpost_ask") {
                seen.fetch_add(1, Ordering::SeqCst);
                // Prometheus 2.42's answer past --query.max-samples.
                let body = r#"{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}"#;
                return Response::builder().status(422).body(Body::from(body)).unwrap();
            }
            let v = if query.starts_with("count by") { 2 } else { 1 };
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{"job":"a"}},"value":[1,"{v}"]}},{{"metric":{{"job":"b"}},"value":[1,"{v}"]}}]}}}}"#
            );
            Response::new(Body::from(body))
        }),
    );
    let url = serve(app).await;
    let p = Prometheus::new(&source(&url)).unwrap();
    let services: Vec<Service> = ["a", "b"].iter().map(|j| Service::conventional(j, Targets::default())).collect();
    for round in 0..2 {
        let figures = poll_estate(&p, &services, Utc::now()).await.expect("figures");
        for f in &figures {
            assert_eq!(f.up, Some((1, 2)), "round {round}: {f:?}");
            assert_eq!((f.rate, f.p95, f.window_ratios[3]), (Some(1.0), Some(1.0), Some(1.0)), "round {round}");
            assert!(f.problems.is_empty(), "{:?}", f.problems);
        }
    }
    assert_eq!(combined.load(Ordering::SeqCst), 1, "asked combined once, then one by one");
    assert!(!p.combines());
}
