//! SLOs that count only a calendar's hours: business hours in a time zone (some weekdays, from one
//! local time to another), less holidays. Availability, the error budget and burn rates are then
//! worked out over those hours alone — what a development environment's "95 % in business hours"
//! promises. The hours are local wall-clock times placed in the zone by the schedule module's rules, so
//! a day across a daylight-saving change still counts 09:00–18:00 local (and is nine hours long).
use crate::schedule::recurrence::place;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    pub tz: Tz,
    /// The weekdays counted, Monday first.
    pub days: [bool; 7],
    /// Local times each counted day starts and ends.
    pub from: NaiveTime,
    pub to: NaiveTime,
    /// Local dates not counted.
    pub holidays: Vec<NaiveDate>,
}

/// A span of counted time, in UTC: `[start, end)`.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

impl Calendar {
    /// Weekdays 09:00–18:00 in `tz`, no holidays.
    pub fn business_hours(tz: Tz) -> Self {
        Calendar {
            tz,
            days: [true, true, true, true, true, false, false],
            from: NaiveTime::from_hms_opt(9, 0, 0).expect("a time"),
            to: NaiveTime::from_hms_opt(18, 0, 0).expect("a time"),
            holidays: Vec::new(),
        }
    }

    /// The counted spans that overlap `[from, to)`, cut to it, in order.
    pub fn spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span> {
        let mut out = Vec::new();
        if from >= to {
            return out;
        }
        // Local dates from the day before `from` (its hours may reach past midnight UTC) to `to`'s.
        let first = from.with_timezone(&self.tz).date_naive() - Duration::days(1);
        let last = to.with_timezone(&self.tz).date_naive();
        let mut day = first;
        while day <= last {
            if self.days[day.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&day) {
                let start = place(self.tz, day.and_time(self.from));
                let end = place(self.tz, day.and_time(self.to));
                let (s, e) = (start.max(from), end.min(to));
                if s < e {
                    out.push((s, e));
                }
            }
            day += Duration::days(1);
        }
        out
    }

    /// How much of `[from, to)` is counted.
    pub fn counted(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        self.spans(from, to).iter().map(|(s, e)| *e - *s).sum()
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        !self.spans(t, t + Duration::seconds(1)).is_empty()
    }

    /// As the SLO panel says it: `Mon–Fri 09:00–18:00 Europe/Berlin, 2 holidays`.
    pub fn describe(&self) -> String {
        const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let on: Vec<usize> = (0..7).filter(|i| self.days[*i]).collect();
        let contiguous = on.windows(2).all(|w| w[1] == w[0] + 1);
        let days = match on.as_slice() {
            [] => "no days".to_string(),
            [one] => NAMES[*one].to_string(),
            [first, .., last] if contiguous => format!("{}–{}", NAMES[*first], NAMES[*last]),
            _ => on.iter().map(|i| NAMES[*i]).collect::<Vec<_>>().join(","),
        };
        let mut s = format!("{days} {}–{} {}", self.from.format("%H:%M"), self.to.format("%H:%M"), self.tz.name());
        match self.holidays.len() {
            0 => {}
            1 => s.push_str(", 1 holiday"),
            n => s.push_str(&format!(", {n} holidays")),
        }
        s
    }
}

/// What of `points` (each the increase over the `step` ending at its time) falls in `spans`: each
/// interval counted by the share of it inside them, the rate taken as even within a step (an hour's
/// increase half inside business hours counts half). A step that ends after `now` is the one under way:
/// its increase is what came in so far, spread over the part of it that has passed.
pub fn sum_within(spans: &[Span], points: &[(DateTime<Utc>, f64)], step: Duration, now: DateTime<Utc>) -> f64 {
    let mut total = 0.0;
    for (end, v) in points {
        if !v.is_finite() {
            continue;
        }
        let start = *end - step;
        let end = (*end).min(now);
        let inside: Duration = spans.iter().map(|(s, e)| ((*e).min(end) - (*s).max(start)).max(Duration::zero())).sum();
        let share = inside.num_milliseconds() as f64 / (end - start).num_milliseconds().max(1) as f64;
        total += v * share;
    }
    total
}

/// The error ratio over the counted part of `[from, to)`, from per-step increases of requests and
/// errors (the last step may be under way at `to`); `None` when nothing of it is counted (outside
/// business hours: no budget is being spent) or no request came in it.
pub fn error_ratio(
    cal: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    requests: &[(DateTime<Utc>, f64)],
    errors: &[(DateTime<Utc>, f64)],
    step: Duration,
) -> Option<f64> {
    let spans = cal.spans(from, to);
    if spans.is_empty() {
        return None;
    }
    let in_window = |p: &[(DateTime<Utc>, f64)]| -> Vec<(DateTime<Utc>, f64)> {
        p.iter().filter(|(t, _)| *t > from && *t - step < to).copied().collect()
    };
    let req = sum_within(&spans, &in_window(requests), step, to);
    let err = sum_within(&spans, &in_window(errors), step, to);
    (req > 0.0).then(|| (err / req).clamp(0.0, 1.0))
}

/// `t` as unix milliseconds' `DateTime` (range answers come in seconds).
pub fn at(secs: f64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt((secs * 1000.0).round() as i64).single().unwrap_or_default()
}

/// A weekday by its usual short or long English name.
pub fn weekday(s: &str) -> Option<Weekday> {
    s.trim().parse::<Weekday>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn berlin() -> Calendar {
        Calendar::business_hours(chrono_tz::Europe::Berlin)
    }

    /// Worked by hand: Berlin moves to summer time on Sunday 29 March 2026 (02:00 → 03:00). Friday's
    /// 09:00–18:00 CET is 08:00–17:00 UTC; Monday's 09:00–18:00 CEST is 07:00–16:00 UTC. The weekend is
    /// not counted: 18 hours in all.
    #[test]
    fn business_hours_across_the_spring_change() {
        let spans = berlin().spans(utc("2026-03-27T00:00:00Z"), utc("2026-03-31T00:00:00Z"));
        assert_eq!(
            spans,
            vec![
                (utc("2026-03-27T08:00:00Z"), utc("2026-03-27T17:00:00Z")),
                (utc("2026-03-30T07:00:00Z"), utc("2026-03-30T16:00:00Z")),
            ]
        );
        assert_eq!(berlin().counted(utc("2026-03-27T00:00:00Z"), utc("2026-03-31T00:00:00Z")), Duration::hours(18));
    }

    /// And back on Sunday 25 October 2026 (03:00 → 02:00): Friday 23rd is 07:00–16:00 UTC, Monday 26th
    /// 08:00–17:00 UTC; a holiday on the Monday leaves Friday's nine hours alone.
    #[test]
    fn business_hours_across_the_autumn_change_and_a_holiday() {
        let (from, to) = (utc("2026-10-23T00:00:00Z"), utc("2026-10-27T00:00:00Z"));
        let mut cal = berlin();
        assert_eq!(
            cal.spans(from, to),
            vec![
                (utc("2026-10-23T07:00:00Z"), utc("2026-10-23T16:00:00Z")),
                (utc("2026-10-26T08:00:00Z"), utc("2026-10-26T17:00:00Z")),
            ]
        );
        cal.holidays.push(NaiveDate::from_ymd_opt(2026, 10, 26).unwrap());
        assert_eq!(cal.counted(from, to), Duration::hours(9));
        assert!(cal.contains(utc("2026-10-23T15:59:00Z")) && !cal.contains(utc("2026-10-23T16:00:00Z")));
        assert_eq!(cal.describe(), "Mon–Fri 09:00–18:00 Europe/Berlin, 1 holiday");
    }

    /// A span cut by the window: only what lies inside counts.
    #[test]
    fn spans_are_cut_to_the_window() {
        let spans = berlin().spans(utc("2026-03-27T12:30:00Z"), utc("2026-03-27T20:00:00Z"));
        assert_eq!(spans, vec![(utc("2026-03-27T12:30:00Z"), utc("2026-03-27T17:00:00Z"))]);
    }

    /// Worked by hand, Friday 27 March 2026 (business hours 08:00–17:00 UTC): hourly increases of 100
    /// requests from 06:00 to 19:00 with 10 errors an hour in the night hours only (before 08:00 and
    /// after 17:00) — business hours saw 900 requests and no error: availability 100 %. With errors of
    /// 3 in the 08:00–09:00 hour instead, 3 of 900: 99.667 %.
    #[test]
    fn availability_counts_business_hours_alone() {
        let cal = berlin();
        let hour = Duration::hours(1);
        let ends: Vec<DateTime<Utc>> = (7..=19).map(|h| utc(&format!("2026-03-27T{h:02}:00:00Z"))).collect();
        let requests: Vec<_> = ends.iter().map(|t| (*t, 100.0)).collect();
        let night: Vec<_> =
            ends.iter().map(|t| (*t, if cal.contains(*t - Duration::minutes(30)) { 0.0 } else { 10.0 })).collect();
        let (from, to) = (utc("2026-03-27T06:00:00Z"), utc("2026-03-27T19:00:00Z"));
        assert_eq!(error_ratio(&cal, from, to, &requests, &night, hour), Some(0.0));
        let morning: Vec<_> =
            ends.iter().map(|t| (*t, if *t == utc("2026-03-27T09:00:00Z") { 3.0 } else { 0.0 })).collect();
        let r = error_ratio(&cal, from, to, &requests, &morning, hour).unwrap();
        assert!((r - 3.0 / 900.0).abs() < 1e-12, "{r}");
        // An hour half inside (07:30–08:30 UTC on a half-hour step grid): half its increase counts.
        let half = [(utc("2026-03-27T08:30:00Z"), 100.0)];
        let spans = cal.spans(from, to);
        assert!((sum_within(&spans, &half, hour, to) - 50.0).abs() < 1e-9);
        // The step under way (asked at its end, after now) holds what came in so far, spread over the
        // part that has passed: at 10:20, the 40 requests since 10:00 all count; at 17:10 on the
        // half-hour grid, 30 of the 40 minutes since 16:30 are business hours: 30 of 40 requests.
        let under_way = [(utc("2026-03-27T11:00:00Z"), 40.0)];
        assert!((sum_within(&spans, &under_way, hour, utc("2026-03-27T10:20:00Z")) - 40.0).abs() < 1e-9);
        let late = [(utc("2026-03-27T17:30:00Z"), 40.0)];
        assert!((sum_within(&spans, &late, hour, utc("2026-03-27T17:10:00Z")) - 30.0).abs() < 1e-9);
        // The same over a window ending now: 3 errors in those 40 requests at 10:20 is 7.5 %.
        let (now, errors) = (utc("2026-03-27T10:20:00Z"), [(utc("2026-03-27T11:00:00Z"), 3.0)]);
        let r = error_ratio(&cal, now - Duration::minutes(5), now, &under_way, &errors, hour).unwrap();
        assert!((r - 0.075).abs() < 1e-12, "{r}");
        // Outside business hours nothing is counted: no burn, no budget spent.
        assert_eq!(
            error_ratio(&cal, utc("2026-03-28T10:00:00Z"), utc("2026-03-28T11:00:00Z"), &requests, &night, hour),
            None
        );
    }
}
