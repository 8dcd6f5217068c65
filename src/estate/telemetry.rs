//! The estate's logs and traces, derived from the same model as its metrics: each service logs a sample
//! of its requests every second, and each sampled request is a trace whose root span's duration and
//! outcome are drawn from the service's latency distribution and error ratio at that moment. A failed
//! request names its cause (its own fault or a dependency's), and the cause's span fails too, so a
//! drill's errors show up as error logs and error spans carrying the same trace id.
//!
//! Everything is a pure function of (seed, faults, service, second, k): a trace id encodes where its
//! request came from, so `trace(id)` rebuilds it without storing anything.
use super::fault::FaultKind;
use super::model::Model;
use super::topology::{TOPOLOGY, index_of};
use crate::logs::Level;
use crate::text::Clean;
use crate::traces::{Span, Trace};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Requests logged (and traced) per second: one per 60 req/s of the service's mean traffic, 1 to 4.
pub fn sampled_per_second(service: usize) -> u32 {
    (TOPOLOGY[service].rps / 60.0).ceil().clamp(1.0, 4.0) as u32
}

/// The operations a service's requests are named by.
pub fn operations(service: usize) -> &'static [&'static str] {
    match TOPOLOGY[service].name {
        "gateway" => &["GET /api/products", "POST /api/orders", "GET /api/search"],
        "checkout" => &["POST /checkout"],
        "payments" => &["POST /charge"],
        "inventory" => &["GET /stock"],
        "search" => &["GET /search"],
        "auth" => &["POST /token/verify"],
        "db" => &["SELECT orders", "UPDATE stock"],
        _ => &["GET key", "SET key"],
    }
}

/// Why a request failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Cause {
    /// Its own fault, with the message it logs.
    Own(String),
    /// A call to this dependency failed.
    Dependency(usize),
}

/// One sampled request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub service: usize,
    pub second: i64,
    pub k: u32,
    /// Unix seconds.
    pub start: f64,
    pub duration: f64,
    pub error: Option<Cause>,
    pub operation: &'static str,
    pub version: String,
}

impl Request {
    pub fn status(&self) -> u16 {
        match &self.error {
            None => 200,
            Some(Cause::Dependency(_)) => 502,
            Some(Cause::Own(m)) if m.starts_with("deadline") => 504,
            Some(Cause::Own(_)) => 500,
        }
    }
    pub fn end_ns(&self) -> i64 {
        ((self.start + self.duration) * 1e9) as i64
    }
}

fn rng(model: &Model, service: usize, second: i64, k: u32, stream: u64) -> StdRng {
    let key = model.seed.rotate_left(17)
        ^ (service as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ (second as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9)
        ^ u64::from(k).wrapping_mul(0x94d0_49bb_1331_11eb)
        ^ stream.wrapping_mul(0x2545_f491_4f6c_dd1d);
    StdRng::seed_from_u64(key)
}

/// A log-normal draw (Box–Muller for the normal).
fn lognormal(r: &mut StdRng, median: f64, spread: f64) -> f64 {
    let (u1, u2): (f64, f64) = (r.random_range(f64::EPSILON..1.0), r.random());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    median * (spread * z).exp()
}

fn own_message(model: &Model, service: usize, t: f64) -> String {
    for f in model.faults_at(service, t) {
        match &f.kind {
            FaultKind::BadDeploy { version, .. } => {
                return format!("panic: assignment to entry in nil map (release {version})");
            }
            FaultKind::Timeout { seconds, .. } => return format!("deadline exceeded after {seconds:.0}s"),
            FaultKind::Errors { .. } => return "internal error: handler failed".into(),
            _ => {}
        }
    }
    "internal error: handler failed".into()
}

/// Request `k` of `second` on `service`, or `None` when the service was down (it logged nothing).
pub fn request(model: &Model, service: usize, second: i64, k: u32) -> Option<Request> {
    let n = sampled_per_second(service);
    let t = second as f64 + (f64::from(k) + 0.5) / f64::from(n);
    if k >= n || !model.is_up(service, t) {
        return None;
    }
    let m = model.moment(service, t);
    let mut r = rng(model, service, second, k, 0);
    let duration = lognormal(&mut r, m.latency, m.spread).min(30.0);
    let error = (r.random::<f64>() < m.error_ratio).then(|| {
        // Attribute the failure as the model composes the ratio: a dependency's share is 0.3 of its own.
        let deps: Vec<(usize, f64)> = TOPOLOGY[service]
            .depends_on
            .iter()
            .filter_map(|d| index_of(d))
            .map(|d| (d, model.moment(d, t).error_ratio * 0.3))
            .collect();
        let mut pick = r.random::<f64>() * m.error_ratio;
        for (d, share) in deps {
            if pick < share {
                return Cause::Dependency(d);
            }
            pick -= share;
        }
        Cause::Own(own_message(model, service, t))
    });
    let ops = operations(service);
    Some(Request {
        service,
        second,
        k,
        start: t,
        duration,
        error,
        operation: ops[(k as usize) % ops.len()],
        version: model.version(service, t).to_string(),
    })
}

/// The log line a request writes when it completes: level and text (logfmt, as most services log).
pub fn log_line(model: &Model, req: &Request) -> (Level, String) {
    let id = trace_id(model.seed, req.service, req.second, req.k);
    let ms = req.duration * 1000.0;
    let base = format!("method_route=\"{}\" status={} duration_ms={ms:.1} trace_id={id}", req.operation, req.status());
    match &req.error {
        Some(Cause::Own(msg)) => (Level::Error, format!("level=error msg=\"{msg}\" {base}")),
        Some(Cause::Dependency(d)) => {
            let dep = TOPOLOGY[*d].name;
            let why = if model.is_up(*d, req.start) { "returned 5xx" } else { "connect: connection refused" };
            (Level::Error, format!("level=error msg=\"call to {dep} failed: {why}\" {base}"))
        }
        None if req.duration > 0.5 => (Level::Warn, format!("level=warn msg=\"slow request\" {base}")),
        None => (Level::Info, format!("level=info msg=\"request served\" {base}")),
    }
}

/// 32 hex digits: the second with its bits reversed (so that ids differ from the first digits, as random
/// ones do), the service, the sample number, then a tag of the seed.
pub fn trace_id(seed: u64, service: usize, second: i64, k: u32) -> String {
    let tag = (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32;
    format!("{:016x}{service:04x}{k:04x}{tag:08x}", (second as u64).reverse_bits())
}

/// Where a trace id of this estate came from: (service, second, k).
pub fn decode(seed: u64, id: &str) -> Option<(usize, i64, u32)> {
    let id = id.to_ascii_lowercase();
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let second = u64::from_str_radix(&id[..16], 16).ok()?.reverse_bits() as i64;
    let service = usize::from_str_radix(&id[16..20], 16).ok()?;
    let k = u32::from_str_radix(&id[20..24], 16).ok()?;
    let tag = u32::from_str_radix(&id[24..32], 16).ok()?;
    let ok = tag == (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32 && service < TOPOLOGY.len();
    ok.then_some((service, second, k))
}

/// The trace of a sampled request, rebuilt from its id.
pub fn trace(model: &Model, id: &str) -> Option<Trace> {
    let (service, second, k) = decode(model.seed, id)?;
    let req = request(model, service, second, k)?;
    let mut spans = Vec::new();
    let mut r = rng(model, service, second, k, 1);
    let root_id = format!("{:016x}", r.random::<u64>());
    spans.push(span(&req, &root_id, None, req.start, req.duration, req.error.is_some()));
    // The failing dependency chain, then the other calls, each inside its caller's time.
    let mut stack = vec![(service, root_id, req.start, req.duration, req.error.clone(), 1u32)];
    while let Some((svc, parent, start, dur, err, depth)) = stack.pop() {
        for (n, dep) in TOPOLOGY[svc].depends_on.iter().filter_map(|d| index_of(d)).enumerate() {
            let t = start + dur * 0.05 * (n as f64 + 1.0);
            let failed = matches!(err, Some(Cause::Dependency(d)) if d == dep);
            let up = model.is_up(dep, t);
            let m = model.moment(dep, t);
            let child_dur = if up { lognormal(&mut r, m.latency, m.spread).min(dur * 0.9) } else { 0.001 };
            let child_err = failed.then(|| {
                // Its own failure, or one of its dependencies' (the chain goes on down).
                TOPOLOGY[dep]
                    .depends_on
                    .iter()
                    .filter_map(|d| index_of(d))
                    .find(|d| model.moment(*d, t).error_ratio > 0.01)
                    .map_or_else(|| Cause::Own(own_message(model, dep, t)), Cause::Dependency)
            });
            let id = format!("{:016x}", r.random::<u64>());
            let mut s = Span {
                span_id: id.clone(),
                parent: Some(parent.clone()),
                service: Clean::new(TOPOLOGY[dep].name),
                operation: Clean::new(operations(dep)[n % operations(dep).len()]),
                start_us: (t * 1e6) as i64,
                duration_us: (child_dur * 1e6) as i64,
                error: failed,
                attributes: vec![(Clean::new("service.version"), Clean::new(model.version(dep, t)))],
                events: Vec::new(),
            };
            if failed {
                let msg = if up {
                    match &child_err {
                        Some(Cause::Own(m)) => m.clone(),
                        _ => format!("downstream call failed ({})", TOPOLOGY[dep].name),
                    }
                } else {
                    "connect: connection refused".to_string()
                };
                s.events.push(((t * 1e6) as i64 + s.duration_us, Clean::new(&format!("exception: {msg}"))));
            }
            spans.push(s);
            if up && depth < 6 {
                stack.push((dep, id, t, child_dur, child_err, depth + 1));
            }
        }
    }
    Some(Trace { trace_id: id.to_ascii_lowercase(), spans, warnings: Vec::new() })
}

fn span(req: &Request, id: &str, parent: Option<String>, start: f64, dur: f64, error: bool) -> Span {
    let mut attributes = vec![
        (Clean::new("http.route"), Clean::new(req.operation)),
        (Clean::new("http.status_code"), Clean::new(&req.status().to_string())),
        (Clean::new("service.version"), Clean::new(&req.version)),
    ];
    let mut events = Vec::new();
    if let Some(Cause::Own(m)) = &req.error {
        attributes.push((Clean::new("error.message"), Clean::new(m)));
        events.push((((start + dur) * 1e6) as i64, Clean::new(&format!("exception: {m}"))));
    }
    Span {
        span_id: id.to_string(),
        parent,
        service: Clean::new(TOPOLOGY[req.service].name),
        operation: Clean::new(req.operation),
        start_us: (start * 1e6) as i64,
        duration_us: (dur * 1e6) as i64,
        error,
        attributes,
        events,
    }
}

/// Sampled requests of `services` completing in `[from, to)` seconds, newest first when `backward`,
/// until `visit` returns false.
pub fn each_request(
    model: &Model,
    services: &[usize],
    from: f64,
    to: f64,
    backward: bool,
    mut visit: impl FnMut(Request) -> bool,
) {
    // A request completes up to 30 s after it starts: start a little early.
    let (first, last) = ((from - 31.0).floor() as i64, to.ceil() as i64);
    let in_range = |r: &Request| {
        let end = r.start + r.duration;
        end >= from && end < to
    };
    let mut per_second = |second: i64| -> bool {
        let mut reqs: Vec<Request> = services
            .iter()
            .flat_map(|&s| (0..sampled_per_second(s)).filter_map(move |k| request(model, s, second, k)))
            .filter(in_range)
            .collect();
        reqs.sort_by(|a, b| (a.start + a.duration).total_cmp(&(b.start + b.duration)));
        if backward {
            reqs.reverse();
        }
        reqs.into_iter().all(&mut visit)
    };
    if backward {
        for s in (first..last).rev() {
            if !per_second(s) {
                return;
            }
        }
    } else {
        for s in first..last {
            if !per_second(s) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::fault::Fault;

    #[test]
    fn ids_round_trip_and_traces_rebuild() {
        let m = Model::new(42);
        let id = trace_id(42, 2, 1_800_000_000, 0);
        assert_eq!(decode(42, &id), Some((2, 1_800_000_000, 0)));
        assert_eq!(decode(43, &id), None, "another seed's id is not ours");
        let t = trace(&m, &id).unwrap();
        assert_eq!(t.spans[0].service.as_str(), "payments");
        assert_eq!(t.spans.len(), 2, "payments calls db");
        assert_eq!(trace(&m, &id), trace(&m, &id), "repeatable");
    }

    #[test]
    fn a_failing_dependency_shows_in_the_callers_logs_and_trace() {
        let mut m = Model::new(42);
        let t0 = 1_800_000_000.0;
        let payments = index_of("payments").unwrap();
        m.faults.push(Fault { service: payments, kind: FaultKind::Errors { ratio: 0.5 }, from: t0, until: t0 + 600.0 });
        let checkout = index_of("checkout").unwrap();
        let mut failed = Vec::new();
        each_request(&m, &[checkout], t0 + 10.0, t0 + 300.0, false, |r| {
            if r.error == Some(Cause::Dependency(payments)) {
                failed.push(r);
            }
            true
        });
        assert!(!failed.is_empty());
        let r = &failed[0];
        let (level, line) = log_line(&m, r);
        assert_eq!(level, Level::Error);
        assert!(line.contains("call to payments failed"), "{line}");
        let id = crate::logs::model::find_trace_id(&line).unwrap();
        let trace = trace(&m, &id).unwrap();
        assert!(trace.spans.iter().any(|s| s.error && s.service.as_str() == "payments"));
        assert!(trace.spans[0].error);
    }
}
