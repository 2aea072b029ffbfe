//! Machine code of single functions, kept on disk and shared by every plugin and
//! every process using the same cache folder: Cranelift's incremental compilation
//! cache, behind wasmtime's [`CacheStore`].
//!
//! A Python plugin (componentize-py) is ~19 MB and a JavaScript one (ComponentizeJS)
//! ~10 MB, nearly all of it the language's runtime, the same in every plugin of that
//! language. Cranelift keys each function by its IR (and the target and compiler
//! settings, and its own version), so a function compiled once for one plugin is
//! reused for every other plugin, engine and process with the same code: a changed
//! `app.py` recompiles only what changed.
//!
//! Entries live in `<cache_dir>/functions/<2 hex>/<64 hex>` (SHA-256 of Cranelift's
//! key), each written to a temporary file and renamed, so another process never
//! reads half an entry. The folder is private (0700) like the rest of the cache: an
//! entry is machine code that Cranelift splices into a plugin without checking it,
//! so whoever can write here can run code in the daemon.
//!
//! Only accepted plugins leave anything on disk. What a compile adds is held in
//! memory ([`NewFunctions`], at most [`HELD_MAX_BYTES`]) and written only when the
//! plugin is kept (`PolicyEngine::keep`); a refused plugin drops it with itself.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};
use wasmtime::CacheStore;

use super::engine::{evict_least_recently_used, private_dir, write_whole};

/// The most a compile holds in memory for writing later: a Python or JavaScript
/// runtime's functions fit several times over. Past it, further new functions are
/// simply not cached.
pub(crate) const HELD_MAX_BYTES: usize = 256 << 20;

/// The most function code kept on disk: the Python and JavaScript runtimes and
/// their plugins' own functions, many times over. Past it the least recently used
/// entries are removed.
pub(crate) const FUNCTIONS_MAX_BYTES: u64 = 1 << 30;

/// The function cache of one engine.
#[derive(Debug)]
pub(crate) struct FunctionCache {
    dir: PathBuf,
    max_bytes: u64,
    held: Mutex<Held>,
    from_cache: AtomicU64,
    compiled: AtomicU64,
}

/// What the compile now running added, not yet on disk.
///
/// Cranelift calls [`CacheStore::insert`] from its worker threads with no word of
/// which compile the function belongs to, so entries can only be held for a compile
/// while it is the only one running. Two compiles at once (two uploads, say) mix
/// their functions, and one of them may yet be refused: so once a second compile
/// starts, what was held is dropped and nothing more is held until both are done.
/// It is only a cache: at worst a function is compiled again next time.
#[derive(Debug, Default)]
struct Held {
    running: u32,
    overlapped: bool,
    entries: HashMap<[u8; 32], Vec<u8>>,
    bytes: usize,
}

/// Functions compiled for one plugin and not yet in the cache: written if the plugin
/// is accepted ([`FunctionCache::write`]), dropped with it if it is refused.
#[derive(Default)]
pub(crate) struct NewFunctions {
    entries: HashMap<[u8; 32], Vec<u8>>,
}

impl std::fmt::Debug for NewFunctions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewFunctions")
            .field("functions", &self.entries.len())
            .finish()
    }
}

/// A compile in progress; see [`Held`]. Dropping it without
/// [`Compiling::finish`] (a failed compile) discards what it added.
pub(crate) struct Compiling<'a> {
    cache: &'a FunctionCache,
}

impl FunctionCache {
    /// The cache in `<cache_dir>/functions`, created private if absent.
    pub(crate) fn open(cache_dir: &Path) -> std::io::Result<FunctionCache> {
        let dir = cache_dir.join("functions");
        private_dir(&dir)?;
        Ok(FunctionCache {
            dir,
            max_bytes: FUNCTIONS_MAX_BYTES,
            held: Mutex::default(),
            from_cache: AtomicU64::new(0),
            compiled: AtomicU64::new(0),
        })
    }

    /// Functions found in the cache, and functions compiled (and offered to it).
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.from_cache.load(Ordering::Relaxed),
            self.compiled.load(Ordering::Relaxed),
        )
    }

    /// Marks the start of a compile, whose new functions are then held for it.
    pub(crate) fn begin(&self) -> Compiling<'_> {
        let mut held = self.held();
        held.running += 1;
        if held.running > 1 {
            held.overlapped = true;
            held.entries.clear();
            held.bytes = 0;
        }
        Compiling { cache: self }
    }

    /// Writes an accepted plugin's new functions, then bounds the folder. Best
    /// effort: a failed write only costs a compile next time.
    pub(crate) fn write(&self, functions: NewFunctions) {
        let mut written = 0usize;
        for (key, value) in functions.entries {
            let path = self.path(&key);
            if path.is_file() {
                continue;
            }
            match self.write_entry(&path, &value) {
                Ok(()) => written += 1,
                Err(error) => {
                    tracing::warn!(%error, path = %path.display(), "could not cache a compiled function");
                }
            }
        }
        if written > 0 {
            tracing::debug!(written, "cached compiled functions");
            self.evict();
        }
    }

    fn write_entry(&self, path: &Path, value: &[u8]) -> std::io::Result<()> {
        let shard = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(shard)?;
        write_whole(path, value)
    }

    /// Removes the least recently used entries past the bound.
    fn evict(&self) {
        let Ok(shards) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let entries = shards
            .filter_map(Result::ok)
            .filter_map(|shard| std::fs::read_dir(shard.path()).ok())
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path());
        let removed = evict_least_recently_used(entries, self.max_bytes);
        if removed > 0 {
            tracing::info!(
                removed,
                "evicted compiled functions from the disk cache past its bound"
            );
        }
    }

    fn path(&self, key: &[u8; 32]) -> PathBuf {
        let name = hex::encode(key);
        self.dir.join(&name[..2]).join(name)
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        // Every update leaves `Held` consistent (at worst holding less than it could).
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self, key: &[u8; 32]) -> Option<Vec<u8>> {
        let path = self.path(key);
        // Append mode: read, and set the modification time, which eviction reads as
        // "last used". A file under its final name is complete and never changed.
        let mut file = std::fs::File::options()
            .read(true)
            .append(true)
            .open(&path)
            .ok()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).ok()?;
        let _ = file.set_modified(std::time::SystemTime::now());
        Some(bytes)
    }
}

impl Compiling<'_> {
    /// The compile succeeded: what it added, if it ran alone (see [`Held`]).
    pub(crate) fn finish(self) -> NewFunctions {
        let mut held = self.cache.held();
        if held.running == 1 && !held.overlapped {
            held.bytes = 0;
            NewFunctions {
                entries: std::mem::take(&mut held.entries),
            }
        } else {
            NewFunctions::default()
        }
    }
}

impl Drop for Compiling<'_> {
    fn drop(&mut self) {
        let mut held = self.cache.held();
        held.running = held.running.saturating_sub(1);
        if held.running == 0 {
            held.overlapped = false;
            held.entries = HashMap::new();
            held.bytes = 0;
        }
    }
}

impl NewFunctions {
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn key_of(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let key = key_of(key);
        let held = self.held().entries.get(&key).cloned();
        let found = held.or_else(|| self.read(&key));
        // A found entry Cranelift cannot use (another Cranelift version wrote it) is
        // compiled and offered again, so it also counts once as compiled.
        if found.is_some() {
            self.from_cache.fetch_add(1, Ordering::Relaxed);
        }
        found.map(Cow::Owned)
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        self.compiled.fetch_add(1, Ordering::Relaxed);
        let key = key_of(key);
        let mut held = self.held();
        // Only for the one compile running (see `Held`), and within the bound.
        if held.running != 1
            || held.overlapped
            || held.bytes.saturating_add(value.len()) > HELD_MAX_BYTES
        {
            return false;
        }
        held.bytes += value.len();
        if let Some(old) = held.entries.insert(key, value) {
            held.bytes -= old.len();
        }
        true
    }
}
