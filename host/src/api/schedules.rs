//! A council's admin cron schedules and its working-day calendar.
//!
//! Every change first settles the schedule's occurrences due so far under the rules
//! that applied until now, then takes effect from the daemon's clock.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::{Extension, Json};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, JsonBody, QueryParams};
use super::extract::{MAX_PAGE, page_limit};
use super::permission::Grant::{ManageConfig, ReadConfig};
use super::permission::Permission::Council;
use super::problem::Problem;
use super::route::Route;
use crate::council::CouncilId;
use crate::schedule::admin::{AdminSchedule, InvalidSchedule, ScheduleDefinition, ScheduleRun};
use crate::schedule::council_calendar::CalendarSpec;
use crate::schedule::firing::ScheduleId;
use crate::schedule::recurrence::{Adjustment, serialize_local};
use crate::schedule::scheduler::settle_schedule;
use crate::store::{DamagedRecord, Done, IdempotencyMark, Made};

/// `{council}` and `{schedule}` in the path.
pub struct SchedulePath(pub CouncilId, pub ScheduleId);

impl<S: Send + Sync> FromRequestParts<S> for SchedulePath {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((council, schedule)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::bad_request("invalid-path", e.body_text()))?;
        let council: CouncilId = council
            .parse()
            .map_err(|e: crate::council::InvalidCouncilId| Problem::not_found(e.to_string()))?;
        let schedule: ScheduleId =
            schedule
                .parse()
                .map_err(|e: crate::schedule::firing::InvalidScheduleId| {
                    Problem::not_found(e.to_string())
                })?;
        Ok(SchedulePath(council, schedule))
    }
}

fn invalid(e: InvalidSchedule) -> Problem {
    Problem::unprocessable("invalid-schedule", e.to_string())
}

fn no_schedule(council: &CouncilId, id: &ScheduleId) -> Problem {
    Problem::not_found(format!("no schedule `{id}` in council `{council}`"))
}

/// Settles what is due before a change, off the async runtime.
async fn settle(state: &AppState, council: &CouncilId, id: &ScheduleId) -> Result<(), Problem> {
    let (store, council, id, now) = (
        state.store.clone(),
        council.clone(),
        id.clone(),
        state.clock.now(),
    );
    let fired =
        super::operations::spawn_blocking(move || settle_schedule(&store, &council, &id, now))
            .await
            .map_err(|_| {
                Problem::unavailable("settling the schedule failed; nothing was changed")
            })??;
    for action in &fired {
        state.telemetry.fired(action);
    }
    Ok(())
}

async fn create_schedule(
    State(state): State<AppState>,
    CouncilPath(council_id): CouncilPath,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(def): JsonBody<ScheduleDefinition>,
) -> Result<(StatusCode, Json<AdminSchedule>), Problem> {
    let now = state.clock.now();
    // A retry whose first run was written but whose answer was lost in a crash: the
    // schedule exists, and a second one would fire everything twice.
    if let Some(Extension(mark)) = &mark {
        match state.store.done_under(mark, now)? {
            Done::NotYet => {}
            Done::Made(Made::Schedule(id)) => {
                let (schedule, _) = state
                    .store
                    .schedule(&council_id, &id)?
                    .ok_or_else(|| no_schedule(&council_id, &id))?;
                return Ok((StatusCode::CREATED, Json(schedule)));
            }
            Done::Made(_) | Done::OtherRequest => return Err(super::idempotency::key_reused(None)),
        }
    }
    let council = state.caseload.council(&council_id)?;
    let calendar = state.store.working_calendar(&council)?;
    let schedule = AdminSchedule::define(
        ScheduleId::new_random(),
        council_id,
        council.timezone,
        def,
        now,
        &calendar,
    )
    .map_err(invalid)?;
    state
        .store
        .create_schedule(&schedule, mark.as_deref().map(|m| (m, now)))?;
    state.store.flush().await?;
    state.caseload.wake_scheduler();
    tracing::info!(council = %schedule.council, schedule = %schedule.id, "schedule created");
    Ok((StatusCode::CREATED, Json(schedule)))
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
            Problem::bad_request(
                "invalid-query",
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
    state.caseload.council(council)?;
    state
        .store
        .schedule(council, id)?
        .ok_or_else(|| no_schedule(council, id))
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
) -> Result<Json<AdminSchedule>, Problem> {
    let council = state.caseload.council(&council_id)?;
    load(&state, &council_id, &id)?;
    let calendar = state.store.working_calendar(&council)?;
    // Validate before settling, so a refused request changes nothing.
    let now = state.clock.now();
    AdminSchedule::define(
        id.clone(),
        council_id.clone(),
        council.timezone,
        def.clone(),
        now,
        &calendar,
    )
    .map_err(invalid)?;
    settle(&state, &council_id, &id).await?;
    let (current, raw) = load(&state, &council_id, &id)?;
    let next = current
        .redefine(council.timezone, def, now, &calendar)
        .map_err(invalid)?;
    state.store.replace_schedule(Some(&raw), &next)?;
    state.store.flush().await?;
    state.caseload.wake_scheduler();
    Ok(Json(next))
}

async fn delete_schedule(
    State(state): State<AppState>,
    SchedulePath(council, id): SchedulePath,
) -> Result<StatusCode, Problem> {
    load(&state, &council, &id)?;
    // What fell due before the delete is dealt with (fired or recorded), not dropped.
    settle(&state, &council, &id).await?;
    if !state.store.delete_schedule(&council, &id)? {
        return Err(no_schedule(&council, &id));
    }
    state.store.flush().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_paused(
    state: &AppState,
    council: &CouncilId,
    id: &ScheduleId,
    paused: bool,
) -> Result<Json<AdminSchedule>, Problem> {
    load(state, council, id)?;
    settle(state, council, id).await?;
    let (current, raw) = load(state, council, id)?;
    if current.paused == paused {
        return Ok(Json(current));
    }
    let mut next = current;
    next.paused = paused;
    next.updated_at = state.clock.now();
    state.store.replace_schedule(Some(&raw), &next)?;
    state.store.flush().await?;
    state.caseload.wake_scheduler();
    tracing::info!(council = %council, schedule = %id, paused, "schedule paused or resumed");
    Ok(Json(next))
}

async fn pause(
    State(state): State<AppState>,
    SchedulePath(council, id): SchedulePath,
) -> Result<Json<AdminSchedule>, Problem> {
    set_paused(&state, &council, &id, true).await
}

async fn resume(
    State(state): State<AppState>,
    SchedulePath(council, id): SchedulePath,
) -> Result<Json<AdminSchedule>, Problem> {
    set_paused(&state, &council, &id, false).await
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
        return Err(Problem::bad_request(
            "invalid-query",
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

async fn settle_all(state: &AppState, council: &CouncilId) -> Result<(), Problem> {
    let mut after = None;
    loop {
        let page = state.store.schedules(council, after.as_ref(), MAX_PAGE)?;
        for s in &page.items {
            settle(state, council, &s.id).await?;
        }
        match page.next_cursor(|s| s.id.clone()) {
            Some(next) => after = Some(next),
            None => return Ok(()),
        }
    }
}

/// Replaces the council's calendar; its schedules' next occurrences follow it.
async fn put_calendar(
    State(state): State<AppState>,
    CouncilPath(council_id): CouncilPath,
    JsonBody(spec): JsonBody<CalendarSpec>,
) -> Result<Json<CalendarSpec>, Problem> {
    state.caseload.council(&council_id)?;
    spec.validate()
        .map_err(|e| Problem::unprocessable("invalid-calendar", e.to_string()))?;
    // Occurrences due so far were due under the old calendar; settling again after
    // the change re-aims each schedule at its next occurrence under the new one.
    settle_all(&state, &council_id).await?;
    state.store.put_calendar_spec(&council_id, &spec)?;
    settle_all(&state, &council_id).await?;
    state.store.flush().await?;
    state.caseload.wake_scheduler();
    tracing::info!(council = %council_id, "calendar replaced");
    Ok(Json(spec))
}

pub fn routes() -> Vec<Route> {
    // Schedules and the working-day calendar are council configuration.
    vec![
        Route::get(
            "/v1/councils/{council}/calendar",
            Council(ReadConfig),
            get_calendar,
        )
        .ok::<CalendarSpec>(),
        Route::put(
            "/v1/councils/{council}/calendar",
            Council(ManageConfig),
            put_calendar,
        )
        .json::<CalendarSpec>()
        .ok::<CalendarSpec>(),
        Route::get(
            "/v1/councils/{council}/schedules",
            Council(ReadConfig),
            list_schedules,
        )
        .query::<ScheduleQuery>()
        .ok::<SchedulePage>(),
        Route::post(
            "/v1/councils/{council}/schedules",
            Council(ManageConfig),
            create_schedule,
        )
        .json::<ScheduleDefinition>()
        .created::<AdminSchedule>(),
        Route::get(
            "/v1/councils/{council}/schedules/{schedule}",
            Council(ReadConfig),
            get_schedule,
        )
        .ok::<AdminSchedule>(),
        Route::put(
            "/v1/councils/{council}/schedules/{schedule}",
            Council(ManageConfig),
            put_schedule,
        )
        .json::<ScheduleDefinition>()
        .ok::<AdminSchedule>(),
        Route::delete(
            "/v1/councils/{council}/schedules/{schedule}",
            Council(ManageConfig),
            delete_schedule,
        )
        .no_content(),
        Route::get(
            "/v1/councils/{council}/schedules/{schedule}/preview",
            Council(ReadConfig),
            preview,
        )
        .query::<PreviewQuery>()
        .ok::<SchedulePreview>(),
        Route::get(
            "/v1/councils/{council}/schedules/{schedule}/runs",
            Council(ReadConfig),
            list_runs,
        )
        .query::<RunQuery>()
        .ok::<RunPage>(),
        Route::post(
            "/v1/councils/{council}/schedules/{schedule}/pause",
            Council(ManageConfig),
            pause,
        )
        .ok::<AdminSchedule>(),
        Route::post(
            "/v1/councils/{council}/schedules/{schedule}/resume",
            Council(ManageConfig),
            resume,
        )
        .ok::<AdminSchedule>(),
    ]
}
