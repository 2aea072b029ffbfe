//! Backups: a consistent copy of the whole store taken while the daemon serves, and
//! restoring one into a stopped daemon's data folder.
//!
//! A backup folder holds `sled/` (a sled store laid out like a data folder's) and
//! `manifest.json`: the format, when it was taken, the entries in each tree and a
//! SHA-256 over every tree's keys and values. The manifest is written last, so a
//! backup without one was interrupted; restore checks the copy against it, checks
//! the audit chain, and only then moves the copy into place with a rename.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{BrokenLink, DataFolderLock, SCHEMA_VERSION, Store, StoreError, lock::LockError};

/// The backup folder's layout; bumped when it changes.
pub const BACKUP_FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const STORE: &str = "sled";
/// Where a restore copies the backup, beside the store, before moving it in.
const RESTORING: &str = ".restoring";
/// Where a forced restore moves the old store aside until the backup is in place.
const REPLACED: &str = ".replaced";
/// Entries written to the copy per batch.
const BATCH: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "the backup destination {0} already exists and is not empty: give a new or empty folder (a backup never overwrites anything)"
    )]
    DestinationNotEmpty(PathBuf),
    #[error("cannot write the backup into {path}: {source}")]
    Destination { path: PathBuf, source: io::Error },
    #[error("{0} holds no Waymark store to back up: check the --data folder")]
    NoStore(PathBuf),
    #[error("cannot read the backup in {path}: {source}")]
    Source { path: PathBuf, source: io::Error },
    #[error(
        "{0} has no manifest.json, so it is not a complete backup: the manifest is written last, and a backup without one was interrupted or damaged; use another backup"
    )]
    ManifestMissing(PathBuf),
    #[error(
        "the manifest of the backup in {path} is unreadable ({reason}): the backup is damaged; use another backup"
    )]
    ManifestDamaged { path: PathBuf, reason: String },
    #[error(
        "the backup in {path} is in format {found}, but this Waymark reads format {BACKUP_FORMAT}: restore it with the Waymark version that took it"
    )]
    UnsupportedFormat { path: PathBuf, found: u32 },
    #[error(
        "the backup in {path} does not match its manifest ({what}): it is damaged or was changed after it was taken; use another backup"
    )]
    Mismatch { path: PathBuf, what: String },
    #[error("the backup in {path} fails audit verification ({link}); use another backup")]
    AuditBroken { path: PathBuf, link: BrokenLink },
    #[error(
        "{0} is in use by a running Waymark daemon (it holds {0}/waymark.lock): stop that daemon first; restore never replaces a live store"
    )]
    Live(PathBuf),
    #[error(
        "{0} already holds a Waymark store: restore into an empty data folder, or add --force to replace it (with its daemon stopped)"
    )]
    StoreExists(PathBuf),
    #[error("cannot write the restored store into {path}: {source}")]
    Target { path: PathBuf, source: io::Error },
    #[error(
        "the backup's id counter could not be carried over (it gives {got}, below {needed}): report this as a bug"
    )]
    IdCounter { got: u64, needed: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sled::Error> for BackupError {
    fn from(e: sled::Error) -> Self {
        BackupError::Store(e.into())
    }
}

/// What a backup holds; `manifest.json`, written last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The backup folder's layout version.
    pub format: u32,
    /// The store's on-disk schema version.
    pub schema_version: u32,
    /// The instant the snapshot is of (the real time, whatever the daemon's clock says).
    pub taken_at: DateTime<Utc>,
    /// Entries in each tree that has any.
    pub trees: BTreeMap<String, u64>,
    pub entries: u64,
    /// Bytes of keys and values copied.
    pub bytes: u64,
    /// Ids the store had handed out; the restored store hands out only higher ones.
    pub next_id: u64,
    /// SHA-256 (hex) over every tree's name, keys and values, in order.
    pub sha256: String,
}

/// The answer to a backup.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupTaken {
    /// The backup folder, as the daemon resolved it.
    pub dest: String,
    pub manifest: Manifest,
    /// How long writes were held back while the trees were copied.
    pub writes_held_ms: u64,
    /// The whole backup, including flushing the copy to disk.
    pub took_ms: u64,
}

/// What a restore put in place.
#[derive(Debug, Clone)]
pub struct Restored {
    pub data: PathBuf,
    pub manifest: Manifest,
    pub audit_entries: u64,
    /// Whether a store was there before (`--force`).
    pub replaced: bool,
}

/// The trees' contents, as counted and hashed in key order.
struct Summary {
    trees: BTreeMap<String, u64>,
    entries: u64,
    bytes: u64,
    sha256: String,
}

fn len_prefixed(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

/// Counts and hashes every tree of `db`, copying each entry into `copy` if given.
fn walk(db: &sled::Db, copy: Option<&sled::Db>) -> Result<Summary, sled::Error> {
    let mut names = db.tree_names();
    names.sort();
    let mut hasher = Sha256::new();
    let mut summary = Summary {
        trees: BTreeMap::new(),
        entries: 0,
        bytes: 0,
        sha256: String::new(),
    };
    for name in names {
        let tree = db.open_tree(&name)?;
        let target = copy.map(|c| c.open_tree(&name)).transpose()?;
        let mut count = 0u64;
        let mut batch = sled::Batch::default();
        let mut batched = 0;
        for kv in tree.iter() {
            let (k, v) = kv?;
            if count == 0 {
                // Empty trees leave no trace: opening one (reads do) changes nothing.
                hasher.update(b"tree");
                len_prefixed(&mut hasher, &name);
            }
            len_prefixed(&mut hasher, &k);
            len_prefixed(&mut hasher, &v);
            count += 1;
            summary.bytes += (k.len() + v.len()) as u64;
            if target.is_some() {
                batch.insert(k, v);
                batched += 1;
                if batched == BATCH {
                    if let Some(t) = &target {
                        t.apply_batch(std::mem::take(&mut batch))?;
                    }
                    batched = 0;
                }
            }
        }
        if let Some(t) = &target
            && batched > 0
        {
            t.apply_batch(batch)?;
        }
        if count > 0 {
            summary
                .trees
                .insert(String::from_utf8_lossy(&name).into_owned(), count);
            summary.entries += count;
        }
    }
    summary.sha256 = hex::encode(hasher.finalize());
    Ok(summary)
}

fn dest_err(path: &Path) -> impl FnOnce(io::Error) -> BackupError + '_ {
    move |source| BackupError::Destination {
        path: path.to_owned(),
        source,
    }
}

/// Makes durable a rename or a new file in `dir`.
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

fn is_empty_dir(dir: &Path) -> io::Result<bool> {
    Ok(fs::read_dir(dir)?.next().is_none())
}

/// Creates `dest`, or accepts it if it is an empty folder.
fn claim_destination(dest: &Path) -> Result<(), BackupError> {
    match fs::metadata(dest) {
        Ok(m) if m.is_dir() => {
            if !is_empty_dir(dest).map_err(dest_err(dest))? {
                return Err(BackupError::DestinationNotEmpty(dest.to_owned()));
            }
            Ok(())
        }
        Ok(_) => Err(BackupError::DestinationNotEmpty(dest.to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dest).map_err(dest_err(dest))
        }
        Err(e) => Err(dest_err(dest)(e)),
    }
}

/// sled's default id-persist interval, which the daemon opens its store with.
const SLED_ID_INTERVAL: u64 = 1_000_000;

/// How the backup's own store is opened: without sled's background flusher (every
/// write to it is flushed explicitly).
fn copy_config(path: &Path) -> sled::Config {
    sled::Config::new().path(path).flush_every_ms(None)
}

/// Opens the copy again just after a handle to it was dropped. sled's background
/// I/O threads can keep the store, and its file lock, alive for a moment after the
/// drop, so a lock refusal is waited out (briefly) rather than reported.
fn reopen_copy(config: sled::Config) -> Result<sled::Db, BackupError> {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match config.open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return Ok(other?),
        }
    }
}

/// Sets the copy's id generator so that every id it hands out is at least `next_id`.
///
/// sled does not export its id generator. On reopening it resumes from the last
/// persisted counter plus twice the persist interval, and persists the counter at
/// the first id past it. So: reopen with an interval of half the target and take
/// one id, which persists the target. The target is a multiple of sled's default
/// interval, as every counter it persists itself is (it asserts so later).
fn carry_id_counter(path: &Path, next_id: u64) -> Result<(), BackupError> {
    let target = next_id.div_ceil(SLED_ID_INTERVAL).max(1) * SLED_ID_INTERVAL;
    {
        let db = reopen_copy(copy_config(path).idgen_persist_interval(target / 2))?;
        db.generate_id()?;
        db.flush()?;
    }
    // Checked as the daemon will open it.
    let db = reopen_copy(copy_config(path))?;
    let got = db.generate_id()?;
    db.flush()?;
    if got < next_id {
        return Err(BackupError::IdCounter {
            got,
            needed: next_id,
        });
    }
    Ok(())
}

fn write_manifest(dest: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    let partial = dest.join("manifest.json.partial");
    let mut text = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    text.push(b'\n');
    let write = || -> io::Result<()> {
        let mut file = fs::File::create(&partial)?;
        file.write_all(&text)?;
        file.sync_all()?;
        fs::rename(&partial, dest.join(MANIFEST))?;
        sync_dir(dest)
    };
    write().map_err(dest_err(dest))
}

impl Store {
    /// Copies the whole store into `dest` (new, or an empty folder) as of one instant:
    /// writes are held back while the trees are copied, reads go on. Blocking: call it
    /// on a blocking thread.
    pub fn backup_to(&self, dest: &Path) -> Result<BackupTaken, BackupError> {
        let started = Instant::now();
        claim_destination(dest)?;
        let copy_path = dest.join(STORE);
        let copy = copy_config(&copy_path).open()?;
        let (summary, next_id, taken_at, held) = {
            let _snapshot = self.hold_snapshot();
            let holding = Instant::now();
            let taken_at = Utc::now();
            let summary = walk(&self.db, Some(&copy))?;
            // The participant keys as of the same instant (`sealing.rs`).
            self.copy_keys_to(&copy_path).map_err(dest_err(dest))?;
            // Any id in the copy was handed out before this one.
            let next_id = self.db.generate_id()?.saturating_add(1);
            (summary, next_id, taken_at, holding.elapsed())
        };
        copy.flush()?;
        drop(copy);
        carry_id_counter(&copy_path, next_id)?;
        let manifest = Manifest {
            format: BACKUP_FORMAT,
            schema_version: SCHEMA_VERSION,
            taken_at,
            trees: summary.trees,
            entries: summary.entries,
            bytes: summary.bytes,
            next_id,
            sha256: summary.sha256,
        };
        write_manifest(dest, &manifest)?;
        Ok(BackupTaken {
            dest: dest.display().to_string(),
            manifest,
            writes_held_ms: held.as_millis() as u64,
            took_ms: started.elapsed().as_millis() as u64,
        })
    }
}

/// Backs up the store in `data` while no daemon runs: locks the folder, opens it and
/// copies it. `Err(Live)` when a daemon holds it: then ask the daemon instead.
pub fn backup_offline(data: &Path, dest: &Path) -> Result<BackupTaken, BackupError> {
    if !data.join(STORE).is_dir() {
        return Err(BackupError::NoStore(data.to_owned()));
    }
    let lock = match DataFolderLock::acquire(data) {
        Ok(lock) => lock,
        Err(LockError::InUse(path)) => return Err(BackupError::Live(path)),
        Err(e) => return Err(BackupError::Store(e.into())),
    };
    let store = Store::open(data, &lock)?;
    store.backup_to(dest)
}

fn read_manifest(src: &Path) -> Result<Manifest, BackupError> {
    let path = src.join(MANIFEST);
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(BackupError::ManifestMissing(src.to_owned()));
        }
        Err(source) => {
            return Err(BackupError::Source {
                path: src.to_owned(),
                source,
            });
        }
    };
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| BackupError::ManifestDamaged {
            path: src.to_owned(),
            reason: e.to_string(),
        })?;
    if manifest.format != BACKUP_FORMAT {
        return Err(BackupError::UnsupportedFormat {
            path: src.to_owned(),
            found: manifest.format,
        });
    }
    Ok(manifest)
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
            fs::File::open(&target)?.sync_all()?;
        }
    }
    sync_dir(to)
}

/// The first way `found` differs from what the manifest says.
fn difference(manifest: &Manifest, found: &Summary) -> Option<String> {
    let names: std::collections::BTreeSet<&String> =
        manifest.trees.keys().chain(found.trees.keys()).collect();
    for name in names {
        let want = manifest.trees.get(name).copied().unwrap_or(0);
        let got = found.trees.get(name).copied().unwrap_or(0);
        if want != got {
            return Some(format!(
                "tree `{name}` holds {got} entries, the manifest says {want}"
            ));
        }
    }
    (found.sha256 != manifest.sha256).then(|| {
        "the contents' checksum differs from the manifest's: a record was changed".to_owned()
    })
}

/// How the store was put right after a `restore` was interrupted (the process died or
/// the machine lost power between its two renames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreRecovery {
    /// The old store had been moved aside but the backup not yet moved in: the old
    /// store is back in place, as if the restore had not begun. Run it again.
    RolledBack,
    /// The backup had been moved in: the old store, kept aside, is removed.
    Completed,
}

/// Puts right what an interrupted restore left in `data`, under the folder's lock and
/// before the store is opened: otherwise a daemon would open a new, empty store where
/// the old one had been moved aside, and the next forced restore would delete it.
pub(super) fn recover_interrupted_restore(
    data: &Path,
    _lock: &DataFolderLock,
) -> io::Result<Option<RestoreRecovery>> {
    let staging = data.join(RESTORING);
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    let old = data.join(REPLACED);
    if !old.exists() {
        return Ok(None);
    }
    let live = data.join(STORE);
    // The second rename is atomic: a `sled` folder with anything in it is the backup.
    if live.exists() && !is_empty_dir(&live)? {
        fs::remove_dir_all(&old)?;
        return Ok(Some(RestoreRecovery::Completed));
    }
    if live.exists() {
        fs::remove_dir(&live)?;
    }
    fs::rename(&old, &live)?;
    sync_dir(data)?;
    Ok(Some(RestoreRecovery::RolledBack))
}

/// Restores the backup in `src` into the data folder `data`, whose daemon must be
/// stopped. An existing store is replaced only with `force`. The backup is copied
/// beside the store, checked against its manifest and audit chain, and renamed into
/// place only if both hold; a refused restore leaves `data` as it was.
pub fn restore(src: &Path, data: &Path, force: bool) -> Result<Restored, BackupError> {
    let manifest = read_manifest(src)?;
    if manifest.schema_version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found: manifest.schema_version,
        }
        .into());
    }
    let backup_store = src.join(STORE);
    if !backup_store.is_dir() {
        return Err(BackupError::Mismatch {
            path: src.to_owned(),
            what: "its sled folder is missing".into(),
        });
    }
    let lock = match DataFolderLock::acquire(data) {
        Ok(lock) => lock,
        Err(LockError::InUse(path)) => return Err(BackupError::Live(path)),
        Err(e) => return Err(BackupError::Store(e.into())),
    };
    let target = |path: &Path| {
        let path = path.to_owned();
        move |source| BackupError::Target { path, source }
    };
    recover_interrupted_restore(data, &lock).map_err(target(data))?;
    let live = data.join(STORE);
    let replaced = live.exists() && !is_empty_dir(&live).map_err(target(&live))?;
    if replaced && !force {
        return Err(BackupError::StoreExists(data.to_owned()));
    }

    // Beside the store, on the same file system, so that moving it in is a rename.
    let staging = data.join(RESTORING);
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(target(&staging))?;
    }
    let outcome = stage(src, &backup_store, &staging, &manifest, &lock);
    let audit_entries = match outcome {
        Ok(n) => n,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };

    let old = data.join(REPLACED);
    if replaced {
        if old.exists() {
            fs::remove_dir_all(&old).map_err(target(&old))?;
        }
        fs::rename(&live, &old).map_err(target(&live))?;
    } else if live.exists() {
        fs::remove_dir(&live).map_err(target(&live))?;
    }
    fs::rename(staging.join(STORE), &live).map_err(target(&live))?;
    sync_dir(data).map_err(target(data))?;
    let _ = fs::remove_dir_all(&staging);
    if replaced {
        fs::remove_dir_all(&old).map_err(target(&old))?;
    }
    drop(lock);
    Ok(Restored {
        data: data.to_owned(),
        manifest,
        audit_entries,
        replaced,
    })
}

/// Copies the backup into `staging` and checks it; the audit entries it holds.
fn stage(
    src: &Path,
    backup_store: &Path,
    staging: &Path,
    manifest: &Manifest,
    lock: &DataFolderLock,
) -> Result<u64, BackupError> {
    copy_dir(backup_store, &staging.join(STORE)).map_err(|source| BackupError::Target {
        path: staging.to_owned(),
        source,
    })?;
    let store = Store::open(staging, lock)?;
    let found = walk(&store.db, None)?;
    if let Some(what) = difference(manifest, &found) {
        return Err(BackupError::Mismatch {
            path: src.to_owned(),
            what,
        });
    }
    let entries = store
        .verify_audit()?
        .map_err(|link| BackupError::AuditBroken {
            path: src.to_owned(),
            link,
        })?;
    store.db.flush()?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_in(dir: &Path) -> (DataFolderLock, Store) {
        let lock = DataFolderLock::acquire(dir).expect("lock");
        let store = Store::open(dir, &lock).expect("store");
        (lock, store)
    }

    fn audited(store: &Store, n: u64) {
        for i in 0..n {
            store
                .append_audit(super::super::NewAuditEntry {
                    at: "2026-01-05T10:00:00Z".parse().expect("instant"),
                    key: crate::access::KeyId::bootstrap(),
                    role: crate::access::AuditRole::PlatformAdmin,
                    council: None,
                    method: "POST".into(),
                    route: format!("/v1/test/{i}"),
                    ids: BTreeMap::new(),
                    status: 200,
                })
                .expect("audit");
        }
    }

    #[test]
    fn a_backup_restores_to_the_same_contents_and_ids_keep_rising() {
        let root = tempfile::tempdir().expect("dir");
        let data = root.path().join("data");
        // Reopened, so its ids start past sled's first persist interval: a fresh
        // store's ids (the copy's, were the counter not carried over) would collide.
        drop(store_in(&data));
        let (lock, store) = store_in(&data);
        store.set_meta("greeting", b"hello").expect("meta");
        audited(&store, 3);
        // Ids handed out before the backup: the restored store must go on above them.
        let mut last = 0;
        for _ in 0..50 {
            last = store.db.generate_id().expect("id");
        }
        let dest = root.path().join("backup");
        let taken = store.backup_to(&dest).expect("backup");
        assert_eq!(taken.manifest.trees.get("audit"), Some(&3));
        assert!(taken.manifest.next_id > last);
        drop(store);
        drop(lock);

        let restored_dir = root.path().join("restored");
        let restored = restore(&dest, &restored_dir, false).expect("restore");
        assert_eq!(restored.audit_entries, 3);
        assert!(!restored.replaced);
        let (_lock, copy) = store_in(&restored_dir);
        assert_eq!(
            copy.meta("greeting").expect("meta"),
            Some(b"hello".to_vec())
        );
        assert!(copy.db.generate_id().expect("id") > last);
        assert_eq!(
            walk(&copy.db, None).expect("walk").sha256,
            taken.manifest.sha256
        );
    }

    #[test]
    fn a_backup_taken_while_entries_are_appended_has_an_unbroken_audit_chain() {
        // The chain spans two trees: entries in `audit`, its head in `meta`. Copied
        // one after the other while appends go on, they would disagree.
        let root = tempfile::tempdir().expect("dir");
        let (lock, store) = store_in(&root.path().join("data"));
        audited(&store, 2000);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let appender = {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    audited(&store, 1);
                    n += 1;
                }
                n
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        let dest = root.path().join("backup");
        let taken = store.backup_to(&dest).expect("backup");
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let appended = appender.join().expect("appender");
        assert!(appended > 0, "nothing was appended during the test");
        drop(store);
        drop(lock);
        let restored = restore(&dest, &root.path().join("restored"), false).expect("restore");
        assert_eq!(
            Some(&restored.audit_entries),
            taken.manifest.trees.get("audit")
        );
        assert!(restored.audit_entries >= 2000);
    }

    #[test]
    fn a_destination_that_is_not_empty_is_refused_and_left_alone() {
        let root = tempfile::tempdir().expect("dir");
        let (_lock, store) = store_in(&root.path().join("data"));
        let dest = root.path().join("backup");
        fs::create_dir_all(&dest).expect("dest");
        fs::write(dest.join("notes.txt"), b"keep me").expect("file");
        let err = store.backup_to(&dest).expect_err("refused");
        assert!(matches!(err, BackupError::DestinationNotEmpty(_)), "{err}");
        assert_eq!(fs::read(dest.join("notes.txt")).expect("file"), b"keep me");
        assert!(!dest.join(STORE).exists());
    }

    fn backed_up(root: &Path) -> PathBuf {
        let (lock, store) = store_in(&root.join("data"));
        store.set_meta("greeting", b"hello").expect("meta");
        audited(&store, 2);
        let dest = root.join("backup");
        store.backup_to(&dest).expect("backup");
        drop(store);
        drop(lock);
        dest
    }

    #[test]
    fn restore_refuses_a_backup_without_a_manifest() {
        let root = tempfile::tempdir().expect("dir");
        let dest = backed_up(root.path());
        fs::remove_file(dest.join(MANIFEST)).expect("remove");
        let err = restore(&dest, &root.path().join("new"), false).expect_err("refused");
        assert!(matches!(err, BackupError::ManifestMissing(_)), "{err}");
        assert!(!root.path().join("new").join(STORE).exists());
    }

    #[test]
    fn restore_refuses_a_backup_whose_contents_differ_from_its_manifest() {
        let root = tempfile::tempdir().expect("dir");
        let dest = backed_up(root.path());
        let text = fs::read_to_string(dest.join(MANIFEST)).expect("manifest");
        let mut manifest: Manifest = serde_json::from_str(&text).expect("parse");
        manifest.sha256 = "0".repeat(64);
        fs::write(
            dest.join(MANIFEST),
            serde_json::to_vec(&manifest).expect("json"),
        )
        .expect("write");
        let new = root.path().join("new");
        let err = restore(&dest, &new, false).expect_err("refused");
        assert!(matches!(err, BackupError::Mismatch { .. }), "{err}");
        assert!(!new.join(STORE).exists());
        assert!(
            !new.join(".restoring").exists(),
            "the staging copy was left behind"
        );
    }

    #[test]
    fn restore_refuses_a_backup_whose_audit_chain_is_broken() {
        let root = tempfile::tempdir().expect("dir");
        let data = root.path().join("data");
        let (lock, store) = store_in(&data);
        audited(&store, 3);
        store
            .db
            .open_tree("audit")
            .expect("tree")
            .remove(2u64.to_be_bytes())
            .expect("remove");
        let dest = root.path().join("backup");
        store.backup_to(&dest).expect("backup");
        drop(store);
        drop(lock);
        let err = restore(&dest, &root.path().join("new"), false).expect_err("refused");
        assert!(matches!(err, BackupError::AuditBroken { .. }), "{err}");
    }

    /// A store in `dir` holding `greeting`, closed again.
    fn greeted(dir: &Path, greeting: &[u8]) {
        let (_lock, store) = store_in(dir);
        store.set_meta("greeting", greeting).expect("meta");
        store.db.flush().expect("flush");
    }

    fn greeting(dir: &Path) -> Option<Vec<u8>> {
        let (_lock, store) = store_in(dir);
        store.meta("greeting").expect("meta")
    }

    #[test]
    fn a_restore_interrupted_between_its_renames_is_rolled_back_when_the_store_opens() {
        let root = tempfile::tempdir().expect("dir");
        let data = root.path().join("data");
        greeted(&data, b"old");
        // The crash left the old store aside and the checked copy not yet moved in.
        fs::rename(data.join(STORE), data.join(REPLACED)).expect("aside");
        greeted(&root.path().join("copy"), b"new");
        fs::create_dir(data.join(RESTORING)).expect("staging");
        fs::rename(
            root.path().join("copy").join(STORE),
            data.join(RESTORING).join(STORE),
        )
        .expect("staged");

        assert_eq!(greeting(&data), Some(b"old".to_vec()));
        assert!(!data.join(REPLACED).exists());
        assert!(!data.join(RESTORING).exists());
    }

    #[test]
    fn a_restore_interrupted_after_its_renames_keeps_the_backup_and_drops_the_old_store() {
        let root = tempfile::tempdir().expect("dir");
        let data = root.path().join("data");
        greeted(&root.path().join("old"), b"old");
        greeted(&data, b"new");
        fs::rename(root.path().join("old").join(STORE), data.join(REPLACED)).expect("aside");

        let lock = DataFolderLock::acquire(&data).expect("lock");
        assert_eq!(
            recover_interrupted_restore(&data, &lock).expect("recover"),
            Some(RestoreRecovery::Completed)
        );
        assert_eq!(
            recover_interrupted_restore(&data, &lock).expect("again"),
            None
        );
        drop(lock);
        assert_eq!(greeting(&data), Some(b"new".to_vec()));
    }

    #[test]
    fn a_forced_restore_after_an_interrupted_one_keeps_the_old_store_until_it_succeeds() {
        let root = tempfile::tempdir().expect("dir");
        let dest = backed_up(root.path());
        let data = root.path().join("data");
        greeted(&data, b"old");
        fs::rename(data.join(STORE), data.join(REPLACED)).expect("aside");

        // Without `force`: the rolled-back old store is there, so it is refused.
        let err = restore(&dest, &data, false).expect_err("refused");
        assert!(matches!(err, BackupError::StoreExists(_)), "{err}");
        assert_eq!(greeting(&data), Some(b"old".to_vec()));
        let restored = restore(&dest, &data, true).expect("forced");
        assert!(restored.replaced);
        assert_eq!(greeting(&data), Some(b"hello".to_vec()));
    }

    #[test]
    fn restore_replaces_an_existing_store_only_with_force() {
        let root = tempfile::tempdir().expect("dir");
        let dest = backed_up(root.path());
        let target = root.path().join("target");
        {
            let (_lock, other) = store_in(&target);
            other.set_meta("greeting", b"other").expect("meta");
            drop(other);
        }
        let err = restore(&dest, &target, false).expect_err("refused");
        assert!(matches!(err, BackupError::StoreExists(_)), "{err}");
        {
            let (_lock, other) = store_in(&target);
            assert_eq!(
                other.meta("greeting").expect("meta"),
                Some(b"other".to_vec())
            );
        }
        let restored = restore(&dest, &target, true).expect("forced");
        assert!(restored.replaced);
        let (_lock, store) = store_in(&target);
        assert_eq!(
            store.meta("greeting").expect("meta"),
            Some(b"hello".to_vec())
        );
        assert!(!target.join(".replaced").exists());
    }

    #[test]
    fn restore_refuses_a_data_folder_a_daemon_holds_even_with_force() {
        let root = tempfile::tempdir().expect("dir");
        let dest = backed_up(root.path());
        let held = root.path().join("held");
        let _daemon = DataFolderLock::acquire(&held).expect("lock");
        let err = restore(&dest, &held, true).expect_err("refused");
        assert!(matches!(err, BackupError::Live(_)), "{err}");
        assert!(err.to_string().contains("running Waymark daemon"), "{err}");
    }
}
