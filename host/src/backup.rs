//! `waymark backup`: asks a running daemon for a backup over HTTP or, when no daemon
//! holds the data folder, copies the store itself (sled cannot be opened by two
//! processes). The daemon's side is `POST /v1/admin/backup` (`api/backup.rs`).

use std::path::Path;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::store::{BackupError, BackupTaken, backup_offline};

#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBackup {
    /// Absolute path of a folder on the daemon's machine that does not exist yet or is
    /// empty, e.g. `/var/backups/waymark/2026-02-03`.
    pub dest: String,
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
