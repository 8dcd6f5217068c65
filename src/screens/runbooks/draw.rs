//! The Runbooks screen (the runbooks found, the runs in progress, the parameter form) and a run's screen
//! (its steps and their states, the selected step with its values resolved, the live output).
use crate::app::App;
use crate::screens::runbooks::state::{RunPrompt, StepState};
use crate::ui::format::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw_list(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let v = &app.runbooks;
    let runs_h = if v.runs.is_empty() { 0 } else { (v.runs.len() as u16 + 2).min(8) };
    let probs_h = if v.problems.is_empty() { 0 } else { (v.problems.len() as u16 + 2).min(6) };
    let [list, runs, probs] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(runs_h), Constraint::Length(probs_h)]).areas(area);
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(
        format!(" Runbooks ({}) — enter: run · b on an alert opens its own ", v.books.len()),
        t.title(),
    ));
    let inner = block.inner(list);
    f.render_widget(block, list);
    // Less the selection's mark before each row.
    let w = usize::from(inner.width).saturating_sub(crate::ui::widgets::MARK.chars().count());
    let lines: Vec<Line> = v
        .books
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let text = format!(
                "{} {} {:>2} steps  {}",
                fit(&b.id, 22),
                fit(&b.title, w.saturating_sub(22 + 10 + 28).max(10)),
                b.steps().count(),
                fit(&b.alerts.join(", "), 26)
            );
            crate::ui::widgets::picked(Line::from(Span::styled(text, t.base())), i == v.selected, t)
        })
        .collect();
    if v.books.is_empty() {
        let looked: Vec<String> = v.dirs.iter().map(|d| d.display().to_string()).collect();
        let text = if looked.is_empty() {
            "No runbooks loaded: none built in, and no runbook directory (there is no config directory).".into()
        } else {
            format!(
                "No runbooks loaded: none built in, and none in {}. Put runbooks (Markdown, see the README) there.",
                crate::text::sanitize(&looked.join(", "))
            )
        };
        f.render_widget(Paragraph::new(text).style(t.dim()).wrap(Wrap { trim: true }), inner);
    } else {
        f.render_widget(Paragraph::new(lines), inner);
    }
    if runs_h > 0 {
        // The list goes on into the runs: j past the last runbook selects the first run, enter opens it.
        let lines: Vec<Line> = v
            .runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let kind = if r.dry_run { "dry run" } else { "run" };
                let line = Line::from(vec![
                    Span::styled(format!("#{} {kind} of {} ", r.id, r.runbook.id), t.title()),
                    Span::styled(r.summary(), t.dim()),
                ]);
                crate::ui::widgets::picked(line, v.books.len() + i == v.selected, t)
            })
            .collect();
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.border())
            .title(Span::styled(" Runs — j/k past the runbooks, enter: open ", t.title()));
        f.render_widget(Paragraph::new(lines).block(block), runs);
    }
    if probs_h > 0 {
        let lines: Vec<Line> = v
            .problems
            .iter()
            .map(|p| {
                Line::from(Span::styled(format!("{}:{}:{}: {}", p.path.display(), p.line, p.col, p.message), t.bad()))
            })
            .collect();
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.bad())
            .title(Span::styled(" Runbooks that do not load ", t.bad()));
        f.render_widget(Paragraph::new(lines).block(block), probs);
    }
    if let Some(form) = &v.form {
        draw_form(app, form, f, area);
    }
}

fn draw_form(app: &App, form: &crate::screens::runbooks::state::ParamForm, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(rb) = app.runbooks.books.get(form.book) else { return };
    let w = area.width.min(90);
    let error_rows: u16 =
        form.errors.iter().map(|e| crate::ui::widgets::wrapped_rows(&format!("✖ {e}"), w.saturating_sub(2))).sum();
    let h = (form.fields.len() as u16 * 2 + 4 + error_rows).min(area.height);
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    f.render_widget(Clear, r);
    let mode = match (form.dry_run, app.estate_api.is_some()) {
        (true, _) => "DRY RUN (ctrl-d: real run)",
        (false, true) => "DRILL on the built-in estate (ctrl-d: dry run)",
        (false, false) => "run (ctrl-d: dry run)",
    };
    let block = Block::new().borders(Borders::ALL).border_style(t.title()).title(Span::styled(
        format!(" {} — {mode}{} ", crate::text::sanitize(&rb.title), app.in_environment()),
        t.title(),
    ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let mut y = inner.y;
    for (i, (p, input)) in form.fields.iter().enumerate() {
        let label =
            format!("{}{}", p.name, p.from_label.as_ref().map_or(String::new(), |l| format!(" (from label {l})")));
        f.render_widget(
            Paragraph::new(crate::ui::widgets::field_label(&label, i == form.focus, t)),
            Rect { y, height: 1, ..inner },
        );
        let mut value = vec![Span::raw("  ")];
        if i == form.focus {
            value.extend(crate::ui::widgets::field(input, Default::default(), Default::default()));
        } else if p.kind == crate::runbooks::ParamKind::Secret {
            value.push(Span::raw("(a reference; never shown once run)"));
        } else {
            value.push(Span::raw(crate::text::sanitize(&input.lines().join("")).into_owned()));
        }
        f.render_widget(Paragraph::new(Line::from(value)), Rect { y: y + 1, height: 1, ..inner });
        y += 2;
    }
    for e in &form.errors {
        let e = format!("✖ {e}");
        let rows = crate::ui::widgets::wrapped_rows(&e, inner.width).min((inner.y + inner.height).saturating_sub(y));
        if rows > 0 {
            let at = Rect { y, height: rows, ..inner };
            f.render_widget(Paragraph::new(Span::styled(e, t.bad())).wrap(Wrap { trim: true }), at);
            y += rows;
        }
    }
    if y < inner.y + inner.height {
        let hint = "tab: next field · enter: start · esc: cancel";
        f.render_widget(Paragraph::new(Span::styled(hint, t.dim())), Rect { y, height: 1, ..inner });
    }
}

pub fn draw_run(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(r) = app.runbooks.runs.get(app.runbooks.current) else {
        f.render_widget(Paragraph::new("No run.").style(t.dim()), area);
        return;
    };
    let [top, mid, out] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(area.height / 3)]).areas(area);
    let params: Vec<String> =
        crate::runbooks::run::shown(&r.values).into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut spans = vec![
        Span::styled(format!(" #{} {} ", r.id, crate::text::sanitize(&r.runbook.title)), t.title()),
        Span::styled(if r.drill { "DRILL " } else { "" }, t.warn()),
        Span::raw(crate::text::sanitize(&params.join(" ")).into_owned()),
        Span::styled(format!("  {}", r.summary()), t.dim()),
        Span::styled(if r.auto { "  running the rest (p pauses)" } else { "" }, t.warn()),
    ];
    if let Some(j) = &r.journal {
        spans.push(Span::styled(format!("  journal {}", j.display()), t.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), top);
    let [steps, detail] = Layout::horizontal([Constraint::Length(34), Constraint::Fill(1)]).areas(mid);
    let lines: Vec<Line> = r
        .runbook
        .steps()
        .enumerate()
        .map(|(i, s)| {
            let (mark, style) = match &r.states[i] {
                StepState::Pending => ("○", t.dim()),
                StepState::Running => ("◐", t.warn()),
                StepState::Ok => ("✓", t.good()),
                StepState::Failed(_) => ("✖", t.bad()),
                StepState::Skipped(_) => ("↷", t.dim()),
                StepState::Unknown => ("?", t.warn()),
            };
            let flag = if s.destructive { " !" } else { "" };
            let line = Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::styled(format!("{} ({}){flag}", fit(&s.id, 20).trim_end(), s.kind.name()), style),
            ]);
            crate::ui::widgets::picked(line, i == r.selected, t)
        })
        .collect();
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" Steps ", t.title()));
    f.render_widget(Paragraph::new(lines).block(block), steps);
    let mut text = App::describe_step(r, r.selected);
    match r.states.get(r.selected) {
        Some(StepState::Failed(e)) => text.push_str(&format!("\n\n✖ {e} — enter retries, s skips")),
        Some(StepState::Skipped(why)) => text.push_str(&format!("\n\n↷ {why}")),
        Some(StepState::Unknown) => text.push_str(
            "\n\n? outcome unknown: it was running when the run stopped, and may or may not have done its work \
             — check, then enter runs it again, s skips it",
        ),
        _ => {}
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" enter: run · r: run the rest · p: pause · s: skip · x: abort ", t.title()));
    let mut lines: Vec<Line> = text.lines().map(|l| Line::from(crate::text::sanitize(l).into_owned())).collect();
    if let Some(progress) = progress(app, r) {
        lines.push(Line::from(""));
        lines.push(progress);
    }
    if let Some(c) = r.checklist.as_ref().filter(|c| c.step == r.selected) {
        lines.push(Line::from(""));
        for (i, item) in c.items.iter().enumerate() {
            let mark = if c.ticked[i] { "[x]" } else { "[ ]" };
            let line = Line::from(format!("  {mark} {}", crate::text::sanitize(item)));
            lines.push(crate::ui::widgets::picked(line, i == c.cursor, t));
        }
        lines.push(Line::from(Span::styled("  space: tick · j/k: move · enter: done · esc: put away", t.dim())));
    }
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), detail);
    // The prompt or the notice takes the last line: the output above it ends with its newest line.
    let footer = usize::from(r.prompt.is_some() || r.notice.is_some());
    let h = usize::from(out.height.saturating_sub(2)).saturating_sub(footer);
    let skip = r.output.len().saturating_sub(h);
    let mut lines: Vec<Line> = r.output.iter().skip(skip).map(|l| Line::from(l.clone())).collect();
    if let Some((kind, input)) = &r.prompt {
        let service = r.values.iter().find(|v| v.name == "service").map_or(r.runbook.id.as_str(), |v| v.value.as_str());
        let label = match kind {
            // In production the environment is named too, so it is typed knowingly.
            RunPrompt::Confirm if app.confirm_word(service) != service => {
                format!(" type {} to run this destructive step: ", crate::text::sanitize(&app.confirm_word(service)))
            }
            RunPrompt::Confirm => " type the service name to run this destructive step: ".to_string(),
            RunPrompt::SkipReason => " why skip it: ".to_string(),
        };
        let mut spans = vec![Span::styled(label, t.warn())];
        spans.extend(crate::ui::widgets::field(input, Default::default(), t.dim()));
        lines.push(Line::from(spans));
    } else if let Some(n) = &r.notice {
        lines.push(Line::from(Span::styled(format!(" {n}"), t.warn())));
    }
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" Output ", t.title()));
    f.render_widget(Paragraph::new(lines).block(block), out);
}

/// How the selected step stands while it runs: a wait's time left, a check's latest answer and how long
/// it has held of what it needs.
fn progress(app: &App, r: &crate::screens::runbooks::state::RunView) -> Option<Line<'static>> {
    use crate::runbooks::StepKind;
    let t = &app.theme;
    if r.running_step() != Some(r.selected) {
        return None;
    }
    let step = r.runbook.steps().nth(r.selected)?;
    let started = r.step_started?;
    match &step.kind {
        StepKind::Wait { duration } => {
            let end = started + chrono::Duration::from_std((*duration).min(step.timeout)).ok()?;
            let left = crate::ui::when::until(app.now, end);
            Some(Line::from(Span::styled(format!("◷ {left} left of {}", crate::time::short(*duration)), t.warn())))
        }
        StepKind::Check { for_, .. } => {
            let Some(c) = &r.check else {
                return Some(Line::from(Span::styled("◷ asking Prometheus…", t.dim())));
            };
            let now = match (&c.error, c.value, c.series) {
                (Some(e), _, _) => format!("query failed: {}", crate::text::capped(e, 200)),
                (None, Some(v), _) => format!("now {}", crate::ui::format::number(v)),
                (None, None, 0) => "now: no result".into(),
                (None, None, n) => format!("now: {n} series"),
            };
            let asked = crate::ui::when::ago(app.now, c.asked_at);
            let (text, style) = match c.holding_since {
                Some(since) => {
                    let held = crate::ui::when::ago(app.now, since);
                    (
                        format!("✓ holds: {now} · for {held} of {} · asked {asked} ago", crate::time::short(*for_)),
                        t.good(),
                    )
                }
                None => (format!("✖ does not hold: {now} · asked {asked} ago"), t.warn()),
            };
            Some(Line::from(Span::styled(text, style)))
        }
        _ => None,
    }
}
