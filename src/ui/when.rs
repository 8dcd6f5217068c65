//! When the view will next read differently with nothing but time passing. Drawing is a pure function of
//! the state, the clock included; text that depends on the clock (an age, a countdown, the clock itself,
//! a figure turning stale) is written through these helpers, which note the moment it will change. The
//! loop redraws on a tick only once that moment has come, so an idle console draws nothing between
//! changes instead of the whole view every second.
//!
//! Written here: the moment is a by-product of formatting, known only while drawing, and ratatui has no
//! notion of time-dependent content.
use chrono::{DateTime, Utc};
use std::cell::Cell;
use std::time::Duration;

thread_local! {
    static NEXT: Cell<Option<DateTime<Utc>>> = const { Cell::new(None) };
}

/// Start recording for one frame.
pub fn begin() {
    NEXT.with(|n| n.set(None));
}

/// The earliest moment noted since [`begin`]: when the frame just drawn goes out of date.
pub fn next() -> Option<DateTime<Utc>> {
    NEXT.with(Cell::get)
}

/// Note that what is drawn changes at `at`.
pub fn changes_at(at: DateTime<Utc>) {
    NEXT.with(|n| n.set(Some(n.get().map_or(at, |m| m.min(at)))));
}

/// How long until `crate::time::short` of a duration that is `d` now reads differently.
fn step(d: Duration) -> Duration {
    let s = d.as_secs();
    let unit = match s {
        0..3600 => 1,
        3600..86_400 => 60,
        _ => 3600,
    };
    Duration::from_secs(unit - s % unit) - Duration::from_nanos(u64::from(d.subsec_nanos()))
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or_default()
}

/// How long ago `at` was, as `short` writes it (`42s`, `3m12s`); noted to change when it does.
pub fn ago(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    counting(now, (now - at).to_std().unwrap_or_default())
}

/// A clock counting up (a drill's), as `short` writes it; noted to change when it does.
pub fn counting(now: DateTime<Utc>, elapsed: Duration) -> String {
    changes_at(now + chrono(step(elapsed)));
    crate::time::short(elapsed)
}

/// How long until `at`, as `short` writes it; noted to change when it does (and when `at` passes).
pub fn until(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let d = (at - now).to_std().unwrap_or_default();
    if d > Duration::ZERO {
        // Counting down, the text changes when the sub-second remainder runs out.
        let sub = Duration::from_nanos(u64::from(d.subsec_nanos()));
        changes_at(now + chrono(if sub.is_zero() { Duration::from_secs(1) } else { sub }));
    }
    crate::time::short(d)
}

/// The age of data fetched every `refresh`: `None` while it is as fresh as the refresh allows (so the
/// text does not tick every second between refreshes), its age once it is older than two of them. No
/// moment is noted for fresh data: each round moves its time on without a redraw, so the app watches
/// when data stops being fresh or turns stale itself (`App::on_tick`).
pub fn freshness(now: DateTime<Utc>, at: DateTime<Utc>, refresh: Duration) -> Option<String> {
    let age = (now - at).to_std().unwrap_or_default();
    (!crate::app::service_view::is_fresh(age, refresh)).then(|| ago(now, at))
}

/// The clock in the header, to the minute: noted to change at the next minute.
pub fn clock(now: DateTime<Utc>) -> String {
    use chrono::Timelike;
    let into = Duration::from_secs(u64::from(now.second()))
        + Duration::from_nanos(u64::from(now.nanosecond() % 1_000_000_000));
    changes_at(now + chrono(Duration::from_secs(60).saturating_sub(into)));
    now.format("%H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn each_text_notes_when_it_changes() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 3, 0, 10).unwrap() + chrono::Duration::milliseconds(250);
        begin();
        assert_eq!(next(), None);
        assert_eq!(clock(now), "03:00 UTC");
        assert_eq!(next(), Some(Utc.with_ymd_and_hms(2026, 12, 6, 3, 1, 0).unwrap()));
        assert_eq!(ago(now, now - chrono::Duration::seconds(12)), "12s");
        assert_eq!(next(), Some(now + chrono::Duration::seconds(1)), "12s becomes 13s a second later");
        begin();
        assert_eq!(ago(now, now - chrono::Duration::hours(2)), "2h");
        assert_eq!(next(), Some(now + chrono::Duration::minutes(1)), "2h becomes 2h01m");
        begin();
        assert_eq!(freshness(now, now - chrono::Duration::seconds(3), Duration::from_secs(5)), None);
        assert_eq!(next(), None, "fresh data notes nothing: the app watches it");
        assert_eq!(freshness(now, now - chrono::Duration::seconds(12), Duration::from_secs(5)).as_deref(), Some("12s"));
        begin();
        assert_eq!(until(now, now + chrono::Duration::milliseconds(4_500)), "4s");
        assert_eq!(next(), Some(now + chrono::Duration::milliseconds(500)));
    }
}
