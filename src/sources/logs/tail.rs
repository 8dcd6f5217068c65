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
        let outcome = match request(&loki, &query, start) {
            Err(e) => Err(e),
            Ok(req) => {
                let cfg = tungstenite::protocol::WebSocketConfig::default()
                    .max_message_size(Some(MAX_MESSAGE))
                    .max_frame_size(Some(MAX_MESSAGE));
                let connect =
                    tokio_tungstenite::connect_async_tls_with_config(req, Some(cfg), false, connector(&loki.source));
                match tokio::time::timeout(loki.source.timeout, connect).await {
                    Err(_) => Err(format!("timed out after {}", crate::time::short(loki.source.timeout))),
                    Ok(Err(e)) => Err(e.to_string()),
                    Ok(Ok((ws, _))) => {
                        backoff = self::backoff();
                        let reconnected = attempt > 0;
                        attempt = 0;
                        if tx.send(LogUpdate::Tail { id, state: TailState::Live }).await.is_err() {
                            return;
                        }
                        read(ws, id, &mut resume, reconnected.then_some(down_since.unwrap_or(start)), &tx).await
                    }
                }
            }
        };
        if tx.is_closed() {
            return;
        }
        let why = outcome.err().unwrap_or_else(|| "closed by the server".into());
        down_since.get_or_insert(resume.last_ns.unwrap_or(since_ns));
        attempt += 1;
        let wait = backoff.next().unwrap_or(Duration::from_secs(30));
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

/// Read messages until the socket ends. After a reconnect, the first message is the replay: if it came
/// back full, lines between the last one held and its first may be missing — a gap is marked.
async fn read<S>(
    mut ws: tokio_tungstenite::WebSocketStream<S>,
    id: u64,
    resume: &mut Resume,
    mut replay_after: Option<i64>,
    tx: &mpsc::Sender<LogUpdate>,
) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut pinged = false;
    loop {
        // A connection that went quiet may be dead (no FIN reaches us through some NATs): ping it, and
        // give up on it if even that gets no answer.
        let msg = match tokio::time::timeout(QUIET, ws.next()).await {
            Err(_) if !pinged => {
                pinged = true;
                ws.send(tungstenite::Message::Ping(Vec::new().into())).await.map_err(|e| e.to_string())?;
                continue;
            }
            Err(_) => return Err(format!("no answer for {}", crate::time::short(QUIET * 2))),
            Ok(None) => return Ok(()),
            Ok(Some(m)) => m,
        };
        pinged = false;
        let text = match msg.map_err(|e| e.to_string())? {
            tungstenite::Message::Text(t) => t,
            tungstenite::Message::Close(_) => return Ok(()),
            _ => continue,
        };
        let m: TailMessage = serde_json::from_str(&text).map_err(|e| format!("unreadable tail message: {e}"))?;
        let received: Vec<LogLine> = lines_of(&m.streams);
        let full = received.len() >= REPLAY_LIMIT;
        let first_ts = received.first().map(|l| l.ts_ns);
        let mut entries: Vec<Entry> = Vec::new();
        if let (Some(from), Some(first)) = (replay_after.take(), first_ts)
            && full
            && first > from
        {
            entries.push(Entry::Gap {
                from_ns: from,
                to_ns: first,
                note: format!("tail reconnected; the replay hit its {REPLAY_LIMIT}-line limit, lines may be missing"),
            });
        }
        if let Some(d) = m.dropped_entries.as_ref().filter(|d| !d.is_empty()) {
            let at = resume.last_ns.unwrap_or_default();
            entries.push(Entry::Gap {
                from_ns: at,
                to_ns: first_ts.unwrap_or(at),
                note: format!("Loki dropped {} entries (the tail was too slow)", d.len()),
            });
        }
        entries.extend(resume.fresh(received).into_iter().map(Entry::Line));
        if !entries.is_empty() && tx.send(LogUpdate::Lines { id, entries, replace: false }).await.is_err() {
            return Ok(());
        }
    }
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
