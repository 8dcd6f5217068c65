//! Run the real binary on a pseudo-terminal, as a terminal emulator (or sshd) would.
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Pty {
    pub child: Child,
    master: Option<std::fs::File>,
    /// Tells the reader thread to let go of its copy of the master, so that hanging up really closes it.
    closing: Arc<std::sync::atomic::AtomicBool>,
    /// Kept open so the terminal's modes can be read after the program exits.
    slave: OwnedFd,
    pub output: Arc<Mutex<Vec<u8>>>,
}

impl Pty {
    pub fn spawn(cmd: Command, cols: u16, rows: u16) -> Self {
        Self::spawn_with(cmd, cols, rows, true)
    }

    /// `controlling: false` leaves the program without a controlling terminal, so a hang-up sends it no
    /// SIGHUP and it learns of the drop only from failing reads and writes.
    pub fn spawn_with(mut cmd: Command, cols: u16, rows: u16, controlling: bool) -> Self {
        let (mut master, mut slave) = (0, 0);
        let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty writes two fds into the given ints; the null pointers are allowed.
        let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &ws) };
        assert_eq!(rc, 0, "openpty");
        // The program must not hold the master itself (sshd and terminal emulators never let it), or a
        // hang-up could never reach it.
        // SAFETY: fcntl on an fd we own.
        unsafe { libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC) };
        // SAFETY: both fds were just returned by openpty and are owned by nothing else.
        let (master, slave) = unsafe { (std::fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let dup = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup"));
        cmd.stdin(dup(&slave)).stdout(dup(&slave)).stderr(dup(&slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::setsid();
                if controlling {
                    libc::ioctl(0, libc::TIOCSCTTY, 0);
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn on pty");
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("clone master");
        let out = output.clone();
        let closing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = closing.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let mut pfd = libc::pollfd { fd: reader.as_raw_fd(), events: libc::POLLIN, revents: 0 };
                // SAFETY: one valid pollfd.
                if unsafe { libc::poll(&mut pfd, 1, 50) } <= 0 {
                    continue;
                }
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => out.lock().unwrap().extend_from_slice(&buf[..n]),
                }
            }
        });
        Pty { child, master: Some(master), closing, slave, output }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    pub fn wait_for(&self, needle: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.text().contains(needle) {
            assert!(Instant::now() < deadline, "`{needle}` never appeared; output:\n{:?}", self.text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.master.as_mut().expect("master open").write_all(bytes).expect("write to pty");
    }

    /// Close our end: what the program sees when an SSH connection drops.
    pub fn hang_up(&mut self) {
        self.closing.store(true, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(150));
        self.master = None;
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: plain kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    /// The exit code, or the signal that ended it, within `secs`.
    pub fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("did not exit within {secs}s; output:\n{:?}", self.text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the terminal is back in cooked mode with echo (raw mode undone).
    pub fn cooked(&self) -> bool {
        // SAFETY: tcgetattr fills a termios for a valid fd.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::tcgetattr(self.slave.as_raw_fd(), &mut t) };
        rc == 0 && t.c_lflag & libc::ICANON != 0 && t.c_lflag & libc::ECHO != 0
    }

    /// Left the alternate screen and showed the cursor, after last entering it.
    pub fn restored(&self) -> bool {
        let t = self.text();
        let Some(enter) = t.rfind("\x1b[?1049h") else { return false };
        let after = &t[enter..];
        after.contains("\x1b[?1049l") && after.contains("\x1b[?25h")
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
