//! The Logs, Traces and Trace screens as text (fixed clock, insta snapshots) driven through the console's
//! keys: hostile lines (escape sequences, OSC 52 and OSC 8, title setting, bidi overrides, invalid
//! UTF-8, a 1 MB line), a flood into a bounded buffer, follow and pause, filter, highlight, wrap,
//! context, jump, copy; a waterfall at 80 columns with orphans and a cycle, and a 100 000-span trace.
use crate::support;

use chrono::Duration as CDuration;
use crossterm::event::KeyCode;
use support::fixtures::{self, t0};
use support::{key, screen as render, typed};
use watchpost::app::{App, Screen};
use watchpost::config::{HttpSource, TraceBackend, TraceConfig};
use watchpost::logs::{Entry, LogLine};
use watchpost::sources::logs::{LogCommand, LogUpdate, TailState};
use watchpost::sources::traces::{TraceCommand, TraceUpdate};
use watchpost::text::Clean;
use watchpost::traces::waterfall::Waterfall;
use watchpost::traces::{Span, Trace};

fn app() -> App {
    let mut cfg = fixtures::with_loki(fixtures::config(5));
    let url = url::Url::parse("http://jaeger.example:16686").unwrap();
    cfg.traces = Some(TraceConfig { backend: TraceBackend::Jaeger, source: HttpSource::new(url) });
    cfg.log_view.buffer = 1000;
    let mut app = fixtures::app(5);
    let fresh = App::new(&cfg, t0());
    app.logs = fresh.logs;
    app.traces = fresh.traces;
    app
}

fn ns(secs_before_t0: i64) -> i64 {
    (t0() - CDuration::seconds(secs_before_t0)).timestamp_nanos_opt().unwrap()
}

fn hostile_lines() -> Vec<Entry> {
    let invalid = String::from_utf8_lossy(b"bytes \xff\xfe then text").into_owned();
    let raw: Vec<(i64, String, &str)> = vec![
        (50, "level=info msg=\"request served\" trace_id=4bf92f3577b34da6a3ce929d0e0e4736".into(), "info"),
        (45, "\u{1b}[31mred\u{1b}[0m \u{1b}[2J\u{1b}[H cleared?".into(), "warn"),
        (
            40,
            "clipboard \u{1b}]52;c;cm0gLXJmIC8=\u{7} and link \u{1b}]8;;http://evil\u{1b}\\click\u{1b}]8;;\u{1b}\\"
                .into(),
            "error",
        ),
        (35, "title \u{1b}]0;owned\u{7} bidi \u{202e}gnp.exe zero\u{200b}width c1\u{9b}31m".into(), "error"),
        (30, invalid, "info"),
        (25, format!("huge {}", "x".repeat(1_000_000)), "info"),
        (20, "level=error msg=\"upstream timeout\" trace_id=00f067aa0ba902b7".into(), "error"),
    ];
    let mut out: Vec<Entry> = raw
        .into_iter()
        .map(|(s, text, level)| Entry::Line(LogLine::new(ns(s), &text, &[("service", "checkout"), ("level", level)])))
        .collect();
    out.insert(5, Entry::Gap { from_ns: ns(28), to_ns: ns(26), note: "tail reconnected; lines may be missing".into() });
    out
}

fn open_logs(app: &mut App) -> u64 {
    app.selected = 1;
    typed(app, "L");
    assert_eq!(app.screen, Screen::Logs);
    let cmds = app.take_log_commands();
    let LogCommand::Query { id, query, limit, .. } = &cmds[0] else { panic!("{cmds:?}") };
    assert_eq!((query.as_str(), *limit), ("{service=\"checkout\"}", 1000));
    assert!(matches!(cmds[1], LogCommand::Follow { .. }));
    *id
}

#[test]
fn hostile_lines_are_drawn_inert() {
    let mut app = app();
    let id = open_logs(&mut app);
    app.on_log_update(LogUpdate::Lines { id, entries: hostile_lines(), replace: true });
    app.on_log_update(LogUpdate::Tail { id, state: TailState::Live });
    insta::assert_snapshot!("logs_hostile_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("logs_hostile_120x30", render(&app, 120, 30));
    typed(&mut app, "w");
    insta::assert_snapshot!("logs_wrapped_120x30", render(&app, 120, 30));
    typed(&mut app, "w");
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    let s = render(&app, 120, 30);
    assert!(s.contains("→16"), "{s}");
    // Lines from another request (an older query) are ignored.
    app.on_log_update(LogUpdate::Lines { id: id + 10, entries: hostile_lines(), replace: false });
    assert_eq!(app.logs.buffer.len(), 8);
}

/// A line cut by the right edge ends in a mark, also when the edge falls in a wide character's middle
/// (its first half alone would push the mark out of the frame); a line that fits has none.
#[test]
fn a_cut_line_says_so_at_the_edge() {
    let mut app = app();
    let id = open_logs(&mut app);
    let wide = Entry::Line(LogLine::new(ns(10), &"\u{65e5}\u{672c}".repeat(60), &[("service", "checkout")]));
    let odd = Entry::Line(LogLine::new(ns(9), &format!("x{}", "\u{65e5}".repeat(60)), &[("service", "checkout")]));
    let short = Entry::Line(LogLine::new(ns(8), "fits", &[("service", "checkout")]));
    app.on_log_update(LogUpdate::Lines { id, entries: vec![wide, odd, short], replace: true });
    let s = render(&app, 80, 24);
    // (The text form lists the cells a wide character hides after its row: not part of the row.)
    let rows: Vec<&str> =
        s.lines().filter(|l| l.contains(" 02:59:")).map(|l| l.split(" Hidden by").next().unwrap()).collect();
    assert_eq!(rows.len(), 3, "{s}");
    for row in &rows[..2] {
        assert!(row.ends_with("…│\""), "{row}");
        assert_eq!(unicode_width::UnicodeWidthStr::width(*row), unicode_width::UnicodeWidthStr::width(rows[2]), "{s}");
    }
    assert!(!rows[2].contains('…'), "{s}");
}

#[test]
fn filter_highlight_context_jump_copy_and_trace() {
    let mut app = app();
    let id = open_logs(&mut app);
    app.on_log_update(LogUpdate::Lines { id, entries: hostile_lines(), replace: true });
    typed(&mut app, "/");
    typed(&mut app, "(unclosed");
    key(&mut app, KeyCode::Enter);
    assert!(app.logs.prompt_error.as_deref().is_some_and(|e| e.contains("unclosed")), "bad regex kept open");
    key(&mut app, KeyCode::Esc);
    typed(&mut app, "/");
    typed(&mut app, "trace_id");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.logs.buffer.shown_len(), 3, "two lines and the gap");
    typed(&mut app, "h");
    typed(&mut app, "timeout");
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("logs_filtered_highlighted", render(&app, 100, 16));
    // Context: the unfiltered lines around the selected one.
    typed(&mut app, "c");
    assert!(render(&app, 100, 16).contains("context"));
    key(&mut app, KeyCode::Esc);
    assert!(app.logs.context.is_none() && app.screen == Screen::Logs);
    // Copy is off by default and says how to turn it on; on, the line goes out as OSC 52.
    typed(&mut app, "y");
    assert!(app.logs.notice.as_ref().unwrap().1.contains("copy = true"));
    assert!(app.take_clipboard().is_none());
    app.logs.copy_enabled = true;
    typed(&mut app, "y");
    assert!(app.take_clipboard().unwrap().contains("upstream timeout"));
    // Jump: to the first line at or after a time.
    typed(&mut app, "/");
    key(&mut app, KeyCode::Backspace);
    for _ in 0..10 {
        key(&mut app, KeyCode::Backspace);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.logs.buffer.shown_len(), 8);
    typed(&mut app, "@");
    typed(&mut app, "02:59:20");
    key(&mut app, KeyCode::Enter);
    let sel = app.logs.selected_entry().unwrap().ts_ns();
    assert_eq!(sel, ns(40));
    assert!(app.logs.paused(), "jumping pauses the follow");
    // Enter on a line naming a trace opens it.
    typed(&mut app, "G");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Trace);
    assert_eq!(app.take_trace_commands(), vec![TraceCommand::Get { trace_id: "00f067aa0ba902b7".into() }]);
}

#[test]
fn a_flood_is_bounded_and_pause_counts_what_arrives() {
    let mut app = app();
    let id = open_logs(&mut app);
    app.on_log_update(LogUpdate::Lines { id, entries: vec![], replace: true });
    for batch in 0..50 {
        let entries = (0..1000)
            .map(|i| Entry::Line(LogLine::new(ns(0) + batch * 1000 + i, &format!("flood {batch}/{i}"), &[])))
            .collect();
        app.on_log_update(LogUpdate::Lines { id, entries, replace: false });
        if batch == 10 {
            typed(&mut app, "k");
            assert!(app.logs.paused());
        }
    }
    assert_eq!((app.logs.buffer.len(), app.logs.buffer.dropped), (1000, 49_000));
    assert_eq!(app.logs.unseen, 39_000);
    let s = render(&app, 100, 12);
    assert!(s.contains("PAUSED (39000 new)") && s.contains("49000 dropped"), "{s}");
    typed(&mut app, "f");
    assert!(!app.logs.paused());
    assert!(render(&app, 100, 12).contains("flood 49/999"));
}

fn span(id: &str, parent: Option<&str>, service: &str, op: &str, start: i64, dur: i64, error: bool) -> Span {
    Span {
        span_id: id.into(),
        parent: parent.map(Into::into),
        service: Clean::new(service),
        operation: Clean::new(op),
        start_us: t0().timestamp_micros() + start,
        duration_us: dur,
        error,
        attributes: vec![(Clean::new("http.url"), Clean::new("/x?\u{1b}]8;;http://evil\u{1b}\\"))],
        events: if error {
            vec![(t0().timestamp_micros() + start + dur, Clean::new("exception: timeout \u{1b}[5m"))]
        } else {
            vec![]
        },
    }
}

#[test]
fn waterfall_at_80_columns_with_orphans_and_a_cycle() {
    let mut app = app();
    app.open_trace("4bf92f3577b34da6a3ce929d0e0e4736");
    let trace = Trace {
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        spans: vec![
            span("1", None, "gateway", "GET /api/orders", 0, 420_000, true),
            span("2", Some("1"), "checkout", "POST /checkout", 10_000, 400_000, true),
            span("3", Some("2"), "payments", "POST /charge", 20_000, 370_000, true),
            span("4", Some("3"), "db", "SELECT orders", 30_000, 5_000, false),
            span("5", Some("2"), "inventory", "GET /stock", 15_000, 60_000, false),
            span("6", Some("missing"), "cache", "GET key \u{202e}", 100_000, 300, false),
            span("7", Some("8"), "auth", "loop a", 200_000, 1_000, false),
            span("8", Some("7"), "auth", "loop b", 201_000, 500, false),
        ],
        warnings: vec![],
    };
    app.on_trace_update(TraceUpdate::Trace {
        trace_id: trace.trace_id.clone(),
        result: Ok(Box::new(Waterfall::new(trace))),
    });
    insta::assert_snapshot!("waterfall_80x24", render(&app, 80, 24));
    typed(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    let s = render(&app, 80, 24);
    assert!(s.contains("▸checkout: POST /checkout (+3)"), "{s}");
    // `l` from a span: its service's logs around the trace, filtered to its id.
    typed(&mut app, "l");
    assert_eq!(app.screen, Screen::Logs);
    assert_eq!(app.logs.query, "{service=\"checkout\"}");
    assert_eq!(app.logs.buffer.filter().unwrap().pattern, "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[test]
fn a_100k_span_trace_lays_out_and_draws() {
    let mut app = app();
    app.open_trace("abc");
    let spans: Vec<Span> = (0..100_000)
        .map(|i| {
            let parent = if i == 0 { None } else { Some(((i - 1) / 3).to_string()) };
            span(
                &i.to_string(),
                parent.as_deref(),
                "svc",
                "op",
                i64::from(i) * 10,
                1_000_000 - i64::from(i) * 5,
                i % 997 == 0,
            )
        })
        .collect();
    let trace = Trace { trace_id: "abc".into(), spans, warnings: vec![] };
    app.on_trace_update(TraceUpdate::Trace { trace_id: "abc".into(), result: Ok(Box::new(Waterfall::new(trace))) });
    let w = app.traces.open.as_ref().unwrap();
    assert_eq!(w.rows.len(), 100_000);
    typed(&mut app, "G");
    let s = render(&app, 80, 24);
    assert!(s.contains("100000 spans"), "{s}");
}

#[test]
fn from_an_alert_l_and_t_open_its_service_in_its_window() {
    use watchpost::alerts::model::{Alert, AlertState, display_pairs, fingerprint};
    use watchpost::sources::alertmanager::AlertUpdate;
    let mut app = app();
    app.alerts.configured = true;
    let raw: watchpost::engine::Labels =
        [("alertname".to_string(), "HighErrorRate".to_string()), ("service".to_string(), "payments".to_string())]
            .into();
    let alert = Alert {
        fingerprint: fingerprint(&raw),
        source: "am".into(),
        labels: display_pairs(&raw),
        annotations: vec![],
        raw_labels: raw,
        state: AlertState::Active,
        silenced_by: vec![],
        inhibited_by: vec![],
        starts_at: t0() - CDuration::minutes(20),
        ends_at: None,
        updated_at: Some(t0()),
        generator_url: "".into(),
    };
    app.on_alert_update(AlertUpdate::Snapshot { at: t0(), alerts: vec![alert], silences: vec![], errors: vec![] });
    typed(&mut app, "A");
    typed(&mut app, "l");
    assert_eq!(app.screen, Screen::Logs);
    let cmds = app.take_log_commands();
    let LogCommand::Query { query, from_ns, to_ns, .. } = &cmds[0] else { panic!() };
    assert_eq!(query, "{service=\"payments\"}");
    assert_eq!(*from_ns, (t0() - CDuration::minutes(25)).timestamp_nanos_opt().unwrap());
    assert_eq!(*to_ns, t0().timestamp_nanos_opt().unwrap());
    assert!(matches!(cmds[1], LogCommand::Follow { .. }), "a firing alert's logs follow");
    key(&mut app, KeyCode::Esc);
    typed(&mut app, "t");
    assert_eq!(app.screen, Screen::Traces);
    let cmds = app.take_trace_commands();
    let TraceCommand::Search { query, .. } = &cmds[0] else { panic!("{cmds:?}") };
    assert_eq!(query.service.as_deref(), Some("payments"));
    assert_eq!(query.from_us, (t0() - CDuration::minutes(25)).timestamp_micros());
}

#[test]
fn the_trace_search_is_typed_and_checked() {
    let mut app = app();
    typed(&mut app, "W");
    assert_eq!(app.screen, Screen::Traces);
    app.take_trace_commands();
    typed(&mut app, "/");
    for _ in 0..40 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "service=payments op=\"POST /charge\" min=fast");
    key(&mut app, KeyCode::Enter);
    assert!(app.traces.prompt_error.as_deref().unwrap().contains("min=fast"));
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "250ms errors=true http.status_code=503");
    key(&mut app, KeyCode::Enter);
    assert!(app.traces.prompt.is_none());
    let cmds = app.take_trace_commands();
    let TraceCommand::Search { query, .. } = cmds.last().unwrap() else { panic!("{cmds:?}") };
    assert_eq!(query.service.as_deref(), Some("payments"));
    assert_eq!(query.operation.as_deref(), Some("POST /charge"));
    assert_eq!((query.min_duration_us, query.errors_only), (250_000, true));
    assert_eq!(query.tags, vec![("http.status_code".to_string(), "503".to_string())]);
    let s = render(&app, 160, 12);
    assert!(s.contains("http.status_code=503"), "{s}");
}

#[test]
fn the_loki_query_completes_labels_and_values() {
    let mut app = app();
    open_logs(&mut app);
    typed(&mut app, "e");
    for _ in 0..40 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "{ser");
    app.on_log_update(LogUpdate::Labels(vec!["level".into(), "service".into(), "service_name".into()]));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.logs.prompt.as_ref().unwrap().1.lines()[0], "{service");
    assert_eq!(app.logs.candidates, vec!["service", "service_name"]);
    typed(&mut app, "=\"pa");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.take_log_commands().last(), Some(&LogCommand::LabelValues("service".into())));
    app.on_log_update(LogUpdate::LabelValues {
        name: "service".into(),
        values: vec!["payments".into(), "checkout".into()],
    });
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.logs.prompt.as_ref().unwrap().1.lines()[0], "{service=\"payments");
}

/// A hop to the traces (from an alert or a service) is a fresh search: an earlier manual filter does not
/// come along (it hid the alert's failing traces); and the TRACE column shows as much of each id as
/// tells the listed ones apart (the estate's ids differ only after their first 8 characters).
#[test]
fn a_hop_is_a_fresh_search_and_ids_are_told_apart() {
    let mut app = app();
    app.traces.min_duration_us = 80_000;
    app.traces.operation = Some("GET /cart".into());
    app.traces.errors_only = true;
    app.open_traces(Some("checkout"), t0() - CDuration::hours(1), t0());
    let sent = app.take_trace_commands();
    let Some(TraceCommand::Search { id, query }) = sent.last() else { panic!("{sent:?}") };
    assert_eq!((query.min_duration_us, query.operation.as_deref(), query.errors_only), (0, None, false));
    assert_eq!(query.service.as_deref(), Some("checkout"));
    assert_eq!(query.to_us - query.from_us, 3_600_000_000, "over the hop's window");
    let summary = |id: &str| watchpost::traces::TraceSummary {
        trace_id: id.into(),
        service: Clean::new("checkout"),
        operation: Clean::new("POST /pay"),
        start_us: t0().timestamp_micros(),
        duration_us: 90_000,
        spans: 4,
        errors: 0,
    };
    let found = vec![summary("4bf92f3577b34da6a3ce929d0e0e4736"), summary("4bf92f3577b34da7a3ce929d0e0e4736")];
    app.on_trace_update(TraceUpdate::Found { id: *id, result: Ok(found) });
    for (w, h) in [(120, 40), (80, 24)] {
        let s = render(&app, w, h);
        assert!(s.contains("4bf92f3577b34da6") && s.contains("4bf92f3577b34da7"), "{w}x{h}: {s}");
    }
}

/// The live traces are asked every 15 s at the least: a list 12 s old is as fresh as that allows, and
/// reads `now` (it counted seconds against the 5 s refresh, redrawing the overview every second).
#[test]
fn live_traces_are_fresh_for_their_own_period() {
    let mut app = app();
    app.screen = Screen::Overview;
    app.traces.live_at = Some(t0() - CDuration::seconds(12));
    app.now = t0();
    let s = render(&app, 120, 40);
    assert!(s.contains("last 5m · now"), "{s}");
    assert_eq!(watchpost::ui::when::next().map(|at| at > t0() + CDuration::seconds(1)), Some(true), "nothing counts");
}

/// `e` changes the query: the title no longer names the service the screen was opened on.
#[test]
fn the_title_follows_an_edited_query() {
    let mut app = app();
    open_logs(&mut app);
    assert!(render(&app, 100, 12).contains("Logs — checkout"));
    typed(&mut app, "e");
    for _ in 0..40 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "{service=\"payments\"}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.logs.query, "{service=\"payments\"}");
    let s = render(&app, 100, 12);
    assert!(!s.contains("checkout"), "{s}");
}

/// `@` jumps to a time with the line found in the middle of the screen, the lines before it in sight.
#[test]
fn a_jump_puts_its_line_mid_screen() {
    let mut app = app();
    let id = open_logs(&mut app);
    let entries = (0..200).map(|i| Entry::Line(LogLine::new(ns(200 - i), &format!("line {i}"), &[]))).collect();
    app.on_log_update(LogUpdate::Lines { id, entries, replace: true });
    typed(&mut app, "@");
    typed(&mut app, &(t0() - CDuration::seconds(100)).format("%H:%M:%S").to_string());
    key(&mut app, KeyCode::Enter);
    let s = render(&app, 100, 24);
    let rows: Vec<&str> = s.lines().collect();
    let at = rows.iter().position(|l| l.contains("▶")).expect("the selection is drawn");
    assert!(rows[at].contains("line 100"), "{s}");
    // Rows 3..=21 are the log body (header, status, border; border and keys below): the line is in
    // their middle, as many lines before it as after.
    assert!((11..=13).contains(&at), "row {at}:\n{s}");
    assert!(s.contains("line 92") && s.contains("line 108"), "{s}");
}
