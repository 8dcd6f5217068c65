//! The terminal: raw mode and the alternate screen on entry, restored on every way out (quit, error,
//! panic, SIGTERM, SIGHUP), and synchronized updates so a slow link never shows half a frame.
use crate::app::App;
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode,
    enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the terminal is in our modes; restoring is done once, whoever gets there first.
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub struct Tui {
    /// Dropped by hand: ratatui's own drop shows the cursor and, when that fails (the terminal is gone),
    /// prints to stderr — the same lost terminal — which panics inside a drop and aborts the process.
    term: std::mem::ManuallyDrop<Terminal<CrosstermBackend<Stdout>>>,
}

impl Tui {
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(e);
        }
        // A fixed viewport, resized on the terminal's resize events: a fullscreen one asks the terminal's
        // size before every frame (opening /dev/tty each time).
        let (w, h) = crossterm::terminal::size()?;
        let viewport = ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, w, h));
        let term = Terminal::with_options(CrosstermBackend::new(out), ratatui::TerminalOptions { viewport })?;
        Ok(Tui { term: std::mem::ManuallyDrop::new(term) })
    }

    /// The terminal is now `w`×`h`: the next frame is drawn whole at that size.
    pub fn resize(&mut self, w: u16, h: u16) -> io::Result<()> {
        self.term.resize(ratatui::layout::Rect::new(0, 0, w, h))
    }

    pub fn draw(&mut self, app: &App) -> io::Result<()> {
        queue!(self.term.backend_mut(), BeginSynchronizedUpdate)?;
        self.term.draw(|f| crate::ui::draw(app, f))?;
        execute!(self.term.backend_mut(), EndSynchronizedUpdate)?;
        Ok(())
    }

    /// Ring the terminal bell (BEL: it moves no cursor and changes nothing on screen).
    pub fn bell(&mut self) {
        let out = self.term.backend_mut();
        let _ = out.write_all(b"\x07").and_then(|_| out.flush());
    }

    /// Put text on the terminal's clipboard (OSC 52). The text is base64-encoded, so nothing in it can
    /// end the sequence or reach the terminal as a control.
    pub fn copy(&mut self, text: &str) {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        let out = self.term.backend_mut();
        let _ = out.write_all(format!("\x1b]52;c;{b64}\x07").as_bytes()).and_then(|_| out.flush());
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.term.show_cursor().is_ok() {
            // SAFETY: dropped once, here, and never used again.
            unsafe { std::mem::ManuallyDrop::drop(&mut self.term) };
        }
        // Otherwise the terminal is gone: its buffers go with the process, which is ending.
        restore();
    }
}

/// The terminal's events, read on a thread of their own. crossterm's `EventStream` polls its reader's
/// lock from the runtime and spins on it (a few `sched_yield`s every time the loop wakes) while its own
/// thread waits for input; a thread that blocks in `read` and hands each event over costs nothing while
/// idle. The channel closing, or an error, means the terminal is gone.
pub fn events() -> tokio::sync::mpsc::Receiver<io::Result<crossterm::event::Event>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let spawned = std::thread::Builder::new().name("input".into()).spawn(move || {
        loop {
            let ev = crossterm::event::read();
            let failed = ev.is_err();
            if tx.blocking_send(ev).is_err() || failed {
                break;
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the input thread: {e}");
    }
    rx
}

/// Leave the terminal as we found it. Only the first call acts; errors are ignored (the terminal may
/// already be gone).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(out, LeaveAlternateScreen, cursor::Show);
    let _ = out.flush();
}

/// Restore the terminal, let the previous hook (color-eyre's report) print the panic, and exit. A panic
/// anywhere — the UI or a source task — is a bug; carrying on with the terminal already restored would
/// leave a console drawing over the shell, and unwinding would wait on background work.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
        std::process::exit(101);
    }));
}
