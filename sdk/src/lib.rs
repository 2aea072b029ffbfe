//! # waymark-sdk: write a council's policy plugin in plain Rust
//!
//! Waymark runs each council's rules (who is eligible, when reviews fall due, what
//! happens after missed contacts, where people are handed over to) as a
//! WebAssembly component that implements the `waymark:policy@1.2.0` contract
//! (`sdk/wit/v1.2.0/policy.wit`; the host also still runs 1.1.0 and 1.0.0 components).
//! This crate is everything a council developer needs to write one without
//! seeing WIT:
//!
//! - plain domain types ([`Referral`], [`Journey`], [`Eligibility`], [`Plan`], ...)
//!   from the `waymark-contract` crate, the very types the host uses;
//! - the [`Policy`] trait, one function per hook, and [`export_policy!`], which
//!   turns an implementation into the component's exports;
//! - [`calendar`]: working days from the council's calendar, date arithmetic that
//!   never panics, and the decision log;
//! - [`testing`] (native only): the same calendar and log under test control,
//!   example inputs, and golden cases, so `cargo test` checks a plugin's rules
//!   without building any wasm.
//!
//! A minimal plugin (build it with `waymark plugin build plugins/<name>`):
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//! use waymark_sdk::{
//!     calendar, export_policy, ContactDecision, Date, Destination, Eligibility, Handover,
//!     Journey, Plan, Policy, PolicyError, Reason, Referral, TimerKind,
//! };
//!
//! /// The settings administrators tune over HTTP; the doc comments become the schema.
//! #[derive(Serialize, Deserialize, JsonSchema)]
//! #[serde(default)]
//! pub struct Settings {
//!     /// Youngest age accepted.
//!     pub minimum_age: u32,
//! }
//!
//! impl Default for Settings {
//!     fn default() -> Self {
//!         Settings { minimum_age: 18 }
//!     }
//! }
//!
//! pub struct Example;
//!
//! impl Policy for Example {
//!     type Settings = Settings;
//!
//!     fn eligibility(s: &Settings, r: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
//!         let age = Reason::new("age.minimum", format!("Must be {} or over", s.minimum_age));
//!         Ok(if r.age >= s.minimum_age {
//!             Eligibility::accept([age])
//!         } else {
//!             Eligibility::decline([age], "The National Careers Service")
//!         })
//!     }
//!
//!     fn plan(_: &Settings, j: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
//!         let Some(start) = j.started_on else {
//!             return Ok(Plan::nothing([Reason::new("plan.not_started", "Not started yet")]));
//!         };
//!         let review = calendar::next_working_day_from(calendar::add_weeks(start, 4)?)?;
//!         Ok(Plan::after(as_of)
//!             .timer(TimerKind::Review, review, "4-weekly key-worker review")
//!             .reason("cadence.review", "A review four weeks after the start")
//!             .build())
//!     }
//!
//!     fn missed_contact(_: &Settings, _: &Journey, _: Date) -> Result<ContactDecision, PolicyError> {
//!         Ok(ContactDecision::disengaged_exit([Reason::new("outreach.none", "No outreach")]))
//!     }
//!
//!     fn handover(_: &Settings, _: &Journey, _: Date) -> Result<Handover, PolicyError> {
//!         let why = Reason::new("handover.destination", "Back to the Jobcentre");
//!         Ok(Handover::new(Destination::Jobcentre, ["Action plan summary".to_owned()], [why]))
//!     }
//! }
//!
//! export_policy!(Example);
//! ```
//!
//! `sdk/README.md` walks through a plugin from `cargo new` to an uploaded component.

#[cfg(target_arch = "wasm32")]
mod arena;
pub mod calendar;
mod convert;
mod export;
mod policy;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use policy::{Policy, PolicyError};
/// The contract's types, from the `waymark-contract` crate the host shares.
pub use waymark_contract::{
    CheckpointResult, Cohort, ContactDecision, ContactStep, Date, Destination, Eligibility,
    Handover, Journey, Outcome, Plan, PlanBuilder, ProgrammeKind, Reason, Referral, ReferralRoute,
    Stage, Timer, TimerKind, Track,
};

#[doc(hidden)]
pub use export::__private;

/// In the sandbox every decision's memory is thrown away with its instance, so a
/// plugin allocates from a bump arena (`arena.rs`). Turn the `arena` feature off
/// to bring your own `#[global_allocator]`.
#[cfg(all(target_arch = "wasm32", feature = "arena"))]
#[global_allocator]
static ALLOCATOR: arena::Arena = arena::Arena::new();

/// The WIT bindings of `waymark:policy@1.2.0`, generated here once so that every
/// plugin links the same glue. Not part of the API: [`export_policy!`] is the only
/// user, and plugin code sees the plain types above.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit/v1.2.0",
        world: "council-policy",
        // The export macro is used from plugin crates, not from here.
        pub_export_macro: true,
        export_macro_name: "export_council_policy",
        default_bindings_module: "waymark_sdk::bindings",
    });
}
