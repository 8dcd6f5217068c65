//! Files written so that a crash never leaves half of one: a new file beside it, synced, renamed over
//! it, the directory synced.
use std::io::Write;
use std::path::Path;

/// Replace `path` with `bytes`, atomically and durably; the error names the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).map_err(fail)?;
    f.write_all(bytes).map_err(fail)?;
    f.sync_all().map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()).and_then(|d| std::fs::File::open(d).ok()) {
        dir.sync_all().map_err(fail)?;
    }
    Ok(())
}
