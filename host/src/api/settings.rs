//! A council's plugin settings and sandbox limits, read and changed over HTTP.
//! Settings are validated against the active plugin's JSON Schema, limits against
//! the platform's floors and the engine's ceilings; a refused change changes nothing.

use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::Serialize;

use super::AppState;
use super::extract::{CouncilPath, JsonBody};
use super::permission::Grant::{ManageConfig, ReadConfig};
use super::permission::Permission;
use super::problem::{Problem, ProblemKind};
use super::route::Route;
use crate::council::Council;
use crate::policy::settings::{CheckStop, InvalidSettings, validate_settings};
use crate::policy::{Limits, PluginDigest};
use crate::store::{Durable, StoreError};

#[derive(Debug, Serialize, JsonSchema)]
pub struct CouncilSettings {
    pub settings: serde_json::Value,
    /// The active plugin, whose schema the settings are checked against.
    pub plugin: Option<PluginDigest>,
    /// That plugin's settings schema.
    pub schema: Option<serde_json::Value>,
}

/// The active plugin's settings schema, from its stored version, or from the
/// plugin itself for one installed before versions were recorded.
async fn active_schema(
    state: &AppState,
    council: &Council,
) -> Result<Option<serde_json::Value>, Problem> {
    let Some(digest) = &council.active_plugin else {
        return Ok(None);
    };
    if let Some(version) = state.store.plugin_version(&council.id, digest)? {
        return Ok(Some(version.settings_schema));
    }
    if let Some(plugin) = state.policies.get(digest) {
        return Ok(Some(plugin.settings_schema().clone()));
    }
    let Some(bytes) = state.store.plugin_bytes(digest)? else {
        return Ok(None);
    };
    let policies = state.policies.clone();
    let plugin = super::operations::spawn_blocking(move || policies.load(&bytes))
        .await
        .map_err(|_| Problem::unavailable("loading the plugin crashed; nothing was changed"))?
        .map_err(|e| Problem::unavailable(format!("the active plugin no longer loads: {e}")))?;
    Ok(Some(plugin.settings_schema().clone()))
}

async fn get_settings(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
) -> Result<Json<CouncilSettings>, Problem> {
    let council = state.caseload.council(&id)?;
    let schema = active_schema(&state, &council).await?;
    Ok(Json(CouncilSettings {
        settings: council.settings,
        plugin: council.active_plugin,
        schema,
    }))
}

async fn put_settings(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
    JsonBody(settings): JsonBody<serde_json::Value>,
) -> Result<Durable<Json<CouncilSettings>>, Problem> {
    // `JsonBody` already refused anything but a JSON object.
    let mut council = state.caseload.council(&id)?;
    let Some(schema) = active_schema(&state, &council).await? else {
        return Err(Problem::new(
            ProblemKind::NoPlugin,
            format!(
                "council `{id}` has no active plugin to check settings against: upload one with PUT /v1/councils/{id}/plugin"
            ),
        ));
    };
    // The plugin's schema, vetted to bound the work (see `policy::settings`), but
    // still work for a blocking thread rather than the async workers; it stops if the
    // client hangs up (this future is dropped, and the guard with it).
    let checked = {
        let (schema, settings) = (schema.clone(), settings.clone());
        let stop = CheckStop::default();
        let _abandon = stop.abandon_on_drop();
        super::operations::spawn_blocking(move || validate_settings(&schema, &settings, &stop))
            .await
            .map_err(|_| {
                Problem::unavailable("checking the settings crashed; nothing was changed")
            })?
    };
    checked.map_err(|e| match e {
        InvalidSettings::Mismatch(_) => Problem::new(ProblemKind::InvalidSettings, e.to_string()),
        InvalidSettings::BadSchema(_)
        | InvalidSettings::Unbounded(_)
        | InvalidSettings::TooSlow
        | InvalidSettings::Abandoned => Problem::new(ProblemKind::PluginRejected, e.to_string()),
    })?;
    // Only the settings change, and only if the plugin they were checked against is
    // still the active one (else 409: retry against the new one).
    let checked_against = council.active_plugin.clone();
    council = state
        .store
        .update_council(&id, |c| {
            if c.active_plugin != checked_against {
                return Err(StoreError::Conflict);
            }
            c.settings = settings.clone();
            Ok(())
        })?
        .ok_or_else(|| Problem::not_found(format!("no council `{id}`")))?;
    let done = state
        .store
        .commit(Json(CouncilSettings {
            settings: council.settings,
            plugin: council.active_plugin,
            schema: Some(schema),
        }))
        .await?;
    tracing::info!(council = %id, "settings changed");
    Ok(done)
}

async fn get_limits(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
) -> Result<Json<Limits>, Problem> {
    Ok(Json(state.caseload.council(&id)?.limits))
}

/// Replaces the council's limits; fields left out take the platform defaults.
async fn put_limits(
    State(state): State<AppState>,
    CouncilPath(id): CouncilPath,
    JsonBody(limits): JsonBody<Limits>,
) -> Result<Durable<Json<Limits>>, Problem> {
    state.caseload.council(&id)?;
    limits
        .check(state.policies.memory_ceiling())
        .map_err(|e| Problem::new(ProblemKind::InvalidLimits, e.to_string()))?;
    let council = state
        .store
        .update_council(&id, |c| {
            c.limits = limits;
            Ok(())
        })?
        .ok_or_else(|| Problem::not_found(format!("no council `{id}`")))?;
    let done = state.store.commit(Json(council.limits)).await?;
    tracing::info!(council = %id, "sandbox limits changed");
    Ok(done)
}

pub fn routes() -> Vec<Route> {
    // Settings and sandbox limits are council configuration.
    vec![
        Route::get(
            "/v1/councils/{council}/settings",
            Permission::Council(ReadConfig),
            get_settings,
        )
        .ok::<CouncilSettings>(),
        Route::put(
            "/v1/councils/{council}/settings",
            Permission::Council(ManageConfig),
            put_settings,
        )
        .plugin_settings()
        .ok::<CouncilSettings>(),
        Route::get(
            "/v1/councils/{council}/limits",
            Permission::Council(ReadConfig),
            get_limits,
        )
        .ok::<Limits>(),
        Route::put(
            "/v1/councils/{council}/limits",
            Permission::Council(ManageConfig),
            put_limits,
        )
        .json::<Limits>()
        .ok::<Limits>(),
    ]
}
