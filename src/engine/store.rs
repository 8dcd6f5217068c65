//! Series in memory: labels (the metric name as `__name__`) and samples in time order.
use std::collections::{BTreeMap, HashMap};

pub type Labels = BTreeMap<String, String>;

pub const NAME: &str = "__name__";

/// Prometheus's staleness marker: a NaN with this bit pattern ends a series at its time (a vanished
/// target, a rule result that stopped), so selectors stop returning it at once rather than after the
/// 5-minute lookback.
pub const STALE: f64 = f64::from_bits(0x7ff0_0000_0000_0002);

pub fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE.to_bits()
}

/// The labels a `by (…)` / `on (…)` list or a `without (…)` / `ignoring (…)` list leaves; the second
/// also drops the metric name, as Prometheus does.
pub fn grouping(l: &Labels, m: &promql_parser::parser::LabelModifier) -> Labels {
    use promql_parser::parser::LabelModifier::{Exclude, Include};
    let keep = |k: &String| match m {
        Include(ls) => ls.labels.contains(k),
        Exclude(ls) => k != NAME && !ls.labels.contains(k),
    };
    l.iter().filter(|(k, _)| keep(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub labels: Labels,
    /// (milliseconds since the epoch, value), ascending by time.
    pub samples: Vec<(i64, f64)>,
}

#[derive(Clone, Debug, Default)]
pub struct Store {
    series: Vec<Series>,
    index: HashMap<Labels, usize>,
    /// The series of each metric name, so a selector that names its metric reads only those.
    by_name: HashMap<String, Vec<usize>>,
}

impl Store {
    /// Add a sample; a sample at an existing time replaces it, one out of order is put in its place.
    pub fn append(&mut self, labels: Labels, t: i64, v: f64) {
        let i = match self.index.get(&labels) {
            Some(&i) => i,
            None => {
                let i = self.series.len();
                self.by_name.entry(labels.get(NAME).cloned().unwrap_or_default()).or_default().push(i);
                self.series.push(Series { labels: labels.clone(), samples: Vec::new() });
                self.index.insert(labels, i);
                i
            }
        };
        let s = &mut self.series[i].samples;
        match s.last() {
            Some(&(last, _)) if last < t => s.push((t, v)),
            None => s.push((t, v)),
            _ => match s.binary_search_by_key(&t, |p| p.0) {
                Ok(at) => s[at].1 = v,
                Err(at) => s.insert(at, (t, v)),
            },
        }
    }

    /// Keep memory bounded: samples older than `raw` are thinned to one a minute, older than a day to one
    /// per ten minutes, and samples older than `retention` are dropped (with series left empty). At a
    /// 5 s scrape and 30 days, a series settles near 720 + 1 380 + 4 176 samples of 16 bytes: ~100 KB.
    pub fn compact(&mut self, now: i64, raw: i64, retention: i64) {
        const MIN: i64 = 60_000;
        const DAY: i64 = 86_400_000;
        for s in &mut self.series {
            let mut last_bucket = i64::MIN;
            s.samples.retain(|&(t, _)| {
                let age = now - t;
                if age > retention {
                    return false;
                }
                let width = if age > DAY {
                    10 * MIN
                } else if age > raw {
                    MIN
                } else {
                    return true;
                };
                let bucket = t.div_euclid(width) * width + if width == MIN { 1 } else { 0 };
                let keep = bucket != last_bucket;
                last_bucket = bucket;
                keep
            });
        }
    }

    /// What the store costs, estimated: per series its labels (kept twice: the series and the index
    /// key, with a map node per label) and ~100 bytes of fixed overhead; per sample 16 bytes of
    /// capacity. A series of 6 labels of ~12 bytes costs ~650 bytes before its samples; at a 15 s
    /// scrape, an hour of samples costs 3.8 KB more.
    pub fn bytes(&self) -> usize {
        self.series.iter().map(|s| Self::series_overhead(s) + s.samples.capacity() * 16).sum()
    }

    fn series_overhead(s: &Series) -> usize {
        let labels: usize = s.labels.iter().map(|(k, v)| k.len() + v.len() + 56).sum();
        2 * labels + 100
    }

    /// Keep the store under `max_bytes`: drop the oldest samples (across all series, by time) until the
    /// rest fits in nine tenths of it, and series left empty. Returns how many samples went.
    pub fn enforce(&mut self, max_bytes: usize) -> usize {
        if self.bytes() <= max_bytes {
            return 0;
        }
        let budget = max_bytes * 9 / 10;
        let fixed: usize = self.series.iter().map(Self::series_overhead).sum();
        let room = budget.saturating_sub(fixed) / 16;
        let (mut lo, mut hi) = (
            self.series.iter().filter_map(|s| s.samples.first().map(|p| p.0)).min().unwrap_or(0),
            self.series.iter().filter_map(|s| s.samples.last().map(|p| p.0)).max().unwrap_or(0) + 1,
        );
        // The oldest cut-off that leaves at most `room` samples.
        let kept = |cut: i64| -> usize {
            self.series.iter().map(|s| s.samples.len() - s.samples.partition_point(|p| p.0 < cut)).sum()
        };
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if kept(mid) <= room { hi = mid } else { lo = mid + 1 }
        }
        let before = self.samples();
        for s in &mut self.series {
            let cut = s.samples.partition_point(|p| p.0 < lo);
            s.samples.drain(..cut);
            s.samples.shrink_to_fit();
        }
        self.series.retain(|s| !s.samples.is_empty());
        self.reindex();
        before - self.samples()
    }

    pub fn samples(&self) -> usize {
        self.series.iter().map(|s| s.samples.len()).sum()
    }

    /// The series of one metric name, in the order they were added.
    pub fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Series> + 'a {
        self.by_name.get(name).into_iter().flatten().map(|&i| &self.series[i])
    }

    fn reindex(&mut self) {
        self.index = self.series.iter().enumerate().map(|(i, s)| (s.labels.clone(), i)).collect();
        self.by_name.clear();
        for (i, s) in self.series.iter().enumerate() {
            self.by_name.entry(s.labels.get(NAME).cloned().unwrap_or_default()).or_default().push(i);
        }
    }

    pub fn series(&self) -> &[Series] {
        &self.series
    }

    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn compaction_thins_by_age_and_drops_the_oldest() {
        let mut st = Store::default();
        let l: Labels = [(NAME.to_string(), "x".to_string())].into();
        let now = 40 * 86_400_000;
        let mut t = now - 35 * 86_400_000;
        while t <= now {
            st.append(l.clone(), t, 1.0);
            t += 5_000;
        }
        st.compact(now, 3_600_000, 31 * 86_400_000);
        let s = &st.series()[0].samples;
        assert!(s[0].0 >= now - 31 * 86_400_000, "older than retention dropped");
        let recent = s.iter().filter(|p| now - p.0 <= 3_600_000).count();
        assert_eq!(recent, 721, "the last hour is raw");
        let day = s.iter().filter(|p| now - p.0 > 3_600_000 && now - p.0 <= 86_400_000).count();
        assert!((1370..=1381).contains(&day), "one a minute over the rest of the day: {day}");
        assert!(st.samples() < 6_500, "{}", st.samples());
    }

    #[test]
    fn the_memory_cap_drops_the_oldest_first() {
        let mut st = Store::default();
        for i in 0..50 {
            let l: Labels = [(NAME.to_string(), format!("m{i}"))].into();
            for t in 0..2_000 {
                st.append(l.clone(), t * 15_000, 1.0);
            }
        }
        let cap = st.bytes() / 2;
        let dropped = st.enforce(cap);
        assert!(dropped > 0 && st.bytes() <= cap, "{} > {cap}", st.bytes());
        let newest = st.series().iter().map(|s| s.samples.last().unwrap().0).min().unwrap();
        assert_eq!(newest, 1_999 * 15_000, "the newest samples stay");
        let oldest = st.series().iter().map(|s| s.samples[0].0).min().unwrap();
        assert!(oldest > 0);
        assert_eq!(st.enforce(cap), 0, "already under the cap");
    }
}
