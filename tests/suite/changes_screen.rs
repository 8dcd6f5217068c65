//! The Changes screen with a fixed clock: deploys from the providers' histories (one rolled back),
//! the change success rate against 99 %, the timeline for the estate and for one service, and the
//! coming week's windows and freezes with their conflicts.
use crate::support;

use chrono::{Duration, TimeZone, Utc};
use std::path::Path;
use support::fixtures;
use watchpost::app::changes::Kind;
use watchpost::deploy::Version;

fn v(rev: u32, version: &str, days_ago: i64, cause: &str, current: bool) -> Version {
    let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
    Version {
        revision: rev.to_string(),
        version: version.into(),
        at: Some(now - Duration::days(days_ago)),
        by: None,
        cause: Some(cause.into()),
        current,
    }
}

#[test]
fn the_timeline_the_success_rate_and_the_calendar() {
    let mut app = fixtures::app(5);
    app.now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
    app.changes.histories.insert(
        "checkout".into(),
        Ok(vec![
            v(1, "5.1.0", 20, "release 5.1.0", false),
            v(2, "5.2.0", 10, "release 5.2.0", false),
            v(3, "5.3.0", 2, "release 5.3.0", false),
            v(4, "5.2.0", 1, "rollback by ann from 3 to 2", true),
        ]),
    );
    app.changes.histories.insert("payments".into(), Err("kubectl: connection refused".into()));
    let (ok, all) = app.change_success();
    assert_eq!((ok, all), (2, 3), "three deploys, one rolled back; the rollback itself is not a deploy");
    let rows = app.change_rows();
    assert_eq!(rows[0].kind, Kind::Rollback);
    assert!(rows[1].text.contains("5.3.0") && rows[1].text.ends_with("rolled back"), "{:?}", rows[1]);

    let text = r#"
[[window]]
id = "db-patching"
owner = "dba"
reason = "upgrade"
start = "2026-11-01T02:00"
duration = "2h"
rrule = "FREQ=WEEKLY;BYDAY=TU"
services = ["checkout"]

[[window]]
id = "failover-test"
owner = "dba"
reason = "rehearsal"
start = "2026-12-01T03:00"
duration = "1h"
services = ["checkout"]
"#;
    app.changes.windows = watchpost::maintenance::window::parse(Path::new("m.toml"), text).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap().naive_utc();
    let schedule =
        watchpost::schedule::Schedule::new(start, chrono_tz::UTC, Duration::days(3), watchpost::schedule::Rule::Once)
            .unwrap();
    app.freezes = vec![watchpost::config::changes::Freeze {
        name: "month-end".into(),
        reason: String::new(),
        schedule,
        services: vec![],
    }];
    let conflicts: Vec<String> = app.conflicts().into_iter().map(|c| c.text).collect();
    assert!(
        conflicts.contains(&"windows db-patching and failover-test overlap on checkout".to_string()),
        "{conflicts:?}"
    );
    assert!(conflicts.contains(&"window db-patching falls in freeze month-end".to_string()), "{conflicts:?}");
    let up = app.upcoming();
    assert_eq!(up.len(), 3);
    assert_eq!(up[0].occurrences[0].start, Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap());

    app.screen = watchpost::app::Screen::Changes;
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 34)).unwrap();
    term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
    let screen = term.backend().to_string();
    assert!(screen.contains("66.7%") && screen.contains("objective 99%"), "{screen}");
    assert!(screen.contains("payments: kubectl: connection refused"), "a provider that failed says so: {screen}");
    assert!(screen.contains("⚠") && screen.contains("❄ month-end"), "{screen}");

    // One service's changes only.
    app.changes.service = Some("payments".into());
    assert!(app.change_rows().iter().all(|r| r.service == "payments"));
}
