//! Series in memory: labels (the metric name as `__name__`) and samples in time order.
use std::collections::{BTreeMap, HashMap};

pub type Labels = BTreeMap<String, String>;

pub const NAME: &str = "__name__";

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
