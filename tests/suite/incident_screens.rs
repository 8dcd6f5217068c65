//! The Incidents list and one incident's timeline as text (fixed clock, insta snapshots): the silences
//! made for an incident on its timeline, and what an empty list says.
use crate::support;

use chrono::{DateTime, Duration as CDuration, Utc};
use crossterm::event::KeyCode;
use support::fixtures::{self, t0};
use support::{key, screen as render};
use watchpost::alerts::matcher::parse;
use watchpost::alerts::model::{Alert, Silence, SilenceState};
use watchpost::app::{App, Screen};
use watchpost::incidents::model::{Incident, LogEntry, Source, Status};
use watchpost::sources::alertmanager::{AlertCommand, AlertUpdate};
use watchpost::sources::pagerduty::poller::IncidentUpdate;
use watchpost::text::Clean;

fn ago(m: i64) -> DateTime<Utc> {
    t0() - CDuration::minutes(m)
}

fn alert(name: &str, job: &str, since: i64) -> Alert {
    let labels = [("alertname", name), ("job", job), ("severity", "warning")];
    fixtures::alert(&labels, &format!("{job}: {name}"), ago(since))
}

fn silence(id: &str, matchers: &str, (from, to): (i64, i64), by: &str, why: &str) -> Silence {
    Silence {
        id: id.into(),
        source: "alertmanager am-1".into(),
        matchers: parse(matchers).unwrap(),
        starts_at: ago(from),
        ends_at: ago(to),
        created_by: Clean::new(by),
        comment: Clean::new(why),
        state: if ago(to) <= t0() { SilenceState::Expired } else { SilenceState::Active },
    }
}

/// Incident #42 of payments, triggered 40 minutes ago and acknowledged 5 minutes later.
fn payments_incident() -> Incident {
    Incident {
        source: Source::PagerDuty,
        id: "PQ42".into(),
        number: 42,
        title: "payments p95 above 800ms".into(),
        status: Status::Acknowledged,
        urgency: "high".into(),
        service: "payments".into(),
        assignees: vec!["alice".into()],
        escalation_level: 1,
        created_at: ago(40),
        resolved_at: None,
        url: "".into(),
    }
}

fn log_entry(m: i64, kind: &str, summary: &str, agent: &str) -> LogEntry {
    LogEntry { at: ago(m), kind: kind.into(), summary: summary.into(), agent: agent.into() }
}

/// An app whose PagerDuty lists `incidents` as of now.
fn app_with_incidents(incidents: Vec<Incident>) -> App {
    let mut app = fixtures::app(5);
    app.incidents.configured = true;
    app.alerts.configured = true;
    app.alerts.author = "oncall@test".into();
    let listing =
        IncidentUpdate::Snapshot { at: t0(), source: Source::PagerDuty, incidents, cut: false, errors: vec![] };
    app.on_incident_update(listing);
    app
}

fn alertmanager_says(app: &mut App, alerts: Vec<Alert>, silences: Vec<Silence>) {
    app.on_alert_update(AlertUpdate::Snapshot { at: t0(), alerts, silences, errors: vec![] });
}

/// The incidents list, the first one opened and its log read.
fn open_first_incident(app: &mut App) {
    key(app, KeyCode::Char('I'));
    key(app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Incident);
    let entries = vec![
        log_entry(40, "trigger_log_entry", "Triggered through the API", "Prometheus"),
        log_entry(35, "acknowledge_log_entry", "Acknowledged", "alice"),
    ];
    app.on_incident_update(IncidentUpdate::Log { id: "PQ42".into(), entries: Ok(entries) });
}

/// The line of the timeline that holds `text`.
fn line_with<'a>(screen: &'a str, text: &str) -> &'a str {
    screen.lines().find(|l| l.contains(text)).unwrap_or_else(|| panic!("no line with {text:?} in\n{screen}"))
}

/// The payments alert the incident is about has resolved and left the Alertmanager; another still
/// fires. Its silences are on the timeline at their start, with who made them, what they match and
/// until when: one from the console for the resolved alert, one over the firing alert about to end,
/// one ended already (and its end), one whose comment and author are hostile. A silence that ended
/// before the incident began, and one of another service, are not.
#[test]
fn incident_timeline_shows_the_silences_made_for_it() {
    let mut app = app_with_incidents(vec![payments_incident()]);
    let silences = vec![
        silence(
            "s-console",
            r#"alertname="HighLatency", job="payments", severity="warning""#,
            (30, -90),
            "oncall@test",
            "Silenced from watchpost while HighLatency is handled",
        ),
        silence("s-burn", r#"alertname="ErrorBudgetBurn""#, (20, -9), "bob", "budget burn is the same fault"),
        silence("s-deploy", r#"job="payments""#, (38, 25), "carol", "deploy in progress"),
        silence("s-old", r#"job="payments""#, (4_000, 3_900), "carol", "last week's migration"),
        silence("s-other", r#"job="checkout""#, (15, -60), "dave", "checkout cache warm-up"),
        silence("s-hostile", r#"job="payments""#, (10, -50), "mallory\u{202e}", "\u{1b}[2Jwiped\u{7}"),
    ];
    alertmanager_says(&mut app, vec![alert("ErrorBudgetBurn", "payments", 42)], silences);
    open_first_incident(&mut app);
    // Wide enough that no line wraps; the snapshot is at the usual size.
    let s = render(&app, 200, 40);

    let console = line_with(&s, "03-14 02:30:00 silenced");
    assert!(console.contains(r#"alertname="HighLatency", job="payments", severity="warning""#), "{console}");
    assert!(console.contains("· until 04:30  — oncall@test"), "{console}");
    let burn = line_with(&s, "02:40:00 silenced");
    assert!(burn.contains("budget burn is the same fault · ends in 9m while its alerts fire  — bob"), "{burn}");
    assert!(line_with(&s, "02:22:00 silenced").contains("deploy in progress · held until 02:35  — carol"));
    assert!(line_with(&s, "02:35:00").contains(r#"silence ended: job="payments""#));
    let hostile = line_with(&s, "02:50:00 silenced");
    assert!(hostile.contains(r"\e[2Jwiped\x07") && hostile.contains(r"mallory\u{202e}"), "{hostile}");
    assert!(!s.contains("migration") && !s.contains("checkout"), "{s}");
    insta::assert_snapshot!(render(&app, 120, 40));
}

/// A silence made in the console for the incident's alert stays on the timeline once that alert has
/// resolved and left the Alertmanager.
#[test]
fn incident_timeline_shows_a_silence_made_in_the_console() {
    let mut app = app_with_incidents(vec![payments_incident()]);
    let firing = alert("HighLatency", "payments", 41);
    alertmanager_says(&mut app, vec![firing], vec![]);
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Enter);
    let sent = app.take_alert_commands();
    let [AlertCommand::PostSilence(new)] = sent.as_slice() else { panic!("{sent:?}") };
    // The Alertmanager has it; the alert has since resolved and is gone.
    let made = Silence {
        id: "5f1c".into(),
        source: "alertmanager am-1".into(),
        matchers: new.matchers.clone(),
        starts_at: new.starts_at,
        ends_at: new.ends_at,
        created_by: Clean::new(&new.created_by),
        comment: Clean::new(&new.comment),
        state: SilenceState::Active,
    };
    alertmanager_says(&mut app, vec![], vec![made]);
    open_first_incident(&mut app);
    let s = render(&app, 200, 40);
    let line = line_with(&s, "03-14 03:00:00 silenced");
    assert!(line.contains(r#"job="payments""#) && line.contains("while HighLatency is handled"), "{line}");
    assert!(line.contains("· until 05:00  — oncall@test"), "{line}");
}

/// An empty list says what it means: not listed yet, not answered, or no incident open and none
/// opened in the window the listing covers; a list of resolved ones says none is open.
#[test]
fn incident_list_says_when_there_are_none() {
    let mut app = fixtures::app(5);
    app.incidents.configured = true;
    key(&mut app, KeyCode::Char('I'));
    assert!(render(&app, 120, 40).contains("│Listing incidents…"));
    app.on_incident_update(IncidentUpdate::Unreachable("connection refused".into()));
    assert!(render(&app, 120, 40).contains("No incidents listed yet: the listing failed (see above)."));
    app.on_incident_update(IncidentUpdate::Snapshot {
        at: t0(),
        source: Source::PagerDuty,
        incidents: vec![],
        cut: false,
        errors: vec![],
    });
    let wide = render(&app, 120, 40);
    assert!(wide.contains("No incidents open, and none opened in the last 30 days (since 02-12 03:00)."), "{wide}");
    insta::assert_snapshot!("incident_list_empty_120x40", wide);
    let narrow = render(&app, 80, 24);
    assert!(narrow.contains("No incidents open, and none opened in the last 30 days"), "{narrow}");
    insta::assert_snapshot!("incident_list_empty_80x24", narrow);

    let resolved = Incident { status: Status::Resolved, resolved_at: Some(ago(10)), ..payments_incident() };
    let mut app = app_with_incidents(vec![resolved]);
    key(&mut app, KeyCode::Char('I'));
    assert!(render(&app, 120, 40).contains("┌ Incidents (1, none open) "));
}
