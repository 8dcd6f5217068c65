//! `histogram_quantile` over classic buckets, as Prometheus computes it: buckets sorted and merged by
//! bound, counts forced monotonic, then linear interpolation inside the bucket holding the rank.

/// `buckets` are (upper bound, cumulative count); they are sorted in place.
pub fn bucket_quantile(q: f64, buckets: &mut Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    // Buckets with the same bound (from different series) add up.
    buckets.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 += later.1;
        }
        same
    });
    let mut max = f64::NEG_INFINITY;
    for b in buckets.iter_mut() {
        if b.1 > max {
            max = b.1;
        } else if b.1 < max {
            b.1 = max;
        }
    }
    let n = buckets.len();
    if n < 2 {
        return f64::NAN;
    }
    let observations = buckets[n - 1].1;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = buckets[..n - 1].iter().position(|x| x.1 >= rank).unwrap_or(n - 1);
    if b == n - 1 {
        return buckets[n - 2].0;
    }
    if b == 0 && buckets[0].0 <= 0.0 {
        return buckets[0].0;
    }
    let (mut start, end, mut count) = (0.0, buckets[b].0, buckets[b].1);
    if b > 0 {
        start = buckets[b - 1].0;
        count -= buckets[b - 1].1;
        rank -= buckets[b - 1].1;
    }
    start + (end - start) * (rank / count)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn interpolates_like_prometheus() {
        let mut b = vec![(0.2, 98.0), (0.05, 50.0), (f64::INFINITY, 100.0), (0.1, 90.0), (0.5, 100.0)];
        assert!((bucket_quantile(0.95, &mut b) - 0.1625).abs() < 1e-12);
        let mut only_inf = vec![(f64::INFINITY, 10.0)];
        assert!(bucket_quantile(0.5, &mut only_inf).is_nan());
        let mut top = vec![(1.0, 1.0), (f64::INFINITY, 10.0)];
        assert_eq!(bucket_quantile(0.99, &mut top), 1.0, "the rank in +Inf gives the highest finite bound");
        let mut no_inf = vec![(1.0, 1.0), (2.0, 2.0)];
        assert!(bucket_quantile(0.5, &mut no_inf).is_nan());
        let mut dips = vec![(1.0, 5.0), (2.0, 4.0), (f64::INFINITY, 10.0)];
        assert!((bucket_quantile(0.5, &mut dips) - 1.0).abs() < 1e-12, "counts made monotonic");
    }
}
