//! Referrals, journey events and participants.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;

use super::AppState;
use super::extract::{CouncilPath, JsonBody, ParticipantPath};
use super::permission::Grant::{ReadCases, WriteCases};
use super::permission::Permission::Council;
use super::problem::{Problem, ProblemKind};
use super::route::Route;
use crate::caseload::{ParticipantView, Referred};
use crate::journey::{CaseworkerEvent, Referral, ReferralCorrection};
use crate::policy::{Cohort, ReferralRoute};
use crate::store::{Durable, IdempotencyMark};

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
    /// The key worker to assign the participant to (unless the referral is declined),
    /// within their caseload cap.
    pub key_worker: Option<crate::key_workers::KeyWorkerId>,
    /// Why the assignment must go past the key worker's caseload cap (see
    /// `PUT …/participants/{participant}/key-worker`).
    pub override_reason: Option<String>,
}

impl NewReferral {
    fn split(
        self,
    ) -> (
        Referral,
        Option<NaiveDate>,
        Option<crate::caseload::Assignment>,
    ) {
        let assignment = self
            .key_worker
            .clone()
            .map(|key_worker| crate::caseload::Assignment {
                key_worker,
                override_reason: self.override_reason.clone(),
            });
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
        (referral, self.referred_on, assignment)
    }
}

async fn refer(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(body): JsonBody<NewReferral>,
) -> Result<Durable<axum::response::Response>, Problem> {
    use axum::response::IntoResponse;
    if body.override_reason.is_some() && body.key_worker.is_none() {
        return Err(Problem::new(
            ProblemKind::InvalidReferral,
            "`override_reason` goes with `key_worker`: name the key worker the override is for, or leave it out",
        ));
    }
    let (referral, referred_on, assignment) = body.split();
    let done = state
        .caseload
        .refer_to(
            &council,
            referral,
            referred_on,
            mark.as_deref(),
            assignment.as_ref(),
        )
        .await?;
    tracing::info!(council = %council, participant = %done.get().0.participant_id, "referral recorded");
    Ok(done.map(|(referred, overridden)| {
        let mut response = (StatusCode::CREATED, Json(referred)).into_response();
        if let Some(a) = &assignment {
            response
                .extensions_mut()
                .insert(super::key_workers::override_ids(&a.key_worker, overridden));
        }
        response
    }))
}

async fn record_event(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(event): JsonBody<CaseworkerEvent>,
) -> Result<Durable<Json<ParticipantView>>, Problem> {
    let view = state
        .caseload
        .record_event(&council, participant, event, mark.as_deref())
        .await?;
    tracing::info!(council = %council, participant = %participant, "journey event recorded");
    Ok(view.map(Json))
}

/// The right to rectification: the corrected details replace the held ones and the
/// journey records which fields changed and when (never the old values). The
/// eligibility decision stands; timers are re-planned from the corrected facts.
async fn correct_participant(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
    JsonBody(correction): JsonBody<ReferralCorrection>,
) -> Result<Durable<Json<ParticipantView>>, Problem> {
    let view = state
        .caseload
        .correct(&council, participant, &correction)
        .await?;
    tracing::info!(council = %council, participant = %participant, "referral details corrected");
    Ok(view.map(Json))
}

async fn get_participant(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
) -> Result<Json<ParticipantView>, Problem> {
    Ok(Json(state.caseload.view(&council, participant)?))
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::post(
            "/v1/councils/{council}/referrals",
            Council(WriteCases),
            refer,
        )
        .json::<NewReferral>()
        .created::<Referred>(),
        Route::get(
            "/v1/councils/{council}/participants/{participant}",
            Council(ReadCases),
            get_participant,
        )
        .ok::<ParticipantView>(),
        Route::patch(
            "/v1/councils/{council}/participants/{participant}",
            Council(WriteCases),
            correct_participant,
        )
        .json::<ReferralCorrection>()
        .ok::<ParticipantView>(),
        Route::post(
            "/v1/councils/{council}/participants/{participant}/events",
            Council(WriteCases),
            record_event,
        )
        .json::<CaseworkerEvent>()
        .ok::<ParticipantView>(),
    ]
}
