//! The HTTP admin API (axum), versioned under `/v1`.
//!
//! Handlers are only the HTTP edge: extract, call `caseload`/`store`/`policy`,
//! answer. Every error is problem details (`problem.rs`); every id in a path is
//! parsed into its type (`extract.rs`) before a handler sees it.

pub mod access;
mod actions;
mod audit;
mod auth;
pub mod backup;
mod clock;
mod councils;
mod extract;
mod idempotency;
mod indicators;
mod key_workers;
mod keys;
pub mod openapi;
mod operations;
mod participants;
mod plugins;
mod privacy;
pub mod problem;
mod retention;
mod reviews;
mod roster;
mod schedules;
pub mod schemas;
mod settings;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::caseload::Caseload;
use crate::clock::{Clock, ManualClock};
use crate::policy::Policies;
use crate::readiness::Readiness;
use crate::store::Store;
use crate::telemetry::Telemetry;

pub use access::{AccessLimits, Gate};
pub use auth::AdminKey;

#[derive(Clone)]
pub struct AppState {
    pub caseload: Caseload,
    pub store: Store,
    pub policies: Arc<Policies>,
    pub clock: Arc<dyn Clock>,
    /// Present only under `--manual-clock`: then `POST /v1/admin/clock` exists.
    pub manual_clock: Option<Arc<ManualClock>>,
    pub admin_key: AdminKey,
    /// Per-key rate buckets and the request limits (see `access.rs`).
    pub gate: Arc<Gate>,
    /// What `/readyz` checks: the workers running, the plugins compiled.
    pub readiness: Arc<Readiness>,
    /// The metrics served at `/metrics`.
    pub telemetry: Arc<Telemetry>,
}

pub fn router(state: AppState) -> Router {
    let mut v1 = Router::new()
        .merge(councils::routes())
        .merge(participants::routes())
        .merge(actions::routes())
        .merge(schedules::routes())
        .merge(keys::routes())
        .merge(key_workers::routes())
        .merge(indicators::routes())
        .merge(audit::routes())
        .merge(privacy::routes())
        .merge(plugins::routes())
        .merge(settings::routes())
        .merge(reviews::routes())
        .merge(webhooks::routes())
        .merge(retention::routes())
        .merge(roster::routes())
        .merge(openapi::routes())
        .merge(backup::routes());
    if state.manual_clock.is_some() {
        v1 = v1.merge(clock::routes());
    }
    let v1 = v1.method_not_allowed_fallback(method_not_allowed);
    // After every route is merged: `route_layer` runs after routing, so the gate sees
    // the matched route pattern (and a route merged later would not be guarded).
    let v1 = v1
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::gate,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.gate.limits.max_body_bytes,
        ));
    let api = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        // Declared here, outside /v1, like /healthz: they need no key.
        .route("/readyz", get(operations::readyz))
        .route("/metrics", get(operations::metrics))
        .nest("/v1", v1)
        .method_not_allowed_fallback(method_not_allowed)
        // After every route: the route pattern, for counting requests by route.
        .route_layer(axum::middleware::from_fn(operations::tag_route))
        .fallback(|| async {
            problem::Problem::not_found("no such route: the API lives under /v1 (see the README)")
        })
        // Outermost: a request id and span around everything, and the request counted.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            operations::observe,
        ))
        .with_state(state.clone());
    // The console's pages answer by calling this same router in-process (`console/`).
    api.clone().merge(crate::console::routes(state, api))
}

/// A known path with a method it does not have: problem details, like every error.
async fn method_not_allowed() -> problem::Problem {
    problem::Problem::new(
        problem::ProblemKind::MethodNotAllowed,
        "this route does not take that method: see the README's API table for what it takes",
    )
}
