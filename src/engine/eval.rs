//! Evaluation: an expression at an instant, or at every step of a range.
use super::store::{Labels, NAME, Series, Store, is_stale};
use super::value::{Sample, Value};
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, AtModifier, Expr, Offset, SubqueryExpr, VectorSelector};
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

/// How far back an instant selector looks for a sample (Prometheus's default lookback delta).
pub const LOOKBACK_MS: i64 = 5 * 60 * 1000;
/// The step of a subquery that names none: Prometheus's default evaluation interval.
pub const SUBQUERY_STEP_MS: i64 = 60 * 1000;

#[derive(Clone, Debug, PartialEq)]
pub struct EvalError(pub String);

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EvalError {}

pub(super) fn err<T>(msg: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError(msg.into()))
}

/// The evaluation instant, and the range's ends (what `@ start()` and `@ end()` mean).
#[derive(Clone, Copy, Debug)]
pub(super) struct Ctx {
    pub t: i64,
    pub start: i64,
    pub end: i64,
}

/// Parsed queries, by text: the console asks the same few queries every refresh, and parsing (with its
/// regex compilation) costs more than evaluating them. Cleared when full, so it stays small.
#[derive(Debug, Default)]
struct ParseCache(std::sync::Mutex<std::collections::HashMap<String, Expr>>);

const PARSE_CACHE: usize = 512;

impl Clone for ParseCache {
    fn clone(&self) -> Self {
        ParseCache::default()
    }
}

impl ParseCache {
    fn get(&self, query: &str) -> Result<Expr, EvalError> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get(query) {
            return Ok(e.clone());
        }
        let e = parser::parse(query).map_err(EvalError)?;
        if map.len() >= PARSE_CACHE {
            map.clear();
        }
        map.insert(query.to_string(), e.clone());
        Ok(e)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Engine {
    pub store: Store,
    parsed: ParseCache,
}

fn ms(d: &Duration) -> i64 {
    d.as_millis() as i64
}

impl Engine {
    pub fn new(store: Store) -> Self {
        Engine { store, parsed: ParseCache::default() }
    }

    pub fn instant(&self, query: &str, t_ms: i64) -> Result<Value, EvalError> {
        let expr = self.parsed.get(query)?;
        match self.eval(&expr, Ctx { t: t_ms, start: t_ms, end: t_ms })? {
            Value::Matrix(_) if !matches!(expr, Expr::MatrixSelector(_) | Expr::Subquery(_)) => {
                err("unexpected range vector")
            }
            v => Ok(v),
        }
    }

    /// One series per label set over `start..=end` every `step` ms; a scalar becomes a series without
    /// labels.
    pub fn range(&self, query: &str, start: i64, end: i64, step: i64) -> Result<Vec<Series>, EvalError> {
        if step <= 0 || end < start {
            return err("a range query needs start ≤ end and a positive step");
        }
        let expr = self.parsed.get(query)?;
        let mut out: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
        let mut t = start;
        while t <= end {
            match self.eval(&expr, Ctx { t, start, end })? {
                Value::Scalar(v) => out.entry(Labels::new()).or_default().push((t, v)),
                Value::Vector(samples) => {
                    for s in samples {
                        out.entry(s.labels).or_default().push((t, s.value));
                    }
                }
                other => return err(format!("a range query needs a scalar or instant vector, not a {}", other.kind())),
            }
            t += step;
        }
        Ok(out.into_iter().map(|(labels, samples)| Series { labels, samples }).collect())
    }

    /// The label sets of the series a selector matches that have a sample in `start..=end` (what the
    /// series API answers for one `match[]`).
    pub fn series_matching(&self, selector: &str, start: i64, end: i64) -> Result<Vec<Labels>, EvalError> {
        let Expr::VectorSelector(vs) = self.parsed.get(selector)? else {
            return err(format!("invalid parameter \"match[]\": `{selector}` is not a series selector"));
        };
        Ok(self
            .matching(&vs)
            .filter(|s| {
                let i = s.samples.partition_point(|p| p.0 < start);
                s.samples.get(i).is_some_and(|p| p.0 <= end)
            })
            .map(|s| s.labels.clone())
            .collect())
    }

    pub(super) fn eval(&self, e: &Expr, c: Ctx) -> Result<Value, EvalError> {
        match e {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(n.val)),
            Expr::StringLiteral(s) => Ok(Value::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, c),
            Expr::Unary(u) => match self.eval(&u.expr, c)? {
                Value::Scalar(v) => Ok(Value::Scalar(-v)),
                Value::Vector(v) => Ok(Value::Vector(
                    v.into_iter().map(|s| Sample { labels: drop_name(s.labels), value: -s.value }).collect(),
                )),
                other => err(format!("unary minus on a {}", other.kind())),
            },
            Expr::VectorSelector(vs) => Ok(Value::Vector(self.select(vs, c))),
            Expr::MatrixSelector(m) => Ok(Value::Matrix(self.select_range(&m.vs, ms(&m.range), c))),
            Expr::Call(call) => self.call(call, c),
            Expr::Aggregate(a) => self.aggregate(a, c),
            Expr::Binary(b) => self.binary(b, c),
            Expr::Subquery(sq) => Ok(Value::Matrix(self.subquery(sq, c)?)),
            Expr::Extension(_) => err("extension expressions are not supported by the embedded engine"),
        }
    }

    fn matching<'a>(&'a self, vs: &'a VectorSelector) -> impl Iterator<Item = &'a Series> + 'a {
        // A selector that names its metric reads only that metric's series.
        let named = vs.name.as_deref().or_else(|| {
            let m = vs.matchers.matchers.iter().find(|m| m.name == NAME && m.op == MatchOp::Equal)?;
            vs.matchers.or_matchers.is_empty().then_some(m.value.as_str())
        });
        let candidates: Box<dyn Iterator<Item = &'a Series> + 'a> = match named {
            Some(n) => Box::new(self.store.named(n)),
            None => Box::new(self.store.series().iter()),
        };
        candidates.filter(move |s| {
            let get = |k: &str| s.labels.get(k).map_or("", String::as_str);
            vs.name.as_ref().is_none_or(|n| get(NAME) == n)
                && vs.matchers.matchers.iter().all(|m| m.is_match(get(&m.name)))
                && (vs.matchers.or_matchers.is_empty()
                    || vs.matchers.or_matchers.iter().any(|g| g.iter().all(|m| m.is_match(get(&m.name)))))
        })
    }

    /// The instant a selector reads at, after `@` and `offset`.
    pub(super) fn at(vs: &VectorSelector, c: Ctx) -> i64 {
        let base = match &vs.at {
            None => c.t,
            Some(AtModifier::Start) => c.start,
            Some(AtModifier::End) => c.end,
            Some(AtModifier::At(t)) => t.duration_since(UNIX_EPOCH).map_or(0, |d| ms(&d)),
        };
        match &vs.offset {
            None => base,
            Some(Offset::Pos(d)) => base - ms(d),
            Some(Offset::Neg(d)) => base + ms(d),
        }
    }

    /// The newest sample of each matching series within the lookback window, in label order (as the
    /// TSDB hands series over: ties in `topk` and the order of sums follow it).
    fn select(&self, vs: &VectorSelector, c: Ctx) -> Vec<Sample> {
        self.select_timed(vs, c).into_iter().map(|(s, _)| s).collect()
    }

    /// As [`select`](Self::select), with each sample's own timestamp (what `timestamp()` reads).
    pub(super) fn select_timed(&self, vs: &VectorSelector, c: Ctx) -> Vec<(Sample, i64)> {
        let t = Self::at(vs, c);
        let mut out: Vec<(Sample, i64)> = self
            .matching(vs)
            .filter_map(|s| {
                let i = s.samples.partition_point(|p| p.0 <= t);
                let (ts, v) = *s.samples.get(i.checked_sub(1)?)?;
                (ts >= t - LOOKBACK_MS && !is_stale(v)).then(|| (Sample { labels: s.labels.clone(), value: v }, ts))
            })
            .collect();
        out.sort_by(|a, b| a.0.labels.cmp(&b.0.labels));
        out
    }

    /// A subquery: its expression at every multiple of its step (default [`SUBQUERY_STEP_MS`]) in
    /// `[t − offset − range, t − offset]`, as Prometheus aligns them, so every evaluation instant sees
    /// the same points.
    pub(super) fn subquery(&self, sq: &SubqueryExpr, c: Ctx) -> Result<Vec<Series>, EvalError> {
        let end = Self::subquery_end(sq, c);
        let step = sq.step.map_or(SUBQUERY_STEP_MS, |d| ms(&d)).max(1);
        let from = end - ms(&sq.range);
        let mut t = step * from.div_euclid(step);
        if t < from {
            t += step;
        }
        let mut out: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
        while t <= end {
            match self.eval(&sq.expr, Ctx { t, ..c })? {
                Value::Vector(samples) => {
                    for s in samples {
                        out.entry(s.labels).or_default().push((t, s.value));
                    }
                }
                Value::Scalar(v) => out.entry(Labels::new()).or_default().push((t, v)),
                other => return err(format!("a subquery needs an instant vector, not a {}", other.kind())),
            }
            t += step;
        }
        Ok(out.into_iter().map(|(labels, samples)| Series { labels, samples }).collect())
    }

    /// The instant a subquery's range ends at: the evaluation's (or its `@`), less its offset.
    pub(super) fn subquery_end(sq: &SubqueryExpr, c: Ctx) -> i64 {
        let base = match &sq.at {
            None => c.t,
            Some(AtModifier::Start) => c.start,
            Some(AtModifier::End) => c.end,
            Some(AtModifier::At(t)) => t.duration_since(UNIX_EPOCH).map_or(0, |d| ms(&d)),
        };
        match &sq.offset {
            None => base,
            Some(Offset::Pos(d)) => base - ms(d),
            Some(Offset::Neg(d)) => base + ms(d),
        }
    }

    /// Each matching series' samples in `[t − range, t]`.
    pub(super) fn select_range(&self, vs: &VectorSelector, range: i64, c: Ctx) -> Vec<Series> {
        let t = Self::at(vs, c);
        let mut out: Vec<Series> = self
            .matching(vs)
            .filter_map(|s| {
                let lo = s.samples.partition_point(|p| p.0 < t - range);
                let hi = s.samples.partition_point(|p| p.0 <= t);
                let samples: Vec<(i64, f64)> = s.samples[lo..hi].iter().copied().filter(|p| !is_stale(p.1)).collect();
                (!samples.is_empty()).then(|| Series { labels: s.labels.clone(), samples })
            })
            .collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }
}

pub(super) fn drop_name(mut l: Labels) -> Labels {
    l.remove(NAME);
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::load::load;

    fn engine() -> Engine {
        let mut store = Store::default();
        let text =
            "up{job=\"a\"} 1 100\nup{job=\"a\"} 1 115\nx_total{job=\"a\"} 10 100\nx_total{job=\"a\"} 40 115\n# EOF\n";
        load(&mut store, text, 0).unwrap();
        Engine::new(store)
    }

    #[test]
    fn a_subquery_without_a_step_takes_a_minute_aligned_to_the_clock() {
        let e = engine();
        // Points at whole minutes in [t − 10m, t]: ten of them when t is not on a minute, eleven when it is.
        let count = |q: &str, t: i64| match e.instant(q, t).unwrap() {
            Value::Vector(v) => v[0].value,
            other => panic!("{other:?}"),
        };
        assert_eq!(count("count_over_time(vector(1)[10m:])", 630_500), 10.0);
        assert_eq!(count("count_over_time(vector(1)[10m:])", 660_000), 11.0);
        assert_eq!(count("count_over_time(vector(1)[10m:30s])", 630_500), 20.0);
        assert_eq!(count("count_over_time(vector(1)[10m:1m] offset 30s)", 630_500), 10.0);
    }

    #[test]
    fn refusals_name_what_is_not_supported() {
        let e = engine();
        let msg = e.instant("limitk(1, up)", 115_000).unwrap_err().0;
        assert!(msg.contains("limitk") && msg.contains("not supported"), "{msg}");
        // What the parser does not know is refused with its own error.
        let msg = e.instant("holt_winters(up[5m], 0.5, 0.5)", 115_000).unwrap_err().0;
        assert!(msg.contains("holt_winters"), "{msg}");
    }

    #[test]
    fn selects_within_the_lookback_and_rates_over_the_range() {
        let e = engine();
        let Value::Vector(v) = e.instant("up", 115_000 + LOOKBACK_MS).unwrap() else { panic!() };
        assert_eq!(v.len(), 1, "a sample exactly at the lookback edge still counts");
        let Value::Vector(v) = e.instant("up", 115_001 + LOOKBACK_MS).unwrap() else { panic!() };
        assert!(v.is_empty());
        let Value::Vector(v) = e.instant("increase(x_total[15s])", 115_000).unwrap() else { panic!() };
        assert_eq!(v[0].value, 30.0);
        assert!(!v[0].labels.contains_key(NAME), "functions drop the metric name");
        let r = e.range("sum(up)", 100_000, 130_000, 15_000).unwrap();
        assert_eq!(r[0].samples.len(), 3);
    }
}
