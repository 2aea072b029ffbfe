//! A council's webhook (`PUT/GET/DELETE …/webhook`) and redelivery of
//! dead-lettered actions (`POST …/actions/{id}/redeliver`), over the webhooks
//! service (`crate::webhooks`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};

use super::AppState;
use super::extract::{ActionPath, CouncilPath, JsonBody};
use super::problem::{Problem, ProblemKind};
use crate::outbox::Action;
use crate::outbox::webhook::{WebhookSettings, WebhookView};
use crate::store::Durable;
use crate::webhooks::{WebhookError, Webhooks};

impl AppState {
    /// The webhooks service, over this daemon's store.
    fn webhooks(&self) -> Webhooks {
        Webhooks::new(self.store.clone(), self.clock.clone())
    }
}

impl From<WebhookError> for Problem {
    fn from(e: WebhookError) -> Problem {
        match e {
            WebhookError::UnknownCouncil(id) => super::problem::no_council(&id),
            WebhookError::Invalid(_) => Problem::new(ProblemKind::InvalidWebhook, e.to_string()),
            WebhookError::NoWebhook(_) => Problem::not_found(e.to_string()),
            WebhookError::Store(s) => s.into(),
        }
    }
}

async fn put_webhook(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    JsonBody(body): JsonBody<WebhookSettings>,
) -> Result<Durable<Json<WebhookView>>, Problem> {
    let set = state.webhooks().set(&council, body).await?;
    Ok(set.map(|w| Json(WebhookView::from(&w))))
}

async fn get_webhook(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
) -> Result<Json<WebhookView>, Problem> {
    let webhook = match state.webhooks().get(&council) {
        Err(WebhookError::NoWebhook(_)) => {
            return Err(Problem::not_found(format!(
                "council `{council}` has no webhook: its actions are pulled (set one with PUT)"
            )));
        }
        other => other?,
    };
    Ok(Json(WebhookView::from(&webhook)))
}

async fn delete_webhook(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
) -> Result<Durable<StatusCode>, Problem> {
    let removed = match state.webhooks().remove(&council).await {
        Err(WebhookError::NoWebhook(_)) => {
            return Err(Problem::not_found(format!(
                "council `{council}` has no webhook to remove"
            )));
        }
        other => other?,
    };
    Ok(removed.map(|()| StatusCode::NO_CONTENT))
}

async fn redeliver(
    State(state): State<AppState>,
    ActionPath(council, id): ActionPath,
) -> Result<Durable<Json<Action>>, Problem> {
    let queued = state.actions().redeliver(&council, &id).await?;
    Ok(queued.map(Json))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/councils/{council}/webhook",
            put(put_webhook).get(get_webhook).delete(delete_webhook),
        )
        .route(
            "/councils/{council}/actions/{action}/redeliver",
            post(redeliver),
        )
}
