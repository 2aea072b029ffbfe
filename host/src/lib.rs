//! Waymark: participant journeys for UK employment-support programmes, each
//! council's rules as a sandboxed policy plugin, and the reminders key workers act on.
//!
//! Where to look, by what it does:
//! - `journey`: the participant's journey as pure events and states;
//!   `caseload`: where a journey, its council's plugin and the store meet.
//! - `policy`: the wasmtime sandbox that runs council plugins; `review`: cases a
//!   plugin could not decide; `replay`: re-asking recorded decisions of a new version.
//! - `key_workers`: key workers, caseload caps and IPS fidelity bands; `indicators`:
//!   what scheduled jobs compute (digests, figures, overdue reviews), as pure functions.
//! - `schedule`: durable timers, admin cron schedules and the one loop that fires them
//!   (`schedule::jobs`: a firing's work); `outbox`: the actions they make and their
//!   webhook delivery.
//! - `store`: everything durable, in sled; `council`, `access`: tenants and API keys.
//! - Services, each owning check, write, flush and wake for its domain, answering
//!   with a `store::Durable`: `caseload` (journeys), `councils`, `plugin_versions`,
//!   `keys`, `schedules`, `webhooks`, `actions`, `privacy`.
//! - `api`: the HTTP admin API; `console`: its pages for people, at `/console/`; `daemon`: `waymark serve`; `simulate`: what-if runs.
//! - `clock`: the only place the time is read.
//! - `authoring`: the council developer's side of the API: `waymark plugin upload`,
//!   `versions`, `activate` and `rollback` against a running daemon.

pub mod access;
pub mod actions;
pub mod api;
pub mod authoring;
pub mod backup;
pub mod caseload;
pub mod clock;
pub mod config;
pub mod console;
pub mod council;
pub mod councils;
pub mod daemon;
pub mod indicators;
pub mod journey;
pub mod key_workers;
pub mod keys;
pub mod outbox;
pub mod plugin_versions;
pub mod policy;
pub mod privacy;
pub mod readiness;
pub mod replay;
pub mod retention;
pub mod review;
pub mod schedule;
pub mod schedules;
pub mod simulate;
pub mod store;
pub mod telemetry;
pub mod webhooks;
