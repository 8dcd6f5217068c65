//! Deploys and rollbacks: each service's provider (Kubernetes, Helm, Argo Rollouts, a generic command,
//! or the built-in estate) lists its versions and rolls back to one. No console state, no screen.
pub mod model;
pub mod parse;
pub mod progress;
pub mod provider;

pub use model::{Action, Version};
pub use provider::{Kind, Provider};
