//! The bounded buffer behind the log view: oldest lines dropped past the cap (and counted), gaps in a
//! tail marked as entries of their own, and the filtered view kept up to date line by line, so a flood
//! of lines never costs a pass over the whole buffer per frame.
use super::filter::LineFilter;
use super::model::LogLine;
use std::collections::VecDeque;

pub const DEFAULT_CAPACITY: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Line(LogLine),
    /// Lines may be missing between these times (a tail reconnected, or the server dropped entries).
    Gap {
        from_ns: i64,
        to_ns: i64,
        note: String,
    },
}

impl Entry {
    pub fn ts_ns(&self) -> i64 {
        match self {
            Entry::Line(l) => l.ts_ns,
            Entry::Gap { from_ns, .. } => *from_ns,
        }
    }
    pub fn line(&self) -> Option<&LogLine> {
        match self {
            Entry::Line(l) => Some(l),
            Entry::Gap { .. } => None,
        }
    }
}

/// Entries are numbered from the first ever pushed: a number stays valid while its entry is held.
#[derive(Clone, Debug)]
pub struct LogBuffer {
    entries: VecDeque<Entry>,
    /// The number of `entries[0]`.
    first: u64,
    cap: usize,
    /// Lines dropped from the front since the buffer was last cleared.
    pub dropped: u64,
    filter: Option<LineFilter>,
    /// Numbers of the entries the filter lets through (gaps always), in order.
    shown: VecDeque<u64>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer::new(DEFAULT_CAPACITY)
    }
}

impl LogBuffer {
    pub fn new(cap: usize) -> Self {
        LogBuffer {
            entries: VecDeque::new(),
            first: 0,
            cap: cap.max(1),
            dropped: 0,
            filter: None,
            shown: VecDeque::new(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The number the next entry will get.
    pub fn next_number(&self) -> u64 {
        self.first + self.entries.len() as u64
    }

    pub fn push(&mut self, e: Entry) {
        if self.entries.len() == self.cap {
            self.entries.pop_front();
            self.first += 1;
            self.dropped += 1;
            while self.shown.front().is_some_and(|n| *n < self.first) {
                self.shown.pop_front();
            }
        }
        let n = self.next_number();
        if self.passes(&e) {
            self.shown.push_back(n);
        }
        self.entries.push_back(e);
    }

    pub fn clear(&mut self) {
        self.first = self.next_number();
        self.entries.clear();
        self.shown.clear();
        self.dropped = 0;
    }

    /// Everything held, oldest first; the buffer is left empty (numbers go on from where they were).
    pub fn take_all(&mut self) -> Vec<Entry> {
        let next = self.next_number();
        let out: Vec<Entry> = self.entries.drain(..).collect();
        self.first = next;
        self.shown.clear();
        self.dropped = 0;
        out
    }

    pub fn get(&self, n: u64) -> Option<&Entry> {
        n.checked_sub(self.first).and_then(|i| self.entries.get(i as usize))
    }

    pub fn last(&self) -> Option<&Entry> {
        self.entries.back()
    }

    pub fn filter(&self) -> Option<&LineFilter> {
        self.filter.as_ref()
    }

    fn passes(&self, e: &Entry) -> bool {
        match (e, &self.filter) {
            (Entry::Line(l), Some(f)) => f.matches(l.text.as_str()),
            _ => true,
        }
    }

    /// Set or clear the filter: the one pass over the buffer, when the operator changes it.
    pub fn set_filter(&mut self, filter: Option<LineFilter>) {
        self.filter = filter;
        self.shown =
            (self.first..self.next_number()).filter(|n| self.get(*n).is_some_and(|e| self.passes(e))).collect();
    }

    /// How many entries the view shows.
    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// The entry number at row `i` of the view.
    pub fn shown_at(&self, i: usize) -> Option<u64> {
        self.shown.get(i).copied()
    }

    /// The row of entry `n` in the view, or of the nearest shown entry after it.
    pub fn row_of(&self, n: u64) -> usize {
        self.shown.partition_point(|x| *x < n).min(self.shown.len().saturating_sub(1))
    }

    /// The first row at or after a time (entries are in time order within what one query returned).
    pub fn row_at_time(&self, ts_ns: i64) -> usize {
        let i = self.shown.partition_point(|n| self.get(*n).is_some_and(|e| e.ts_ns() < ts_ns));
        i.min(self.shown.len().saturating_sub(1))
    }

    /// Entry numbers from `n − before` to `n + after` in the unfiltered buffer: a line's context.
    pub fn around(&self, n: u64, before: u64, after: u64) -> std::ops::Range<u64> {
        let from = n.saturating_sub(before).max(self.first);
        let to = (n + after + 1).min(self.next_number());
        from..to.max(from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn line(ts: i64, text: &str) -> Entry {
        Entry::Line(LogLine::new(ts, text, &[]))
    }

    #[test]
    fn bounded_with_drops_counted() {
        let mut b = LogBuffer::new(3);
        for i in 0..5 {
            b.push(line(i, &format!("line {i}")));
        }
        assert_eq!((b.len(), b.dropped, b.shown_len()), (3, 2, 3));
        assert!(b.get(1).is_none());
        assert_eq!(b.get(2).unwrap().ts_ns(), 2);
        assert_eq!(b.shown_at(0), Some(2));
    }

    #[test]
    fn filter_follows_pushes_and_drops() {
        let mut b = LogBuffer::new(4);
        b.set_filter(Some(LineFilter::new("err").unwrap()));
        for (i, t) in ["ok", "error 1", "ok", "error 2", "ok", "ok"].iter().enumerate() {
            b.push(line(i as i64, t));
        }
        // Entries 2..6 are held: "ok", "error 2", "ok", "ok".
        assert_eq!(b.shown_len(), 1);
        assert_eq!(b.shown_at(0), Some(3));
        b.push(Entry::Gap { from_ns: 6, to_ns: 7, note: "reconnected".into() });
        assert_eq!(b.shown_len(), 2, "gaps are always shown");
        b.set_filter(None);
        assert_eq!(b.shown_len(), 4);
        assert_eq!(b.row_at_time(4), 1);
        assert_eq!(b.around(3, 5, 1), 3..5);
    }
}
