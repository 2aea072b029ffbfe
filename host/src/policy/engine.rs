//! The one wasmtime `Engine` every plugin runs on, configured once.
//!
//! - **Fuel** bounds the instructions a decision may run, deterministically: the same
//!   input burns the same fuel, so a limit breach is reproducible.
//! - **Epochs** bound wall-clock time: a background thread ticks the engine's epoch
//!   every [`TICK`], and each store traps once its deadline's worth of ticks passed.
//! - **The pooling allocator** pre-reserves slots for plugin instances, so the fresh
//!   instance every decision gets costs microseconds rather than an `mmap` per call.
//!   Each slot reserves 4 GiB of address space, so plugin code runs without bounds
//!   checks; if the pool cannot be set up (a tight `ulimit -v`, say) we fall back to
//!   allocating on demand, reserving only the memory ceiling.
//! - **An on-disk cache** of compiled plugins, so a restart does not recompile every
//!   council's plugin, and of compiled functions (`compiled_functions.rs`), so a plugin
//!   that shares most of its code with one compiled before (every Python plugin has
//!   the same CPython) compiles only what is new.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::compiled_functions::{FunctionCache, NewFunctions};
use super::load::PluginDigest;

/// How often the epoch advances: the granularity of every decision's deadline.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// How much of each warm slot's memory stays resident between decisions: a
/// Rust plugin's 1 MiB stack, its data and the start of its heap.
const KEEP_RESIDENT: usize = 2 << 20;

/// A pool slot's memory reservation: all a 32-bit memory can address.
const FULL_RESERVATION: u64 = 4 << 30;

/// A wasm page: memory sizes are multiples of it.
const WASM_PAGE: usize = 64 << 10;

/// Core instances a plugin component may contain. A Rust plugin has a few (the
/// plugin and wit-component's small shims); a Python one 14 (CPython's libraries,
/// linked dynamically, and their shims); room is left for a JavaScript runtime.
pub(crate) const CORE_INSTANCES_PER_COMPONENT: u32 = 32;

/// Tables a plugin component may contain (the plugin's own and the shims'), and a
/// single module in it. The pool reserves this many per component and per module;
/// each store's limiter allows the same (`call.rs`), so the two never disagree.
pub(crate) const TABLES_PER_COMPONENT: u32 = 4;

/// The most elements one table may grow to, in the pool and in each store's limiter:
/// the pool's own default, far above the few hundred a Rust plugin's table holds.
pub(crate) const TABLE_ELEMENTS: usize = 20_000;

/// How the daemon's policy engine is set up. Part of the daemon's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    /// How many plugin instances may be live at once (one per decision in flight).
    /// `0` turns the pooling allocator off and allocates every instance on demand.
    pub pooled_instances: u32,
    /// The most linear memory any plugin may ever have, in bytes. A council's
    /// `memory_bytes` limit above this is capped to it. Rounded up to 64 KiB.
    pub memory_ceiling_bytes: usize,
    /// Where compiled plugins are kept across restarts, and their compiled
    /// functions (in `functions/`), which any plugin sharing them reuses. The
    /// directory must be private to the daemon: what is in it is loaded as machine
    /// code. `None` compiles every plugin afresh on every start. Only plugins that
    /// were accepted are written here (see `Policies::admit`).
    pub cache_dir: Option<PathBuf>,
    /// How many compiled plugins are kept in memory. Past it the least recently used
    /// is dropped (decisions already running keep theirs) and compiled again, or read
    /// from `cache_dir`, when next needed.
    pub loaded_plugins: usize,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            // Far more than two cores can keep busy at ~1 ms a decision; the slots
            // are address space, not memory, until used.
            pooled_instances: 1000,
            memory_ceiling_bytes: 64 << 20,
            cache_dir: None,
            // Every council's active plugin and a version or two besides, for a few
            // dozen councils; each is a few megabytes of machine code.
            loaded_plugins: 64,
        }
    }
}

/// Why the policy engine could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the WebAssembly engine could not be configured: {0}")]
    Config(String),
    #[error(
        "the plugin cache directory {path} could not be created: {source}; check the `cache_dir` setting and its permissions"
    )]
    CacheDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the epoch thread that enforces plugin deadlines could not be started: {0}")]
    Ticker(std::io::Error),
}

/// The engine, its epoch ticker and its compile cache. Shared (behind an `Arc`) by
/// `Policies` and every loaded `Plugin`, so the ticker runs while any plugin can
/// still be called and stops when the last of them is dropped.
pub(crate) struct PolicyEngine {
    engine: Engine,
    cache: Option<ArtefactCache>,
    functions: Option<Arc<FunctionCache>>,
    memory_ceiling: usize,
    pooled: bool,
    counts: CompileCounts,
    _ticker: EpochTicker,
}

/// How this engine got its plugins' machine code: compiled here, or read from the
/// on-disk cache. Lets a test (and an operator) see that a restart recompiled nothing.
#[derive(Debug, Default)]
struct CompileCounts {
    compiled: AtomicU64,
    from_cache: AtomicU64,
}

/// How many plugins an engine compiled, and how many it loaded from its cache; and
/// of the functions in the plugins it compiled, how many were found compiled in the
/// function cache and how many were compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Compilations {
    pub compiled: u64,
    pub from_cache: u64,
    pub functions_from_cache: u64,
    pub functions_compiled: u64,
}

impl PolicyEngine {
    pub(crate) fn new(settings: &EngineSettings) -> Result<PolicyEngine, EngineError> {
        let memory_ceiling = settings
            .memory_ceiling_bytes
            .max(WASM_PAGE)
            .div_ceil(WASM_PAGE)
            .saturating_mul(WASM_PAGE);

        let functions = match &settings.cache_dir {
            Some(dir) => {
                let opened = private_dir(dir).and_then(|()| FunctionCache::open(dir));
                let cache = opened.map_err(|source| EngineError::CacheDir {
                    path: dir.to_owned(),
                    source,
                })?;
                Some(Arc::new(cache))
            }
            None => None,
        };

        let mut config = Config::new();
        if let Some(functions) = &functions {
            config
                .enable_incremental_compilation(functions.clone())
                .map_err(|e| EngineError::Config(e.to_string()))?;
        }
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .parallel_compilation(true)
            // Memories never move and never grow past the ceiling (the pool's
            // `max_memory_size`, and each store's limiter).
            .memory_reservation_for_growth(0)
            .memory_may_move(false)
            // Constant offsets up to this skip the bounds check.
            .memory_guard_size(2 << 20);

        let (engine, pooled) = if settings.pooled_instances > 0 {
            let mut pooled_config = config.clone();
            // A pool slot reserves a whole 32-bit address space, so compiled code
            // needs no bounds check on a memory access (about 1.2 µs of a 15 µs
            // plan in the decision bench). It is address space, not memory (a thousand slots take
            // 4 TiB of the 128 TiB a 64-bit process has, and only the pages a
            // plugin touches are ever backed); where even that cannot be reserved
            // (a tight `ulimit -v`), the fallback below reserves only the ceiling.
            pooled_config.memory_reservation(FULL_RESERVATION);
            pooled_config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(
                settings.pooled_instances,
                memory_ceiling,
            )));
            match Engine::new(&pooled_config) {
                Ok(engine) => (engine, true),
                Err(error) => {
                    tracing::warn!(
                        %error,
                        slots = settings.pooled_instances,
                        "plugin instance pool could not be reserved; allocating instances on demand"
                    );
                    (on_demand(&config, memory_ceiling)?, false)
                }
            }
        } else {
            (on_demand(&config, memory_ceiling)?, false)
        };

        let cache = match &settings.cache_dir {
            Some(dir) => Some(ArtefactCache::open(dir, &engine)?),
            None => None,
        };
        let ticker = EpochTicker::start(engine.clone()).map_err(EngineError::Ticker)?;

        Ok(PolicyEngine {
            engine,
            cache,
            functions,
            memory_ceiling,
            pooled,
            counts: CompileCounts::default(),
            _ticker: ticker,
        })
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The most memory any plugin may have, whatever a council's limits say.
    pub(crate) fn memory_ceiling(&self) -> usize {
        self.memory_ceiling
    }

    /// Whether instances come from the pool (false after a fallback).
    pub(crate) fn pooled(&self) -> bool {
        self.pooled
    }

    pub(crate) fn compilations(&self) -> Compilations {
        let (functions_from_cache, functions_compiled) =
            self.functions.as_ref().map_or((0, 0), |f| f.counts());
        Compilations {
            compiled: self.counts.compiled.load(Ordering::Relaxed),
            from_cache: self.counts.from_cache.load(Ordering::Relaxed),
            functions_from_cache,
            functions_compiled,
        }
    }

    /// Compiles a component, or loads it from the cache if it was compiled before;
    /// with the functions it compiled that the function cache did not have.
    /// Nothing is written: a plugin still being checked may yet be refused, and a
    /// refused plugin must leave nothing behind ([`PolicyEngine::keep`] writes).
    pub(crate) fn compile(
        &self,
        bytes: &[u8],
        digest: &PluginDigest,
    ) -> wasmtime::Result<(Component, NewFunctions)> {
        if let Some(cache) = &self.cache
            && let Some(component) = cache.load(&self.engine, digest)
        {
            self.counts.from_cache.fetch_add(1, Ordering::Relaxed);
            return Ok((component, NewFunctions::default()));
        }
        let before = self.compilations();
        let started = std::time::Instant::now();
        let compiling = self.functions.as_ref().map(|f| f.begin());
        let component = Component::new(&self.engine, bytes)?;
        let functions = compiling.map(|c| c.finish()).unwrap_or_default();
        self.counts.compiled.fetch_add(1, Ordering::Relaxed);
        let after = self.compilations();
        // Per plugin, unless two compiles overlapped (then the sum of both).
        tracing::info!(
            plugin = %digest,
            elapsed_ms = started.elapsed().as_millis() as u64,
            functions_from_cache = after.functions_from_cache - before.functions_from_cache,
            functions_compiled = after.functions_compiled - before.functions_compiled,
            "compiled a plugin"
        );
        Ok((component, functions))
    }

    /// Writes an accepted plugin's machine code to the on-disk cache, if there is
    /// one and it is not there yet, and the functions its compile added.
    pub(crate) fn keep(
        &self,
        component: &Component,
        digest: &PluginDigest,
        functions: NewFunctions,
    ) {
        if let Some(cache) = &self.cache
            && !cache.path(digest).is_file()
        {
            cache.store(component, digest);
        }
        if let Some(cache) = &self.functions
            && !functions.is_empty()
        {
            cache.write(functions);
        }
    }
}

fn on_demand(config: &Config, memory_ceiling: usize) -> Result<Engine, EngineError> {
    let mut config = config.clone();
    // Each instance maps its memory on demand: reserve only the ceiling, at the
    // price of a bounds check on every access.
    config.memory_reservation(memory_ceiling as u64);
    config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
    Engine::new(&config).map_err(|e| EngineError::Config(e.to_string()))
}

/// Slots for `instances` plugin instances, each with one memory of at most `memory`.
fn pool(instances: u32, memory: usize) -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .total_memories(instances)
        .max_memories_per_component(1)
        .max_memories_per_module(1)
        .max_memory_size(memory)
        .total_tables(instances.saturating_mul(TABLES_PER_COMPONENT))
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .max_tables_per_module(TABLES_PER_COMPONENT)
        .table_elements(TABLE_ELEMENTS)
        // Keep recently used slots warm for their plugin, but few enough that
        // an idle daemon's resident memory stays small.
        .max_unused_warm_slots(instances.min(16))
        // Every decision gets a fresh instance in a warm slot. Resetting the pages
        // it touched by copying the image back, rather than `madvise`, saves the
        // next decision a page fault on each of them (its stack, data and heap lie
        // in the first megabytes); PAGEMAP_SCAN, where the kernel has it, finds
        // which pages those were. At most this much per warm slot stays resident.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Auto);
    pool
}

/// Advances the engine's epoch every [`TICK`] until dropped.
struct EpochTicker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine) -> std::io::Result<EpochTicker> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("policy-epoch".into())
            .spawn(move || {
                // Dropping the sender disconnects the channel, which ends the loop; no
                // message is ever sent.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    engine.increment_epoch();
                }
            })?;
        Ok(EpochTicker {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread only sleeps and increments a counter; it cannot panic, and
            // if it somehow did there is nothing left to clean up.
            let _ = thread.join();
        }
    }
}

/// Compiled plugins on disk, named by (plugin digest, engine compatibility hash)
/// so a changed engine configuration or wasmtime version never reads stale code.
/// Bounded: past [`CACHE_MAX_BYTES`] the least recently used files are removed
/// (a use touches a file's modification time), and recompiled if needed again.
struct ArtefactCache {
    dir: PathBuf,
    engine_hash: String,
    max_bytes: u64,
}

/// The most compiled code kept on disk: dozens of Python or JavaScript plugins
/// (tens of megabytes of machine code each) or thousands of Rust ones.
pub(crate) const CACHE_MAX_BYTES: u64 = 2 << 30;

/// Distinguishes temporary files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl ArtefactCache {
    fn open(dir: &Path, engine: &Engine) -> Result<ArtefactCache, EngineError> {
        private_dir(dir).map_err(|source| EngineError::CacheDir {
            path: dir.to_owned(),
            source,
        })?;
        let mut hasher = Sha256Hasher::default();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_hash = hex::encode(&hasher.0.finalize()[..8]);
        Ok(ArtefactCache {
            dir: dir.to_owned(),
            engine_hash,
            max_bytes: CACHE_MAX_BYTES,
        })
    }

    fn path(&self, digest: &PluginDigest) -> PathBuf {
        self.dir
            .join(format!("{digest}-{}.cwasm", self.engine_hash))
    }

    fn load(&self, engine: &Engine, digest: &PluginDigest) -> Option<Component> {
        let path = self.path(digest);
        if !path.is_file() {
            return None;
        }
        // SAFETY: `deserialize_file` runs the file's contents as machine code and maps
        // it, so it must be an artefact wasmtime produced and must not change while
        // mapped. Only `store` below writes into this directory: it writes the output
        // of `Component::serialize` to a temporary file and renames it into place, so
        // a file under a final name is complete and never modified afterwards. The
        // directory is created private to the daemon's user (0700), and the name binds
        // the file to both the plugin's digest and this engine's configuration;
        // wasmtime also re-checks version and configuration compatibility on load.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => {
                // Recently used: the last to be evicted. Best effort.
                let _ = std::fs::File::options()
                    .append(true)
                    .open(&path)
                    .and_then(|f| f.set_modified(std::time::SystemTime::now()));
                Some(component)
            }
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "ignoring unreadable compiled plugin; recompiling");
                None
            }
        }
    }

    /// Best effort: a failed write only costs a recompile on the next start.
    fn store(&self, component: &Component, digest: &PluginDigest) {
        let path = self.path(digest);
        let written = component
            .serialize()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|bytes| write_whole(&path, &bytes));
        if let Err(error) = written {
            tracing::warn!(%error, path = %path.display(), "could not cache compiled plugin");
        }
        self.evict();
    }

    /// Removes the least recently used compiled plugins until the cache is within
    /// its bound.
    fn evict(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let files = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".cwasm"))
            .map(|e| e.path());
        let removed = evict_least_recently_used(files, self.max_bytes);
        if removed > 0 {
            tracing::info!(
                removed,
                dir = %self.dir.display(),
                "evicted compiled plugins from the disk cache past its bound"
            );
        }
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, so
/// no reader, in this process or another, ever sees a cache file half written.
pub(super) fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let written = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Creates `dir` if absent and makes it private to this user: what a cache holds is
/// machine code we will map and run, so nobody else may write there.
pub(super) fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Removes the least recently used of `files` (by modification time, which a use
/// sets) until their total size is within `max_bytes`; returns how many it removed.
/// Best effort: a file that cannot be read or removed is left.
pub(super) fn evict_least_recently_used(
    files: impl IntoIterator<Item = PathBuf>,
    max_bytes: u64,
) -> usize {
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = files
        .into_iter()
        .filter_map(|path| {
            let meta = std::fs::metadata(&path).ok()?;
            Some((meta.modified().ok()?, meta.len(), path))
        })
        .collect();
    let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
    if total <= max_bytes {
        return 0;
    }
    files.sort();
    let mut removed = 0;
    for (_, len, path) in files {
        if total <= max_bytes {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total = total.saturating_sub(len);
            removed += 1;
        }
    }
    removed
}

/// Feeds `Hash` input into SHA-256, so the cache key is stable across processes
/// (std's `DefaultHasher` makes no such promise).
#[derive(Default)]
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_pooling_the_engine_allocates_on_demand() {
        let settings = EngineSettings {
            pooled_instances: 0,
            ..EngineSettings::default()
        };
        let engine = PolicyEngine::new(&settings).unwrap();
        assert!(!engine.pooled());
    }

    #[test]
    fn a_small_pool_is_reserved() {
        let settings = EngineSettings {
            pooled_instances: 4,
            ..EngineSettings::default()
        };
        let engine = PolicyEngine::new(&settings).unwrap();
        assert!(engine.pooled());
        assert_eq!(engine.memory_ceiling(), 64 << 20);
    }

    #[test]
    fn a_compiled_plugin_is_reused_from_the_cache_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let settings = EngineSettings {
            pooled_instances: 0,
            cache_dir: Some(dir.path().join("compiled")),
            ..EngineSettings::default()
        };
        let bytes = crate::policy::componentize(b"\0asm\x01\0\0\0").unwrap();
        let digest = PluginDigest::of(&bytes);

        let engine = PolicyEngine::new(&settings).unwrap();
        let (component, functions) = engine.compile(&bytes, &digest).unwrap();
        let cached = || -> Vec<String> {
            std::fs::read_dir(dir.path().join("compiled"))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .filter(|name| name != "functions")
                .collect()
        };
        assert_eq!(
            cached(),
            Vec::<String>::new(),
            "compiling alone writes nothing"
        );
        engine.keep(&component, &digest, functions);
        let cached = cached();
        assert_eq!(cached.len(), 1, "{cached:?}");
        assert!(cached[0].starts_with(digest.as_str()) && cached[0].ends_with(".cwasm"));

        // A new engine (a restart) with the same configuration loads that file; the
        // bytes passed are not even looked at.
        let restarted = PolicyEngine::new(&settings).unwrap();
        assert!(restarted.compile(b"not compiled again", &digest).is_ok());
    }

    #[test]
    fn the_disk_cache_evicts_the_least_recently_used_past_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let settings = EngineSettings {
            pooled_instances: 0,
            cache_dir: Some(dir.path().to_owned()),
            ..EngineSettings::default()
        };
        let engine = PolicyEngine::new(&settings).unwrap();
        let mut cache = ArtefactCache::open(dir.path(), engine.engine()).unwrap();
        let compile = |tables: u8| {
            let mut module = b"\0asm\x01\0\0\0\x04\x04\x01".to_vec();
            module.extend([0x70, 0x00, tables]);
            let bytes = crate::policy::componentize(&module).unwrap();
            let digest = PluginDigest::of(&bytes);
            (engine.compile(&bytes, &digest).unwrap().0, digest)
        };
        let (first, first_digest) = compile(1);
        cache.store(&first, &first_digest);
        let one = std::fs::metadata(cache.path(&first_digest)).unwrap().len();
        // Room for one file: storing a second evicts the first, the older.
        cache.max_bytes = one + one / 2;
        let earlier = std::time::SystemTime::now() - Duration::from_secs(60);
        std::fs::File::options()
            .append(true)
            .open(cache.path(&first_digest))
            .unwrap()
            .set_modified(earlier)
            .unwrap();
        let (second, second_digest) = compile(2);
        cache.store(&second, &second_digest);
        assert!(!cache.path(&first_digest).exists());
        assert!(cache.path(&second_digest).is_file());
    }

    #[test]
    fn the_memory_ceiling_is_whole_wasm_pages() {
        let settings = EngineSettings {
            pooled_instances: 0,
            memory_ceiling_bytes: 100_000,
            ..EngineSettings::default()
        };
        let engine = PolicyEngine::new(&settings).unwrap();
        assert_eq!(engine.memory_ceiling(), 2 * WASM_PAGE);
    }
}
