//! `POST /v1/admin/clock`: moves the manual clock (only under `--manual-clock`).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::JsonBody;
use super::permission::Permission::PlatformAdmin;
use super::problem::Problem;
use super::route::Route;
use crate::clock::MANUAL_CLOCK_META;
use crate::store::Durable;

#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetClock {
    /// RFC 3339 instant, e.g. `2026-02-03T09:00:00Z`.
    pub now: DateTime<Utc>,
}

async fn set_clock(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SetClock>,
) -> Result<Durable<Json<SetClock>>, Problem> {
    let clock = state
        .manual_clock
        .as_ref()
        .ok_or_else(|| Problem::not_found("the clock can only be set under --manual-clock"))?;
    // Persisted before it takes effect, so a restart (even after kill -9) resumes
    // the clock here rather than leaping to the real date and firing a year of timers.
    state
        .store
        .set_meta(MANUAL_CLOCK_META, body.now.to_rfc3339().as_bytes())?;
    let done = state.store.commit(()).await?;
    clock.set(body.now);
    Ok(done.map(|()| {
        Json(SetClock {
            now: state.clock.now(),
        })
    }))
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/v1/admin/clock", PlatformAdmin, set_clock)
            .json::<SetClock>()
            .ok::<SetClock>()
            .manual_clock_only(),
    ]
}
