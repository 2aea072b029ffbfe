//! The management-information figures on demand, for dashboards and the console:
//! the same figures a `management_information_export` schedule computes, as JSON,
//! or as CSV when asked with `Accept: text/csv`.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;

use super::AppState;
use super::extract::{CouncilPath, QueryParams};
use super::problem::{Problem, ProblemKind};
use crate::indicators;
use crate::schedule::jobs::Held;

/// Longest period asked for at once, in days.
const MAX_PERIOD_DAYS: i64 = 400;

/// `GET …/indicators`: the period, both dates included. Answered as JSON, or as CSV
/// (`figure,group,value`) with `Accept: text/csv`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

async fn figures(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    headers: HeaderMap,
    QueryParams(q): QueryParams<IndicatorQuery>,
) -> Result<Response, Problem> {
    let council = state.caseload.council(&council)?;
    if q.to < q.from || (q.to - q.from).num_days() >= MAX_PERIOD_DAYS {
        return Err(Problem::new(
            ProblemKind::InvalidQuery,
            format!(
                "`from` must be on or before `to`, and the period at most {MAX_PERIOD_DAYS} days: ask for a shorter period"
            ),
        ));
    }
    let store = state.store.clone();
    let now = state.clock.now();
    let id = council.id.clone();
    let figures = tokio::task::spawn_blocking(move || {
        let held = Held::read(&store, &id)?;
        let snapshot = held.snapshot(now, council.timezone);
        Ok::<_, crate::store::StoreError>(indicators::figures(&snapshot, q.from, q.to))
    })
    .await
    .map_err(|_| Problem::unavailable("the figures could not be computed; retry later"))??;
    if wants_csv(&headers) {
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            indicators::to_csv(&figures),
        )
            .into_response());
    }
    Ok(Json(figures).into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/councils/{council}/indicators", get(figures))
}
