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
}

impl Store {
    /// Add a sample; a sample at an existing time replaces it, one out of order is put in its place.
    pub fn append(&mut self, labels: Labels, t: i64, v: f64) {
        let i = match self.index.get(&labels) {
            Some(&i) => i,
            None => {
                self.series.push(Series { labels: labels.clone(), samples: Vec::new() });
                self.index.insert(labels, self.series.len() - 1);
                self.series.len() - 1
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

    pub fn samples(&self) -> usize {
        self.series.iter().map(|s| s.samples.len()).sum()
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
}
