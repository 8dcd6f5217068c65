//! tracing goes to a file in the state directory, never to the screen.
use std::path::PathBuf;
use tracing_subscriber::EnvFilter;

/// `$XDG_STATE_HOME/watchpost` (`~/.local/state/watchpost`), or the temp dir.
pub fn state_dir() -> PathBuf {
    dirs::state_dir().unwrap_or_else(std::env::temp_dir).join("watchpost")
}

/// Lines the log writer holds before it drops new ones.
const LOG_QUEUE_LINES: usize = 4096;

/// Why logging is not where it belongs (its file could not be written), once said at start; the console
/// shows it too.
static PROBLEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// What went wrong with the log file at start, if anything: where logging went instead, or that it is off.
pub fn problem() -> Option<&'static str> {
    PROBLEM.get().map(String::as_str)
}

/// Start logging at `level` (`error`…`trace`, or a filter such as `watchpost=debug`) to the state
/// directory's `watchpost.log`. A file that cannot be written (a state directory left to root by one
/// `sudo watchpost`, a full disk) never stops the console: logging goes to a file in the temp directory
/// instead, or is off, and [`problem`] says which. Returns the file and the writer's guard.
pub fn init(level: &str) -> Option<(PathBuf, tracing_appender::non_blocking::WorkerGuard)> {
    let first = state_dir();
    let fallback = std::env::temp_dir().join(format!("watchpost-{}", users_id()));
    let mut why = Vec::new();
    for dir in [first.clone(), fallback] {
        let opened = std::fs::create_dir_all(&dir).map_err(|e| e.to_string()).and_then(|()| {
            tracing_appender::rolling::RollingFileAppender::builder()
                .rotation(tracing_appender::rolling::Rotation::NEVER)
                .filename_prefix("watchpost.log")
                .build(&dir)
                .map_err(|e| e.to_string())
        });
        match opened {
            Ok(appender) => {
                let file = dir.join("watchpost.log");
                if dir != first {
                    let said = format!("logging to {} ({})", file.display(), why.join("; "));
                    let _ = PROBLEM.set(said);
                }
                return start(level, appender).map(|g| (file, g));
            }
            Err(e) => why.push(format!("cannot write {}: {e}", dir.join("watchpost.log").display())),
        }
    }
    let _ = PROBLEM.set(format!("logging is off ({})", why.join("; ")));
    None
}

/// The user's id, to keep each user's fallback log apart in a shared temp directory.
fn users_id() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

fn start(
    level: &str,
    appender: tracing_appender::rolling::RollingFileAppender,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    // The writer's queue is allocated whole and touched at start: its default of 128 000 lines is 4 MB
    // of resident memory for a log that writes a few lines a minute. Past this many lines waiting, new
    // ones are dropped (and counted by the writer), never blocking the console.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .finish(appender);
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).try_init().ok()?;
    Some(guard)
}
