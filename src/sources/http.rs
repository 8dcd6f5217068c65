//! One HTTP client per source: every request has a timeout, a response size cap (bytes are counted as
//! they arrive: reqwest has no cap of its own), retries with exponential backoff and jitter for transient
//! failures, and the source's circuit breaker. Outcomes feed the source's health.
//!
//! The client is bounded so that many consoles can share one server: at most `max_in_flight` requests
//! are out at once (the rest wait their turn; dropping a waiting request's future takes it out of the
//! queue), the connection pool keeps no more idle connections than that, and a GET identical to one
//! still in flight is not sent again: it shares the answer of the first.
use super::circuit::{Breaker, BreakerState};
use super::health::{SourceHealth, SourceState};
use crate::config::{Auth, HttpSource};
use crate::text::Clean;
use backon::{ExponentialBuilder, Retryable};
use chrono::Utc;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};
use url::Url;

#[derive(Clone, Debug, PartialEq)]
pub enum FetchError {
    CircuitOpen {
        retry_in: Duration,
    },
    Timeout(Duration),
    Connect(Clean),
    /// HTTP error status with the (sanitized, truncated) body, and the server's Retry-After if it sent one.
    Status {
        code: u16,
        body: Clean,
        retry_after: Option<Duration>,
        /// The server's own name for the error, from the header the client was told to keep
        /// ([`HttpClient::keep_error_header`]); `None` from every other client.
        error_type: Option<Clean>,
    },
    TooLarge {
        limit: u64,
    },
    Decode(Clean),
    /// The backend understood and refused (Prometheus `status: error`), e.g. a bad query.
    Api {
        kind: Clean,
        message: Clean,
    },
}

impl FetchError {
    /// Worth retrying now: the server may answer the same request next time.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout(_) | FetchError::Connect(_) => true,
            FetchError::Status { code, .. } => *code == 429 || *code >= 500,
            _ => false,
        }
    }
    /// Counts against the server's health (a refused query does not: the server answered).
    fn is_server_failure(&self) -> bool {
        self.is_transient() || matches!(self, FetchError::TooLarge { .. } | FetchError::Decode(_))
    }
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::CircuitOpen { retry_in } => {
                write!(f, "circuit open, next try in {}", crate::time::short(*retry_in))
            }
            FetchError::Timeout(d) => write!(f, "timed out after {}", crate::time::limit(*d)),
            FetchError::Connect(e) => write!(f, "cannot connect: {e}"),
            FetchError::Status { code, body, retry_after: Some(d), .. } => {
                write!(f, "HTTP {code}: {body} (retry after {})", crate::time::short(*d))
            }
            FetchError::Status { code, body, .. } => write!(f, "HTTP {code}: {body}"),
            FetchError::TooLarge { limit } => write!(f, "response larger than the {limit}-byte cap"),
            FetchError::Decode(e) => write!(f, "unreadable response: {e}"),
            FetchError::Api { kind, message } => write!(f, "{kind}: {message}"),
        }
    }
}

impl std::error::Error for FetchError {}

/// A Retry-After value: seconds, or an HTTP date (RFC 9110), as a wait from `now`.
fn retry_after(v: &str, now: chrono::DateTime<Utc>) -> Option<Duration> {
    let v = v.trim();
    v.parse::<u64>().ok().map(Duration::from_secs).or_else(|| {
        let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
        Some((at.with_timezone(&Utc) - now).to_std().unwrap_or_default())
    })
}

/// The longest Retry-After honoured within one request; longer waits are left to the next poll.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    base: Url,
    timeout: Duration,
    slow_after: Duration,
    max_bytes: u64,
    breaker: Arc<Mutex<Breaker>>,
    health: Arc<watch::Sender<SourceHealth>>,
    retry: ExponentialBuilder,
    auth: Arc<Auth>,
    /// One permit per request in flight.
    permits: Arc<Semaphore>,
    /// GETs in flight by their URL and parameters, so an identical one shares the answer.
    flights: Arc<Mutex<HashMap<String, Flight>>>,
    /// The response header whose value an error status carries as its `error_type`, if any.
    error_header: Option<reqwest::header::HeaderName>,
}

type Flight = Shared<BoxFuture<'static, Result<Vec<u8>, FetchError>>>;

/// An HTTP status that refuses the request itself (4xx, but for 429, too many requests): asking again
/// the same way gets the same answer.
pub fn refuses_request(code: u16) -> bool {
    (400..500).contains(&code) && code != 429
}

/// Held by the request that carries the half-open probe; dropped without [`std::mem::forget`] (the
/// request's future was dropped before its outcome) it releases the probe.
struct ProbeGuard<'a> {
    breaker: Option<&'a Mutex<Breaker>>,
}

impl Drop for ProbeGuard<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.breaker {
            b.lock().unwrap_or_else(|p| p.into_inner()).release_probe();
        }
    }
}

/// Queries longer than this go as a form-encoded POST (Prometheus takes both), not in the URL: a regex of
/// a thousand job names would pass the URL limits of proxies on the way.
const MAX_GET_QUERY: usize = 6 * 1024;

impl HttpClient {
    pub fn new(name: &str, src: &HttpSource) -> Result<Self, String> {
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in &src.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
            headers.insert(name, v.parse().map_err(|e: reqwest::header::InvalidHeaderValue| e.to_string())?);
        }
        let mut b = reqwest::Client::builder()
            .timeout(src.timeout)
            .connect_timeout(src.timeout.min(Duration::from_secs(3)))
            .user_agent(concat!("watchpost/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(src.max_in_flight)
            .default_headers(headers);
        if let Some(pem) = &src.ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem).map_err(|e| e.to_string())? {
                b = b.add_root_certificate(cert);
            }
        }
        let inner = b.build().map_err(|e| e.to_string())?;
        let mut base = src.url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(HttpClient {
            inner,
            base,
            timeout: src.timeout,
            slow_after: src.slow_after,
            max_bytes: src.max_response_bytes,
            breaker: Arc::new(Mutex::new(Breaker::default())),
            health: Arc::new(watch::channel(SourceHealth::new(name)).0),
            retry: ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(2))
                .with_max_times(2)
                .with_jitter(),
            // Applied per request, so the secret never sits in the client's default headers.
            auth: Arc::new(src.auth.clone()),
            permits: Arc::new(Semaphore::new(src.max_in_flight.max(1))),
            flights: Arc::default(),
            error_header: None,
        })
    }

    /// Keep the response header `name` (lowercase) in an error status, for a server that says there what
    /// kind of error it is and whose callers act on it (a request "not processed yet" is asked again).
    pub fn keep_error_header(mut self, name: &'static str) -> Self {
        self.error_header = Some(reqwest::header::HeaderName::from_static(name));
        self
    }

    fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.auth.header() {
            None => req,
            Some(value) => req.header(reqwest::header::AUTHORIZATION, value),
        }
    }

    pub fn health(&self) -> watch::Receiver<SourceHealth> {
        self.health.subscribe()
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// GET `path` (relative to the source URL) with query parameters; the body, size-capped.
    /// An identical GET still in flight is not sent again: this one waits for its answer.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<u8>, FetchError> {
        let key = flight_key(path, query);
        // Declared before the flight, so dropped after it when this caller gives up.
        let guard = FlightGuard { flights: &self.flights, key: &key };
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
            match flights.get(&key) {
                Some(f) => {
                    tracing::debug!(path, "identical request in flight; sharing its answer");
                    f.clone()
                }
                None => {
                    let (me, path, query, k) = (self.clone(), path.to_string(), owned(query), key.clone());
                    let f = async move {
                        let q: Vec<(&str, String)> = query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                        let r = me.request(reqwest::Method::GET, &path, &q, None, true).await;
                        me.flights.lock().unwrap_or_else(|p| p.into_inner()).remove(&k);
                        r
                    }
                    .boxed()
                    .shared();
                    flights.insert(key.clone(), f.clone());
                    f
                }
            }
        };
        let r = flight.await;
        std::mem::forget(guard);
        r
    }

    /// DELETE `path`: idempotent, so retried like a GET.
    pub async fn delete(&self, path: &str) -> Result<Vec<u8>, FetchError> {
        self.request(reqwest::Method::DELETE, path, &[], None, true).await
    }

    /// POST a JSON body once: never retried here, since a request that timed out may have been done.
    /// The caller checks whether it was before trying again.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<Vec<u8>, FetchError> {
        self.request(reqwest::Method::POST, path, &[], Some(json_bytes(body)?), false).await
    }

    /// POST a read-only query (an Elasticsearch `_search`): changes nothing, so retried like a GET.
    pub async fn query_json(&self, path: &str, body: &serde_json::Value) -> Result<Vec<u8>, FetchError> {
        self.request(reqwest::Method::POST, path, &[], Some(json_bytes(body)?), true).await
    }

    /// PUT a JSON body: a state change that means the same thing twice, so retried like a GET.
    pub async fn put_json(&self, path: &str, body: &serde_json::Value) -> Result<Vec<u8>, FetchError> {
        self.request(reqwest::Method::PUT, path, &[], Some(json_bytes(body)?), true).await
    }

    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
        idempotent: bool,
    ) -> Result<Vec<u8>, FetchError> {
        let probe = {
            let mut b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
            match b.allow(Instant::now()) {
                Ok(probe) => probe,
                Err(until) => {
                    drop(b);
                    let err = FetchError::CircuitOpen { retry_in: until.saturating_duration_since(Instant::now()) };
                    self.note_open(until);
                    return Err(err);
                }
            }
        };
        // A probe whose future is dropped before its outcome (an aborted task) hands the probe back.
        let probe = ProbeGuard { breaker: probe.then_some(&*self.breaker) };
        let started = Instant::now();
        let retry = if idempotent { self.retry } else { self.retry.with_max_times(0) };
        let result = (|| self.request_once(method.clone(), path, query, body.clone()))
            .retry(retry)
            .when(FetchError::is_transient)
            // A server that says when to come back is believed; one that says "much later" is not retried
            // now (the next poll will ask again).
            .adjust(|e, backoff| match e {
                FetchError::Status { retry_after: Some(d), .. } if *d <= MAX_RETRY_AFTER => Some(*d),
                FetchError::Status { retry_after: Some(_), .. } => None,
                _ => backoff,
            })
            // Say so at the first failure, not after the last try: a server that takes connections and
            // never answers would otherwise show "connecting" for three timeouts.
            .notify(|e, next| self.note_retrying(e, next))
            .await;
        std::mem::forget(probe);
        self.note(&result, started.elapsed());
        result
    }

    async fn request_once(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, FetchError> {
        let url = self.base.join(path.trim_start_matches('/')).map_err(|e| FetchError::Decode(e.to_string().into()))?;
        // Waiting here is queueing: a caller that gives up (a newer round, a closed screen) leaves the queue.
        let _permit = self.permits.acquire().await.map_err(|_| FetchError::Connect("client closed".into()))?;
        let long = query.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > MAX_GET_QUERY;
        let mut req = if method == reqwest::Method::GET && long && body.is_none() {
            self.authorize(self.inner.request(reqwest::Method::POST, url).form(query))
        } else {
            self.authorize(self.inner.request(method, url).query(query))
        };
        if let Some(b) = body {
            req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(b);
        }
        let resp = req.send().await.map_err(|e| self.classify(e))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, Utc::now()));
        let error_type = self
            .error_header
            .as_ref()
            .and_then(|h| resp.headers().get(h))
            .and_then(|v| v.to_str().ok())
            .map(|v| Clean::new(v.trim()));
        if let Some(len) = resp.content_length()
            && len > self.max_bytes
        {
            return Err(FetchError::TooLarge { limit: self.max_bytes });
        }
        let body = read_capped(resp, self.max_bytes).await.map_err(|e| match e {
            ReadError::TooLarge => FetchError::TooLarge { limit: self.max_bytes },
            ReadError::Http(e) => self.classify(e),
        })?;
        // The connection goes back to the pool from the client's own task once the body has ended; let
        // that task run before the permit passes on, so the next request finds it idle instead of
        // dialling one more socket than `max_in_flight`.
        for _ in 0..2 {
            tokio::task::yield_now().await;
        }
        // Prometheus answers bad queries with 400/422 and a JSON error body: let the caller decode it.
        if status.is_success() || status.as_u16() == 400 || status.as_u16() == 422 {
            return Ok(body);
        }
        let text = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
        Err(FetchError::Status { code: status.as_u16(), body: Clean::new(text.trim()), retry_after, error_type })
    }

    fn classify(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else {
            // The innermost cause says the useful thing ("Connection refused").
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg = s.to_string();
                src = s.source();
            }
            FetchError::Connect(Clean::new(&msg))
        }
    }

    /// A try failed and another follows: the source is at least slow, and the header says why now.
    fn note_retrying(&self, e: &FetchError, next: Duration) {
        if !e.is_server_failure() {
            return;
        }
        let why = Clean::new(&format!("{e}; trying again in {}", crate::time::limit(next)));
        self.health.send_if_modified(|h| {
            if h.is_down() || h.last_error.as_ref() == Some(&why) {
                return false;
            }
            h.state = SourceState::Slow;
            h.latency = None;
            h.last_error = Some(why);
            true
        });
    }

    fn note_open(&self, until: Instant) {
        let retry_at = wall_clock(until);
        self.health.send_if_modified(|h| {
            let changed = h.state != SourceState::CircuitOpen || h.retry_at.is_none();
            h.state = SourceState::CircuitOpen;
            // Keep the first estimate of this open period: a later one differs only by clock noise.
            if changed {
                h.retry_at = Some(retry_at);
            }
            changed
        });
    }

    fn note(&self, result: &Result<Vec<u8>, FetchError>, latency: Duration) {
        let now = Instant::now();
        let server_failed = matches!(result, Err(e) if e.is_server_failure());
        let breaker_state = {
            let mut b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
            if server_failed {
                b.record_failure(now)
            } else {
                b.record_success()
            }
            b.state()
        };
        let utc = Utc::now();
        self.health.send_if_modified(|h| {
            let before = h.clone();
            if server_failed {
                let err = result.as_ref().err().map(|e| Clean::new(&e.to_string()));
                h.failing_since.get_or_insert(utc);
                h.last_error = err;
                h.latency = None;
                match breaker_state {
                    BreakerState::Open { until } => {
                        h.state = SourceState::CircuitOpen;
                        h.retry_at = Some(wall_clock(until));
                    }
                    _ => h.state = SourceState::Failing,
                }
            } else {
                h.state = if latency > self.slow_after { SourceState::Slow } else { SourceState::Ok };
                h.last_ok = Some(utc);
                h.failing_since = None;
                h.last_error = None;
                h.retry_at = None;
                h.latency = Some(latency);
            }
            // Latency changes with every request: report it when it moved by a quarter (and 50 ms) or more.
            let moved = match (before.latency, h.latency) {
                (Some(a), Some(b)) => a.abs_diff(b) > (a / 4).max(Duration::from_millis(50)),
                (a, b) => a.is_some() != b.is_some(),
            };
            h.state != before.state
                || h.last_error != before.last_error
                || h.retry_at != before.retry_at
                || before.last_ok.is_none()
                || moved
        });
    }
}

fn flight_key(path: &str, query: &[(&str, String)]) -> String {
    let mut k = path.to_string();
    for (n, v) in query {
        k.push('\0');
        k.push_str(n);
        k.push('=');
        k.push_str(v);
    }
    k
}

fn owned(query: &[(&str, String)]) -> Vec<(String, String)> {
    query.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// Takes a flight out of the map when the last caller waiting on it gives up before it ends, so the
/// next identical request is sent afresh instead of joining one that nobody drives.
struct FlightGuard<'a> {
    flights: &'a Mutex<HashMap<String, Flight>>,
    key: &'a str,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map's own handle left: nobody waits for it any more.
        if flights.get(self.key).is_some_and(|f| f.strong_count() == Some(1)) {
            flights.remove(self.key);
        }
    }
}

fn json_bytes(body: &serde_json::Value) -> Result<Vec<u8>, FetchError> {
    serde_json::to_vec(body).map_err(|e| FetchError::Decode(Clean::new(&e.to_string())))
}

/// The wall-clock time of a monotonic instant (for display: "next try at …").
fn wall_clock(at: Instant) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(at.saturating_duration_since(Instant::now())).unwrap_or_default()
}

pub(crate) enum ReadError {
    TooLarge,
    Http(reqwest::Error),
}

pub(crate) async fn read_capped(mut resp: reqwest::Response, max: u64) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Http)? {
        if body.len() as u64 + chunk.len() as u64 > max {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn retry_after_as_seconds_or_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:03 GMT", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(Duration::ZERO), "a past date: now");
        assert_eq!(retry_after("soon", now), None);
    }
}
