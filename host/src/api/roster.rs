//! The council's roster: its participants a page at a time with the least data
//! (ids, state and dates, never names, dates of birth or postcodes), and one
//! participant's journey events a page at a time.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, ParticipantPath, QueryParams, page_limit};
use super::problem::Problem;
use crate::journey::{Journey, ParticipantId, State as JourneyState};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantQuery {
    /// The `next_cursor` of the previous page.
    pub after: Option<ParticipantId>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
}

/// A participant as listed: enough to find and triage a case, nothing that names them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ParticipantSummary {
    pub participant_id: ParticipantId,
    pub state: JourneyState,
    pub referred_on: Option<NaiveDate>,
    pub started_on: Option<NaiveDate>,
    pub support_ends_on: Option<NaiveDate>,
    /// The date of the journey's latest event.
    pub last_event_on: Option<NaiveDate>,
    pub events: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ParticipantPage {
    /// In participant-id order (stable across pages, unrelated to referral order).
    pub participants: Vec<ParticipantSummary>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<ParticipantId>,
}

fn summary(journey: &Journey) -> Result<ParticipantSummary, Problem> {
    let state = journey.state().map_err(|e| {
        tracing::error!(participant = %journey.participant, error = %e, "stored journey does not fold");
        Problem::unavailable("a journey's record is damaged; restore it from a backup")
    })?;
    Ok(ParticipantSummary {
        participant_id: journey.participant,
        state,
        referred_on: journey.referral().map(|(_, on)| on),
        started_on: journey.started_on(),
        support_ends_on: journey.support_ends_on(),
        last_event_on: journey.events.last().map(|e| e.at()),
        events: journey.events.len(),
    })
}

async fn list_participants(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    QueryParams(q): QueryParams<ParticipantQuery>,
) -> Result<Json<ParticipantPage>, Problem> {
    state.caseload.council(&council)?;
    let limit = page_limit(q.limit)?;
    let mut journeys = state.store.journeys_page(&council, q.after, limit + 1)?;
    let next_cursor = if journeys.len() > limit {
        journeys.truncate(limit);
        journeys.last().map(|j| j.participant)
    } else {
        None
    };
    Ok(Json(ParticipantPage {
        participants: journeys.iter().map(summary).collect::<Result<_, _>>()?,
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// The `next_cursor` of the previous page.
    pub after: Option<usize>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
}

/// One event of a journey with its place in it (the referral is 0).
#[derive(Debug, Serialize, JsonSchema)]
pub struct JourneyEntry {
    pub seq: usize,
    /// The event, tagged by `type` (as in a participant's `history`).
    pub event: serde_json::Value,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EventPage {
    /// Oldest first.
    pub events: Vec<JourneyEntry>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<usize>,
}

async fn list_events(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
    QueryParams(q): QueryParams<EventQuery>,
) -> Result<Json<EventPage>, Problem> {
    state.caseload.council(&council)?;
    let limit = page_limit(q.limit)?;
    let (journey, _) = state.store.journey(&council, participant)?.ok_or_else(|| {
        Problem::not_found(format!(
            "no participant `{participant}` in council `{council}`"
        ))
    })?;
    let from = q.after.map_or(0, |a| a.saturating_add(1));
    let events: Vec<JourneyEntry> = journey
        .events
        .iter()
        .enumerate()
        .skip(from)
        .take(limit)
        .map(|(seq, event)| JourneyEntry {
            seq,
            event: serde_json::to_value(event).unwrap_or_default(),
        })
        .collect();
    let next_cursor = events
        .last()
        .map(|e| e.seq)
        .filter(|last| last + 1 < journey.events.len());
    Ok(Json(EventPage {
        events,
        next_cursor,
    }))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/councils/{council}/participants", get(list_participants))
        .route(
            "/councils/{council}/participants/{participant}/events",
            get(list_events),
        )
}
