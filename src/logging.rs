//! tracing goes to a file in the state directory, never to the screen.
use std::path::PathBuf;
use tracing_subscriber::EnvFilter;

/// `$XDG_STATE_HOME/watchpost` (`~/.local/state/watchpost`), or the temp dir.
pub fn state_dir() -> PathBuf {
    dirs::state_dir().unwrap_or_else(std::env::temp_dir).join("watchpost")
}

/// Lines the log writer holds before it drops new ones.
const LOG_QUEUE_LINES: usize = 4096;

/// Start logging at `level` (`error`…`trace`, or a filter such as `watchpost=debug`). Returns the file.
pub fn init(level: &str) -> Option<(PathBuf, tracing_appender::non_blocking::WorkerGuard)> {
    let dir = state_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "watchpost.log");
    // The writer's queue is allocated whole and touched at start: its default of 128 000 lines is 4 MB
    // of resident memory for a log that writes a few lines a minute. Past this many lines waiting, new
    // ones are dropped (and counted by the writer), never blocking the console.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .finish(appender);
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).try_init().ok()?;
    Some((dir.join("watchpost.log"), guard))
}
