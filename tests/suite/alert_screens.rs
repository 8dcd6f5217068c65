//! The Alerts, Silences and KPIs screens as text (fixed clock, insta snapshots), with hostile labels,
//! long annotations and thousands of alerts.
use crate::support;

use chrono::Duration as CDuration;
use crossterm::event::KeyCode;
use support::fixtures::{self, t0};
use support::{key, screen as render};
use watchpost::alerts::kpi::Span;
use watchpost::alerts::matcher::parse;
use watchpost::alerts::model::{Alert, AlertState, Silence, SilenceState};
use watchpost::app::App;
use watchpost::sources::alertmanager::AlertUpdate;
use watchpost::sources::prometheus::Update;

fn alert(name: &str, labels: &[(&str, &str)], summary: &str, mins_ago: i64, state: AlertState) -> Alert {
    let labels: Vec<(&str, &str)> = labels.iter().copied().chain([("alertname", name)]).collect();
    let mut a = fixtures::alert(&labels, summary, t0() - CDuration::minutes(mins_ago));
    a.state = state;
    if state == AlertState::Suppressed {
        a.silenced_by = vec!["s-1".into()];
    }
    a
}

fn app_with_alerts(alerts: Vec<Alert>) -> App {
    let mut app = fixtures::app(5);
    app.alerts.configured = true;
    app.alerts.group_by = vec!["alertname".into()];
    app.alerts.author = "oncall@test".into();
    let silences = vec![Silence {
        id: "s-1".into(),
        source: "alertmanager am-1".into(),
        matchers: parse(r#"alertname="DiskFillingUp""#).unwrap(),
        starts_at: t0() - CDuration::hours(2),
        ends_at: t0() + CDuration::minutes(9),
        created_by: "alice@ops".into(),
        comment: "disk resize in progress".into(),
        state: SilenceState::Active,
    }];
    app.on_alert_update(AlertUpdate::Snapshot { at: t0() - CDuration::seconds(2), alerts, silences, errors: vec![] });
    app
}

fn sample() -> Vec<Alert> {
    vec![
        alert(
            "HighLatency",
            &[("job", "payments"), ("severity", "warning")],
            "payments p95 latency is 812ms",
            12,
            AlertState::Active,
        ),
        alert("TargetDown", &[("job", "search"), ("severity", "critical")], "search is down", 4, AlertState::Active),
        alert(
            "DiskFillingUp",
            &[("job", "db"), ("severity", "warning")],
            "db disk is 91% full",
            130,
            AlertState::Suppressed,
        ),
        alert(
            "Hostile\u{1b}[2J",
            &[("job", "gateway\u{202e}evil"), ("severity", "warning")],
            &format!("\u{1b}]0;pwned\u{7} {}", "y".repeat(10_000)),
            1,
            AlertState::Active,
        ),
    ]
}

#[test]
fn alerts_screen_120x40() {
    let mut app = app_with_alerts(sample());
    key(&mut app, KeyCode::Char('A'));
    let s = render(&app, 120, 40);
    assert!(s.contains("▾ alertname=TargetDown (1)"), "critical group first:\n{s}");
    insta::assert_snapshot!(s);
    key(&mut app, KeyCode::Char('j'));
    let s = render(&app, 120, 40);
    assert!(s.contains("silenced by alice@ops until 03:09 (disk resize in progress)"), "{s}");
}

#[test]
fn silence_editor_and_silences_screen() {
    let mut app = app_with_alerts(sample());
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('s'));
    insta::assert_snapshot!("silence_editor", render(&app, 100, 30));
    // A bad matcher is shown at its character, and nothing is sent.
    let ed = app.alerts.editor.as_mut().unwrap();
    ed.fields[0] = ratatui_textarea::TextArea::new(vec![r#"job="search" severity="critical""#.into()]);
    key(&mut app, KeyCode::Enter);
    assert!(app.alerts.editor.as_ref().unwrap().error.as_deref().unwrap().contains("expected `,`"));
    assert!(app.take_alert_commands().is_empty());
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('S'));
    let s = render(&app, 120, 20);
    assert!(s.contains("ENDING") && s.contains("alice@ops") && s.contains("disk resize"), "{s}");
    insta::assert_snapshot!("silences_120x20", s);
}

#[test]
fn a_broad_silence_needs_a_second_enter() {
    let mut app = app_with_alerts(sample());
    key(&mut app, KeyCode::Char('S'));
    key(&mut app, KeyCode::Char('n'));
    let ed = app.alerts.editor.as_mut().unwrap();
    ed.fields[0] = ratatui_textarea::TextArea::new(vec![r#"alertname=~".+""#.into()]);
    ed.fields[2] = ratatui_textarea::TextArea::new(vec!["everything, for the migration".into()]);
    key(&mut app, KeyCode::Enter);
    assert!(app.take_alert_commands().is_empty(), "first enter only warns");
    assert!(render(&app, 100, 30).contains("EVERY alert"));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.take_alert_commands().len(), 1, "second enter sends");
}

/// An alert whose labels hold invisible, bidi and C1 code points and a line separator: the silence form
/// shows each as an escape, warns, waits for a second enter, and sends the raw values, which match the
/// alert (what was shown is what is sent).
#[test]
fn a_silence_form_shows_hostile_values_as_escapes_and_sends_them_raw() {
    use watchpost::sources::alertmanager::AlertCommand;
    let hostile = alert(
        "InstanceDown",
        &[("instance", "web\u{200b}-1"), ("job", "pay\u{202e}lave"), ("zone", "a\u{9b}b\u{2028}c")],
        "down",
        3,
        AlertState::Active,
    );
    let mut app = app_with_alerts(vec![hostile.clone()]);
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('s'));
    let s = render(&app, 120, 30);
    // The prefilled matchers scroll to their end; every hostile value is an escape in the text itself.
    let text = app.alerts.editor.as_ref().unwrap().text(0);
    for shown in [r#"instance="web\u200b-1""#, r#"job="pay\u202elave""#, r#"zone="a\u009bb\u2028c""#] {
        assert!(text.contains(shown), "{text}");
    }
    assert!(s.contains("⚠ instance: holds invisible characters"), "{s}");
    assert!(s.contains("⚠ job: holds bidi controls"), "{s}");
    assert!(s.contains("matches 1 of 1 current alerts"), "{s}");
    key(&mut app, KeyCode::Enter);
    assert!(app.take_alert_commands().is_empty(), "the first enter only warns");
    assert!(render(&app, 120, 30).contains("press enter again to send them exactly so"));
    key(&mut app, KeyCode::Enter);
    let sent = app.take_alert_commands();
    let [AlertCommand::PostSilence(new)] = sent.as_slice() else { panic!("{sent:?}") };
    let value = |n: &str| new.matchers.iter().find(|m| m.name == n).map(|m| m.value.clone());
    assert_eq!(value("instance").as_deref(), Some("web\u{200b}-1"));
    assert_eq!(value("job").as_deref(), Some("pay\u{202e}lave"));
    assert_eq!(value("zone").as_deref(), Some("a\u{9b}b\u{2028}c"));
    assert!(watchpost::alerts::matcher::matches_all(&new.matchers, &hostile.raw_labels));
}

/// A label of combining marks costs a bounded draw in the silence form.
#[test]
fn a_combining_mark_bomb_in_the_silence_form_draws_small() {
    let bomb = format!("x{}", "\u{301}".repeat(20_000));
    let mut app = app_with_alerts(vec![alert("Bomb", &[("instance", &bomb)], "x", 1, AlertState::Active)]);
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Tab);
    let s = render(&app, 120, 30);
    assert!(s.len() < 120 * 30 * 8, "{} bytes", s.len());
    assert!(s.contains("marks}"), "{s}");
}

#[test]
fn thousands_of_alerts_and_a_filter() {
    let many: Vec<Alert> = (0..5_000)
        .map(|i| {
            alert(
                &format!("A{:02}", i % 40),
                &[("job", &format!("svc-{i}")), ("severity", "warning")],
                "x",
                i,
                AlertState::Active,
            )
        })
        .collect();
    let mut app = app_with_alerts(many);
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(app.alerts.selected, 4_999);
    let s = render(&app, 120, 40);
    assert!(s.contains("Alerts (5000)"), "{s}");
    key(&mut app, KeyCode::Char('/'));
    for c in r#"job=~"svc-1.""#.chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(app.alerts.filter_error.is_none(), "{:?}", app.alerts.filter_error);
    assert_eq!(app.alerts.visible().len(), 10);
    key(&mut app, KeyCode::Char(','));
    key(&mut app, KeyCode::Char('x'));
    let s = render(&app, 120, 40);
    assert!(s.contains("✖ expected =, !=, =~ or !~"), "{s}");
    assert_eq!(app.alerts.visible().len(), 10, "the last good filter stays applied while typing");
}

#[test]
fn kpis_screen_120x30() {
    let mut app = fixtures::app(5);
    let h = |m: i64| Some(t0() - CDuration::minutes(m));
    let spans = vec![
        (
            "payments".to_string(),
            vec![
                Span { start: t0() - CDuration::days(3), end: h(3 * 1440 - 42) },
                Span { start: t0() - CDuration::days(9), end: h(9 * 1440 - 8) },
            ],
        ),
        ("checkout".to_string(), vec![Span { start: t0() - CDuration::minutes(20), end: None }]),
    ];
    app.on_update(Update::Incidents { at: t0(), window: watchpost::screens::kpis::state::WINDOW, spans: Ok(spans) });
    key(&mut app, KeyCode::Char('K'));
    let s = render(&app, 120, 30);
    insta::assert_snapshot!(s);
}

/// The "all services" row is the rows above pooled, as the screen says under the table: here the
/// checkout and payments incidents overlap (merged, they would count once) and a service no row shows
/// has incidents of its own (counted, the row would hold more than the rows above). Payments has the
/// highest error rate but a target of 1 %; checkout stands worst against its 0.1 %.
#[test]
fn kpis_all_services_row_is_the_rows_above_pooled() {
    use watchpost::screens::kpis::state::WINDOW;
    use watchpost::time::short;
    let mut app = fixtures::app(5);
    app.services[2].service.targets.error_rate = 0.01;
    let ago = |m: i64| t0() - CDuration::minutes(m);
    let spans = vec![
        (
            "payments".to_string(),
            vec![Span { start: ago(90), end: Some(ago(48)) }, Span { start: ago(30), end: Some(ago(22)) }],
        ),
        ("checkout".to_string(), vec![Span { start: ago(60), end: Some(ago(45)) }, Span { start: ago(20), end: None }]),
        (
            "billing".to_string(),
            vec![Span { start: ago(300), end: Some(ago(200)) }, Span { start: ago(700), end: None }],
        ),
    ];
    app.on_update(Update::Incidents { at: t0(), window: WINDOW, spans: Ok(spans) });
    key(&mut app, KeyCode::Char('K'));
    let s = render(&app, 120, 30);

    // The row computed here from the rows above.
    let rows: Vec<_> = app.services.iter().map(|v| app.kpis.of(&v.service.name).unwrap()).collect();
    let incidents: usize = rows.iter().map(|k| k.incidents).sum();
    let resolved: usize = rows.iter().map(|k| k.resolved).sum();
    let downtime: std::time::Duration = rows.iter().map(|k| k.downtime).sum();
    let repairs: std::time::Duration = rows.iter().filter_map(|k| Some(k.mttr? * k.resolved as u32)).sum();
    // Time between incidents of any of them: the window less their downtime, per incident.
    let between = WINDOW.saturating_sub(downtime) / incidents as u32;
    assert!(rows.iter().filter_map(|k| k.mtbf).all(|m| between <= m), "never longer than a row's");
    let errors = |i: usize| 1.0 - app.services[i].availability().unwrap();
    let worst = (0..4).max_by(|&a, &b| {
        let against = |i: usize| errors(i) / app.services[i].service.targets.error_rate;
        against(a).total_cmp(&against(b))
    });
    assert_eq!((incidents, resolved), (4, 3));
    assert_eq!(worst, Some(1), "checkout");
    let want = [
        incidents.to_string(),
        short(repairs / resolved as u32),
        short(between),
        short(downtime),
        watchpost::ui::format::percent(worst.map(errors)),
    ];

    let all = s.lines().find(|l| l.contains("all services")).expect("the all services row");
    let cells: Vec<&str> = all.trim_matches(['"', '│']).split_whitespace().skip(2).collect();
    assert_eq!(cells, want, "{s}");
    assert!(s.contains("all services = the rows above pooled"), "{s}");
    assert!(s.contains("the worst against its target (checkout)"), "{s}");
    // The error rates are over each service's SLO window: the heading names it when they share one.
    assert!(s.contains("ERRORS 30d (<0.1%)"), "{s}");
    app.services[4].service.targets.window = std::time::Duration::from_secs(28 * 86_400);
    assert!(render(&app, 120, 30).contains("ERRORS SLO (<0.1%)"));
}

#[test]
fn an_alert_and_the_overview_name_their_windows_when_their_figures_differ() {
    // Prometheus's generator URL carries the rule's expression: this one measures over 1m, the overview
    // over 5m, so 8 % in the alert and 2.1 % on the row are two windows, and the screen says which.
    let mut a = alert(
        "HighErrorRate",
        &[("job", "payments"), ("severity", "critical")],
        "payments errors at 8.06%",
        3,
        AlertState::Active,
    );
    let expr = r#"sum(rate(http_requests_total{job="payments",code=~"5.."}[1m])) / sum(rate(http_requests_total{job="payments"}[1m])) > 0.05"#;
    let url =
        url::Url::parse_with_params("http://prometheus:9090/graph", [("g0.expr", expr), ("g0.tab", "1")]).unwrap();
    a.generator_url = url.as_str().into();
    let mut app = app_with_alerts(vec![a]);
    key(&mut app, KeyCode::Char('A'));
    let s = render(&app, 160, 40);
    assert!(s.contains("measured: the rule measures over 1m, values as of its last evaluation"), "{s}");
    assert!(s.contains("now, over 5m (the overview): errors 2.10%"), "{s}");
}

/// Focus shows without colour: the field that takes the keys is marked `▶`, the mark follows tab, and a
/// field's error is drawn whole (wrapped), never cut at the form's edge.
#[test]
fn the_silence_form_marks_its_focus_without_colour_and_wraps_its_errors() {
    let mut app = app_with_alerts(sample());
    app.theme = app.theme.clone().monochrome();
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('s'));
    let marked = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains("│▶ "))
            .map(|l| l.split("│▶ ").nth(1).unwrap().trim_end_matches([' ', '│', '"', '…']).to_string())
            .collect()
    };
    let s = render(&app, 80, 24);
    assert_eq!(marked(&s), ["comment"], "the form opens on the comment:\n{s}");
    key(&mut app, KeyCode::Tab);
    assert_eq!(marked(&render(&app, 80, 24)), ["matchers"]);
    key(&mut app, KeyCode::Tab);
    let ed = app.alerts.editor.as_mut().unwrap();
    ed.fields[1] = ratatui_textarea::TextArea::new(vec!["sometime next week, after the migration".into()]);
    key(&mut app, KeyCode::Enter);
    let error = app.alerts.editor.as_ref().unwrap().error.clone().unwrap();
    assert!(error.len() > 60, "an error longer than a line: {error}");
    // The form's inside (the popup is 76 wide, centred), row by row, joined as one text.
    let s = render(&app, 80, 24);
    let inside: Vec<String> = s.lines().map(|l| l.chars().skip(1 + 3).take(74).collect::<String>()).collect();
    let drawn = inside.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    assert!(drawn.contains(&error), "the whole error: {error}\n{s}");
}

/// A value wider than its column is cut with `…`, so a cut name never passes for a whole one.
#[test]
fn cut_values_end_with_an_ellipsis() {
    let mut app = app_with_alerts(sample());
    app.alerts.silences[0].created_by = "watchpost (platform maintenance)".into();
    app.services[1].service.name = "checkout-api-gateway-eu-west-1-canary".into();
    let s = render(&app, 80, 24);
    assert!(s.contains("│ checkout-ap…   2/2"), "{s}");
    key(&mut app, KeyCode::Char('S'));
    let s = render(&app, 120, 20);
    assert!(s.contains("watchpost (platfo…"), "{s}");
}
