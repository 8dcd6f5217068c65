//! A theme's colours as the terminal draws them: the config's [`Palette`] turned into styles.
use crate::config::theme::{Colour, Named, Palette};
use ratatui::style::{Color, Modifier, Style};

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

impl Default for Theme {
    fn default() -> Self {
        Theme::from(&Palette::default())
    }
}

fn color(c: Colour) -> Color {
    match c {
        Colour::Reset => Color::Reset,
        Colour::Indexed(i) => Color::Indexed(i),
        Colour::Rgb(r, g, b) => Color::Rgb(r, g, b),
        Colour::Named(n) => match n {
            Named::Black => Color::Black,
            Named::Red => Color::Red,
            Named::Green => Color::Green,
            Named::Yellow => Color::Yellow,
            Named::Blue => Color::Blue,
            Named::Magenta => Color::Magenta,
            Named::Cyan => Color::Cyan,
            Named::Gray => Color::Gray,
            Named::DarkGray => Color::DarkGray,
            Named::LightRed => Color::LightRed,
            Named::LightGreen => Color::LightGreen,
            Named::LightYellow => Color::LightYellow,
            Named::LightBlue => Color::LightBlue,
            Named::LightMagenta => Color::LightMagenta,
            Named::LightCyan => Color::LightCyan,
            Named::White => Color::White,
        },
    }
}

impl From<&Palette> for Theme {
    fn from(p: &Palette) -> Self {
        Theme {
            fg: color(p.fg),
            bg: color(p.bg),
            dim: color(p.dim),
            accent: color(p.accent),
            border: color(p.border),
            header_bg: color(p.header_bg),
            selected_bg: color(p.selected_bg),
            good: color(p.good),
            warn: color(p.warn),
            bad: color(p.bad),
            unknown: color(p.unknown),
            stale: color(p.stale),
            chart_rate: color(p.chart_rate),
            chart_errors: color(p.chart_errors),
            chart_latency: color(p.chart_latency),
            chart_saturation: color(p.chart_saturation),
            monochrome: false,
        }
    }
}

impl Theme {
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
    /// An environment's badge: its configured colour, else by what it is (production the theme's
    /// alarm colour, staging its warning, development its good, others its accent); reversed, so it
    /// reads as a label, and still told apart without colour.
    pub fn environment(&self, env: &crate::config::environment::Environment) -> Style {
        use crate::config::environment::Kind;
        let fg = env.colour.map(color).unwrap_or(match env.kind() {
            Kind::Production => self.bad,
            Kind::Staging => self.warn,
            Kind::Development => self.good,
            Kind::Other => self.accent,
        });
        let s = Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD);
        if self.monochrome { s } else { s.fg(fg) }
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
    fn no_color_is_monochrome() {
        let t = Theme::default().honour_no_color(Some("1"));
        assert!(t.monochrome && t.bad == Color::Reset);
        assert_eq!(Theme::default().bad, Color::Rgb(0xe0, 0x6c, 0x75));
    }
    #[test]
    fn every_name_is_the_terminal_library_s() {
        use std::str::FromStr;
        let names = [
            "red",
            "lightgreen",
            "darkgray",
            "white",
            "gray",
            "reset",
            "#0550ae",
            "208",
            "silver",
            "lightgray",
            "Light Grey",
            "bright-white",
            "bright black",
            "dark_grey",
            "LightSilver",
        ];
        for name in names {
            let ours = color(Colour::parse(name).unwrap());
            assert_eq!(Some(ours), Color::from_str(name).ok(), "{name}");
        }
    }
}
