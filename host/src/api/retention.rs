//! A council's retention period for closed journeys, read and set by its admin. The
//! daemon's retention sweep (`crate::retention`) erases journeys kept longer.

use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, JsonBody};
use super::permission::Grant::{ManagePrivacy, ReadConfig};
use super::permission::Permission::Council;
use super::problem::{Problem, ProblemKind};
use super::route::Route;
use crate::council::CouncilId;
use crate::store::{DEFAULT_RETENTION_DAYS, Durable, MAX_RETENTION_DAYS, RetentionPolicy};

/// A council's retention period, as set or by default.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RetentionView {
    #[serde(flatten)]
    pub policy: RetentionPolicy,
    /// True while the council keeps the platform's default (2555 days, about 7 years).
    pub default: bool,
}

/// The retention period to set.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Whole days after a journey closed before it is erased, 1 to 36525.
    pub days_after_close: u32,
}

fn view(state: &AppState, council: &CouncilId) -> Result<RetentionView, Problem> {
    state.caseload.council(council)?;
    let set = state.store.retention(council)?;
    Ok(RetentionView {
        default: set.is_none(),
        policy: set.unwrap_or_default(),
    })
}

async fn get_retention(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
) -> Result<Json<RetentionView>, Problem> {
    Ok(Json(view(&state, &council)?))
}

async fn put_retention(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    JsonBody(body): JsonBody<RetentionSettings>,
) -> Result<Durable<Json<RetentionView>>, Problem> {
    state.caseload.council(&council)?;
    if !(1..=MAX_RETENTION_DAYS).contains(&body.days_after_close) {
        return Err(Problem::new(
            ProblemKind::InvalidRetention,
            format!(
                "`days_after_close` is {}; it must be 1 to {MAX_RETENTION_DAYS} (the default is {DEFAULT_RETENTION_DAYS}, about 7 years)",
                body.days_after_close
            ),
        ));
    }
    let policy = RetentionPolicy {
        days_after_close: body.days_after_close,
    };
    state.store.put_retention(&council, &policy)?;
    let done = state.store.commit(Json(view(&state, &council)?)).await?;
    tracing::info!(council = %council, days_after_close = policy.days_after_close, "retention period set");
    Ok(done)
}

pub fn routes() -> Vec<Route> {
    // How long closed journeys are kept is the council's data-protection configuration.
    vec![
        Route::get(
            "/v1/councils/{council}/retention",
            Council(ReadConfig),
            get_retention,
        )
        .ok::<RetentionView>(),
        Route::put(
            "/v1/councils/{council}/retention",
            Council(ManagePrivacy),
            put_retention,
        )
        .json::<RetentionSettings>()
        .ok::<RetentionView>(),
    ]
}
