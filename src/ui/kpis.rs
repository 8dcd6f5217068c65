//! The KPIs screen: per service and for the estate, incidents over 30 days, MTTR, MTBF and the error
//! rate, each against its target (MTTR < 15 min, MTBF > 30 d, error rate < 0.1 %).
use super::format;
use crate::alerts::kpi::{Kpis, MTBF_TARGET, MTTR_TARGET};
use crate::app::App;
use crate::time::short;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

fn row<'a>(app: &App, name: String, k: Option<Kpis>, err: Option<f64>, target_err: f64) -> Row<'a> {
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
            k.mtbf.map_or(Span::styled("no incidents", t.good()), |d| Span::styled(short(d), verdict(d > MTBF_TARGET))),
            Span::raw(short(k.downtime)),
        ),
    };
    let err = err.map_or(Span::raw(format::NONE), |e| Span::styled(format::percent(Some(e)), verdict(e < target_err)));
    Row::new([
        Cell::from(crate::text::sanitize(&name).into_owned()),
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
    let [top, table] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let status = match (&k.error, k.at) {
        (Some(e), _) => Span::styled(format!(" ✖ {e}"), t.bad()),
        (None, Some(at)) => Span::styled(
            format!(" incidents from {} over 30 days · as of {} ago", k.source, crate::ui::when::ago(app.now, at)),
            t.dim(),
        ),
        (None, None) => Span::styled(" loading…", t.dim()),
    };
    f.render_widget(Paragraph::new(status), top);
    let mut rows: Vec<Row> = app
        .services
        .iter()
        .map(|v| {
            let err = v.availability().map(|a| 1.0 - a);
            row(app, v.service.name.clone(), k.of(&v.service.name), err, v.service.targets.error_rate)
        })
        .collect();
    // The estate: incidents merged across services; the error rate weighted by each service's traffic.
    let (num, den) = app.services.iter().fold((0.0, 0.0), |(n, d), v| {
        match (v.availability(), v.figures.as_ref().and_then(|f| f.rate)) {
            (Some(a), Some(r)) => (n + (1.0 - a) * r, d + r),
            _ => (n, d),
        }
    });
    let overall_err = (den > 0.0).then(|| num / den);
    rows.push(
        row(
            app,
            "all services".into(),
            k.overall(),
            overall_err,
            app.services.first().map_or(0.001, |v| v.service.targets.error_rate),
        )
        .style(t.title()),
    );
    // At 80 columns the long headings leave the service two characters: short ones there.
    let narrow = table.width < 100;
    let (head, widths): ([&str; 6], [u16; 5]) = if narrow {
        (["SERVICE", "INC 30d", "MTTR <15m", "MTBF >30d", "DOWN", "ERR 30d <0.1%"], [8, 10, 10, 9, 14])
    } else {
        (
            ["SERVICE", "INCIDENTS 30d", "MTTR (<15m)", "MTBF (>30d)", "DOWNTIME", "ERRORS 30d (<0.1%)"],
            [14, 15, 13, 10, 19],
        )
    };
    let head = Row::new(head).style(t.dim());
    let widths: Vec<Constraint> =
        std::iter::once(Constraint::Min(10)).chain(widths.into_iter().map(Constraint::Length)).collect();
    let block =
        Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(" On-call KPIs ", t.title()));
    let table_w = Table::new(rows, widths).header(head).block(block).row_highlight_style(t.selected());
    let mut state = TableState::default().with_selected(Some(app.selected));
    f.render_stateful_widget(table_w, table, &mut state);
}
