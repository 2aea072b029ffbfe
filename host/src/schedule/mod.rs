//! Durable timers, the loop that fires them, and the working-day calendar they are
//! shifted by.

pub mod admin;
pub mod calendar;
pub mod council_calendar;
pub mod recurrence;
pub mod scheduler;
pub mod timer;

pub use scheduler::Scheduler;
