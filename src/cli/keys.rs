//! `watchpost keys`: the key table the console uses, by context — the defaults with the config's
//! `[keys.*]` overrides — with each action's name, as the config rebinds it; or the shipped table
//! (`--defaults`), or the README's Markdown table (`--markdown`).
use crate::app::keymap::KeyMap;
use std::process::ExitCode;

/// What `watchpost keys` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeysFormat {
    /// The table in effect, with action names.
    Table,
    /// The shipped key table, as compiled in.
    Shipped,
    /// The table in effect as the README's Markdown table.
    Markdown,
}

pub fn keys(flag: super::ConfigChoice, format: KeysFormat) -> ExitCode {
    if format == KeysFormat::Shipped {
        print!("{}", crate::config::keys::SHIPPED);
        return ExitCode::SUCCESS;
    }
    let overrides = match crate::config::find(flag.path) {
        crate::config::Found::File(p) => match crate::config::load_file(&p) {
            Ok(c) => c.keys,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
        crate::config::Found::Nothing => Vec::new(),
    };
    let map = KeyMap::with_overrides(&overrides);
    print!("{}", if format == KeysFormat::Markdown { markdown(&map) } else { table(&map) });
    ExitCode::SUCCESS
}

/// The table as text: a `[keys.CONTEXT]` heading per context (in the key table's order), then
/// `keys  action  what it does there`.
pub fn table(map: &KeyMap) -> String {
    let mut out = String::new();
    for (context, _) in map.contexts() {
        let rows = map.actions(context);
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("[keys.{}]\n", context.name()));
        for (keys, action) in rows {
            out.push_str(&format!("  {keys:<18} {:<22} {}\n", action.name(), map.help(context, action)));
        }
        out.push('\n');
    }
    out
}

/// The README's key table: a row per action and context (movement on one row), keys in backticks.
pub fn markdown(map: &KeyMap) -> String {
    let mut out = String::from("| Where | Keys | What it does |\n| --- | --- | --- |\n");
    for (context, title) in map.contexts() {
        for row in map.rows(context) {
            let keys = row.keys_with(|k| format!("`{}`", k.to_string().replace('|', "\\|")));
            out.push_str(&format!("| {title} | {keys} | {} |\n", row.help.replace('|', "\\|")));
        }
    }
    out
}
