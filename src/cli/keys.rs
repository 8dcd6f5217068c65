//! `watchpost keys`: the key table the console uses, by context — the defaults with the config's
//! `[keys.*]` overrides — with each action's name, as the config rebinds it.
use crate::app::keymap::{Context, KeyMap};
use std::path::PathBuf;
use std::process::ExitCode;

pub fn keys(flag: Option<PathBuf>) -> ExitCode {
    let overrides = match crate::config::find(flag) {
        crate::config::Found::File(p) => match crate::config::load_file(&p) {
            Ok(c) => c.keys,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
        crate::config::Found::Nothing => Vec::new(),
    };
    print!("{}", table(&KeyMap::with_overrides(&overrides)));
    ExitCode::SUCCESS
}

/// The table as text: a `[keys.CONTEXT]` heading per context (global first), then `keys  action  what`.
pub fn table(map: &KeyMap) -> String {
    let mut out = String::new();
    let contexts = std::iter::once(Context::Global).chain(Context::ALL.into_iter().filter(|c| *c != Context::Global));
    for context in contexts {
        let rows = map.actions(context);
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("[keys.{}]\n", context.name()));
        for (keys, action) in rows {
            out.push_str(&format!("  {keys:<18} {:<22} {}\n", action.name(), action.desc()));
        }
        out.push('\n');
    }
    out
}
