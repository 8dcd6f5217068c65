//! The PromQL explorer: the input, completion candidates, and the result as a table or a chart, with
//! Prometheus's own errors and warnings as it gave them (sanitized).
use crate::app::App;
use crate::sources::prometheus::QueryResult;
use crate::ui::chart::{self, ChartSpec};
use crate::ui::format;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let ex = &app.explorer;
    let hint_h = u16::from(!ex.candidates.is_empty() || ex.notice.is_some());
    let [input, hint, result] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(hint_h), Constraint::Fill(1)]).areas(area);

    let mode = if ex.range_query { format!("range {}", app.range_label()) } else { "instant".into() };
    let border = if ex.editing { t.title() } else { t.border() };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(format!(" PromQL · {mode} "), t.title()));
    let inner = block.inner(input);
    f.render_widget(block, input);
    f.render_widget(&ex.input, inner);

    if hint_h > 0 {
        let text = match &ex.notice {
            Some(n) => Span::styled(format!(" {n}"), t.dim()),
            None => {
                Span::styled(format!(" {}", crate::text::capped(&ex.candidates.join("  "), 2000)), t.accent_style())
            }
        };
        f.render_widget(Paragraph::new(Line::from(text)), hint);
    }
    draw_result(app, f, result);
}

fn draw_result(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let ex = &app.explorer;
    let pending = ex.pending.as_ref().map(|(_, e)| e.clone());
    let Some(r) = &ex.result else {
        let msg = match pending {
            Some(_) => "running…",
            None => "Type a query and press Enter. Tab completes metric names, labels and values.",
        };
        f.render_widget(
            Paragraph::new(msg).style(t.dim()).block(Block::new().borders(Borders::ALL).border_style(t.border())),
            area,
        );
        return;
    };
    let age = crate::ui::when::ago(app.now, r.at);
    let title = format!(
        " {} · {age} ago{} ",
        crate::text::sanitize(&r.expr),
        if pending.is_some() { " · running…" } else { "" }
    );
    let block = Block::new().borders(Borders::ALL).border_style(t.border()).title(Span::styled(title, t.title()));
    let o = match &r.outcome {
        Err(e) => {
            f.render_widget(
                Paragraph::new(Line::from(Span::styled(e.to_string(), t.bad())))
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
            return;
        }
        Ok(o) => o,
    };
    let warn_h = (o.warnings.len() as u16).min(3);
    let [body, warns] = Layout::vertical([Constraint::Fill(1), Constraint::Length(warn_h)]).areas(area);
    if warn_h > 0 {
        let lines: Vec<Line> =
            o.warnings.iter().map(|w| Line::from(Span::styled(format!(" ⚠ {w}"), t.warn()))).collect();
        f.render_widget(Paragraph::new(lines), warns);
    }
    match &o.result {
        QueryResult::Scalar(_, v) => {
            f.render_widget(Paragraph::new(format!("scalar {}", format::number(*v))).block(block), body)
        }
        QueryResult::String(_, s) => f.render_widget(Paragraph::new(format!("string \"{s}\"")).block(block), body),
        QueryResult::Vector(s) | QueryResult::Matrix(s) if s.is_empty() => {
            f.render_widget(Paragraph::new("empty result: no series matched").style(t.dim()).block(block), body)
        }
        QueryResult::Matrix(series) if ex.chart => {
            let start = series.iter().filter_map(|s| s.points.first()).map(|p| p.0).fold(f64::INFINITY, f64::min);
            let end = series.iter().filter_map(|s| s.points.last()).map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
            let title = format!("{} series", series.len());
            let spec = ChartSpec {
                title,
                series,
                start,
                end,
                color: t.chart_rate,
                target: None,
                fmt: format::number,
                empty: "no data",
                problem: None,
                legend: true,
                markers: &[],
            };
            chart::draw(t, f, body, spec);
        }
        QueryResult::Vector(series) | QueryResult::Matrix(series) => {
            let matrix = matches!(o.result, QueryResult::Matrix(_));
            let widths = [Constraint::Fill(1), Constraint::Length(14), Constraint::Length(12)];
            let cols = crate::ui::widgets::Columns::new(&widths, block.inner(body).width);
            let rows = series.iter().map(|s| {
                let last = s.last().map_or(format::NONE.into(), format::number);
                let mut cells = vec![Cell::from(cols.fit(0, &s.display_name())), Cell::from(last)];
                if matrix {
                    cells.push(Cell::from(format!("{} points", s.points.len())));
                }
                Row::new(cells)
            });
            let header = if matrix { vec!["SERIES", "LAST", "POINTS"] } else { vec!["SERIES", "VALUE"] };
            let count = format!(" {} series{} ", series.len(), if matrix { " · v: chart" } else { "" });
            let table = Table::new(rows, widths)
                .header(Row::new(header).style(t.dim()))
                .block(block.title_bottom(Span::styled(count, t.dim())));
            let table = crate::ui::widgets::selectable(table, t);
            let mut state = TableState::default().with_selected(Some(ex.scroll));
            f.render_stateful_widget(table, body, &mut state);
        }
    }
}
