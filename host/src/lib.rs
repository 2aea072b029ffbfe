//! (integration in progress)
pub mod access;
pub mod api;
pub mod caseload;
pub mod clock;
pub mod config;
pub mod council;
pub mod daemon;
pub mod journey;
pub mod outbox;
pub mod policy;
pub mod readiness;
pub mod replay;
pub mod review;
pub mod schedule;
pub mod simulate;
pub mod store;
pub mod telemetry;
