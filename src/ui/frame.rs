//! The frame: header, a banner while the source is down, the screen, the footer, and help on top.
use super::{first_run, help};
use crate::app::App;
use crate::app::keymap::Context;
use crate::sources::SourceState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

/// Below this the console shows a notice instead of a squeezed, misleading layout.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 12;

/// Draw the whole view; afterwards [`super::when::next`] says when it goes out of date by time alone.
pub fn draw(app: &App, f: &mut Frame) {
    super::when::begin();
    let area = f.area();
    let t = &app.theme;
    f.render_widget(Block::new().style(t.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small: {}x{} (watchpost needs at least {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).style(t.warn()).wrap(Wrap { trim: true }), area);
        return;
    }
    let down = app.has_source && app.source.is_down();
    let [header, banner, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(if down { banner_height(app, area.width) } else { 0 }),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(app, f, header);
    if down {
        draw_banner(app, f, banner);
    }
    let configured = app.has_source
        || app.alerts.configured
        || app.incidents.configured
        || app.logs.source.is_some()
        || app.traces.configured;
    if !configured {
        first_run::draw(app, f, body);
    } else {
        app.screen.view().draw(app, f, body);
    }
    draw_footer(app, f, footer);
    if app.help {
        help::draw(app, f, area);
    }
    super::palette::draw(app, f, area);
    super::confirm::draw(app, f, area);
}

fn source_span(app: &App) -> Span<'static> {
    let t = &app.theme;
    let s = &app.source;
    let (mark, style) = match s.state {
        SourceState::Ok => ("●", t.good()),
        SourceState::Slow => ("◐", t.warn()),
        SourceState::Connecting => ("○", t.dim()),
        SourceState::Failing | SourceState::CircuitOpen => ("✖", t.bad()),
    };
    if let Some(since) = app.direct_since {
        let text = format!("direct scrape — Prometheus down since {}", since.format("%H:%M:%S"));
        return Span::styled(text, t.warn().add_modifier(Modifier::BOLD));
    }
    let mut text = format!("{} {mark} {}", crate::text::sanitize(&s.name), s.state.label());
    if let (SourceState::Ok | SourceState::Slow, Some(l)) = (s.state, s.latency) {
        text.push_str(&format!(" {}ms", l.as_millis()));
    }
    // Slow because a try failed and another is out: say why while it is still trying.
    if let (SourceState::Slow, Some(why)) = (s.state, &s.last_error) {
        text.push_str(&format!(": {}", crate::text::capped(why.as_str(), 60)));
    }
    Span::styled(text, style)
}

fn draw_header(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let clock = format!(" {} ", super::when::clock(app.now));
    // Parts in order of importance; the least important go first when the line is too narrow.
    let mut parts: Vec<(u8, Span<'static>)> = vec![(0, Span::styled(" watchpost", t.title()))];
    // Where you are, always: the environment before anything else, and whether actions are refused.
    if let Some(env) = &app.environment {
        let name = format!(" {} ", crate::text::capped(&env.name, 24));
        parts.push((0, Span::styled(name, t.environment(env))));
    }
    if app.read_only {
        parts.push((0, Span::styled(" READ-ONLY ", t.warn().add_modifier(Modifier::REVERSED | Modifier::BOLD))));
    }
    if app.demo {
        parts.push((0, Span::styled(" DEMO ", t.warn().add_modifier(Modifier::REVERSED | Modifier::BOLD))));
    }
    if app.alerts.attention > 0 {
        let text = format!(" ▲ {} NEW CRITICAL ", app.alerts.attention);
        parts.push((0, Span::styled(text, t.bad().add_modifier(Modifier::REVERSED | Modifier::BOLD))));
    } else if let Some(n) =
        Some(app.alerts.alerts.iter().filter(|a| a.state == crate::alerts::model::AlertState::Active).count())
            .filter(|n| *n > 0)
    {
        parts.push((1, Span::styled(format!("{n} firing"), t.warn())));
    }
    let interrupted = app.interrupted_runs();
    if interrupted > 0 {
        let text = format!(" ↻ {interrupted} INTERRUPTED RUN(S): B ");
        parts.push((0, Span::styled(text, t.warn().add_modifier(Modifier::REVERSED | Modifier::BOLD))));
    }
    if let Some(r) = app.drills.run.as_ref().filter(|r| r.is_active()) {
        let text = format!(" DRILL {} ", super::when::counting(app.now, r.clock(app.now)));
        parts.push((0, Span::styled(text, t.bad().add_modifier(Modifier::REVERSED | Modifier::BOLD))));
    }
    parts.extend([(
        2,
        Span::styled(crate::text::sanitize(&app.estate).into_owned(), t.base().add_modifier(Modifier::BOLD)),
    )]);
    if app.has_source {
        parts.push((0, source_span(app)));
        parts.push((
            1,
            match app.refresh_age() {
                // Answers, but nothing in them yet: not "updated 0s ago" over rows of 0/0.
                Some(_) if !app.services.is_empty() && !app.services.iter().any(|v| v.has_data()) => {
                    Span::styled("waiting for data", t.dim())
                }
                Some(age) => {
                    let stale = crate::app::service_view::is_stale(Some(age), app.refresh, app.source_down());
                    let at = app.last_update.unwrap_or(app.now);
                    let text = match super::when::freshness(app.now, at, app.refresh) {
                        None => "updated now".to_string(),
                        Some(a) => format!("updated {a} ago"),
                    };
                    Span::styled(text, if stale { t.stale() } else { t.dim() })
                }
                None => Span::styled("waiting for data", t.dim()),
            },
        ));
        parts.push((3, Span::styled(format!("range {}", app.range_label()), t.dim())));
    }
    let room = area.width.saturating_sub(clock.len() as u16) as usize;
    let width = |p: &[(u8, Span)]| p.iter().map(|(_, s)| s.width() + 3).sum::<usize>();
    while width(&parts) > room && parts.len() > 1 {
        let Some(i) = parts.iter().enumerate().max_by_key(|(_, (prio, _))| *prio).map(|(i, _)| i) else { break };
        parts.remove(i);
    }
    let mut spans = Vec::new();
    for (i, (_, s)) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", t.dim()));
        }
        spans.push(s);
    }
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(clock.len() as u16)]).areas(area);
    f.render_widget(Paragraph::new(Line::from(spans)).style(t.header()), l);
    f.render_widget(Paragraph::new(clock).style(t.header()), r);
}

fn banner_text(app: &App) -> String {
    let s = &app.source;
    let since = s.failing_since.map_or(String::new(), |at| {
        format!(" since {} ({} ago)", at.format("%H:%M:%S"), super::when::ago(app.now, at))
    });
    let why = s.last_error.as_ref().map_or(String::new(), |e| format!(" — {e}"));
    let retry = s.retry_at.map_or(String::new(), |at| {
        if at - app.now >= chrono::Duration::seconds(1) {
            format!(" — next try in {}", super::when::until(app.now, at))
        } else {
            " — probing".to_string()
        }
    });
    let showing = if app.direct_since.is_some() {
        "showing the fallback targets, scraped directly"
    } else {
        "showing last good values, marked stale"
    };
    // What it means for the figures comes before the details.
    format!(" Prometheus {}{since} — {showing}{why}{retry}", s.state.label())
}

/// The banner takes a second line when the reason would not fit on one.
fn banner_height(app: &App, width: u16) -> u16 {
    if unicode_width::UnicodeWidthStr::width(banner_text(app).as_str()) > usize::from(width) { 2 } else { 1 }
}

fn draw_banner(app: &App, f: &mut Frame, area: Rect) {
    f.render_widget(Paragraph::new(banner_text(app)).style(app.theme.bad()).wrap(Wrap { trim: true }), area);
}

fn draw_footer(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    // A popup's own keys while it is open; else the screen's, or its form's.
    let ctx = if app.help { Context::Help } else { app.context() };
    let mut spans = Vec::new();
    if let Some(n) = app.notice_here().filter(|_| !app.help && app.palette.is_none()) {
        let line = Line::from(Span::styled(format!(" {}", crate::text::sanitize(n)), t.warn()));
        f.render_widget(Paragraph::new(line).style(Style::new().bg(t.header_bg)), area);
        return;
    }
    // Movement keys are obvious and listed in help; the footer keeps to what a newcomer needs, and to
    // what applies to the form that is open.
    let mut entries = app.keys.describe_for_footer(ctx);
    entries.retain(|(_, action, _)| app.applies(ctx, *action));
    // While typing, global keys are text (`q` is a letter of the filter): the footer does not offer them.
    if !ctx.is_typing() && ctx != Context::Help {
        // A global key this screen uses for something else is not listed twice.
        let taken: Vec<String> = entries.iter().map(|(k, _, _)| k.clone()).collect();
        entries.extend(
            app.keys
                .describe_for_footer(Context::Global)
                .into_iter()
                .filter(|(k, action, _)| !taken.contains(k) && app.applies(Context::Global, *action)),
        );
    }
    for (keys, _, label) in entries {
        spans.push(Span::styled(format!(" {keys}"), t.title()));
        spans.push(Span::styled(format!(" {label} "), t.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(Style::new().bg(t.header_bg)), area);
}
