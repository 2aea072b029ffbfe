//! Plugin versions: upload (every upload an immutable version, checked with its
//! golden cases in the sandbox first), list, activate, roll back, and replay the
//! council's decision log against a version before activating it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::councils::PluginInstalled;
use super::extract::{CouncilPath, JsonBody, VersionPath};
use super::problem::Problem;
use crate::council::Council;
use crate::journey::ParticipantId;
use crate::policy::settings::{self as council_settings, InvalidSettings};
use crate::policy::{Plugin, PluginDigest};
use crate::replay::{self, ReplayReport};
use crate::store::{
    ActivatedBy, Activation, DamagedRecord, PluginVersion, VersionRemoval, previous_version,
};

/// Validates a component in the real sandbox (its golden cases included, under the
/// council's limits), stores it as a version and makes it the council's policy, in
/// one transaction. A rejected upload changes nothing: the active plugin stays.
pub(super) async fn install(
    state: &AppState,
    council: &mut Council,
    bytes: Vec<u8>,
) -> Result<PluginInstalled, Problem> {
    let policies = state.policies.clone();
    let limits = council.limits;
    let checked = super::operations::spawn_blocking(move || {
        policies.check_upload(&bytes, &limits).map(|c| (c, bytes))
    })
    .await
    .map_err(|_| Problem::unavailable("plugin validation crashed; nothing was changed"))?;
    let (checked, bytes) =
        checked.map_err(|e| Problem::unprocessable("plugin-rejected", e.to_string()))?;
    let plugin = checked.plugin;
    settings_fit(&plugin, council).await?;

    let now = state.clock.now();
    let version = PluginVersion {
        digest: plugin.digest().clone(),
        uploaded_at: now,
        size_bytes: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        contract_version: plugin.contract_version().to_owned(),
        settings_schema: plugin.settings_schema().clone(),
        golden_cases: checked.golden_cases,
    };
    let activation = Activation {
        digest: plugin.digest().clone(),
        at: now,
        by: ActivatedBy::Upload,
    };
    let stored = state
        .store
        .activate_plugin(
            &council.id,
            &activation,
            Some((&version, &bytes)),
            &council.settings,
        )?
        .ok_or_else(|| Problem::not_found(format!("no council `{}`", council.id)))?;
    state.store.flush().await?;
    // Accepted and stored: only now is it kept, in memory and as machine code on disk.
    let plugin = {
        let (policies, accepted) = (state.policies.clone(), plugin.clone());
        super::operations::spawn_blocking(move || policies.admit(&accepted))
            .await
            .unwrap_or(plugin)
    };
    *council = stored;
    tracing::info!(council = %council.id, plugin = %plugin.digest(), golden_cases = checked.golden_cases, "plugin uploaded and activated");
    Ok(PluginInstalled {
        digest: plugin.digest().clone(),
        settings_schema: plugin.settings_schema().clone(),
        contract_version: plugin.contract_version().to_owned(),
        golden_cases: checked.golden_cases,
    })
}

/// A version may only become active if its schema is usable and the council's
/// current settings fit it; otherwise every decision would be refused. The check
/// runs on a blocking thread: the schema is the plugin's, vetted to bound the work
/// (see `policy::settings`), but still work the async workers must not wait on. It
/// stops if the client hangs up (this future is dropped, and the guard with it).
async fn settings_fit(plugin: &Plugin, council: &Council) -> Result<(), Problem> {
    let schema = plugin.settings_schema().clone();
    let settings = council.settings.clone();
    let stop = council_settings::CheckStop::default();
    let _abandon = stop.abandon_on_drop();
    let checked = super::operations::spawn_blocking(move || {
        council_settings::validate_settings(&schema, &settings, &stop)
    })
    .await
    .map_err(|_| Problem::unavailable("checking the settings crashed; nothing was changed"))?;
    match checked {
        Ok(()) => Ok(()),
        Err(e @ (InvalidSettings::BadSchema(_) | InvalidSettings::Unbounded(_))) => {
            Err(Problem::unprocessable("plugin-rejected", e.to_string()))
        }
        Err(e @ (InvalidSettings::TooSlow | InvalidSettings::Abandoned)) => Err(
            Problem::unprocessable("settings-check-stopped", e.to_string()),
        ),
        Err(e) => Err(Problem::unprocessable(
            "settings-incompatible",
            format!(
                "the council's current settings do not fit this plugin version ({e}); \
                 PUT settings that suit both versions first, then try again"
            ),
        )),
    }
}

/// A version, as listed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PluginVersionView {
    #[serde(flatten)]
    pub version: PluginVersion,
    pub active: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PluginVersions {
    pub active: Option<PluginDigest>,
    /// Every version this council uploaded, oldest first.
    pub versions: Vec<PluginVersionView>,
    /// Version records that could not be read and were skipped, by key
    /// (`council/digest`); restore them from a backup. Empty when all were read.
    pub damaged: Vec<DamagedRecord>,
}

async fn list_versions(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
) -> Result<Json<PluginVersions>, Problem> {
    let council = state.caseload.council(&id)?;
    let listed = state.store.plugin_versions(&id)?;
    let versions = listed
        .items
        .into_iter()
        .map(|version| PluginVersionView {
            active: council.active_plugin.as_ref() == Some(&version.digest),
            version,
        })
        .collect();
    Ok(Json(PluginVersions {
        active: council.active_plugin,
        versions,
        damaged: listed.damaged,
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PluginActivated {
    pub active: PluginDigest,
    /// The version that was active before, if any.
    pub previous: Option<PluginDigest>,
}

/// A version this council uploaded, compiled and ready; 404 for any other.
async fn council_version(
    state: &AppState,
    council: &Council,
    digest: &PluginDigest,
) -> Result<std::sync::Arc<Plugin>, Problem> {
    let unknown = || {
        Problem::not_found(format!(
            "council `{}` has no plugin version {digest}: GET /v1/councils/{}/plugin/versions lists the versions it uploaded",
            council.id, council.id
        ))
    };
    state
        .store
        .plugin_version(&council.id, digest)?
        .ok_or_else(unknown)?;
    if let Some(plugin) = state.policies.get(digest) {
        return Ok(plugin);
    }
    let bytes = state.store.plugin_bytes(digest)?.ok_or_else(unknown)?;
    let policies = state.policies.clone();
    super::operations::spawn_blocking(move || policies.load(&bytes))
        .await
        .map_err(|_| Problem::unavailable("loading the plugin crashed; nothing was changed"))?
        .map_err(|e| Problem::unprocessable("plugin-rejected", e.to_string()))
}

async fn switch_to(
    state: &AppState,
    council: Council,
    digest: PluginDigest,
    by: ActivatedBy,
) -> Result<Json<PluginActivated>, Problem> {
    let plugin = council_version(state, &council, &digest).await?;
    settings_fit(&plugin, &council).await?;
    let activation = Activation {
        digest: digest.clone(),
        at: state.clock.now(),
        by,
    };
    state
        .store
        .activate_plugin(&council.id, &activation, None, &council.settings)?
        .ok_or_else(|| Problem::not_found(format!("no council `{}`", council.id)))?;
    state.store.flush().await?;
    tracing::info!(council = %council.id, plugin = %digest, ?by, "plugin version activated");
    Ok(Json(PluginActivated {
        active: digest,
        previous: council.active_plugin,
    }))
}

async fn activate(
    State(state): State<AppState>,
    VersionPath(id, digest): VersionPath,
) -> Result<Json<PluginActivated>, Problem> {
    let council = state.caseload.council(&id)?;
    switch_to(&state, council, digest, ActivatedBy::Activate).await
}

async fn rollback(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
) -> Result<Json<PluginActivated>, Problem> {
    let council = state.caseload.council(&id)?;
    let no_previous = || {
        Problem::conflict(
            "no-previous-version",
            format!("council `{id}` has no earlier plugin version to roll back to"),
        )
    };
    let current = council.active_plugin.clone().ok_or_else(no_previous)?;
    let previous =
        previous_version(&state.store.activations(&id)?, &current).ok_or_else(no_previous)?;
    switch_to(&state, council, previous, ActivatedBy::Rollback).await
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Replay only this participant's decisions.
    pub participant: Option<ParticipantId>,
    /// The most decisions to replay, 1 to 10000; default 10000.
    pub limit: Option<usize>,
}

async fn replay_version(
    State(state): State<AppState>,
    VersionPath(id, digest): VersionPath,
    JsonBody(body): JsonBody<ReplayRequest>,
) -> Result<Json<ReplayReport>, Problem> {
    let council = state.caseload.council(&id)?;
    let limit = body.limit.unwrap_or(replay::DEFAULT_LIMIT);
    if !(1..=replay::DEFAULT_LIMIT).contains(&limit) {
        return Err(Problem::bad_request(
            "invalid-body",
            format!("`limit` must be from 1 to {}", replay::DEFAULT_LIMIT),
        ));
    }
    let plugin = council_version(&state, &council, &digest).await?;
    let store = state.store.clone();
    let report = super::operations::spawn_blocking(move || {
        replay::replay(&store, &council, &plugin, body.participant, limit)
    })
    .await
    .map_err(|_| Problem::unavailable("the replay crashed; nothing was changed"))??;
    Ok(Json(report))
}

fn unknown_version(council: &Council, digest: &PluginDigest) -> Problem {
    Problem::not_found(format!(
        "council `{}` has no plugin version {digest}: GET /v1/councils/{}/plugin/versions lists the versions it uploaded",
        council.id, council.id
    ))
}

async fn get_version(
    State(state): State<AppState>,
    VersionPath(id, digest): VersionPath,
) -> Result<Json<PluginVersionView>, Problem> {
    let council = state.caseload.council(&id)?;
    let version = state
        .store
        .plugin_version(&id, &digest)?
        .ok_or_else(|| unknown_version(&council, &digest))?;
    Ok(Json(PluginVersionView {
        active: council.active_plugin.as_ref() == Some(&version.digest),
        version,
    }))
}

async fn delete_version(
    State(state): State<AppState>,
    VersionPath(id, digest): VersionPath,
) -> Result<StatusCode, Problem> {
    let council = state.caseload.council(&id)?;
    match state.store.remove_plugin_version(&id, &digest)? {
        VersionRemoval::Removed => {}
        VersionRemoval::Unknown => return Err(unknown_version(&council, &digest)),
        VersionRemoval::Active => {
            return Err(Problem::conflict(
                "plugin-version-active",
                format!(
                    "plugin version {digest} is council `{id}`'s active policy: activate another version (POST …/plugin/versions/{{digest}}/activate or …/plugin/rollback) first, then delete this one"
                ),
            ));
        }
    }
    state.store.flush().await?;
    tracing::info!(council = %id, plugin = %digest, "plugin version deleted");
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/councils/{council}/plugin/versions", get(list_versions))
        .route(
            "/councils/{council}/plugin/versions/{digest}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/councils/{council}/plugin/versions/{digest}/activate",
            post(activate),
        )
        .route(
            "/councils/{council}/plugin/versions/{digest}/replay",
            post(replay_version),
        )
        .route("/councils/{council}/plugin/rollback", post(rollback))
}
