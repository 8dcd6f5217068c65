//! Alerts as the console understands them, whatever their source: matchers, grouping, KPIs.
pub mod matcher;
pub mod model;
