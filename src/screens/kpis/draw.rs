//! The KPIs screen: per service and for all of them, incidents over 30 days, MTTR, MTBF and the error
//! rate, each against its target (MTTR < 15 min, MTBF > 30 d, error rate < 0.1 %). The "all services"
//! row is the rows above pooled, by a rule written under the table.
use crate::alerts::kpi::{Kpis, MTBF_TARGET, MTTR_TARGET};
use crate::app::App;
use crate::app::service_view::ServiceView;
use crate::screens::kpis::state::{error_rate, worst_error};
use crate::time::short;
use crate::ui::format;
use crate::ui::widgets::Columns;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

/// A service's row, its name cut to its column; in the narrow layout the MTBF column says "none", not
/// "no incidents".
fn row<'a>(
    app: &App,
    name: String,
    k: Option<Kpis>,
    err: Option<f64>,
    target_err: f64,
    cols: &Columns,
    narrow: bool,
) -> Row<'a> {
    let t = &app.theme;
    let verdict = |ok: bool| -> Style { if ok { t.good() } else { t.bad() } };
    let (incidents, mttr, mtbf, down) = match k {
        None => (Span::raw(format::NONE), Span::raw(format::NONE), Span::raw(format::NONE), Span::raw(format::NONE)),
        Some(k) => (
            Span::raw(k.incidents.to_string()),
            match (k.mttr, k.incidents) {
                (Some(d), _) => Span::styled(short(d), verdict(d < MTTR_TARGET)),
                (None, 0) => Span::styled(format::NONE, t.dim()),
                (None, _) => Span::styled("still open", t.warn()),
            },
            k.mtbf.map_or(Span::styled(if narrow { "none" } else { "no incidents" }, t.good()), |d| {
                Span::styled(short(d), verdict(d > MTBF_TARGET))
            }),
            Span::raw(short(k.downtime)),
        ),
    };
    let err = err.map_or(Span::raw(format::NONE), |e| Span::styled(format::percent(Some(e)), verdict(e < target_err)));
    Row::new([
        Cell::from(cols.fit(0, &crate::text::sanitize(&name))),
        Cell::from(incidents),
        Cell::from(mttr),
        Cell::from(mtbf),
        Cell::from(down),
        Cell::from(err),
    ])
}

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let k = &app.kpis;
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let status = match (&k.error, k.at) {
        (Some(e), _) => Span::styled(format!(" ✖ {e}"), t.bad()),
        (None, Some(at)) => Span::styled(
            format!(" incidents from {} over 30 days · as of {} ago", k.source, crate::ui::when::ago(app.now, at)),
            t.dim(),
        ),
        (None, None) => Span::styled(" loading…", t.dim()),
    };
    f.render_widget(Paragraph::new(status), top);
    let worst = worst_error(&app.services);
    let narrow = body.width < 100;
    let (head, widths) = heading(app, narrow);
    let block =
        Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" On-call KPIs ", t.title()));
    let inner = block.inner(body);
    let rows = rows(app, worst, &Columns::new(&widths, inner.width), narrow);
    f.render_widget(block, body);
    // The rule right under the table: its heading and rows.
    let height = u16::try_from(rows.len() + 1).unwrap_or(u16::MAX);
    let [table, _, rule, _] =
        Layout::vertical([Constraint::Max(height), Constraint::Length(1), Constraint::Length(3), Constraint::Fill(1)])
            .areas(inner);
    let table_w = crate::ui::widgets::selectable(Table::new(rows, widths).header(head.style(t.dim())), t);
    let mut state = TableState::default().with_selected(Some(app.selected));
    f.render_stateful_widget(table_w, table, &mut state);
    let rule_text = pooling_rule(worst.map(|v| v.service.name.as_str()));
    f.render_widget(Paragraph::new(rule_text).style(t.dim()).wrap(Wrap { trim: true }), rule);
}

/// A row per service, then "all services": their rows pooled, and the error rate of `worst`.
fn rows<'a>(app: &App, worst: Option<&ServiceView>, cols: &Columns, narrow: bool) -> Vec<Row<'a>> {
    let k = &app.kpis;
    let mut rows: Vec<Row> = app
        .services
        .iter()
        .map(|v| {
            let (kpis, target) = (k.of(&v.service.name), v.service.targets.error_rate);
            row(app, v.service.name.clone(), kpis, error_rate(v), target, cols, narrow)
        })
        .collect();
    let all = k.pooled(app.services.iter().map(|v| v.service.name.as_str()));
    let (err, target) = worst.map_or((None, 0.0), |v| (error_rate(v), v.service.targets.error_rate));
    rows.push(row(app, "all services".into(), all, err, target, cols, narrow).style(app.theme.title()));
    rows
}

/// The headings and the widths of the columns after the service's. At 80 columns the long headings
/// leave the service two characters: short ones there.
fn heading(app: &App, narrow: bool) -> (Row<'static>, Vec<Constraint>) {
    let window = slo_window(app);
    let (head, widths): ([String; 6], [u16; 5]) = if narrow {
        (
            ["SERVICE", "INC 30d", "MTTR <15m", "MTBF >30d", "DOWN", &format!("ERR {window} <0.1%")].map(String::from),
            [8, 10, 10, 9, 14],
        )
    } else {
        (
            ["SERVICE", "INCIDENTS 30d", "MTTR (<15m)", "MTBF (>30d)", "DOWNTIME", &format!("ERRORS {window} (<0.1%)")]
                .map(String::from),
            [14, 15, 13, 10, 19],
        )
    };
    let widths = std::iter::once(Constraint::Min(10)).chain(widths.into_iter().map(Constraint::Length)).collect();
    (Row::new(head), widths)
}

/// How the "all services" row follows from the rows above, naming the service its error rate is.
fn pooling_rule(worst: Option<&str>) -> String {
    let errors = match worst {
        Some(name) => format!("the worst against its target ({})", crate::text::sanitize(name)),
        None => "the worst against its target".to_string(),
    };
    format!(
        "all services = the rows above pooled: incidents and downtime summed, MTTR over all their incidents, \
         MTBF the time between incidents of any of them; errors: {errors}."
    )
}

/// The SLO window the error rates are over, when every service shares it.
fn slo_window(app: &App) -> String {
    let mut windows = app.services.iter().map(|v| v.service.targets.window);
    match windows.next() {
        Some(first) if windows.all(|w| w == first) => crate::time::promql(first),
        Some(_) => "SLO".to_string(),
        None => "30d".to_string(),
    }
}
