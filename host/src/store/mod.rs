//! Durable state in sled: typed records behind a small repository API.
//!
//! Every change that must be atomic (a journey with its timers and decisions; a
//! fired timer with its action) is one multi-tree transaction, and every write is
//! flushed to disk before the caller acknowledges it. One daemon owns a data folder:
//! a second is refused by an OS file lock before sled is opened.
//!
//! Trees and keys:
//! - `councils`: council id → [`Council`]
//! - `plugins`: plugin digest → component bytes
//! - `journeys`: `council/participant` → [`Journey`]
//! - `journey_timers`: `council/participant` → index keys of its pending timers
//! - `timers`: fire instant (big-endian ms) + timer id → [`Timer`] (the time-ordered index)
//! - `actions`: `council/action id` → [`Action`]
//! - `decisions`: `council/participant/sequence` → [`DecisionRecord`]
//! - schedules, their runs and councils' calendars: see `schedules.rs`
//! - `meta`: schema version, the platform admin key's hash, the audit chain's head,
//!   the data key's check value and the webhook key's slot (`sealing.rs`)
//! - `api_keys`, `api_key_hashes`: see `keys.rs`
//! - `key_workers`, `caseload_overrides`: see `key_workers.rs`
//! - `audit`, `audit_by_council`: see `audit.rs`
//! - `legal_holds`, `erasures`: see `privacy.rs`
//! - `plugin_versions`: `council/digest` → [`PluginVersion`] (what a council uploaded; `plugins.rs`)
//! - `plugin_activations`: council id → its recent [`Activation`]s, newest last
//! - `reviews`: `council/review id` → [`ReviewItem`] (the human-review queue; `reviews.rs`)
//! - `webhooks`: council id → [`Webhook`](crate::outbox::webhook::Webhook) (`webhooks.rs`),
//!   its secret sealed (`sealed_secret`)
//! - `retention`: council id → [`RetentionPolicy`] (`retention.rs`)
//! - `idempotency`, `idempotency_by_time`, `idempotency_effects`: answers kept for
//!   retries, and work done under a key (`idempotency.rs`)
//!
//! A journey's events (the referral's personal details with them) are sealed with a
//! key of the participant's own, kept outside sled in `sled/participant_keys` and
//! wrapped by the master data key; erasure destroys that key (`sealing.rs`).

mod audit;
mod backup;
mod barrier;
mod councils;
mod decisions;
mod durable;
mod idempotency;
mod key_workers;
mod keys;
mod lock;
mod outbox_counts;
mod plugins;
mod privacy;
mod quarantine;
mod readable;
mod retention;
mod reviews;
mod roster;
mod schedules;
mod sealed_records;
mod sealing;
mod tenants;
mod webhooks;

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use crate::council::{Council, CouncilId};
use crate::journey::{Journey, ParticipantId};
use crate::outbox::{Action, ActionId, ActionStatus};
use crate::policy::{PluginDigest, Reason};
use crate::review::ReviewItem;
use crate::schedule::timer::{Timer, instant_key};

pub use audit::{AuditEntry, BrokenLink, NewAuditEntry};
pub use backup::{BackupError, BackupTaken, Manifest, Restored, backup_offline, restore};
pub use durable::Durable;
pub use idempotency::{
    Done, EarlierWork, IDEMPOTENCY_TTL, IdempotencyMark, IdempotentAnswer, IdempotentEffect, Made,
    idempotency_record_key,
};
pub use lock::DataFolderLock;
pub use outbox_counts::OutboxCounts;
pub use plugins::{ActivatedBy, Activation, PluginVersion, VersionRemoval, previous_version};
pub use privacy::{ERASED_PURPOSE, EraseOutcome, Erasure, LegalHold, ParticipantExport};
pub use readable::{DamagedRecord, Listed};
pub use retention::{DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, RetentionPolicy};
pub use schedules::Planned;
pub use sealing::{
    DATA_KEY_ENV, DataKey, DataKeyError, DataKeySource, Unsealed, write_new_key_file,
};
pub use tenants::CouncilRemoval;
use webhooks::Change;
pub use webhooks::{ActionWritten, AttemptStart, OutboxChange, OutboxWatch};

/// The on-disk layout version; bumped with a migration when records change shape.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk beneath the data folder failed or is full: writes are refused until
    /// it is put right (reads may still work).
    #[error("the data folder's disk could not be read or written: {0}")]
    Disk(std::io::Error),
    #[error("the store could not be read or written: {0}")]
    Engine(EngineError),
    /// A store task (a flush, a sweep) ended before it finished.
    #[error("{what} stopped before it finished: {reason}")]
    Interrupted { what: &'static str, reason: String },
    #[error("record `{key}` in tree `{tree}` is unreadable ({reason}); restore it from a backup")]
    Corrupt {
        tree: &'static str,
        key: String,
        reason: String,
    },
    #[error("the record changed while this request was being handled; retry it")]
    Conflict,
    #[error(
        "a restore into {} was interrupted and could not be put right ({source}): if `.replaced` is there, move it back to `sled` by hand, then run the restore again", dir.display()
    )]
    InterruptedRestore {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Locked(#[from] lock::LockError),
    #[error(
        "the data folder holds schema version {found}, but this Waymark understands up to {SCHEMA_VERSION}: upgrade Waymark"
    )]
    NewerSchema { found: u32 },
    #[error(
        "the data key given does not open this data folder: its participants' data was sealed with another key. Start with the key the folder was sealed with (WAYMARK_DATA_KEY or data_key_file); without it their personal data cannot be read"
    )]
    WrongDataKey,
    #[error("the participant key file {} cannot be used ({source}): restore the data folder from a backup", path.display())]
    KeyFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("record `{key}` cannot be opened: {reason}")]
    Unsealable { key: String, reason: Unsealed },
}

/// The storage engine failed; its own error stays inside the store.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct EngineError(sled::Error);

/// Opens sled's folder. The caller holds the data folder's own lock, so sled's
/// lock can only be held by an earlier `Store` of this process still letting go of
/// it: sled releases it on a background thread after the last handle is dropped
/// (its own tests block on it for that reason). Wait for that, briefly.
fn open_sled(path: &Path) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match sled::Config::new().path(path).open() {
            // sled says so only in the message (its kind is `Other`).
            Err(sled::Error::Io(e))
                if e.to_string().starts_with("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            opened => return opened.map_err(StoreError::from),
        }
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> StoreError {
        match e {
            sled::Error::Io(io) => StoreError::Disk(io),
            other => StoreError::Engine(EngineError(other)),
        }
    }
}

impl StoreError {
    /// Why a record could not be read, for a list's damaged records: the reason
    /// alone (never contents) when it is the record's fault.
    pub(crate) fn into_reason(self) -> String {
        match self {
            StoreError::Corrupt { reason, .. } => reason,
            StoreError::Unsealable { reason, .. } => reason.to_string(),
            other => other.to_string(),
        }
    }
}

/// One plugin decision, as recorded for explanation and replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DecisionRecord {
    pub hook: String,
    pub at: DateTime<Utc>,
    pub plugin: Option<PluginDigest>,
    pub input_digest: Option<String>,
    /// The answer, or `None` when the decision failed.
    pub output: Option<serde_json::Value>,
    /// Why the decision failed and went to human review.
    pub error: Option<String>,
    pub fuel_used: u64,
    pub elapsed_micros: u64,
    /// The date the plugin was asked to decide as of.
    #[serde(default)]
    pub as_of: Option<chrono::NaiveDate>,
    /// The settings the plugin was given, exactly as given (JSON text), for replay.
    #[serde(default)]
    pub settings: Option<String>,
    /// The least facts the plugin was shown (age, postcode district, route, journey
    /// dates…), kept so the decision can be replayed; erased with the participant.
    #[serde(default)]
    pub facts: Option<serde_json::Value>,
    /// The reasons the plugin gave, when it decided.
    #[serde(default)]
    pub reasons: Vec<Reason>,
}

#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// One flush at a time: see [`Store::flush`].
    flushing: std::sync::Arc<std::sync::Mutex<()>>,
    /// Writes hold it shared; a backup holds it exclusively (`barrier.rs`).
    barrier: barrier::WriteBarrier,
    councils: sled::Tree,
    plugins: sled::Tree,
    journeys: sled::Tree,
    journey_timers: sled::Tree,
    timers: sled::Tree,
    actions: sled::Tree,
    decisions: sled::Tree,
    meta: sled::Tree,
    sched: schedules::ScheduleTrees,
    idem: idempotency::IdempotencyTrees,
    webhooks: sled::Tree,
    /// Participant keys and the master key (`sealing.rs`).
    sealing: sealing::Sealing,
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Our record types serialize infallibly (no maps with non-string keys).
    serde_json::to_vec(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        reason: readable::unreadable_reason(&e),
    })
}

fn journey_key(council: &CouncilId, participant: ParticipantId) -> Vec<u8> {
    format!("{council}/{participant}").into_bytes()
}

fn action_key(council: &CouncilId, id: &ActionId) -> Vec<u8> {
    format!("{council}/{}", id.as_str()).into_bytes()
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn tx_decode<T: DeserializeOwned>(tree: &'static str, key: &[u8], bytes: &[u8]) -> TxResult<T> {
    decode(tree, key, bytes).map_err(ConflictableTransactionError::Abort)
}

fn flatten(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => e.into(),
    }
}

/// What a journey write replaces its pending timers with.
pub struct JourneyWrite<'a> {
    pub journey: &'a Journey,
    /// The new plan; `None` keeps the pending timers as they are.
    pub timers: Option<&'a [Timer]>,
    pub decisions: &'a [DecisionRecord],
    /// Review items to add or update with the journey (the human-review queue).
    pub reviews: &'a [ReviewItem],
    /// Actions decided with this change (a handover), written unless one with the
    /// same id exists: a step retried after a crash never makes a second.
    pub actions: &'a [Action],
    /// The `Idempotency-Key` this write answers and when, recorded with it (see
    /// `idempotency.rs`).
    pub effect: Option<(&'a IdempotencyMark, DateTime<Utc>)>,
}

/// A new store in a temporary folder, for tests: the folder and the lock must outlive
/// the store, so all three are handed back.
#[cfg(test)]
pub(crate) fn scratch() -> (tempfile::TempDir, DataFolderLock, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let lock = DataFolderLock::acquire(dir.path()).expect("lock");
    let store = Store::open_sealed(dir.path(), &lock, DataKey::generate()).expect("store");
    (dir, lock, store)
}

impl<'a> JourneyWrite<'a> {
    /// A journey with its planned timers and nothing else: no decision records, review
    /// items or idempotency mark.
    pub fn planned(journey: &'a Journey, timers: &'a [Timer]) -> Self {
        JourneyWrite {
            journey,
            timers: Some(timers),
            decisions: &[],
            reviews: &[],
            actions: &[],
            effect: None,
        }
    }
}

impl Store {
    /// Opens (or creates) the store in `dir`, which the caller must have locked,
    /// without the data key: everything works but reading or writing a journey
    /// (backups, restores, audit checks and erasure need no key).
    pub fn open(dir: &Path, lock: &DataFolderLock) -> Result<Store, StoreError> {
        Store::open_with(dir, lock, None)
    }

    /// Opens (or creates) the store in `dir` with the master data key, refusing a key
    /// other than the one the folder was sealed with.
    pub fn open_sealed(
        dir: &Path,
        lock: &DataFolderLock,
        key: DataKey,
    ) -> Result<Store, StoreError> {
        Store::open_with(dir, lock, Some(key))
    }

    fn open_with(
        dir: &Path,
        lock: &DataFolderLock,
        key: Option<DataKey>,
    ) -> Result<Store, StoreError> {
        match backup::recover_interrupted_restore(dir, lock) {
            Ok(None) => {}
            Ok(Some(recovery)) => {
                tracing::warn!(
                    ?recovery,
                    "an interrupted restore was put right before opening the store"
                );
            }
            Err(source) => {
                return Err(StoreError::InterruptedRestore {
                    dir: dir.to_owned(),
                    source,
                });
            }
        }
        let db = open_sled(&dir.join("sled"))?;
        let sealing = sealing::Sealing::open(&dir.join("sled"), key).map_err(|source| {
            StoreError::KeyFile {
                path: dir.join("sled").join(sealing::SLOTS_FILE),
                source,
            }
        })?;
        let store = Store {
            sealing,
            flushing: std::sync::Arc::default(),
            barrier: barrier::WriteBarrier::default(),
            councils: db.open_tree("councils")?,
            plugins: db.open_tree("plugins")?,
            journeys: db.open_tree("journeys")?,
            journey_timers: db.open_tree("journey_timers")?,
            timers: db.open_tree("timers")?,
            actions: db.open_tree("actions")?,
            decisions: db.open_tree("decisions")?,
            meta: db.open_tree("meta")?,
            sched: schedules::ScheduleTrees::open(&db)?,
            idem: idempotency::IdempotencyTrees::open(&db)?,
            webhooks: db.open_tree("webhooks")?,
            db,
        };
        match store.meta.get("schema_version")? {
            None => {
                store
                    .meta
                    .insert("schema_version", &SCHEMA_VERSION.to_be_bytes())?;
                store.db.flush()?;
            }
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt {
                        tree: "meta",
                        key: "schema_version".into(),
                        reason: "not a 4-byte version".into(),
                    })?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema { found });
                }
            }
        }
        store.finish_rotation()?;
        store.check_data_key()?;
        store.shred_unused_keys()?;
        Ok(store)
    }

    /// Makes everything written so far durable. Called before any acknowledgement.
    ///
    /// Flushes run one at a time on a blocking thread, never through sled's own
    /// thread pool (`flush_async`): under concurrent requests, flushes parked in that
    /// pool behind a transaction's lock left no thread to write the log buffer the
    /// first flush was waiting for, and the whole daemon hung (found by the API
    /// benchmark with 16 clients). A waiting flush still covers every earlier write.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let db = self.db.clone();
        let flushing = self.flushing.clone();
        tokio::task::spawn_blocking(move || {
            let _one_at_a_time = flushing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            db.flush()
        })
        .await
        .map_err(|e| StoreError::Interrupted {
            what: "a flush",
            reason: e.to_string(),
        })??;
        Ok(())
    }

    // --- meta -----------------------------------------------------------------

    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.meta.get(key)?.map(|v| v.to_vec()))
    }

    pub fn set_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let _writing = self.hold_writes();
        self.meta.insert(key, value)?;
        Ok(())
    }

    // --- councils and plugins ---------------------------------------------------

    pub fn council(&self, id: &CouncilId) -> Result<Option<Council>, StoreError> {
        self.councils
            .get(id.as_str())?
            .map(|v| decode("councils", id.as_str().as_bytes(), &v))
            .transpose()
    }

    /// Every council; a damaged one is logged by key and skipped, so start-up and
    /// the retention sweep go on for the others.
    pub fn councils(&self) -> Result<Vec<Council>, StoreError> {
        let all = readable::read_page(
            &self.councils,
            "councils",
            b"",
            None,
            usize::MAX,
            |_: &Council| true,
        )?;
        Ok(all.items)
    }

    /// Inserts a council only if its id is free; `false` if it already exists.
    pub fn create_council(&self, council: &Council) -> Result<bool, StoreError> {
        let _writing = self.hold_writes();
        let swapped = self.councils.compare_and_swap(
            council.id.as_str(),
            None as Option<&[u8]>,
            Some(encode(council)),
        )?;
        Ok(swapped.is_ok())
    }

    pub fn put_council(&self, council: &Council) -> Result<(), StoreError> {
        let _writing = self.hold_writes();
        self.councils.insert(council.id.as_str(), encode(council))?;
        Ok(())
    }

    pub fn put_plugin(&self, digest: &PluginDigest, bytes: &[u8]) -> Result<(), StoreError> {
        let _writing = self.hold_writes();
        self.plugins.insert(digest.to_string(), bytes)?;
        Ok(())
    }

    pub fn plugin_bytes(&self, digest: &PluginDigest) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.plugins.get(digest.to_string())?.map(|v| v.to_vec()))
    }

    // --- journeys -----------------------------------------------------------------

    /// The journey and the exact bytes read, for an optimistic write later.
    pub fn journey(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Option<(Journey, Vec<u8>)>, StoreError> {
        let key = journey_key(council, participant);
        self.journeys
            .get(&key)?
            .map(|v| Ok((self.open_journey(&key, &v)?, v.to_vec())))
            .transpose()
    }

    /// Writes a journey with its new plan and decisions, atomically, if the stored
    /// journey is still `expected` (`None`: it must not exist yet). Pending timers are
    /// replaced by `timers`, except those that have already fired.
    pub fn write_journey(
        &self,
        expected: Option<&[u8]>,
        write: JourneyWrite<'_>,
    ) -> Result<(), StoreError> {
        let jkey = journey_key(&write.journey.council, write.journey.participant);
        let decision_keys: Vec<Vec<u8>> = write
            .decisions
            .iter()
            .map(|_| {
                let seq = self.db.generate_id()?;
                let mut k = jkey.clone();
                k.extend_from_slice(format!("/{seq:020}").as_bytes());
                Ok(k)
            })
            .collect::<Result<_, sled::Error>>()?;
        let review_tree = self.reviews_tree()?;
        let effect = write.effect.map(|(mark, at)| {
            idempotency::effect_entry(mark, Made::Participant(write.journey.participant), at)
        });
        let _writing = self.hold_writes();
        let sealing::SealedWrite {
            slot,
            key,
            fresh,
            bytes: new_journey,
            retired,
        } = self.seal_for_write(&jkey, expected, write.journey)?;
        let participant_key = |slot, key| sealed_records::ParticipantKey {
            council: write.journey.council.clone(),
            participant: write.journey.participant,
            slot,
            key,
        };
        let key = participant_key(slot, key);
        // A correction: the participant's records move to the new key with the journey.
        let retired = match retired {
            Some((old_slot, old_key)) => Some((
                participant_key(old_slot, old_key),
                self.to_reseal(&write.journey.council, write.journey.participant, old_slot)?,
            )),
            None => None,
        };
        let decisions: Vec<Vec<u8>> = decision_keys
            .iter()
            .zip(write.decisions)
            .map(|(k, d)| key.seal("decisions", k, d))
            .collect();
        let written = (
            &self.journeys,
            &self.journey_timers,
            &self.timers,
            &self.actions,
            &self.decisions,
            &review_tree,
            &self.idem.effects,
            &self.idem.by_time,
        )
            .transaction(
                |(
                    journeys,
                    journey_timers,
                    timers,
                    actions,
                    decisions_tx,
                    reviews,
                    effects,
                    expiry,
                )| {
                    Store::record_effect(effects, expiry, &effect)?;
                    let current = journeys.get(&jkey)?;
                    if current.as_deref() != expected {
                        return Err(ConflictableTransactionError::Abort(StoreError::Conflict));
                    }
                    journeys.insert(jkey.as_slice(), new_journey.as_slice())?;
                    if let Some(plan) = write.timers {
                        if let Some(old) = journey_timers.get(&jkey)? {
                            let old: Vec<String> = tx_decode("journey_timers", &jkey, &old)?;
                            for k in old {
                                timers.remove(hex_key(&k))?;
                            }
                        }
                        let mut pending = Vec::with_capacity(plan.len());
                        for timer in plan {
                            let action = action_key(&timer.council, &Action::id_for(timer));
                            if actions.get(&action)?.is_some() {
                                continue; // already fired: never twice
                            }
                            let key = timer.index_key();
                            timers.insert(key.as_slice(), encode(timer))?;
                            pending.push(hex::encode(&key));
                        }
                        journey_timers.insert(jkey.as_slice(), encode(&pending))?;
                    }
                    for (k, d) in decision_keys.iter().zip(&decisions) {
                        decisions_tx.insert(k.as_slice(), d.as_slice())?;
                    }
                    for action in write.actions {
                        let akey = action_key(&action.council, &action.id);
                        if actions.get(&akey)?.is_none() {
                            let record = key.seal("actions", &akey, action);
                            actions.insert(akey, record)?;
                        }
                    }
                    for item in write.reviews {
                        let rkey = reviews::key(&write.journey.council, item.id);
                        let record = key.seal("reviews", &rkey, item);
                        reviews.insert(rkey, record)?;
                    }
                    if let Some((old, records)) = &retired {
                        for (name, tree, keys) in [
                            ("decisions", decisions_tx, &records.decisions),
                            ("reviews", reviews, &records.reviews),
                            ("actions", actions, &records.actions),
                        ] {
                            for k in keys {
                                let Some(v) = tree.get(k)? else { continue };
                                if let Some(resealed) = key.reseal(old, name, k, &v) {
                                    tree.insert(k.as_ref(), resealed)?;
                                }
                            }
                        }
                    }
                    Ok(())
                },
            )
            .map_err(flatten);
        if written.is_err() && fresh {
            // The new key seals nothing that was written: destroy it now (if that
            // fails too, the next start does).
            let _ = self.sealing.shred(slot);
        }
        if written.is_ok()
            && let Some((old, _)) = &retired
        {
            // What the log keeps of the superseded details no longer opens.
            self.reseal_stragglers(old, &key)?;
            self.shred_retired(&jkey, old.slot)?;
        }
        written
    }

    pub fn journeys(&self, council: &CouncilId) -> Result<Vec<Journey>, StoreError> {
        self.journeys
            .scan_prefix(format!("{council}/"))
            .map(|kv| {
                let (k, v) = kv?;
                self.open_journey(&k, &v)
            })
            .collect()
    }

    /// A participant's decision records, oldest first; damaged ones are skipped and
    /// named.
    pub fn decisions(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Listed<DecisionRecord>, StoreError> {
        let mut prefix = journey_key(council, participant);
        prefix.push(b'/');
        readable::read_page_with(
            &self.decisions,
            "decisions",
            &prefix,
            None,
            usize::MAX,
            |_: &DecisionRecord| true,
            |k, v| self.sealing.open_record("decisions", k, v),
        )
    }

    // --- timers ---------------------------------------------------------------------

    pub fn pending_timers(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Vec<Timer>, StoreError> {
        let jkey = journey_key(council, participant);
        let Some(keys) = self.journey_timers.get(&jkey)? else {
            return Ok(Vec::new());
        };
        let keys: Vec<String> = decode("journey_timers", &jkey, &keys)?;
        let mut timers = Vec::with_capacity(keys.len());
        for k in keys {
            let key = hex_key(&k);
            if let Some(v) = self.timers.get(&key)? {
                timers.push(decode("timers", &key, &v)?);
            }
        }
        Ok(timers)
    }

    /// The fire instant of the earliest pending timer.
    pub fn earliest_timer(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        while let Some((k, v)) = self.timers.first()? {
            if let Some(timer) = self.timer_or_quarantine(&k, &v)? {
                return Ok(Some(timer.fire_at));
            }
        }
        Ok(None)
    }

    pub fn timer_count(&self) -> usize {
        self.timers.len()
    }

    /// Up to `limit` timers due at or before `now` that `pick` chooses, in due order.
    pub fn due_timers(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        pick: impl Fn(&Timer) -> bool,
    ) -> Result<Vec<(Vec<u8>, Timer)>, StoreError> {
        let mut end = instant_key(now).to_vec();
        end.push(0xff);
        let mut due: Vec<(Vec<u8>, Timer)> = Vec::new();
        for kv in self.timers.range(..end) {
            if due.len() >= limit {
                break;
            }
            let (k, v) = kv?;
            if let Some(timer) = self.timer_or_quarantine(&k, &v)?
                && pick(&timer)
            {
                due.push((k.to_vec(), timer));
            }
        }
        Ok(due)
    }

    /// Fires up to `limit` timers due at or before `now` that `pick` chooses: each is
    /// removed and becomes an action in one transaction, so a crash leaves either the
    /// timer or the action.
    pub fn fire_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        pick: impl Fn(&Timer) -> bool,
    ) -> Result<Vec<Action>, StoreError> {
        let due = self.due_timers(now, limit, pick)?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let _writing = self.hold_writes();
        (
            &self.timers,
            &self.journey_timers,
            &self.actions,
            &self.journeys,
        )
            .transaction(|(timers, journey_timers, actions, journeys)| {
                let mut fired = Vec::new();
                for (key, timer) in &due {
                    if timers.remove(key.as_slice())?.is_none() {
                        continue; // re-planned away meanwhile
                    }
                    unlink_timer(journey_timers, timer, key)?;
                    let mut action = Action::from_timer(timer, now);
                    let (key_worker, key) = self.journey_of_timer(journeys, timer)?;
                    action.key_worker = key_worker;
                    let akey = action_key(&timer.council, &action.id);
                    if actions.get(&akey)?.is_none() {
                        let record = Store::record_bytes(key.as_ref(), "actions", &akey, &action);
                        actions.insert(akey, record)?;
                        fired.push(action);
                    }
                }
                Ok(fired)
            })
            .map_err(flatten)
    }

    // --- actions --------------------------------------------------------------------

    /// A council's actions in due order, after `after`, at most `limit`; damaged
    /// ones are skipped and named (`readable.rs`).
    pub fn actions(
        &self,
        council: &CouncilId,
        status: Option<ActionStatus>,
        after: Option<&ActionId>,
        limit: usize,
    ) -> Result<Listed<Action>, StoreError> {
        readable::read_page_with(
            &self.actions,
            "actions",
            format!("{council}/").as_bytes(),
            after.map(|id| action_key(council, id)),
            limit,
            |action: &Action| status.is_none_or(|s| s == action.status),
            |k, v| self.sealing.open_record("actions", k, v),
        )
    }

    pub fn action(&self, council: &CouncilId, id: &ActionId) -> Result<Option<Action>, StoreError> {
        let key = action_key(council, id);
        self.actions
            .get(&key)?
            .map(|v| self.open_record("actions", &key, &v))
            .transpose()
    }

    /// Acknowledges an action; acknowledging twice is harmless and keeps the first time.
    /// A dead-lettered action can be acknowledged too (handled by hand).
    pub fn acknowledge(
        &self,
        council: &CouncilId,
        id: &ActionId,
        at: DateTime<Utc>,
    ) -> Result<Option<Action>, StoreError> {
        self.change_action(
            council,
            id,
            || None,
            |action| {
                if action.acknowledge(at) {
                    Change::Write(Some(action.clone()))
                } else {
                    Change::Keep(Some(action.clone()))
                }
            },
        )
    }
}

/// The key worker of a timer's journey, read in the firing transaction, so the action
/// names whoever holds the case at that moment. An unreadable journey names none.
impl Store {
    /// The key worker of a timer's participant and the key their action is sealed
    /// with, read in the firing's transaction. The journey is stored sealed
    /// (`sealing.rs`): one that cannot be opened names no key worker (and its action
    /// is written unsealed) rather than stopping every timer from firing.
    fn journey_of_timer(
        &self,
        journeys: &TransactionalTree,
        timer: &Timer,
    ) -> TxResult<(
        Option<crate::key_workers::KeyWorkerId>,
        Option<sealed_records::ParticipantKey>,
    )> {
        let jkey = journey_key(&timer.council, timer.participant);
        let Some(v) = journeys.get(&jkey)? else {
            return Ok((None, None));
        };
        let Ok(journey) = self.open_journey(&jkey, &v) else {
            return Ok((None, None));
        };
        let key = sealing::slot_of(&v).and_then(|slot| {
            let owner = sealing::owner(&timer.council, timer.participant);
            let key = self.sealing.key(slot, &owner).ok()?;
            Some(sealed_records::ParticipantKey {
                council: timer.council.clone(),
                participant: timer.participant,
                slot,
                key,
            })
        });
        Ok((crate::key_workers::current(&journey), key))
    }
}

fn hex_key(k: &str) -> Vec<u8> {
    hex::decode(k).unwrap_or_default()
}

fn unlink_timer(journey_timers: &TransactionalTree, timer: &Timer, key: &[u8]) -> TxResult<()> {
    let jkey = journey_key(&timer.council, timer.participant);
    if let Some(v) = journey_timers.get(&jkey)? {
        let mut keys: Vec<String> = tx_decode("journey_timers", &jkey, &v)?;
        let hex = hex::encode(key);
        keys.retain(|k| *k != hex);
        journey_timers.insert(jkey, encode(&keys))?;
    }
    Ok(())
}
