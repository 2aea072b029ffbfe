//! The HTTP admin API (axum), versioned under `/v1`.
//!
//! Handlers are only the HTTP edge: extract, call `caseload`/`store`/`policy`,
//! answer. Every error is problem details (`problem.rs`); every id in a path is
//! parsed into its type (`extract.rs`) before a handler sees it.

mod actions;
mod auth;
mod clock;
mod councils;
mod extract;
mod participants;
pub mod problem;
pub mod schemas;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::caseload::Caseload;
use crate::clock::{Clock, ManualClock};
use crate::policy::Policies;
use crate::store::Store;

pub use auth::AdminKey;
pub use councils::install_plugin;

#[derive(Clone)]
pub struct AppState {
    pub caseload: Caseload,
    pub store: Store,
    pub policies: Arc<Policies>,
    pub clock: Arc<dyn Clock>,
    /// Present only under `--manual-clock`: then `POST /v1/admin/clock` exists.
    pub manual_clock: Option<Arc<ManualClock>>,
    pub admin_key: AdminKey,
}

pub fn router(state: AppState) -> Router {
    let mut v1 = Router::new()
        .merge(councils::routes())
        .merge(participants::routes())
        .merge(actions::routes())
        .merge(webhooks::routes());
    if state.manual_clock.is_some() {
        v1 = v1.merge(clock::routes());
    }
    let v1 = v1.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::require_key,
    ));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/v1", v1)
        .fallback(|| async {
            problem::Problem::not_found("no such route: the API lives under /v1 (see the README)")
        })
        .with_state(state)
}
