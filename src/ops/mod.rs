//! What changes the world, and the record of it: the audit trail every action passes through before it
//! runs.
pub mod audit;
pub mod gate;
pub mod policy;
pub mod rollback;
pub mod rollback_tasks;
pub mod runbook_tasks;
pub mod vault;
pub mod who;
