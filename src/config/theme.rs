//! Theme files (`themes/*.toml`) as plain data: which colour each role of the screen takes. The built-in
//! themes are compiled in so the binary works anywhere; the ui layer turns a [`Palette`] into styles.
use serde::Deserialize;
use std::path::{Path, PathBuf};

const BUILTIN: &[(&str, &str)] =
    &[("dark", include_str!("../../themes/dark.toml")), ("light", include_str!("../../themes/light.toml"))];

/// The theme the config names: a built-in one by name, or a file.
#[derive(Clone, Debug, PartialEq)]
pub enum ThemeChoice {
    Builtin(String),
    File(PathBuf),
}

impl ThemeChoice {
    /// A bare name is a built-in theme; anything with a `/` or ending in `.toml` is a file.
    pub fn parse(s: &str, base: &Path) -> Self {
        if s.contains('/') || s.ends_with(".toml") {
            ThemeChoice::File(base.join(s))
        } else {
            ThemeChoice::Builtin(s.to_string())
        }
    }
}

/// One of the sixteen colours every terminal names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
}

/// A colour as a theme file writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    /// The terminal's own (its default foreground or background).
    Reset,
    Named(Named),
    /// One of the 256-colour palette's entries, by number.
    Indexed(u8),
    Rgb(u8, u8, u8),
}

impl Colour {
    /// `reset`, a name (`red`, `lightgreen`, `dark gray`, `bright-blue`), `#rrggbb`, or `0`–`255`.
    ///
    /// Written here rather than taken from the terminal library, so that config stays plain data; the
    /// grammar is that library's (names with any spacing, `bright` for `light`, `grey`, `silver`, hex,
    /// an index), and a test holds the two to the same answers.
    pub fn parse(s: &str) -> Option<Colour> {
        if let Some(hex) = s.strip_prefix('#') {
            let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
            return (hex.len() == 6).then(|| Some(Colour::Rgb(byte(0)?, byte(2)?, byte(4)?))).flatten();
        }
        if let Ok(i) = s.parse::<u8>() {
            return Some(Colour::Indexed(i));
        }
        let mut name: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '_')).collect::<String>().to_lowercase();
        for (from, to) in [
            ("bright", "light"),
            ("grey", "gray"),
            ("silver", "gray"),
            ("lightblack", "darkgray"),
            ("lightwhite", "white"),
            ("lightgray", "white"),
        ] {
            name = name.replace(from, to);
        }
        use Named::*;
        Some(Colour::Named(match name.as_str() {
            "reset" => return Some(Colour::Reset),
            "black" => Black,
            "red" => Red,
            "green" => Green,
            "yellow" => Yellow,
            "blue" => Blue,
            "magenta" => Magenta,
            "cyan" => Cyan,
            "gray" => Gray,
            "darkgray" => DarkGray,
            "lightred" => LightRed,
            "lightgreen" => LightGreen,
            "lightyellow" => LightYellow,
            "lightblue" => LightBlue,
            "lightmagenta" => LightMagenta,
            "lightcyan" => LightCyan,
            "white" => White,
            _ => return None,
        }))
    }
}

/// Every role a theme colours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Palette {
    pub fg: Colour,
    pub bg: Colour,
    pub dim: Colour,
    pub accent: Colour,
    pub border: Colour,
    pub header_bg: Colour,
    pub selected_bg: Colour,
    pub good: Colour,
    pub warn: Colour,
    pub bad: Colour,
    pub unknown: Colour,
    pub stale: Colour,
    pub chart_rate: Colour,
    pub chart_errors: Colour,
    pub chart_latency: Colour,
    pub chart_saturation: Colour,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    fg: String,
    bg: String,
    dim: String,
    accent: String,
    border: String,
    header_bg: String,
    selected_bg: String,
    good: String,
    warn: String,
    bad: String,
    unknown: String,
    stale: String,
    chart_rate: String,
    chart_errors: String,
    chart_latency: String,
    chart_saturation: String,
}

impl Default for Palette {
    fn default() -> Self {
        Palette::builtin("dark").expect("the built-in dark theme parses")
    }
}

impl Palette {
    pub fn builtin(name: &str) -> Result<Self, String> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            let hint = super::error::nearest(name, names.iter().copied())
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            format!("unknown theme `{name}`: expected one of {} or a path to a theme file{hint}", names.join(", "))
        })?;
        Self::parse(Path::new(name), text)
    }

    pub fn load(choice: &ThemeChoice) -> Result<Self, String> {
        match choice {
            ThemeChoice::Builtin(n) => Self::builtin(n),
            ThemeChoice::File(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("theme file {} cannot be read: {e}", p.display()))?;
                Self::parse(p, &text)
            }
        }
    }

    /// Parse a theme file; errors name the theme file's own line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Self, String> {
        use super::ConfigError;
        let loc = |span: std::ops::Range<usize>, msg: String| {
            let l = ConfigError::at(path, text, span, msg);
            format!("in theme {}:{}:{}: {}", l.path.display(), l.line, l.col, l.message)
        };
        let f: ThemeFile = toml::from_str(text)
            .map_err(|e| loc(e.span().unwrap_or(0..0), super::error::with_suggestion(e.message())))?;
        let c = |name: &str, v: &str| {
            Colour::parse(v).ok_or_else(|| {
                let at = text.find(&format!("{name} =")).unwrap_or(0);
                loc(at..at + name.len(), format!("`{v}` is not a colour: expected a name like `red` or `#rrggbb`"))
            })
        };
        Ok(Palette {
            fg: c("fg", &f.fg)?,
            bg: c("bg", &f.bg)?,
            dim: c("dim", &f.dim)?,
            accent: c("accent", &f.accent)?,
            border: c("border", &f.border)?,
            header_bg: c("header_bg", &f.header_bg)?,
            selected_bg: c("selected_bg", &f.selected_bg)?,
            good: c("good", &f.good)?,
            warn: c("warn", &f.warn)?,
            bad: c("bad", &f.bad)?,
            unknown: c("unknown", &f.unknown)?,
            stale: c("stale", &f.stale)?,
            chart_rate: c("chart_rate", &f.chart_rate)?,
            chart_errors: c("chart_errors", &f.chart_errors)?,
            chart_latency: c("chart_latency", &f.chart_latency)?,
            chart_saturation: c("chart_saturation", &f.chart_saturation)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn builtins_parse() {
        for (name, _) in BUILTIN {
            Palette::builtin(name).unwrap();
        }
        assert!(Palette::builtin("drak").unwrap_err().contains("did you mean `dark`"));
    }
    #[test]
    fn colours_as_theme_files_write_them() {
        assert_eq!(Colour::parse("#e06c75"), Some(Colour::Rgb(0xe0, 0x6c, 0x75)));
        assert_eq!(Colour::parse("reset"), Some(Colour::Reset));
        assert_eq!(Colour::parse("Light Green"), Some(Colour::Named(Named::LightGreen)));
        assert_eq!(Colour::parse("bright-red"), Some(Colour::Named(Named::LightRed)));
        assert_eq!(Colour::parse("dark_grey"), Some(Colour::Named(Named::DarkGray)));
        assert_eq!(Colour::parse("208"), Some(Colour::Indexed(208)));
        for bad in ["blurple", "#e06c7", "#e06c7g", "256", ""] {
            assert_eq!(Colour::parse(bad), None, "{bad}");
        }
    }
    #[test]
    fn bad_colour_is_located() {
        let text = include_str!("../../themes/dark.toml");
        let broken = text.replace("bad = \"#e06c75\"", "bad = \"blurple\"");
        let err = Palette::parse(Path::new("t.toml"), &broken).unwrap_err();
        assert!(err.contains("t.toml:") && err.contains("blurple"), "{err}");
    }
}
