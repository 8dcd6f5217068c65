//! Every drill scenario, run on the estate with a fixed seed in simulated time (scrapes every 5 s and
//! the estate's own rules, as the demo runs them): quiet before, the metric it names changes, the alert
//! it names fires within its stated time, and all is quiet again once the fault is mitigated.
use std::net::SocketAddr;
use watchpost::drills::scenario::built_in;
use watchpost::embedded::demo::scrape_into;
use watchpost::engine::{Engine, Value};
use watchpost::estate::fault::Fault;
use watchpost::estate::serve::Endpoint;
use watchpost::estate::{Simulator, TOPOLOGY};
use watchpost::rules::{AlertState, Rules};

const STEP: f64 = 5.0;

struct Estate {
    sim: Simulator,
    engine: Engine,
    rules: Rules,
    endpoints: Vec<Endpoint>,
}

impl Estate {
    fn new(seed: u64, start: f64) -> Self {
        let endpoints = TOPOLOGY
            .iter()
            .enumerate()
            .map(|(i, s)| Endpoint { service: s.name, addr: SocketAddr::from(([127, 0, 0, 1], 9400 + i as u16)) })
            .collect();
        let rules = Rules::new(watchpost::estate::rule_groups());
        Estate { sim: Simulator::new(seed, start), engine: Engine::default(), rules, endpoints }
    }

    fn run_to(&mut self, t: f64) {
        while self.sim.at + STEP <= t {
            let next = self.sim.at + STEP;
            self.sim.advance_to(next);
            scrape_into(&self.sim, &mut self.engine.store, &self.endpoints);
            self.rules.run_due(&mut self.engine, (next * 1000.0) as i64);
        }
    }

    fn firing(&self, alert: &str, labels: &std::collections::BTreeMap<String, String>) -> bool {
        self.rules.alerts().any(|(r, a)| {
            r.name() == alert && a.state == AlertState::Firing && labels.iter().all(|(k, v)| a.labels.get(k) == Some(v))
        })
    }

    fn any_firing(&self) -> Vec<String> {
        self.rules
            .alerts()
            .filter(|(_, a)| a.state == AlertState::Firing)
            .map(|(r, a)| format!("{} {:?}", r.name(), a.labels.get("job")))
            .collect()
    }

    fn holds(&self, expr: &str) -> bool {
        match self.engine.instant(expr, (self.sim.at * 1000.0) as i64) {
            Ok(Value::Vector(v)) => !v.is_empty(),
            Ok(Value::Scalar(x)) => x != 0.0,
            other => panic!("{expr}: {other:?}"),
        }
    }
}

#[test]
fn each_scenario_changes_its_metric_and_fires_its_alert_in_time() {
    let scenarios = built_in();
    assert_eq!(scenarios.len(), 6);
    for s in scenarios {
        // Mid-afternoon, the daily peak: the hardest time to stay quiet at rest.
        let t0 = 1_800_000_000.0 - 1_800_000_000.0 % 86_400.0 + 15.0 * 3600.0;
        let mut e = Estate::new(42, t0 - 900.0);
        e.run_to(t0);
        assert!(e.any_firing().is_empty(), "{}: alerts before the fault: {:?}", s.name, e.any_firing());
        assert!(!e.holds(&s.expect.changes), "{}: `{}` holds before the fault", s.name, s.expect.changes);

        e.sim.inject(Fault {
            service: s.service_index(),
            kind: s.fault.clone(),
            from: t0,
            until: t0 + s.duration.as_secs_f64(),
        });
        let deadline = t0 + s.expect.within.as_secs_f64();
        let (mut fired, mut changed) = (None, None);
        while e.sim.at < deadline && fired.is_none() {
            e.run_to(e.sim.at + STEP);
            if changed.is_none() && e.holds(&s.expect.changes) {
                changed = Some(e.sim.at - t0);
            }
            if e.firing(&s.expect.alert, &s.expect.labels) {
                fired = Some(e.sim.at - t0);
            }
        }
        let fired = fired.unwrap_or_else(|| {
            panic!(
                "{}: {} {:?} did not fire within {:?}; firing: {:?}",
                s.name,
                s.expect.alert,
                s.expect.labels,
                s.expect.within,
                e.any_firing()
            )
        });
        assert!(changed.is_some_and(|c| c <= fired), "{}: `{}` never held", s.name, s.expect.changes);
        eprintln!("{}: {} fired after {fired}s (allowed {:?})", s.name, s.expect.alert, s.expect.within);

        // Mitigated: the fault ends and, within the MTTR target, nothing fires any more.
        e.sim.end_faults(e.sim.at);
        e.run_to(e.sim.at + 600.0);
        assert!(e.any_firing().is_empty(), "{}: still firing 10 min after mitigation: {:?}", s.name, e.any_firing());
    }
}
