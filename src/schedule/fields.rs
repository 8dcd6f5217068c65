//! A schedule as files write it (maintenance windows, change freezes): `start` (local time),
//! `timezone`, `duration` or `end`, and `rrule` or `cron` — read into a [`Schedule`], each problem at
//! the field it is about.
use super::recurrence::{Rule, Schedule, place};
use std::ops::Range;
use toml::Spanned;

/// The fields, as written.
pub struct Fields<'a> {
    pub start: &'a Spanned<String>,
    pub timezone: Option<&'a Spanned<String>>,
    pub duration: Option<&'a Spanned<String>>,
    pub end: Option<&'a Spanned<String>>,
    pub rrule: Option<&'a Spanned<String>>,
    pub cron: Option<&'a Spanned<String>>,
}

/// A local time as `2026-12-01T02:00` (seconds optional).
pub fn local_time(s: &str) -> Result<chrono::NaiveDateTime, String> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("`{s}`: expected a local time such as 2026-12-01T02:00"))
}

/// The schedule, or where and why not. `what` names the window or freeze in messages about the whole
/// (`window \`db-patching\``); `whole` is where such a message points.
pub fn read(f: &Fields<'_>, what: &str, whole: Range<usize>) -> Result<Schedule, (Range<usize>, String)> {
    let tz: chrono_tz::Tz = match f.timezone {
        None => chrono_tz::UTC,
        Some(t) => t.get_ref().parse().map_err(|_| {
            (t.span(), format!("timezone `{}`: expected an IANA name such as Europe/Berlin", t.get_ref()))
        })?,
    };
    let start = local_time(f.start.get_ref()).map_err(|e| (f.start.span(), e))?;
    let (length, length_span) = match (f.duration, f.end) {
        (Some(d), None) => match crate::time::parse_duration(d.get_ref()) {
            Ok(x) => (chrono::Duration::from_std(x).unwrap_or_default(), d.span()),
            Err(e) => return Err((d.span(), format!("duration: {e}"))),
        },
        // Elapsed time between the two local times, each placed in the zone.
        (None, Some(e)) => {
            let end = local_time(e.get_ref()).map_err(|m| (e.span(), m))?;
            (place(tz, end) - place(tz, start), e.span())
        }
        _ => return Err((whole, format!("{what}: give either `duration` or `end`"))),
    };
    let (rule, rule_span) = match (f.rrule, f.cron) {
        (Some(r), None) => (Rule::RRule(r.get_ref().clone()), r.span()),
        (None, Some(c)) => (Rule::Cron(c.get_ref().clone()), c.span()),
        (None, None) => (Rule::Once, f.start.span()),
        (Some(r), Some(_)) => return Err((r.span(), format!("{what}: give `rrule` or `cron`, not both"))),
    };
    Schedule::new(start, tz, length, rule).map_err(|e| {
        // A bad length is the length's fault; anything else, the rule's.
        let at = if e.contains("ends before") || e.contains("lasts more") { length_span } else { rule_span };
        (at, format!("{what}: {e}"))
    })
}
