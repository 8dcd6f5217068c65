//! The estate in another process (`watchpost estate serve`), reached through its deploy API as the
//! in-process one is through its control channel: a console's drill sends its faults and their end
//! there, and what operators do to it (from any console, runbook or script) comes back by polling its
//! changes. The console keeps one channel pair either way.
use super::changes::Change;
use super::control::Control;
use super::fault::FaultSpec;
use super::topology::TOPOLOGY;
use crate::config::HttpSource;
use crate::sources::http::HttpClient;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// How often the estate's changes are asked for.
pub const POLL: Duration = Duration::from_secs(2);

/// The channel pair of an estate served at `base`, and a task carrying them over HTTP until the
/// sender is dropped.
pub fn connect(base: url::Url) -> Result<(mpsc::Sender<Control>, broadcast::Sender<Change>), String> {
    let client = client(base)?;
    let (tx, rx) = mpsc::channel(16);
    let (changes, _) = broadcast::channel(64);
    tokio::spawn(run(client, rx, changes.clone()));
    Ok((tx, changes))
}

/// Is an estate's deploy API answering at `base`? Its error otherwise, as the server or the network
/// gave it.
pub async fn check(base: &url::Url) -> Result<(), String> {
    let client = client(base.clone())?;
    client.get("estate/v1/services", &[]).await.map(|_| ()).map_err(|e| format!("{}estate/v1: {e}", client.base()))
}

/// The estate's deploy API's client: a source's timeouts, size cap and retries.
fn client(base: url::Url) -> Result<HttpClient, String> {
    let mut source = HttpSource::new(base);
    source.name = "estate".into();
    HttpClient::new("estate", &source)
}

async fn run(client: HttpClient, mut rx: mpsc::Receiver<Control>, changes: broadcast::Sender<Change>) {
    // Only what happens from now on: the console's own drill starts now. The API writes times to the
    // second, so this second's changes are asked for too.
    let mut seen = Seen { since: super::serve::now().floor(), at_since: Vec::new() };
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            c = rx.recv() => match c {
                None => return,
                Some(c) => apply(&client, c).await,
            },
            _ = poll.tick(), if changes.receiver_count() > 0 => {
                match client.get("estate/v1/changes", &[("since", seen.since.to_string())]).await {
                    Ok(body) => match serde_json::from_slice::<Vec<Change>>(&body) {
                        Ok(list) => {
                            for c in seen.unseen(list) {
                                let _ = changes.send(c);
                            }
                        }
                        Err(e) => tracing::warn!("estate changes unreadable: {e}"),
                    },
                    Err(e) => tracing::warn!("estate changes: {e}"),
                }
            }
        }
    }
}

/// Which changes were passed on: the latest time, and those at exactly that time (a poll asks from it
/// again, so a change made in the same second as the last one is not lost).
struct Seen {
    since: f64,
    at_since: Vec<Change>,
}

impl Seen {
    fn unseen(&mut self, list: Vec<Change>) -> Vec<Change> {
        let fresh: Vec<Change> = list
            .into_iter()
            .filter(|c| c.at > self.since || (c.at == self.since && !self.at_since.contains(c)))
            .collect();
        for c in &fresh {
            if c.at > self.since {
                (self.since, self.at_since) = (c.at, Vec::new());
            }
            self.at_since.push(c.clone());
        }
        fresh
    }
}

async fn apply(client: &HttpClient, c: Control) {
    match c {
        Control::Inject(f) => {
            let body = serde_json::to_value(FaultSpec::of(&f)).unwrap_or_default();
            if let Err(e) = client.post_json("estate/v1/faults", &body).await {
                tracing::warn!("drill fault not injected: {e}");
            }
        }
        Control::EndFaults(t) => {
            if let Err(e) = client.delete(&format!("estate/v1/faults?at={t}")).await {
                tracing::warn!("drill faults not ended: {e}");
            }
        }
        Control::Act { service, action, by, cause, reply } => {
            let mut body = serde_json::to_value(&action).unwrap_or_default();
            if let Some(m) = body.as_object_mut() {
                m.remove("action");
                m.insert("by".into(), by.into());
                m.insert("cause".into(), cause.into());
            }
            let path = format!("estate/v1/services/{}/{}", TOPOLOGY[service].name, action.name());
            let answer = match client.post_json(&path, &body).await {
                Ok(b) => serde_json::from_slice::<Change>(&b).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let _ = reply.send(answer);
        }
        // The model stays in its process: a reader of it gets no answer (its reply is dropped).
        Control::Read(_) => tracing::debug!("the estate's model is not read over HTTP"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::changes::Action;

    fn change(at: f64, service: &str) -> Change {
        Change {
            service: service.into(),
            action: Action::Restart,
            at,
            by: "x".into(),
            cause: String::new(),
            revision: None,
            version: None,
            mitigated: false,
        }
    }

    /// Each change is passed on once, including two in the same second asked for twice.
    #[test]
    fn each_change_is_passed_on_once() {
        let mut seen = Seen { since: 10.0, at_since: Vec::new() };
        assert_eq!(seen.unseen(vec![change(10.0, "db"), change(11.0, "db")]).len(), 2);
        assert_eq!(seen.unseen(vec![change(11.0, "db"), change(11.0, "cache")]), vec![change(11.0, "cache")]);
        assert!(seen.unseen(vec![change(11.0, "db"), change(11.0, "cache")]).is_empty());
        assert_eq!(seen.unseen(vec![change(12.0, "db")]).len(), 1);
    }

    /// A change as the deploy API writes it reads back the same (to the second).
    #[test]
    fn a_change_reads_back() {
        let mut c = change(1_700_000_000.0, "payments");
        c.action = Action::Rollback { revision: Some(4) };
        (c.revision, c.version, c.mitigated) = (Some(5), Some("1.2.3".into()), true);
        let back: Change = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
