//! Full-frame render cost: the overview of 20 services at 200x60, the detail screen, and one frame
//! through ratatui's diff when only the clock changed (what the console does once a second when idle).
use chrono::{DateTime, Duration as CDuration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::time::Duration;
use watchpost::alerts::model::{Alert, AlertState, display_pairs, fingerprint};
use watchpost::app::App;
use watchpost::config::{Config, Service};
use watchpost::slo::Targets;
use watchpost::sources::alertmanager::AlertUpdate;
use watchpost::sources::prometheus::{DetailCharts, Series, ServiceFigures, Sparks, Update};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-14T03:00:00Z").unwrap().with_timezone(&Utc)
}

fn wave(n: usize, base: f64) -> Vec<(f64, f64)> {
    let end = t0().timestamp() as f64;
    (0..n).map(|i| (end - 60.0 * (n - i) as f64, base * (1.0 + 0.3 * (i as f64 / 5.0).sin()))).collect()
}

fn app(n: usize) -> App {
    let mut c = Config::from_env(Some("http://localhost:9090")).unwrap();
    c.services = (0..n)
        .map(|i| {
            let mut s = Service::conventional(&format!("service-{i:02}"), Targets::default());
            s.labels.insert("team".into(), format!("team-{:02}", i % 12));
            s
        })
        .collect();
    c.overview.group_by = Some("team".into());
    let mut app = App::new(&c, t0());
    for i in 0..n {
        let f = i as f64;
        let figures = ServiceFigures {
            at: t0(),
            up: Some((3, 3)),
            rate: Some(100.0 + f),
            error_ratio: Some(0.0005 * f),
            p95: Some(0.05 + 0.01 * f),
            saturation: Some(0.4),
            window_ratios: [Some(0.001), Some(0.001), Some(0.001), Some(0.001)],
            problems: vec![],
            partial: vec![],
        };
        let name = format!("service-{i:02}");
        app.on_update(Update::Figures { service: name.clone(), figures });
        let sparks = Sparks {
            at: t0(),
            availability: Some(0.9995),
            excluded: None,
            up: wave(60, 3.0),
            rate: wave(60, 100.0),
            error_ratio: wave(60, 0.001),
            p95: wave(60, 0.1),
        };
        app.on_update(Update::Sparks { service: name, sparks });
    }
    app
}

fn bench(c: &mut Criterion) {
    let overview = app(20);
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    c.bench_function("overview 200x60, 20 services", |b| {
        b.iter(|| {
            term.draw(|f| watchpost::ui::draw(black_box(&overview), f)).unwrap();
        })
    });

    let mut detail = app(20);
    detail.act(watchpost::app::keymap::Action::Open);
    let s = |base| vec![Series { labels: vec![], points: wave(120, base) }];
    let charts = DetailCharts {
        at: t0(),
        range: Duration::from_secs(7200),
        rate: s(100.0),
        error_ratio: s(0.001),
        p95: s(0.1),
        saturation: s(0.5),
        problems: vec![],
    };
    detail.on_update(Update::Detail { service: "service-00".into(), charts: Ok(charts), targets: Ok(vec![]) });
    c.bench_function("detail 200x60", |b| {
        b.iter(|| {
            term.draw(|f| watchpost::ui::draw(black_box(&detail), f)).unwrap();
        })
    });

    // The Alerts screen with 5 000 alerts in 40 groups (only the rows that fit are built).
    let mut alerting = app(20);
    alerting.alerts.configured = true;
    alerting.alerts.group_by = vec!["alertname".into()];
    let alerts: Vec<Alert> = (0..5_000)
        .map(|i| {
            let raw: watchpost::engine::Labels = [
                ("alertname".to_string(), format!("Alert{:02}", i % 40)),
                ("job".to_string(), format!("service-{:02}", i % 20)),
                ("severity".to_string(), if i % 7 == 0 { "critical" } else { "warning" }.to_string()),
            ]
            .into();
            let ann: watchpost::engine::Labels =
                [("summary".to_string(), format!("something is wrong with {i}"))].into();
            Alert {
                fingerprint: fingerprint(&raw),
                source: "am".into(),
                labels: display_pairs(&raw),
                annotations: display_pairs(&ann),
                raw_labels: raw,
                state: AlertState::Active,
                silenced_by: vec![],
                inhibited_by: vec![],
                starts_at: t0() - CDuration::minutes(i64::from(i)),
                ends_at: None,
                updated_at: None,
                generator_url: Default::default(),
            }
        })
        .collect();
    alerting.on_alert_update(AlertUpdate::Snapshot { at: t0(), alerts, silences: vec![], errors: vec![] });
    alerting.screen = watchpost::app::Screen::Alerts;
    c.bench_function("alerts 200x60, 5 000 alerts", |b| {
        b.iter(|| {
            term.draw(|f| watchpost::ui::draw(black_box(&alerting), f)).unwrap();
        })
    });

    // A thousand services, worst first and grouped by team: a key and the frame it causes (what an
    // operator waits for when moving down the overview).
    let mut estate = app(1000);
    estate.overview.sort = watchpost::screens::overview::state::SortKey::Worst;
    let mut wide = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let down = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('j'));
    c.bench_function("overview 120x40, 1 000 services grouped worst first: key j + frame", |b| {
        b.iter(|| {
            estate.on_key(down);
            wide.draw(|f| watchpost::ui::draw(&estate, f)).unwrap();
        })
    });
    let slash = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('/'));
    estate.on_key(slash);
    let typed = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('7'));
    let erase = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Backspace);
    c.bench_function("overview 120x40, 1 000 services: a filter key typed + frame", |b| {
        b.iter(|| {
            estate.on_key(typed);
            wide.draw(|f| watchpost::ui::draw(&estate, f)).unwrap();
            estate.on_key(erase);
        })
    });

    let mut ticking = app(20);
    let mut second = 0;
    c.bench_function("overview 200x60, clock tick only", |b| {
        b.iter(|| {
            second += 1;
            ticking.on_tick(t0() + CDuration::seconds(second));
            term.draw(|f| watchpost::ui::draw(&ticking, f)).unwrap();
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
