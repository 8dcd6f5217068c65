//! What watchpost asks Prometheus about a service, and the owned results it sends to the UI.
use super::api::{QueryOutcome, Series};
use super::batch;
use super::client::Prometheus;
use crate::config::{Queries, Service};
use crate::sources::http::FetchError;
use crate::text::Clean;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use std::time::Duration;

const MIN: Duration = Duration::from_secs(60);

/// Short and long windows of the burn-rate alerts.
pub const BURN_WINDOWS: [Duration; 4] = [
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
];
/// Sparklines cover the last hour, one point a minute.
pub const SPARK_RANGE: Duration = Duration::from_secs(3600);

/// Instant figures of one service, all evaluated at `at`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceFigures {
    pub at: DateTime<Utc>,
    /// (targets up, targets total)
    pub up: Option<(u32, u32)>,
    pub rate: Option<f64>,
    pub error_ratio: Option<f64>,
    pub p95: Option<f64>,
    pub saturation: Option<f64>,
    /// Error ratios over 5m, 30m, 1h, 6h (burn rates follow from the objective).
    pub window_ratios: [Option<f64>; 4],
    /// Queries that the server refused, with its reason.
    pub problems: Vec<Clean>,
    /// Figures built from a partial answer (Prometheus's `warnings`: a remote store or shard that did
    /// not answer), each with the server's words: the figure is drawn, marked as partial.
    pub partial: Vec<Clean>,
}

/// The slow lane: availability over the whole SLO window and the last hour's sparklines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sparks {
    pub at: DateTime<Utc>,
    pub availability: Option<f64>,
    /// Maintenance windows left out of the availability (and so the budget): how many, how long.
    pub excluded: Option<(usize, std::time::Duration)>,
    /// Targets up, per minute.
    pub up: Vec<(f64, f64)>,
    pub rate: Vec<(f64, f64)>,
    pub error_ratio: Vec<(f64, f64)>,
    pub p95: Vec<(f64, f64)>,
}

/// The detail screen's charts over a chosen range.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DetailCharts {
    pub at: DateTime<Utc>,
    pub range: Duration,
    pub rate: Vec<Series>,
    pub error_ratio: Vec<Series>,
    pub p95: Vec<Series>,
    pub saturation: Vec<Series>,
    pub problems: Vec<Clean>,
}

/// The instant queries behind [`ServiceFigures`], in the order they are asked, exactly as sent: up, the
/// four current figures over the service's rate window, then the error ratio over each burn window that
/// is not the rate window (that one is already asked).
pub fn instant_queries(svc: &Service) -> Vec<String> {
    let (q, w) = (&svc.queries, svc.rate_window);
    let mut v = vec![
        q.up.clone(),
        Queries::at(&q.requests, w),
        q.error_ratio(w),
        Queries::at(&q.latency_p95, w),
        Queries::at(&q.saturation, w),
    ];
    v.extend(BURN_WINDOWS.iter().filter(|b| **b != w).map(|b| q.error_ratio(*b)));
    v
}

/// Range step for a chart range: about 120 points, never under 15 s.
pub fn step_for(range: Duration) -> Duration {
    Duration::from_secs((range.as_secs() / 120).max(15))
}

/// The rate window for charts: at least a minute, and at least two steps so no sample is skipped.
fn chart_window(step: Duration) -> Duration {
    (step * 2).max(MIN)
}

/// Every query failed for a reason that is the server's, not the query's: the source is down.
fn all_down(results: &[Result<QueryOutcome, FetchError>]) -> Option<FetchError> {
    let mut first = None;
    for r in results {
        match r {
            Ok(_) | Err(FetchError::Api { .. }) => return None,
            Err(e) => {
                first.get_or_insert_with(|| e.clone());
            }
        }
    }
    first
}

fn single(r: &Result<QueryOutcome, FetchError>, what: &str, problems: &mut Vec<Clean>) -> Option<f64> {
    match r {
        Ok(o) => o.result.single(),
        Err(e) => {
            problems.push(Clean::new(&format!("{what}: {e}")));
            None
        }
    }
}

pub async fn poll_figures(p: &Prometheus, svc: &Service, at: DateTime<Utc>) -> Result<ServiceFigures, FetchError> {
    let qs = instant_queries(svc);
    let results = join_all(qs.iter().map(|q| p.query(q, at))).await;
    if let Some(e) = all_down(&results) {
        return Err(e);
    }
    let mut problems = Vec::new();
    let up = match &results[0] {
        Ok(o) => {
            let s = o.result.series();
            let total = s.len() as u32;
            let up = s.iter().filter(|s| s.last() == Some(1.0)).count() as u32;
            Some((up, total))
        }
        Err(e) => {
            problems.push(Clean::new(&format!("up: {e}")));
            None
        }
    };
    let rate = single(&results[1], "request rate", &mut problems);
    let error_ratio = single(&results[2], "error ratio", &mut problems);
    let p95 = single(&results[3], "p95 latency", &mut problems);
    let saturation = single(&results[4], "saturation", &mut problems);
    let mut window_ratios = [None; 4];
    let mut rest = results[5..].iter();
    for (slot, w) in window_ratios.iter_mut().zip(BURN_WINDOWS) {
        *slot = if w == svc.rate_window {
            error_ratio
        } else {
            rest.next().and_then(|r| single(r, "burn rate", &mut problems))
        };
    }
    Ok(ServiceFigures { at, up, rate, error_ratio, p95, saturation, window_ratios, problems, partial: Vec::new() })
}

/// The availability over the SLO window without the maintenance windows in it (each `(start, end)`,
/// clipped to the window): requests and errors over the window, minus each window's own (read with
/// `@` at its end), from the service's `requests` and `errors` queries. `None` when nothing is
/// excluded (or the SLO does not allow it).
pub fn availability_excluding(
    svc: &Service,
    windows: &[(DateTime<Utc>, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Option<(String, usize, std::time::Duration)> {
    let w = svc.targets.window;
    let from = now - chrono::Duration::from_std(w).ok()?;
    let clipped: Vec<(DateTime<Utc>, DateTime<Utc>)> = windows
        .iter()
        .map(|(s, e)| ((*s).max(from), (*e).min(now)))
        .filter(|(s, e)| (*e - *s).num_seconds() >= 60)
        .collect();
    if !svc.targets.exclude_maintenance || clipped.is_empty() {
        return None;
    }
    let q = &svc.queries;
    // rate × seconds = the increase; a counter with no series counts 0.
    let over = |query: &str, secs: i64, at: Option<i64>| {
        let range = match at {
            Some(t) => format!("[{secs}s] @ {t}"),
            None => format!("[{secs}s]"),
        };
        format!("(({}) or vector(0)) * {secs}", query.replace(&format!("[{}]", crate::config::queries::WINDOW), &range))
    };
    let total = w.as_secs() as i64;
    let (mut errors, mut requests) = (over(&q.errors, total, None), over(&q.requests, total, None));
    let mut excluded = std::time::Duration::ZERO;
    for (s, e) in &clipped {
        let secs = (*e - *s).num_seconds();
        excluded += std::time::Duration::from_secs(secs as u64);
        errors.push_str(&format!(" - {}", over(&q.errors, secs, Some(e.timestamp()))));
        requests.push_str(&format!(" - {}", over(&q.requests, secs, Some(e.timestamp()))));
    }
    Some((format!("1 - ({errors}) / ({requests})"), clipped.len(), excluded))
}

/// The availability query over the SLO window.
pub fn availability_query(svc: &Service) -> String {
    match &svc.queries.availability {
        Some(q) => Queries::at(q, svc.targets.window),
        None => format!("1 - ({})", svc.queries.error_ratio(svc.targets.window)),
    }
}

pub async fn poll_detail(
    p: &Prometheus,
    svc: &Service,
    range: Duration,
    at: DateTime<Utc>,
) -> Result<DetailCharts, FetchError> {
    let step = step_for(range);
    let w = chart_window(step);
    let start = at - chrono::Duration::from_std(range).unwrap_or_default();
    let q = &svc.queries;
    let results = join_all([
        p.query_range(&Queries::at(&q.requests, w), start, at, step),
        p.query_range(&q.error_ratio(w), start, at, step),
        p.query_range(&Queries::at(&q.latency_p95, w), start, at, step),
        p.query_range(&Queries::at(&q.saturation, w), start, at, step),
    ])
    .await;
    if let Some(e) = all_down(&results) {
        return Err(e);
    }
    let mut problems = Vec::new();
    let mut series = results.into_iter().zip(["rate", "errors", "p95", "saturation"]).map(|(r, what)| match r {
        Ok(o) => o.result.series().to_vec(),
        Err(e) => {
            problems.push(Clean::new(&format!("{what}: {e}")));
            Vec::new()
        }
    });
    Ok(DetailCharts {
        at,
        range,
        rate: series.next().unwrap_or_default(),
        error_ratio: series.next().unwrap_or_default(),
        p95: series.next().unwrap_or_default(),
        saturation: series.next().unwrap_or_default(),
        problems,
    })
}

/// The query behind the KPIs without PagerDuty: when each service had a critical alert firing.
pub const INCIDENT_QUERY: &str = "max by (service, job) (ALERTS{alertstate=\"firing\",severity=~\"critical|page\"})";

/// Each service's incident spans over `window` up to `at`, from Prometheus's `ALERTS` series.
pub async fn poll_incidents(
    p: &Prometheus,
    window: Duration,
    at: DateTime<Utc>,
) -> Result<Vec<(String, Vec<crate::alerts::kpi::Span>)>, FetchError> {
    let step = Duration::from_secs(300).max(window / 10_000);
    let start = at - chrono::Duration::from_std(window).unwrap_or_default();
    let o = p.query_range(INCIDENT_QUERY, start, at, step).await?;
    let mut out: Vec<(String, Vec<crate::alerts::kpi::Span>)> = Vec::new();
    for s in o.result.series() {
        let Some(name) = s.label("service").or_else(|| s.label("job")) else { continue };
        let times: Vec<f64> = s.points.iter().map(|p| p.0).collect();
        let spans = crate::alerts::kpi::spans_from_points(&times, step, at);
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => v.extend(spans),
            None => out.push((name.to_string(), spans)),
        }
    }
    Ok(out)
}

/// The end of a range query aligned down to its step, and its start a `range` before: repeated refreshes
/// and other consoles ask the same, cacheable request (as Grafana aligns its range queries).
pub fn aligned(at: DateTime<Utc>, range: Duration, step: Duration) -> (DateTime<Utc>, DateTime<Utc>) {
    let step_ms = (step.as_millis() as i64).max(1);
    let end_ms = at.timestamp_millis().div_euclid(step_ms) * step_ms;
    let end = DateTime::from_timestamp_millis(end_ms).unwrap_or(at);
    (end - chrono::Duration::from_std(range).unwrap_or_default(), end)
}

/// Fill `out[i]` from each ask's answer, and name each failed ask's problem for the services it covers.
fn scatter(
    asks: &[batch::Ask],
    results: Vec<Result<QueryOutcome, FetchError>>,
    range: bool,
    mut put: impl FnMut(usize, batch::Slot, batch::Value),
    mut problem: impl FnMut(usize, Problem),
) {
    for (ask, r) in asks.iter().zip(results) {
        match r {
            Ok(o) => {
                // A partial answer names the figure it touched, once per warning, for every service in it.
                for w in &o.warnings {
                    let p = Clean::new(&format!("{}: {}", ask.slot.what(), w.raw()));
                    for i in ask.whom.services() {
                        problem(i, Problem::Partial(p.clone()));
                    }
                }
                for (i, v) in batch::split(ask, &o, range) {
                    put(i, ask.slot, v);
                }
            }
            Err(e) => {
                let p = Clean::new(&format!("{}: {e}", ask.slot.what()));
                for i in ask.whom.services() {
                    problem(i, Problem::Failed(p.clone()));
                }
            }
        }
    }
}

/// What went wrong with one figure of one service.
enum Problem {
    /// The query failed: no figure.
    Failed(Clean),
    /// The answer was partial: a figure, marked.
    Partial(Clean),
}

/// The asks behind every service's instant figures: one query per figure for all conventional services.
pub fn estate_instant_asks(services: &[Service]) -> Vec<batch::Ask> {
    use batch::Slot;
    batch::plan(services, |_, s| {
        let w = s.rate_window;
        let mut v = batch::up(s);
        v.push((Slot::Rate, batch::rate(s, w)));
        v.push((Slot::ErrorRatio, batch::error_ratio(s, w)));
        v.push((Slot::P95, batch::p95(s, w)));
        v.push((Slot::Saturation, batch::saturation(s, w)));
        v.extend(
            BURN_WINDOWS
                .iter()
                .enumerate()
                .filter(|(_, b)| **b != w)
                .map(|(i, b)| (Slot::Burn(i), batch::error_ratio(s, *b))),
        );
        v
    })
}

/// The instant figures of every service at `at`, in the order of `services`.
pub async fn poll_estate(
    p: &Prometheus,
    services: &[Service],
    at: DateTime<Utc>,
) -> Result<Vec<ServiceFigures>, FetchError> {
    poll_estate_plan(p, services, &batch::Plan::new(estate_instant_asks(services)), at).await
}

/// [`poll_estate`] with the asks planned already (`estate_instant_asks` of the same `services`): a
/// poller plans them once, not every round.
pub async fn poll_estate_plan(
    p: &Prometheus,
    services: &[Service],
    plan: &batch::Plan,
    at: DateTime<Utc>,
) -> Result<Vec<ServiceFigures>, FetchError> {
    use batch::{Slot, Value};
    let asks = &plan.asks;
    let results = batch::ask_plan(p, plan, batch::Eval::Instant(at)).await;
    if let Some(e) = all_down(&results) {
        return Err(e);
    }
    let mut out: Vec<ServiceFigures> = services.iter().map(|_| ServiceFigures { at, ..Default::default() }).collect();
    let mut counts: Vec<(Option<f64>, Option<f64>)> = vec![(None, None); services.len()];
    let mut problems: Vec<Vec<Clean>> = vec![Vec::new(); services.len()];
    let mut partial: Vec<Vec<Clean>> = vec![Vec::new(); services.len()];
    scatter(
        asks,
        results,
        false,
        |i, slot, v| {
            let f = &mut out[i];
            match (slot, v) {
                (Slot::UpSeries, Value::Up(up, total)) => f.up = Some((up, total)),
                (Slot::UpCount, Value::Instant(x)) => counts[i].0 = x,
                (Slot::UpTotal, Value::Instant(x)) => counts[i].1 = x,
                (Slot::Rate, Value::Instant(x)) => f.rate = x,
                (Slot::ErrorRatio, Value::Instant(x)) => f.error_ratio = x,
                (Slot::P95, Value::Instant(x)) => f.p95 = x,
                (Slot::Saturation, Value::Instant(x)) => f.saturation = x,
                (Slot::Burn(b), Value::Instant(x)) => f.window_ratios[b] = x,
                _ => {}
            }
        },
        |i, p| match p {
            Problem::Failed(p) => problems[i].push(p),
            Problem::Partial(p) if !partial[i].contains(&p) => partial[i].push(p),
            Problem::Partial(_) => {}
        },
    );
    for ((((f, svc), (up, total)), problems), partial) in
        out.iter_mut().zip(services).zip(counts).zip(problems).zip(partial)
    {
        f.problems = problems;
        f.partial = partial;
        if f.up.is_none()
            && f.problems.iter().all(|p| !p.as_str().starts_with("up:"))
            && svc.queries.convention.is_some()
        {
            // A job with no `up` series at all has no targets: 0 of 0, as its own query would say.
            f.up = Some((up.unwrap_or(0.0) as u32, total.unwrap_or(0.0) as u32));
        }
        if let Some(slot) = BURN_WINDOWS.iter().position(|b| *b == svc.rate_window) {
            f.window_ratios[slot] = f.error_ratio;
        }
    }
    Ok(out)
}

/// The last hour's sparklines of every service, one point a minute, aligned to the minute.
pub async fn poll_estate_sparks(
    p: &Prometheus,
    services: &[Service],
    at: DateTime<Utc>,
) -> Result<Vec<Sparks>, FetchError> {
    use batch::{Form, Slot, Value};
    let w = chart_window(MIN);
    let asks = batch::plan(services, |_, s| {
        let up = match batch::up(s).first() {
            Some((Slot::UpCount, f)) => f.clone(),
            _ => Form::One(format!("sum({})", s.queries.up)),
        };
        vec![
            (Slot::UpCount, up),
            (Slot::Rate, batch::rate(s, w)),
            (Slot::ErrorRatio, batch::error_ratio(s, w)),
            (Slot::P95, batch::p95(s, w)),
        ]
    });
    let (start, end) = aligned(at, SPARK_RANGE, MIN);
    let results = batch::ask_all(p, &asks, batch::Eval::Range { start, end, step: MIN }).await;
    if let Some(e) = all_down(&results) {
        return Err(e);
    }
    let mut out: Vec<Sparks> = services.iter().map(|_| Sparks { at, ..Default::default() }).collect();
    scatter(
        &asks,
        results,
        true,
        |i, slot, v| {
            let (s, Value::Points(pts)) = (&mut out[i], v) else { return };
            match slot {
                Slot::UpCount => s.up = pts,
                Slot::Rate => s.rate = pts,
                Slot::ErrorRatio => s.error_ratio = pts,
                Slot::P95 => s.p95 = pts,
                _ => {}
            }
        },
        |_, _| {},
    );
    Ok(out)
}

/// A service's availability over its SLO window, and the maintenance windows left out of it (how many,
/// how long).
pub type Availability = (Option<f64>, Option<(usize, Duration)>);

/// Each service's availability over its SLO window (and the maintenance left out of it), in the order
/// of `services`. Services with maintenance to leave out are asked on their own.
pub async fn poll_estate_availability(
    p: &Prometheus,
    services: &[Service],
    at: DateTime<Utc>,
    maintenance: &super::poller::Maintenance,
) -> Result<Vec<Availability>, FetchError> {
    use batch::{Form, Slot, Value};
    let excluding: Vec<Option<(String, usize, Duration)>> = services
        .iter()
        .map(|s| availability_excluding(s, maintenance.get(&s.name).map_or(&[][..], Vec::as_slice), at))
        .collect();
    let asks = batch::plan(services, |i, s| {
        let form = match &excluding[i] {
            Some((q, ..)) => Form::One(q.clone()),
            None => batch::availability(s),
        };
        vec![(Slot::Availability, form)]
    });
    let results = batch::ask_all(p, &asks, batch::Eval::Instant(at)).await;
    if let Some(e) = all_down(&results) {
        return Err(e);
    }
    let mut out: Vec<Availability> = excluding.iter().map(|e| (None, e.as_ref().map(|(_, n, d)| (*n, *d)))).collect();
    scatter(
        &asks,
        results,
        false,
        |i, _, v| {
            if let Value::Instant(x) = v {
                out[i].0 = x;
            }
        },
        |_, _| {},
    );
    Ok(out)
}

#[cfg(test)]
mod maintenance_tests {
    use super::*;
    #[test]
    fn windows_are_taken_out_of_the_availability() {
        let mut svc =
            Service::conventional("db", crate::slo::Targets { exclude_maintenance: true, ..Default::default() });
        let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z").unwrap().with_timezone(&Utc);
        let w = |d: i64, h: i64| {
            (now - chrono::Duration::days(d), now - chrono::Duration::days(d) + chrono::Duration::hours(h))
        };
        let (q, n, d) = availability_excluding(&svc, &[w(3, 2), w(40, 2)], now).unwrap();
        assert_eq!((n, d), (1, std::time::Duration::from_secs(7200)), "one inside the window");
        assert!(q.contains("[7200s] @ 1795701600"), "{q}");
        assert!(promql_parser::parser::parse(&q).is_ok(), "{q}");
        svc.targets.exclude_maintenance = false;
        assert!(availability_excluding(&svc, &[w(3, 2)], now).is_none());
    }
}

/// A calendar SLO's figures (`[slo] calendar`): its error ratios over the counted part of each burn
/// window, its availability over the counted part of the SLO window, and how much of that window is
/// counted (the budget's size).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CalendarFigures {
    pub at: DateTime<Utc>,
    /// Over 5m, 30m, 1h and 6h as [`BURN_WINDOWS`]: `None` for a window with no counted time in it.
    pub ratios: [Option<f64>; 4],
    /// `None` until asked (it is asked less often), and when it was.
    pub availability: Option<f64>,
    pub availability_at: Option<DateTime<Utc>>,
    pub counted: Duration,
}

/// The steps a calendar SLO's figures are added up in: the burn windows', and the SLO window's.
#[derive(Clone, Copy, Debug)]
pub struct CalendarSteps {
    pub burn: Duration,
    pub window: Duration,
}

/// Five minutes for the burn windows (the shortest is five minutes), an hour for the SLO window (a
/// month of hours is 720 points a series).
pub const CALENDAR_STEPS: CalendarSteps =
    CalendarSteps { burn: Duration::from_secs(300), window: Duration::from_secs(3600) };

/// Every calendar SLO's figures at `at`, from per-step requests and errors (two range queries for all
/// conventional services, as every other figure): the last 6 h at five minutes for the burn windows,
/// and with `window`, the SLO window at an hour. Points are counted by the share of their step inside
/// the calendar's hours.
pub async fn poll_calendar(
    p: &Prometheus,
    services: &[Service],
    at: DateTime<Utc>,
    window: bool,
) -> Result<Vec<CalendarFigures>, FetchError> {
    poll_calendar_in(p, services, at, window, CALENDAR_STEPS).await
}

/// [`poll_calendar`] in other steps (a test's seconds).
pub async fn poll_calendar_in(
    p: &Prometheus,
    services: &[Service],
    at: DateTime<Utc>,
    window: bool,
    steps: CalendarSteps,
) -> Result<Vec<CalendarFigures>, FetchError> {
    use crate::slo::calendar::{self, at as instant};
    use batch::{Slot, Value};
    let step_of = |d: Duration| chrono::Duration::from_std(d).unwrap_or_default();
    let ask = |step: Duration, range: Duration, end: DateTime<Utc>| {
        let asks = batch::plan(services, |_, s| {
            vec![(Slot::Rate, batch::rate(s, step)), (Slot::Errors, batch::errors(s, step))]
        });
        let start = end - step_of(range) + step_of(step);
        (asks, batch::Eval::Range { start, end, step })
    };
    // Steps end on the step's multiples (each point is the whole step before it, so an hour is inside
    // business hours or not, never a guess at how much), the last one after `at`: the step under way,
    // asked at its end, is what came in since the last multiple. Without it the figures would wait
    // up to a step (an hour) for anything new, and a service with less than a step of history would
    // have none.
    let ceil = |t: DateTime<Utc>, step: Duration| {
        let s = step.as_secs().max(1) as i64;
        let secs = t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0);
        DateTime::from_timestamp((secs + s - 1).div_euclid(s) * s, 0).unwrap_or(t)
    };
    let mut out: Vec<CalendarFigures> =
        services.iter().map(|_| CalendarFigures { at, ..CalendarFigures::default() }).collect();
    let series = |asks: &[batch::Ask], results: Vec<Result<QueryOutcome, FetchError>>, step: Duration| {
        let secs = step.as_secs_f64();
        let mut req: Vec<Vec<(DateTime<Utc>, f64)>> = vec![Vec::new(); services.len()];
        let mut err = req.clone();
        scatter(
            asks,
            results,
            true,
            |i, slot, v| {
                if let Value::Points(points) = v {
                    let inc: Vec<(DateTime<Utc>, f64)> = points.iter().map(|(t, r)| (instant(*t), r * secs)).collect();
                    match slot {
                        Slot::Rate => req[i] = inc,
                        Slot::Errors => err[i] = inc,
                        _ => {}
                    }
                }
            },
            |_, _| {},
        );
        (req, err)
    };
    let end = ceil(at, steps.burn);
    // One step more than the longest window: its start falls inside a step.
    let (asks, eval) = ask(steps.burn, BURN_WINDOWS[3] + steps.burn, end);
    let results = batch::ask_all(p, &asks, eval).await;
    if let Some(e) = all_down(&results) {
        return Err(e);
    }
    let (req, err) = series(&asks, results, steps.burn);
    for (i, s) in services.iter().enumerate() {
        let Some(cal) = &s.targets.calendar else { continue };
        for (slot, w) in BURN_WINDOWS.iter().enumerate() {
            let from = at - step_of(*w);
            out[i].ratios[slot] = calendar::error_ratio(cal, from, at, &req[i], &err[i], step_of(steps.burn));
        }
    }
    if window {
        let end = ceil(at, steps.window);
        let longest = services.iter().map(|s| s.targets.window).max().unwrap_or(Duration::from_secs(30 * 86_400));
        let (asks, eval) = ask(steps.window, longest + steps.window, end);
        let results = batch::ask_all(p, &asks, eval).await;
        let (req, err) = series(&asks, results, steps.window);
        for (i, s) in services.iter().enumerate() {
            let Some(cal) = &s.targets.calendar else { continue };
            let from = at - step_of(s.targets.window);
            let ratio = calendar::error_ratio(cal, from, at, &req[i], &err[i], step_of(steps.window));
            out[i].availability = ratio.map(|r| 1.0 - r);
            out[i].availability_at = Some(at);
            out[i].counted = cal.counted(from, at).to_std().unwrap_or_default();
        }
    }
    Ok(out)
}
