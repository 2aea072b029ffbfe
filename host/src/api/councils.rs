//! Councils and their policy plugins.

use axum::body::Bytes;
use axum::extract::Extension;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::NaiveTime;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, JsonBody, QueryParams, page_limit};
use super::problem::Problem;
use crate::access::Caller;
use crate::council::{Council, CouncilId};
use crate::journey::Programme;
use crate::policy::PluginDigest;
use crate::schedule::calendar::Nation;
use crate::store::{CouncilRemoval, DamagedRecord};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCouncil {
    pub id: CouncilId,
    pub name: String,
    /// IANA time zone; default `Europe/London`.
    #[serde(default = "london")]
    #[schemars(with = "String")]
    pub timezone: chrono_tz::Tz,
    /// Whose bank holidays count; default England and Wales.
    #[serde(default)]
    pub nation: Nation,
    /// Local time at which dated reminders fire; default 08:00.
    pub reminder_time: Option<NaiveTime>,
    /// The programme run, which fixes the end of support: `{"kind":"connect_to_work"}`
    /// (default), `{"kind":"ipes"}` or `{"kind":"ips_primary_care","max_months":9}`.
    #[serde(default)]
    pub programme: Programme,
}

fn london() -> chrono_tz::Tz {
    chrono_tz::Europe::London
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CouncilView {
    pub id: CouncilId,
    pub name: String,
    pub timezone: String,
    pub nation: Nation,
    pub reminder_time: NaiveTime,
    pub active_plugin: Option<PluginDigest>,
    pub settings: serde_json::Value,
    pub programme: Programme,
}

impl From<&Council> for CouncilView {
    fn from(c: &Council) -> Self {
        CouncilView {
            id: c.id.clone(),
            name: c.name.clone(),
            timezone: c.timezone.name().to_owned(),
            nation: c.nation,
            reminder_time: c.reminder_time,
            active_plugin: c.active_plugin.clone(),
            settings: c.settings.clone(),
            programme: c.programme,
        }
    }
}

async fn create_council(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<NewCouncil>,
) -> Result<(StatusCode, Json<CouncilView>), Problem> {
    valid_name(&body.name)?;
    valid_programme(&body.programme)?;
    let mut council = Council::new(body.id, body.name, body.timezone, body.nation);
    council.programme = body.programme;
    if let Some(at) = body.reminder_time {
        council.reminder_time = at;
    }
    if !state.store.create_council(&council)? {
        return Err(Problem::conflict(
            "council-exists",
            format!("council `{}` already exists", council.id),
        ));
    }
    state.store.flush().await?;
    tracing::info!(council = %council.id, "council created");
    Ok((StatusCode::CREATED, Json(CouncilView::from(&council))))
}

async fn get_council(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
) -> Result<Json<CouncilView>, Problem> {
    let council = state.caseload.council(&id)?;
    Ok(Json(CouncilView::from(&council)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CouncilQuery {
    /// The `next_cursor` of the previous page.
    pub after: Option<CouncilId>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CouncilPage {
    /// In id order.
    pub councils: Vec<CouncilView>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<CouncilId>,
    /// Council records on this page that could not be read and were skipped, by
    /// key (the council id); restore them from a backup. Empty when all were read.
    pub damaged: Vec<DamagedRecord>,
}

async fn list_councils(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<CouncilQuery>,
) -> Result<Json<CouncilPage>, Problem> {
    let limit = page_limit(q.limit)?;
    let page = state.store.councils_page(q.after.as_ref(), limit)?;
    Ok(Json(CouncilPage {
        councils: page.iter().map(CouncilView::from).collect(),
        next_cursor: page.next_cursor(|c| c.id.clone()),
        damaged: page.damaged,
    }))
}

/// The parts of a council that can change after it is made; each is optional and
/// what is left out stays as it is. (Settings, limits, calendar and the plugin have
/// their own routes.)
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CouncilChange {
    /// 1 to 200 characters.
    pub name: Option<String>,
    /// IANA time zone, e.g. `Europe/London`.
    #[schemars(with = "Option<String>")]
    pub timezone: Option<chrono_tz::Tz>,
    /// Whose bank holidays count.
    pub nation: Option<Nation>,
    /// Local time at which dated reminders fire (already planned reminders keep theirs).
    pub reminder_time: Option<NaiveTime>,
    /// The programme run; journeys are re-planned under it at their next change.
    pub programme: Option<Programme>,
}

fn valid_programme(programme: &Programme) -> Result<(), Problem> {
    programme
        .validate()
        .map_err(|e| Problem::unprocessable("invalid-council", e.to_string()))
}

fn valid_name(name: &str) -> Result<(), Problem> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(Problem::unprocessable(
            "invalid-council",
            "`name` must be 1 to 200 characters",
        ));
    }
    Ok(())
}

async fn update_council(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
    JsonBody(change): JsonBody<CouncilChange>,
) -> Result<Json<CouncilView>, Problem> {
    if let Some(name) = &change.name {
        valid_name(name)?;
    }
    if let Some(programme) = &change.programme {
        valid_programme(programme)?;
    }
    let updated = state
        .store
        .update_council(&id, |c| {
            if let Some(name) = &change.name {
                c.name.clone_from(name);
            }
            if let Some(tz) = change.timezone {
                c.timezone = tz;
            }
            if let Some(nation) = change.nation {
                c.nation = nation;
            }
            if let Some(time) = change.reminder_time {
                c.reminder_time = time;
            }
            if let Some(programme) = change.programme {
                c.programme = programme;
            }
            Ok(())
        })?
        .ok_or_else(|| Problem::not_found(format!("no council `{id}`")))?;
    state.store.flush().await?;
    tracing::info!(council = %id, "council updated");
    Ok(Json(CouncilView::from(&updated)))
}

async fn delete_council(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    CouncilPath(id): CouncilPath,
) -> Result<StatusCode, Problem> {
    let removal = {
        let _no_referrals = state.caseload.hold_new_journeys().await;
        state.store.remove_council(&id, state.clock.now())?
    };
    match removal {
        CouncilRemoval::Removed => {}
        CouncilRemoval::Unknown => {
            return Err(Problem::not_found(format!("no council `{id}`")));
        }
        CouncilRemoval::HasParticipants(n) => {
            return Err(Problem::conflict(
                "council-has-participants",
                format!(
                    "council `{id}` still holds {n} participant(s): erase each first with DELETE /v1/councils/{id}/participants/{{participant}} (GET /v1/councils/{id}/participants lists them; lift any legal hold first), then delete the council"
                ),
            ));
        }
    }
    state.store.flush().await?;
    tracing::info!(council = %id, by = %caller.key, "council deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PluginInstalled {
    pub digest: PluginDigest,
    pub settings_schema: serde_json::Value,
    /// The `waymark:policy` contract version the plugin was built against.
    pub contract_version: String,
    /// How many golden cases the plugin carried; all passed in the sandbox.
    pub golden_cases: usize,
}

/// Validates a component in the real sandbox, stores it, and makes it the council's policy.
/// A rejected upload changes nothing: the active plugin stays as it was.
async fn put_plugin(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PluginInstalled>, Problem> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "application/wasm" {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "upload the plugin component as `Content-Type: application/wasm` (built with `waymark plugin build`)",
        ));
    }
    let mut council = state.caseload.council(&id)?;
    let installed = install_plugin(&state, &mut council, body.to_vec()).await?;
    Ok(Json(installed))
}

/// Shared by the upload route and `serve --seed`: see `plugins::install`.
pub async fn install_plugin(
    state: &AppState,
    council: &mut Council,
    bytes: Vec<u8>,
) -> Result<PluginInstalled, Problem> {
    super::plugins::install(state, council, bytes).await
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/councils", get(list_councils).post(create_council))
        .route(
            "/councils/{council}",
            get(get_council)
                .patch(update_council)
                .delete(delete_council),
        )
        .route(
            "/councils/{council}/plugin",
            put(put_plugin).layer(DefaultBodyLimit::max(crate::policy::MAX_UPLOAD_BYTES)),
        )
}
