//! Referrals, journey events and participants.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;

use super::AppState;
use super::extract::{CouncilPath, JsonBody, ParticipantPath};
use super::problem::Problem;
use crate::caseload::{ParticipantView, Referred};
use crate::journey::{CaseworkerEvent, Referral, ReferralCorrection};
use crate::policy::{Cohort, ReferralRoute};
use crate::store::IdempotencyMark;

/// A referral as posted: the person's details and, optionally, the referral date.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    pub route: ReferralRoute,
    pub date_of_birth: NaiveDate,
    /// Full UK postcode, e.g. `ST4 1AB`.
    pub postcode: String,
    /// In work but at risk of losing the job (the 4-month track).
    #[serde(default)]
    pub in_work: bool,
    #[serde(default)]
    pub on_universal_credit: bool,
    #[serde(default)]
    pub known_to_health_services: bool,
    /// Already on another employment programme (e.g. Restart).
    #[serde(default)]
    pub on_other_programme: bool,
    #[serde(default)]
    pub cohorts: Vec<Cohort>,
    /// The person says they have a health condition or disability (self-declared).
    #[serde(default)]
    pub health_condition_or_disability: bool,
    /// The referral date; default today in the council's time zone.
    pub referred_on: Option<NaiveDate>,
}

impl NewReferral {
    fn split(self) -> (Referral, Option<NaiveDate>) {
        let referral = Referral {
            route: self.route,
            date_of_birth: self.date_of_birth,
            postcode: self.postcode,
            in_work: self.in_work,
            on_universal_credit: self.on_universal_credit,
            known_to_health_services: self.known_to_health_services,
            on_other_programme: self.on_other_programme,
            cohorts: self.cohorts,
            health_condition_or_disability: self.health_condition_or_disability,
        };
        (referral, self.referred_on)
    }
}

async fn refer(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(body): JsonBody<NewReferral>,
) -> Result<(StatusCode, Json<Referred>), Problem> {
    let (referral, referred_on) = body.split();
    let referred = state
        .caseload
        .refer(&council, referral, referred_on, mark.as_deref())
        .await?;
    tracing::info!(council = %council, participant = %referred.participant_id, "referral recorded");
    Ok((StatusCode::CREATED, Json(referred)))
}

async fn record_event(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(event): JsonBody<CaseworkerEvent>,
) -> Result<Json<ParticipantView>, Problem> {
    let view = state
        .caseload
        .record_event(&council, participant, event, mark.as_deref())
        .await?;
    tracing::info!(council = %council, participant = %participant, "journey event recorded");
    Ok(Json(view))
}

/// The right to rectification: the corrected details replace the held ones and the
/// journey records which fields changed and when (never the old values). The
/// eligibility decision stands; timers are re-planned from the corrected facts.
async fn correct_participant(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
    JsonBody(correction): JsonBody<ReferralCorrection>,
) -> Result<Json<ParticipantView>, Problem> {
    let view = state
        .caseload
        .correct(&council, participant, &correction)
        .await?;
    tracing::info!(council = %council, participant = %participant, "referral details corrected");
    Ok(Json(view))
}

async fn get_participant(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
) -> Result<Json<ParticipantView>, Problem> {
    Ok(Json(state.caseload.view(&council, participant)?))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/councils/{council}/referrals", post(refer))
        .route(
            "/councils/{council}/participants/{participant}",
            get(get_participant).patch(correct_participant),
        )
        .route(
            "/councils/{council}/participants/{participant}/events",
            post(record_event),
        )
}
