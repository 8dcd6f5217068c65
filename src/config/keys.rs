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
}
