//! The SLA/SLO figures of one service: availability vs objective, error budget left (percent and time),
//! burn rates over 1 h and 6 h with the workbook's paging thresholds, and current figures vs targets.
use super::format;
use crate::app::App;
use crate::app::service_view::ServiceView;
use crate::screens::overview::draw::{budget_style, burn_style, verdict_style};
use crate::slo::{BurnAlert, BurnRates};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, LineGauge, Paragraph};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(v) = app.selected_service() else {
        f.render_widget(Block::new().borders(Borders::ALL).border_style(t.border()), area);
        return;
    };
    let tg = &v.service.targets;
    // A calendar SLO says which hours it counts in its title, at every width.
    let title = format!(
        " {} · SLO {} over {}{} ",
        crate::text::sanitize(&v.service.name),
        format::availability(Some(tg.availability)),
        crate::time::short(tg.window),
        tg.calendar.as_ref().map_or(String::new(), |c| format!(", {} only", c.describe()))
    );
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let n = inner.height as usize;
    // Short or narrow: two dense lines first (availability with budget, then burn rates).
    if n < 4 || inner.width < 100 {
        f.render_widget(Paragraph::new(compact_lines(app, v)), inner);
        return;
    }
    let lines = lines(app, v);
    // Budget gauge on its own line when there is room, after the availability line.
    if n >= 5 {
        let [a, g, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
        f.render_widget(Paragraph::new(lines[0].clone()), a);
        draw_gauge(app, v, f, g);
        f.render_widget(Paragraph::new(lines[2..].to_vec()), rest);
    } else {
        f.render_widget(Paragraph::new(lines), inner);
    }
}

fn draw_gauge(app: &App, v: &ServiceView, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(b) = v.budget() else {
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(" Error budget  ", t.dim()),
                Span::styled("no traffic measured over the window yet", t.unknown()),
            ])),
            area,
        );
        return;
    };
    let style = budget_style(t, Some(&b));
    let label = format!(
        " Error budget  {:.1}% left · {} of {} ",
        b.remaining * 100.0,
        format::secs(b.remaining_secs),
        format::secs(b.total_secs)
    );
    let gauge = LineGauge::default()
        .ratio(b.remaining.clamp(0.0, 1.0))
        .label(Span::styled(label, t.base()))
        // Distinct glyphs, so the gauge reads without colour too (NO_COLOR, monochrome terminals).
        .filled_symbol("█")
        .unfilled_symbol("░")
        .filled_style(style)
        .unfilled_style(t.dim());
    f.render_widget(gauge, area);
}

fn lines(app: &App, v: &ServiceView) -> Vec<Line<'static>> {
    let t = &app.theme;
    let tg = &v.service.targets;
    let avail = v.availability();
    // Asked on the slow lane: its age shows once it falls behind that lane.
    let lane = crate::sources::prometheus::poller::SLOW_LANE.max(app.refresh);
    let slo_age = match &tg.calendar {
        Some(_) => v
            .calendar
            .as_ref()
            .filter(|c| c.availability.is_some())
            .and_then(|c| c.availability_at)
            .map(|at| super::when::freshness(app.now, at, lane)),
        None => v.sparks.as_ref().map(|s| super::when::freshness(app.now, s.at, lane)),
    };
    let mut out = vec![Line::from(vec![
        Span::styled(" Availability  ", t.dim()),
        Span::styled(format::availability(avail), verdict_style(t, tg.judge_availability(avail))),
        Span::styled(
            format!(
                " over {}{} · objective {}",
                crate::time::short(tg.window),
                // A calendar SLO says which hours count, always: its figures mean nothing without.
                tg.calendar.as_ref().map_or(String::new(), |c| format!(", {} only", c.describe())),
                format::availability(Some(tg.availability))
            ),
            t.dim(),
        ),
        Span::styled(
            match slo_age {
                None => " · waiting".into(),
                Some(None) => " · current".into(),
                Some(Some(a)) => format!(" · as of {a} ago"),
            },
            t.dim(),
        ),
    ])];
    if let Some(s) = excluded(app, v) {
        out[0].spans.push(s);
    }
    out.push(budget_line(app, v));
    let burn = v.burn();
    let (fast, slow) = BurnRates::thresholds(tg.window);
    let alert = burn.alert(tg.window);
    let verdict = verdict(alert);
    out.push(Line::from(vec![
        Span::styled(" Burn rate     ", t.dim()),
        Span::styled(format!("1h {}", format::burn(burn.h1)), burn_style(t, alert)),
        Span::styled(format!(" (5m {}) page ≥{fast:.1}× · ", format::burn(burn.m5)), t.dim()),
        Span::styled(format!("6h {}", format::burn(burn.h6)), burn_style(t, alert)),
        Span::styled(format!(" (30m {}) page ≥{slow:.1}× · ", format::burn(burn.m30)), t.dim()),
        Span::styled(verdict, burn_style(t, alert)),
    ]));
    out.extend(outside_hours(app, v, false));
    out.extend(now_lines(app, v));
    out
}

/// A calendar SLO outside its hours: no budget is being spent now, and the burn rates say only what the
/// last hours it counted saw.
fn outside_hours(app: &App, v: &ServiceView, short: bool) -> Option<Line<'static>> {
    let c = v.service.targets.calendar.as_ref()?;
    if c.contains(app.now) {
        return None;
    }
    // Short: the panel's title names the hours already.
    let text = if short {
        " Not counting now: outside its hours, no budget is spent.".to_string()
    } else {
        format!(" Not counting now: outside {} (no budget is spent).", c.describe())
    };
    Some(Line::from(Span::styled(text, app.theme.dim())))
}

fn verdict(alert: BurnAlert) -> &'static str {
    match alert {
        BurnAlert::None => "ok",
        BurnAlert::Elevated => "burning faster than budget",
        BurnAlert::PageSlow => "PAGE: 6h and 30m above threshold",
        BurnAlert::PageFast => "PAGE: 1h and 5m above threshold",
    }
}

/// The same figures in fewer columns and lines.
fn compact_lines(app: &App, v: &ServiceView) -> Vec<Line<'static>> {
    let t = &app.theme;
    let tg = &v.service.targets;
    let avail = v.availability();
    let mut first = vec![
        Span::styled(" Avail ", t.dim()),
        Span::styled(format::availability(avail), verdict_style(t, tg.judge_availability(avail))),
        Span::styled(format!(" / {} · budget ", format::availability(Some(tg.availability))), t.dim()),
    ];
    match v.budget() {
        None => first.push(Span::styled(format::NONE, t.unknown())),
        Some(b) => {
            let style = budget_style(t, Some(&b));
            first.push(Span::styled(format!("{:.1}% left", b.remaining * 100.0), style));
            first.push(Span::styled(
                format!(" ({} of {})", format::secs(b.remaining_secs), format::secs(b.total_secs)),
                t.dim(),
            ));
        }
    }
    if excluded(app, v).is_some() {
        first.push(Span::styled(" · excl. maintenance", t.warn()));
    }
    let burn = v.burn();
    let (fast, slow) = BurnRates::thresholds(tg.window);
    let alert = burn.alert(tg.window);
    let second = Line::from(vec![
        Span::styled(" Burn ", t.dim()),
        Span::styled(format!("1h {} 6h {}", format::burn(burn.h1), format::burn(burn.h6)), burn_style(t, alert)),
        Span::styled(
            format!(" (5m {} 30m {}) · page ≥{fast:.1}×/≥{slow:.1}× · ", format::burn(burn.m5), format::burn(burn.m30)),
            t.dim(),
        ),
        Span::styled(
            match alert {
                BurnAlert::None => "ok",
                BurnAlert::Elevated => "burning",
                BurnAlert::PageSlow => "PAGE 6h+30m",
                BurnAlert::PageFast => "PAGE 1h+5m",
            },
            burn_style(t, alert),
        ),
    ]);
    // Outside a calendar's hours the burn rates say nothing: the line says so instead.
    let second = outside_hours(app, v, true).unwrap_or(second);
    let mut out = vec![Line::from(first), second];
    out.extend(now_lines(app, v));
    out
}

/// Current figures against their targets, and the first query problem if any.
fn now_lines(app: &App, v: &ServiceView) -> Vec<Line<'static>> {
    let t = &app.theme;
    let tg = &v.service.targets;
    let mut out = Vec::new();
    let f = v.figures.as_ref();
    let err = f.and_then(|f| f.error_ratio);
    let p95 = f.and_then(|f| f.p95);
    out.push(Line::from(vec![
        Span::styled(format!(" {:<14}", format!("Now ({})", crate::time::promql(v.service.rate_window))), t.dim()),
        Span::styled(format!("errors {}", format::percent(err)), verdict_style(t, tg.judge_error_ratio(err))),
        Span::styled(format!(" / {} · ", format::percent(Some(tg.error_rate))), t.dim()),
        Span::styled(format!("p95 {}", format::latency(p95)), verdict_style(t, tg.judge_latency(p95))),
        Span::styled(format!(" / {}", format::latency(Some(tg.latency_p95.as_secs_f64()))), t.dim()),
    ]));
    if let Some(p) = f.and_then(|f| f.problems.first()) {
        out.push(Line::from(Span::styled(format!(" ⚠ {p}"), t.warn())));
    }
    // Figures drawn from a partial answer, with the server's words.
    if let Some(p) = f.and_then(|f| f.partial.first()) {
        let more = f.map_or(0, |f| f.partial.len()).saturating_sub(1);
        let more = if more > 0 { format!(" (+{more} more)") } else { String::new() };
        let text = format!(" ~ partial answer — {}{more}", crate::text::capped(p.as_str(), 160));
        out.push(Line::from(Span::styled(text, t.warn())));
    }
    out
}

/// Maintenance left out of the availability (and so the budget), said where the figure is.
fn excluded(app: &App, v: &ServiceView) -> Option<Span<'static>> {
    let (n, d) = v.sparks.as_ref().and_then(|s| s.excluded)?;
    Some(Span::styled(format!(" · excl. {n} maintenance window(s), {}", crate::time::short(d)), app.theme.warn()))
}

/// The budget as text, for panels too short for the gauge.
fn budget_line(app: &App, v: &ServiceView) -> Line<'static> {
    let t = &app.theme;
    match v.budget() {
        None => Line::from(Span::styled(" Error budget  —", t.unknown())),
        Some(b) => Line::from(vec![
            Span::styled(" Error budget  ", t.dim()),
            Span::styled(format!("{:.1}% left", b.remaining * 100.0), budget_style(t, Some(&b))),
            Span::styled(format!(" · {} of {}", format::secs(b.remaining_secs), format::secs(b.total_secs)), t.dim()),
        ]),
    }
}
