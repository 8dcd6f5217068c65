//! The Incidents screen (PagerDuty's incidents, open first) and one incident's timeline: its log merged
//! with its service's alerts and the silences over them.
use crate::app::App;
use crate::incidents::model::Status;
use crate::incidents::timeline::{self, Kind};
use crate::screens::alerts::state::EXPIRING_SOON;
use crate::screens::incidents::state::{IncidentsView, PromptKind};
use crate::sources::pagerduty::poller::HISTORY;
use crate::ui::format::fit;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

fn status_line(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.incidents;
    let mut spans = Vec::new();
    if let Some((kind, input)) = &v.prompt {
        let label = match kind {
            PromptKind::Note => " note: ",
            PromptKind::Reassign => " reassign to: ",
        };
        spans.push(Span::styled(label, t.title()));
        spans.extend(crate::ui::widgets::field(input, Default::default(), t.dim()));
        spans.push(Span::styled("  enter: send · esc: cancel", t.dim()));
    } else {
        if let Some(at) = v.at {
            let style = if v.unreachable.is_some() { t.stale() } else { t.dim() };
            spans.push(Span::styled(format!(" as of {} ago", crate::ui::when::ago(app.now, at)), style));
        }
        if v.cut {
            spans.push(Span::styled("  (list cut at 1 000)", t.warn()));
        }
        if let Some(e) = &v.unreachable {
            spans.push(Span::styled(format!("  ✖ PagerDuty: {e}"), t.bad()));
        }
        if let Some((ok, m)) = &v.notice {
            spans.push(Span::styled(format!("  {}", crate::text::sanitize(m)), if *ok { t.good() } else { t.bad() }));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// What an empty list means: not listed yet, or no incident open and none opened within what the
/// listing covers (open ones of any age, resolved ones opened in the last [`HISTORY`]).
fn empty_list(v: &IncidentsView) -> String {
    match (v.at, &v.unreachable) {
        (None, None) => "Listing incidents…".into(),
        (None, Some(_)) => "No incidents listed yet: the listing failed (see above).".into(),
        (Some(_), Some(_)) => "No incidents open at the last listing (see above for why it is not current).".into(),
        (Some(at), None) => {
            let since = at - chrono::Duration::from_std(HISTORY).unwrap_or_default();
            let days = HISTORY.as_secs() / 86_400;
            format!(
                "No incidents open, and none opened in the last {days} days (since {}).",
                since.format("%m-%d %H:%M")
            )
        }
    }
}

pub fn draw_list(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.incidents;
    let [top, list] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    status_line(app, f, top);
    let sorted = v.sorted();
    let open = sorted.iter().filter(|i| i.status != Status::Resolved).count();
    let count = match (sorted.len(), open) {
        (n @ 1.., 0) => format!("{n}, none open"),
        (n, _) => n.to_string(),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" Incidents ({count}) "), t.title()));
    if !v.configured || sorted.is_empty() {
        let msg = if v.configured {
            empty_list(v)
        } else {
            "No PagerDuty configured: add [pagerduty] with token = { env = \"PAGERDUTY_TOKEN\" } and services.".into()
        };
        f.render_widget(Paragraph::new(msg).style(t.dim()).block(block).wrap(Wrap { trim: true }), list);
        return;
    }
    let inner = block.inner(list);
    f.render_widget(block, list);
    let cols = [13usize, 7, 8, 16, 8, 18];
    // Less the selection's mark before each row.
    let rest = (inner.width as usize).saturating_sub(2 + cols.iter().sum::<usize>() + cols.len());
    let row = |p: [&str; 7]| -> String {
        p.iter().enumerate().map(|(i, s)| fit(s, if i < cols.len() { cols[i] } else { rest }) + " ").collect()
    };
    let head = row(["STATUS", "#", "URGENCY", "SERVICE", "AGE", "ASSIGNED", "TITLE"]);
    let mut lines = vec![crate::ui::widgets::unmarked(Line::from(Span::styled(head, t.dim())))];
    let height = inner.height.saturating_sub(1) as usize;
    let first = v.selected.saturating_sub(height.saturating_sub(1));
    for (i, inc) in sorted.iter().enumerate().skip(first).take(height) {
        let style = match inc.status {
            Status::Triggered => t.bad(),
            Status::Acknowledged => t.warn(),
            Status::Resolved => t.dim(),
        };
        let age = crate::ui::when::ago(app.now, inc.created_at);
        let who: Vec<&str> = inc.assignees.iter().map(|a| a.as_str()).collect();
        let text = row([
            inc.status.as_str(),
            &inc.number.to_string(),
            inc.urgency.as_str(),
            inc.service.as_str(),
            &age,
            &who.join(", "),
            inc.title.as_str(),
        ]);
        lines.push(crate::ui::widgets::picked(Line::from(Span::styled(text, style)), i == v.selected, t));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// One line of the timeline: when, what (a silence with until when it holds, as of now), who.
fn entry_line(app: &App, e: &timeline::Entry) -> Line<'static> {
    let t = &app.theme;
    let style = match e.kind {
        Kind::AlertFired => t.bad(),
        Kind::AlertResolved => t.good(),
        Kind::Silence { until, .. } if until <= app.now => t.dim(),
        Kind::Silence { .. } => t.warn(),
        Kind::SilenceEnded => t.dim(),
        Kind::Incident => t.base(),
    };
    let mut spans = vec![
        Span::styled(format!("{} ", e.at.format("%m-%d %H:%M:%S")), t.dim()),
        Span::styled(crate::text::sanitize(&e.what).into_owned(), style),
    ];
    if let Kind::Silence { until, firing } = e.kind {
        spans.push(silence_holds(app, e.at, until, firing));
    }
    if !e.who.as_str().is_empty() {
        spans.push(Span::styled(format!("  — {}", e.who), t.dim()));
    }
    Line::from(spans)
}

/// Until when a silence that took hold at `from` holds, as of now: from when (not yet begun), until
/// when, ending soon while an alert it covers fires (that alert then comes through), or over.
fn silence_holds(app: &App, from: DateTime<Utc>, until: DateTime<Utc>, firing: bool) -> Span<'static> {
    let t = &app.theme;
    let now = app.now;
    let soon = until - chrono::Duration::from_std(EXPIRING_SOON).unwrap_or_default();
    if until <= now {
        return Span::styled(format!(" · held until {}", clock(until, from)), t.dim());
    }
    crate::ui::when::changes_at(until);
    if from > now {
        crate::ui::when::changes_at(from);
        return Span::styled(format!(" · from {} until {}", clock(from, now), clock(until, from)), t.warn());
    }
    if firing && soon <= now {
        let left = crate::ui::when::until(now, until);
        return Span::styled(format!(" · ends in {left} while its alerts fire"), t.bad());
    }
    if firing {
        crate::ui::when::changes_at(soon);
    }
    Span::styled(format!(" · until {}", clock(until, from)), t.warn())
}

/// A time of day, with its date when it is not on the day of `beside`.
fn clock(at: DateTime<Utc>, beside: DateTime<Utc>) -> String {
    if at.date_naive() == beside.date_naive() {
        at.format("%H:%M").to_string()
    } else {
        at.format("%m-%d %H:%M").to_string()
    }
}

pub fn draw_timeline(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.incidents;
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    status_line(app, f, top);
    let Some(inc) = v.selected_incident() else {
        f.render_widget(Paragraph::new("No incident selected: the incidents list (I) opens one.").style(t.dim()), body);
        return;
    };
    let title = format!(" #{} {} · {} · {} ", inc.number, inc.title, inc.service, inc.status.as_str());
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let log = match &v.log {
        Some((id, Ok(entries))) if *id == inc.id => entries.clone(),
        Some((id, Err(e))) if *id == inc.id => {
            f.render_widget(Paragraph::new(format!("✖ {e}")).style(t.bad()).block(block), body);
            return;
        }
        _ => Vec::new(),
    };
    let entries = timeline::build(inc, &log, &app.alerts.alerts, &app.alerts.silences, app.now);
    let lines: Vec<Line> = entries.iter().map(|e| entry_line(app, e)).collect();
    let lines =
        if v.log.is_none() { vec![Line::from(Span::styled("loading the incident's log…", t.dim()))] } else { lines };
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), body);
}
