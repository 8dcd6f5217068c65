//! `watchpost drill list`: the scenarios, one per line.
use std::process::ExitCode;

pub fn drill_list() -> ExitCode {
    match crate::drills::scenario::all() {
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
        Ok(all) => {
            let w = all.iter().map(|s| s.name.len()).max().unwrap_or(0);
            for s in &all {
                println!(
                    "{:<w$}  {:<11} {:<10} {} within {}  — {}",
                    s.name,
                    s.fault.name(),
                    s.service,
                    s.expect.alert,
                    crate::time::short(s.expect.within),
                    s.title
                );
            }
            if let Some(dir) = crate::drills::scenario::user_dir() {
                println!("\nYour own scenarios go in {}", dir.display());
            }
            ExitCode::SUCCESS
        }
    }
}
