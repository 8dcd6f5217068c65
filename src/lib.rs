//! watchpost: a terminal operations console.
//!
//! Layers (see the README's "How it is built"): `sources` collect (no ratatui), `app` holds state, takes
//! every input as one message and returns what it wants done as effects, `ui` draws a frame from state,
//! `slo` is pure maths, `config` loads and validates.

pub mod alerts;
pub mod app;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod drills;
pub mod embedded;
pub mod engine;
pub mod estate;
pub mod files;
pub mod incidents;
pub mod logging;
pub mod logs;
pub mod maintenance;
pub mod memory;
pub mod ops;
pub mod rules;
pub mod runbooks;
pub mod schedule;
pub mod screens;
pub mod slo;
pub mod sources;
pub mod term;
pub mod text;
pub mod time;
pub mod traces;
pub mod ui;
