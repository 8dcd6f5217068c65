//! Themes are files (`themes/*.toml`); the built-in ones are compiled in so the binary works anywhere.
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::str::FromStr;

const BUILTIN: &[(&str, &str)] =
    &[("dark", include_str!("../../themes/dark.toml")), ("light", include_str!("../../themes/light.toml"))];

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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    pub fg: Color,
    pub bg: Color,
    pub dim: Color,
    pub accent: Color,
    pub border: Color,
    pub header_bg: Color,
    pub selected_bg: Color,
    pub good: Color,
    pub warn: Color,
    pub bad: Color,
    pub unknown: Color,
    pub stale: Color,
    pub chart_rate: Color,
    pub chart_errors: Color,
    pub chart_latency: Color,
    pub chart_saturation: Color,
    /// NO_COLOR: every colour is the terminal's own; emphasis by modifiers only.
    pub monochrome: bool,
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

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin("dark").expect("the built-in dark theme parses")
    }
}

impl Theme {
    pub fn builtin(name: &str) -> Result<Self, String> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            let hint = crate::config::error::nearest(name, names.iter().copied())
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
        use crate::config::ConfigError;
        let loc = |span: std::ops::Range<usize>, msg: String| {
            let l = ConfigError::at(path, text, span, msg);
            format!("in theme {}:{}:{}: {}", l.path.display(), l.line, l.col, l.message)
        };
        let f: ThemeFile = toml::from_str(text)
            .map_err(|e| loc(e.span().unwrap_or(0..0), crate::config::error::with_suggestion(e.message())))?;
        let c = |name: &str, v: &str| {
            Color::from_str(v).map_err(|_| {
                let at = text.find(&format!("{name} =")).unwrap_or(0);
                loc(at..at + name.len(), format!("`{v}` is not a colour: expected a name like `red` or `#rrggbb`"))
            })
        };
        Ok(Theme {
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
            monochrome: false,
        })
    }

    /// Honour NO_COLOR (https://no-color.org): any non-empty value turns colour off.
    pub fn honour_no_color(self, no_color: Option<&str>) -> Self {
        match no_color {
            Some(v) if !v.is_empty() => self.monochrome(),
            _ => self,
        }
    }

    pub fn monochrome(self) -> Self {
        let r = Color::Reset;
        Theme {
            fg: r,
            bg: r,
            dim: r,
            accent: r,
            border: r,
            header_bg: r,
            selected_bg: r,
            good: r,
            warn: r,
            bad: r,
            unknown: r,
            stale: r,
            chart_rate: r,
            chart_errors: r,
            chart_latency: r,
            chart_saturation: r,
            monochrome: true,
        }
    }

    pub fn base(&self) -> Style {
        Style::new().fg(self.fg).bg(self.bg)
    }
    pub fn dim(&self) -> Style {
        let s = Style::new().fg(self.dim);
        if self.monochrome { s.add_modifier(Modifier::DIM) } else { s }
    }
    pub fn title(&self) -> Style {
        Style::new().fg(self.accent).add_modifier(Modifier::BOLD)
    }
    pub fn accent_style(&self) -> Style {
        Style::new().fg(self.accent)
    }
    pub fn border(&self) -> Style {
        Style::new().fg(self.border)
    }
    pub fn header(&self) -> Style {
        Style::new().fg(self.fg).bg(self.header_bg)
    }
    pub fn selected(&self) -> Style {
        let s = Style::new().bg(self.selected_bg).add_modifier(Modifier::BOLD);
        if self.monochrome { s.add_modifier(Modifier::REVERSED) } else { s }
    }
    pub fn good(&self) -> Style {
        Style::new().fg(self.good)
    }
    pub fn warn(&self) -> Style {
        let s = Style::new().fg(self.warn);
        if self.monochrome { s.add_modifier(Modifier::BOLD) } else { s }
    }
    pub fn bad(&self) -> Style {
        let s = Style::new().fg(self.bad).add_modifier(Modifier::BOLD);
        if self.monochrome { s.add_modifier(Modifier::REVERSED) } else { s }
    }
    pub fn unknown(&self) -> Style {
        Style::new().fg(self.unknown)
    }
    pub fn stale(&self) -> Style {
        Style::new().fg(self.stale).add_modifier(Modifier::ITALIC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn builtins_parse() {
        for (name, _) in BUILTIN {
            Theme::builtin(name).unwrap();
        }
        assert!(Theme::builtin("drak").unwrap_err().contains("did you mean `dark`"));
        let t = Theme::default().honour_no_color(Some("1"));
        assert!(t.monochrome && t.bad == Color::Reset);
    }
    #[test]
    fn bad_colour_is_located() {
        let text = Theme::builtin("dark").map(|_| include_str!("../../themes/dark.toml")).unwrap();
        let broken = text.replace("bad = \"#e06c75\"", "bad = \"blurple\"");
        let err = Theme::parse(Path::new("t.toml"), &broken).unwrap_err();
        assert!(err.contains("t.toml:") && err.contains("blurple"), "{err}");
    }
}
