//! Environments in the console: the header says which, always and in its colour; `N` goes to the next
//! one (asking first when something runs), keeping the screen and the selected service; a read-only
//! environment refuses every action where it is asked for; production asks for its name to be typed
//! with the service's; and the audit trail records the environment of each action.
use crate::support::{self, fixtures, key, typed};
use crossterm::event::KeyCode;
use watchpost::app::event_loop::Resume;
use watchpost::app::{App, Screen};
use watchpost::config::environment::Environment;

/// `n` services in environment `env` of production, staging and development.
fn app_in(env: &str, read_only: bool) -> App {
    let mut cfg = fixtures::config(5);
    cfg.environment = Some(Environment { name: env.into(), colour: None });
    cfg.environments = vec!["production".into(), "staging".into(), "development".into()];
    cfg.read_only = read_only;
    let mut app = fixtures::app(5);
    let fresh = App::new(&cfg, fixtures::t0());
    (app.environment, app.environments, app.read_only) = (fresh.environment, fresh.environments, fresh.read_only);
    app
}

#[test]
fn the_header_says_which_environment_at_every_width() {
    let prod = app_in("production", false);
    let wide = support::screen(&prod, 120, 40);
    let narrow = support::screen(&prod, 80, 24);
    for s in [&wide, &narrow] {
        assert!(s.lines().next().unwrap().contains(" production "), "{s}");
    }
    insta::assert_snapshot!("environment_header_120x40", wide);
    insta::assert_snapshot!("environment_header_80x24", narrow);
    let dev = support::screen(&app_in("development", true), 80, 24);
    let header = dev.lines().next().unwrap();
    assert!(header.contains(" development ") && header.contains("READ-ONLY"), "{header}");
    let dev_wide = support::screen(&app_in("development", true), 140, 40);
    assert!(dev_wide.lines().last().unwrap().contains("N next env"), "the footer offers the switch: {dev_wide}");
    // Without environments: no badge, no key offered.
    let plain = support::screen(&fixtures::app(5), 120, 40);
    assert!(!plain.contains("N next env") && !plain.contains(" production "), "{plain}");
}

/// Production is red, staging yellow, development green (the theme's alarm, warning and good colours),
/// unless the config gives one.
#[test]
fn each_environment_has_its_colour() {
    let fg = |env: &str, colour: Option<&str>| {
        let mut app = app_in(env, false);
        app.environment.as_mut().unwrap().colour = colour.and_then(watchpost::config::theme::Colour::parse);
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        term.draw(|f| watchpost::ui::draw(&app, f)).unwrap();
        let buf = term.backend().buffer();
        let line: String = (0..120).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        let x = line.find(env).map(|b| line[..b].chars().count()).unwrap() as u16;
        buf[(x, 0)].fg
    };
    let theme = watchpost::ui::theme::Theme::default();
    assert_eq!(fg("production", None), theme.bad);
    assert_eq!(fg("staging", None), theme.warn);
    assert_eq!(fg("development", None), theme.good);
    assert_eq!(fg("staging", Some("#112233")), ratatui::style::Color::Rgb(0x11, 0x22, 0x33));
}

#[test]
fn n_goes_to_the_next_environment_and_keeps_the_screen_and_the_service() {
    let mut app = app_in("staging", false);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Detail);
    typed(&mut app, "N");
    assert_eq!(app.switch_to.as_deref(), Some("development"));
    let service = app.services[app.selected].service.name.clone();

    // The next environment opens where this one was left.
    let mut next = app_in("development", false);
    next.resume(&Resume { screen: Some(Screen::Detail), service: Some(service.clone()) });
    assert_eq!((next.screen, next.services[next.selected].service.name.clone()), (Screen::Detail, service));
    // A service it does not have: its overview, not another service's detail.
    let mut other = app_in("production", false);
    other.resume(&Resume { screen: Some(Screen::Detail), service: Some("nowhere".into()) });
    assert_eq!(other.screen, Screen::Overview);
    other.resume(&Resume { screen: Some(Screen::Alerts), service: Some("nowhere".into()) });
    assert_eq!(other.screen, Screen::Alerts);

    // From the last, the first; with one environment only, it says why nothing happens.
    let mut last = app_in("development", false);
    typed(&mut last, "N");
    assert_eq!(last.switch_to.as_deref(), Some("production"));
    let mut one = fixtures::app(3);
    typed(&mut one, "N");
    assert!(one.switch_to.is_none());
    assert!(one.notice_here().unwrap().contains("One environment only"), "{:?}", one.notice_here());
}

#[test]
fn a_read_only_environment_refuses_actions_where_they_are_asked_for() {
    let mut app = app_in("development", true);
    app.alerts.configured = true;
    typed(&mut app, "S");
    typed(&mut app, "n");
    assert!(app.alerts.editor.is_none(), "the silence form does not open");
    let s = support::screen(&app, 100, 30);
    assert!(s.contains("Not done (silence): development is read-only."), "{s}");
    typed(&mut app, "I");
    typed(&mut app, "a");
    assert!(app.take_incident_commands().is_empty());
    assert_eq!(app.read_only_refusal("rollback").as_deref(), Some("Not done (rollback): development is read-only."));
    // The same console elsewhere acts.
    let mut prod = app_in("production", false);
    prod.alerts.configured = true;
    typed(&mut prod, "S");
    typed(&mut prod, "n");
    assert!(prod.alerts.editor.is_some());
    let s = support::screen(&prod, 100, 30);
    assert!(s.contains("New silence in production"), "the form says where: {s}");
}

/// In production a destructive action's confirmation is the environment and the service, typed.
#[test]
fn production_asks_for_its_name_with_the_service() {
    assert_eq!(app_in("production", false).confirm_word("checkout"), "production/checkout");
    assert_eq!(app_in("staging", false).confirm_word("checkout"), "checkout");
    assert_eq!(fixtures::app(2).confirm_word("checkout"), "checkout");
}

/// Every action's record says where it was done.
#[test]
fn the_audit_trail_names_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let mut audit = watchpost::ops::audit::Audit::open(&dir.path().join("audit.db")).unwrap();
    let env = Environment { name: "production".into(), colour: None };
    let who = watchpost::ops::who::Who::current().in_environment(Some(&env));
    let values = serde_json::json!({"service": "checkout"});
    audit.record(&who, chrono::Utc::now(), "rollback", "checkout", &values, "intent").unwrap();
    let plain = watchpost::ops::who::Who::current();
    audit.record(&plain, chrono::Utc::now(), "silence.create", "new", &values, "intent").unwrap();
    let entries = audit.entries().unwrap();
    let vals: Vec<serde_json::Value> = entries.iter().map(|e| serde_json::from_str(&e.values).unwrap()).collect();
    assert_eq!(vals[0]["environment"], "production");
    assert_eq!(vals[0]["service"], "checkout");
    assert!(vals[1].get("environment").is_none(), "without environments, none is written");
    assert!(audit.verify().unwrap().1.is_empty(), "the chain holds");
}

/// Two real Prometheus servers as two environments, each read by its own task: the one killed says so
/// in its server's words (the connection refused), and the other stays fresh all the while.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_environment_never_holds_up_the_others() {
    use std::time::Duration;
    // Each scrapes a target that is not there: `up` is 0, which is data enough to be read.
    let scrape = "scrape_configs:\n  - job_name: api\n    static_configs: [{targets: ['127.0.0.1:9']}]\n";
    let (mut a, b) = tokio::task::spawn_blocking(move || {
        let a = crate::support::Prometheus::with_scrape_configs(scrape);
        let b = crate::support::Prometheus::with_scrape_configs(scrape);
        (a, b)
    })
    .await
    .unwrap();
    let env = |name: &str, url: &str| {
        let mut c = watchpost::config::Config::from_env(Some(url)).unwrap();
        c.environment = Some(Environment { name: name.into(), colour: None });
        c.services = vec![watchpost::config::Service::conventional("prometheus", c.slo_defaults.clone())];
        c.services[0].queries.up = "up{job=\"api\"}".into();
        c.discover = false;
        c
    };
    let envs = [env("production", &a.url()), env("staging", &b.url())];
    let (mut rx, _handles) =
        watchpost::sources::environment::spawn_every(&envs, Duration::from_millis(500), Duration::from_secs(5));
    let mut last: std::collections::BTreeMap<String, watchpost::sources::environment::Summary> = Default::default();
    macro_rules! next {
        () => {{
            let (name, s) = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("a summary").unwrap();
            (name, *s)
        }};
    }
    // Both read.
    while last.len() < 2 || last.values().any(|s| s.at.is_none()) {
        let (n, s) = next!();
        last.insert(n, s);
    }
    tokio::task::spawn_blocking(move || a.kill()).await.unwrap();
    let killed_at = chrono::Utc::now();
    // Production says why; staging keeps coming, each round newer than the kill.
    let (mut down, mut fresh) = (None, 0);
    while down.is_none() || fresh < 3 {
        let (n, s) = next!();
        if n == "production" {
            down = down.or(s.prometheus_error.clone());
        } else if s.at.is_some_and(|at| at > killed_at) {
            assert!(s.prometheus_error.is_none(), "{s:?}");
            fresh += 1;
        }
    }
    let why = down.unwrap();
    assert!(why.as_str().to_lowercase().contains("connect"), "the network's own words: {why}");
    drop(b);
}

/// Production open, staging read by its task (checkout's next version failing more requests, an alert
/// firing), development's Prometheus not answering: the Environments screen, and checkout across them.
fn three_environments() -> App {
    use watchpost::sources::environment::Summary;
    use watchpost::text::Clean;
    let mut app = app_in("production", false);
    let services: Vec<_> = app.services.iter().map(|v| v.service.clone()).collect();
    let mut figures: Vec<_> = app.services.iter().map(|v| v.figures.clone().unwrap_or_default()).collect();
    let checkout = services.iter().position(|s| s.name == "checkout").unwrap();
    figures[checkout].error_ratio = Some(0.0127);
    figures[checkout].window_ratios = [Some(0.0127); 4];
    let availability = app.services.iter().map(|v| v.availability()).collect();
    let staging = Summary {
        at: Some(fixtures::t0()),
        services: services.clone(),
        figures,
        availability,
        firing: Some(vec![(Clean::new("critical"), 1)]),
        ..Summary::default()
    };
    app.on_environment("staging".into(), staging);
    let down = Summary {
        services,
        prometheus_error: Some(Clean::new("cannot connect: Connection refused (os error 111)")),
        ..Summary::default()
    };
    app.on_environment("development".into(), down);
    let version = |v: &str, days: i64, current: bool| watchpost::deploy::Version {
        revision: v.into(),
        version: v.into(),
        at: Some(fixtures::t0() - chrono::Duration::days(days)),
        by: None,
        cause: None,
        current,
    };
    app.envs.history.insert(
        ("production".into(), "checkout".into()),
        Ok(vec![version("5.1.9", 9, false), version("5.2.0", 4, true)]),
    );
    app.envs
        .history
        .insert(("staging".into(), "checkout".into()), Ok(vec![version("5.2.0", 3, false), version("5.2.1", 0, true)]));
    app.envs
        .history
        .insert(("development".into(), "checkout".into()), Err(Clean::new("no deploy provider for it here")));
    app
}

#[test]
fn every_environment_on_one_screen() {
    let mut app = three_environments();
    typed(&mut app, "V");
    assert_eq!(app.screen, Screen::Environments);
    let wide = support::screen(&app, 120, 40);
    assert!(wide.contains("1 critical") && wide.contains("✖ down"), "{wide}");
    insta::assert_snapshot!("environments_120x40", wide);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    let narrow = support::screen(&app, 80, 24);
    assert!(narrow.contains("Connection refused"), "the server's words: {narrow}");
    insta::assert_snapshot!("environments_80x24", narrow);
    // Enter opens one: the console leaves for it.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.switch_to.as_deref(), Some("staging"));
}

#[test]
fn a_service_across_environments() {
    let mut app = three_environments();
    let checkout = app.services.iter().position(|v| v.service.name == "checkout").unwrap();
    app.selected = checkout;
    typed(&mut app, "e");
    assert_eq!(app.screen, Screen::Across);
    assert_eq!(
        app.take_effects()
            .iter()
            .filter(|e| matches!(e, watchpost::app::message::Effect::AcrossHistory(s, _) if s == "checkout"))
            .count(),
        1
    );
    // The histories asked for were answered (in the test, put back as they came).
    let answered = three_environments().envs.history;
    app.envs.history = answered;
    let wide = support::screen(&app, 120, 40);
    assert!(wide.contains("in trouble in staging only"), "{wide}");
    assert!(wide.contains("Versions differ: production 5.2.0, staging 5.2.1"), "{wide}");
    insta::assert_snapshot!("across_120x40", wide);
    insta::assert_snapshot!("across_80x24", support::screen(&app, 80, 24));
    // Enter on staging: its detail there.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!((app.switch_to.as_deref(), app.screen), (Some("staging"), Screen::Detail));
}

/// A calendar SLO (development's 95 % in business hours) is judged by its own figures: availability and
/// burn rates over those hours alone, the budget the share of those hours the objective allows; the
/// panel says which hours count, and outside them that nothing is being spent.
#[test]
fn a_business_hours_slo_counts_its_hours_alone() {
    use watchpost::sources::prometheus::Update;
    use watchpost::sources::prometheus::figures::CalendarFigures;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/environments.toml");
    let envs = watchpost::config::load_file_environments(&path).unwrap();
    let dev = &envs.all[2];
    let cal = dev.services[0].targets.calendar.clone().expect("development counts business hours");
    assert_eq!(cal.describe(), "Mon–Fri 09:00–18:00 Europe/Berlin, 2 holidays");
    assert!(envs.all[0].services[0].targets.calendar.is_none(), "production counts every hour");

    let mut cfg = fixtures::config(2);
    for s in &mut cfg.services {
        (s.targets.availability, s.targets.calendar) = (0.95, Some(cal.clone()));
    }
    let mut app = App::new(&cfg, fixtures::t0());
    let name = app.services[0].service.name.clone();
    // 30 days of business hours: 21 working days of 9 hours (in March 2026 Berlin).
    let counted = std::time::Duration::from_secs(189 * 3600);
    let figures = CalendarFigures {
        at: fixtures::t0(),
        ratios: [None, None, Some(0.02), Some(0.01)],
        availability: Some(0.97),
        availability_at: Some(fixtures::t0()),
        counted,
    };
    app.on_update(Update::Calendar(vec![(name, figures)]));
    let v = &app.services[0];
    assert_eq!(v.availability(), Some(0.97));
    let budget = v.budget().unwrap();
    // 5 % of 189 hours is 9h27m; 3 % of them are spent: 40 % of the budget is left.
    assert!((budget.total_secs - 0.05 * 189.0 * 3600.0).abs() < 1.0, "{budget:?}");
    assert!((budget.remaining - 0.4).abs() < 1e-9, "{budget:?}");
    assert!((v.burn().h1.unwrap() - 0.4).abs() < 1e-9, "2 % errors on a 5 % allowance");
    let s = support::screen(&app, 120, 40);
    assert!(s.contains("over 30d, Mon–Fri 09:00–18:00 Europe/Berlin, 2 holidays only"), "{s}");
    // t0 is a Saturday, 03:00 UTC.
    assert!(s.contains("Not counting now: outside Mon–Fri 09:00–18:00 Europe/Berlin"), "{s}");
    assert!(s.contains("9h27m"), "the budget in business hours: {s}");
    // At 80x24 too: the hours in the panel's title, and the burn line says nothing is counted now.
    let narrow = support::screen(&app, 80, 24);
    assert!(narrow.contains("SLO 95.000% over 30d, Mon–Fri 09:00–18:00 Europe/Berlin"), "{narrow}");
    assert!(narrow.contains("Not counting now: outside its hours, no budget is spent."), "{narrow}");
}

/// A calendar SLO's figures from a real Prometheus: the exporter fails 1 % of its requests, so over a
/// calendar that counts every hour the burn windows' error ratio is 1 %, and over one that counts no
/// hour of today there is nothing to count (no burn, no budget spent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_figures_from_a_real_prometheus() {
    use watchpost::slo::Calendar;
    use watchpost::sources::prometheus::figures::{CalendarSteps, poll_calendar_in};
    let prom = tokio::task::spawn_blocking(|| {
        let shop = crate::support::exporter::start();
        let scrape =
            format!("scrape_configs:\n  - job_name: shop\n    static_configs: [{{targets: ['127.0.0.1:{shop}']}}]\n");
        let prom = crate::support::Prometheus::with_scrape_configs(&scrape);
        // Two rate windows of samples, so the last five minutes' rate exists.
        prom.wait_for("rate(http_requests_total{job=\"shop\",code=\"500\"}[5m]) > 0");
        prom
    })
    .await
    .unwrap();
    let source = watchpost::config::HttpSource::new(url::Url::parse(&prom.url()).unwrap());
    let p = watchpost::sources::prometheus::Prometheus::new(&source).unwrap();
    let every_hour = Calendar {
        days: [true; 7],
        from: chrono::NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
        to: chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap(),
        ..Calendar::business_hours(chrono_tz::UTC)
    };
    let today = chrono::Utc::now().date_naive();
    let not_today =
        Calendar { holidays: vec![today, today.pred_opt().unwrap(), today.succ_opt().unwrap()], ..every_hour.clone() };
    let svc = |name: &str, cal: &Calendar| {
        let mut s = watchpost::config::Service::conventional("shop", Default::default());
        s.name = name.into();
        (s.targets.calendar, s.targets.window) = (Some(cal.clone()), std::time::Duration::from_secs(3600));
        s
    };
    let services = [svc("counted", &every_hour), svc("holiday", &not_today)];
    // Ten-second steps (the console's are five minutes and an hour): the newest with data comes soon.
    let steps = CalendarSteps { burn: std::time::Duration::from_secs(10), window: std::time::Duration::from_secs(60) };
    // The step under way counts: a Prometheus seconds old has an availability at once (no waiting for
    // the first whole step to pass).
    let first = poll_calendar_in(&p, &services, chrono::Utc::now(), true, steps).await.expect("answers");
    let a = first[0].availability.expect("the minute under way is counted");
    assert!((a - 0.99).abs() < 1e-6, "1 % of requests fail: {a}");
    let mut found = None;
    for _ in 0..40 {
        let f = poll_calendar_in(&p, &services, chrono::Utc::now(), true, steps).await.expect("answers");
        if f[0].ratios[0].is_some() {
            found = Some(f);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    let f = found.expect("a step with data");
    let r = f[0].ratios[0].unwrap();
    assert!((r - 0.01).abs() < 1e-6, "1 % of requests fail: {r}");
    assert!((f[0].ratios[3].unwrap() - 0.01).abs() < 1e-6, "over 6 h as well");
    assert_eq!(f[1].ratios, [None; 4], "nothing counted on a holiday");
    assert!(f[0].counted > std::time::Duration::ZERO && f[1].counted < f[0].counted);
}

/// A service looked at across environments takes the deploy histories of its own ask only: an answer
/// to an earlier ask that arrives late (with a summary sent meanwhile) is not shown as current.
#[test]
fn across_takes_only_the_answers_to_its_own_ask() {
    use watchpost::sources::environment::Summary;
    let mut app = three_environments();
    app.envs.history.clear();
    let checkout = app.services.iter().position(|v| v.service.name == "checkout").unwrap();
    app.selected = checkout;
    typed(&mut app, "e");
    let seq = app.envs.history_seq;
    let answer = |seq: u64, v: &str| {
        let mut s = Summary::default();
        let version = watchpost::deploy::Version {
            revision: v.into(),
            version: v.into(),
            at: None,
            by: None,
            cause: None,
            current: true,
        };
        s.history.insert("checkout".into(), (seq, Ok(vec![version])));
        s
    };
    app.on_environment("staging".into(), answer(seq - 1, "old"));
    assert!(!app.envs.history.contains_key(&("staging".to_string(), "checkout".to_string())), "an earlier ask's");
    app.on_environment("staging".into(), answer(seq, "5.2.1"));
    let h = app.envs.history.get(&("staging".to_string(), "checkout".to_string())).unwrap();
    assert_eq!(h.as_ref().unwrap()[0].version, "5.2.1");
}

/// A calendar SLO's availability is aged from when it was asked, not from the burn windows' newer round.
#[test]
fn a_calendar_availability_keeps_its_own_age() {
    use watchpost::sources::prometheus::Update;
    use watchpost::sources::prometheus::figures::CalendarFigures;
    let mut cfg = fixtures::config(1);
    cfg.services[0].targets.calendar = Some(watchpost::slo::Calendar::business_hours(chrono_tz::UTC));
    let mut app = App::new(&cfg, fixtures::t0());
    let name = app.services[0].service.name.clone();
    let asked = fixtures::t0() - chrono::Duration::minutes(20);
    let whole =
        CalendarFigures { at: asked, availability: Some(0.99), availability_at: Some(asked), ..Default::default() };
    app.on_update(Update::Calendar(vec![(name.clone(), whole)]));
    let burns = CalendarFigures { at: fixtures::t0(), ratios: [Some(0.0); 4], ..Default::default() };
    app.on_update(Update::Calendar(vec![(name, burns)]));
    let c = app.services[0].calendar.as_ref().unwrap();
    assert_eq!((c.availability, c.availability_at, c.at), (Some(0.99), Some(asked), fixtures::t0()));
    assert!(support::screen(&app, 120, 40).contains("as of 20m ago"), "the availability's own age");
}
