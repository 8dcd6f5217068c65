//! Configuration: where it is found, what it may say, and errors that name file:line:col.
pub mod changes;
pub mod environment;
pub mod error;
pub mod find;
pub mod keys;
pub mod load;
pub mod overview;
pub mod queries;
pub mod raw;
pub mod scrape;
pub mod secret;
pub mod telemetry;
pub mod theme;

pub use error::{ConfigError, Located};
pub use find::{Found, find};
pub use load::{
    AlertSettings, Config, Environments, HttpSource, OpsgenieConfig, PagerDutyConfig, Service, VaultConfig,
    load_environments, load_file, load_file_environments, load_str,
};
pub use queries::Queries;

/// The config file's JSON Schema, made from the types it is read with (what the schema cannot say —
/// a PromQL query that does not parse, a file that is not there — `watchpost config check` does).
pub fn schema() -> String {
    let mut schema = schemars::schema_for!(raw::RawConfig);
    schema.insert("title".into(), "watchpost config".into());
    serde_json::to_string_pretty(&schema).expect("a schema is JSON")
}
pub use secret::{Auth, Secret};
pub use telemetry::{ElasticConfig, ElasticFields, LogSettings, LogSource, TraceBackend, TraceConfig};
