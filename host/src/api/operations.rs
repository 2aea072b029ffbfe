//! Operations at the root, next to `/healthz`: `/readyz` and `/metrics` (no key: they
//! hold no personal data), and the layers every request passes through, which give
//! it a request id (a `tracing` span around the handler, echoed in `x-request-id`)
//! and count it by route pattern and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::AppState;
use super::problem::{Problem, ProblemKind};

pub const REQUEST_ID: &str = "x-request-id";

/// Longest incoming request id kept; a longer or odd one is replaced by a new one.
const MAX_REQUEST_ID: usize = 64;

/// 200 when the store takes a write, the scheduler and the delivery worker run and
/// the plugins are compiled; otherwise 503 naming what is not ready.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let missing = state
        .readiness
        .not_ready(&state.store, state.clock.now())
        .await;
    readiness_answer(&missing)
}

fn readiness_answer(missing: &[String]) -> Response {
    if missing.is_empty() {
        return "ready".into_response();
    }
    Problem::new(
        ProblemKind::NotReady,
        format!(
            "not ready: {}; wait and ask again, and if it lasts see the daemon's log",
            missing.join("; ")
        ),
    )
    .into_response()
}

pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let telemetry = state.telemetry.clone();
    let store = state.store.clone();
    // Counting the outbox reads the store: off the async workers.
    match tokio::task::spawn_blocking(move || telemetry.render(&store)).await {
        Ok(Ok(text)) => (
            [(header::CONTENT_TYPE, crate::telemetry::CONTENT_TYPE)],
            text,
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "metrics could not be read");
            Problem::unavailable(
                "the metrics could not be read from the store; see the daemon's log",
            )
            .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics task failed");
            Problem::unavailable("the metrics could not be read; see the daemon's log")
                .into_response()
        }
    }
}

/// The matched route pattern, passed from [`tag_route`] out to [`observe`].
#[derive(Clone)]
struct RoutePattern(String);

/// Runs after routing (a `route_layer`), where the pattern is known, and hands it
/// outward on the response: the outer layer only sees the request before routing.
pub(super) async fn tag_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut response = next.run(req).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RoutePattern(route));
    }
    response
}

/// The outermost layer: a request id and its span around everything else, the id
/// echoed in the answer, and the request counted by route pattern and status.
pub(super) async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    // At error level so that no filter short of `off` drops the span: every line of
    // the request keeps its id even when only warnings are logged.
    let span = tracing::error_span!("request", request_id = %id, method = %method);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let route = response
        .extensions()
        .get::<RoutePattern>()
        .map_or("unmatched", |r| r.0.as_str());
    let status = response.status().as_u16();
    state.telemetry.request(method.as_str(), route, status);
    span.in_scope(|| {
        tracing::debug!(
            route,
            status,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

pub(super) use crate::telemetry::spawn_blocking;

/// At most 64 characters of letters, digits, `.`, `_` and `-`: safe in a header and a log.
fn sane_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(sane_request_id("abc-123_X.y"));
        assert!(sane_request_id(&"a".repeat(64)));
        assert!(!sane_request_id(&"a".repeat(65)));
        assert!(!sane_request_id(""));
        assert!(!sane_request_id("a b"));
        assert!(!sane_request_id("id\"}"));
        assert!(!sane_request_id("ünïcode"));
    }

    #[tokio::test]
    async fn not_ready_is_a_503_problem_naming_each_missing_part() {
        let missing = vec![
            "the scheduler is not running".to_owned(),
            "the councils' plugins are still being compiled".to_owned(),
        ];
        let response = readiness_answer(&missing);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .expect("body");
        let problem: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(problem["type"], "urn:waymark:problem:not-ready");
        assert_eq!(problem["status"], 503);
        let detail = problem["detail"].as_str().expect("detail");
        assert!(
            detail.contains("scheduler") && detail.contains("plugins"),
            "{detail}"
        );
    }

    #[test]
    fn ready_is_a_200() {
        assert_eq!(readiness_answer(&[]).status(), StatusCode::OK);
    }
}
