//! Personal data sealed at rest, and erased by destroying its key (crypto-shredding).
//!
//! sled is log-structured: a removed value stays in its segment until the segment is
//! reclaimed, so erasing a journey from the tree alone leaves the postcode and date
//! of birth findable on disk. Instead every journey's events (the referral with its
//! personal details, corrections, review notes) are sealed with ChaCha20-Poly1305
//! under a key of that participant's own, and erasure destroys the key.
//!
//! The participant keys never go into sled (where a removed key would linger in the
//! log just like the data). They live in `sled/participant_keys`, a file of
//! fixed-size slots ([`SLOT_BYTES`] each) overwritten in place: erasure writes zeros
//! over the participant's slot and syncs the file. Each slot holds the participant
//! key wrapped (sealed) by the master data key, which comes from outside the data
//! folder (`WAYMARK_DATA_KEY` or a key file: see [`DataKey::resolve`]), so neither the
//! data folder nor a backup of it can be read without the master key. The slot
//! number is kept in the journey record (`key_slot`), so a journey and its slot are
//! written in one sled transaction with the rest of the journey.
//!
//! The file sits inside `sled/` so a backup (which copies that folder's contents)
//! and a restore (which moves a whole `sled/` into place) carry it with the trees
//! it belongs to. At open, a used slot no journey names (a write or an erasure cut
//! short by a crash) is zeroed.
//!
//! Councils' webhook secrets are sealed under one more key in its own slot (named in
//! `meta`), so a rotation of the master key (`Store::rotate_data_key`) re-wraps
//! every key in one rename of the slot file. `meta` also keeps a value only the
//! master key opens: a start with another key is refused rather than serving
//! records it cannot read.
//!
//! A participant's decision records, review items and actions are sealed with the
//! same key (`sealed_records.rs`), so erasure leaves none of them readable either.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};

use crate::council::CouncilId;
use crate::journey::{Event, Journey, ParticipantId};

/// The slot file's name, inside the store's `sled/` folder.
pub(super) const SLOTS_FILE: &str = "participant_keys";
/// One slot: a used mark, the wrapping nonce, the wrapped key with its tag, padding.
pub(super) const SLOT_BYTES: usize = 64;
const NONCE_BYTES: usize = 12;
const KEY_BYTES: usize = 32;
const WRAPPED_BYTES: usize = KEY_BYTES + 16;
const USED: u8 = 1;
/// What the master key seals into `meta` to recognise itself at the next start.
const CHECK_PLAINTEXT: &[u8] = b"waymark data key check v1";
pub(super) const CHECK_META: &str = "data_key_check";
/// The slot of the key webhook secrets are sealed with (big-endian u64), in `meta`.
const WEBHOOK_SLOT_META: &str = "webhook_key_slot";
/// The owner bound into the webhook key's slot.
const WEBHOOK_KEY_OWNER: &str = "webhook secrets";
/// The new key's check while a rotation is under way (`Store::rotate_data_key`).
const CHECK_NEXT_META: &str = "data_key_check_next";
/// The environment variable holding the master key (64 hex digits).
pub const DATA_KEY_ENV: &str = "WAYMARK_DATA_KEY";

#[derive(Debug, thiserror::Error)]
pub enum DataKeyError {
    #[error(
        "the data key from {origin} is not 64 hex digits (32 bytes): make one with `openssl rand -hex 32`"
    )]
    Malformed { origin: String },
    #[error("cannot read the data key file {}: {source}; check data_key_file / WAYMARK_DATA_KEY_FILE", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot create the data key file {}: {source}", path.display())]
    Create { path: PathBuf, source: io::Error },
    #[error(
        "the data key file {} is inside the data folder {}: keep it elsewhere, or a copy of the data folder carries the key that opens it", key.display(), data.display()
    )]
    InsideDataFolder { key: PathBuf, data: PathBuf },
}

/// The master key that wraps every participant key. Never written into the data folder.
#[derive(Clone)]
pub struct DataKey(Key);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// Where the master key came from, for the start-up log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataKeySource {
    Environment,
    File(PathBuf),
    /// No key was configured: one was generated (or found) beside the data folder.
    Generated(PathBuf),
}

impl DataKey {
    pub fn from_hex(text: &str, origin: &str) -> Result<DataKey, DataKeyError> {
        let malformed = || DataKeyError::Malformed {
            origin: origin.to_owned(),
        };
        let bytes = hex::decode(text.trim()).map_err(|_| malformed())?;
        let bytes: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| malformed())?;
        Ok(DataKey(bytes.into()))
    }

    /// A fresh random key.
    pub fn generate() -> DataKey {
        DataKey(random::<KEY_BYTES>().into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_slice())
    }

    pub fn from_file(path: &Path) -> Result<DataKey, DataKeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| DataKeyError::Read {
            path: path.to_owned(),
            source,
        })?;
        DataKey::from_hex(&text, &format!("file {}", path.display()))
    }

    /// The master key for the data folder `data`: `WAYMARK_DATA_KEY` (given here as
    /// `env`) if set, else the key file `file` if given, else `<data>.key` beside the
    /// data folder, generated (readable by its owner only) if absent. The last is for
    /// trying Waymark out and for tests; in service set one of the first two, and keep
    /// the key apart from the data folder's backups.
    pub fn resolve(
        env: Option<&str>,
        file: Option<&Path>,
        data: &Path,
    ) -> Result<(DataKey, DataKeySource), DataKeyError> {
        if let Some(hex) = env {
            return Ok((
                DataKey::from_hex(hex, &format!("environment variable {DATA_KEY_ENV}"))?,
                DataKeySource::Environment,
            ));
        }
        let data_abs = std::fs::canonicalize(data).unwrap_or_else(|_| data.to_owned());
        if let Some(file) = file {
            let key_abs = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_owned());
            if key_abs.starts_with(&data_abs) {
                return Err(DataKeyError::InsideDataFolder {
                    key: file.to_owned(),
                    data: data.to_owned(),
                });
            }
            return Ok((
                DataKey::from_file(file)?,
                DataKeySource::File(file.to_owned()),
            ));
        }
        let name = data_abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "waymark-data".into());
        let beside = data_abs.with_file_name(format!("{name}.key"));
        if !beside.exists() {
            write_new_key_file(&beside, &DataKey::generate())?;
        }
        Ok((
            DataKey::from_file(&beside)?,
            DataKeySource::Generated(beside),
        ))
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&self.0)
    }

    /// The value kept in `meta` by which a later start recognises this key.
    pub(super) fn check_value(&self) -> Vec<u8> {
        seal(&self.cipher(), CHECK_PLAINTEXT, b"")
    }

    pub(super) fn opens_check(&self, value: &[u8]) -> bool {
        open(&self.cipher(), value, b"").is_some_and(|p| p == CHECK_PLAINTEXT)
    }
}

/// Writes `key` (hex) to a new file readable by its owner only.
pub fn write_new_key_file(path: &Path, key: &DataKey) -> Result<(), DataKeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let create = |source| DataKeyError::Create {
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(create)?;
    file.write_all(format!("{}\n", key.to_hex()).as_bytes())
        .map_err(create)?;
    file.sync_all().map_err(create)
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS's random source failing is not something Waymark can work around.
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    bytes
}

/// `nonce ‖ ciphertext` of `plain` under `cipher`, bound to `aad`.
pub(super) fn seal(cipher: &ChaCha20Poly1305, plain: &[u8], aad: &[u8]) -> Vec<u8> {
    let nonce = random::<NONCE_BYTES>();
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
        // Encryption fails only for messages beyond 256 GiB.
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    out
}

pub(super) fn open(cipher: &ChaCha20Poly1305, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_BYTES {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_BYTES);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
        .ok()
}

/// Why a sealed record could not be opened (never its contents).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsealed {
    #[error("it is sealed and this store was opened without the data key")]
    NoDataKey,
    #[error("its participant key (slot {0}) is gone: it was erased, or the key file is damaged")]
    KeyGone(u64),
    #[error("its participant key (slot {0}) does not open with this data key")]
    KeyMismatch(u64),
    #[error("its sealed events do not open with its participant key")]
    Damaged,
    #[error("the key file could not be read or written: {1}")]
    Io(io::ErrorKind, String),
}

/// A journey sealed for writing ([`super::Store::seal_for_write`]).
pub(super) struct SealedWrite {
    pub slot: u64,
    pub key: Key,
    /// The slot is new: destroy it if the write fails.
    pub fresh: bool,
    pub bytes: Vec<u8>,
    /// The slot and key the participant's records were sealed with until this write
    /// (a correction): re-seal them with the new key, then destroy it.
    pub retired: Option<(u64, Key)>,
}

/// A journey as stored: who, which key slot, and the events sealed.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct SealedJourney {
    pub council: CouncilId,
    pub participant: ParticipantId,
    pub key_slot: u64,
    /// `nonce ‖ ciphertext` (hex) of the events' JSON under the participant key.
    pub sealed: String,
}

/// A journey record as read: sealed, or plain (written before sealing existed; sealed
/// the next time it is written).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum StoredJourney {
    Sealed(SealedJourney),
    Plain(Journey),
}

/// The key slots file and the master key, shared by every clone of the store.
#[derive(Clone)]
pub(super) struct Sealing {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Sealing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealing(..)")
    }
}

struct Inner {
    master: Option<DataKey>,
    file: File,
    path: PathBuf,
    /// Allocation and every write to the file, one at a time.
    slots: Mutex<Slots>,
}

struct Slots {
    free: BTreeSet<u64>,
    count: u64,
}

fn webhook_aad(council: &CouncilId) -> Vec<u8> {
    format!("waymark webhook secret {council}").into_bytes()
}

fn journey_aad(council: &CouncilId, participant: ParticipantId) -> Vec<u8> {
    format!("waymark journey {council}/{participant}").into_bytes()
}

/// Whose key a slot holds, bound into its wrapping: `council/participant`, or
/// [`WEBHOOK_KEY_OWNER`].
pub(super) fn owner(council: &CouncilId, participant: ParticipantId) -> String {
    format!("{council}/{participant}")
}

fn slot_aad(slot: u64, owner: &str) -> Vec<u8> {
    format!("waymark participant key {slot} {owner}").into_bytes()
}

impl Sealing {
    /// Opens (or creates) the slot file in the store's `sled/` folder.
    pub(super) fn open(sled_dir: &Path, master: Option<DataKey>) -> io::Result<Sealing> {
        let path = sled_dir.join(SLOTS_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let len = file.metadata()?.len();
        let count = len / SLOT_BYTES as u64;
        let mut free = BTreeSet::new();
        let mut slot = [0u8; SLOT_BYTES];
        for i in 0..count {
            file.read_exact_at(&mut slot, i * SLOT_BYTES as u64)?;
            if slot[0] != USED {
                free.insert(i);
            }
        }
        Ok(Sealing {
            inner: Arc::new(Inner {
                master,
                file,
                path,
                slots: Mutex::new(Slots { free, count }),
            }),
        })
    }

    pub(super) fn master(&self) -> Option<&DataKey> {
        self.inner.master.as_ref()
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.inner
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The slots in use.
    pub(super) fn used(&self) -> BTreeSet<u64> {
        let slots = self.slots();
        (0..slots.count)
            .filter(|i| !slots.free.contains(i))
            .collect()
    }

    /// A new participant key, wrapped into a free slot and synced to disk.
    pub(super) fn new_key(&self, owner: &str) -> Result<(u64, Key), Unsealed> {
        let master = self.master().ok_or(Unsealed::NoDataKey)?;
        let key: Key = random::<KEY_BYTES>().into();
        let mut slots = self.slots();
        let slot = slots.free.first().copied().unwrap_or(slots.count);
        let wrapped = seal(&master.cipher(), key.as_slice(), &slot_aad(slot, owner));
        let mut bytes = [0u8; SLOT_BYTES];
        bytes[0] = USED;
        bytes[1..1 + wrapped.len()].copy_from_slice(&wrapped);
        self.write_slot(slot, &bytes)?;
        slots.free.remove(&slot);
        slots.count = slots.count.max(slot + 1);
        Ok((slot, key))
    }

    /// The participant key in `slot`.
    pub(super) fn key(&self, slot: u64, owner: &str) -> Result<Key, Unsealed> {
        let master = self.master().ok_or(Unsealed::NoDataKey)?;
        let mut bytes = [0u8; SLOT_BYTES];
        match self
            .inner
            .file
            .read_exact_at(&mut bytes, slot * SLOT_BYTES as u64)
        {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(Unsealed::KeyGone(slot));
            }
            Err(e) => return Err(Unsealed::Io(e.kind(), e.to_string())),
        }
        if bytes[0] != USED {
            return Err(Unsealed::KeyGone(slot));
        }
        let wrapped = &bytes[1..1 + NONCE_BYTES + WRAPPED_BYTES];
        let key = open(&master.cipher(), wrapped, &slot_aad(slot, owner))
            .ok_or(Unsealed::KeyMismatch(slot))?;
        let key: [u8; KEY_BYTES] = key.try_into().map_err(|_| Unsealed::KeyMismatch(slot))?;
        Ok(key.into())
    }

    /// The slot file's path.
    pub(super) fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Copies the slot file into the store folder `sled_dir` (a backup's), with no
    /// slot written meanwhile, and syncs the copy.
    pub(super) fn copy_to(&self, sled_dir: &Path) -> io::Result<()> {
        use std::io::Write;
        let slots = self.slots();
        let mut bytes = vec![0u8; slots.count as usize * SLOT_BYTES];
        self.inner.file.read_exact_at(&mut bytes, 0)?;
        let mut copy = File::create(sled_dir.join(SLOTS_FILE))?;
        copy.write_all(&bytes)?;
        copy.sync_all()
    }

    /// The slot `slot` holding the same participant key wrapped by `new` instead.
    fn rewrapped(
        &self,
        slot: u64,
        owner: &str,
        new: &DataKey,
    ) -> Result<[u8; SLOT_BYTES], Unsealed> {
        let key = self.key(slot, owner)?;
        let wrapped = seal(&new.cipher(), key.as_slice(), &slot_aad(slot, owner));
        let mut bytes = [0u8; SLOT_BYTES];
        bytes[0] = USED;
        bytes[1..1 + wrapped.len()].copy_from_slice(&wrapped);
        Ok(bytes)
    }

    /// Destroys the key in `slot`: zeros over it, synced to disk.
    pub(super) fn shred(&self, slot: u64) -> Result<(), Unsealed> {
        let mut slots = self.slots();
        if slot >= slots.count {
            return Ok(());
        }
        self.write_slot(slot, &[0u8; SLOT_BYTES])?;
        slots.free.insert(slot);
        Ok(())
    }

    fn write_slot(&self, slot: u64, bytes: &[u8; SLOT_BYTES]) -> Result<(), Unsealed> {
        let io = |e: io::Error| Unsealed::Io(e.kind(), e.to_string());
        self.inner
            .file
            .write_all_at(bytes, slot * SLOT_BYTES as u64)
            .map_err(io)?;
        self.inner.file.sync_data().map_err(io)
    }

    /// The record to store for `journey`, sealed under the key in `slot`.
    pub(super) fn seal_journey(
        &self,
        journey: &Journey,
        slot: u64,
        key: &Key,
    ) -> Result<Vec<u8>, Unsealed> {
        let _ = self.master().ok_or(Unsealed::NoDataKey)?;
        let events = serde_json::to_vec(&journey.events).unwrap_or_default();
        let sealed = seal(
            &ChaCha20Poly1305::new(key),
            &events,
            &journey_aad(&journey.council, journey.participant),
        );
        Ok(serde_json::to_vec(&SealedJourney {
            council: journey.council.clone(),
            participant: journey.participant,
            key_slot: slot,
            sealed: hex::encode(sealed),
        })
        .unwrap_or_default())
    }

    /// The participant key of a stored sealed journey.
    pub(super) fn key_of(&self, stored: &SealedJourney) -> Result<Key, Unsealed> {
        self.key(stored.key_slot, &owner(&stored.council, stored.participant))
    }

    /// Opens a stored sealed journey.
    pub(super) fn open_journey(&self, stored: SealedJourney) -> Result<Journey, Unsealed> {
        let key = self.key_of(&stored)?;
        let sealed = hex::decode(&stored.sealed).map_err(|_| Unsealed::Damaged)?;
        let events = open(
            &ChaCha20Poly1305::new(&key),
            &sealed,
            &journey_aad(&stored.council, stored.participant),
        )
        .ok_or(Unsealed::Damaged)?;
        let events: Vec<Event> = serde_json::from_slice(&events).map_err(|_| Unsealed::Damaged)?;
        Ok(Journey {
            council: stored.council,
            participant: stored.participant,
            events,
        })
    }
}

/// Where a rotation writes the re-wrapped slots before renaming them into place.
fn next_path(slots: &Path) -> PathBuf {
    slots.with_extension("next")
}

/// The key slot a stored journey record names, if it is sealed.
pub(super) fn slot_of(bytes: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct Slot {
        key_slot: u64,
    }
    serde_json::from_slice::<Slot>(bytes)
        .ok()
        .map(|s| s.key_slot)
}

impl super::Store {
    /// A key file that cannot be written is reported as the disk failing (a full
    /// disk included), like sled's own writes.
    pub(super) fn unsealable(key: &[u8], reason: Unsealed) -> super::StoreError {
        match reason {
            Unsealed::Io(kind, message) => super::StoreError::Disk(io::Error::new(kind, message)),
            reason => super::StoreError::Unsealable {
                key: String::from_utf8_lossy(key).into_owned(),
                reason,
            },
        }
    }

    /// Re-wraps every participant key under `new` (the store was opened with the key
    /// in use), so the data folder opens with `new` alone. The re-wrapped slots go
    /// into a new file that replaces the old by a rename; `meta` names the new key's
    /// check first, so a rotation cut short is finished or undone when the store next
    /// opens ([`Store::finish_rotation`]). Returns the keys re-wrapped. Offline only.
    pub fn rotate_data_key(self, new: &DataKey) -> Result<usize, super::StoreError> {
        if self.sealing.master().is_none() {
            return Err(Self::unsealable(b"(all)", Unsealed::NoDataKey));
        }
        let key_file = |source| super::StoreError::KeyFile {
            path: self.sealing.path().to_owned(),
            source,
        };
        let count = self.sealing.slots().count;
        let mut bytes = vec![0u8; count as usize * SLOT_BYTES];
        let mut rotated = 0;
        for kv in self.journeys.iter() {
            let (k, v) = kv?;
            let StoredJourney::Sealed(sealed) = super::decode("journeys", &k, &v)? else {
                continue;
            };
            let slot = self
                .sealing
                .rewrapped(
                    sealed.key_slot,
                    &owner(&sealed.council, sealed.participant),
                    new,
                )
                .map_err(|reason| Self::unsealable(&k, reason))?;
            let at = sealed.key_slot as usize * SLOT_BYTES;
            bytes[at..at + SLOT_BYTES].copy_from_slice(&slot);
            rotated += 1;
        }
        if let Some(slot) = self.webhook_key_slot()? {
            let wrapped = self
                .sealing
                .rewrapped(slot, WEBHOOK_KEY_OWNER, new)
                .map_err(|reason| Self::unsealable(WEBHOOK_SLOT_META.as_bytes(), reason))?;
            let at = slot as usize * SLOT_BYTES;
            bytes[at..at + SLOT_BYTES].copy_from_slice(&wrapped);
        }
        let next = next_path(self.sealing.path());
        {
            use std::io::Write;
            let mut file = File::create(&next).map_err(key_file)?;
            file.write_all(&bytes).map_err(key_file)?;
            file.sync_all().map_err(key_file)?;
        }
        self.meta.insert(CHECK_NEXT_META, new.check_value())?;
        self.db.flush()?;
        std::fs::rename(&next, self.sealing.path()).map_err(key_file)?;
        if let Some(dir) = self.sealing.path().parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(key_file)?;
        }
        self.finish_rotation()?;
        Ok(rotated)
    }

    /// Finishes or undoes a key rotation cut short: the new key file renamed into
    /// place means it is done (the new key's check becomes the check); still beside
    /// it, undone.
    pub(super) fn finish_rotation(&self) -> Result<(), super::StoreError> {
        let next = next_path(self.sealing.path());
        let Some(check) = self.meta.get(CHECK_NEXT_META)? else {
            // Left by a rotation cut short before it began to count: never used.
            if next.exists() {
                let _ = std::fs::remove_file(&next);
            }
            return Ok(());
        };
        if next.exists() {
            std::fs::remove_file(&next).map_err(|source| super::StoreError::KeyFile {
                path: next.clone(),
                source,
            })?;
            tracing::warn!("an interrupted data key rotation was undone: run it again");
        } else {
            self.meta.insert(CHECK_META, check)?;
        }
        self.meta.remove(CHECK_NEXT_META)?;
        self.db.flush()?;
        Ok(())
    }

    /// Refuses a master key other than the one this folder was sealed with; the first
    /// key given to a folder is remembered (as a value only it opens).
    pub(super) fn check_data_key(&self) -> Result<(), super::StoreError> {
        let Some(master) = self.sealing.master() else {
            return Ok(());
        };
        match self.meta.get(CHECK_META)? {
            Some(value) if master.opens_check(&value) => Ok(()),
            Some(_) => Err(super::StoreError::WrongDataKey),
            None => {
                self.meta.insert(CHECK_META, master.check_value())?;
                self.db.flush()?;
                Ok(())
            }
        }
    }

    /// Zeros every used key slot no journey or sealed record names: left by a write that failed or an
    /// erasure cut short between its commit and the key's destruction.
    pub(super) fn shred_unused_keys(&self) -> Result<(), super::StoreError> {
        let mut unused = self.sealing.used();
        if unused.is_empty() {
            return Ok(());
        }
        for v in self.journeys.iter().values() {
            if let Some(slot) = slot_of(&v?) {
                unused.remove(&slot);
            }
        }
        // A key is in use while any record is sealed with it, even if its journey
        // cannot be read (damaged): its decisions, reviews and actions still open.
        let reviews = self.reviews_tree()?;
        for tree in [&self.decisions, &reviews, &self.actions] {
            for v in tree.iter().values() {
                if let Some(sealed) = super::sealed_records::envelope(&v?) {
                    unused.remove(&sealed.key_slot);
                }
            }
        }
        if let Some(slot) = self.webhook_key_slot()? {
            unused.remove(&slot);
        }
        for slot in unused {
            tracing::info!(slot, "destroyed a participant key no journey uses");
            self.sealing
                .shred(slot)
                .map_err(|reason| super::StoreError::KeyFile {
                    path: self.sealing.path().to_owned(),
                    source: io::Error::other(reason.to_string()),
                })?;
        }
        Ok(())
    }

    /// The journey stored under `key` as `bytes`, opened.
    pub(super) fn open_journey(
        &self,
        key: &[u8],
        bytes: &[u8],
    ) -> Result<Journey, super::StoreError> {
        match super::decode::<StoredJourney>("journeys", key, bytes)? {
            StoredJourney::Plain(journey) => Ok(journey),
            StoredJourney::Sealed(sealed) => self
                .sealing
                .open_journey(sealed)
                .map_err(|reason| Self::unsealable(key, reason)),
        }
    }

    /// The record to write for `journey` over `expected`, sealed: under the key it
    /// was sealed with, or a new one for a new journey, one stored before sealing, and
    /// one whose referral details change (a correction): the superseded details stay
    /// in sled's log until a segment is reclaimed, so they must not stay readable
    /// with the key in use. The caller re-seals the participant's other records with
    /// a new key and destroys the retired one once the write is durable.
    pub(super) fn seal_for_write(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        journey: &Journey,
    ) -> Result<SealedWrite, super::StoreError> {
        let unsealable = |reason| Self::unsealable(key, reason);
        let existing = match expected {
            Some(bytes) => match super::decode::<StoredJourney>("journeys", key, bytes)? {
                StoredJourney::Sealed(sealed) => {
                    let slot = sealed.key_slot;
                    let old_key = self.sealing.key_of(&sealed).map_err(unsealable)?;
                    let old = self.sealing.open_journey(sealed).map_err(unsealable)?;
                    let corrected =
                        old.referral().map(|(r, _)| r) != journey.referral().map(|(r, _)| r);
                    Some((slot, old_key, corrected))
                }
                StoredJourney::Plain(_) => None,
            },
            None => None,
        };
        let fresh_key = || {
            self.sealing
                .new_key(&owner(&journey.council, journey.participant))
                .map_err(unsealable)
        };
        let (slot, participant_key, fresh, retired) = match existing {
            Some((slot, k, false)) => (slot, k, false, None),
            Some((old_slot, old_key, true)) => {
                let (slot, k) = fresh_key()?;
                (slot, k, true, Some((old_slot, old_key)))
            }
            None => {
                let (slot, k) = fresh_key()?;
                (slot, k, true, None)
            }
        };
        let bytes = self
            .sealing
            .seal_journey(journey, slot, &participant_key)
            .map_err(unsealable)?;
        Ok(SealedWrite {
            slot,
            key: participant_key,
            fresh,
            bytes,
            retired,
        })
    }

    /// Destroys a key no journey names any more (one a correction retired), once
    /// what replaced it is durable: a crash before that leaves it for the next
    /// start's [`Store::shred_unused_keys`].
    pub(super) fn shred_retired(&self, key: &[u8], slot: u64) -> Result<(), super::StoreError> {
        {
            let _one_at_a_time = self.flushing.lock().unwrap_or_else(PoisonError::into_inner);
            self.db.flush()?;
        }
        self.sealing
            .shred(slot)
            .map_err(|reason| Self::unsealable(key, reason))
    }

    /// Destroys the key of an erased journey, stored as `bytes` until its erasure
    /// committed: the erasure is flushed first, so a crash cannot leave a journey
    /// whose key is gone.
    pub(super) fn shred_erased(&self, key: &[u8], bytes: &[u8]) -> Result<(), super::StoreError> {
        let Some(slot) = slot_of(bytes) else {
            return Ok(());
        };
        {
            let _one_at_a_time = self.flushing.lock().unwrap_or_else(PoisonError::into_inner);
            self.db.flush()?;
        }
        self.sealing
            .shred(slot)
            .map_err(|reason| Self::unsealable(key, reason))
    }

    /// The slot of the key webhook secrets are sealed with, once one was made.
    fn webhook_key_slot(&self) -> Result<Option<u64>, super::StoreError> {
        let Some(v) = self.meta.get(WEBHOOK_SLOT_META)? else {
            return Ok(None);
        };
        let bytes: [u8; 8] = v
            .as_ref()
            .try_into()
            .map_err(|_| super::StoreError::Corrupt {
                tree: "meta",
                key: WEBHOOK_SLOT_META.into(),
                reason: "not an 8-byte slot number".into(),
            })?;
        Ok(Some(u64::from_be_bytes(bytes)))
    }

    /// The key webhook secrets are sealed with (wrapped by the master key in its own
    /// slot, so a rotation re-wraps it with the participants' keys); made on first use.
    fn webhook_key(&self) -> Result<Key, super::StoreError> {
        let unsealable = |reason| Self::unsealable(WEBHOOK_SLOT_META.as_bytes(), reason);
        if let Some(slot) = self.webhook_key_slot()? {
            return self
                .sealing
                .key(slot, WEBHOOK_KEY_OWNER)
                .map_err(unsealable);
        }
        let (slot, key) = self
            .sealing
            .new_key(WEBHOOK_KEY_OWNER)
            .map_err(unsealable)?;
        let made = self.meta.compare_and_swap(
            WEBHOOK_SLOT_META,
            None as Option<&[u8]>,
            Some(slot.to_be_bytes().to_vec()),
        )?;
        if made.is_err() {
            // Another request made one first: use that.
            self.sealing.shred(slot).map_err(unsealable)?;
            return self.webhook_key();
        }
        Ok(key)
    }

    /// A webhook as stored: its secret sealed (`sealed_secret`, hex) in place of `secret`.
    pub(super) fn seal_webhook(
        &self,
        council: &CouncilId,
        webhook: &crate::outbox::webhook::Webhook,
    ) -> Result<Vec<u8>, super::StoreError> {
        let key = self.webhook_key()?;
        let mut value = serde_json::to_value(webhook).unwrap_or_default();
        if let Some(map) = value.as_object_mut()
            && let Some(serde_json::Value::String(secret)) = map.remove("secret")
        {
            let sealed = seal(
                &ChaCha20Poly1305::new(&key),
                secret.as_bytes(),
                &webhook_aad(council),
            );
            map.insert("sealed_secret".into(), hex::encode(sealed).into());
        }
        Ok(serde_json::to_vec(&value).unwrap_or_default())
    }

    /// A stored webhook, its secret opened (one stored before sealing reads as it is).
    pub(super) fn open_webhook(
        &self,
        council: &CouncilId,
        bytes: &[u8],
    ) -> Result<crate::outbox::webhook::Webhook, super::StoreError> {
        let key_bytes = council.as_str().as_bytes();
        let mut value: serde_json::Value = super::decode("webhooks", key_bytes, bytes)?;
        if let Some(map) = value.as_object_mut()
            && let Some(serde_json::Value::String(sealed)) = map.remove("sealed_secret")
        {
            let key = self.webhook_key()?;
            let secret = hex::decode(&sealed)
                .ok()
                .and_then(|s| open(&ChaCha20Poly1305::new(&key), &s, &webhook_aad(council)))
                .and_then(|s| String::from_utf8(s).ok())
                .ok_or_else(|| Self::unsealable(key_bytes, Unsealed::Damaged))?;
            map.insert("secret".into(), secret.into());
        }
        serde_json::from_value(value).map_err(|e| super::StoreError::Corrupt {
            tree: "webhooks",
            key: council.to_string(),
            reason: super::readable::unreadable_reason(&e),
        })
    }

    /// Copies the participant keys into a backup's store folder.
    pub(super) fn copy_keys_to(&self, sled_dir: &Path) -> io::Result<()> {
        self.sealing.copy_to(sled_dir)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::access::KeyId;
    use crate::journey::Referral;
    use crate::store::{DataFolderLock, EraseOutcome, JourneyWrite, Store, StoreError};

    const POSTCODE: &str = "ST4 9ZQ";

    fn journey() -> Journey {
        let council: CouncilId = "derby".parse().expect("id");
        let on = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
        let mut referral = Referral::example();
        referral.postcode = POSTCODE.into();
        Journey::refer(council, ParticipantId::new_random(), on, referral)
    }

    /// Whether any file under `dir` holds `needle`.
    fn on_disk(dir: &Path, needle: &[u8]) -> bool {
        std::fs::read_dir(dir).expect("dir").any(|entry| {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                on_disk(&path, needle)
            } else {
                let bytes = std::fs::read(&path).expect("read");
                bytes.windows(needle.len()).any(|w| w == needle)
            }
        })
    }

    #[test]
    fn a_journey_is_sealed_on_disk_and_erasure_zeroes_its_key() {
        let (dir, _lock, store) = crate::store::scratch();
        let journey = journey();
        store
            .write_journey(None, JourneyWrite::planned(&journey, &[]))
            .expect("written");
        store.db.flush().expect("flushed");
        assert!(!on_disk(dir.path(), POSTCODE.as_bytes()));
        let (read, raw) = store
            .journey(&journey.council, journey.participant)
            .expect("read")
            .expect("held");
        assert_eq!(read, journey);
        let slot = slot_of(&raw).expect("sealed");
        assert_eq!(store.sealing.used(), BTreeSet::from([slot]));

        let by = KeyId::retention_sweep();
        let at = chrono::Utc::now();
        let outcome = store
            .erase_participant(&journey.council, journey.participant, at, &by)
            .expect("erased");
        assert!(matches!(outcome, EraseOutcome::Erased(_)));
        assert!(store.sealing.used().is_empty());
        let slots = std::fs::read(store.sealing.path()).expect("key file");
        assert!(
            slots.iter().all(|b| *b == 0),
            "the key file holds only zeros"
        );
        // What the log still holds of the journey no longer opens.
        let err = store
            .open_journey(b"derby/x", &raw)
            .expect_err("unopenable");
        assert!(matches!(
            err,
            StoreError::Unsealable {
                reason: Unsealed::KeyGone(_),
                ..
            }
        ));
    }

    #[test]
    fn a_data_folder_refuses_a_key_other_than_its_own() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = DataKey::generate();
        let journey = journey();
        {
            let lock = DataFolderLock::acquire(dir.path()).expect("lock");
            let store = Store::open_sealed(dir.path(), &lock, key.clone()).expect("store");
            store
                .write_journey(None, JourneyWrite::planned(&journey, &[]))
                .expect("written");
            store.db.flush().expect("flushed");
        }
        {
            let lock = DataFolderLock::acquire(dir.path()).expect("lock");
            let refused = Store::open_sealed(dir.path(), &lock, DataKey::generate());
            assert!(matches!(refused, Err(StoreError::WrongDataKey)));
        }
        let lock = DataFolderLock::acquire(dir.path()).expect("lock");
        let store = Store::open_sealed(dir.path(), &lock, key).expect("store");
        let (read, _) = store
            .journey(&journey.council, journey.participant)
            .expect("read")
            .expect("held");
        assert_eq!(read, journey);
    }

    #[test]
    fn a_journey_stored_before_sealing_reads_and_is_sealed_when_next_written() {
        let (_dir, _lock, store) = crate::store::scratch();
        let journey = journey();
        let key = format!("{}/{}", journey.council, journey.participant);
        let plain = serde_json::to_vec(&journey).expect("json");
        store
            .put_damaged("journeys", &key, &plain)
            .expect("stored plain");
        let (read, raw) = store
            .journey(&journey.council, journey.participant)
            .expect("read")
            .expect("held");
        assert_eq!(read, journey);
        store
            .write_journey(Some(&raw), JourneyWrite::planned(&journey, &[]))
            .expect("rewritten");
        let (_, raw) = store
            .journey(&journey.council, journey.participant)
            .expect("read")
            .expect("held");
        assert!(slot_of(&raw).is_some());
        let text = String::from_utf8_lossy(&raw);
        assert!(!text.contains(POSTCODE), "{text}");
    }

    #[test]
    fn after_a_rotation_the_folder_opens_with_the_new_key_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (old, new) = (DataKey::generate(), DataKey::generate());
        let journey = journey();
        {
            let lock = DataFolderLock::acquire(dir.path()).expect("lock");
            let store = Store::open_sealed(dir.path(), &lock, old.clone()).expect("store");
            store
                .write_journey(None, JourneyWrite::planned(&journey, &[]))
                .expect("written");
            assert_eq!(store.rotate_data_key(&new).expect("rotated"), 1);
        }
        let lock = DataFolderLock::acquire(dir.path()).expect("lock");
        let opened = Store::open_sealed(dir.path(), &lock, old);
        assert!(
            matches!(opened, Err(StoreError::WrongDataKey)),
            "{:?}",
            opened.err()
        );
        let store = Store::open_sealed(dir.path(), &lock, new).expect("store");
        let (read, _) = store
            .journey(&journey.council, journey.participant)
            .expect("read")
            .expect("held");
        assert_eq!(read, journey);
    }

    #[test]
    fn a_webhook_secret_is_sealed_on_disk_and_survives_a_rotation() {
        use crate::outbox::webhook::{Webhook, WebhookSettings};
        let dir = tempfile::tempdir().expect("temp dir");
        let (old, new) = (DataKey::generate(), DataKey::generate());
        let council: CouncilId = "derby".parse().expect("id");
        let secret = "a-webhook-secret-found-nowhere-else-0123456789";
        let settings: WebhookSettings = serde_json::from_value(serde_json::json!({
            "url": "https://example.org/hook", "secret": secret
        }))
        .expect("settings");
        let webhook = Webhook::from_settings(settings, chrono::Utc::now()).expect("webhook");
        {
            let lock = DataFolderLock::acquire(dir.path()).expect("lock");
            let store = Store::open_sealed(dir.path(), &lock, old.clone()).expect("store");
            store.put_webhook(&council, &webhook).expect("stored");
            store.db.flush().expect("flushed");
            assert!(!on_disk(dir.path(), secret.as_bytes()));
            assert_eq!(
                store.webhook(&council).expect("read"),
                Some(webhook.clone())
            );
            store.rotate_data_key(&new).expect("rotated");
        }
        let lock = DataFolderLock::acquire(dir.path()).expect("lock");
        let store = Store::open_sealed(dir.path(), &lock, new).expect("store");
        assert_eq!(
            store.webhook(&council).expect("read"),
            Some(webhook.clone())
        );
        assert_eq!(store.webhooks().expect("all"), vec![(council, webhook)]);
    }

    #[test]
    fn a_key_slot_no_journey_names_is_zeroed_at_open() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = DataKey::generate();
        {
            let lock = DataFolderLock::acquire(dir.path()).expect("lock");
            let store = Store::open_sealed(dir.path(), &lock, key.clone()).expect("store");
            let j = journey();
            store
                .sealing
                .new_key(&owner(&j.council, j.participant))
                .expect("a key written, then a crash before its journey");
            store.db.flush().expect("flushed");
        }
        let lock = DataFolderLock::acquire(dir.path()).expect("lock");
        let store = Store::open_sealed(dir.path(), &lock, key).expect("store");
        assert!(store.sealing.used().is_empty());
    }
}
