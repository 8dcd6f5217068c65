//! The command line in the shell: completion scripts and the man page, generated from the parser's own
//! definitions, name every command.
use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_watchpost")).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Every top-level command, as `watchpost --help` lists them.
const COMMANDS: [&str; 13] = [
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
    "keys",
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

/// `watchpost keys` prints the table the console uses: the defaults, with the config's overrides, by
/// context and with each action's name as the config rebinds it.
#[test]
fn keys_prints_the_table_the_console_uses() {
    use watchpost::app::keymap::{Context, KeyMap};
    let home = tempfile::tempdir().unwrap();
    let keys = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_watchpost"))
            .args(args)
            .env("HOME", home.path())
            .env_remove("WATCHPOST_CONFIG")
            .env_remove("XDG_CONFIG_HOME")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let defaults = keys(&["keys"]);
    assert_eq!(defaults, watchpost::cli::key_table(&KeyMap::default()));
    assert!(defaults.starts_with("[keys.global]\n  q, ctrl-c"), "{defaults}");
    for context in Context::all().into_iter().filter(|c| !KeyMap::default().actions(*c).is_empty()) {
        assert!(defaults.contains(&format!("[keys.{}]", context.name())), "{}", context.name());
    }
    assert_eq!(keys(&["keys", "--defaults"]), watchpost::config::keys::SHIPPED, "the shipped table, as compiled in");
    assert_eq!(keys(&["keys", "--markdown"]), watchpost::cli::key_markdown(&KeyMap::default()));
    let config = home.path().join("c.toml");
    std::fs::write(&config, "[keys.global]\n\"x\" = \"quit\"\n\"q\" = \"none\"\n").unwrap();
    let mine = keys(&["--config", config.to_str().unwrap(), "keys"]);
    assert!(mine.starts_with("[keys.global]\n  ctrl-c, x          quit"), "{mine}");
    assert_eq!(mine.len(), defaults.len() - "q, ".len() + ", x".len(), "only that binding changed");
}
