//! The screens as text (insta snapshots, fixed clock) and as colour (snapshots do not carry colour).
use crate::support;

use crate::support::{key, typed};
use chrono::Duration as CDuration;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use support::fixtures::{self, t0};
use watchpost::app::App;
use watchpost::sources::{SourceHealth, SourceState};

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| watchpost::ui::draw(app, f)).unwrap();
    term
}

/// The first cell where `text` starts on screen.
fn find(buf: &Buffer, text: &str) -> Option<(u16, u16)> {
    let area = buf.area;
    for y in 0..area.height {
        let line: String = (0..area.width).map(|x| buf[(x, y)].symbol().to_string()).collect();
        if let Some(byte) = line.find(text) {
            return Some((line[..byte].chars().count() as u16, y));
        }
    }
    None
}

fn fg_of(term: &Terminal<TestBackend>, text: &str) -> Color {
    let buf = term.backend().buffer();
    let (x, y) = find(buf, text).unwrap_or_else(|| panic!("`{text}` not on screen:\n{}", term.backend()));
    buf[(x, y)].fg
}

#[test]
fn overview_120x40() {
    insta::assert_snapshot!(render(&fixtures::app(5), 120, 40).backend());
}

#[test]
fn overview_80x24() {
    insta::assert_snapshot!(render(&fixtures::app(5), 80, 24).backend());
}

#[test]
fn detail_120x40() {
    insta::assert_snapshot!(render(&fixtures::detail(fixtures::app(5), 2), 120, 40).backend());
}

#[test]
fn detail_80x24() {
    insta::assert_snapshot!(render(&fixtures::detail(fixtures::app(5), 2), 80, 24).backend());
}

#[test]
fn overview_colours_follow_targets() {
    let app = fixtures::app(5);
    let term = render(&app, 120, 40);
    let t = &app.theme;
    // payments: 2.1 % errors against 0.1 %, p95 412 ms against 200 ms — bad; gateway is good.
    assert_eq!(fg_of(&term, "2.10%"), t.bad);
    assert_eq!(fg_of(&term, "412ms"), t.bad);
    assert_eq!(fg_of(&term, "84ms"), t.good);
    // checkout: 0.09 % errors is within 0.1 % but close: warn.
    assert_eq!(fg_of(&term, "0.09%"), t.warn);
    // auth has no targets up.
    assert_eq!(fg_of(&term, "0/2"), t.bad);
}

#[test]
fn dead_prometheus_marks_figures_stale_and_says_why() {
    let mut app = fixtures::app(5);
    let since = t0() - CDuration::seconds(95);
    app.on_update(watchpost::sources::prometheus::Update::Health(SourceHealth {
        state: SourceState::CircuitOpen,
        failing_since: Some(since),
        last_error: Some("cannot connect: Connection refused (os error 111)".into()),
        retry_at: Some(t0() + CDuration::seconds(12)),
        ..SourceHealth::new("prometheus")
    }));
    app.on_tick(t0() + CDuration::seconds(60));
    let term = render(&app, 120, 40);
    let screen = term.backend().to_string();
    assert!(screen.contains("Prometheus circuit open since 02:58:25"), "{screen}");
    // The reason wraps onto the banner's second line rather than being cut.
    assert!(screen.contains("cannot connect: Connection") && screen.contains("refused (os error 111)"), "{screen}");
    assert!(screen.contains("412ms"), "last good values stay on screen:\n{screen}");
    assert_eq!(fg_of(&term, "412ms"), app.theme.stale, "and are marked stale");
    assert_eq!(fg_of(&term, "stale 1m02s"), app.theme.stale);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn explorer_and_help_80x24() {
    let mut app = fixtures::app(5);
    app.act(watchpost::app::keymap::Action::Explorer);
    app.explorer.input.insert_str("sum by (job) (rate(http_requests_total[5m]))");
    insta::assert_snapshot!("explorer_80x24", render(&app, 80, 24).backend());
    app.act(watchpost::app::keymap::Action::StopEditing);
    app.act(watchpost::app::keymap::Action::Help);
    insta::assert_snapshot!("help_80x24", render(&app, 80, 24).backend());
}

#[test]
fn first_run_screen_says_how_to_start() {
    let cfg = watchpost::config::Config::from_env(None).unwrap();
    let app = App::new(&cfg, t0());
    let screen = render(&app, 100, 30).backend().to_string();
    assert!(screen.contains("PROMETHEUS_URL=http://localhost:9090 watchpost"), "{screen}");
    assert!(screen.contains("config check"), "{screen}");
}

#[test]
fn no_panic_at_any_small_size() {
    let screens = [fixtures::app(5), fixtures::detail(fixtures::app(5), 1)];
    for app in &screens {
        for w in 1..=90u16 {
            for h in [1u16, 2, 5, 11, 12, 13, 24] {
                let term = render(app, w, h);
                if w < watchpost::ui::MIN_WIDTH || h < watchpost::ui::MIN_HEIGHT {
                    let text = term.backend().to_string();
                    assert!(w < 10 || h < 2 || text.contains("too"), "{w}x{h}: {text}");
                }
            }
        }
    }
}

#[test]
fn no_color_uses_no_colour() {
    let mut app = fixtures::app(5);
    app.theme = app.theme.clone().honour_no_color(Some("1"));
    let term = render(&app, 120, 40);
    let buf = term.backend().buffer();
    for cell in buf.content() {
        assert!(matches!(cell.fg, Color::Reset), "colour {:?} under NO_COLOR", cell.fg);
        assert!(matches!(cell.bg, Color::Reset), "colour {:?} under NO_COLOR", cell.bg);
    }
}

#[test]
fn hostile_labels_never_reach_the_terminal() {
    let mut app = fixtures::detail(fixtures::app(5), 2);
    let evil = "web\x1b]52;c;ZXZpbA==\x07\x1b[2J\u{202e}gnp.exe\u{200b}\u{9b}31m";
    if let Some(v) = app.services.get_mut(2) {
        v.detail.targets[0].instance = evil.into();
        v.detail.targets[0].last_error = evil.into();
    }
    let term = render(&app, 120, 40);
    for cell in term.backend().buffer().content() {
        for c in cell.symbol().chars() {
            assert!(!watchpost::text::sanitize::is_unsafe(c), "{c:?} reached the screen");
        }
    }
    assert!(term.backend().to_string().contains("web\\e]52;c;ZXZpbA==\\x07\\e[2J\\u{202e}gnp.exe"));
}

#[test]
fn a_refused_chart_query_says_why() {
    let mut app = fixtures::detail(fixtures::app(5), 2);
    let charts = app.services[2].detail.charts.as_mut().unwrap();
    charts.saturation.clear();
    charts.problems = vec!["saturation: bad_data: parse error: unknown function with name \"nosuch\"".into()];
    let screen = render(&app, 120, 40).backend().to_string();
    assert!(screen.contains("✖ bad_data: parse error: unknown function"), "{screen}");
    assert!(!screen.contains("no data in this range"), "{screen}");
}

/// Every screen at both sizes a user has (an 80x24 SSH window, a 120x40 one), as it is first shown:
/// the fixture estate, no backend answers beyond the figures. Screens with more to show have their own
/// snapshots beside their tests.
#[test]
fn every_screen_at_80x24_and_120x40() {
    for &screen in watchpost::app::Screen::ALL {
        let mut app = fixtures::app(5);
        app.logs = App::new(&fixtures::with_loki(fixtures::config(5)), t0()).logs;
        app.screen = screen;
        for (w, h) in [(80, 24), (120, 40)] {
            let text = support::screen(&app, w, h);
            insta::assert_snapshot!(format!("screen_{screen:?}_{w}x{h}"), text);
        }
    }
}

/// The explorer's keys act at once: `m` asks the query again in the other mode, `v` on an instant result
/// asks it again as a range query for the chart (and says so), and the chart's legend sits under the
/// plot, naming each series by the labels that tell them apart.
#[test]
fn explorer_mode_and_chart_keys_ask_again() {
    use watchpost::sources::prometheus::{Command, QueryOutcome, QueryResult, Series, Update};
    let mut app = fixtures::app(2);
    app.screen = watchpost::app::Screen::Explorer;
    app.explorer.editing = true;
    app.explorer.input.insert_str("sum by (instance, job) (rate(http_requests_total[5m]))");
    key(&mut app, KeyCode::Enter);
    let asked = |app: &mut watchpost::app::App| -> Vec<Option<std::time::Duration>> {
        app.take_commands()
            .into_iter()
            .filter_map(|c| if let Command::Query { range, .. } = c { Some(range) } else { None })
            .collect()
    };
    assert_eq!(asked(&mut app), vec![None], "enter asks an instant query");
    key(&mut app, KeyCode::Esc);
    let answer = |app: &mut watchpost::app::App, result: QueryResult| {
        let id = app.explorer.pending.as_ref().unwrap().0;
        app.on_update(Update::Query { id, at: t0(), outcome: Ok(QueryOutcome { result, warnings: vec![] }) });
    };
    let series = |job: &str, pts: Vec<(f64, f64)>| Series {
        labels: vec![("instance".into(), "10.0.0.1:9090".into()), ("job".into(), job.into())],
        points: pts,
    };
    let t = t0().timestamp() as f64;
    answer(&mut app, QueryResult::Vector(vec![series("checkout", vec![(t, 1.0)])]));
    typed(&mut app, "m");
    assert_eq!(asked(&mut app), vec![Some(app.range())], "m asks again as a range query at once");
    typed(&mut app, "m");
    assert_eq!(asked(&mut app), vec![None], "and back");
    typed(&mut app, "v");
    assert_eq!(asked(&mut app), vec![Some(app.range())], "v on an instant result asks for a range");
    assert!(render(&app, 120, 40).backend().to_string().contains("a chart needs a range"));
    let pts = |k: f64| (0..60).map(|i| (t - 3600.0 + 60.0 * i as f64, k + (i % 7) as f64)).collect::<Vec<_>>();
    answer(&mut app, QueryResult::Matrix(vec![series("checkout", pts(1.0)), series("payments", pts(5.0))]));
    let s = render(&app, 120, 40).backend().to_string();
    assert!(s.contains(r#"━ {job="checkout"}"#) && s.contains(r#"━ {job="payments"}"#), "{s}");
    insta::assert_snapshot!("explorer_chart_120x40", s);
}

/// A chart over more than one day dates its range (`24h` from 11:00 is 11:00–11:00 without the days),
/// and a range that does not fit beside the title goes under the chart instead of being cut.
#[test]
fn charts_over_a_day_date_their_range() {
    let mut app = fixtures::detail(fixtures::app(5), 2);
    let at = app.services[2].detail.charts.as_ref().unwrap().at;
    if let Some(c) = app.services[2].detail.charts.as_mut() {
        c.range = std::time::Duration::from_secs(86_400);
    }
    let from = (at - chrono::Duration::days(1)).format("%m-%d %H:%M");
    let range = format!("{from}–{}", at.format("%m-%d %H:%M"));
    for (w, h) in [(120, 40), (80, 24)] {
        let s = render(&app, w, h).backend().to_string();
        assert_eq!(s.matches(&range).count(), 4, "every chart dates its range at {w}x{h}:\n{s}");
    }
}

/// The availability can come in before the first sparklines (it has its own lane): the SLO panel then
/// counts its age from its arrival, not from 1970.
#[test]
fn an_availability_before_the_sparklines_is_current() {
    let cfg = fixtures::config(2);
    let mut app = App::new(&cfg, t0());
    let name = app.services[0].service.name.clone();
    app.on_update(watchpost::sources::prometheus::Update::Availability(vec![(name, (Some(0.9995), None))]));
    let screen = support::screen(&app, 120, 40);
    assert!(screen.contains("99.950%"), "{screen}");
    assert!(screen.contains("· current") && !screen.contains("as of"), "{screen}");
}
