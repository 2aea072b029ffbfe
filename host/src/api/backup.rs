//! `POST /v1/admin/backup`: a consistent backup of the whole store while the daemon
//! serves (platform admins only; audited like every state-changing request), and
//! the `waymark backup` command, which asks a running daemon for one over HTTP or,
//! when no daemon holds the data folder, copies the store itself.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::JsonBody;
use super::permission::Permission::PlatformAdmin;
use super::problem::Problem;
use super::route::Route;
use crate::store::{BackupError, BackupTaken, backup_offline};

#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBackup {
    /// Absolute path of a folder on the daemon's machine that does not exist yet or is
    /// empty, e.g. `/var/backups/waymark/2026-02-03`.
    pub dest: String,
}

impl From<BackupError> for Problem {
    fn from(e: BackupError) -> Problem {
        match e {
            BackupError::DestinationNotEmpty(_) => {
                Problem::conflict("backup-destination-not-empty", e.to_string())
            }
            BackupError::Destination { .. } => {
                Problem::unprocessable("backup-destination", e.to_string())
            }
            BackupError::Store(s) => s.into(),
            other => {
                tracing::error!(error = %other, "backup failed");
                Problem::unavailable("the backup could not be completed; see the daemon's log")
            }
        }
    }
}

async fn take_backup(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<NewBackup>,
) -> Result<Json<BackupTaken>, Problem> {
    let dest = PathBuf::from(&body.dest);
    if !dest.is_absolute() {
        return Err(Problem::unprocessable(
            "backup-destination",
            "`dest` must be an absolute path: it is resolved on the daemon's machine, not yours",
        ));
    }
    let store = state.store.clone();
    let taken = tokio::task::spawn_blocking(move || store.backup_to(&dest))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "backup task failed");
            Problem::unavailable("the backup could not be completed; see the daemon's log")
        })??;
    tracing::info!(
        entries = taken.manifest.entries,
        bytes = taken.manifest.bytes,
        writes_held_ms = taken.writes_held_ms,
        took_ms = taken.took_ms,
        "backup taken"
    );
    Ok(Json(taken))
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/v1/admin/backup", PlatformAdmin, take_backup)
            .json::<NewBackup>()
            .ok::<BackupTaken>(),
    ]
}

/// How `waymark backup` reaches a running daemon.
pub struct DaemonAddress<'a> {
    /// e.g. `http://127.0.0.1:8080`
    pub url: &'a str,
    /// A platform-admin key.
    pub token: Option<&'a str>,
}

/// `waymark backup`: copies the store itself when no daemon holds `data`, else asks
/// the daemon at `daemon.url` (sled cannot be opened by two processes).
pub fn backup_command(
    data: &Path,
    dest: &Path,
    daemon: DaemonAddress<'_>,
) -> anyhow::Result<BackupTaken> {
    let dest = std::path::absolute(dest)?;
    match backup_offline(data, &dest) {
        Err(BackupError::Live(held)) => {
            let token = daemon.token.ok_or_else(|| {
                anyhow::anyhow!(
                    "a daemon is running on {} (it holds its waymark.lock), so the backup must be taken by it over HTTP: give a platform-admin key with --admin-token or WAYMARK_ADMIN_TOKEN",
                    held.display()
                )
            })?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(ask_daemon(daemon.url, token, &dest))
        }
        other => Ok(other?),
    }
}

async fn ask_daemon(url: &str, token: &str, dest: &Path) -> anyhow::Result<BackupTaken> {
    crate::outbox::delivery::install_tls_provider();
    let endpoint = format!("{}/v1/admin/backup", url.trim_end_matches('/'));
    let reply = reqwest::Client::new()
        .post(&endpoint)
        .bearer_auth(token)
        .json(&NewBackup {
            dest: dest.display().to_string(),
        })
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "could not reach the daemon at {url} ({e}): give the address it serves on with --url"
            )
        })?;
    let status = reply.status();
    let text = reply.text().await?;
    if status == StatusCode::OK {
        return serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!("the daemon at {url} answered the backup with an unexpected body ({e})")
        });
    }
    let detail = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or(text);
    anyhow::bail!("the daemon at {url} refused the backup ({status}): {detail}")
}
