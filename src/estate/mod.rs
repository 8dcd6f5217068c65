//! The built-in estate: a simulated set of services with dependencies, repeatable for a seed, each
//! serving real Prometheus text exposition on its own loopback endpoint. No ratatui, no console state.
pub mod changes;
pub mod control;
pub mod export;
pub mod exposition;
pub mod fault;
pub mod model;
pub mod remote;
pub mod serve;
pub mod sim;
pub mod telemetry;
pub mod topology;

pub use model::Model;
pub use sim::Simulator;
pub use topology::{ServiceSpec, TOPOLOGY};

/// The estate's recording and alerting rules (`assets/estate/rules.yml`, built in).
pub const RULES: &str = include_str!("../../assets/estate/rules.yml");

/// The estate's rule groups, parsed.
pub fn rule_groups() -> Vec<crate::rules::Group> {
    crate::rules::file::parse(std::path::Path::new("assets/estate/rules.yml"), RULES)
        .unwrap_or_else(|e| unreachable!("the built-in rules are checked by a test: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn built_in_rules_are_valid() {
        let groups = crate::rules::file::parse(std::path::Path::new("rules.yml"), super::RULES).unwrap();
        assert_eq!(groups.len(), 3);
    }
}
