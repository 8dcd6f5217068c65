//! Where the config comes from: `--config`, then `$WATCHPOST_CONFIG`, then the XDG config dir.
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// A file that must be loaded (named explicitly, or present in the XDG dir).
    File(PathBuf),
    /// No file anywhere: start from `PROMETHEUS_URL`, or the first-run screen.
    Nothing,
}

/// The default location: `$XDG_CONFIG_HOME/watchpost/config.toml` (`~/.config/...`).
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("watchpost").join("config.toml"))
}

pub fn find(flag: Option<PathBuf>) -> Found {
    if let Some(p) = flag {
        return Found::File(p);
    }
    if let Some(p) = std::env::var_os("WATCHPOST_CONFIG").filter(|v| !v.is_empty()) {
        return Found::File(PathBuf::from(p));
    }
    match default_path() {
        Some(p) if p.exists() => Found::File(p),
        _ => Found::Nothing,
    }
}
