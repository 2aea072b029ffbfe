//! The HTTP admin API (axum), versioned under `/v1`.
//!
//! Handlers are only the HTTP edge: extract, call `caseload`/`store`/`policy`,
//! answer. Each module declares its routes once, in its `routes()` (see `route.rs`). Every error is problem details (`problem.rs`); every id in a path is
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
pub mod permission;
mod plugins;
mod privacy;
pub mod problem;
mod retention;
mod reviews;
mod roster;
pub mod route;
mod schedules;
pub mod schemas;
mod settings;
mod webhooks;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::http::Method;
use axum::routing::get;

use self::permission::Permission;
use self::route::Route;
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

/// Every route of `/v1`, module by module.
pub fn routes() -> Vec<Route> {
    [
        councils::routes(),
        participants::routes(),
        actions::routes(),
        schedules::routes(),
        keys::routes(),
        key_workers::routes(),
        indicators::routes(),
        audit::routes(),
        privacy::routes(),
        plugins::routes(),
        settings::routes(),
        reviews::routes(),
        webhooks::routes(),
        retention::routes(),
        roster::routes(),
        openapi::routes(),
        backup::routes(),
        clock::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A route as the gate and the console see it: what it is and who may call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub method: Method,
    pub path: &'static str,
    pub permission: Permission,
}

/// [`routes`] without their handlers, made once.
pub fn declared() -> &'static [Declared] {
    static DECLARED: OnceLock<Vec<Declared>> = OnceLock::new();
    DECLARED.get_or_init(|| {
        routes()
            .into_iter()
            .map(|r| Declared {
                method: r.method,
                path: r.path,
                permission: r.permission,
            })
            .collect()
    })
}

/// The permission a route needs; platform admin for anything not declared (the gate
/// fails closed).
pub fn permission_of(method: &Method, path: &str) -> Permission {
    // axum answers HEAD with the GET handler, so it needs what GET needs.
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    declared()
        .iter()
        .find(|r| r.method == *method && r.path == path)
        .map_or(Permission::PlatformAdmin, |r| r.permission)
}

pub fn router(state: AppState) -> Router {
    let mut v1 = Router::new();
    for route in routes() {
        if route.manual_clock_only && state.manual_clock.is_none() {
            continue;
        }
        v1 = v1.route(route.mounted(), route.handler);
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
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        // Declared here, outside /v1, like /healthz: they need no key.
        .route("/readyz", get(operations::readyz))
        .route("/metrics", get(operations::metrics))
        .nest("/v1", v1)
        .method_not_allowed_fallback(method_not_allowed)
        // After every route: the route pattern, for counting requests by route.
        .route_layer(axum::middleware::from_fn(operations::tag_route))
        .fallback(|| async {
            problem::Problem::not_found(
                "no such route: the API lives under /v1 (GET /v1/openapi.json describes it)",
            )
        })
        // Outermost: a request id and span around everything, and the request counted.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            operations::observe,
        ))
        .with_state(state)
}

/// A known path with a method it does not have: problem details, like every error.
async fn method_not_allowed() -> problem::Problem {
    problem::Problem::new(
        problem::ProblemKind::MethodNotAllowed,
        "this route does not take that method: GET /v1/openapi.json lists what each route takes",
    )
}

#[cfg(test)]
mod tests {
    use self::permission::Grant;
    use super::*;

    #[test]
    fn each_route_is_declared_once_under_v1() {
        let declared = declared();
        assert!(declared.len() > 60, "too few routes: {}", declared.len());
        for (i, r) in declared.iter().enumerate() {
            assert!(r.path.starts_with("/v1/"), "{} {}", r.method, r.path);
            assert!(
                !declared[..i]
                    .iter()
                    .any(|o| o.method == r.method && o.path == r.path),
                "{} {} is declared twice",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn an_undeclared_route_is_for_platform_admins_and_head_needs_what_get_needs() {
        assert_eq!(
            permission_of(&Method::GET, "/v1/councils/{council}/not-declared"),
            Permission::PlatformAdmin
        );
        let route = "/v1/councils/{council}/participants/{participant}";
        assert_eq!(
            permission_of(&Method::HEAD, route),
            Permission::Council(Grant::ReadCases)
        );
        assert_eq!(
            permission_of(&Method::DELETE, route),
            Permission::Council(Grant::ManagePrivacy)
        );
    }
}
