//! `watchpost runbook check [PATH…]`: lint runbooks (files or directories; by default `runbooks/` and
//! `~/.config/watchpost/runbooks/`). Every problem at file:line:col; exits non-zero if any.
use std::path::PathBuf;
use std::process::ExitCode;

/// Where runbooks are looked for when no path is given.
pub fn default_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("runbooks")];
    if let Some(c) = dirs::config_dir() {
        dirs.push(c.join("watchpost").join("runbooks"));
    }
    dirs
}

pub fn runbook_check(paths: Vec<PathBuf>) -> ExitCode {
    let paths = if paths.is_empty() { default_dirs() } else { paths };
    let (dirs, files): (Vec<PathBuf>, Vec<PathBuf>) = paths.into_iter().partition(|p| p.is_dir());
    let (mut ok, mut bad) = crate::runbooks::load_dir(&dirs);
    for f in files {
        match crate::runbooks::parse::load(&f) {
            Ok(r) => ok.push(r),
            Err(mut e) => bad.append(&mut e),
        }
    }
    for e in &bad {
        eprintln!("error: {e}");
    }
    for r in &ok {
        let steps = r.steps().count();
        println!("{}: ok — `{}`, {steps} step(s), {} parameter(s)", r.path.display(), r.id, r.params.len());
    }
    if bad.is_empty() && !ok.is_empty() {
        ExitCode::SUCCESS
    } else {
        if ok.is_empty() && bad.is_empty() {
            eprintln!("error: no runbooks found");
        }
        ExitCode::FAILURE
    }
}
