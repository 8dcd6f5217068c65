//! The Rollback screen: the service's versions (the current one marked), then the checks, the plan
//! exactly as it will run and the gates the watch will hold it to, the confirmation, the live output,
//! the gates as they hold, and the outcome.
use crate::app::App;
use crate::ops::rollback::{Blocker, Outcome};
use crate::screens::rollback::state::Phase;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// The watch reads a short window so it sees the new version soon; the overview's window is longer and
/// still holds the minutes before the rollback. Said on screen, so the two never disagree unexplained.
fn why_figures_differ(app: &App, service: &str) -> String {
    let watch = crate::time::promql(app.rollback_settings.window);
    let overview = app
        .services
        .iter()
        .find(|v| v.service.name == service)
        .map_or(crate::config::load::DEFAULT_RATE_WINDOW, |v| v.service.rate_window);
    format!(
        "  (the watch reads the last {watch}; the overview's figures are over {}, so they still count the \
         minutes before the rollback until {} have passed)",
        crate::time::promql(overview),
        crate::time::promql(overview)
    )
}

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(r) = &app.rollback else {
        f.render_widget(Paragraph::new("No rollback: R on a service starts one.").style(t.dim()), area);
        return;
    };
    let clean = |s: &str| crate::text::sanitize(s).into_owned();
    let [versions, detail] = Layout::vertical([Constraint::Percentage(40), Constraint::Fill(1)]).areas(area);
    let title = format!(
        " Roll back {}{} — {} ",
        clean(&r.service),
        app.in_environment(),
        match r.phase {
            Phase::Loading => "reading its versions…",
            Phase::Choose => "choose the version (enter)",
            Phase::Confirm => "check the plan (enter to confirm)",
            Phase::Running => "running (x aborts)",
            Phase::Done => "over",
        }
    );
    let mut lines: Vec<Line> = Vec::new();
    if let Some(e) = &r.error {
        lines.push(Line::from(Span::styled(format!("✖ {e}"), t.bad())));
    }
    for (i, v) in r.history.iter().enumerate().rev() {
        let at = v.at.map_or("—".into(), |a| a.format("%Y-%m-%d %H:%M").to_string());
        // `●` is the version running; `▶` (as in every list) the one chosen.
        let mark = if v.current { "●" } else { " " };
        let text = format!(
            "{mark} {:<8} {:<34} {:<17} {}",
            clean(&v.revision),
            clean(&v.version),
            at,
            clean(v.cause.as_deref().unwrap_or(""))
        );
        let style = if v.current { t.good() } else { t.base() };
        let line = Line::from(Span::styled(text, style));
        lines.push(crate::ui::widgets::picked(line, i == r.selected && r.phase != Phase::Loading, t));
    }
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    f.render_widget(Paragraph::new(lines).block(block), versions);

    let mut lines: Vec<Line> = Vec::new();
    match r.phase {
        Phase::Loading | Phase::Choose => {
            lines.push(Line::from(Span::styled(
                "Enter on a version shows the checks and exactly what will run.",
                t.dim(),
            )));
        }
        Phase::Confirm | Phase::Running | Phase::Done => {
            for b in &r.blockers {
                let style = if b.overridable() { t.warn() } else { t.bad() };
                lines.push(Line::from(Span::styled(format!("✖ {}", clean(&b.to_string())), style)));
            }
            lines.push(Line::from(Span::styled("runs:", t.dim())));
            for p in &r.plan {
                lines.push(Line::from(format!("  {}", clean(&p.to_string()))));
            }
            let s = app.rollback_settings;
            lines.push(Line::from(Span::styled(
                format!(
                    "then watches, until they hold for {} (within {}):",
                    crate::time::short(s.hold),
                    crate::time::short(s.watch)
                ),
                t.dim(),
            )));
            for g in &r.gates {
                let reading = r.holding.iter().find(|x| x.gate == g.name);
                let (mark, style) = match reading.map(|x| x.holds) {
                    Some(true) => ("✓", t.good()),
                    Some(false) => ("✗", t.bad()),
                    None => ("·", t.dim()),
                };
                let now = match reading {
                    Some(x) => format!(" — now {}", x.value.map_or("no data".to_string(), |v| g.show(v))),
                    None => String::new(),
                };
                lines.push(Line::from(Span::styled(format!("  {mark} {}{now}", clean(&g.name)), style)));
            }
            lines.push(Line::from(Span::styled(why_figures_differ(app, &r.service), t.dim())));
            if r.phase == Phase::Running && !r.holding.is_empty() {
                lines.push(Line::from(format!("  all held for {}", crate::time::short(r.held))));
            }
            if let Some(reason) = &r.override_reason {
                lines.push(Line::from(Span::styled(format!("overridden: {}", clean(reason)), t.warn())));
            }
            for l in r.lines.iter().rev().take(usize::from(detail.height / 2)).rev() {
                lines.push(Line::from(l.clone()));
            }
            match &r.outcome {
                Some(Ok(Outcome::Succeeded)) => {
                    lines.push(Line::from(Span::styled("✓ rollback succeeded: every gate held", t.good())))
                }
                Some(Ok(o)) => {
                    lines.push(Line::from(Span::styled(format!("✖ rollback {}", clean(&o.to_string())), t.bad())))
                }
                Some(Err(e)) => lines.push(Line::from(Span::styled(format!("✖ {}", clean(e)), t.bad()))),
                None => {}
            }
            if let Some(input) = &r.input {
                let freeze = !r.blockers.is_empty();
                let label = if freeze && r.override_reason.is_none() {
                    " why go ahead anyway (recorded): ".to_string()
                } else if app.confirm_word(&r.service) != r.service {
                    // In production the environment is named too, so it is typed knowingly.
                    format!(" type {} to roll it back: ", crate::text::sanitize(&app.confirm_word(&r.service)))
                } else {
                    " type the service's name to roll it back: ".to_string()
                };
                let mut spans = vec![Span::styled(label, t.warn())];
                spans.extend(crate::ui::widgets::field(input, Default::default(), t.dim()));
                lines.push(Line::from(spans));
            } else if r.phase == Phase::Confirm && r.blockers.iter().all(Blocker::overridable) {
                lines.push(Line::from(Span::styled("enter: confirm · esc: back", t.dim())));
            }
        }
    }
    let block =
        Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" Plan and watch ", t.title()));
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), detail);
}
