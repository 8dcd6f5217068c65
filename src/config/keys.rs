//! Key names as written in the config (`q`, `ctrl-c`, `shift-tab`, `enter`, `f5`), as plain data: the
//! app layer matches them against the terminal's events.
use std::fmt;

/// A key, without its modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Backspace,
    Delete,
    F(u8),
}

/// The modifiers held with a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mods {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl Mods {
    pub const NONE: Mods = Mods { ctrl: false, alt: false, shift: false };
    pub const CTRL: Mods = Mods { ctrl: true, alt: false, shift: false };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: Key,
    pub mods: Mods,
}

impl KeySpec {
    pub const fn plain(code: Key) -> Self {
        KeySpec { code, mods: Mods::NONE }
    }
    pub const fn ch(c: char) -> Self {
        Self::plain(Key::Char(c))
    }
    pub const fn ctrl(c: char) -> Self {
        KeySpec { code: Key::Char(c), mods: Mods::CTRL }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let expected = "expected a key such as `q`, `?`, `ctrl-r`, `alt-x`, `shift-tab`, `enter`, `esc`, \
                        `tab`, `up`, `pagedown`, `home`, `space` or `f5`";
        if s.chars().count() == 1 {
            return Ok(Self::ch(s.chars().next().unwrap_or(' ')));
        }
        let mut mods = Mods::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (flag, len): (fn(&mut Mods), usize) = if lower.starts_with("ctrl-") {
                (|m| m.ctrl = true, 5)
            } else if lower.starts_with("alt-") {
                (|m| m.alt = true, 4)
            } else if lower.starts_with("shift-") {
                (|m| m.shift = true, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break;
            }
            flag(&mut mods);
            rest = &rest[len..];
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => Key::Enter,
            "esc" | "escape" => Key::Esc,
            "tab" if mods.shift => {
                mods.shift = false;
                Key::BackTab
            }
            "tab" => Key::Tab,
            "backtab" => Key::BackTab,
            "up" => Key::Up,
            "down" => Key::Down,
            "left" => Key::Left,
            "right" => Key::Right,
            "pageup" | "pgup" => Key::PageUp,
            "pagedown" | "pgdn" => Key::PageDown,
            "home" => Key::Home,
            "end" => Key::End,
            "backspace" => Key::Backspace,
            "delete" | "del" => Key::Delete,
            "space" => Key::Char(' '),
            f if f.starts_with('f') && f.len() > 1 => match f[1..].parse::<u8>() {
                Ok(n @ 1..=12) => Key::F(n),
                _ => return Err(format!("unknown key `{s}`: {expected}")),
            },
            _ if rest.chars().count() == 1 => {
                let c = rest.chars().next().unwrap_or(' ');
                Key::Char(if mods.ctrl { c.to_ascii_lowercase() } else { c })
            }
            _ => return Err(format!("unknown key `{s}`: {expected}")),
        };
        Ok(KeySpec { code, mods })
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.mods.alt {
            f.write_str("alt-")?;
        }
        if self.mods.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            Key::Char(' ') => f.write_str("space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::Enter => f.write_str("enter"),
            Key::Esc => f.write_str("esc"),
            Key::Tab => f.write_str("tab"),
            Key::BackTab => f.write_str("shift-tab"),
            Key::Up => f.write_str("↑"),
            Key::Down => f.write_str("↓"),
            Key::Left => f.write_str("←"),
            Key::Right => f.write_str("→"),
            Key::PageUp => f.write_str("pgup"),
            Key::PageDown => f.write_str("pgdn"),
            Key::Home => f.write_str("home"),
            Key::End => f.write_str("end"),
            Key::Backspace => f.write_str("backspace"),
            Key::Delete => f.write_str("delete"),
            Key::F(n) => write!(f, "f{n}"),
        }
    }
}

/// The default key table, as shipped (`assets/keys.toml`): plain data, names and texts. The app layer
/// turns it into bindings; config checks a file's `[keys.*]` overrides against its names.
pub const SHIPPED: &str = include_str!("../../assets/keys.toml");

/// What an action does, and its short label in the footer (none: it stays out of the footer).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionText {
    pub help: String,
    pub footer: Option<String>,
}

/// Keys bound to one action in one context, and what it does there when that says more than the
/// action's own words.
#[derive(Clone, Debug, PartialEq)]
pub struct BindingText {
    pub keys: Vec<KeySpec>,
    pub action: String,
    pub help: Option<String>,
    pub footer: Option<String>,
}

/// Where bindings apply (`global`, a screen's name, `form`, ...), and how the README names it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContextTable {
    pub name: String,
    pub title: Option<String>,
    pub bind: Vec<BindingText>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyTable {
    pub actions: indexmap::IndexMap<String, ActionText>,
    /// In the order help and the README list them.
    pub contexts: Vec<ContextTable>,
}

/// A config's `[keys.CONTEXT] "KEY" = "ACTION"`, its names checked against the key table (`None`:
/// unbind).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyOverride {
    pub context: String,
    pub key: KeySpec,
    pub action: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    actions: indexmap::IndexMap<String, ActionText>,
    context: Vec<ContextFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    name: String,
    title: Option<String>,
    bind: Vec<BindingFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingFile {
    keys: Vec<String>,
    action: String,
    help: Option<String>,
    footer: Option<String>,
}

impl KeyTable {
    /// The shipped table. It is part of the binary and a test parses it, so a broken one cannot ship.
    pub fn shipped() -> &'static KeyTable {
        static TABLE: std::sync::OnceLock<KeyTable> = std::sync::OnceLock::new();
        TABLE.get_or_init(|| KeyTable::parse(SHIPPED).expect("the shipped key table parses"))
    }

    /// Parse a key table; every action a binding names must be in `[actions]`.
    pub fn parse(text: &str) -> Result<KeyTable, String> {
        let file: TableFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut contexts = Vec::new();
        for c in file.context {
            let mut bind = Vec::new();
            for b in c.bind {
                if !file.actions.contains_key(&b.action) {
                    return Err(format!("context `{}`: unknown action `{}`", c.name, b.action));
                }
                let keys = b.keys.iter().map(|k| KeySpec::parse(k)).collect::<Result<Vec<_>, _>>()?;
                bind.push(BindingText { keys, action: b.action, help: b.help, footer: b.footer });
            }
            contexts.push(ContextTable { name: c.name, title: c.title, bind });
        }
        Ok(KeyTable { actions: file.actions, contexts })
    }

    pub fn context_names(&self) -> impl Iterator<Item = &str> {
        self.contexts.iter().map(|c| c.name.as_str())
    }

    pub fn action_names(&self) -> impl Iterator<Item = &str> {
        self.actions.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn names() {
        assert_eq!(KeySpec::parse("ctrl-c").unwrap(), KeySpec::ctrl('c'));
        assert_eq!(KeySpec::parse("shift-tab").unwrap(), KeySpec::plain(Key::BackTab));
        assert_eq!(KeySpec::parse("G").unwrap(), KeySpec::ch('G'));
        assert_eq!(KeySpec::parse("f5").unwrap(), KeySpec::plain(Key::F(5)));
        assert!(KeySpec::parse("hyper-q").unwrap_err().contains("unknown key"));
        assert_eq!(KeySpec::ctrl('r').to_string(), "ctrl-r");
        assert_eq!(KeySpec::parse("alt-shift-x").unwrap().mods, Mods { ctrl: false, alt: true, shift: true });
    }
    #[test]
    fn the_shipped_table_parses_and_names_one_binding_per_key_and_context() {
        let t = KeyTable::parse(SHIPPED).unwrap();
        assert!(t.contexts.iter().any(|c| c.name == "global"));
        for c in &t.contexts {
            let mut seen = std::collections::HashSet::new();
            for k in c.bind.iter().flat_map(|b| &b.keys) {
                assert!(seen.insert(*k), "`{k}` is bound twice in `{}`", c.name);
            }
        }
        assert!(
            KeyTable::parse("actions = {}\n[[context]]\nname = \"x\"\nbind = [{ keys = [\"q\"], action = \"nope\" }]")
                .unwrap_err()
                .contains("unknown action `nope`")
        );
    }
}
