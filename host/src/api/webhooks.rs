//! A council's webhook (`PUT/GET/DELETE …/webhook`) and redelivery of
//! dead-lettered actions (`POST …/actions/{id}/redeliver`).
//!
//! The delivery worker follows these writes through the store's change feed, so
//! nothing here needs to wake it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;
use super::extract::{ActionPath, CouncilPath, JsonBody};
use super::permission::Grant::{ManageConfig, ReadConfig, WriteCases};
use super::permission::Permission::Council;
use super::problem::Problem;
use super::route::Route;
use crate::outbox::Action;
use crate::outbox::webhook::{Webhook, WebhookSettings, WebhookView};

async fn put_webhook(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    JsonBody(body): JsonBody<WebhookSettings>,
) -> Result<Json<WebhookView>, Problem> {
    state.caseload.council(&council)?;
    let webhook = Webhook::from_settings(body, state.clock.now())
        .map_err(|e| Problem::unprocessable("invalid-webhook", e.to_string()))?;
    state.store.put_webhook(&council, &webhook)?;
    state.store.flush().await?;
    // Neither the URL (it may carry a token) nor the secret is logged.
    tracing::info!(council = %council, "webhook set");
    Ok(Json(WebhookView::from(&webhook)))
}

async fn get_webhook(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
) -> Result<Json<WebhookView>, Problem> {
    state.caseload.council(&council)?;
    let webhook = state.store.webhook(&council)?.ok_or_else(|| {
        Problem::not_found(format!(
            "council `{council}` has no webhook: its actions are pulled (set one with PUT)"
        ))
    })?;
    Ok(Json(WebhookView::from(&webhook)))
}

async fn delete_webhook(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
) -> Result<StatusCode, Problem> {
    state.caseload.council(&council)?;
    if !state.store.delete_webhook(&council)? {
        return Err(Problem::not_found(format!(
            "council `{council}` has no webhook to remove"
        )));
    }
    state.store.flush().await?;
    tracing::info!(council = %council, "webhook removed");
    Ok(StatusCode::NO_CONTENT)
}

async fn redeliver(
    State(state): State<AppState>,
    ActionPath(council, id): ActionPath,
) -> Result<Json<Action>, Problem> {
    state.caseload.council(&council)?;
    let action = match state.store.redeliver(&council, &id)? {
        None => {
            return Err(Problem::not_found(format!(
                "no action `{}` in council `{council}`",
                id.as_str()
            )));
        }
        Some(Err(status)) => {
            let status = serde_json::to_value(status).unwrap_or_default();
            return Err(Problem::conflict(
                "not-dead-lettered",
                format!(
                    "action `{}` is {status}: only a dead-lettered action can be redelivered",
                    id.as_str()
                ),
            ));
        }
        Some(Ok(action)) => action,
    };
    state.store.flush().await?;
    tracing::info!(council = %council, action = id.as_str(), "action queued for redelivery");
    Ok(Json(action))
}

pub fn routes() -> Vec<Route> {
    // Webhook delivery is council configuration; redelivering an action is casework.
    vec![
        Route::get(
            "/v1/councils/{council}/webhook",
            Council(ReadConfig),
            get_webhook,
        )
        .ok::<WebhookView>(),
        Route::put(
            "/v1/councils/{council}/webhook",
            Council(ManageConfig),
            put_webhook,
        )
        .json::<WebhookSettings>()
        .ok::<WebhookView>(),
        Route::delete(
            "/v1/councils/{council}/webhook",
            Council(ManageConfig),
            delete_webhook,
        )
        .no_content(),
        Route::post(
            "/v1/councils/{council}/actions/{action}/redeliver",
            Council(WriteCases),
            redeliver,
        )
        .ok::<Action>(),
    ]
}
