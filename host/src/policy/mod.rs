//! Council policy plugins: WebAssembly components that decide what differs between
//! councils (eligibility, plans, outreach, handover), run in a sandbox per decision.
//!
//! Every rule that varies by council is asked of its plugin rather than hard-coded,
//! so the plugin is untrusted code in the daemon's hot path. This module keeps that
//! safe and explainable:
//!
//! - [`engine`](EngineSettings): one wasmtime engine, configured once, with fuel,
//!   epoch deadlines, a pooling allocator and an optional compile cache.
//! - [`limits`](Limits): what one decision may cost; councils may override.
//! - `load`: [`Policies::load`] validates an uploaded plugin (a component importing
//!   only the host interface, exporting a 1.x policy, with a JSON settings schema),
//!   links it once and caches it by [`PluginDigest`].
//! - `call`: [`Plugin::eligibility`] and the other hooks run one decision in a fresh
//!   store and return a [`Decision`] with the input digest, fuel and log that let it
//!   be explained and replayed, or a [`DecisionError`] naming what went wrong.
//! - `answer`: the contract's promises an answer must keep (reasons, future dates).
//! - `v1`: the `waymark:policy@1.x` bindings, one module per minor (1.0, 1.1); a
//!   plugin runs with those of the version it exports. A 2.0 would live beside it.
//! - [`package`](build_plugin): builds a plugin crate into an uploadable component,
//!   with its golden cases embedded.
//! - [`golden`]: runs those cases in the sandbox when the plugin is uploaded.
//! - [`settings`]: a council's settings checked against the plugin's JSON Schema.
//! - [`workbench`]: `waymark plugin new | check | test` for council developers.
//!
//! A Rust plugin gets no WASI at all. A Python or JavaScript plugin's runtime imports
//! WASI 0.2, and gets [`wasi`]'s deterministic, deny-all version of it: no files,
//! network or environment, a clock stopped at the as-of date and randomness seeded
//! from the input. Either way the same input always gives the same decision.
//!
//! Everything here is synchronous and CPU-bound (compiling on load, at most the
//! deadline per decision): from async code, call it on a blocking thread.

mod answer;
mod call;
mod compiled_functions;
pub mod contract;
mod engine;
pub mod golden;
mod input_digest;
mod javascript;
mod language;
mod limits;
mod load;
mod package;
pub mod settings;
mod v1;
mod wasi;
pub mod workbench;

pub use call::{CallContext, Decision, DecisionError};
pub use contract::{
    CheckpointResult, Cohort, ContactDecision, ContactStep, Destination, Eligibility, Handover,
    JourneyFacts, Outcome, Plan, PlannedTimer, ProgrammeKind, Reason, ReferralFacts, ReferralRoute,
    Stage, TimerKind, Track,
};
pub use engine::{Compilations, EngineError, EngineSettings};
pub use input_digest::{InputDigest, InvalidInputDigest};
pub use javascript::test_javascript_plugin;
pub use language::{LANGUAGE_SECTION, Language};
pub use limits::{InvalidLimits, Limits, MAX_UPLOAD_BYTES};
pub use load::{InvalidDigest, Plugin, PluginDigest, PluginRejected, Policies};
pub use package::{PLUGIN_TARGET, PackageError, build_plugin, componentize};

#[cfg(test)]
pub(crate) mod tests;
