//! Councils and their policy plugins.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::NaiveTime;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, JsonBody, QueryParams, page_limit};
use super::permission::Grant::{ManageConfig, ReadConfig};
use super::permission::Permission::{self, PlatformAdmin};
use super::problem::{Problem, ProblemKind};
use super::route::Route;
use crate::access::Caller;
use crate::council::{Council, CouncilId};
use crate::councils::{self, CouncilError, Councils};
use crate::journey::Programme;
use crate::plugin_versions::Installed;
use crate::policy::PluginDigest;
use crate::schedule::calendar::Nation;
use crate::store::{DamagedRecord, Durable};

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

impl AppState {
    /// The councils service, over this daemon's store.
    pub(super) fn councils(&self) -> Councils {
        Councils::new(
            self.store.clone(),
            self.clock.clone(),
            self.caseload.clone(),
            self.plugin_versions(),
        )
    }
}

impl From<CouncilError> for Problem {
    fn from(e: CouncilError) -> Problem {
        match e {
            CouncilError::Exists(_) => Problem::new(ProblemKind::CouncilExists, e.to_string()),
            CouncilError::Unknown(_) => Problem::not_found(e.to_string()),
            CouncilError::InvalidName | CouncilError::InvalidProgramme(_) => {
                Problem::new(ProblemKind::InvalidCouncil, e.to_string())
            }
            CouncilError::HasParticipants {
                council: id,
                participants: n,
            } => Problem::new(
                ProblemKind::CouncilHasParticipants,
                format!(
                    "council `{id}` still holds {n} participant(s): erase each first with DELETE /v1/councils/{id}/participants/{{participant}} (GET /v1/councils/{id}/participants lists them; lift any legal hold first), then delete the council"
                ),
            ),
            CouncilError::Store(s) => s.into(),
        }
    }
}

async fn create_council(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<NewCouncil>,
) -> Result<(StatusCode, Durable<Json<CouncilView>>), Problem> {
    let mut council = Council::new(body.id, body.name, body.timezone, body.nation);
    council.programme = body.programme;
    if let Some(at) = body.reminder_time {
        council.reminder_time = at;
    }
    let created = state.councils().create(council).await?;
    Ok((
        StatusCode::CREATED,
        created.map(|c| Json(CouncilView::from(&c))),
    ))
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

async fn update_council(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
    JsonBody(change): JsonBody<CouncilChange>,
) -> Result<Durable<Json<CouncilView>>, Problem> {
    let change = councils::CouncilChange {
        name: change.name,
        timezone: change.timezone,
        nation: change.nation,
        reminder_time: change.reminder_time,
        programme: change.programme,
    };
    let updated = state.councils().update(&id, change).await?;
    Ok(updated.map(|c| Json(CouncilView::from(&c))))
}

async fn delete_council(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    CouncilPath(id): CouncilPath,
) -> Result<Durable<StatusCode>, Problem> {
    let removed = state.councils().remove(&id).await?;
    tracing::info!(council = %id, by = %caller.key, "council deleted");
    Ok(removed.map(|()| StatusCode::NO_CONTENT))
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
) -> Result<Durable<Json<PluginInstalled>>, Problem> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "application/wasm" {
        return Err(Problem::new(
            ProblemKind::UnsupportedMediaType,
            "upload the plugin component as `Content-Type: application/wasm` (built with `waymark plugin build`)",
        ));
    }
    let installed = state.plugin_versions().install(&id, body.to_vec()).await?;
    Ok(installed.map(|i| Json(PluginInstalled::from(&i))))
}

impl From<&Installed> for PluginInstalled {
    fn from(i: &Installed) -> PluginInstalled {
        PluginInstalled {
            digest: i.plugin.digest().clone(),
            settings_schema: i.plugin.settings_schema().clone(),
            contract_version: i.plugin.contract_version().to_owned(),
            golden_cases: i.golden_cases,
        }
    }
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/v1/councils", PlatformAdmin, create_council)
            .json::<NewCouncil>()
            .created::<CouncilView>(),
        Route::get("/v1/councils", PlatformAdmin, list_councils)
            .query::<CouncilQuery>()
            .ok::<CouncilPage>(),
        Route::get(
            "/v1/councils/{council}",
            Permission::Council(ReadConfig),
            get_council,
        )
        .ok::<CouncilView>(),
        // Name, time zone, nation and reminder time are the council's own configuration;
        // removing a tenant is the platform's.
        Route::patch(
            "/v1/councils/{council}",
            Permission::Council(ManageConfig),
            update_council,
        )
        .json::<CouncilChange>()
        .ok::<CouncilView>(),
        Route::delete("/v1/councils/{council}", PlatformAdmin, delete_council).no_content(),
        Route::put(
            "/v1/councils/{council}/plugin",
            Permission::Council(ManageConfig),
            put_plugin,
        )
        .wasm(crate::policy::MAX_UPLOAD_BYTES)
        .ok::<PluginInstalled>(),
    ]
}
