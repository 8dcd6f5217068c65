//! Function calls, with Prometheus's semantics (extrapolation of `rate`, names dropped from results).
use super::eval::{Ctx, Engine, EvalError, drop_name, err};
use super::histogram::bucket_quantile;
use super::store::{Labels, NAME};
use super::value::{Sample, Value};
use promql_parser::label::MatchOp;
use promql_parser::parser::{Call, Expr, VectorSelector};
use std::collections::BTreeMap;

impl Engine {
    pub(super) fn call(&self, call: &Call, c: Ctx) -> Result<Value, EvalError> {
        let name = call.func.name;
        let args = &call.args.args;
        let scalar = |i: usize| -> Result<f64, EvalError> {
            match self.eval(&args[i], c)? {
                Value::Scalar(v) => Ok(v),
                other => err(format!("{name}: argument {} must be a scalar, not a {}", i + 1, other.kind())),
            }
        };
        let vector = |i: usize| -> Result<Vec<Sample>, EvalError> {
            match self.eval(&args[i], c)? {
                Value::Vector(v) => Ok(v),
                other => err(format!("{name}: argument {} must be an instant vector, not a {}", i + 1, other.kind())),
            }
        };
        let map = |f: &dyn Fn(f64) -> f64| -> Result<Value, EvalError> {
            Ok(Value::Vector(
                vector(0)?.into_iter().map(|s| Sample { labels: drop_name(s.labels), value: f(s.value) }).collect(),
            ))
        };
        match name {
            "rate" | "increase" | "delta" | "irate" | "idelta" | "avg_over_time" | "sum_over_time"
            | "min_over_time" | "max_over_time" | "count_over_time" | "last_over_time" | "deriv"
            | "stddev_over_time" | "stdvar_over_time" | "present_over_time" | "resets" | "changes" => {
                self.over_range(name, &args[0], c, f64::NAN)
            }
            // The parameter first, then the range.
            "quantile_over_time" => self.over_range(name, &args[1], c, scalar(0)?),
            "predict_linear" => self.over_range(name, &args[0], c, scalar(1)?),
            "absent_over_time" => {
                let Some(Expr::MatrixSelector(m)) = args.first().map(|a| a.as_ref()) else {
                    return err("absent_over_time: the argument must be a range selector such as x[5m]");
                };
                if !self.select_range(&m.vs, m.range.as_millis() as i64, c).is_empty() {
                    return Ok(Value::Vector(Vec::new()));
                }
                Ok(Value::Vector(vec![Sample { labels: selector_labels(&m.vs), value: 1.0 }]))
            }
            "abs" => map(&f64::abs),
            "ceil" => map(&f64::ceil),
            "floor" => map(&f64::floor),
            "exp" => map(&f64::exp),
            "sqrt" => map(&f64::sqrt),
            "ln" => map(&f64::ln),
            "log2" => map(&f64::log2),
            "log10" => map(&f64::log10),
            "sgn" => map(&|v| {
                if v > 0.0 {
                    1.0
                } else if v < 0.0 {
                    -1.0
                } else {
                    v
                }
            }),
            "sin" => map(&f64::sin),
            "cos" => map(&f64::cos),
            "tan" => map(&f64::tan),
            "asin" => map(&f64::asin),
            "acos" => map(&f64::acos),
            "atan" => map(&f64::atan),
            "sinh" => map(&f64::sinh),
            "cosh" => map(&f64::cosh),
            "tanh" => map(&f64::tanh),
            "asinh" => map(&f64::asinh),
            "acosh" => map(&f64::acosh),
            "atanh" => map(&f64::atanh),
            "deg" => map(&|v| v * 180.0 / std::f64::consts::PI),
            "rad" => map(&|v| v * std::f64::consts::PI / 180.0),
            "pi" => Ok(Value::Scalar(std::f64::consts::PI)),
            "day_of_week" | "day_of_month" | "day_of_year" | "days_in_month" | "hour" | "minute" | "month" | "year" => {
                // Of each sample's value read as unix seconds (UTC); without an argument, of now.
                let input = if args.is_empty() {
                    vec![Sample { labels: Labels::new(), value: c.t as f64 / 1000.0 }]
                } else {
                    vector(0)?
                };
                Ok(Value::Vector(
                    input
                        .into_iter()
                        .map(|s| Sample { labels: drop_name(s.labels), value: date_part(name, s.value) })
                        .collect(),
                ))
            }
            "timestamp" => {
                // A selector's samples keep their own times; anything else is of the evaluation's.
                let timed = match args[0].as_ref() {
                    Expr::VectorSelector(vs) => self.select_timed(vs, c),
                    _ => vector(0)?.into_iter().map(|s| (s, c.t)).collect(),
                };
                Ok(Value::Vector(
                    timed
                        .into_iter()
                        .map(|(s, t)| Sample { labels: drop_name(s.labels), value: t as f64 / 1000.0 })
                        .collect(),
                ))
            }
            "sort" | "sort_desc" => {
                let mut v = vector(0)?;
                // NaN last either way.
                v.sort_by(|a, b| match (a.value.is_nan(), b.value.is_nan()) {
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    (true, true) => std::cmp::Ordering::Equal,
                    _ if name == "sort" => a.value.total_cmp(&b.value),
                    _ => b.value.total_cmp(&a.value),
                });
                Ok(Value::Vector(v))
            }
            "label_join" => self.label_join(call, c),
            "round" => {
                let to = if args.len() > 1 { scalar(1)? } else { 1.0 };
                let inv = 1.0 / to;
                map(&|v| (v * inv + 0.5).floor() / inv)
            }
            "clamp" => {
                let (lo, hi) = (scalar(1)?, scalar(2)?);
                if hi < lo {
                    return Ok(Value::Vector(Vec::new()));
                }
                map(&|v| go_min(go_max(v, lo), hi))
            }
            "clamp_min" => {
                let lo = scalar(1)?;
                map(&|v| go_max(v, lo))
            }
            "clamp_max" => {
                let hi = scalar(1)?;
                map(&|v| go_min(v, hi))
            }
            "time" => Ok(Value::Scalar(c.t as f64 / 1000.0)),
            "vector" => Ok(Value::Vector(vec![Sample { labels: Labels::new(), value: scalar(0)? }])),
            "scalar" => {
                let v = vector(0)?;
                Ok(Value::Scalar(if v.len() == 1 { v[0].value } else { f64::NAN }))
            }
            "absent" => {
                if !vector(0)?.is_empty() {
                    return Ok(Value::Vector(Vec::new()));
                }
                let labels = match args[0].as_ref() {
                    Expr::VectorSelector(vs) => selector_labels(vs),
                    _ => Labels::new(),
                };
                Ok(Value::Vector(vec![Sample { labels, value: 1.0 }]))
            }
            "label_replace" => self.label_replace(call, c),
            "histogram_quantile" => {
                let q = scalar(0)?;
                let mut groups: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
                for s in vector(1)? {
                    let Some(le) = s.labels.get("le").and_then(|l| parse_le(l)) else { continue };
                    let mut key = drop_name(s.labels);
                    key.remove("le");
                    groups.entry(key).or_default().push((le, s.value));
                }
                Ok(Value::Vector(
                    groups
                        .into_iter()
                        .map(|(labels, mut buckets)| Sample { labels, value: bucket_quantile(q, &mut buckets) })
                        .collect(),
                ))
            }
            other => err(format!("function `{other}` is not supported by the embedded engine")),
        }
    }

    /// Function `name` of each series' samples over the range `arg` (a range selector or a subquery);
    /// `param` is `quantile_over_time`'s φ or `predict_linear`'s seconds ahead.
    fn over_range(&self, name: &str, arg: &Expr, c: Ctx, param: f64) -> Result<Value, EvalError> {
        // The range's own end (after `@` and `offset`) bounds the extrapolation window.
        let (series, range, t) = match arg {
            Expr::MatrixSelector(m) => {
                let range = m.range.as_millis() as i64;
                (self.select_range(&m.vs, range, c), range, Engine::at(&m.vs, c))
            }
            Expr::Subquery(sq) => (self.subquery(sq, c)?, sq.range.as_millis() as i64, Engine::subquery_end(sq, c)),
            _ => return err(format!("{name}: the argument must be a range such as x[5m] or a subquery")),
        };
        let mut out = Vec::new();
        for s in series {
            let p = &s.samples;
            let value = match name {
                "rate" => extrapolated(p, t - range, t, true, true),
                "increase" => extrapolated(p, t - range, t, true, false),
                "delta" => extrapolated(p, t - range, t, false, false),
                "irate" => instant_delta(p, true),
                "idelta" => instant_delta(p, false),
                "avg_over_time" => Some(p.iter().map(|x| x.1).sum::<f64>() / p.len() as f64),
                "sum_over_time" => Some(p.iter().map(|x| x.1).sum()),
                "min_over_time" => p.iter().map(|x| x.1).reduce(|a, b| if b < a || a.is_nan() { b } else { a }),
                "max_over_time" => p.iter().map(|x| x.1).reduce(|a, b| if b > a || a.is_nan() { b } else { a }),
                "count_over_time" => Some(p.len() as f64),
                // Prometheus's `deriv`: the regression's slope, with times taken from the first sample.
                "deriv" => p.first().and_then(|first| regression(p, first.0)).map(|(slope, _)| slope),
                "present_over_time" => Some(1.0),
                "stddev_over_time" => Some(variance(p).sqrt()),
                "stdvar_over_time" => Some(variance(p)),
                "quantile_over_time" => Some(super::aggregate::quantile(param, p.iter().map(|x| x.1).collect())),
                "resets" => Some(p.windows(2).filter(|w| w[1].1 < w[0].1).count() as f64),
                "changes" => {
                    let changed = |w: &[(i64, f64)]| !(w[1].1 == w[0].1 || (w[1].1.is_nan() && w[0].1.is_nan()));
                    Some(p.windows(2).filter(|w| changed(w)).count() as f64)
                }
                "predict_linear" => regression(p, c.t).map(|(slope, intercept)| slope * param + intercept),
                _ => p.last().map(|x| x.1),
            };
            if let Some(value) = value {
                let labels = if name == "last_over_time" { s.labels } else { drop_name(s.labels) };
                out.push(Sample { labels, value });
            }
        }
        Ok(Value::Vector(out))
    }

    /// `label_join(v, dst, separator, src...)`: the source labels' values joined into `dst` (removed
    /// when the result is empty).
    fn label_join(&self, call: &Call, c: Ctx) -> Result<Value, EvalError> {
        let args = &call.args.args;
        let text = |i: usize| -> Result<String, EvalError> {
            match self.eval(&args[i], c)? {
                Value::String(s) => Ok(s),
                other => err(format!("label_join: argument {} must be a string, not a {}", i + 1, other.kind())),
            }
        };
        if args.len() < 3 {
            return err("label_join: expected a vector, a destination label and a separator");
        }
        let (dst, sep) = (text(1)?, text(2)?);
        let srcs = (3..args.len()).map(text).collect::<Result<Vec<_>, _>>()?;
        let Value::Vector(v) = self.eval(&args[0], c)? else {
            return err("label_join: argument 1 must be an instant vector");
        };
        Ok(Value::Vector(
            v.into_iter()
                .map(|mut s| {
                    let joined =
                        srcs.iter().map(|l| s.labels.get(l).map_or("", String::as_str)).collect::<Vec<_>>().join(&sep);
                    if joined.is_empty() {
                        s.labels.remove(&dst);
                    } else {
                        s.labels.insert(dst.clone(), joined);
                    }
                    s
                })
                .collect(),
        ))
    }

    fn label_replace(&self, call: &Call, c: Ctx) -> Result<Value, EvalError> {
        let args = &call.args.args;
        let text = |i: usize| -> Result<String, EvalError> {
            match self.eval(&args[i], c)? {
                Value::String(s) => Ok(s),
                other => err(format!("label_replace: argument {} must be a string, not a {}", i + 1, other.kind())),
            }
        };
        let (dst, replacement, src, re) = (text(1)?, text(2)?, text(3)?, text(4)?);
        let re = regex::Regex::new(&format!("^(?:{re})$"))
            .map_err(|e| EvalError(format!("label_replace: invalid regular expression: {e}")))?;
        let Value::Vector(v) = self.eval(&args[0], c)? else {
            return err("label_replace: argument 1 must be an instant vector");
        };
        Ok(Value::Vector(
            v.into_iter()
                .map(|mut s| {
                    let value = s.labels.get(&src).cloned().unwrap_or_default();
                    if let Some(caps) = re.captures(&value) {
                        let mut out = String::new();
                        caps.expand(&replacement, &mut out);
                        if out.is_empty() {
                            s.labels.remove(&dst);
                        } else {
                            s.labels.insert(dst.clone(), out);
                        }
                    }
                    s
                })
                .collect(),
        ))
    }
}

/// Go's `math.Max` and `math.Min`, which Prometheus uses: NaN wins (Rust's `f64::max` ignores it).
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

fn parse_le(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        _ => s.parse().ok(),
    }
}

/// The labels `absent` and `absent_over_time` give: the selector's equality matchers, except the
/// metric name.
fn selector_labels(vs: &VectorSelector) -> Labels {
    let equal = vs.matchers.matchers.iter().filter(|m| matches!(m.op, MatchOp::Equal) && m.name != NAME);
    equal.map(|m| (m.name.clone(), m.value.clone())).collect()
}

/// Prometheus's `extrapolatedRate`: the change over the samples, extrapolated towards the window's ends
/// (never past a counter's zero), per second for a rate.
fn extrapolated(p: &[(i64, f64)], range_start: i64, range_end: i64, counter: bool, per_second: bool) -> Option<f64> {
    if p.len() < 2 {
        return None;
    }
    let (first, last) = (p[0], p[p.len() - 1]);
    let mut result = last.1 - first.1;
    if counter {
        for w in p.windows(2) {
            if w[1].1 < w[0].1 {
                result += w[0].1;
            }
        }
    }
    let mut to_start = (first.0 - range_start) as f64 / 1000.0;
    let to_end = (range_end - last.0) as f64 / 1000.0;
    let sampled = (last.0 - first.0) as f64 / 1000.0;
    let average = sampled / (p.len() - 1) as f64;
    if counter && result > 0.0 && first.1 >= 0.0 {
        let to_zero = sampled * (first.1 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = average * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold { to_start } else { average / 2.0 };
    interval += if to_end < threshold { to_end } else { average / 2.0 };
    result *= interval / sampled;
    if per_second {
        result /= (range_end - range_start) as f64 / 1000.0;
    }
    Some(result)
}

/// The population variance of the samples' values (Welford's running mean from zero, as Prometheus's
/// `stddev_over_time` computes it: a lone infinity gives NaN here, unlike the `stddev` aggregation).
fn variance(p: &[(i64, f64)]) -> f64 {
    let (mut count, mut mean, mut m2) = (0.0, 0.0, 0.0);
    for &(_, v) in p {
        count += 1.0;
        let delta = v - mean;
        mean += delta / count;
        m2 += delta * (v - mean);
    }
    m2 / count
}

/// Prometheus's `linearRegression`: slope per second and the value at `at` (ms), with times taken from
/// `at`; a constant series has slope 0 and its value.
fn regression(p: &[(i64, f64)], at: i64) -> Option<(f64, f64)> {
    if p.len() < 2 {
        return None;
    }
    let first = p[0].1;
    if p.iter().all(|x| x.1 == first) {
        return Some(if first.is_infinite() { (f64::NAN, f64::NAN) } else { (0.0, first) });
    }
    let n = p.len() as f64;
    let (mut sx, mut sy, mut sxy, mut sxx) = (0.0, 0.0, 0.0, 0.0);
    for &(t, v) in p {
        let x = (t - at) as f64 / 1000.0;
        sx += x;
        sy += v;
        sxy += x * v;
        sxx += x * x;
    }
    let cov = sxy - sx * sy / n;
    let var = sxx - sx * sx / n;
    let slope = cov / var;
    Some((slope, sy / n - slope * sx / n))
}

/// A date function of unix seconds, in UTC: `hour`, `day_of_week` (0 is Sunday), `days_in_month`, ...
fn date_part(name: &str, secs: f64) -> f64 {
    use chrono::Datelike;
    use chrono::Timelike;
    let Some(t) = chrono::DateTime::from_timestamp(secs as i64, 0) else { return f64::NAN };
    f64::from(match name {
        "minute" => t.minute(),
        "hour" => t.hour(),
        "day_of_week" => t.weekday().num_days_from_sunday(),
        "day_of_month" => t.day(),
        "day_of_year" => t.ordinal(),
        "month" => t.month(),
        "year" => return f64::from(t.year()),
        _ => {
            // days_in_month: the first of the next month, less one day.
            let (y, m) = if t.month() == 12 { (t.year() + 1, 1) } else { (t.year(), t.month() + 1) };
            let next = chrono::NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt());
            return next.map_or(f64::NAN, |d| f64::from(d.day()));
        }
    })
}

/// `irate` and `idelta`: from the last two samples only.
fn instant_delta(p: &[(i64, f64)], rate: bool) -> Option<f64> {
    if p.len() < 2 {
        return None;
    }
    let (prev, last) = (p[p.len() - 2], p[p.len() - 1]);
    let mut v = if rate && last.1 < prev.1 { last.1 } else { last.1 - prev.1 };
    let interval = last.0 - prev.0;
    if interval == 0 {
        return None;
    }
    if rate {
        v /= interval as f64 / 1000.0;
    }
    Some(v)
}
