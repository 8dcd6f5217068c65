//! The audit trail: every action (silence, acknowledgement, runbook step, rollback, maintenance change)
//! is recorded in SQLite (WAL, synchronous commits) *before* it runs — if it cannot be recorded, it does
//! not run — and its outcome after. Each entry carries a SHA-256 hash over its content and the previous
//! entry's hash, so `watchpost audit verify` finds an entry edited, removed, reordered or inserted.
//! Secrets never reach it: values marked secret are stored as `***`.
//!
//! A chain alone cannot tell that its newest entries were cut off, nor that entries were added after
//! it by something else: the head (newest number and hash) is also written beside the database
//! (`audit.db.head`, replaced atomically after each entry), and verification compares the two.
use super::who::Who;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub user: String,
    pub host: String,
    pub ssh_client: Option<String>,
    /// `silence.create`, `incident.acknowledge`, `runbook.step`, … and `….result` for outcomes.
    pub action: String,
    /// What it acted on: a silence id, an incident, `runbook-id/step-id`.
    pub target: String,
    /// The values it used (JSON), secrets redacted.
    pub values: String,
    /// `intent` before it runs; `ok`, `failed: …` after.
    pub result: String,
    pub prev: String,
    pub hash: String,
}

/// What verification found wrong, by entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// The content does not match its hash.
    Edited { seq: i64 },
    /// Entries are missing before this one (a gap in the numbering, or its link points elsewhere).
    Removed { before: i64 },
    /// The entry links to a later one's predecessor: entries were moved.
    Reordered { seq: i64 },
    /// The entry links to nothing in the chain: it was put in.
    Inserted { seq: i64 },
    /// The newest entries are gone: the chain ends at `last`, its recorded head was `head`.
    Truncated { last: i64, head: i64 },
    /// The recorded head's entry has another hash: the chain was rewritten up to it.
    HeadMismatch { seq: i64 },
    /// Entries after the recorded head were added without their head being recorded.
    Unanchored { after: i64 },
}

impl std::fmt::Display for Tamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tamper::Edited { seq } => write!(f, "entry {seq} was edited (its content does not match its hash)"),
            Tamper::Removed { before } => write!(f, "entries were removed before entry {before}"),
            Tamper::Reordered { seq } => write!(f, "entry {seq} is out of order"),
            Tamper::Inserted { seq } => write!(f, "entry {seq} was inserted (it links to no entry)"),
            Tamper::Truncated { last, head } => {
                write!(f, "entries after {last} were removed (the recorded head is entry {head})")
            }
            Tamper::HeadMismatch { seq } => {
                write!(f, "entry {seq} is not the one recorded as the head: the chain was rewritten")
            }
            Tamper::Unanchored { after } => {
                write!(f, "entries after {after} were added without watchpost recording them as the head")
            }
        }
    }
}

/// The newest entry as recorded beside the database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Where a database's head is kept.
pub fn head_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".head");
    PathBuf::from(p)
}

/// Write the head: a new file, synced, renamed over the old one, the directory synced.
fn write_head(db: &Path, head: &Head) -> Result<(), String> {
    let text = serde_json::to_string(head).unwrap_or_default();
    crate::files::write_atomic(&head_path(db), text.as_bytes()).map_err(|e| format!("audit head {e}"))
}

/// The recorded head, if there is one (a trail written before heads were kept has none).
pub fn read_head(db: &Path) -> Result<Option<Head>, String> {
    match std::fs::read_to_string(head_path(db)) {
        Ok(t) => serde_json::from_str(&t).map(Some).map_err(|e| format!("{}: {e}", head_path(db).display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", head_path(db).display())),
    }
}

/// What the entries say against the recorded head. The head's entry is found by its hash (entries
/// renumbered are the chain checks' to report); newer entries than it were not recorded by watchpost.
pub fn check_head(entries: &[Entry], head: Option<&Head>) -> Vec<Tamper> {
    let Some(head) = head else { return Vec::new() };
    let last = entries.iter().map(|e| e.seq).max().unwrap_or(0);
    match entries.iter().find(|e| e.hash == head.hash) {
        Some(e) if e.seq < last => vec![Tamper::Unanchored { after: e.seq }],
        Some(_) => Vec::new(),
        None if last < head.seq => vec![Tamper::Truncated { last, head: head.seq }],
        None => vec![Tamper::HeadMismatch { seq: head.seq }],
    }
}

/// The default place: `$XDG_DATA_HOME/watchpost/audit.db` (or `~/.local/share/…`).
pub fn default_path() -> PathBuf {
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("watchpost").join("audit.db")
}

/// An entry's hash: SHA-256 over the previous hash and its content.
pub fn entry_hash(prev: &str, e: &Entry) -> String {
    // Fields joined with a separator that cannot occur in them unescaped (JSON-encoded each).
    // Not the number: the order is the chain's, so a moved entry shows as out of order, not as edited.
    let fields = serde_json::json!([e.at, e.user, e.host, e.ssh_client, e.action, e.target, e.values, e.result]);
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(fields.to_string().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Replace the values of `secret` keys with `***` (in nested objects too).
pub fn redact(mut v: serde_json::Value, secret: &[&str]) -> serde_json::Value {
    match &mut v {
        serde_json::Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if secret.contains(&k.as_str()) {
                    *val = serde_json::Value::String("***".into());
                } else {
                    *val = redact(val.take(), secret);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| *x = redact(x.take(), secret)),
        _ => {}
    }
    v
}

pub struct Audit {
    conn: Connection,
    pub path: PathBuf,
}

impl Audit {
    pub fn open(path: &Path) -> Result<Audit, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let conn = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS entries (
                 seq INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, host TEXT NOT NULL,
                 ssh_client TEXT, action TEXT NOT NULL, target TEXT NOT NULL, vals TEXT NOT NULL,
                 result TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);",
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Audit { conn, path: path.to_path_buf() })
    }

    /// Append an entry; it is on disk when this returns. The error means the action must not run.
    pub fn record(
        &mut self,
        who: &Who,
        at: DateTime<Utc>,
        action: &str,
        target: &str,
        values: &serde_json::Value,
        result: &str,
    ) -> Result<Entry, String> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| format!("audit: {e}"))?;
        let last: Option<(i64, String)> = tx
            .query_row("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| format!("audit: {e}"))?;
        let (seq, prev) = last.map_or((1, GENESIS.to_string()), |(s, h)| (s + 1, h));
        // Where it was done goes with what was done: the environment, when there are environments.
        let mut values = values.clone();
        if let (Some(env), Some(m)) = (&who.environment, values.as_object_mut()) {
            m.insert("environment".into(), env.clone().into());
        }
        let mut e = Entry {
            seq,
            at: at.to_rfc3339_opts(SecondsFormat::Micros, true),
            user: who.user.clone(),
            host: who.host.clone(),
            ssh_client: who.ssh_client.clone(),
            action: action.to_string(),
            target: target.to_string(),
            values: values.to_string(),
            result: result.to_string(),
            prev: prev.clone(),
            hash: String::new(),
        };
        e.hash = entry_hash(&prev, &e);
        tx.execute(
            "INSERT INTO entries (seq, at, user, host, ssh_client, action, target, vals, result, prev, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![e.seq, e.at, e.user, e.host, e.ssh_client, e.action, e.target, e.values, e.result, e.prev, e.hash],
        )
        .map_err(|e| format!("audit: {e}"))?;
        tx.commit().map_err(|e| format!("audit: {e}"))?;
        tracing::info!(seq = e.seq, head = %e.hash, "audit head");
        write_head(&self.path, &Head { seq: e.seq, hash: e.hash.clone() })?;
        Ok(e)
    }

    /// Every entry, in order.
    pub fn entries(&self) -> Result<Vec<Entry>, String> {
        let mut st = self
            .conn
            .prepare("SELECT seq, at, user, host, ssh_client, action, target, vals, result, prev, hash FROM entries ORDER BY seq")
            .map_err(|e| format!("audit: {e}"))?;
        let rows = st
            .query_map([], |r| {
                Ok(Entry {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    user: r.get(2)?,
                    host: r.get(3)?,
                    ssh_client: r.get(4)?,
                    action: r.get(5)?,
                    target: r.get(6)?,
                    values: r.get(7)?,
                    result: r.get(8)?,
                    prev: r.get(9)?,
                    hash: r.get(10)?,
                })
            })
            .map_err(|e| format!("audit: {e}"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| format!("audit: {e}"))
    }

    /// Walk the chain: every entry's hash, its link to the one before, the numbering, and its end
    /// against the recorded head.
    pub fn verify(&self) -> Result<(usize, Vec<Tamper>), String> {
        let entries = self.entries()?;
        let (n, mut found) = verify_entries(&entries);
        found.extend(check_head(&entries, read_head(&self.path)?.as_ref()));
        Ok((n, found))
    }
}

/// Check a chain: (entries, what is wrong). The order is the links' (each entry names its
/// predecessor's hash), rebuilt from the first entry; the numbers only say where an entry sits.
pub fn verify_entries(entries: &[Entry]) -> (usize, Vec<Tamper>) {
    use std::collections::{HashMap, HashSet};
    let mut found = Vec::new();
    for e in entries {
        if entry_hash(&e.prev, e) != e.hash {
            found.push(Tamper::Edited { seq: e.seq });
        }
    }
    let hashes: HashSet<&str> = entries.iter().map(|e| e.hash.as_str()).collect();
    let mut by_prev: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        by_prev.entry(e.prev.as_str()).or_default().push(i);
    }
    let has_successor = |i: usize| by_prev.contains_key(entries[i].hash.as_str());
    let mut placed = vec![false; entries.len()];
    let mut chain: Vec<usize> = Vec::new();
    // Follow the links from `start`; at a fork, the branch that goes on is the chain's and a branch that
    // ends there was put in.
    let walk = |from: &str, chain: &mut Vec<usize>, placed: &mut Vec<bool>, found: &mut Vec<Tamper>| {
        let mut cur = from.to_string();
        while let Some(kids) = by_prev.get(cur.as_str()) {
            let kids: Vec<usize> = kids.iter().copied().filter(|k| !placed[*k]).collect();
            let Some(&next) = kids.iter().find(|k| has_successor(**k)).or(kids.iter().min_by_key(|k| entries[**k].seq))
            else {
                break;
            };
            for &k in kids.iter().filter(|k| **k != next) {
                placed[k] = true;
                found.push(Tamper::Inserted { seq: entries[k].seq });
            }
            placed[next] = true;
            chain.push(next);
            cur = entries[next].hash.clone();
        }
    };
    walk(GENESIS, &mut chain, &mut placed, &mut found);
    // What the walk did not reach hangs after a missing entry.
    while let Some(i) = (0..entries.len())
        .filter(|i| !placed[*i])
        .min_by_key(|i| (hashes.contains(entries[*i].prev.as_str()), entries[*i].seq))
    {
        if !hashes.contains(entries[i].prev.as_str()) {
            found.push(Tamper::Removed { before: entries[i].seq });
        } else {
            found.push(Tamper::Reordered { seq: entries[i].seq });
        }
        placed[i] = true;
        chain.push(i);
        let from = entries[i].hash.clone();
        walk(&from, &mut chain, &mut placed, &mut found);
    }
    // The chain's order against the numbers' order.
    let mut sorted: Vec<i64> = chain.iter().map(|i| entries[*i].seq).collect();
    sorted.sort_unstable();
    for (pos, i) in chain.iter().enumerate() {
        if entries[*i].seq != sorted[pos] && !found.contains(&Tamper::Reordered { seq: entries[*i].seq }) {
            found.push(Tamper::Reordered { seq: entries[*i].seq });
        }
    }
    found.sort_by_key(|t| match t {
        Tamper::Edited { seq }
        | Tamper::Reordered { seq }
        | Tamper::Inserted { seq }
        | Tamper::Removed { before: seq }
        | Tamper::HeadMismatch { seq }
        | Tamper::Truncated { last: seq, .. }
        | Tamper::Unanchored { after: seq } => *seq,
    });
    (entries.len(), found)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v =
            serde_json::json!({"service": "api", "token": "hunter2", "nested": {"token": "x"}, "list": [{"token": 1}]});
        let r = redact(v, &["token"]);
        assert_eq!(
            r.to_string(),
            r#"{"list":[{"token":"***"}],"nested":{"token":"***"},"service":"api","token":"***"}"#
        );
    }
}
