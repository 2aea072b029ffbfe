//! `waymark serve`: the daemon. Opens the store (refusing a second daemon on the
//! same folder), loads the councils' plugins, starts the scheduler and the webhook
//! delivery worker, serves the API, and shuts down cleanly on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde::Deserialize;
use tokio::sync::{Notify, watch};

use crate::api::{self, AdminKey, AppState};
use crate::caseload::Caseload;
use crate::clock::{Clock, MANUAL_CLOCK_META, ManualClock, SystemClock};
use crate::council::{Council, CouncilId};
use crate::councils::{Councils, SeedError};
use crate::journey::Programme;
use crate::outbox::delivery::DeliveryWorker;
use crate::plugin_versions::PluginVersions;
use crate::policy::{EngineSettings, Limits, Policies};
use crate::readiness::{Readiness, Worker};
use crate::schedule::Scheduler;
use crate::schedule::calendar::Nation;
use crate::store::{DATA_KEY_ENV, DataFolderLock, DataKey, DataKeySource, Store};
use crate::telemetry::Telemetry;

pub struct ServeOptions {
    pub data: PathBuf,
    pub listen: SocketAddr,
    pub manual_clock: bool,
    pub seed: Option<PathBuf>,
    /// Request body size and per-key rate limits.
    pub access: api::AccessLimits,
    /// The master data key's file (`WAYMARK_DATA_KEY` overrides it).
    pub data_key_file: Option<PathBuf>,
    /// Where compiled plugins are kept; `None` is `<data>/compiled`.
    pub compiled_cache: Option<PathBuf>,
}

/// `--seed`: councils to create (if absent) with their plugins, so the daemon starts ready to use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    #[serde(default, rename = "council")]
    councils: Vec<SeedCouncil>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedCouncil {
    id: CouncilId,
    name: String,
    #[serde(default = "london")]
    timezone: chrono_tz::Tz,
    #[serde(default)]
    nation: Nation,
    /// The programme run (default Connect to Work), e.g. `{ kind = "ipes" }`.
    #[serde(default)]
    programme: Programme,
    /// Path to a built component, relative to the seed file.
    plugin: Option<PathBuf>,
}

fn london() -> chrono_tz::Tz {
    chrono_tz::Europe::London
}

const ADMIN_KEY_META: &str = "admin_key_sha256";

pub async fn serve(opts: ServeOptions) -> anyhow::Result<()> {
    let lock = DataFolderLock::acquire(&opts.data)?;
    let (data_key, source) = DataKey::resolve(
        std::env::var(DATA_KEY_ENV).ok().as_deref(),
        opts.data_key_file.as_deref(),
        &opts.data,
    )?;
    match &source {
        DataKeySource::Generated(path) => tracing::warn!(
            key_file = %path.display(),
            "no data key configured (WAYMARK_DATA_KEY or data_key_file): using the key file \
             beside the data folder; keep it out of the data folder's backups"
        ),
        other => tracing::info!(source = ?other, "data key read"),
    }
    let store = Store::open_sealed(&opts.data, &lock, data_key)
        .with_context(|| format!("opening the store in {}", opts.data.display()))?;

    let (clock, manual_clock): (Arc<dyn Clock>, Option<Arc<ManualClock>>) = if opts.manual_clock {
        // A manual clock resumes where it was left, so a restart does not leap to today.
        let start = store
            .meta(MANUAL_CLOCK_META)?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(chrono::Utc::now);
        let manual = Arc::new(ManualClock::new(start));
        (manual.clone(), Some(manual))
    } else {
        (Arc::new(SystemClock), None)
    };

    let admin_key = admin_key(&store).await?;
    let engine = EngineSettings {
        cache_dir: Some(
            opts.compiled_cache
                .clone()
                .unwrap_or_else(|| opts.data.join("compiled")),
        ),
        ..EngineSettings::default()
    };
    let policies =
        Arc::new(Policies::new(&engine, Limits::default()).context("starting the policy sandbox")?);
    let timers_changed = Arc::new(Notify::new());
    let telemetry = Arc::new(Telemetry::new());
    let readiness = Arc::new(Readiness::default());
    let caseload = Caseload::new(
        store.clone(),
        policies.clone(),
        clock.clone(),
        timers_changed.clone(),
    )
    .with_telemetry(telemetry.clone());
    let state = AppState {
        caseload,
        store: store.clone(),
        policies,
        clock: clock.clone(),
        manual_clock,
        admin_key,
        gate: Arc::new(api::Gate::new(opts.access)),
        readiness: readiness.clone(),
        telemetry: telemetry.clone(),
    };
    if let Some(seed) = &opts.seed {
        apply_seed(&state, seed).await?;
    }
    preload_plugins(&state);
    readiness.plugins_preloaded();

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let scheduler = Scheduler::new(store.clone(), clock.clone(), timers_changed)
        .with_telemetry(telemetry)
        .deciding_end_of_support(Arc::new(state.caseload.clone()));
    let scheduler =
        tokio::spawn(readiness.watch(Worker::Scheduler, scheduler.run(shutdown_rx.clone())));
    let delivery =
        DeliveryWorker::new(store.clone(), clock.clone()).context("starting the webhook client")?;
    let delivery =
        tokio::spawn(readiness.watch(Worker::Delivery, delivery.run(shutdown_rx.clone())));
    let retention = crate::retention::RetentionSweep::new(store.clone(), clock.clone());
    let retention = tokio::spawn(retention.run(shutdown_rx.clone()));

    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("listening on {}", opts.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "Waymark is serving on http://{addr} (data in {})",
        opts.data.display()
    );
    println!("  try: curl http://{addr}/healthz");
    println!("  console: http://{addr}/console/ (sign in with an API key)");
    tracing::info!(%addr, "serving");

    let mut rx = shutdown_rx.clone();
    let api = api::router(state.clone());
    // The console's pages answer by calling this same router in-process (`console/`).
    let app = api
        .clone()
        .merge(crate::console::routes(state.clone(), api));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = shutdown_signal() => {}
                _ = rx.changed() => {}
            }
        })
        .await?;
    let _ = shutdown_tx.send(true);
    let _ = scheduler.await;
    let _ = delivery.await;
    let _ = retention.await;
    if let Some(manual) = &state.manual_clock {
        store.set_meta(MANUAL_CLOCK_META, manual.now().to_rfc3339().as_bytes())?;
    }
    store.flush().await?;
    drop(lock);
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The platform admin key: from WAYMARK_ADMIN_TOKEN, else the one stored, else a new
/// one printed once. Only its hash is ever stored.
async fn admin_key(store: &Store) -> anyhow::Result<AdminKey> {
    if let Ok(token) = std::env::var("WAYMARK_ADMIN_TOKEN") {
        anyhow::ensure!(
            token.len() >= 16,
            "WAYMARK_ADMIN_TOKEN must be at least 16 characters"
        );
        let key = AdminKey::from_secret(&token);
        store.set_meta(ADMIN_KEY_META, &key.hash())?;
        store.flush().await?;
        return Ok(key);
    }
    if let Some(hash) = store.meta(ADMIN_KEY_META)?
        && let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice())
    {
        return Ok(AdminKey::from_hash(hash));
    }
    let secret = format!(
        "wm_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let key = AdminKey::from_secret(&secret);
    store.set_meta(ADMIN_KEY_META, &key.hash())?;
    store.flush().await?;
    // Shown once, on the terminal only; never logged.
    println!("Platform admin key (shown once, store it safely): {secret}");
    Ok(key)
}

async fn apply_seed(state: &AppState, path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading seed file {}", path.display()))?;
    let seed: Seed = toml::from_str(&text)
        .with_context(|| format!("seed file {} is not valid", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let plugins = PluginVersions::new(
        state.store.clone(),
        state.policies.clone(),
        state.clock.clone(),
    );
    let councils = Councils::new(
        state.store.clone(),
        state.clock.clone(),
        state.caseload.clone(),
        plugins,
    );
    for c in seed.councils {
        let id = c.id.clone();
        let mut council = Council::new(c.id, c.name, c.timezone, c.nation);
        council.programme = c.programme;
        let plugin = match c.plugin {
            Some(plugin) => {
                let file = base.join(plugin);
                let bytes = std::fs::read(&file).with_context(|| {
                    format!("reading plugin {} named in the seed", file.display())
                })?;
                Some((file, bytes))
            }
            None => None,
        };
        let (file, bytes) = plugin.unzip();
        let seeded = councils
            .seed(council, bytes)
            .await
            .map_err(|e| match (&e, &file) {
                (SeedError::Plugin(_), Some(file)) => {
                    anyhow::anyhow!("plugin {}: {e}", file.display())
                }
                _ => anyhow::anyhow!("seed council `{id}`: {e}"),
            })?;
        if seeded.is_some() {
            println!("Seeded council `{id}`");
        }
    }
    Ok(())
}

/// Compiles every active plugin at start, so the first decision is not slow.
fn preload_plugins(state: &AppState) {
    let Ok(councils) = state.store.councils() else {
        return;
    };
    for council in councils {
        let Some(digest) = &council.active_plugin else {
            continue;
        };
        if let Ok(Some(bytes)) = state.store.plugin_bytes(digest)
            && let Err(e) = state.policies.load(&bytes)
        {
            tracing::error!(council = %council.id, error = %e, "stored plugin no longer loads");
        }
    }
}
