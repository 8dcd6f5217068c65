//! One query per figure for the whole estate. Services declared by convention (the same query shape,
//! another `job`) are asked together: the figure's query over all their jobs, grouped by `job`, and the
//! answer split by service on arrival. A figure whose query a service overrides is asked for that
//! service alone. So the number of queries a round sends does not grow with the number of conventional
//! services, only with the number of overrides.
use super::api::QueryOutcome;
use super::client::Prometheus;
use crate::config::Service;
use crate::config::queries::{Convention, Queries, escape_label};
use crate::sources::http::FetchError;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use std::collections::BTreeMap;
use std::time::Duration;

/// Where in a service's figures an answer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// Targets up (a batched `sum by (job)`).
    UpCount,
    /// Targets in all (a batched `count by (job)`).
    UpTotal,
    /// A service's own `up` query: one series per target.
    UpSeries,
    Rate,
    ErrorRatio,
    P95,
    Saturation,
    /// The error ratio over the burn window of this index.
    Burn(usize),
    Availability,
    /// Failed requests a second (a calendar SLO adds them up over its hours alone).
    Errors,
}

impl Slot {
    /// What a problem with this slot's query is called on screen.
    pub fn what(self) -> &'static str {
        match self {
            Slot::UpCount | Slot::UpTotal | Slot::UpSeries => "up",
            Slot::Rate => "request rate",
            Slot::ErrorRatio => "error ratio",
            Slot::P95 => "p95 latency",
            Slot::Saturation => "saturation",
            Slot::Burn(_) => "burn rate",
            Slot::Availability => "availability",
            Slot::Errors => "errors",
        }
    }
}

/// How a figure of one service is asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Form {
    /// The service's own query.
    One(String),
    /// A template shared by conventional services, with `$sel` for the job matcher; grouped by `job`.
    Many(String),
}

/// The job matcher placeholder of a [`Form::Many`] template.
pub const SEL: &str = "$sel";

/// One query of a round, and whose figures its answer fills.
#[derive(Clone, Debug, PartialEq)]
pub struct Ask {
    pub slot: Slot,
    pub query: String,
    pub whom: Whom,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Whom {
    /// One service, by its index.
    One(usize),
    /// The services of each job, by index.
    Jobs(BTreeMap<String, Vec<usize>>),
}

impl Whom {
    pub fn services(&self) -> Vec<usize> {
        match self {
            Whom::One(i) => vec![*i],
            Whom::Jobs(m) => m.values().flatten().copied().collect(),
        }
    }
}

/// Group the services' forms into asks: every service with the same template shares one query.
/// `forms` is given each service with its index in `services`.
pub fn plan(services: &[Service], forms: impl Fn(usize, &Service) -> Vec<(Slot, Form)>) -> Vec<Ask> {
    let mut asks = Vec::new();
    let mut groups: BTreeMap<(Slot, String), BTreeMap<String, Vec<usize>>> = BTreeMap::new();
    for (i, svc) in services.iter().enumerate() {
        for (slot, form) in forms(i, svc) {
            match form {
                Form::One(query) => asks.push(Ask { slot, query, whom: Whom::One(i) }),
                Form::Many(t) => groups.entry((slot, t)).or_default().entry(svc.job.clone()).or_default().push(i),
            }
        }
    }
    for ((slot, template), jobs) in groups {
        let query = template.replace(SEL, &job_matcher(jobs.keys()));
        asks.push(Ask { slot, query, whom: Whom::Jobs(jobs) });
    }
    asks
}

/// `job=~"a|b|c"`, each job's name matched literally.
fn job_matcher<'a>(jobs: impl Iterator<Item = &'a String>) -> String {
    // Only RE2's metacharacters: `regex::escape` also escapes `-`, `#`, `&` and `~`, which would double
    // the length of a thousand names like `svc-12`.
    let literal = |j: &str| {
        j.chars().fold(String::with_capacity(j.len()), |mut out, c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
            out
        })
    };
    let alternatives: Vec<String> = jobs.map(|j| literal(j)).collect();
    format!("job=~\"{}\"", escape_label(&alternatives.join("|")))
}

/// What one ask answered for one service.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An instant value (none: no series for it).
    Instant(Option<f64>),
    /// (targets up, targets in all), from a service's own `up` query.
    Up(u32, u32),
    /// A range series' points (empty: no series).
    Points(Vec<(f64, f64)>),
}

/// Split an answer by service.
pub fn split(ask: &Ask, outcome: &QueryOutcome, range: bool) -> Vec<(usize, Value)> {
    let series = outcome.result.series();
    let value = |s: Option<&super::api::Series>| match (range, ask.slot) {
        (true, _) => Value::Points(s.map(|s| s.points.clone()).unwrap_or_default()),
        (false, _) => Value::Instant(s.and_then(|s| s.last())),
    };
    match &ask.whom {
        Whom::One(i) if ask.slot == Slot::UpSeries => {
            let up = series.iter().filter(|s| s.last() == Some(1.0)).count() as u32;
            vec![(*i, Value::Up(up, series.len() as u32))]
        }
        Whom::One(i) if range => vec![(*i, value(series.first()))],
        Whom::One(i) => vec![(*i, Value::Instant(outcome.result.single()))],
        Whom::Jobs(jobs) => {
            let by_job: BTreeMap<&str, &super::api::Series> =
                series.iter().filter_map(|s| Some((s.label("job")?, s))).collect();
            jobs.iter()
                .flat_map(|(job, idx)| {
                    let v = value(by_job.get(job.as_str()).copied());
                    idx.iter().map(move |i| (*i, v.clone()))
                })
                .collect()
        }
    }
}

/// When and how the asks are evaluated.
#[derive(Clone, Copy, Debug)]
pub enum Eval {
    Instant(DateTime<Utc>),
    Range { start: DateTime<Utc>, end: DateTime<Utc>, step: Duration },
}

/// The label that tells a combined query's answers apart: the index of the ask each series answers.
const ASK_LABEL: &str = "watchpost_ask";

/// Send every ask and return each answer beside its ask. The asks for all conventional services (one per
/// figure, each grouped by `job`) go together as one query, `label_replace(q0, ASK_LABEL, "0", "", "")
/// or label_replace(q1, …) …`, and are split on arrival: one request a round instead of one per figure,
/// which is most of an idle console's cost. The branches' series differ in the ask label, so `or` keeps
/// them all. If the server refuses the combined query (a limit on samples, a proxy's limit on length) or
/// cannot finish it in time, the asks go one by one, that round and after. A service's own queries are
/// asked on their own: they may answer with anything. The client bounds how many are in flight.
/// A round's asks, with which of them go in one combined query and its text: the same every round while
/// the services are the same, so a poller builds it once and asks it every refresh.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub asks: Vec<Ask>,
    /// The asks that go together (one query for all of their services), by index, and the others.
    together: Vec<usize>,
    alone: Vec<usize>,
    /// The combined query of `together`, each part tagged with its index by [`ASK_LABEL`].
    combined: String,
}

impl Plan {
    pub fn new(asks: Vec<Ask>) -> Self {
        let (together, alone): (Vec<usize>, Vec<usize>) =
            (0..asks.len()).partition(|i| matches!(asks[*i].whom, Whom::Jobs(_)));
        let combined = together
            .iter()
            .enumerate()
            .map(|(n, i)| format!("label_replace({}, \"{ASK_LABEL}\", \"{n}\", \"\", \"\")", asks[*i].query))
            .collect::<Vec<_>>()
            .join(" or ");
        Plan { asks, together, alone, combined }
    }
}

/// Every ask of `asks`, in order (see [`ask_plan`]).
pub async fn ask_all(p: &Prometheus, asks: &[Ask], eval: Eval) -> Vec<Result<QueryOutcome, FetchError>> {
    ask_plan(p, &Plan::new(asks.to_vec()), eval).await
}

/// Every ask of `plan`, in order: those of many services as one combined query when the server takes it
/// (split on arrival), the rest one by one.
pub async fn ask_plan(p: &Prometheus, plan: &Plan, eval: Eval) -> Vec<Result<QueryOutcome, FetchError>> {
    let asks = &plan.asks;
    let send = |q: &str| {
        let q = q.to_string();
        async move {
            match eval {
                Eval::Instant(at) => p.query(&q, at).await,
                Eval::Range { start, end, step } => p.query_range(&q, start, end, step).await,
            }
        }
    };
    let together = &plan.together;
    if together.len() < 2 || !p.combines() {
        return join_all(asks.iter().map(|a| send(&a.query))).await;
    }
    let (combined, alone) = futures::join!(
        send(&plan.combined),
        join_all(plan.alone.iter().map(|&i| async move { (i, send(&asks[i].query).await) }))
    );
    let mut out: Vec<Option<Result<QueryOutcome, FetchError>>> = (0..asks.len()).map(|_| None).collect();
    for (i, r) in alone {
        out[i] = Some(r);
    }
    match combined {
        Ok(o) => {
            for (n, part) in split_combined(o, together.len()).into_iter().enumerate() {
                out[together[n]] = Some(Ok(part));
            }
        }
        Err(e) if refused(&e) => {
            p.stop_combining(&e);
            for (i, r) in together.iter().zip(join_all(together.iter().map(|i| send(&asks[*i].query))).await) {
                out[*i] = Some(r);
            }
        }
        Err(e) => {
            if matches!(e, FetchError::Timeout(_)) {
                // Perhaps the sum of the figures is too slow where each alone is not: next round tells.
                p.stop_combining(&e);
            }
            for i in together {
                out[*i] = Some(Err(e.clone()));
            }
        }
    }
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err(FetchError::Decode(crate::text::Clean::new("no answer")))))
        .collect()
}

/// The server could not take the combined query, though it may take its parts: it said why.
fn refused(e: &FetchError) -> bool {
    match e {
        FetchError::Api { .. } | FetchError::TooLarge { .. } | FetchError::Decode(_) => true,
        FetchError::Status { code, .. } => crate::sources::http::refuses_request(*code),
        _ => false,
    }
}

/// A combined answer, one outcome per ask, each without the ask label.
fn split_combined(o: QueryOutcome, asks: usize) -> Vec<QueryOutcome> {
    use super::api::QueryResult;
    let matrix = matches!(o.result, QueryResult::Matrix(_));
    let mut parts: Vec<Vec<super::api::Series>> = vec![Vec::new(); asks];
    let series = match o.result {
        QueryResult::Vector(s) | QueryResult::Matrix(s) => s,
        _ => Vec::new(),
    };
    for mut s in series {
        let Some(at) = s.labels.iter().position(|(k, _)| k.as_str() == ASK_LABEL) else { continue };
        let (_, n) = s.labels.remove(at);
        if let Some(part) = n.as_str().parse::<usize>().ok().and_then(|n| parts.get_mut(n)) {
            part.push(s);
        }
    }
    parts
        .into_iter()
        .map(|s| QueryOutcome {
            result: if matrix { QueryResult::Matrix(s) } else { QueryResult::Vector(s) },
            warnings: o.warnings.clone(),
        })
        .collect()
}

/// The convention's queries, when this service's `pick` of them is still the convention's own.
fn conventional(svc: &Service, same: impl Fn(&Queries, &Queries) -> bool) -> Option<&Convention> {
    let c = svc.queries.convention.as_ref()?;
    let made = Queries::conventional(&c.job, &c.status_label);
    (c.job == svc.job && same(&svc.queries, &made)).then_some(c)
}

fn requests_many(w: &str) -> String {
    format!("sum by (job) (rate(http_requests_total{{{SEL}}}[{w}]))")
}

fn error_ratio_many(c: &Convention, w: &str) -> String {
    let (req, s) = (requests_many(w), &c.status_label);
    let err = format!("sum by (job) (rate(http_requests_total{{{SEL},{s}=~\"5..\"}}[{w}]))");
    // A service with requests but no errors has no error series: it counts 0, as `or vector(0)` does
    // for one service.
    format!("({err} or {req} * 0) / {req}")
}

/// The forms of the up count.
pub fn up(svc: &Service) -> Vec<(Slot, Form)> {
    match conventional(svc, |a, b| a.up == b.up) {
        Some(_) => vec![
            (Slot::UpCount, Form::Many(format!("sum by (job) (up{{{SEL}}})"))),
            (Slot::UpTotal, Form::Many(format!("count by (job) (up{{{SEL}}})"))),
        ],
        None => vec![(Slot::UpSeries, Form::One(svc.queries.up.clone()))],
    }
}

pub fn rate(svc: &Service, w: Duration) -> Form {
    match conventional(svc, |a, b| a.requests == b.requests) {
        Some(_) => Form::Many(requests_many(&crate::time::promql(w))),
        None => Form::One(Queries::at(&svc.queries.requests, w)),
    }
}

pub fn error_ratio(svc: &Service, w: Duration) -> Form {
    match conventional(svc, |a, b| a.requests == b.requests && a.errors == b.errors) {
        Some(c) => Form::Many(error_ratio_many(c, &crate::time::promql(w))),
        None => Form::One(svc.queries.error_ratio(w)),
    }
}

/// Failed requests a second over `w`.
pub fn errors(svc: &Service, w: Duration) -> Form {
    match conventional(svc, |a, b| a.requests == b.requests && a.errors == b.errors) {
        Some(c) => {
            let (w, s) = (crate::time::promql(w), &c.status_label);
            // A service with requests but no errors has no error series: it counts 0.
            let err = format!("sum by (job) (rate(http_requests_total{{{SEL},{s}=~\"5..\"}}[{w}]))");
            Form::Many(format!("{err} or {} * 0", requests_many(&w)))
        }
        None => Form::One(Queries::at(&svc.queries.errors, w)),
    }
}

pub fn p95(svc: &Service, w: Duration) -> Form {
    match conventional(svc, |a, b| a.latency_p95 == b.latency_p95) {
        Some(_) => Form::Many(format!(
            "histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{{{SEL}}}[{}])))",
            crate::time::promql(w)
        )),
        None => Form::One(Queries::at(&svc.queries.latency_p95, w)),
    }
}

pub fn saturation(svc: &Service, w: Duration) -> Form {
    match conventional(svc, |a, b| a.saturation == b.saturation) {
        Some(_) => {
            Form::Many(format!("sum by (job) (rate(process_cpu_seconds_total{{{SEL}}}[{}]))", crate::time::promql(w)))
        }
        None => Form::One(Queries::at(&svc.queries.saturation, w)),
    }
}

/// The availability over the SLO window: the default (one minus the error ratio) or read from the
/// convention's recording rules, batched; anything else on its own.
pub fn availability(svc: &Service) -> Form {
    let w = crate::time::promql(svc.targets.window);
    let q = &svc.queries;
    match (&q.availability, conventional(svc, |a, b| a.requests == b.requests && a.errors == b.errors)) {
        (None, Some(c)) => Form::Many(format!("1 - ({})", error_ratio_many(c, &w))),
        (Some(a), _)
            if let Some(c) = &q.convention
                && let Some((req, err)) = &c.recorded
                && c.job == svc.job
                && *a == Queries::recorded_availability(&c.job, req, err) =>
        {
            let sum = |m: &str| format!("sum by (job) (sum_over_time({m}{{{SEL}}}[{w}]))");
            Form::Many(format!("1 - (({} or {} * 0) / {})", sum(err), sum(req), sum(req)))
        }
        _ => Form::One(super::figures::availability_query(svc)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slo::Targets;

    fn services(n: usize) -> Vec<Service> {
        (0..n).map(|i| Service::conventional(&format!("svc-{i}"), Targets::default())).collect()
    }

    #[test]
    fn conventional_services_share_one_query_per_figure() {
        let forms = |_: usize, s: &Service| {
            let mut v = up(s);
            v.push((Slot::Rate, rate(s, Duration::from_secs(300))));
            v.push((Slot::Availability, availability(s)));
            v
        };
        let ten = plan(&services(10), forms);
        let thousand = plan(&services(1000), forms);
        assert_eq!(ten.len(), 4);
        assert_eq!(thousand.len(), 4, "the count does not grow with the estate");
        for a in &thousand {
            promql_parser::parser::parse(&a.query).unwrap_or_else(|e| panic!("{}: {e}", a.query));
            assert_eq!(a.whom.services().len(), 1000);
        }
    }

    #[test]
    fn an_override_is_asked_on_its_own_and_odd_names_are_matched_literally() {
        let mut s = services(3);
        s[1].queries.requests = "sum(rate(my_requests[$window]))".into();
        s[2] = Service::conventional("pay.v2|x\"", Targets::default());
        let asks = plan(&s, |_, s| vec![(Slot::Rate, rate(s, Duration::from_secs(60)))]);
        assert_eq!(asks.len(), 2);
        assert_eq!(asks[0].query, "sum(rate(my_requests[1m]))");
        assert!(asks[1].query.contains(r#"job=~"pay\\.v2\\|x\"|svc-0""#), "{}", asks[1].query);
        promql_parser::parser::parse(&asks[1].query).unwrap();
    }

    #[test]
    fn recorded_availability_is_batched_too() {
        let mut s = services(2);
        for svc in &mut s {
            svc.queries = svc.queries.clone().with_recorded_availability("req:rec", "err:rec");
        }
        let asks = plan(&s, |_, s| vec![(Slot::Availability, availability(s))]);
        assert_eq!(asks.len(), 1);
        assert!(asks[0].query.contains("sum_over_time(err:rec{job=~\"svc-0|svc-1\"}[30d])"), "{}", asks[0].query);
    }
}
