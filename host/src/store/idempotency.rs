//! Idempotency records: what a `POST` with an `Idempotency-Key` answered, so a retry
//! gets the same answer instead of doing the work again.
//!
//! `idempotency`: `caller key id \0 council \0 idempotency key` → [`IdempotentAnswer`];
//! `idempotency_by_time`: creation instant (big-endian ms) + the record's key → empty,
//! the time-ordered index the expiry sweep walks. Both are written in one transaction.
//! `idempotency_effects`: the same record key → [`IdempotentEffect`], written in the
//! journey's own transaction by work that must not happen twice (a referral, a journey
//! event), so a retry after a crash between that write and the kept answer finds the
//! work done instead of doing it again. Indexed in `idempotency_by_time` as well.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::{Store, StoreError, decode, encode, flatten};
use crate::access::KeyId;
use crate::journey::ParticipantId;
use crate::schedule::admin::ScheduleId;
use crate::schedule::timer::instant_key;

/// How long a key's answer is kept: a client retrying later than this gets a new run.
pub const IDEMPOTENCY_TTL: Duration = Duration::hours(24);

/// Expired records removed per write, so one write never does unbounded work.
const SWEEP_BATCH: usize = 100;

/// A successful answer to one request, kept for its retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotentAnswer {
    /// SHA-256 (hex), keyed by the caller's secret, of the method, path, query and
    /// body: a retry must match it.
    pub fingerprint: String,
    /// Which secret sealed the body (a short hash of it); see `api/idempotency.rs`.
    pub sealed_by: String,
    pub status: u16,
    pub content_type: Option<String>,
    /// The answer's body, sealed under the caller's secret and hex-encoded.
    pub body_hex: String,
    pub created_at: DateTime<Utc>,
}

impl IdempotentAnswer {
    /// Whether a retry at `now` may still be answered from this record.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.created_at + IDEMPOTENCY_TTL
    }
}

/// The request an `Idempotency-Key` names, handed by the API to the work it guards so
/// the work's own write can record that it was done (see [`IdempotentEffect`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyMark {
    /// As made by [`idempotency_record_key`].
    pub record_key: Vec<u8>,
    /// The request's fingerprint (see [`IdempotentAnswer::fingerprint`]).
    pub fingerprint: String,
}

/// That a request's work reached the store, recorded in the same transaction as the
/// work. It holds no personal data: what the work made (by id), and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotentEffect {
    pub fingerprint: String,
    pub made: Made,
    pub created_at: DateTime<Utc>,
}

/// What work done under an `Idempotency-Key` made or changed, so a retry can answer
/// from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Made {
    /// A referral's new participant, or the participant a journey event was recorded for.
    Participant(ParticipantId),
    /// An admin schedule created.
    Schedule(ScheduleId),
    /// An API key made (its secret is kept only as a hash: a retry cannot show it).
    Key(KeyId),
}

/// Why work under an `Idempotency-Key` cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum EarlierWork {
    #[error(
        "this Idempotency-Key was already used by this API key for a different request (another route or body); send a new key for a new request, or the same request to get its first answer"
    )]
    KeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a retry finds of the work its key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// Nothing recorded (or expired): do the work.
    NotYet,
    /// The work was done and made this.
    Made(Made),
    /// The key was used for a different request: refuse it.
    OtherRequest,
}

impl IdempotentEffect {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.created_at + IDEMPOTENCY_TTL
    }
}

/// The bytes a transaction writes for `mark`'s effect: its key, the encoded
/// [`IdempotentEffect`], and its entry in the expiry index.
pub(super) fn effect_entry(
    mark: &IdempotencyMark,
    made: Made,
    at: DateTime<Utc>,
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let effect = IdempotentEffect {
        fingerprint: mark.fingerprint.clone(),
        made,
        created_at: at,
    };
    (
        mark.record_key.clone(),
        encode(&effect),
        expiry_index(at, &mark.record_key),
    )
}

/// The entry for a record written at `at` in `idempotency_by_time`.
pub(super) fn expiry_index(at: DateTime<Utc>, record_key: &[u8]) -> Vec<u8> {
    let mut index = instant_key(at).to_vec();
    index.extend_from_slice(record_key);
    index
}

/// The record under `key` in `tree` if it is still live at `now` (an expired one
/// waits for the sweep but answers nothing).
fn live<T: serde::de::DeserializeOwned>(
    tree: &sled::Tree,
    name: &'static str,
    key: &[u8],
    now: DateTime<Utc>,
    is_live: fn(&T, DateTime<Utc>) -> bool,
) -> Result<Option<T>, StoreError> {
    let Some(v) = tree.get(key)? else {
        return Ok(None);
    };
    let record: T = decode(name, key, &v)?;
    Ok(is_live(&record, now).then_some(record))
}

/// The idempotency trees, opened once with the store (a journey write records into
/// two of them).
#[derive(Clone)]
pub(super) struct IdempotencyTrees {
    pub(super) answers: sled::Tree,
    pub(super) effects: sled::Tree,
    pub(super) by_time: sled::Tree,
}

impl IdempotencyTrees {
    pub(super) fn open(db: &sled::Db) -> Result<IdempotencyTrees, sled::Error> {
        Ok(IdempotencyTrees {
            answers: db.open_tree("idempotency")?,
            effects: db.open_tree("idempotency_effects")?,
            by_time: db.open_tree("idempotency_by_time")?,
        })
    }
}

/// Where one caller's key for one council is recorded. The parts are joined by NUL,
/// which none of them can contain (key ids and council ids are plain ASCII, and an
/// idempotency key is printable ASCII).
pub fn idempotency_record_key(caller: &str, council: Option<&str>, key: &str) -> Vec<u8> {
    format!("{caller}\0{}\0{key}", council.unwrap_or("-")).into_bytes()
}

impl Store {
    /// The record keys of the work done under a key for `participant`: their kept
    /// answers hold the participant's details, so erasure removes them. The effects
    /// tree holds at most a day of keyed writes, so the scan is bounded.
    pub(super) fn keyed_work_for(
        &self,
        participant: ParticipantId,
    ) -> Result<Vec<sled::IVec>, StoreError> {
        let mut keys = Vec::new();
        for kv in self.idem.effects.iter() {
            let (k, v) = kv?;
            let effect: IdempotentEffect = decode("idempotency_effects", &k, &v)?;
            if effect.made == Made::Participant(participant) {
                keys.push(k);
            }
        }
        Ok(keys)
    }

    /// What the work `mark` names already did, as of `now`.
    pub fn done_under(
        &self,
        mark: &IdempotencyMark,
        now: DateTime<Utc>,
    ) -> Result<Done, StoreError> {
        Ok(match self.idempotent_effect(&mark.record_key, now)? {
            None => Done::NotYet,
            Some(e) if e.fingerprint != mark.fingerprint => Done::OtherRequest,
            Some(e) => Done::Made(e.made),
        })
    }

    /// What work done before under `mark` made, when it is what this work makes
    /// (`made` recognises it): then a retry answers from it instead of doing the work
    /// twice. `Ok(None)` when there is no mark or nothing was done yet. The mark's
    /// fingerprint covers the route, so work of another kind means another request.
    pub fn earlier_work<T>(
        &self,
        mark: Option<&IdempotencyMark>,
        now: DateTime<Utc>,
        made: impl FnOnce(Made) -> Option<T>,
    ) -> Result<Option<T>, EarlierWork> {
        let Some(mark) = mark else {
            return Ok(None);
        };
        match self.done_under(mark, now)? {
            Done::NotYet => Ok(None),
            Done::Made(m) => made(m).map(Some).ok_or(EarlierWork::KeyReused),
            Done::OtherRequest => Err(EarlierWork::KeyReused),
        }
    }

    /// Inserts `mark`'s effect (`made` at `at`) within a transaction over the effects
    /// tree and the expiry index (`Store::idem`).
    pub(super) fn record_effect(
        effects: &sled::transaction::TransactionalTree,
        expiry: &sled::transaction::TransactionalTree,
        effect: &Option<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    ) -> Result<(), sled::transaction::UnabortableTransactionError> {
        if let Some((key, value, index)) = effect {
            effects.insert(key.as_slice(), value.as_slice())?;
            expiry.insert(index.as_slice(), &[][..])?;
        }
        Ok(())
    }

    /// The live effect recorded under `record_key` at `now`.
    pub fn idempotent_effect(
        &self,
        record_key: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotentEffect>, StoreError> {
        live(
            &self.idem.effects,
            "idempotency_effects",
            record_key,
            now,
            IdempotentEffect::is_live,
        )
    }

    /// The live answer recorded under `record_key` at `now`; an expired one is gone.
    pub fn idempotent_answer(
        &self,
        record_key: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotentAnswer>, StoreError> {
        live(
            &self.idem.answers,
            "idempotency",
            record_key,
            now,
            IdempotentAnswer::is_live,
        )
    }

    /// Records an answer (replacing an expired one under the same key), then removes
    /// a batch of expired records. The caller flushes before answering.
    pub fn put_idempotent_answer(
        &self,
        record_key: &[u8],
        answer: &IdempotentAnswer,
    ) -> Result<(), StoreError> {
        let _writing = self.hold_writes();
        let IdempotencyTrees {
            answers: records,
            by_time,
            ..
        } = &self.idem;
        let index = expiry_index(answer.created_at, record_key);
        let value = encode(answer);
        (records, by_time)
            .transaction(|(records, by_time)| {
                records.insert(record_key, value.as_slice())?;
                by_time.insert(index.as_slice(), &[][..])?;
                Ok(())
            })
            .map_err(flatten)?;
        self.sweep_idempotency(answer.created_at)?;
        Ok(())
    }

    /// Removes up to a batch of records older than the time-to-live at `now`; returns
    /// how many went. A record re-written since its index entry was made is kept.
    pub fn sweep_idempotency(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let _writing = self.hold_writes();
        let IdempotencyTrees {
            answers: records,
            effects,
            by_time,
        } = &self.idem;
        let end = instant_key(now - IDEMPOTENCY_TTL).to_vec();
        let mut removed = 0;
        let expired: Vec<sled::IVec> = by_time
            .range(..end)
            .take(SWEEP_BATCH)
            .map(|kv| kv.map(|(k, _)| k))
            .collect::<Result<_, _>>()?;
        for index in expired {
            let Some(record_key) = index.get(8..) else {
                continue;
            };
            (records, effects, by_time)
                .transaction(|(records, effects, by_time)| {
                    by_time.remove(&index)?;
                    if let Some(v) = records.get(record_key)? {
                        let answer: IdempotentAnswer =
                            super::tx_decode("idempotency", record_key, &v)?;
                        if !answer.is_live(now) {
                            records.remove(record_key)?;
                        }
                    }
                    if let Some(v) = effects.get(record_key)? {
                        let effect: IdempotentEffect =
                            super::tx_decode("idempotency_effects", record_key, &v)?;
                        if !effect.is_live(now) {
                            effects.remove(record_key)?;
                        }
                    }
                    Ok(())
                })
                .map_err(flatten)?;
            removed += 1;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(at: DateTime<Utc>, body: &str) -> IdempotentAnswer {
        IdempotentAnswer {
            fingerprint: "f".repeat(64),
            sealed_by: "0".repeat(16),
            status: 201,
            content_type: Some("application/json".into()),
            body_hex: hex::encode(body),
            created_at: at,
        }
    }

    #[test]
    fn an_answer_is_kept_for_a_day_then_swept() {
        let (_dir, _lock, store) = crate::store::scratch();
        let t0: DateTime<Utc> = "2026-01-05T10:00:00Z".parse().unwrap();
        let mine = idempotency_record_key("key_a", Some("leeds"), "k-1");
        let theirs = idempotency_record_key("key_b", Some("leeds"), "k-1");
        store
            .put_idempotent_answer(&mine, &answer(t0, "{}"))
            .unwrap();
        assert_eq!(
            store
                .idempotent_answer(&mine, t0 + Duration::hours(23))
                .unwrap(),
            Some(answer(t0, "{}"))
        );
        assert_eq!(store.idempotent_answer(&theirs, t0).unwrap(), None);
        let later = t0 + Duration::hours(25);
        assert_eq!(store.idempotent_answer(&mine, later).unwrap(), None);

        // A newer write sweeps the expired record out of both trees.
        let other = idempotency_record_key("key_a", Some("leeds"), "k-2");
        store
            .put_idempotent_answer(&other, &answer(later, "[]"))
            .unwrap();
        let (records, by_time) = (&store.idem.answers, &store.idem.by_time);
        assert!(records.get(&mine).unwrap().is_none());
        assert_eq!(records.len(), 1);
        assert_eq!(by_time.len(), 1);
    }

    #[test]
    fn work_done_under_a_key_is_recorded_with_the_journey_and_swept_after_a_day() {
        use crate::journey::{Journey, Referral};
        use crate::store::JourneyWrite;

        let (_dir, _lock, store) = crate::store::scratch();
        let t0: DateTime<Utc> = "2026-01-05T10:00:00Z".parse().unwrap();
        let participant = ParticipantId::new_random();
        let journey = Journey::refer(
            "leeds".parse().unwrap(),
            participant,
            t0.date_naive(),
            Referral::example(),
        );
        let mark = IdempotencyMark {
            record_key: idempotency_record_key("key_a", Some("leeds"), "ref-1"),
            fingerprint: "f".repeat(64),
        };
        store
            .write_journey(
                None,
                JourneyWrite {
                    effect: Some((&mark, t0)),
                    ..JourneyWrite::planned(&journey, &[])
                },
            )
            .unwrap();
        let done = IdempotentEffect {
            fingerprint: mark.fingerprint.clone(),
            made: Made::Participant(participant),
            created_at: t0,
        };
        let at = |h| t0 + Duration::hours(h);
        assert_eq!(
            store.idempotent_effect(&mark.record_key, at(23)).unwrap(),
            Some(done)
        );
        assert_eq!(
            store.idempotent_effect(&mark.record_key, at(25)).unwrap(),
            None
        );

        // A write refused by the journey's check leaves no effect behind.
        let other = IdempotencyMark {
            record_key: idempotency_record_key("key_a", Some("leeds"), "ref-2"),
            fingerprint: "e".repeat(64),
        };
        let refused = store.write_journey(
            None,
            JourneyWrite {
                effect: Some((&other, t0)),
                ..JourneyWrite::planned(&journey, &[])
            },
        );
        assert!(matches!(refused, Err(StoreError::Conflict)), "{refused:?}");
        assert_eq!(
            store.idempotent_effect(&other.record_key, t0).unwrap(),
            None
        );

        assert_eq!(store.sweep_idempotency(at(25)).unwrap(), 1);
        let (effects, by_time) = (&store.idem.effects, &store.idem.by_time);
        assert!(effects.is_empty());
        assert!(by_time.is_empty());
    }

    #[test]
    fn a_key_reused_after_expiry_keeps_its_new_answer_through_the_sweep() {
        let (_dir, _lock, store) = crate::store::scratch();
        let t0: DateTime<Utc> = "2026-01-05T10:00:00Z".parse().unwrap();
        let key = idempotency_record_key("key_a", None, "k");
        store
            .put_idempotent_answer(&key, &answer(t0, "old"))
            .unwrap();
        let t1 = t0 + Duration::hours(30);
        store
            .put_idempotent_answer(&key, &answer(t1, "new"))
            .unwrap();
        assert_eq!(
            store.idempotent_answer(&key, t1).unwrap(),
            Some(answer(t1, "new"))
        );
    }
}
