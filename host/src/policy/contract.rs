//! The host's names for the `waymark:policy` contract's types, which live once in
//! the `waymark-contract` crate that the SDK shares. The journey works with these
//! plain types; each contract version's bindings (`v1_0.rs`, `v1_1.rs`) convert
//! them to and from its WIT records, so no other module sees wasmtime's generated
//! types.
//!
//! The host's names say what the plugin is given ("facts") and what it answers
//! ("planned" timers); they are the SDK's types under other names, not copies.

pub use waymark_contract::{
    CheckpointResult, Cohort, ContactDecision, ContactStep, Destination, Eligibility, Handover,
    Journey as JourneyFacts, Outcome, Plan, ProgrammeKind, Reason, Referral as ReferralFacts,
    ReferralRoute, Stage, Timer as PlannedTimer, TimerKind, Track,
};
