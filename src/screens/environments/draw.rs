//! The Environments screen (one row each: its Prometheus, its services by health, its firing alerts,
//! its worst burn) and a service across environments (one row each: its version, figures, availability
//! and budget against that environment's objective, and its last deploys).
use super::state::{EnvRow, health};
use crate::app::App;
use crate::ui::format;
use crate::ui::widgets::{Columns, selectable};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

fn firing_text(r: &EnvRow) -> String {
    match (&r.firing, &r.alerts_error) {
        (_, Some(_)) => "unreachable".into(),
        (None, None) => format::NONE.into(),
        (Some(v), None) if v.is_empty() => "none".into(),
        (Some(v), None) => v
            .iter()
            .map(|(sev, n)| format!("{n} {}", if sev.as_str().is_empty() { "unlabelled" } else { sev.as_str() }))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The table of environments both screens draw, one row each with the selected one marked, at the top
/// of `area`; the area under it, for what the rows say in words.
fn table(
    app: &App,
    f: &mut Frame,
    area: Rect,
    title: String,
    (header, widths): (Vec<&str>, Vec<Constraint>),
    rows: Vec<Row>,
) -> Rect {
    let t = &app.theme;
    let n = rows.len();
    let [top, rest] = Layout::vertical([Constraint::Length(n as u16 + 3), Constraint::Fill(1)]).areas(area);
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let table =
        selectable(Table::new(rows, widths).header(Row::new(header).style(t.dim())).block(block).column_spacing(1), t);
    let mut state = TableState::default().with_selected(Some(app.envs.selected.min(n.saturating_sub(1))));
    f.render_stateful_widget(table, top, &mut state);
    rest
}

/// A config without environments: what would make some.
fn none(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let text = vec![
        Line::from(Span::styled("This config names no environments: it is one.", t.base())),
        Line::from(Span::styled(
            "Name them in [[environments]] (production, staging, development…), each with its own Prometheus, \
             Alertmanagers and objectives, to see them side by side here.",
            t.dim(),
        )),
    ];
    let block =
        Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" Environments ", t.title()));
    f.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), area);
}

pub fn environments(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    if app.environments.is_empty() {
        return none(app, f, area);
    }
    let rows = app.environment_rows();
    let narrow = area.width < 100;
    let widths: Vec<Constraint> = if narrow {
        vec![
            Constraint::Length(12),
            Constraint::Length(7),
            Constraint::Length(13),
            Constraint::Fill(1),
            Constraint::Length(14),
        ]
    } else {
        vec![
            Constraint::Length(16),
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Fill(1),
            Constraint::Length(20),
            Constraint::Length(9),
            Constraint::Length(9),
        ]
    };
    let cols = Columns::new(&widths, area.width.saturating_sub(2));
    let header: Vec<&str> = if narrow {
        vec!["ENV", "SOURCE", "OK/DEG/DOWN", "FIRING", "WORST BURN 1h"]
    } else {
        vec!["ENVIRONMENT", "PROMETHEUS", "HEALTHY", "DEGRADED", "DOWN", "FIRING", "WORST BURN 1h", "DEPLOYING", "AGE"]
    };
    let lines: Vec<Row> =
        rows.iter()
            .map(|r| {
                let name = format!("{}{}", crate::text::capped(&r.name, 24), if r.here { " ●" } else { "" });
                let source = match (&r.error, r.at) {
                    (Some(_), _) => Span::styled("✖ down", t.bad()),
                    (None, None) => Span::styled("○ waiting", t.dim()),
                    (None, Some(_)) => Span::styled("● ok", t.good()),
                };
                // Not read (or not answering since the start): no counts to give.
                let read = r.at.is_some();
                let count = |n: usize, style| match read {
                    false => Span::styled(format::NONE, t.dim()),
                    true => Span::styled(n.to_string(), if n > 0 { style } else { t.dim() }),
                };
                let firing = firing_text(r);
                let firing_style = if r.alerts_error.is_some() {
                    t.bad()
                } else if r.firing.as_ref().is_some_and(|v| !v.is_empty()) {
                    t.warn()
                } else {
                    t.dim()
                };
                let burn = r.worst_burn.as_ref().map_or(format::NONE.to_string(), |(s, b)| {
                    format!("{} {}", crate::text::capped(s, 12), format::burn(Some(*b)))
                });
                let burn_style = match r.worst_burn.as_ref().map(|(_, b)| *b) {
                    Some(b) if b >= 14.4 => t.bad(),
                    Some(b) if b > 1.0 => t.warn(),
                    _ => t.base(),
                };
                let age = match r.at {
                    None => format::NONE.to_string(),
                    Some(at) => crate::ui::when::freshness(app.now, at, app.refresh)
                        .map_or("now".into(), |a| format!("{a} ago")),
                };
                let name_style = match &app.environment {
                    Some(_) => t.base().add_modifier(ratatui::style::Modifier::BOLD),
                    None => t.base(),
                };
                let name_cell = Cell::from(Span::styled(cols.fit(0, &name), name_style));
                if narrow {
                    let health = Line::from(vec![
                        count(r.healthy, t.good()),
                        Span::styled("/", t.dim()),
                        count(r.degraded, t.warn()),
                        Span::styled("/", t.dim()),
                        count(r.down, t.bad()),
                    ]);
                    Row::new(vec![
                        name_cell,
                        Cell::from(source),
                        Cell::from(health),
                        Cell::from(Span::styled(cols.fit(3, &firing), firing_style)),
                        Cell::from(Span::styled(cols.fit(4, &burn), burn_style)),
                    ])
                } else {
                    Row::new(vec![
                        name_cell,
                        Cell::from(source),
                        Cell::from(count(r.healthy, t.good())),
                        Cell::from(count(r.degraded, t.warn())),
                        Cell::from(count(r.down, t.bad())),
                        Cell::from(Span::styled(cols.fit(5, &firing), firing_style)),
                        Cell::from(Span::styled(cols.fit(6, &burn), burn_style)),
                        Cell::from(match &r.deploying {
                            None => Span::styled(format::NONE, t.dim()),
                            Some(d) if d.is_empty() => Span::styled("none", t.dim()),
                            Some(d) => Span::styled(d.len().to_string(), t.warn()),
                        }),
                        Cell::from(Span::styled(age, t.dim())),
                    ])
                }
            })
            .collect();
    let title = " Environments — enter: open · ● the one open here ".to_string();
    let detail = table(app, f, area, title, (header, widths), lines);

    // The selected environment in words: what is wrong with it, in its servers' own words.
    let Some(r) = rows.get(app.envs.selected) else { return };
    let mut text: Vec<Line> = Vec::new();
    let name = crate::text::sanitize(&r.name).into_owned();
    match (&r.error, r.at) {
        (Some(e), _) => {
            text.push(Line::from(Span::styled(format!("{name}: Prometheus does not answer — {e}"), t.bad())))
        }
        (None, None) => text.push(Line::from(Span::styled(format!("{name}: not read yet"), t.dim()))),
        (None, Some(_)) => {
            let total = r.healthy + r.degraded + r.down + r.unknown;
            let mut s = format!("{name}: {total} services, {} healthy", r.healthy);
            if r.degraded > 0 {
                s.push_str(&format!(", {} degraded", r.degraded));
            }
            if r.down > 0 {
                s.push_str(&format!(", {} down", r.down));
            }
            if r.unknown > 0 {
                s.push_str(&format!(", {} not measured", r.unknown));
            }
            text.push(Line::from(Span::styled(s, t.base())));
        }
    }
    if let Some(e) = &r.alerts_error {
        text.push(Line::from(Span::styled(format!("Alertmanager: {e}"), t.bad())));
    }
    match &r.deploying {
        Some(d) if !d.is_empty() => {
            let list: Vec<String> = d
                .iter()
                .map(|x| format!("{} ({})", crate::text::capped(&x.service, 30), crate::text::capped(&x.why, 60)))
                .collect();
            text.push(Line::from(Span::styled(format!("Deploying: {}", list.join(", ")), t.warn())));
        }
        Some(_) => text.push(Line::from(Span::styled("No deploy under way.", t.dim()))),
        None => text.push(Line::from(Span::styled(
            "Deploys under way: its deploy providers cannot say (Kubernetes and Helm can).",
            t.dim(),
        ))),
    }
    for e in &r.deploy_errors {
        text.push(Line::from(Span::styled(format!("Deploys: {e}"), t.bad())));
    }
    text.push(Line::from(Span::styled(
        "Each environment is read by its own task with its own clients: one that is down does not hold up the others.",
        t.dim(),
    )));
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), detail);
}

pub fn across(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    if app.environments.is_empty() {
        return none(app, f, area);
    }
    let Some(service) = app.envs.service.clone() else { return };
    let rows = app.across(&service);
    let narrow = area.width < 100;
    let widths: Vec<Constraint> = if narrow {
        vec![
            Constraint::Length(12),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Fill(1),
        ]
    } else {
        vec![
            Constraint::Length(16),
            Constraint::Length(14),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(18),
            Constraint::Length(8),
            Constraint::Fill(1),
        ]
    };
    let cols = Columns::new(&widths, area.width.saturating_sub(2));
    let header: Vec<&str> = if narrow {
        vec!["ENV", "VERSION", "ERRORS", "P95", "AVAIL / OBJECTIVE"]
    } else {
        vec!["ENVIRONMENT", "VERSION", "ERRORS", "P95", "AVAIL / OBJECTIVE", "BUDGET", "LAST DEPLOYS"]
    };
    let mut troubled = Vec::new();
    let mut versions: Vec<(String, String)> = Vec::new();
    let lines: Vec<Row> = rows
        .iter()
        .map(|(env, here, v)| {
            let name = format!("{}{}", crate::text::capped(env, 24), if *here { " ●" } else { "" });
            let history = app.envs.history.get(&(env.clone(), service.clone()));
            let current = history.and_then(|h| h.as_ref().ok()).and_then(|h| h.iter().find(|x| x.current));
            let version = match history {
                None => Span::styled("…", t.dim()),
                Some(Err(_)) => Span::styled(format::NONE, t.dim()),
                Some(Ok(_)) => match current {
                    Some(c) => Span::raw(cols.fit(1, &crate::text::sanitize(&c.version))),
                    None => Span::styled(format::NONE, t.dim()),
                },
            };
            if let Some(c) = current {
                versions.push((env.clone(), c.version.clone()));
            }
            let Some(v) = v else {
                let why =
                    if app.envs.summaries.contains_key(env) || *here { "no such service here" } else { "not read yet" };
                return Row::new(vec![
                    Cell::from(cols.fit(0, &name)),
                    Cell::from(version),
                    Cell::from(Span::styled(why, t.dim())),
                ]);
            };
            let tg = &v.service.targets;
            if matches!(health(v), super::state::Health::Degraded | super::state::Health::Down) {
                troubled.push(env.clone());
            }
            let f = v.figures.as_ref();
            let err = f.and_then(|f| f.error_ratio);
            let p95 = f.and_then(|f| f.p95);
            let err_style = if err.is_some_and(|e| e > tg.error_rate) { t.bad() } else { t.base() };
            let p95_style = if p95.is_some_and(|p| p > tg.latency_p95.as_secs_f64()) { t.bad() } else { t.base() };
            let avail = v.availability();
            let avail_style = if avail.is_some_and(|a| a < tg.availability) { t.bad() } else { t.good() };
            let avail_text =
                format!("{} / {}", format::availability(avail), format::availability(Some(tg.availability)));
            let budget = v.budget().map_or(format::NONE.to_string(), |b| format!("{:.0}%", b.remaining * 100.0));
            let deploys = match history {
                Some(Ok(h)) => {
                    let mut recent: Vec<&crate::deploy::Version> = h.iter().collect();
                    recent.sort_by_key(|x| std::cmp::Reverse(x.at));
                    recent
                        .iter()
                        .take(2)
                        .map(|x| {
                            let when =
                                x.at.map_or(String::new(), |at| format!(" {} ago", crate::ui::when::ago(app.now, at)));
                            format!("{}{when}", crate::text::sanitize(&x.version))
                        })
                        .collect::<Vec<_>>()
                        .join(" · ")
                }
                Some(Err(e)) => e.to_string(),
                None => "asking…".into(),
            };
            let mut cells = vec![
                Cell::from(cols.fit(0, &name)),
                Cell::from(version),
                Cell::from(Span::styled(format::percent(err), err_style)),
                Cell::from(Span::styled(format::latency(p95), p95_style)),
                Cell::from(Span::styled(cols.fit(4, &avail_text), avail_style)),
            ];
            if !narrow {
                cells.push(Cell::from(budget));
                cells.push(Cell::from(Span::styled(cols.fit(6, &deploys), t.dim())));
            }
            Row::new(cells)
        })
        .collect();
    let title = format!(" {} in every environment — enter: its detail there ", crate::text::capped(&service, 30));
    let detail = table(app, f, area, title, (header, widths), lines);

    // What the rows say together: a problem in one environment or everywhere, and versions apart.
    let mut text = Vec::new();
    let measured = rows.iter().filter(|(_, _, v)| v.as_ref().is_some_and(|v| v.has_data())).count();
    let unmeasured: Vec<&str> =
        rows.iter().filter(|(_, _, v)| !v.as_ref().is_some_and(|v| v.has_data())).map(|(e, _, _)| e.as_str()).collect();
    let but = if unmeasured.is_empty() || measured == 0 {
        String::new()
    } else {
        format!(" ({} not measured)", unmeasured.join(", "))
    };
    let verdict = match troubled.len() {
        0 if measured > 0 => {
            (format!("{service} is within its objectives in every environment measured{but}."), t.good())
        }
        0 => ("Not measured yet.".to_string(), t.dim()),
        n if n == measured && n > 1 => {
            (format!("{service} is in trouble in every environment{but}: not one environment's doing."), t.bad())
        }
        _ => (format!("{service} is in trouble in {} only{but}.", troubled.join(", ")), t.warn()),
    };
    text.push(Line::from(Span::styled(crate::text::sanitize(&verdict.0).into_owned(), verdict.1)));
    let mut distinct: Vec<&str> = versions.iter().map(|(_, v)| v.as_str()).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() > 1 {
        let list = versions.iter().map(|(e, v)| format!("{e} {v}")).collect::<Vec<_>>().join(", ");
        text.push(Line::from(Span::styled(
            crate::text::sanitize(&format!("Versions differ: {list}.")).into_owned(),
            t.warn(),
        )));
    }
    if narrow {
        text.push(Line::from(Span::styled("Budget and last deploys: at 100 columns or more.", t.dim())));
    }
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), detail);
}
