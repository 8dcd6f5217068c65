//! Aggregation operators with `by` / `without`.
use super::eval::{Ctx, Engine, EvalError, err};
use super::store::{Labels, grouping};
use super::value::{Sample, Value};
use promql_parser::parser::AggregateExpr;
use promql_parser::parser::token::{
    T_AVG, T_BOTTOMK, T_COUNT, T_COUNT_VALUES, T_GROUP, T_MAX, T_MIN, T_QUANTILE, T_STDDEV, T_STDVAR, T_SUM, T_TOPK,
};
use std::collections::BTreeMap;

impl Engine {
    pub(super) fn aggregate(&self, a: &AggregateExpr, c: Ctx) -> Result<Value, EvalError> {
        let op = a.op.id();
        if op == T_COUNT_VALUES {
            return self.count_values(a, c);
        }
        if !matches!(
            op,
            T_SUM | T_AVG | T_COUNT | T_GROUP | T_MIN | T_MAX | T_STDDEV | T_STDVAR | T_QUANTILE | T_TOPK | T_BOTTOMK
        ) {
            return err(format!("aggregation `{}` is not supported by the embedded engine", a.op));
        }
        let param = match &a.param {
            Some(p) => match self.eval(p, c)? {
                Value::Scalar(v) => Some(v),
                other => return err(format!("aggregation parameter must be a scalar, not a {}", other.kind())),
            },
            None => None,
        };
        let Value::Vector(input) = self.eval(&a.expr, c)? else {
            return err("aggregations take an instant vector");
        };
        let key = |l: &Labels| a.modifier.as_ref().map_or_else(Labels::new, |m| grouping(l, m));
        let mut groups: BTreeMap<Labels, Vec<Sample>> = BTreeMap::new();
        for s in input {
            groups.entry(key(&s.labels)).or_default().push(s);
        }
        let mut out = Vec::new();
        for (labels, members) in groups {
            let values = || members.iter().map(|s| s.value);
            let n = members.len() as f64;
            let value = match op {
                T_SUM => values().sum(),
                T_AVG => values().sum::<f64>() / n,
                T_COUNT => n,
                T_GROUP => 1.0,
                T_MIN => values().fold(f64::NAN, |m, v| if m > v || m.is_nan() { v } else { m }),
                T_MAX => values().fold(f64::NAN, |m, v| if m < v || m.is_nan() { v } else { m }),
                T_STDDEV | T_STDVAR => {
                    // Welford's, seeded with the first value as Prometheus seeds a group (so a lone
                    // infinity has no spread rather than NaN).
                    let mut v = values();
                    let (mut count, mut mean, mut m2) = (1.0, v.next().unwrap_or(f64::NAN), 0.0);
                    for v in v {
                        count += 1.0;
                        let delta = v - mean;
                        mean += delta / count;
                        m2 += delta * (v - mean);
                    }
                    if op == T_STDDEV { (m2 / count).sqrt() } else { m2 / count }
                }
                T_QUANTILE => quantile(param.unwrap_or(f64::NAN), values().collect()),
                T_TOPK | T_BOTTOMK => {
                    let k = param.unwrap_or(0.0);
                    if k < 1.0 {
                        continue;
                    }
                    let mut m = members;
                    // NaN goes last either way (Prometheus keeps it out when it can); among equals the
                    // first in series order stays first (the sort is stable).
                    m.sort_by(|x, y| match (x.value.is_nan(), y.value.is_nan()) {
                        (true, false) => std::cmp::Ordering::Greater,
                        (false, true) => std::cmp::Ordering::Less,
                        (true, true) => std::cmp::Ordering::Equal,
                        _ if op == T_TOPK => y.value.total_cmp(&x.value),
                        _ => x.value.total_cmp(&y.value),
                    });
                    m.truncate(k as usize);
                    out.extend(m);
                    continue;
                }
                _ => {
                    return err(format!("aggregation `{}` is not supported by the embedded engine", a.op));
                }
            };
            out.push(Sample { labels, value });
        }
        Ok(Value::Vector(out))
    }
}

impl Engine {
    /// `count_values("label", v)`: how many samples have each value, the value written into `label`
    /// (as Go's `FormatFloat(v, 'f', -1)` writes it), grouped as `by`/`without` say.
    fn count_values(&self, a: &AggregateExpr, c: Ctx) -> Result<Value, EvalError> {
        let label = match a.param.as_ref().map(|p| self.eval(p, c)).transpose()? {
            Some(Value::String(s)) => s,
            _ => return err("count_values: the parameter must be a label name as a string"),
        };
        if !crate::rules::file::label_name_ok(&label) {
            return err(format!("invalid label name {label:?}"));
        }
        let Value::Vector(input) = self.eval(&a.expr, c)? else {
            return err("aggregations take an instant vector");
        };
        let mut groups: BTreeMap<Labels, f64> = BTreeMap::new();
        for s in input {
            let mut l = s.labels;
            l.insert(label.clone(), go_float(s.value));
            let key = match &a.modifier {
                None => Labels::from([(label.clone(), l[&label].clone())]),
                Some(m @ promql_parser::parser::LabelModifier::Include(_)) => {
                    let mut k = grouping(&l, m);
                    k.insert(label.clone(), l[&label].clone());
                    k
                }
                Some(m) => grouping(&l, m),
            };
            *groups.entry(key).or_default() += 1.0;
        }
        Ok(Value::Vector(groups.into_iter().map(|(labels, value)| Sample { labels, value }).collect()))
    }
}

/// A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it: the shortest digits that read
/// back the same, never an exponent; `+Inf`, `-Inf`, `NaN`.
fn go_float(v: f64) -> String {
    match v {
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        _ => format!("{v}"),
    }
}

/// φ-quantile with linear interpolation between the closest ranks.
pub(super) fn quantile(q: f64, mut v: Vec<f64>) -> f64 {
    if v.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    // NaN first, as Go's sort.Float64s orders it.
    v.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.total_cmp(b),
    });
    let rank = q * (v.len() - 1) as f64;
    let lower = rank.floor().max(0.0) as usize;
    let upper = (lower + 1).min(v.len() - 1);
    let weight = rank - rank.floor();
    v[lower] * (1.0 - weight) + v[upper] * weight
}
