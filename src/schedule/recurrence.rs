//! A schedule: a first start in local time and a zone, a length, and a rule (once, an RFC 5545 RRULE,
//! or a cron pattern). Rules are expanded over local wall-clock times (by the `rrule` and `croner`
//! crates, fed the local time as if it were UTC), and each local start is then placed in the zone by
//! RFC 5545's rules: a start that falls in a daylight-saving gap moves forward by the gap (02:30 on a
//! spring-forward night is 03:30), one that falls in an overlap is the first of the two. A length is
//! elapsed time: a two-hour window is two hours long on a 23- or 25-hour day too.
use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    Once,
    /// `FREQ=WEEKLY;BYDAY=TU` and the rest of RFC 5545's RRULE.
    RRule(String),
    /// Five fields (minute hour day-of-month month day-of-week); the first start is the pattern's
    /// first match at or after `start`.
    Cron(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub start: NaiveDateTime,
    pub tz: Tz,
    pub length: Duration,
    pub rule: Rule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Occurrences closer than this are refused: a window every second is a mistake.
pub const MIN_SPACING: Duration = Duration::hours(1);
/// How far ahead a rule must occur at least once.
const HORIZON_YEARS: i64 = 10;

/// A local wall-clock time in `tz`, by RFC 5545: in a gap, the offset from before the gap; in an
/// overlap, the first (earlier) instant.
pub fn place(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // The offset in force just before the gap (gaps are at most a few hours).
            let before = tz.from_local_datetime(&(local - Duration::hours(3))).earliest();
            let offset = before.map_or(0, |b| {
                use chrono::Offset;
                b.offset().fix().local_minus_utc()
            });
            Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(offset))))
        }
    }
}

fn floating(local: NaiveDateTime) -> DateTime<Utc> {
    Utc.from_utc_datetime(&local)
}

impl Schedule {
    /// A schedule, checked: a positive length, a rule that parses, occurs, is not more frequent than
    /// [`MIN_SPACING`], and does not overlap itself.
    pub fn new(start: NaiveDateTime, tz: Tz, length: Duration, rule: Rule) -> Result<Schedule, String> {
        if length <= Duration::zero() {
            return Err("it ends before it starts (its length must be positive)".into());
        }
        if length > Duration::days(31) {
            return Err("it lasts more than 31 days".into());
        }
        let s = Schedule { start, tz, length, rule };
        let first = s.local_starts(start, 3)?;
        if first.is_empty() {
            return Err(format!("the rule never occurs (none in the {HORIZON_YEARS} years from its start)"));
        }
        for w in first.windows(2) {
            let gap = w[1] - w[0];
            if gap < MIN_SPACING {
                return Err(format!(
                    "it occurs every {}: occurrences must be at least {} apart",
                    crate::time::short(gap.to_std().unwrap_or_default()),
                    crate::time::short(MIN_SPACING.to_std().unwrap_or_default())
                ));
            }
            if gap < length {
                return Err("each occurrence overlaps the next (its length is longer than the gap)".into());
            }
        }
        Ok(s)
    }

    /// Up to `limit` local starts at or after `from`, in order.
    fn local_starts(&self, from: NaiveDateTime, limit: u16) -> Result<Vec<NaiveDateTime>, String> {
        let horizon = from + Duration::days(366 * HORIZON_YEARS);
        match &self.rule {
            Rule::Once => Ok(if self.start >= from { vec![self.start] } else { Vec::new() }),
            Rule::RRule(r) => {
                let text = format!("DTSTART:{}Z\nRRULE:{r}", self.start.format("%Y%m%dT%H%M%S"));
                let set = rrule::RRuleSet::from_str(&text).map_err(|e| format!("RRULE `{r}`: {e}"))?;
                let after = floating(from).with_timezone(&rrule::Tz::UTC);
                let before = floating(horizon).with_timezone(&rrule::Tz::UTC);
                let got = set.after(after).before(before).all(limit);
                Ok(got.dates.into_iter().map(|d| d.naive_utc()).filter(|d| *d >= from).collect())
            }
            Rule::Cron(c) => {
                let cron = croner::Cron::from_str(c).map_err(|e| format!("cron `{c}`: {e}"))?;
                let mut out = Vec::new();
                let mut at = floating(from.max(self.start));
                let mut inclusive = true;
                while out.len() < usize::from(limit) {
                    match cron.find_next_occurrence(&at, inclusive) {
                        Ok(t) if t.naive_utc() <= horizon => {
                            out.push(t.naive_utc());
                            at = t;
                            inclusive = false;
                        }
                        _ => break,
                    }
                }
                Ok(out)
            }
        }
    }

    /// The occurrences that overlap `[from, to)`, in order (at most 1 000).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
        // Local starts from a little before: one that began earlier may still be running, and local
        // times are up to a day off UTC.
        let local_from = (from - self.length - Duration::days(1)).with_timezone(&self.tz).naive_local();
        let mut out = Vec::new();
        let mut cursor = local_from.max(self.start - Duration::seconds(1));
        while let Ok(batch) = self.local_starts(cursor, 64) {
            let Some(&last) = batch.last() else { break };
            for local in batch {
                let start = place(self.tz, local);
                let o = Occurrence { start, end: start + self.length };
                if o.start >= to || out.len() >= 1000 {
                    return out;
                }
                if o.end > from && out.last() != Some(&o) {
                    out.push(o);
                }
            }
            cursor = last + Duration::seconds(1);
        }
        out
    }

    /// The occurrence in effect at `t`, if any.
    pub fn at(&self, t: DateTime<Utc>) -> Option<Occurrence> {
        self.between(t, t + Duration::seconds(1)).into_iter().find(|o| o.start <= t && t < o.end)
    }

    /// The next occurrence that starts at or after `t`.
    pub fn next(&self, t: DateTime<Utc>) -> Option<Occurrence> {
        self.between(t, t + Duration::days(366 * HORIZON_YEARS)).into_iter().find(|o| o.start >= t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }
    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.from_utc_datetime(&local(y, m, d, h, min))
    }

    #[test]
    fn gaps_move_forward_and_overlaps_take_the_first() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST. 02:30 does not exist: it is 03:30 CEST = 01:30 UTC.
        assert_eq!(place(berlin, local(2026, 3, 29, 2, 30)), utc(2026, 3, 29, 1, 30));
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET. 02:30 happens twice: the first is CEST = 00:30 UTC.
        assert_eq!(place(berlin, local(2026, 10, 25, 2, 30)), utc(2026, 10, 25, 0, 30));
        assert_eq!(place(berlin, local(2026, 7, 1, 2, 30)), utc(2026, 7, 1, 0, 30));
    }

    #[test]
    fn a_weekly_window_keeps_its_wall_clock_time_across_dst() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // Saturdays 01:00 New York for 3h; DST ends Sunday 2026-11-01 at 02:00 EDT.
        let s = Schedule::new(local(2026, 10, 24, 1, 0), ny, Duration::hours(3), Rule::RRule("FREQ=WEEKLY".into()))
            .unwrap();
        let got = s.between(utc(2026, 10, 20, 0, 0), utc(2026, 11, 10, 0, 0));
        let starts: Vec<_> = got.iter().map(|o| o.start).collect();
        // 01:00 EDT (UTC−4) = 05:00 UTC; then 01:00 EST (UTC−5) = 06:00 UTC.
        assert_eq!(starts, vec![utc(2026, 10, 24, 5, 0), utc(2026, 10, 31, 5, 0), utc(2026, 11, 7, 6, 0)]);
        assert!(got.iter().all(|o| o.end - o.start == Duration::hours(3)), "elapsed length");
    }

    #[test]
    fn cron_in_a_zone_and_in_a_gap() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 02:30 every Sunday: on 2026-03-29 that local time does not exist.
        let s = Schedule::new(local(2026, 3, 1, 0, 0), berlin, Duration::minutes(60), Rule::Cron("30 2 * * 0".into()))
            .unwrap();
        let got = s.between(utc(2026, 3, 21, 0, 0), utc(2026, 4, 6, 0, 0));
        let starts: Vec<_> = got.iter().map(|o| o.start).collect();
        // 03-22 02:30 CET = 01:30 UTC; 03-29 → 03:30 CEST = 01:30 UTC; 04-05 02:30 CEST = 00:30 UTC.
        assert_eq!(starts, vec![utc(2026, 3, 22, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 4, 5, 0, 30)]);
    }

    #[test]
    fn bad_schedules_say_why() {
        let tz = chrono_tz::UTC;
        let start = local(2026, 12, 1, 2, 0);
        let err = |len: Duration, rule: Rule| Schedule::new(start, tz, len, rule).unwrap_err();
        assert!(err(Duration::hours(-1), Rule::Once).contains("ends before it starts"));
        assert!(err(Duration::zero(), Rule::Once).contains("ends before it starts"));
        assert!(
            err(Duration::hours(1), Rule::RRule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30".into())).contains("never occurs")
        );
        assert!(err(Duration::seconds(1), Rule::RRule("FREQ=SECONDLY".into())).contains("occurs every 1s"));
        assert!(err(Duration::minutes(1), Rule::Cron("* * * * *".into())).contains("occurs every 1m"));
        assert!(err(Duration::hours(30), Rule::RRule("FREQ=DAILY".into())).contains("overlaps the next"));
        assert!(err(Duration::hours(1), Rule::RRule("FREQ=SOMETIMES".into())).contains("RRULE"));
        assert!(err(Duration::hours(1), Rule::Cron("61 * * * *".into())).contains("cron"));
    }

    #[test]
    fn once_and_in_effect() {
        let s = Schedule::new(local(2026, 12, 1, 2, 0), chrono_tz::UTC, Duration::hours(2), Rule::Once).unwrap();
        assert_eq!(s.at(utc(2026, 12, 1, 3, 0)).map(|o| o.start), Some(utc(2026, 12, 1, 2, 0)));
        assert_eq!(s.at(utc(2026, 12, 1, 4, 0)), None);
        assert_eq!(s.next(utc(2026, 11, 1, 0, 0)).map(|o| o.end), Some(utc(2026, 12, 1, 4, 0)));
        assert!(s.between(utc(2026, 12, 2, 0, 0), utc(2027, 1, 1, 0, 0)).is_empty());
    }
}
