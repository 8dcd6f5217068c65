//! The Drills screen: the scenarios, the selected one's briefing and expectations, and the drill in
//! progress with its clock and, at the end, its score.
use crate::app::App;
use crate::drills::session::MTTR_TARGET;
use crate::drills::{DrillRun, Phase, Scenario};
use crate::estate::fault::FaultKind;
use crate::time::short;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let d = &app.drills;
    let rows = d.scenarios.len() as u16 + 3;
    // On a narrow terminal a drill's progress and score take the room: the list shrinks to a few rows
    // and the scenario's description gives way.
    let wide = area.width >= 100;
    let running = d.run.is_some();
    let list_h = if !wide && running { rows.min(5) } else { rows.min(area.height / 2) };
    let [list, below] = Layout::vertical([Constraint::Length(list_h), Constraint::Fill(1)]).areas(area);

    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" Drills ", t.title()));
    let header = Row::new(["NAME", "FAULT", "SERVICE", "EXPECTED ALERT", "WITHIN"]).style(t.dim());
    let widths = [
        Constraint::Fill(2),
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Fill(2),
        Constraint::Length(7),
    ];
    let cols = crate::ui::widgets::Columns::new(&widths, block.inner(list).width);
    let fit = |i: usize, text: &str| cols.fit(i, &crate::text::sanitize(text));
    let body: Vec<Row> = d
        .scenarios
        .iter()
        .map(|s| {
            Row::new([
                Cell::from(fit(0, &s.name)),
                Cell::from(s.fault.name()),
                Cell::from(fit(2, &s.service)),
                Cell::from(fit(3, &s.expect.alert)),
                Cell::from(short(s.expect.within)),
            ])
        })
        .collect();
    let table = crate::ui::widgets::selectable(Table::new(body, widths).header(header).block(block), t);
    let mut state = TableState::default().with_selected((!d.scenarios.is_empty()).then_some(d.selected));
    f.render_stateful_widget(table, list, &mut state);

    let [about, progress] = if wide {
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(below)
    } else if running {
        Layout::vertical([Constraint::Length(0), Constraint::Fill(1)]).areas(below)
    } else {
        Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(below)
    };
    if let Some(s) = app.selected_scenario() {
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.border())
            .title(Span::styled(format!(" {} ", crate::text::sanitize(&s.title)), t.title()));
        f.render_widget(Paragraph::new(about_lines(app, s)).block(block).wrap(Wrap { trim: false }), about);
    }
    let title = match d.run.as_ref().map(|r| r.phase) {
        Some(Phase::Done | Phase::Aborted) => " Last drill ",
        _ => " In progress ",
    };
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    f.render_widget(Paragraph::new(progress_lines(app)).block(block).wrap(Wrap { trim: false }), progress);
}

fn fault_text(k: &FaultKind) -> String {
    match k {
        FaultKind::Latency { factor } => format!("its own work {factor}× slower"),
        FaultKind::Errors { ratio } => format!("{:.1} % of requests fail", ratio * 100.0),
        FaultKind::BadDeploy { version, error_ratio } => {
            format!(
                "version {} deployed, failing {:.1} % of requests",
                crate::text::sanitize(version),
                error_ratio * 100.0
            )
        }
        FaultKind::Down => "stops answering".into(),
        FaultKind::Timeout { seconds, error_ratio } => {
            format!("hangs {seconds} s per call, {:.1} % time out", error_ratio * 100.0)
        }
        FaultKind::DiskFill { fill_in } => {
            format!("disk fills up over {}", short(std::time::Duration::from_secs_f64(*fill_in)))
        }
        FaultKind::CertExpiry { expires_in } => {
            format!("certificate expires in {}", short(std::time::Duration::from_secs_f64(*expires_in)))
        }
    }
}

fn about_lines<'a>(app: &App, s: &'a Scenario) -> Vec<Line<'a>> {
    let t = &app.theme;
    let kv = |k: &'static str, v: String| Line::from(vec![Span::styled(format!("{k:<10}"), t.dim()), Span::raw(v)]);
    let mut labels: Vec<String> =
        s.expect.labels.iter().map(|(k, v)| format!("{k}=\"{}\"", crate::text::sanitize(v))).collect();
    labels.sort();
    let mut lines = vec![
        Line::from(Span::styled(crate::text::sanitize(&s.briefing).into_owned(), t.base())),
        Line::raw(""),
        kv("fault", format!("{}: {}", s.service, fault_text(&s.fault))),
        kv("lasts", format!("{} unless mitigated", short(s.duration))),
        kv(
            "expect",
            format!(
                "{} {{{}}} within {}",
                crate::text::sanitize(&s.expect.alert),
                labels.join(","),
                short(s.expect.within)
            ),
        ),
        kv("random", format!("a random start falls within {}", short(s.random_within))),
    ];
    if !app.demo {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            "Drills run on the built-in estate, not on this one: `watchpost drill run NAME`.",
            t.warn(),
        )));
    }
    lines
}

fn progress_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    if let Some(n) = &app.drills.notice {
        lines.push(Line::from(Span::styled(n.clone(), t.warn())));
    }
    let Some(r) = &app.drills.run else {
        lines.push(Line::from(Span::styled(
            "No drill yet. Enter starts the selected one now; R arms it for a random moment you are not told.",
            t.dim(),
        )));
        return lines;
    };
    let kv = |k: &'static str, v: String, style| {
        Line::from(vec![Span::styled(format!("{k:<10}"), t.dim()), Span::styled(v, style)])
    };
    let now = app.now;
    let clock = if r.clock_runs() { crate::ui::when::counting(now, r.clock(now)) } else { short(r.clock(now)) };
    lines.push(kv("drill", crate::text::sanitize(&r.scenario.title).into_owned(), t.title()));
    lines.push(kv("clock", format!("{clock} since armed at {}", r.armed_at.format("%H:%M:%S")), t.base()));
    let (phase, style) = match r.phase {
        Phase::Armed if r.hidden_start => ("armed — it starts when it starts".to_string(), t.warn()),
        Phase::Armed => (format!("starts at {}", r.starts_at.format("%H:%M:%S")), t.warn()),
        Phase::Running if r.hidden_start => ("armed — it starts when it starts".to_string(), t.warn()),
        Phase::Running => ("fault in effect — find it, then mitigate (m)".to_string(), t.bad()),
        Phase::Recovering => ("fault ended — waiting for the service to be back within its SLO".to_string(), t.warn()),
        Phase::Done => ("over".to_string(), t.good()),
        Phase::Aborted => ("aborted".to_string(), t.dim()),
    };
    lines.push(kv("status", phase, style));
    if let Some(s) = r.started_at.filter(|_| matches!(r.phase, Phase::Done | Phase::Aborted) || !r.hidden_start) {
        lines.push(kv("started", s.format("%H:%M:%S").to_string(), t.base()));
    }
    if let Some(d) = r.detected_at.filter(|_| !r.hidden_start || r.phase == Phase::Done) {
        let by = r.detected_by.as_deref().map_or(String::new(), |b| format!(" {}", crate::text::sanitize(b)));
        lines.push(kv("detected", format!("{}{by}", d.format("%H:%M:%S")), t.base()));
    }
    // The score names the runbooks once it is there.
    if !r.runbooks.is_empty() && r.score().is_none() {
        lines.push(kv("runbooks", crate::text::sanitize(&r.runbooks.join(", ")).into_owned(), t.base()));
    }
    if let Some(by) = &r.mitigated_by {
        lines.push(kv("mitigated", crate::text::sanitize(by).into_owned(), t.base()));
    }
    if let Some(score) = r.score() {
        lines.push(Line::raw(""));
        lines.extend(score_lines(app, r, score));
    }
    lines
}

/// The score: times from the fault's start to the detection, to the action that fixed it, and to the
/// service back within its SLO (held against the MTTR target).
fn score_lines(app: &App, r: &DrillRun, s: crate::drills::Score) -> Vec<Line<'static>> {
    let t = &app.theme;
    let row = |label: &'static str, value: Vec<Span<'static>>| {
        Line::from([vec![Span::styled(format!("{label:<22}"), t.dim())], value].concat())
    };
    let fix = match s.time_to_mitigate {
        Some(d) => Span::raw(short(d)),
        None => Span::styled("never: the fault ran its course".to_string(), t.bad()),
    };
    let verdict = if s.met_target {
        Span::styled(format!("within the {} MTTR target", short(MTTR_TARGET)), t.good())
    } else if !r.mitigated {
        Span::styled("MTTR target missed: not mitigated".to_string(), t.bad())
    } else {
        Span::styled(format!("over the {} MTTR target", short(MTTR_TARGET)), t.bad())
    };
    let runbooks = if r.runbooks.is_empty() {
        Span::styled("no runbook was run".to_string(), t.warn())
    } else {
        Span::raw(crate::text::sanitize(&r.runbooks.join(", ")).into_owned())
    };
    vec![
        Line::from(Span::styled("Score", t.title())),
        row("time to detect", vec![Span::raw(s.time_to_detect.map_or("never".to_string(), short))]),
        row("action that fixed it", vec![fix]),
        row("back within SLO", vec![Span::raw(short(s.time_to_recover)), Span::raw("  "), verdict]),
        row("with a runbook", vec![runbooks]),
        row("what would fix it", vec![Span::raw(crate::text::sanitize(&r.scenario.mitigation).into_owned())]),
    ]
}
