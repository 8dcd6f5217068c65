//! Alerts as the console understands them, whatever their source: matchers, grouping, KPIs.
pub mod kpi;
pub mod matcher;
pub mod model;
