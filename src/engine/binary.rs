//! Binary operators: arithmetic, comparison (filtering, or 0/1 with `bool`) and set operators, with
//! vector matching by `on` / `ignoring` and `group_left` / `group_right`.
use super::eval::{Ctx, Engine, EvalError, drop_name, err};
use super::store::{Labels, NAME, grouping};
use super::value::{Sample, Value};
use promql_parser::parser::token::{
    T_ADD, T_ATAN2, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_LUNLESS, T_MOD, T_MUL, T_NEQ, T_POW,
    T_SUB, TokenId,
};
use promql_parser::parser::{BinModifier, BinaryExpr, LabelModifier, VectorMatchCardinality};
use std::collections::{HashMap, HashSet};

fn is_comparison(op: TokenId) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_GTE | T_LSS | T_LTE)
}

/// The result of `l op r`; for a comparison, whether it holds (as 1 or 0).
fn apply(op: TokenId, l: f64, r: f64) -> Result<f64, EvalError> {
    Ok(match op {
        T_ADD => l + r,
        T_SUB => l - r,
        T_MUL => l * r,
        T_DIV => l / r,
        T_MOD => l % r,
        T_POW => l.powf(r),
        T_ATAN2 => l.atan2(r),
        T_EQLC => f64::from(u8::from(l == r)),
        T_NEQ => f64::from(u8::from(l != r)),
        T_GTR => f64::from(u8::from(l > r)),
        T_GTE => f64::from(u8::from(l >= r)),
        T_LSS => f64::from(u8::from(l < r)),
        T_LTE => f64::from(u8::from(l <= r)),
        _ => return err("this operator is not supported by the embedded engine"),
    })
}

/// The labels two sides are matched on.
fn signature(l: &Labels, m: Option<&BinModifier>) -> Labels {
    match m.and_then(|m| m.matching.as_ref()) {
        Some(matching) => grouping(l, matching),
        None => drop_name(l.clone()),
    }
}

impl Engine {
    pub(super) fn binary(&self, b: &BinaryExpr, c: Ctx) -> Result<Value, EvalError> {
        let op = b.op.id();
        let m = b.modifier.as_ref();
        let return_bool = m.is_some_and(|m| m.return_bool);
        let lhs = self.eval(&b.lhs, c)?;
        let rhs = self.eval(&b.rhs, c)?;
        let cmp = is_comparison(op);
        match (lhs, rhs) {
            (Value::Scalar(l), Value::Scalar(r)) => Ok(Value::Scalar(apply(op, l, r)?)),
            (Value::Vector(v), Value::Scalar(s)) => self.with_scalar(op, v, s, false, return_bool),
            (Value::Scalar(s), Value::Vector(v)) => self.with_scalar(op, v, s, true, return_bool),
            (Value::Vector(l), Value::Vector(r)) => match op {
                T_LAND | T_LOR | T_LUNLESS => Ok(Value::Vector(set_op(op, l, r, m))),
                _ => Ok(Value::Vector(vector_op(op, l, r, m, cmp, return_bool)?)),
            },
            (l, r) => err(format!("operands of a binary operator cannot be a {} and a {}", l.kind(), r.kind())),
        }
    }

    fn with_scalar(
        &self,
        op: TokenId,
        v: Vec<Sample>,
        s: f64,
        scalar_left: bool,
        bool_: bool,
    ) -> Result<Value, EvalError> {
        let cmp = is_comparison(op);
        let mut out = Vec::new();
        for x in v {
            let (l, r) = if scalar_left { (s, x.value) } else { (x.value, s) };
            let r = apply(op, l, r)?;
            if cmp && !bool_ {
                if r == 1.0 {
                    out.push(x);
                }
            } else {
                out.push(Sample { labels: drop_name(x.labels), value: r });
            }
        }
        Ok(Value::Vector(out))
    }
}

fn set_op(op: TokenId, l: Vec<Sample>, r: Vec<Sample>, m: Option<&BinModifier>) -> Vec<Sample> {
    let right: HashSet<Labels> = r.iter().map(|s| signature(&s.labels, m)).collect();
    match op {
        T_LAND => l.into_iter().filter(|s| right.contains(&signature(&s.labels, m))).collect(),
        T_LUNLESS => l.into_iter().filter(|s| !right.contains(&signature(&s.labels, m))).collect(),
        _ => {
            let left: HashSet<Labels> = l.iter().map(|s| signature(&s.labels, m)).collect();
            let mut out = l;
            out.extend(r.into_iter().filter(|s| !left.contains(&signature(&s.labels, m))));
            out
        }
    }
}

fn vector_op(
    op: TokenId,
    l: Vec<Sample>,
    r: Vec<Sample>,
    m: Option<&BinModifier>,
    cmp: bool,
    return_bool: bool,
) -> Result<Vec<Sample>, EvalError> {
    let card = m.map_or(&VectorMatchCardinality::OneToOne, |m| &m.card);
    let one_to_many = matches!(card, VectorMatchCardinality::OneToMany(_));
    // Match the "many" side against the "one" side: swap for group_right.
    let (many, one) = if one_to_many { (r, l) } else { (l, r) };
    let mut ones: HashMap<Labels, Sample> = HashMap::new();
    for s in one {
        let sig = signature(&s.labels, m);
        if ones.insert(sig.clone(), s).is_some() {
            return err(format!(
                "found duplicate series for the match group {sig:?} on the {} side of the operation",
                if one_to_many { "left" } else { "right" }
            ));
        }
    }
    let include = match card {
        VectorMatchCardinality::ManyToOne(ls) | VectorMatchCardinality::OneToMany(ls) => Some(&ls.labels),
        _ => None,
    };
    let mut seen: HashSet<Labels> = HashSet::new();
    let mut out = Vec::new();
    for s in many {
        let sig = signature(&s.labels, m);
        let Some(o) = ones.get(&sig) else { continue };
        let (lv, rv) = if one_to_many { (o.value, s.value) } else { (s.value, o.value) };
        let result = apply(op, lv, rv)?;
        let value = if cmp {
            if return_bool {
                result
            } else if result == 1.0 {
                lv
            } else {
                continue;
            }
        } else {
            result
        };
        let mut labels = s.labels.clone();
        if !cmp || return_bool {
            labels.remove(NAME);
        }
        if include.is_none() {
            match m.and_then(|m| m.matching.as_ref()) {
                Some(LabelModifier::Include(on)) => labels.retain(|k, _| on.labels.contains(k)),
                Some(LabelModifier::Exclude(ignoring)) => labels.retain(|k, _| !ignoring.labels.contains(k)),
                None => {}
            }
            if !seen.insert(labels.clone()) {
                return err(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
                );
            }
        }
        for k in include.into_iter().flatten() {
            match o.labels.get(k) {
                Some(v) => labels.insert(k.clone(), v.clone()),
                None => labels.remove(k),
            };
        }
        out.push(Sample { labels, value });
    }
    Ok(out)
}
