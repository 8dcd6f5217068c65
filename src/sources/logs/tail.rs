//! Live tail over Loki's websocket. A tail that drops (network, server restart) reconnects by itself
//! with backoff and jitter, asking again from the timestamp of the last line it had; lines at that
//! timestamp it already has are skipped, so nothing is shown twice. When the replay may not cover the
//! whole outage (it came back full, or the server reported dropped entries), a gap is marked.
use super::loki::{Loki, TailMessage, lines_of};
use super::{LogUpdate, TailState};
use crate::logs::{Entry, LogLine};
use backon::BackoffBuilder;
use futures::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

/// Lines asked for again on a reconnect (Loki's tail `limit`).
pub const REPLAY_LIMIT: usize = 1000;
/// A tail quiet for this long is pinged; quiet for twice as long, it is reconnected.
pub const QUIET: Duration = Duration::from_secs(60);
/// A tail message larger than this is refused (the connection is dropped and resumed).
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// What a tail remembers to resume without duplicates: the newest timestamp and the lines seen at it.
#[derive(Debug, Default)]
pub struct Resume {
    pub last_ns: Option<i64>,
    at_last: HashSet<u64>,
}

fn key(l: &LogLine) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (l.text.as_str(), &l.labels).hash(&mut h);
    h.finish()
}

impl Resume {
    /// The lines of a message that are new, in time order.
    pub fn fresh(&mut self, lines: Vec<LogLine>) -> Vec<LogLine> {
        let mut out = Vec::with_capacity(lines.len());
        for l in lines {
            match self.last_ns {
                Some(last) if l.ts_ns < last => continue,
                Some(last) if l.ts_ns == last => {
                    if !self.at_last.insert(key(&l)) {
                        continue;
                    }
                }
                _ => {
                    self.last_ns = Some(l.ts_ns);
                    self.at_last.clear();
                    self.at_last.insert(key(&l));
                }
            }
            out.push(l);
        }
        out
    }
}

fn request(loki: &Loki, query: &str, start: i64) -> Result<tungstenite::handshake::client::Request, String> {
    let url = loki.tail_url(query, start, REPLAY_LIMIT)?;
    let mut req = url.as_str().into_client_request().map_err(|e| e.to_string())?;
    let h = req.headers_mut();
    for (k, v) in &loki.source.headers {
        if let (Ok(k), Ok(v)) = (tungstenite::http::HeaderName::from_bytes(k.as_bytes()), v.parse()) {
            h.insert(k, v);
        }
    }
    let auth = loki.source.auth.header();
    if let Some(a) = auth {
        h.insert(tungstenite::http::header::AUTHORIZATION, a.parse().map_err(|_| "invalid credentials")?);
    }
    Ok(req)
}

/// Loki closes every tail after `-querier.tail-max-duration` (an hour by default) with this reason: the
/// tail is resumed at once, and it is not a failure.
pub const MAX_DURATION: &str = "reached tail max duration limit";
/// A connection that lasted this long counts as healthy even if it carried no line.
const HEALTHY_AFTER: Duration = Duration::from_secs(10);
/// How long the replay after a reconnect is held back while it may still turn out full.
const REPLAY_SETTLE: Duration = Duration::from_secs(2);

/// How a connection ended.
#[derive(Debug, PartialEq)]
enum End {
    /// The server closed it, with its close code and reason (Loki: 1011 and the error's text).
    Closed { code: u16, reason: String },
    /// It ended without a close frame, or failed: the network, a proxy, an unreadable message.
    Lost(String),
}

/// What an ended connection means for the next one.
#[derive(Debug, PartialEq)]
enum Next {
    /// Reconnect at once (Loki's hourly limit).
    Now,
    /// Reconnect after the backoff, saying why.
    Later(String),
    /// Do not reconnect: the server refused the query itself, and will again.
    Stop(String),
}

/// Loki's reasons for a query it will never tail (a parse error, a metric query).
fn refused_query(reason: &str) -> bool {
    reason.starts_with("parse error")
        || reason.contains("syntax error")
        || reason.contains("only log selector is supported")
        || reason.contains("queries are not supported")
}

fn judge(end: &End) -> Next {
    match end {
        End::Closed { reason, .. } if reason == MAX_DURATION => Next::Now,
        End::Closed { reason, .. } if refused_query(reason) => Next::Stop(format!("Loki refused the query: {reason}")),
        End::Closed { code, reason } if reason.is_empty() => Next::Later(format!("closed by Loki ({code})")),
        End::Closed { code, reason } => Next::Later(format!("closed by Loki ({code}): {reason}")),
        End::Lost(why) => Next::Later(why.clone()),
    }
}

/// A failed handshake: an HTTP refusal (Loki 3 answers a query it cannot parse with 400 and the parse
/// error as the body) stops the tail; anything else is tried again.
fn handshake_failed(e: tungstenite::Error) -> Next {
    match e {
        tungstenite::Error::Http(resp) => {
            let code = resp.status().as_u16();
            let body = resp.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
            let body = body.trim();
            let why = if body.is_empty() { format!("HTTP {code}") } else { format!("HTTP {code}: {body}") };
            if crate::sources::http::refuses_request(code) { Next::Stop(why) } else { Next::Later(why) }
        }
        e => Next::Later(e.to_string()),
    }
}

/// Tail `query` until the receiver is gone: lines, state changes and gaps go to `tx` tagged with `id`.
pub async fn run(loki: Loki, id: u64, query: String, since_ns: i64, tx: mpsc::Sender<LogUpdate>) {
    let mut resume = Resume::default();
    let mut backoff = backoff();
    let mut attempt = 0u32;
    let mut down_since: Option<i64> = None;
    loop {
        let start = resume.last_ns.unwrap_or(since_ns);
        let state = if attempt == 0 { TailState::Connecting } else { TailState::Reconnecting { attempt } };
        if tx.send(LogUpdate::Tail { id, state }).await.is_err() {
            return;
        }
        let next = match request(&loki, &query, start) {
            Err(e) => Next::Stop(e),
            Ok(req) => {
                let cfg = tungstenite::protocol::WebSocketConfig::default()
                    .max_message_size(Some(MAX_MESSAGE))
                    .max_frame_size(Some(MAX_MESSAGE));
                let connect =
                    tokio_tungstenite::connect_async_tls_with_config(req, Some(cfg), false, connector(&loki.source));
                match tokio::time::timeout(loki.source.timeout, connect).await {
                    Err(_) => Next::Later(format!("timed out after {}", crate::time::limit(loki.source.timeout))),
                    Ok(Err(e)) => handshake_failed(e),
                    Ok(Ok((ws, _))) => {
                        if tx.send(LogUpdate::Tail { id, state: TailState::Live }).await.is_err() {
                            return;
                        }
                        let opened = std::time::Instant::now();
                        let replay = (attempt > 0).then(|| Replay::new(down_since.unwrap_or(start)));
                        let (end, data) = read(ws, id, &mut resume, replay, &tx).await;
                        // The backoff starts over only after a connection that carried lines or lasted:
                        // a server that takes the handshake and closes at once is not hammered.
                        if data || opened.elapsed() >= HEALTHY_AFTER {
                            backoff = self::backoff();
                            attempt = 0;
                            down_since = None;
                        }
                        judge(&end)
                    }
                }
            }
        };
        if tx.is_closed() {
            return;
        }
        down_since.get_or_insert(resume.last_ns.unwrap_or(since_ns));
        attempt += 1;
        let (why, wait) = match next {
            Next::Now => continue,
            Next::Stop(why) => {
                let error = crate::text::Clean::new(&why);
                let _ = tx.send(LogUpdate::Tail { id, state: TailState::Stopped { error: error.clone() } }).await;
                let _ = tx.send(LogUpdate::Failed { id, error }).await;
                return;
            }
            Next::Later(why) => (why, backoff.next().unwrap_or(Duration::from_secs(30))),
        };
        let state = TailState::Down { error: crate::text::Clean::new(&why), retry_in: wait, attempt };
        if tx.send(LogUpdate::Tail { id, state }).await.is_err() {
            return;
        }
        tokio::time::sleep(wait).await;
    }
}

/// TLS for `wss://` with the source's extra CA certificates (`ca_file`) beside the web PKI roots; `None`
/// (the library's default roots) when it has none.
pub fn connector(src: &crate::config::HttpSource) -> Option<tokio_tungstenite::Connector> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let pem = src.ca_pem.as_ref()?;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let (added, _) = roots.add_parsable_certificates(CertificateDer::pem_slice_iter(pem).flatten());
    if added == 0 {
        return None;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Some(tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(cfg)))
}

fn backoff() -> backon::ExponentialBackoff {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(30))
        .with_jitter()
        .without_max_times()
        .build()
}

/// The replay after a reconnect: Loki sends the newest `limit` lines since `start` at once, in messages
/// of at most 100 entries (`maxEntriesPerTailResponse`), before live lines, which wait for `delay_for`.
/// The lines are counted across messages and held back until it is known whether the replay came back
/// full (then lines between the last one held and its first may be missing: a gap goes before them) or
/// [`REPLAY_SETTLE`] has passed. Counted by arrival, not by timestamp: the client's clock cannot tell
/// the server's replay from its first live lines.
#[derive(Debug)]
struct Replay {
    /// The newest line held before the outage.
    from: i64,
    deadline: tokio::time::Instant,
    held: Vec<LogLine>,
}

impl Replay {
    fn new(from: i64) -> Self {
        Replay { from, deadline: tokio::time::Instant::now() + REPLAY_SETTLE, held: Vec::new() }
    }

    /// Take a message's lines. `Some` once the replay is decided: what to show, the gap first if any.
    fn take(&mut self, lines: Vec<LogLine>) -> Option<Vec<Entry>> {
        self.held.extend(lines);
        (self.held.len() >= REPLAY_LIMIT).then(|| self.decide())
    }

    fn decide(&mut self) -> Vec<Entry> {
        let held = std::mem::take(&mut self.held);
        let first = held.iter().map(|l| l.ts_ns).min();
        let mut out = Vec::with_capacity(held.len() + 1);
        if let Some(first) = first.filter(|f| held.len() >= REPLAY_LIMIT && *f > self.from) {
            out.push(Entry::Gap {
                from_ns: self.from,
                to_ns: first,
                note: format!("tail reconnected; the replay hit its {REPLAY_LIMIT}-line limit, lines may be missing"),
            });
        }
        out.extend(held.into_iter().map(Entry::Line));
        out
    }
}

/// Read messages until the socket ends: how it ended, and whether any message came. A replay still held
/// back when it ends is shown then.
async fn read<S>(
    ws: tokio_tungstenite::WebSocketStream<S>,
    id: u64,
    resume: &mut Resume,
    replay: Option<Replay>,
    tx: &mpsc::Sender<LogUpdate>,
) -> (End, bool)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut replay = replay;
    let ended = read_until_end(ws, id, resume, &mut replay, tx).await;
    if let Some(mut r) = replay {
        let _ = send(tx, id, resume, r.decide()).await;
    }
    ended
}

async fn read_until_end<S>(
    mut ws: tokio_tungstenite::WebSocketStream<S>,
    id: u64,
    resume: &mut Resume,
    replay: &mut Option<Replay>,
    tx: &mpsc::Sender<LogUpdate>,
) -> (End, bool)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut pinged = false;
    let mut data = false;
    loop {
        // A connection that went quiet may be dead (no FIN reaches us through some NATs): ping it, and
        // give up on it if even that gets no answer. A replay held back is shown when it has settled.
        let wait = replay.as_ref().map_or(QUIET, |r| r.deadline.saturating_duration_since(tokio::time::Instant::now()));
        let msg = match tokio::time::timeout(wait, ws.next()).await {
            Err(_) if replay.is_some() => {
                let entries = replay.take().map(|mut r| r.decide()).unwrap_or_default();
                if send(tx, id, resume, entries).await.is_err() {
                    return (End::Lost("the console closed the tail".into()), data);
                }
                continue;
            }
            Err(_) if !pinged => {
                pinged = true;
                if let Err(e) = ws.send(tungstenite::Message::Ping(Vec::new().into())).await {
                    return (End::Lost(e.to_string()), data);
                }
                continue;
            }
            Err(_) => return (End::Lost(format!("no answer for {}", crate::time::limit(QUIET * 2))), data),
            Ok(None) => return (End::Lost("the connection ended without a close frame".into()), data),
            Ok(Some(Err(e))) => return (End::Lost(e.to_string()), data),
            Ok(Some(Ok(m))) => m,
        };
        pinged = false;
        let text = match msg {
            tungstenite::Message::Text(t) => t,
            tungstenite::Message::Close(Some(f)) => {
                return (End::Closed { code: u16::from(f.code), reason: f.reason.to_string() }, data);
            }
            tungstenite::Message::Close(None) => return (End::Closed { code: 1005, reason: String::new() }, data),
            _ => continue,
        };
        data = true;
        let m: TailMessage = match serde_json::from_str(&text) {
            Ok(m) => m,
            Err(e) => return (End::Lost(format!("unreadable tail message: {e}")), data),
        };
        let received: Vec<LogLine> = lines_of(&m.streams);
        let first_ts = received.first().map(|l| l.ts_ns);
        let mut entries: Vec<Entry> = Vec::new();
        if let Some(d) = m.dropped_entries.as_ref().filter(|d| !d.is_empty()) {
            let at = resume.last_ns.unwrap_or_default();
            entries.push(Entry::Gap {
                from_ns: at,
                to_ns: first_ts.unwrap_or(at),
                note: format!("Loki dropped {} entries (the tail was too slow)", d.len()),
            });
        }
        match replay.as_mut() {
            Some(r) => match r.take(received) {
                Some(decided) => {
                    entries.extend(decided);
                    *replay = None;
                }
                None if entries.is_empty() => continue,
                None => {}
            },
            None => entries.extend(received.into_iter().map(Entry::Line)),
        }
        if send(tx, id, resume, entries).await.is_err() {
            return (End::Lost("the console closed the tail".into()), data);
        }
    }
}

/// Send entries, lines already held left out.
async fn send(tx: &mpsc::Sender<LogUpdate>, id: u64, resume: &mut Resume, entries: Vec<Entry>) -> Result<(), ()> {
    let mut out = Vec::with_capacity(entries.len());
    let mut lines = Vec::new();
    for e in entries {
        match e {
            Entry::Line(l) => lines.push(l),
            gap => {
                out.extend(resume.fresh(std::mem::take(&mut lines)).into_iter().map(Entry::Line));
                out.push(gap);
            }
        }
    }
    out.extend(resume.fresh(lines).into_iter().map(Entry::Line));
    if out.is_empty() {
        return Ok(());
    }
    tx.send(LogUpdate::Lines { id, entries: out, replace: false }).await.map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_ca_reaches_the_websocket() {
        let mut src = crate::config::HttpSource::new(url::Url::parse("https://loki.internal:3100").unwrap());
        assert!(connector(&src).is_none(), "no CA: the default roots");
        src.ca_pem = Some(std::fs::read("tests/configs/valid/private-ca.pem").unwrap());
        assert!(matches!(connector(&src), Some(tokio_tungstenite::Connector::Rustls(_))));
    }
    #[test]
    fn loki_close_reasons_are_judged() {
        let closed = |r: &str| End::Closed { code: 1011, reason: r.into() };
        assert_eq!(judge(&closed(MAX_DURATION)), Next::Now);
        let parse = "parse error at line 1, col 14: syntax error: unexpected IDENTIFIER";
        assert_eq!(judge(&closed(parse)), Next::Stop(format!("Loki refused the query: {parse}")));
        assert!(matches!(judge(&closed("only log selector is supported")), Next::Stop(_)));
        assert_eq!(judge(&closed("empty ring")), Next::Later("closed by Loki (1011): empty ring".into()));
        assert_eq!(
            judge(&End::Closed { code: 1000, reason: String::new() }),
            Next::Later("closed by Loki (1000)".into())
        );
    }

    #[test]
    fn resume_skips_what_it_has() {
        let mut r = Resume::default();
        let l = |ts, t: &str| LogLine::new(ts, t, &[]);
        assert_eq!(r.fresh(vec![l(1, "a"), l(2, "b"), l(2, "c")]).len(), 3);
        // The replay after a reconnect starts at the last timestamp (2).
        let again = r.fresh(vec![l(2, "b"), l(2, "c"), l(2, "d"), l(3, "e")]);
        assert_eq!(again.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), vec!["d", "e"]);
        assert!(r.fresh(vec![l(1, "old")]).is_empty());
    }
}
