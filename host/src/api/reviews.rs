//! The human-review queue and the decision log over HTTP.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::page_limit;
use super::extract::{CouncilPath, JsonBody, ParticipantPath, QueryParams, ReviewPath};
use super::permission::Grant::{ReadCases, WriteCases};
use super::permission::Permission::Council;
use super::problem::{Problem, ProblemKind};
use super::route::Route;
use crate::policy::Outcome;
use crate::review::{ReviewId, ReviewItem, ReviewStatus};
use crate::store::{DamagedRecord, DecisionRecord, Durable};

/// The longest note a reviewer may leave.
const MAX_NOTE: usize = 2000;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    /// `open` (what needs a person) or `resolved`; default both.
    pub status: Option<ReviewStatus>,
    /// The `next_cursor` of the previous page.
    pub after: Option<ReviewId>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReviewPage {
    /// In the order the cases arrived.
    pub reviews: Vec<ReviewItem>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<ReviewId>,
    /// Review items on this page that could not be read and were skipped, by key
    /// (`council/review id`); restore them from a backup. Empty when all were read.
    pub damaged: Vec<DamagedRecord>,
}

async fn list_reviews(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    QueryParams(q): QueryParams<ReviewQuery>,
) -> Result<Json<ReviewPage>, Problem> {
    state.caseload.council(&council)?;
    let limit = page_limit(q.limit)?;
    let page = state.store.reviews(&council, q.status, q.after, limit)?;
    Ok(Json(ReviewPage {
        next_cursor: page.next_cursor(|r| r.id),
        reviews: page.items,
        damaged: page.damaged,
    }))
}

/// A person's decision on a case the plugin could not decide.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveReview {
    /// For an eligibility review: accept, waitlist or decline. Left out for a plan
    /// review, which a person resolves once they have checked the journey by hand.
    pub outcome: Option<Outcome>,
    /// Why, in a sentence or two (kept with the journey, never logged).
    pub note: String,
    /// The journey date of the decision; default today in the council's time zone.
    pub on: Option<NaiveDate>,
}

async fn resolve(
    State(state): State<AppState>,
    ReviewPath(council, id): ReviewPath,
    JsonBody(body): JsonBody<ResolveReview>,
) -> Result<Durable<Json<ReviewItem>>, Problem> {
    let note = body.note.trim().to_owned();
    if note.is_empty() || note.chars().count() > MAX_NOTE {
        return Err(Problem::new(
            ProblemKind::InvalidNote,
            format!("`note` must say why, in 1 to {MAX_NOTE} characters"),
        ));
    }
    let item = state
        .caseload
        .resolve_review(&council, id, body.outcome, note, body.on)
        .await?;
    tracing::info!(council = %council, review = %id, participant = %item.get().participant, "review resolved");
    Ok(item.map(Json))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DecisionLog {
    /// Oldest first: input digest, output, reasons, plugin version, fuel and time of each.
    pub decisions: Vec<DecisionRecord>,
    /// Decision records that could not be read and were skipped, by key
    /// (`council/participant/sequence`); restore them from a backup.
    pub damaged: Vec<DamagedRecord>,
}

async fn decisions(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
) -> Result<Json<DecisionLog>, Problem> {
    state.caseload.council(&council)?;
    if state.store.journey(&council, participant)?.is_none() {
        return Err(Problem::not_found(format!(
            "no participant `{participant}` in council `{council}`"
        )));
    }
    let log = state.store.decisions(&council, participant)?;
    Ok(Json(DecisionLog {
        decisions: log.items,
        damaged: log.damaged,
    }))
}

async fn get_review(
    State(state): State<AppState>,
    ReviewPath(council, id): ReviewPath,
) -> Result<Json<ReviewItem>, Problem> {
    state.caseload.council(&council)?;
    let item = state.store.review(&council, id)?.ok_or_else(|| {
        Problem::not_found(format!(
            "no review item `{id}` in council `{council}`: ids are as listed by GET …/reviews"
        ))
    })?;
    Ok(Json(item))
}

pub fn routes() -> Vec<Route> {
    // The human-review queue and decision log are casework.
    vec![
        Route::get(
            "/v1/councils/{council}/reviews",
            Council(ReadCases),
            list_reviews,
        )
        .query::<ReviewQuery>()
        .ok::<ReviewPage>(),
        Route::get(
            "/v1/councils/{council}/reviews/{review}",
            Council(ReadCases),
            get_review,
        )
        .ok::<ReviewItem>(),
        Route::post(
            "/v1/councils/{council}/reviews/{review}/resolve",
            Council(WriteCases),
            resolve,
        )
        .json::<ResolveReview>()
        .ok::<ReviewItem>(),
        Route::get(
            "/v1/councils/{council}/participants/{participant}/decisions",
            Council(ReadCases),
            decisions,
        )
        .ok::<DecisionLog>(),
    ]
}
