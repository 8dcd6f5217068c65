//! The layers that show: the I/O and domain layers never reach the terminal (ratatui, crossterm), nor
//! the console's state or drawing, directly or through config.
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn io_and_domain_layers_never_reach_the_terminal_or_the_console() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for layer in ["config", "sources", "engine", "estate", "ops", "slo", "runbooks", "deploy", "schedule", "rules"] {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read");
            let rel = f.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            for needle in ["ratatui", "crossterm", "crate::ui::", "crate::app::", "crate::screens::"] {
                for line in text.lines().filter(|l| !l.trim_start().starts_with("//") && l.contains(needle)) {
                    found.push(format!("{rel}: {}", line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "layers reaching up:\n{}", found.join("\n"));
}
