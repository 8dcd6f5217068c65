//! Giving back the start-up pages of the console's own machine code.
//!
//! Starting touches code that never runs again: argument parsing, config and runbook parsing, TLS roots,
//! the first layout. The kernel maps the binary 64 KiB around every page touched, so a console that
//! idles on a few MiB of code keeps most of its 14 MB of text resident for hours — on a bastion host
//! shared by an incident bridge, per engineer. Once started, the console tells the kernel those clean,
//! file-backed pages may go now rather than under pressure; what it keeps running comes back from the
//! file on its next use. Pages another process maps too (a second console) stay. No crate does this (it
//! is one `madvise` per mapping), hence by hand.

/// Release the resident pages of the executable's own read-only mappings, and the heap's free pages
/// (start-up's parsing frees most of what it allocates, but the allocator keeps the pages). Best effort:
/// on kernels without `MADV_PAGEOUT` (before 5.4) or other systems it does nothing. Returns the mappings
/// released.
pub fn release_startup_code() -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only hands free memory of the allocator's arenas back to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
    #[cfg(target_os = "linux")]
    {
        linux::release()
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

#[cfg(target_os = "linux")]
mod linux {
    /// The start and end of each read-only (or executable) private mapping of `exe` in a
    /// `/proc/self/maps` listing. Writable ones (relocated data) are never touched.
    pub(super) fn readonly_mappings(maps: &str, exe: &str) -> Vec<(usize, usize)> {
        maps.lines()
            .filter_map(|line| {
                let mut f = line.split_ascii_whitespace();
                let (range, perms) = (f.next()?, f.next()?);
                // The path is the rest of the line from its first slash (it may hold spaces).
                let path = &line[line.find('/')?..];
                if path != exe || perms.as_bytes().get(1) != Some(&b'-') || !perms.ends_with('p') {
                    return None;
                }
                let (a, b) = range.split_once('-')?;
                Some((usize::from_str_radix(a, 16).ok()?, usize::from_str_radix(b, 16).ok()?))
            })
            .collect()
    }

    pub(super) fn release() -> usize {
        let (Ok(exe), Ok(maps)) = (std::env::current_exe(), std::fs::read_to_string("/proc/self/maps")) else {
            return 0;
        };
        let Some(exe) = exe.to_str() else { return 0 };
        let mut released = 0;
        for (start, end) in readonly_mappings(&maps, exe) {
            // SAFETY: the range is a whole mapping of this process, read-only and file-backed; PAGEOUT
            // only drops clean pages, which the kernel reads back from the file when they are next used,
            // so no memory the program can observe changes.
            // Random access first: code that runs again comes back a page at a time instead of with the
            // read-ahead window around it, which would bring most of the start-up code back with it.
            let rc = unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_RANDOM);
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT)
            };
            if rc == 0 {
                released += 1;
            }
        }
        released
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::linux::readonly_mappings;

    #[test]
    fn only_read_only_private_mappings_of_the_executable() {
        let maps = "\
5600-5700 r--p 00000000 08:01 12 /opt/watchpost
5700-5900 r-xp 00100000 08:01 12 /opt/watchpost
5900-5a00 rw-p 00300000 08:01 12 /opt/watchpost
5a00-5b00 r--s 00400000 08:01 12 /opt/watchpost
5b00-5c00 r--p 00000000 08:01 13 /opt/watchpost two
7f00-7f10 r-xp 00000000 08:01 99 /usr/lib/libc.so.6
7f20-7f30 rw-p 00000000 00:00 0
";
        assert_eq!(readonly_mappings(maps, "/opt/watchpost"), vec![(0x5600, 0x5700), (0x5700, 0x5900)]);
    }

    #[test]
    fn releasing_is_harmless_to_the_running_program() {
        super::release_startup_code();
        // Code and read-only data still work after their pages went.
        assert_eq!(format!("{:?}", vec![1, 2]), "[1, 2]");
    }
}
