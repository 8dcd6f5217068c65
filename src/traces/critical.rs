//! The critical path: the chain of spans the trace's end waited on. From a span's end, the child that
//! finished last (before the point reached) is on the path; the walk continues from that child's start,
//! and into the child. Children that ran past their parent's end are clamped to it. Iterative.
use super::model::Span;
use super::tree::Tree;

/// Whether each span is on the critical path of the trace's longest top-level span.
pub fn critical_path(spans: &[Span], tree: &Tree) -> Vec<bool> {
    let mut on = vec![false; spans.len()];
    let Some(&root) = tree.roots.iter().max_by_key(|r| (spans[**r].duration_us, std::cmp::Reverse(**r))) else {
        return on;
    };
    let mut stack = vec![(root, spans[root].end_us())];
    while let Some((s, until)) = stack.pop() {
        if std::mem::replace(&mut on[s], true) {
            continue;
        }
        let parent_end = spans[s].end_us();
        let mut t = until.min(parent_end);
        let mut kids = tree.children[s].clone();
        kids.sort_by_key(|c| std::cmp::Reverse((spans[*c].end_us().min(parent_end), spans[*c].start_us)));
        // A child that was still running at `t` ran beside the one already on the path: not waited on.
        for c in kids {
            let end = spans[c].end_us().min(parent_end);
            if end <= t {
                stack.push((c, end));
                t = spans[c].start_us;
            }
        }
    }
    on
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::model::test_span as span;

    #[test]
    fn sequential_and_parallel_children() {
        // root 0..100; a 0..30, b 10..90 (parallel with a, ends last), c 92..99 after b.
        let spans = [
            span("r", None, 0, 100),
            span("a", Some("r"), 0, 30),
            span("b", Some("r"), 10, 80),
            span("c", Some("r"), 92, 7),
            span("b1", Some("b"), 20, 60),
        ];
        let t = Tree::build(&spans);
        let on = critical_path(&spans, &t);
        assert_eq!(on, vec![true, false, true, true, true]);
    }
}
