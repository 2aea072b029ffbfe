//! `POST /v1/admin/backup`: a consistent backup of the whole store while the daemon
//! serves (platform admins only; audited like every state-changing request). The
//! `waymark backup` command that asks for it lives in `crate::backup`.

use std::path::PathBuf;

use axum::Json;
use axum::extract::State;

use super::AppState;
use super::extract::JsonBody;
use super::permission::Permission::PlatformAdmin;
use super::problem::{Problem, ProblemKind};
use super::route::Route;
pub use crate::backup::NewBackup;
use crate::store::{BackupError, BackupTaken};

impl From<BackupError> for Problem {
    fn from(e: BackupError) -> Problem {
        match e {
            BackupError::DestinationNotEmpty(_) => {
                Problem::new(ProblemKind::BackupDestinationNotEmpty, e.to_string())
            }
            BackupError::Destination { .. } => {
                Problem::new(ProblemKind::BackupDestination, e.to_string())
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
        return Err(Problem::new(
            ProblemKind::BackupDestination,
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
        Route::post_without_store_write("/v1/admin/backup", PlatformAdmin, take_backup)
            .json::<NewBackup>()
            .ok::<BackupTaken>(),
    ]
}
