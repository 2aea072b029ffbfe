//! A participant's data-protection rights: export everything held, erasure, and the
//! legal hold that blocks erasure while it stands.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;

use super::AppState;
use super::extract::{JsonBody, ParticipantPath};
use super::permission::Grant::{ExportParticipant, ManagePrivacy};
use super::permission::Permission::Council;
use super::problem::Problem;
use super::route::Route;
use crate::access::Caller;
use crate::council::CouncilId;
use crate::journey::ParticipantId;
use crate::store::{EraseOutcome, Erasure, LegalHold, ParticipantExport};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLegalHold {
    /// Why the data must be kept, e.g. `tribunal claim 2026/114`. 1 to 500 characters.
    pub reason: String,
}

fn unknown(council: &CouncilId, participant: ParticipantId) -> Problem {
    Problem::not_found(format!(
        "no participant `{participant}` in council `{council}`"
    ))
}

async fn export(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
) -> Result<Json<ParticipantExport>, Problem> {
    let export = state
        .store
        .export_participant(&council, participant, state.clock.now())?
        .ok_or_else(|| unknown(&council, participant))?;
    Ok(Json(export))
}

async fn erase(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ParticipantPath(council, participant): ParticipantPath,
) -> Result<Json<Erasure>, Problem> {
    let outcome =
        state
            .store
            .erase_participant(&council, participant, state.clock.now(), &caller.key)?;
    match outcome {
        EraseOutcome::Erased(erasure) => {
            state.store.flush().await?;
            tracing::info!(council = %council, participant = %participant, "participant erased");
            Ok(Json(erasure))
        }
        EraseOutcome::AlreadyErased(erasure) => Ok(Json(erasure)),
        EraseOutcome::Held(hold) => Err(Problem::conflict(
            "legal-hold",
            format!(
                "a legal hold stands on this participant ({}), placed {}; nothing was erased. Lift it with DELETE …/participants/{participant}/hold when it no longer applies",
                hold.reason, hold.placed_at
            ),
        )),
        EraseOutcome::Unknown => Err(unknown(&council, participant)),
    }
}

async fn place_hold(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ParticipantPath(council, participant): ParticipantPath,
    JsonBody(body): JsonBody<NewLegalHold>,
) -> Result<Json<LegalHold>, Problem> {
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Problem::unprocessable(
            "invalid-hold",
            "`reason` must be 1 to 500 characters",
        ));
    }
    let hold = LegalHold {
        reason,
        placed_at: state.clock.now(),
        placed_by: caller.key,
    };
    if !state.store.put_legal_hold(&council, participant, &hold)? {
        return Err(unknown(&council, participant));
    }
    state.store.flush().await?;
    tracing::info!(council = %council, participant = %participant, "legal hold placed");
    Ok(Json(hold))
}

async fn lift_hold(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
) -> Result<StatusCode, Problem> {
    state
        .store
        .remove_legal_hold(&council, participant)?
        .ok_or_else(|| {
            Problem::not_found(format!(
                "no legal hold on participant `{participant}` in council `{council}`"
            ))
        })?;
    state.store.flush().await?;
    tracing::info!(council = %council, participant = %participant, "legal hold lifted");
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::delete(
            "/v1/councils/{council}/participants/{participant}",
            Council(ManagePrivacy),
            erase,
        )
        .ok::<Erasure>(),
        Route::get(
            "/v1/councils/{council}/participants/{participant}/export",
            Council(ExportParticipant),
            export,
        )
        .ok::<ParticipantExport>(),
        Route::put(
            "/v1/councils/{council}/participants/{participant}/hold",
            Council(ManagePrivacy),
            place_hold,
        )
        .json::<NewLegalHold>()
        .ok::<LegalHold>(),
        Route::delete(
            "/v1/councils/{council}/participants/{participant}/hold",
            Council(ManagePrivacy),
            lift_hold,
        )
        .no_content(),
    ]
}
