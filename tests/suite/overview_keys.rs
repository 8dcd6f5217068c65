//! The overview at a thousand services, driven by keys as an operator would: `/` narrows the rows while
//! typing, `s` brings the services in trouble to the top, `b` groups them by team, and the selection
//! stays on its service through all of it.
use crate::support::fixtures::{self, t0};
use crate::support::{key, typed};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use watchpost::app::{App, Screen};
use watchpost::sources::prometheus::{ServiceFigures, Update};

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| watchpost::ui::draw(app, f)).unwrap();
    let buf = term.backend().buffer();
    (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
}

fn thousand() -> App {
    let mut cfg = fixtures::config(1000);
    for (i, s) in cfg.services.iter_mut().enumerate() {
        s.labels.insert("team".into(), ["payments", "search", "platform"][i % 3].into());
    }
    cfg.overview.group_by = Some("team".into());
    let mut app = App::new(&cfg, t0());
    let healthy = |err: f64| ServiceFigures {
        at: t0(),
        up: Some((2, 2)),
        rate: Some(10.0),
        error_ratio: Some(err),
        p95: Some(0.05),
        saturation: None,
        window_ratios: [Some(err); 4],
        problems: vec![],
        partial: vec![],
    };
    let rows: Vec<(String, ServiceFigures)> = app
        .services
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let f = match i {
                // Far down the list: one with a target down, one burning its budget fast.
                737 => ServiceFigures { up: Some((1, 2)), ..healthy(0.0) },
                912 => healthy(0.05),
                _ => healthy(0.0001),
            };
            (v.service.name.clone(), f)
        })
        .collect();
    app.on_update(Update::Round(rows));
    app.now = t0();
    app
}

fn selected(app: &App) -> &str {
    &app.selected_service().unwrap().service.name
}

#[test]
fn grouped_at_start_and_worst_first_brings_trouble_to_the_top_of_its_group() {
    let mut app = thousand();
    let s = screen(&app, 120, 40);
    assert!(s.contains("Services (1000)"), "{s}");
    assert!(s.contains("▾ team=payments · 334 services"), "{s}");
    assert!(s.contains("sorted by name · grouped by team"), "{s}");
    // Ungrouped, worst first: the down target, then the fast burn, on the first two rows.
    key(&mut app, KeyCode::Char('b'));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.overview.sort, watchpost::screens::overview::state::SortKey::Worst);
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(selected(&app), "svc-737");
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(selected(&app), "svc-912");
    let s = screen(&app, 120, 40);
    let rows: Vec<&str> = s.lines().skip(3).take(2).collect();
    assert!(rows[0].contains("svc-737") && rows[1].contains("svc-912"), "{s}");
    assert!(s.contains("sorted worst first"), "{s}");
    // Grouped again, the group holding svc-912 says it has a service in trouble.
    key(&mut app, KeyCode::Char('b'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("in trouble"), "{s}");
    assert_eq!(selected(&app), "svc-912", "the selection stays on its service when the order changes");
}

#[test]
fn slash_narrows_the_rows_while_typing_and_esc_brings_them_back() {
    let mut app = thousand();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "svc-91");
    let s = screen(&app, 80, 24);
    // svc-91 and svc-910 … svc-919.
    assert!(s.contains("Services (11 of 1000)"), "{s}");
    assert!(s.contains("/svc-91"), "{s}");
    assert!(selected(&app).starts_with("svc-91"), "the selection moves onto a row that is shown");
    // Enter keeps the filter and gives the keys back to the table; enter again opens the service.
    key(&mut app, KeyCode::Enter);
    assert!(app.overview.filter.is_none());
    key(&mut app, KeyCode::Char('G'));
    let last = selected(&app).to_string();
    assert!(last.starts_with("svc-91"), "{last}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Detail);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Overview);
    assert!(app.overview.filter_text.is_empty());
    let s = screen(&app, 80, 24);
    assert!(s.contains("Services (1000)"), "{s}");
    assert_eq!(selected(&app), last, "clearing the filter keeps the selection");
}

#[test]
fn a_filter_that_matches_nothing_says_so() {
    let mut app = thousand();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "nothing-like-this");
    let s = screen(&app, 120, 40);
    assert!(s.contains("No service matches /nothing-like-this/"), "{s}");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Overview, "nothing to open when no row is shown");
    key(&mut app, KeyCode::Esc);
    assert!(screen(&app, 120, 40).contains("Services (1000)"));
}

#[test]
fn without_a_grouping_label_b_says_how_to_set_one() {
    let mut app = fixtures::app(5);
    key(&mut app, KeyCode::Char('b'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("[overview] group_by"), "{s}");
}

#[test]
fn the_filter_field_takes_readline_keys() {
    let mut app = thousand();
    let ctrl = |app: &mut App, c: char| app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "svc-91 extra");
    ctrl(&mut app, 'w');
    assert_eq!(app.overview.filter_text, "svc-91 ", "ctrl-w deletes the word before the cursor");
    ctrl(&mut app, 'u');
    assert_eq!(app.overview.filter_text, "", "ctrl-u clears to the start");
    assert!(screen(&app, 80, 24).contains("Services (1000)"));
    typed(&mut app, "91");
    ctrl(&mut app, 'a');
    typed(&mut app, "svc-");
    let s = screen(&app, 80, 24);
    assert!(s.contains("/svc-▏91"), "the cursor mark is drawn where the cursor is: {s}");
    ctrl(&mut app, 'e');
    typed(&mut app, "0");
    assert_eq!(app.overview.filter_text, "svc-910");
}

/// A Prometheus that answers with nothing yet (the demo's before its history is filled, a fresh server):
/// the header and each row say they are waiting for data, not "updated 0s ago" over 0/0; once one
/// service has data, the others say they have none.
#[test]
fn answers_with_nothing_in_them_say_waiting_for_data() {
    let mut app = App::new(&fixtures::config(3), t0());
    let empty = ServiceFigures { at: t0(), up: Some((0, 0)), ..Default::default() };
    let rows = app.services.iter().map(|v| (v.service.name.clone(), empty.clone())).collect();
    app.on_update(Update::Round(rows));
    app.now = t0();
    let s = screen(&app, 120, 40);
    assert!(s.contains("waiting for data") && !s.contains("updated"), "{s}");
    let waiting_rows = s.lines().filter(|l| l.contains("0/0") && l.contains(" waiting ")).count();
    assert_eq!((waiting_rows, s.matches("no data").count()), (3, 0), "{s}");
    let name = app.services[0].service.name.clone();
    let data = ServiceFigures { at: t0(), up: Some((1, 1)), rate: Some(3.0), ..Default::default() };
    app.on_update(Update::Round(vec![(name, data)]));
    let s = screen(&app, 120, 40);
    assert!(s.contains("updated now") && s.matches("no data").count() == 2, "{s}");
}
