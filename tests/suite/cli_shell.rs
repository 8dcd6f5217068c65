//! The command line in the shell: completion scripts and the man page, generated from the parser's own
//! definitions, name every command.
use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_watchpost")).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Every top-level command, as `watchpost --help` lists them.
const COMMANDS: [&str; 12] = [
    "config",
    "query",
    "demo",
    "drill",
    "deploy",
    "rollback",
    "maintenance",
    "audit",
    "runbook",
    "estate",
    "completions",
    "man",
];

#[test]
fn completions_for_each_shell_name_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let script = run(&["completions", shell]);
        for c in COMMANDS {
            assert!(script.contains(c), "{shell}: {c} missing");
        }
    }
    // An option of a subcommand is completed too.
    assert!(run(&["completions", "bash"]).contains("--dry-run"));
}

#[test]
fn the_man_page_is_roff_and_names_every_command() {
    let page = run(&["man"]);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{}", &page[..page.len().min(200)]);
    assert!(page.contains(".TH watchpost 1"), "{}", &page[..page.len().min(400)]);
    for c in COMMANDS {
        assert!(page.contains(c), "{c} missing");
    }
}
