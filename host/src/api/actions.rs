//! The outbox, pulled: list a council's actions and acknowledge them.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::page_limit;
use super::extract::{ActionPath, CouncilPath, QueryParams};
use super::problem::{Problem, ProblemKind};
use crate::access::Caller;
use crate::actions::{ActionError, Actions};
use crate::key_workers::KeyWorkerId;
use crate::outbox::{Action, ActionId, ActionStatus};
use crate::store::{DamagedRecord, Durable};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionQuery {
    pub status: Option<ActionStatus>,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
    /// Only this key worker's actions. A key bound to a key worker lists its key
    /// worker's by default; `key_worker=any` lists everyone's.
    pub key_worker: Option<String>,
    /// Only actions due before this date (not on it), e.g. tomorrow for "my work
    /// today and overdue".
    pub due_before: Option<NaiveDate>,
    /// Only actions due on this date.
    pub due_on: Option<NaiveDate>,
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

/// Whose work a listing is narrowed to: the query's `key_worker`, else the key's own.
fn whose(q: &ActionQuery, caller: Option<&Caller>) -> Result<Option<KeyWorkerId>, Problem> {
    match q.key_worker.as_deref() {
        Some("any") => Ok(None),
        Some(raw) => raw
            .parse()
            .map(Some)
            .map_err(|e: crate::key_workers::InvalidKeyWorkerId| {
                Problem::new(
                    ProblemKind::InvalidQuery,
                    format!("{e}, or `any` for everyone's"),
                )
            }),
        None => Ok(caller.and_then(|c| c.key_worker.clone())),
    }
}

async fn list_actions(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    caller: Option<Extension<Caller>>,
    QueryParams(q): QueryParams<ActionQuery>,
) -> Result<Json<ActionPage>, Problem> {
    state.caseload.council(&council)?;
    let limit = page_limit(q.limit)?;
    let key_worker = whose(&q, caller.as_deref())?;
    let after = match q.after.as_deref() {
        None => None,
        Some(raw) => Some(ActionId::parse(raw).ok_or_else(|| {
            Problem::new(
                ProblemKind::InvalidQuery,
                "`after` must be a `next_cursor` from a previous page",
            )
        })?),
    };
    if key_worker.is_some() || q.due_before.is_some() || q.due_on.is_some() {
        // Someone's work, by date: every match, in due order, paged by position.
        let all = state.store.actions(&council, q.status, None, usize::MAX)?;
        let mut matching: Vec<Action> = all
            .items
            .into_iter()
            .filter(|a| key_worker.is_none() || a.key_worker == key_worker)
            .filter(|a| q.due_before.is_none_or(|d| a.due < d))
            .filter(|a| q.due_on.is_none_or(|d| a.due == d))
            .collect();
        matching.sort_by(|a, b| (a.due, &a.id).cmp(&(b.due, &b.id)));
        let start = match &after {
            Some(id) => matching
                .iter()
                .position(|a| &a.id == id)
                .map_or(0, |i| i + 1),
            None => 0,
        };
        let rest: Vec<Action> = matching.into_iter().skip(start).collect();
        let more = rest.len() > limit;
        let actions: Vec<Action> = rest.into_iter().take(limit).collect();
        return Ok(Json(ActionPage {
            next_cursor: if more {
                actions.last().map(|a| a.id.clone())
            } else {
                None
            },
            actions,
            damaged: all.damaged,
        }));
    }
    let page = state
        .store
        .actions(&council, q.status, after.as_ref(), limit)?;
    Ok(Json(ActionPage {
        next_cursor: page.next_cursor(|a| a.id.clone()),
        actions: page.items,
        damaged: page.damaged,
    }))
}

impl AppState {
    /// The actions service, over this daemon's store.
    pub(super) fn actions(&self) -> Actions {
        Actions::new(self.store.clone(), self.clock.clone())
    }
}

impl From<ActionError> for Problem {
    fn from(e: ActionError) -> Problem {
        match e {
            ActionError::UnknownCouncil(id) => super::problem::no_council(&id),
            ActionError::Unknown(..) => Problem::not_found(e.to_string()),
            ActionError::NotDeadLettered(..) => {
                Problem::new(ProblemKind::NotDeadLettered, e.to_string())
            }
            ActionError::Store(s) => s.into(),
        }
    }
}

async fn acknowledge(
    State(state): State<AppState>,
    ActionPath(council, id): ActionPath,
) -> Result<Durable<Json<Action>>, Problem> {
    let acknowledged = state.actions().acknowledge(&council, &id).await?;
    Ok(acknowledged.map(Json))
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
