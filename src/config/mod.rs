//! Configuration: where it is found, what it may say, and errors that name file:line:col.
pub mod changes;
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
    AlertSettings, Config, HttpSource, OpsgenieConfig, PagerDutyConfig, Service, VaultConfig, load_file, load_str,
};
pub use queries::Queries;
pub use secret::{Auth, Secret};
pub use telemetry::{ElasticConfig, ElasticFields, LogSettings, LogSource, TraceBackend, TraceConfig};
