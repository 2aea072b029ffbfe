//! A participant's data-protection rights over HTTP: export everything held, erasure,
//! and the legal hold that blocks erasure while it stands (`crate::privacy`).

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::AppState;
use super::extract::{JsonBody, ParticipantPath};
use super::problem::{Problem, ProblemKind};
use crate::access::Caller;
use crate::privacy::{Privacy, PrivacyError};
use crate::store::{Durable, Erasure, LegalHold, ParticipantExport};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLegalHold {
    /// Why the data must be kept, e.g. `tribunal claim 2026/114`. 1 to 500 characters.
    pub reason: String,
}

impl AppState {
    /// The privacy service, over this daemon's store.
    fn privacy(&self) -> Privacy {
        Privacy::new(self.store.clone(), self.clock.clone())
    }
}

impl From<PrivacyError> for Problem {
    fn from(e: PrivacyError) -> Problem {
        match e {
            PrivacyError::UnknownParticipant(..) | PrivacyError::NoHold(..) => {
                Problem::not_found(e.to_string())
            }
            PrivacyError::Held(_) => Problem::new(ProblemKind::LegalHold, e.to_string()),
            PrivacyError::InvalidHoldReason => {
                Problem::new(ProblemKind::InvalidHold, e.to_string())
            }
            PrivacyError::Store(s) => s.into(),
        }
    }
}

async fn export(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
) -> Result<Json<ParticipantExport>, Problem> {
    Ok(Json(state.privacy().export(&council, participant)?))
}

async fn erase(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ParticipantPath(council, participant): ParticipantPath,
) -> Result<Durable<Json<Erasure>>, Problem> {
    match state
        .privacy()
        .erase(&council, participant, &caller.key)
        .await
    {
        Ok(erased) => Ok(erased.map(Json)),
        Err(e @ PrivacyError::Held(_)) => Err(Problem::new(
            ProblemKind::LegalHold,
            format!(
                "{e}. Lift it with DELETE …/participants/{participant}/hold when it no longer applies"
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn place_hold(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ParticipantPath(council, participant): ParticipantPath,
    JsonBody(body): JsonBody<NewLegalHold>,
) -> Result<Durable<Json<LegalHold>>, Problem> {
    let placed = state
        .privacy()
        .place_hold(&council, participant, &body.reason, caller.key)
        .await?;
    Ok(placed.map(Json))
}

async fn lift_hold(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
) -> Result<Durable<StatusCode>, Problem> {
    let lifted = state.privacy().lift_hold(&council, participant).await?;
    Ok(lifted.map(|()| StatusCode::NO_CONTENT))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/councils/{council}/participants/{participant}/export",
            get(export),
        )
        .route(
            "/councils/{council}/participants/{participant}",
            delete(erase),
        )
        .route(
            "/councils/{council}/participants/{participant}/hold",
            put(place_hold).delete(lift_hold),
        )
}
