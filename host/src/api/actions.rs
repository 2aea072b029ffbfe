//! The outbox, pulled: list a council's actions and acknowledge them.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::page_limit;
use super::extract::{ActionPath, CouncilPath, QueryParams};
use super::problem::Problem;
use crate::outbox::{Action, ActionId, ActionStatus};
use crate::store::DamagedRecord;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionQuery {
    pub status: Option<ActionStatus>,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ActionPage {
    pub actions: Vec<Action>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<ActionId>,
    /// Stored actions on this page that could not be read and were skipped, by key
    /// (`council/action id`); restore them from a backup. Empty when all were read.
    pub damaged: Vec<DamagedRecord>,
}

async fn list_actions(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    QueryParams(q): QueryParams<ActionQuery>,
) -> Result<Json<ActionPage>, Problem> {
    state.caseload.council(&council)?;
    let limit = page_limit(q.limit)?;
    let after = match q.after.as_deref() {
        None => None,
        Some(raw) => Some(ActionId::parse(raw).ok_or_else(|| {
            Problem::bad_request(
                "invalid-query",
                "`after` must be a `next_cursor` from a previous page",
            )
        })?),
    };
    let page = state
        .store
        .actions(&council, q.status, after.as_ref(), limit)?;
    Ok(Json(ActionPage {
        next_cursor: page.next_cursor(|a| a.id.clone()),
        actions: page.items,
        damaged: page.damaged,
    }))
}

async fn acknowledge(
    State(state): State<AppState>,
    ActionPath(council, id): ActionPath,
) -> Result<Json<Action>, Problem> {
    let now = state.clock.now();
    let action = state
        .store
        .acknowledge(&council, &id, now)?
        .ok_or_else(|| {
            Problem::not_found(format!(
                "no action `{}` in council `{council}`",
                id.as_str()
            ))
        })?;
    state.store.flush().await?;
    tracing::info!(council = %council, action = id.as_str(), "action acknowledged");
    Ok(Json(action))
}

async fn get_action(
    State(state): State<AppState>,
    ActionPath(council, id): ActionPath,
) -> Result<Json<Action>, Problem> {
    state.caseload.council(&council)?;
    let action = state.store.action(&council, &id)?.ok_or_else(|| {
        Problem::not_found(format!(
            "no action `{}` in council `{council}`: ids are as listed by GET …/actions",
            id.as_str()
        ))
    })?;
    Ok(Json(action))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/councils/{council}/actions", get(list_actions))
        .route("/councils/{council}/actions/{action}", get(get_action))
        .route(
            "/councils/{council}/actions/{action}/ack",
            post(acknowledge),
        )
}
