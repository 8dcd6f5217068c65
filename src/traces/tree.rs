//! The span tree. Stores send what they have: a parent may be missing (an orphan, shown at the top
//! level and marked), ids may repeat, and a broken client can even make a cycle (broken at the span
//! that starts first, and marked). Built without recursion, so a 100 000-span chain cannot overflow
//! the stack.
use super::model::Span;
use std::collections::HashMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// Children of each span (by index into the trace's spans), by start time.
    pub children: Vec<Vec<usize>>,
    /// Top-level spans by start time: the roots, orphans and cycle breaks.
    pub roots: Vec<usize>,
    /// Spans whose parent is not in the trace.
    pub orphans: Vec<usize>,
    /// Spans whose parent link was cut because it made a cycle.
    pub cycles: Vec<usize>,
}

impl Tree {
    pub fn build(spans: &[Span]) -> Tree {
        let n = spans.len();
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(n);
        for (i, s) in spans.iter().enumerate() {
            index.entry(s.span_id.as_str()).or_insert(i);
        }
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut t = Tree { children: vec![Vec::new(); n], ..Tree::default() };
        for (i, s) in spans.iter().enumerate() {
            match s.parent.as_deref().filter(|p| !p.is_empty()) {
                None => t.roots.push(i),
                Some(p) => match index.get(p) {
                    Some(&pi) if pi != i => {
                        parent[i] = Some(pi);
                        t.children[pi].push(i);
                    }
                    Some(_) => t.cycles.push(i),
                    None => t.orphans.push(i),
                },
            }
        }
        t.roots.extend(t.orphans.iter().copied());
        t.roots.extend(t.cycles.iter().copied());
        // Whatever the roots do not reach hangs on a cycle: cut it at its earliest span.
        let mut seen = vec![false; n];
        let mut stack: Vec<usize> = t.roots.clone();
        mark(&t.children, &mut seen, &mut stack);
        let mut rest: Vec<usize> = (0..n).filter(|i| !seen[*i]).collect();
        rest.sort_by_key(|i| (spans[*i].start_us, *i));
        for i in rest {
            if seen[i] {
                continue;
            }
            if let Some(p) = parent[i].take() {
                t.children[p].retain(|c| *c != i);
            }
            t.cycles.push(i);
            t.roots.push(i);
            stack.push(i);
            mark(&t.children, &mut seen, &mut stack);
        }
        let by_start = |v: &mut Vec<usize>| v.sort_by_key(|i| (spans[*i].start_us, *i));
        by_start(&mut t.roots);
        t.children.iter_mut().for_each(by_start);
        t
    }

    /// Every span in display order (depth first, children by start) with its depth.
    pub fn preorder(&self, mut skip: impl FnMut(usize) -> bool) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.children.len());
        let mut stack: Vec<(usize, usize)> = self.roots.iter().rev().map(|r| (*r, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            out.push((i, depth));
            if !skip(i) {
                stack.extend(self.children[i].iter().rev().map(|c| (*c, depth + 1)));
            }
        }
        out
    }

    /// How many spans hang below `i`.
    pub fn descendants(&self, i: usize) -> usize {
        let mut stack = vec![i];
        let mut count = 0;
        while let Some(x) = stack.pop() {
            count += self.children[x].len();
            stack.extend(self.children[x].iter().copied());
        }
        count
    }
}

fn mark(children: &[Vec<usize>], seen: &mut [bool], stack: &mut Vec<usize>) {
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        stack.extend(children[i].iter().copied().filter(|c| !seen[*c]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::model::test_span as span;

    #[test]
    fn tree_with_orphans_and_order() {
        let spans = [
            span("a", None, 0, 100),
            span("c", Some("a"), 50, 10),
            span("b", Some("a"), 10, 10),
            span("x", Some("zz"), 5, 1),
        ];
        let t = Tree::build(&spans);
        assert_eq!(t.roots, vec![0, 3]);
        assert_eq!(t.children[0], vec![2, 1]);
        assert_eq!(t.orphans, vec![3]);
        assert_eq!(t.preorder(|_| false), vec![(0, 0), (2, 1), (1, 1), (3, 0)]);
        assert_eq!(t.preorder(|i| i == 0), vec![(0, 0), (3, 0)]);
        assert_eq!(t.descendants(0), 2);
    }

    #[test]
    fn cycles_are_cut_and_every_span_shown_once() {
        // a → b → c → a, and d under c; plus a self-parented span.
        let spans = [
            span("a", Some("c"), 0, 10),
            span("b", Some("a"), 1, 5),
            span("c", Some("b"), 2, 3),
            span("d", Some("c"), 3, 1),
            span("e", Some("e"), 4, 1),
        ];
        let t = Tree::build(&spans);
        let order = t.preorder(|_| false);
        let mut ids: Vec<usize> = order.iter().map(|(i, _)| *i).collect();
        ids.sort();
        assert_eq!(ids, vec![0, 1, 2, 3, 4]);
        assert!(t.cycles.contains(&0) && t.cycles.contains(&4));
    }

    #[test]
    fn deep_chain_needs_no_recursion() {
        let spans: Vec<Span> =
            (0..100_000).map(|i| span(&i.to_string(), (i > 0).then(|| (i - 1).to_string()).as_deref(), i, 1)).collect();
        let t = Tree::build(&spans);
        let order = t.preorder(|_| false);
        assert_eq!(order.len(), 100_000);
        assert_eq!(order.last(), Some(&(99_999, 99_999)));
    }
}
