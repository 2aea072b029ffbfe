//! The council's roster: its participants a page at a time with the least data
//! (ids, state and dates, never names, dates of birth or postcodes), and one
//! participant's journey events a page at a time.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, ParticipantPath, QueryParams, page_limit};
use super::permission::Grant::ReadCases;
use super::permission::Permission::Council;
use super::problem::Problem;
use super::route::Route;
use crate::journey::{Journey, ParticipantId, Programme, State as JourneyState};
use crate::store::DamagedRecord;

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
    /// Journeys on this page that could not be read (or whose events do not make a
    /// state) and were skipped, by key (`council/participant id`); restore them from
    /// a backup. Empty when all were read.
    pub damaged: Vec<DamagedRecord>,
}

/// The journey's summary, or what to name it by when its events do not fold.
fn summary(journey: &Journey, programme: &Programme) -> Result<ParticipantSummary, DamagedRecord> {
    let state = journey.state().map_err(|e| {
        tracing::error!(participant = %journey.participant, error = %e, "stored journey does not fold; skipped from the list");
        DamagedRecord {
            key: format!("{}/{}", journey.council, journey.participant),
            reason: "its events do not make a state".to_owned(),
        }
    })?;
    Ok(ParticipantSummary {
        participant_id: journey.participant,
        state,
        referred_on: journey.referral().map(|(_, on)| on),
        started_on: journey.started_on(),
        support_ends_on: journey.support_ends_on(programme),
        last_event_on: journey.events.last().map(|e| e.at()),
        events: journey.events.len(),
    })
}

async fn list_participants(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    QueryParams(q): QueryParams<ParticipantQuery>,
) -> Result<Json<ParticipantPage>, Problem> {
    let programme = state.caseload.council(&council)?.programme;
    let limit = page_limit(q.limit)?;
    let page = state.store.journeys_page(&council, q.after, limit)?;
    let next_cursor = page.next_cursor(|j| j.participant);
    let mut participants = Vec::with_capacity(page.items.len());
    let mut damaged = page.damaged;
    for journey in &page.items {
        match summary(journey, &programme) {
            Ok(s) => participants.push(s),
            Err(d) => damaged.push(d),
        }
    }
    // Key order: a journey that does not fold sorts among those that do not decode.
    damaged.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Json(ParticipantPage {
        participants,
        next_cursor,
        damaged,
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

pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/v1/councils/{council}/participants",
            Council(ReadCases),
            list_participants,
        )
        .query::<ParticipantQuery>()
        .ok::<ParticipantPage>(),
        Route::get(
            "/v1/councils/{council}/participants/{participant}/events",
            Council(ReadCases),
            list_events,
        )
        .query::<EventQuery>()
        .ok::<EventPage>(),
    ]
}
