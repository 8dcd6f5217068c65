//! A time-series chart: shared time axis, y from zero, an optional target line, a few series at most.
use super::theme::Theme;
use crate::sources::prometheus::Series;
use chrono::{DateTime, TimeZone, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};

pub struct ChartSpec<'a> {
    pub title: String,
    pub series: &'a [Series],
    pub start: f64,
    pub end: f64,
    pub color: Color,
    pub target: Option<f64>,
    pub fmt: fn(f64) -> String,
    pub empty: &'a str,
    /// Why there is no data, when the server refused the query: shown instead of `empty`.
    pub problem: Option<&'a str>,
    /// Name each series in a legend (the explorer, where series differ by labels).
    pub legend: bool,
    /// Times (unix seconds) marked with a vertical line: changes (deploys, rollbacks, windows).
    pub markers: &'a [f64],
}

const MAX_SERIES: usize = 6;
const PALETTE_SHIFT: [Color; 5] = [Color::Cyan, Color::Magenta, Color::Green, Color::Yellow, Color::Blue];

/// The colour of series `i`: the chart's own for the first (and for all without colour), then the palette.
fn series_color(t: &Theme, first: Color, i: usize) -> Color {
    if i == 0 || t.monochrome { first } else { PALETTE_SHIFT[(i - 1) % PALETTE_SHIFT.len()] }
}

fn at(t: f64) -> DateTime<Utc> {
    Utc.timestamp_opt(t as i64, 0).single().unwrap_or_default()
}

/// A time on the chart's axis: with its date when the chart spans more than one day (`24h` from 11:00 is
/// 11:00 to 11:00, which says nothing without the days).
fn hhmm(t: f64, start: f64, end: f64) -> String {
    let dated = at(start).date_naive() != at(end).date_naive();
    at(t).format(if dated { "%m-%d %H:%M" } else { "%H:%M" }).to_string()
}

pub fn draw(t: &Theme, f: &mut Frame, area: Rect, spec: ChartSpec<'_>) {
    let span = spec.end - spec.start;
    // The time range is in the title; the x axis (two rows) only when the chart is tall enough to spare them.
    let (start, end) = (spec.start, spec.end);
    let range =
        if span > 0.0 { format!(" {}–{}", hhmm(start, start, end), hhmm(end, start, end)) } else { String::new() };
    // The range goes below when the title and it do not fit side by side (dated ranges are long).
    let title_w = spec.title.chars().count() + 2 + range.chars().count() + 1 + 2;
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {} ", spec.title), t.title()));
    let range = Span::styled(format!("{range} "), t.dim()).into_right_aligned_line();
    let block = if title_w <= usize::from(area.width) { block.title(range) } else { block.title_bottom(range) };
    let has_data = spec.series.iter().any(|s| s.points.iter().any(|p| p.1.is_finite()));
    if !has_data {
        let (text, style) = match spec.problem {
            Some(p) => (format!("✖ {p}"), t.bad()),
            None => (spec.empty.to_string(), t.dim()),
        };
        let p = Paragraph::new(text).style(style).block(block).wrap(ratatui::widgets::Wrap { trim: true });
        f.render_widget(p, area);
        return;
    }
    let cleaned: Vec<Vec<(f64, f64)>> = spec
        .series
        .iter()
        .take(MAX_SERIES)
        .map(|s| s.points.iter().copied().filter(|p| p.1.is_finite()).collect())
        .collect();
    let mut max = cleaned.iter().flatten().map(|p| p.1).fold(0.0_f64, f64::max);
    if let Some(tgt) = spec.target {
        max = max.max(tgt);
    }
    let max = if max <= 0.0 { 1.0 } else { max * 1.1 };
    let target_line: Vec<(f64, f64)> = spec.target.map(|v| vec![(spec.start, v), (spec.end, v)]).unwrap_or_default();
    let mut datasets: Vec<Dataset> = cleaned
        .iter()
        .enumerate()
        .map(|(i, pts)| {
            let color = series_color(t, spec.color, i);
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(color))
                .data(pts)
        })
        .collect();
    let marks: Vec<[(f64, f64); 2]> =
        spec.markers.iter().filter(|m| (spec.start..=spec.end).contains(*m)).map(|m| [(*m, 0.0), (*m, max)]).collect();
    for m in &marks {
        datasets.push(Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(t.warn()).data(m));
    }
    if !target_line.is_empty() {
        datasets.push(
            Dataset::default().marker(Marker::Dot).graph_type(GraphType::Line).style(t.warn()).data(&target_line),
        );
    }
    let mut x = Axis::default().style(t.dim()).bounds([spec.start, spec.end]);
    if area.height >= 10 {
        x = x.labels([hhmm(start, start, end), hhmm(end, start, end)]);
    }
    let y = Axis::default().style(t.dim()).bounds([0.0, max]).labels(["0".to_string(), (spec.fmt)(max)]);
    // The legend goes under the plot, not over it: a line a series, named by what tells them apart.
    let shown = cleaned.len();
    let legend_h =
        if spec.legend { (shown as u16 + u16::from(spec.series.len() > shown)).min(area.height / 3) } else { 0 };
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [plot, legend] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Fill(1),
        ratatui::layout::Constraint::Length(legend_h),
    ])
    .areas(inner);
    f.render_widget(Chart::new(datasets).x_axis(x).y_axis(y).legend_position(None), plot);
    if legend_h > 0 {
        let names = legend_names(&spec.series[..shown]);
        let width = usize::from(legend.width.saturating_sub(3));
        let mut lines: Vec<ratatui::text::Line> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let color = series_color(t, spec.color, i);
                ratatui::text::Line::from(vec![
                    Span::styled("━ ", Style::new().fg(color)),
                    Span::styled(crate::text::capped(n, width).into_owned(), t.base()),
                ])
            })
            .collect();
        if spec.series.len() > shown {
            lines.push(ratatui::text::Line::from(Span::styled(
                format!("  … {} more series not drawn (the table lists them all)", spec.series.len() - shown),
                t.dim(),
            )));
        }
        f.render_widget(Paragraph::new(lines), legend);
    }
}

/// Each series' name in a legend: only the labels whose values differ between the series (the rest are
/// the same for all and say nothing), as `k="v"`; the whole name when a series stands alone.
pub fn legend_names(series: &[Series]) -> Vec<String> {
    if series.len() < 2 {
        return series.iter().map(Series::display_name).collect();
    }
    let mut keys: Vec<&str> = series.iter().flat_map(|s| s.labels.iter().map(|(k, _)| k.as_str())).collect();
    keys.sort_unstable();
    keys.dedup();
    let differ: Vec<&str> = keys
        .into_iter()
        .filter(|k| {
            let first = series[0].label(k);
            series.iter().any(|s| s.label(k) != first)
        })
        .collect();
    series
        .iter()
        .map(|s| {
            let parts: Vec<String> =
                differ.iter().map(|k| format!("{k}=\"{}\"", crate::text::sanitize(s.label(k).unwrap_or("")))).collect();
            if parts.is_empty() { s.display_name() } else { format!("{{{}}}", parts.join(", ")) }
        })
        .collect()
}
