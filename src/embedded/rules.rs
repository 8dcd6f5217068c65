//! The rule evaluator: every second, the groups that are due are evaluated against the store (one short
//! write lock per group), as Prometheus's rule manager does on its own schedule.
use super::Shared;
use std::sync::Arc;
use std::time::Duration;

/// Evaluate every due group at `t` (ms). The rules lock is taken before the engine's, everywhere.
pub fn evaluate_due(shared: &Shared, t: i64) {
    let mut rules = shared.rules.lock().unwrap_or_else(|p| p.into_inner());
    if rules.groups.is_empty() {
        return;
    }
    let mut engine = shared.engine.write().unwrap_or_else(|p| p.into_inner());
    rules.run_due(&mut engine, t);
}

/// Run until the task is dropped.
pub async fn run(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        evaluate_due(&shared, chrono::Utc::now().timestamp_millis());
    }
}
