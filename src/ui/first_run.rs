//! Nothing configured yet: say how to point watchpost at a Prometheus.
use crate::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let path = crate::config::find::default_path()
        .map_or("~/.config/watchpost/config.toml".into(), |p| p.display().to_string());
    let lines = vec![
        Line::from(Span::styled("Nothing to watch yet.", t.title())),
        Line::default(),
        Line::from("The config names no Prometheus, and PROMETHEUS_URL is not set. Point watchpost at"),
        Line::from("a Prometheus (or Thanos, Mimir, VictoriaMetrics) in one of these ways:"),
        Line::default(),
        Line::from(Span::styled("  PROMETHEUS_URL=http://localhost:9090 watchpost", t.accent_style())),
        Line::from(Span::styled("      every job with an `up` series becomes a service", t.dim())),
        Line::default(),
        Line::from(Span::styled(format!("  {path}"), t.accent_style())),
        Line::from(Span::styled(
            "      services, SLO targets, auth, theme and keys; see assets/config.example.toml",
            t.dim(),
        )),
        Line::from(Span::styled("  watchpost --config FILE   or   WATCHPOST_CONFIG=FILE", t.accent_style())),
        Line::default(),
        Line::from(Span::styled(
            "  watchpost config check    validates a config without starting the console",
            t.dim(),
        )),
        Line::from(Span::styled("  watchpost demo            the console on the built-in demo estate", t.dim())),
        Line::from(Span::styled("  watchpost estate serve    a simulated estate for a Prometheus to scrape", t.dim())),
        Line::default(),
        Line::from(Span::styled("Press q to quit.", t.dim())),
    ];
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" Welcome ", t.title()));
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}
