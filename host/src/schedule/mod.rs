//! Durable timers, admin cron schedules, the loop that fires both, and the
//! working-day calendars they are shifted by.
//!
//! - `timer`: a journey's dated piece of work; `scheduler`: the one firing loop.
//! - `recurrence`: cron expressions evaluated on local wall-clock time, with explicit
//!   daylight-saving rules; `admin`: a council's schedules, catch-up and overlap rules;
//!   `firing`: what a schedule's firing records on the actions it makes.
//! - `calendar`: UK bank holidays by nation; `council_calendar`: a council's own.

pub mod admin;
pub mod calendar;
pub mod council_calendar;
pub mod firing;
pub mod jobs;
pub mod recurrence;
pub mod scheduler;
pub mod timer;

pub use scheduler::Scheduler;
