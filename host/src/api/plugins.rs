//! Plugin versions: upload (every upload an immutable version, checked with its
//! golden cases in the sandbox first), list, activate, roll back, and replay the
//! council's decision log against a version before activating it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, JsonBody, VersionPath};
use super::permission::Grant::{ManageConfig, ReadConfig};
use super::permission::Permission;
use super::problem::{Problem, ProblemKind};
use super::route::Route;
use crate::journey::ParticipantId;
use crate::plugin_versions::{ListedVersion, PluginError, PluginVersions as Service, Switched};
use crate::policy::PluginDigest;
use crate::replay::ReplayReport;
use crate::store::{DamagedRecord, Durable};

impl AppState {
    /// The plugin versions service, over this daemon's store and sandbox.
    pub(super) fn plugin_versions(&self) -> Service {
        Service::new(
            self.store.clone(),
            self.policies.clone(),
            self.clock.clone(),
        )
    }
}

impl From<PluginError> for Problem {
    fn from(e: PluginError) -> Problem {
        match e {
            PluginError::UnknownCouncil(id) => super::problem::no_council(&id),
            PluginError::UnknownVersion { ref council, .. } => Problem::not_found(format!(
                "{e}: GET /v1/councils/{council}/plugin/versions lists the versions it uploaded"
            )),
            PluginError::Rejected(_) => Problem::new(ProblemKind::PluginRejected, e.to_string()),
            PluginError::SettingsIncompatible(_) => Problem::new(
                ProblemKind::SettingsIncompatible,
                format!("{e}; PUT settings that suit both versions first, then try again"),
            ),
            PluginError::NoPreviousVersion(_) => {
                Problem::new(ProblemKind::NoPreviousVersion, e.to_string())
            }
            PluginError::Active { .. } => Problem::new(
                ProblemKind::PluginVersionActive,
                format!(
                    "{e}: activate another version (POST …/plugin/versions/{{digest}}/activate or …/plugin/rollback) first, then delete this one"
                ),
            ),
            PluginError::ReplayLimit => Problem::new(ProblemKind::InvalidBody, e.to_string()),
            PluginError::Crashed(_) => Problem::unavailable(e.to_string()),
            PluginError::Store(s) => s.into(),
        }
    }
}

/// A version, as listed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PluginVersionView {
    /// SHA-256 of the component: the version's identity.
    pub digest: PluginDigest,
    /// When this council first uploaded it.
    pub uploaded_at: DateTime<Utc>,
    pub size_bytes: u64,
    /// The `waymark:policy` contract version it was built against.
    pub contract_version: String,
    /// The JSON Schema of its settings.
    pub settings_schema: serde_json::Value,
    /// How many golden cases it carried and passed on upload.
    pub golden_cases: usize,
    pub active: bool,
}

impl From<ListedVersion> for PluginVersionView {
    fn from(listed: ListedVersion) -> PluginVersionView {
        let v = listed.version;
        PluginVersionView {
            digest: v.digest,
            uploaded_at: v.uploaded_at,
            size_bytes: v.size_bytes,
            contract_version: v.contract_version,
            settings_schema: v.settings_schema,
            golden_cases: v.golden_cases,
            active: listed.active,
        }
    }
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
    let listed = state.plugin_versions().list(&id)?;
    Ok(Json(PluginVersions {
        active: listed.active,
        versions: listed.versions.into_iter().map(Into::into).collect(),
        damaged: listed.damaged,
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PluginActivated {
    pub active: PluginDigest,
    /// The version that was active before, if any.
    pub previous: Option<PluginDigest>,
}

impl From<Switched> for PluginActivated {
    fn from(s: Switched) -> PluginActivated {
        PluginActivated {
            active: s.active,
            previous: s.previous,
        }
    }
}

async fn activate(
    State(state): State<AppState>,
    VersionPath(id, digest): VersionPath,
) -> Result<Durable<Json<PluginActivated>>, Problem> {
    let switched = state.plugin_versions().activate(&id, digest).await?;
    Ok(switched.map(|s| Json(s.into())))
}

async fn rollback(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
) -> Result<Durable<Json<PluginActivated>>, Problem> {
    let switched = state.plugin_versions().roll_back(&id).await?;
    Ok(switched.map(|s| Json(s.into())))
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
    let report = state
        .plugin_versions()
        .replay(&id, &digest, body.participant, body.limit)
        .await?;
    Ok(Json(report))
}

async fn get_version(
    State(state): State<AppState>,
    VersionPath(id, digest): VersionPath,
) -> Result<Json<PluginVersionView>, Problem> {
    let version = state.plugin_versions().get(&id, &digest)?;
    Ok(Json(version.into()))
}

async fn delete_version(
    State(state): State<AppState>,
    VersionPath(id, digest): VersionPath,
) -> Result<Durable<StatusCode>, Problem> {
    let deleted = state.plugin_versions().delete(&id, &digest).await?;
    Ok(deleted.map(|()| StatusCode::NO_CONTENT))
}

pub fn routes() -> Vec<Route> {
    // Plugin versions are council configuration.
    vec![
        Route::get(
            "/v1/councils/{council}/plugin/versions",
            Permission::Council(ReadConfig),
            list_versions,
        )
        .ok::<PluginVersions>(),
        Route::get(
            "/v1/councils/{council}/plugin/versions/{digest}",
            Permission::Council(ReadConfig),
            get_version,
        )
        .ok::<PluginVersionView>(),
        Route::delete(
            "/v1/councils/{council}/plugin/versions/{digest}",
            Permission::Council(ManageConfig),
            delete_version,
        )
        .no_content(),
        Route::post(
            "/v1/councils/{council}/plugin/versions/{digest}/activate",
            Permission::Council(ManageConfig),
            activate,
        )
        .ok::<PluginActivated>(),
        Route::post(
            "/v1/councils/{council}/plugin/rollback",
            Permission::Council(ManageConfig),
            rollback,
        )
        .ok::<PluginActivated>(),
        // Replay re-runs recorded decisions (their least-data inputs) under another version.
        Route::post_without_store_write(
            "/v1/councils/{council}/plugin/versions/{digest}/replay",
            Permission::Council(ManageConfig),
            replay_version,
        )
        .json::<ReplayRequest>()
        .ok::<ReplayReport>(),
    ]
}
