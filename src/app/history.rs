//! The explorer's query history on disk: one JSON string per line in the state directory, newest last,
//! at most [`HISTORY_MAX`] entries. Read once at start; written whole after each new query.
use crate::screens::explorer::state::HISTORY_MAX;
use std::path::{Path, PathBuf};

pub fn path() -> PathBuf {
    crate::logging::state_dir().join("explorer_history.jsonl")
}

/// The saved queries; a missing or unreadable file is an empty history, and bad lines are skipped.
pub fn load(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    let mut v: Vec<String> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let excess = v.len().saturating_sub(HISTORY_MAX);
    v.drain(..excess);
    v
}

/// Write to a temporary file and rename it over the old one, so a crash never leaves half a history.
pub fn save(path: &Path, history: &[String]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = String::new();
    for q in &history[history.len().saturating_sub(HISTORY_MAX)..] {
        text.push_str(&serde_json::to_string(q).unwrap_or_default());
        text.push('\n');
    }
    crate::files::write_atomic(path, text.as_bytes()).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn round_trip_and_bound() {
        let dir = std::env::temp_dir().join(format!("watchpost-history-{}", std::process::id()));
        let p = dir.join("h.jsonl");
        let many: Vec<String> = (0..HISTORY_MAX + 5).map(|i| format!("up{{n=\"{i}\"}}\nor x")).collect();
        save(&p, &many).unwrap();
        let back = load(&p);
        assert_eq!(back.len(), HISTORY_MAX);
        assert_eq!(back.last(), many.last());
        assert!(load(&dir.join("missing")).is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }
}
