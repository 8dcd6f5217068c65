//! `watchpost audit verify` (report any edited, removed, reordered or inserted entry) and
//! `watchpost audit export` (JSON lines).
use crate::ops::audit::{Audit, default_path};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

fn open(db: Option<PathBuf>) -> Result<Audit, String> {
    let path = db.unwrap_or_else(default_path);
    if !path.exists() {
        return Err(format!("{}: no audit trail here yet", path.display()));
    }
    Audit::open(&path)
}

pub fn audit_verify(db: Option<PathBuf>) -> ExitCode {
    match open(db).and_then(|a| a.verify().map(|r| (a.path.clone(), r))) {
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Ok((path, (n, found))) if found.is_empty() => {
            println!("{}: ok — {n} entries, the chain is intact", path.display());
            ExitCode::SUCCESS
        }
        Ok((path, (n, found))) => {
            for t in &found {
                eprintln!("error: {}: {t}", path.display());
            }
            eprintln!("{}: {} problem(s) in {n} entries", path.display(), found.len());
            ExitCode::FAILURE
        }
    }
}

pub fn audit_export(db: Option<PathBuf>, output: Option<PathBuf>) -> ExitCode {
    let run = || -> Result<usize, String> {
        let entries = open(db)?.entries()?;
        let mut out: Box<dyn Write> = match &output {
            Some(p) => Box::new(std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?),
            None => Box::new(std::io::stdout().lock()),
        };
        for e in &entries {
            let line = serde_json::to_string(e).map_err(|e| e.to_string())?;
            writeln!(out, "{line}").map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())?;
        Ok(entries.len())
    };
    match run() {
        Ok(n) => {
            if output.is_some() {
                eprintln!("{n} entries written");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
