//! On-call KPIs over a window: incident count, MTTR (mean time from start to resolution of the resolved
//! incidents) and MTBF (time in service between failures: the window less the time spent in incidents,
//! per incident). Overlapping alerts of one service are one incident.
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The targets behind the defaults.
pub const MTTR_TARGET: Duration = Duration::from_secs(15 * 60);
pub const MTBF_TARGET: Duration = Duration::from_secs(30 * 86_400);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    /// `None` while it is still open.
    pub end: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kpis {
    pub incidents: usize,
    /// Of those, the ones resolved (the MTTR is their mean).
    pub resolved: usize,
    pub mttr: Option<Duration>,
    pub mtbf: Option<Duration>,
    pub downtime: Duration,
}

fn secs(d: chrono::Duration) -> Duration {
    d.to_std().unwrap_or_default()
}

/// Clip to the window and merge overlapping or touching spans.
pub fn merge(spans: &[Span], from: DateTime<Utc>, now: DateTime<Utc>) -> Vec<Span> {
    let mut v: Vec<Span> = spans
        .iter()
        .filter(|s| s.start < now && s.end.is_none_or(|e| e > from))
        .map(|s| Span { start: s.start.max(from), end: s.end.map(|e| e.min(now)) })
        .collect();
    v.sort_by_key(|s| s.start);
    let mut out: Vec<Span> = Vec::new();
    for s in v {
        match out.last_mut() {
            Some(last) if last.end.is_none_or(|e| s.start <= e) => {
                last.end = match (last.end, s.end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => out.push(s),
        }
    }
    out
}

/// KPIs of one service (or of the estate, given every service's spans) over `[from, now]`.
pub fn kpis(spans: &[Span], from: DateTime<Utc>, now: DateTime<Utc>) -> Kpis {
    let merged = merge(spans, from, now);
    let downtime: Duration = merged.iter().map(|s| secs(s.end.unwrap_or(now) - s.start)).sum();
    let resolved: Vec<Duration> = merged.iter().filter_map(|s| s.end.map(|e| secs(e - s.start))).collect();
    let mttr = (!resolved.is_empty()).then(|| resolved.iter().sum::<Duration>() / resolved.len() as u32);
    let n = merged.len();
    let up = secs(now - from).saturating_sub(downtime);
    Kpis { incidents: n, resolved: resolved.len(), mttr, mtbf: (n > 0).then(|| up / n as u32), downtime }
}

/// Several services' KPIs, each over the same `window`, as one: their incidents and downtime summed,
/// the MTTR over all their resolved incidents, and the MTBF as the time between incidents anywhere
/// among them (the window less their downtime, per incident) — how often the on-call is called, never
/// longer than any one service's (summing their times in service read as one incident every four
/// months for two in a month).
pub fn pooled(each: &[Kpis], window: Duration) -> Kpis {
    let incidents: usize = each.iter().map(|k| k.incidents).sum();
    let resolved: usize = each.iter().map(|k| k.resolved).sum();
    let repairs: Duration = each.iter().filter_map(|k| Some(k.mttr? * k.resolved as u32)).sum();
    let downtime: Duration = each.iter().map(|k| k.downtime).sum();
    Kpis {
        incidents,
        resolved,
        mttr: (resolved > 0).then(|| repairs / resolved as u32),
        mtbf: (incidents > 0).then(|| window.saturating_sub(downtime) / incidents as u32),
        downtime,
    }
}

/// Spans from a sampled series (a range query of `ALERTS{alertstate="firing"}`): points `step` apart
/// belong to one span; a gap ends it. A span still present at `now` is open.
pub fn spans_from_points(points: &[f64], step: Duration, now: DateTime<Utc>) -> Vec<Span> {
    let at = |t: f64| DateTime::<Utc>::from_timestamp_millis((t * 1000.0) as i64).unwrap_or(now);
    let mut out: Vec<Span> = Vec::new();
    let mut last: Option<f64> = None;
    for &t in points {
        match last {
            Some(l) if t - l <= step.as_secs_f64() * 1.5 => {}
            _ => {
                if let (Some(l), Some(open)) = (last, out.last_mut()) {
                    open.end = Some(at(l + step.as_secs_f64()));
                }
                out.push(Span { start: at(t), end: None });
            }
        }
        last = Some(t);
    }
    if let (Some(l), Some(open)) = (last, out.last_mut())
        && now.timestamp() as f64 - l > step.as_secs_f64() * 1.5
    {
        open.end = Some(at(l + step.as_secs_f64()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: i64, h: u32, m: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z").unwrap().with_timezone(&Utc)
            + chrono::Duration::days(day - 1)
            + chrono::Duration::hours(h.into())
            + chrono::Duration::minutes(m.into())
    }

    fn span(a: DateTime<Utc>, b: DateTime<Utc>) -> Span {
        Span { start: a, end: Some(b) }
    }

    /// Worked by hand: three incidents of 12, 30 and 6 minutes in 30 days.
    /// MTTR = (12 + 30 + 6) / 3 = 16 min. Downtime 48 min = 2 880 s.
    /// MTBF = (2 592 000 − 2 880) / 3 = 863 040 s = 9 d 23 h 44 min.
    #[test]
    fn three_incidents_in_thirty_days() {
        let (from, now) = (t(1, 0, 0), t(31, 0, 0));
        let spans =
            [span(t(1, 10, 0), t(1, 10, 12)), span(t(10, 3, 0), t(10, 3, 30)), span(t(20, 12, 0), t(20, 12, 6))];
        let k = kpis(&spans, from, now);
        assert_eq!(k.incidents, 3);
        assert_eq!(k.mttr, Some(Duration::from_secs(16 * 60)));
        assert_eq!(k.downtime, Duration::from_secs(2_880));
        assert_eq!(k.mtbf, Some(Duration::from_secs(863_040)));
        assert!(k.mttr.unwrap() > MTTR_TARGET && k.mtbf.unwrap() < MTBF_TARGET);
    }

    /// Two alerts 10:00–10:10 and 10:05–10:20 are one incident of 20 min; one that began before the
    /// window counts from the window's start (09:00 → 00:00 of day 1 + 30 min); an open one counts as
    /// downtime up to now but has no repair time yet.
    /// MTTR = (30 + 20) / 2 = 25 min; downtime = 30 + 20 + 60 = 110 min = 6 600 s;
    /// MTBF = (2 592 000 − 6 600) / 3 = 861 800 s.
    #[test]
    fn overlaps_clipping_and_an_open_incident() {
        let (from, now) = (t(1, 0, 0), t(31, 0, 0));
        let spans = [
            span(t(0, 23, 30), t(1, 0, 30)),
            span(t(5, 10, 0), t(5, 10, 10)),
            span(t(5, 10, 5), t(5, 10, 20)),
            Span { start: t(30, 23, 0), end: None },
            span(t(-10, 0, 0), t(-9, 0, 0)),
        ];
        let k = kpis(&spans, from, now);
        assert_eq!(k.incidents, 3);
        assert_eq!(k.mttr, Some(Duration::from_secs(25 * 60)));
        assert_eq!(k.downtime, Duration::from_secs(6_600));
        assert_eq!(k.mtbf, Some(Duration::from_secs(861_800)));
    }

    /// The services' KPIs from the example above (MTTR 25 min of 2, downtime 110 min, 3 incidents)
    /// and one of a 10-minute incident, pooled with an incident-free one: 4 incidents, 3 resolved in
    /// 60 min (MTTR 20 min), 120 min down; MTBF (3 × 2 592 000 − 7 200) / 4 = 1 942 200 s.
    #[test]
    fn services_pooled() {
        let (from, now) = (t(1, 0, 0), t(31, 0, 0));
        let window = Duration::from_secs(30 * 86_400);
        let busy = kpis(
            &[
                span(t(5, 10, 0), t(5, 10, 20)),
                span(t(0, 23, 30), t(1, 0, 30)),
                Span { start: t(30, 23, 0), end: None },
            ],
            from,
            now,
        );
        let quick = kpis(&[span(t(7, 8, 0), t(7, 8, 10))], from, now);
        let quiet = kpis(&[], from, now);
        assert_eq!((busy.incidents, busy.resolved, quick.resolved), (3, 2, 1));
        let all = pooled(&[busy, quick, quiet], window);
        assert_eq!((all.incidents, all.resolved), (4, 3));
        assert_eq!(all.mttr, Some(Duration::from_secs(20 * 60)));
        assert_eq!(all.downtime, Duration::from_secs(120 * 60));
        assert_eq!(all.mtbf, Some(Duration::from_secs((30 * 86_400 - 120 * 60) / 4)));
        assert!(all.mtbf < busy.mtbf && all.mtbf < quick.mtbf, "the estate fails at least as often as any of it");
        assert_eq!(pooled(&[quiet, quiet], window), quiet);
    }

    #[test]
    fn no_incidents_and_spans_from_samples() {
        let k = kpis(&[], t(1, 0, 0), t(31, 0, 0));
        assert_eq!((k.incidents, k.mttr, k.mtbf), (0, None, None));
        // Samples every 60 s from 0 to 600 and from 1 200 to 1 260; now is 1 270 (still firing).
        let pts: Vec<f64> =
            (0..=10).map(|i| 1_800_000_000.0 + 60.0 * f64::from(i)).chain([1_800_001_200.0, 1_800_001_260.0]).collect();
        let now = DateTime::<Utc>::from_timestamp(1_800_001_270, 0).unwrap();
        let s = spans_from_points(&pts, Duration::from_secs(60), now);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].end.map(|e| e.timestamp()), Some(1_800_000_660));
        assert_eq!(s[1].end, None);
    }
}
