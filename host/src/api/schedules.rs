//! A council's admin cron schedules and its working-day calendar, over HTTP; the
//! changes themselves are the schedules service's (`crate::schedules`).

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, JsonBody, QueryParams};
use super::extract::{MAX_PAGE, page_limit};
use super::problem::{Problem, ProblemKind};
use crate::council::CouncilId;
use crate::schedule::admin::{AdminSchedule, ScheduleDefinition, ScheduleId, ScheduleRun};
use crate::schedule::council_calendar::CalendarSpec;
use crate::schedule::recurrence::{Adjustment, serialize_local};
use crate::schedules::{ScheduleError, Schedules};
use crate::store::{DamagedRecord, Durable, IdempotencyMark};

/// `{council}` and `{schedule}` in the path.
pub struct SchedulePath(pub CouncilId, pub ScheduleId);

impl<S: Send + Sync> FromRequestParts<S> for SchedulePath {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((council, schedule)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::new(ProblemKind::InvalidPath, e.body_text()))?;
        let council: CouncilId = council
            .parse()
            .map_err(|e: crate::council::InvalidCouncilId| Problem::not_found(e.to_string()))?;
        let schedule: ScheduleId =
            schedule
                .parse()
                .map_err(|e: crate::schedule::admin::InvalidScheduleId| {
                    Problem::not_found(e.to_string())
                })?;
        Ok(SchedulePath(council, schedule))
    }
}

impl AppState {
    /// The schedules service, over this daemon's store and scheduler.
    fn schedules(&self) -> Schedules {
        Schedules::new(
            self.store.clone(),
            self.clock.clone(),
            self.caseload.scheduler_wake(),
            self.telemetry.clone(),
        )
    }
}

impl From<ScheduleError> for Problem {
    fn from(e: ScheduleError) -> Problem {
        match e {
            ScheduleError::UnknownCouncil(id) => super::problem::no_council(&id),
            ScheduleError::Unknown(..) => Problem::not_found(e.to_string()),
            ScheduleError::Invalid(_) => Problem::new(ProblemKind::InvalidSchedule, e.to_string()),
            ScheduleError::InvalidCalendar(_) => {
                Problem::new(ProblemKind::InvalidCalendar, e.to_string())
            }
            ScheduleError::SettleCrashed => Problem::unavailable(e.to_string()),
            ScheduleError::Earlier(e) => e.into(),
            ScheduleError::Store(s) => s.into(),
        }
    }
}

async fn create_schedule(
    State(state): State<AppState>,
    CouncilPath(council_id): CouncilPath,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(def): JsonBody<ScheduleDefinition>,
) -> Result<(StatusCode, Durable<Json<AdminSchedule>>), Problem> {
    let created = state
        .schedules()
        .create(&council_id, def, mark.as_deref())
        .await?;
    Ok((StatusCode::CREATED, created.map(Json)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleQuery {
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SchedulePage {
    pub schedules: Vec<AdminSchedule>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<ScheduleId>,
    /// Schedules on this page that could not be read and were skipped, by key
    /// (`council/schedule id`); restore them from a backup. Empty when all were read.
    pub damaged: Vec<DamagedRecord>,
}

async fn list_schedules(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    QueryParams(q): QueryParams<ScheduleQuery>,
) -> Result<Json<SchedulePage>, Problem> {
    state.caseload.council(&council)?;
    let limit = page_limit(q.limit)?;
    let after = match q.after.as_deref() {
        None => None,
        Some(raw) => Some(raw.parse::<ScheduleId>().map_err(|_| {
            Problem::new(
                ProblemKind::InvalidQuery,
                "`after` must be a `next_cursor` from a previous page",
            )
        })?),
    };
    let page = state.store.schedules(&council, after.as_ref(), limit)?;
    Ok(Json(SchedulePage {
        next_cursor: page.next_cursor(|s| s.id.clone()),
        schedules: page.items,
        damaged: page.damaged,
    }))
}

fn load(
    state: &AppState,
    council: &CouncilId,
    id: &ScheduleId,
) -> Result<(AdminSchedule, Vec<u8>), Problem> {
    Ok(state.schedules().get(council, id)?)
}

async fn get_schedule(
    State(state): State<AppState>,
    SchedulePath(council, id): SchedulePath,
) -> Result<Json<AdminSchedule>, Problem> {
    Ok(Json(load(&state, &council, &id)?.0))
}

async fn put_schedule(
    State(state): State<AppState>,
    SchedulePath(council_id, id): SchedulePath,
    JsonBody(def): JsonBody<ScheduleDefinition>,
) -> Result<Durable<Json<AdminSchedule>>, Problem> {
    let next = state.schedules().redefine(&council_id, &id, def).await?;
    Ok(next.map(Json))
}

async fn delete_schedule(
    State(state): State<AppState>,
    SchedulePath(council, id): SchedulePath,
) -> Result<Durable<StatusCode>, Problem> {
    let deleted = state.schedules().delete(&council, &id).await?;
    Ok(deleted.map(|()| StatusCode::NO_CONTENT))
}

async fn pause(
    State(state): State<AppState>,
    SchedulePath(council, id): SchedulePath,
) -> Result<Durable<Json<AdminSchedule>>, Problem> {
    let paused = state.schedules().set_paused(&council, &id, true).await?;
    Ok(paused.map(Json))
}

async fn resume(
    State(state): State<AppState>,
    SchedulePath(council, id): SchedulePath,
) -> Result<Durable<Json<AdminSchedule>>, Problem> {
    let resumed = state.schedules().set_paused(&council, &id, false).await?;
    Ok(resumed.map(Json))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    /// How many occurrences, 1 to 500; default 10.
    pub count: Option<usize>,
}

/// One upcoming occurrence.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PreviewOccurrence {
    /// The fire instant, RFC 3339 with the schedule's local offset.
    #[serde(serialize_with = "serialize_local")]
    pub at: DateTime<FixedOffset>,
    pub utc: DateTime<Utc>,
    /// The local wall-clock time it fires at.
    pub local_time: NaiveDateTime,
    /// The local time the cron expression named (differs when shifted).
    pub nominal_local_time: NaiveDateTime,
    pub adjustments: Vec<Adjustment>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SchedulePreview {
    pub schedule: ScheduleId,
    pub timezone: String,
    /// The daemon's clock: occurrences are strictly after it.
    pub after: DateTime<Utc>,
    /// A paused schedule fires none of these until resumed.
    pub paused: bool,
    pub occurrences: Vec<PreviewOccurrence>,
}

async fn preview(
    State(state): State<AppState>,
    SchedulePath(council_id, id): SchedulePath,
    QueryParams(q): QueryParams<PreviewQuery>,
) -> Result<Json<SchedulePreview>, Problem> {
    let count = q.count.unwrap_or(10);
    if !(1..=MAX_PAGE).contains(&count) {
        return Err(Problem::new(
            ProblemKind::InvalidQuery,
            format!("`count` must be from 1 to {MAX_PAGE}"),
        ));
    }
    let (schedule, _) = load(&state, &council_id, &id)?;
    let council = state.caseload.council(&council_id)?;
    let calendar = state.store.working_calendar(&council)?;
    let now = state.clock.now();
    let tz = schedule.timezone;
    let paused = schedule.paused;
    let occurrences = super::operations::spawn_blocking(move || {
        schedule
            .occurrences_after(now, &calendar, count, None)
            .into_iter()
            .map(|o| PreviewOccurrence {
                at: o.local(tz),
                utc: o.at,
                local_time: o.local(tz).naive_local(),
                nominal_local_time: o.nominal,
                adjustments: o.adjustments,
            })
            .collect()
    })
    .await
    .map_err(|_| Problem::unavailable("computing the preview failed"))?;
    Ok(Json(SchedulePreview {
        schedule: id,
        timezone: tz.name().to_owned(),
        after: now,
        paused,
        occurrences,
    }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    /// The `next_cursor` of the previous page (an instant).
    pub after: Option<DateTime<Utc>>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RunPage {
    pub runs: Vec<ScheduleRun>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<DateTime<Utc>>,
    /// Run records on this page that could not be read and were skipped, by key
    /// (`council/schedule id/` and an instant); restore them from a backup.
    pub damaged: Vec<DamagedRecord>,
}

async fn list_runs(
    State(state): State<AppState>,
    SchedulePath(council, id): SchedulePath,
    QueryParams(q): QueryParams<RunQuery>,
) -> Result<Json<RunPage>, Problem> {
    let limit = page_limit(q.limit)?;
    load(&state, &council, &id)?;
    let page = state.store.schedule_runs(&council, &id, q.after, limit)?;
    Ok(Json(RunPage {
        next_cursor: page.next_cursor(|r| r.scheduled_for),
        runs: page.items,
        damaged: page.damaged,
    }))
}

async fn get_calendar(
    State(state): State<AppState>,
    CouncilPath(council_id): CouncilPath,
) -> Result<Json<CalendarSpec>, Problem> {
    let council = state.caseload.council(&council_id)?;
    Ok(Json(state.store.calendar_spec(&council)?))
}

/// Replaces the council's calendar; its schedules' next occurrences follow it.
async fn put_calendar(
    State(state): State<AppState>,
    CouncilPath(council_id): CouncilPath,
    JsonBody(spec): JsonBody<CalendarSpec>,
) -> Result<Durable<Json<CalendarSpec>>, Problem> {
    let replaced = state
        .schedules()
        .replace_calendar(&council_id, spec)
        .await?;
    Ok(replaced.map(Json))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/councils/{council}/schedules",
            post(create_schedule).get(list_schedules),
        )
        .route(
            "/councils/{council}/schedules/{schedule}",
            get(get_schedule).put(put_schedule).delete(delete_schedule),
        )
        .route(
            "/councils/{council}/schedules/{schedule}/pause",
            post(pause),
        )
        .route(
            "/councils/{council}/schedules/{schedule}/resume",
            post(resume),
        )
        .route(
            "/councils/{council}/schedules/{schedule}/preview",
            get(preview),
        )
        .route(
            "/councils/{council}/schedules/{schedule}/runs",
            get(list_runs),
        )
        .route(
            "/councils/{council}/calendar",
            get(get_calendar).put(put_calendar),
        )
}
