//! What a council developer does from their own repository, beside the sandbox
//! workbench (`policy::workbench`: build, check, test):
//!
//! - [`scaffold`]: `waymark plugin new`, a plugin crate that lives in its own
//!   repository: the in-tree template with a standalone manifest.
//! - [`remote`]: a council's plugin on a running daemon, over the HTTP API: upload
//!   a built component, list its versions, activate one, roll back. What
//!   `waymark plugin upload | versions | activate | rollback` send.
//! - [`javascript`]: `waymark plugin new --lang javascript`, a JavaScript plugin
//!   project from `examples/plugin-template-javascript`.
//! - [`lang`]: the languages a plugin may be written in (`--lang`), and how a
//!   project folder says which it is.
//! - [`python`]: a Python plugin's template, tools (componentize-py, installed into
//!   a cache on first use) and build.
//! - [`report`]: the daemon's answers as the plain text those commands print: the
//!   golden-case report of an accepted upload, a refusal with each failing case's
//!   expectation and the plugin's actual answer, the versions table.

pub mod javascript;
pub mod lang;
pub mod python;
pub mod remote;
pub mod report;
pub mod scaffold;
