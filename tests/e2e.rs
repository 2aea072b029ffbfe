//! The end-to-end suite, as one test binary: the real `waymark` binary, real plugins
//! built once per run, a real HTTP client and a real browser. One module per area;
//! run one area with `cargo test -p waymark --test e2e <area>::`, e.g.
//! `cargo test -p waymark --test e2e consent::`.
//!
//! One binary rather than one per area: each links wasmtime, and linking two dozen of
//! them was most of a clean build's time and disk.

mod support;

mod access;
mod api_contract;
mod backup;
mod consent;
mod console;
mod council_plugins;
mod crash_under_load;
mod erasure;
mod hostile_daemon;
mod hostile_http;
mod hostile_plugins;
mod javascript_plugins;
mod journey_whole;
mod key_workers;
mod no_personal_data_in_logs;
mod operations;
mod plugin_cli;
mod plugin_host;
mod python_plugins;
mod rectification;
mod retention;
mod schedules;
mod simulation;
mod standalone_plugin;
mod store_faults;
mod walking_skeleton;
mod walkthrough;
mod webhooks;
