//! The waterfall's layout: the rows shown (depth first, collapsed subtrees skipped), each span's bar on
//! the trace's shared time axis, and the critical path. Computed when the trace arrives or a subtree is
//! collapsed, never per frame.
use super::critical::critical_path;
use super::model::Trace;
use super::tree::Tree;
use std::collections::HashSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub span: usize,
    pub depth: usize,
    /// Direct children (shown or collapsed).
    pub children: usize,
    pub collapsed: bool,
    /// Its parent is not in the trace, or its parent link was cut to break a cycle.
    pub orphan: bool,
    pub cycle: bool,
}

#[derive(Clone, Debug)]
pub struct Waterfall {
    pub trace: Trace,
    pub tree: Tree,
    pub critical: Vec<bool>,
    pub collapsed: HashSet<usize>,
    pub rows: Vec<Row>,
    /// The selected row.
    pub selected: usize,
    pub start_us: i64,
    pub duration_us: i64,
    /// The trace's root, duration and counts, computed once.
    pub summary: super::TraceSummary,
}

impl Waterfall {
    pub fn new(trace: Trace) -> Self {
        let tree = Tree::build(&trace.spans);
        let critical = critical_path(&trace.spans, &tree);
        let (start_us, duration_us) = (trace.start_us(), trace.duration_us().max(1));
        let summary = trace.summary();
        let mut w = Waterfall {
            trace,
            tree,
            critical,
            collapsed: HashSet::new(),
            rows: Vec::new(),
            selected: 0,
            start_us,
            duration_us,
            summary,
        };
        w.layout();
        w
    }

    fn layout(&mut self) {
        let collapsed = &self.collapsed;
        let orphans: HashSet<usize> = self.tree.orphans.iter().copied().collect();
        let cycles: HashSet<usize> = self.tree.cycles.iter().copied().collect();
        self.rows = self
            .tree
            .preorder(|i| collapsed.contains(&i))
            .into_iter()
            .map(|(span, depth)| Row {
                span,
                depth,
                children: self.tree.children[span].len(),
                collapsed: collapsed.contains(&span),
                orphan: orphans.contains(&span),
                cycle: cycles.contains(&span),
            })
            .collect();
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Collapse or expand the selected row's subtree.
    pub fn toggle(&mut self) {
        let Some(row) = self.rows.get(self.selected).copied() else { return };
        if row.children == 0 {
            return;
        }
        if !self.collapsed.remove(&row.span) {
            self.collapsed.insert(row.span);
        }
        self.layout();
    }

    pub fn selected_span(&self) -> Option<&super::Span> {
        self.rows.get(self.selected).map(|r| &self.trace.spans[r.span])
    }

    /// A span's bar in a lane `width` cells wide: first cell and length (at least one cell), clamped.
    pub fn bar(&self, span: usize, width: u16) -> (u16, u16) {
        let s = &self.trace.spans[span];
        let w = f64::from(width.max(1));
        let scale = |us: i64| ((us - self.start_us) as f64 / self.duration_us as f64 * w).clamp(0.0, w);
        let from = scale(s.start_us).floor().min(w - 1.0);
        let to = scale(s.end_us()).ceil().max(from + 1.0);
        (from as u16, (to - from) as u16)
    }

    /// The share of the trace's time axis a column stands for, for the axis labels.
    pub fn us_per_cell(&self, width: u16) -> f64 {
        self.duration_us as f64 / f64::from(width.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::model::test_span as span;

    #[test]
    fn bars_share_one_axis_and_collapse_hides_subtrees() {
        let trace = Trace {
            trace_id: "t".into(),
            spans: vec![span("r", None, 1000, 100), span("a", Some("r"), 1000, 50), span("b", Some("a"), 1050, 50)],
            warnings: vec![],
        };
        let mut w = Waterfall::new(trace);
        assert_eq!(w.rows.len(), 3);
        assert_eq!(w.bar(0, 40), (0, 40));
        assert_eq!(w.bar(1, 40), (0, 20));
        assert_eq!(w.bar(2, 40), (20, 20));
        w.selected = 1;
        w.toggle();
        assert_eq!(w.rows.iter().map(|r| r.span).collect::<Vec<_>>(), vec![0, 1]);
        assert!(w.rows[1].collapsed);
        w.toggle();
        assert_eq!(w.rows.len(), 3);
    }

    #[test]
    fn zero_length_trace_and_tiny_spans_still_draw() {
        let trace = Trace { spans: vec![span("r", None, 5, 0)], ..Trace::default() };
        let w = Waterfall::new(trace);
        assert_eq!(w.bar(0, 10), (0, 1));
    }
}
