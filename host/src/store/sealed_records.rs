//! A participant's decision records, review items and actions, sealed with the
//! participant's own key (the one their journey is sealed with, `sealing.rs`).
//!
//! These records can carry what the journey does: a plugin's reasons and facts, a
//! caseworker's review note, a handover pack. Erasure removes them from their trees,
//! but sled's log keeps old values until a segment is reclaimed; sealed, they are
//! unreadable once erasure destroys the key.
//!
//! Not sealed: pending timers (`timers`), whose purpose is the plugin's plan text;
//! erasure removes them, but the log keeps them until a segment is reclaimed.
//!
//! A stored record is either a [`SealedRecord`] (the council and participant in the
//! clear, so erasure can find them without opening them) or the plain record: a
//! council's own actions (schedules), records written before sealing, a store opened
//! without the data key, and what erasure keeps of an action already handled (its
//! purpose and pack redacted).

use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::sealing::{Sealing, Unsealed, open, owner, seal, slot_of};
use super::{Store, StoreError, journey_key};
use crate::council::CouncilId;
use crate::journey::ParticipantId;

/// A participant's record as stored: whose, which key slot, the record sealed.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct SealedRecord {
    pub council: CouncilId,
    pub participant: ParticipantId,
    pub key_slot: u64,
    /// `nonce ‖ ciphertext` (hex) of the record's JSON under the participant key.
    pub sealed_record: String,
}

/// The participant key that seals a participant's records, with its slot.
pub(super) struct ParticipantKey {
    pub council: CouncilId,
    pub participant: ParticipantId,
    pub slot: u64,
    pub key: Key,
}

/// Binds a sealed record to its tree and key, so it cannot be moved to another.
fn record_aad(tree: &str, record_key: &[u8], owner: &str) -> Vec<u8> {
    let mut aad = format!("waymark {tree} {owner} ").into_bytes();
    aad.extend_from_slice(record_key);
    aad
}

impl ParticipantKey {
    /// `value` sealed for `tree` under `record_key`.
    pub(super) fn seal<T: Serialize>(&self, tree: &str, record_key: &[u8], value: &T) -> Vec<u8> {
        let plain = super::encode(value);
        let sealed = seal(
            &ChaCha20Poly1305::new(&self.key),
            &plain,
            &record_aad(tree, record_key, &owner(&self.council, self.participant)),
        );
        super::encode(&SealedRecord {
            council: self.council.clone(),
            participant: self.participant,
            key_slot: self.slot,
            sealed_record: hex::encode(sealed),
        })
    }
}

impl ParticipantKey {
    /// A record stored sealed with `old`, sealed with this key instead (a correction
    /// retires the participant's key); `None` if it was not sealed with `old`.
    pub(super) fn reseal(
        &self,
        old: &ParticipantKey,
        tree: &str,
        record_key: &[u8],
        bytes: &[u8],
    ) -> Option<Vec<u8>> {
        let sealed = envelope(bytes)?;
        if sealed.key_slot != old.slot {
            return None;
        }
        let aad = record_aad(tree, record_key, &owner(&self.council, self.participant));
        let body = hex::decode(&sealed.sealed_record).ok()?;
        let plain = open(&ChaCha20Poly1305::new(&old.key), &body, &aad)?;
        let resealed = seal(&ChaCha20Poly1305::new(&self.key), &plain, &aad);
        Some(super::encode(&SealedRecord {
            council: self.council.clone(),
            participant: self.participant,
            key_slot: self.slot,
            sealed_record: hex::encode(resealed),
        }))
    }
}

/// The keys of a participant's records sealed with a key a correction retires, to be
/// sealed again with the new one in the correction's transaction.
#[derive(Default)]
pub(super) struct ToReseal {
    pub decisions: Vec<sled::IVec>,
    pub reviews: Vec<sled::IVec>,
    pub actions: Vec<sled::IVec>,
}

impl Store {
    /// The records of `participant` sealed with the key in `slot`.
    pub(super) fn to_reseal(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
        slot: u64,
    ) -> Result<ToReseal, StoreError> {
        let theirs = |tree: &sled::Tree, prefix: Vec<u8>| -> Result<Vec<sled::IVec>, StoreError> {
            let mut keys = Vec::new();
            for kv in tree.scan_prefix(prefix) {
                let (k, v) = kv?;
                if envelope(&v).is_some_and(|e| e.participant == participant && e.key_slot == slot)
                {
                    keys.push(k);
                }
            }
            Ok(keys)
        };
        let mut decisions = journey_key(council, participant);
        decisions.push(b'/');
        let council_prefix = format!("{council}/").into_bytes();
        Ok(ToReseal {
            decisions: theirs(&self.decisions, decisions)?,
            reviews: theirs(&self.reviews_tree()?, council_prefix.clone())?,
            actions: theirs(&self.actions, council_prefix)?,
        })
    }
}

impl Store {
    /// Seals with `new` any record of the participant still sealed with `old` after
    /// the correction's transaction (one written meanwhile by a timer firing), so
    /// nothing is lost when `old` is destroyed.
    pub(super) fn reseal_stragglers(
        &self,
        old: &ParticipantKey,
        new: &ParticipantKey,
    ) -> Result<(), StoreError> {
        let left = self.to_reseal(&new.council, new.participant, old.slot)?;
        let reviews = self.reviews_tree()?;
        for (name, tree, keys) in [
            ("decisions", &self.decisions, left.decisions),
            ("reviews", &reviews, left.reviews),
            ("actions", &self.actions, left.actions),
        ] {
            for k in keys {
                while let Some(v) = tree.get(&k)? {
                    let Some(resealed) = new.reseal(old, name, &k, &v) else {
                        break;
                    };
                    if tree.compare_and_swap(&k, Some(v), Some(resealed))?.is_ok() {
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The stored record's envelope, if it is sealed.
pub(super) fn envelope(bytes: &[u8]) -> Option<SealedRecord> {
    serde_json::from_slice(bytes).ok()
}

impl Sealing {
    /// The record stored in `tree` under `record_key` as `bytes`, opened if sealed.
    /// The error is a reason without the record's contents.
    pub(super) fn open_record<T: DeserializeOwned>(
        &self,
        tree: &str,
        record_key: &[u8],
        bytes: &[u8],
    ) -> Result<T, String> {
        let Some(sealed) = envelope(bytes) else {
            return serde_json::from_slice(bytes)
                .map_err(|e| super::readable::unreadable_reason(&e));
        };
        let owner = owner(&sealed.council, sealed.participant);
        let key = self
            .key(sealed.key_slot, &owner)
            .map_err(|e| e.to_string())?;
        let body = hex::decode(&sealed.sealed_record).map_err(|_| Unsealed::Damaged.to_string())?;
        let plain = open(
            &ChaCha20Poly1305::new(&key),
            &body,
            &record_aad(tree, record_key, &owner),
        )
        .ok_or_else(|| Unsealed::Damaged.to_string())?;
        serde_json::from_slice(&plain).map_err(|e| super::readable::unreadable_reason(&e))
    }
}

impl Store {
    /// The key `participant`'s records are sealed with: their journey's. `None` when
    /// the journey is gone (erased), stored before sealing, or the store was opened
    /// without the data key; their records are then written as they are.
    pub(super) fn participant_key(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Option<ParticipantKey>, StoreError> {
        if self.sealing.master().is_none() {
            return Ok(None);
        }
        let jkey = journey_key(council, participant);
        let Some(slot) = self.journeys.get(&jkey)?.and_then(|v| slot_of(&v)) else {
            return Ok(None);
        };
        match self.sealing.key(slot, &owner(council, participant)) {
            Ok(key) => Ok(Some(ParticipantKey {
                council: council.clone(),
                participant,
                slot,
                key,
            })),
            Err(reason) => Err(Store::unsealable(&jkey, reason)),
        }
    }

    /// `value` as stored in `tree` under `record_key`: sealed with `key` if given.
    pub(super) fn record_bytes<T: Serialize>(
        key: Option<&ParticipantKey>,
        tree: &str,
        record_key: &[u8],
        value: &T,
    ) -> Vec<u8> {
        match key {
            Some(k) => k.seal(tree, record_key, value),
            None => super::encode(value),
        }
    }

    /// A participant's record for `tree`, sealed with their key when they have one.
    pub(super) fn seal_record<T: Serialize>(
        &self,
        tree: &str,
        record_key: &[u8],
        whose: Option<(&CouncilId, ParticipantId)>,
        value: &T,
    ) -> Result<Vec<u8>, StoreError> {
        let key = match whose {
            Some((council, participant)) => self.participant_key(council, participant)?,
            None => None,
        };
        Ok(Store::record_bytes(key.as_ref(), tree, record_key, value))
    }

    /// The record stored in `tree` under `record_key`, opened.
    pub(super) fn open_record<T: DeserializeOwned>(
        &self,
        tree: &'static str,
        record_key: &[u8],
        bytes: &[u8],
    ) -> Result<T, StoreError> {
        self.sealing
            .open_record(tree, record_key, bytes)
            .map_err(|reason| StoreError::Corrupt {
                tree,
                key: String::from_utf8_lossy(record_key).into_owned(),
                reason,
            })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::NaiveDate;

    use super::*;
    use crate::access::KeyId;
    use crate::journey::{Journey, Referral};
    use crate::outbox::Action;
    use crate::policy::{Reason, TimerKind};
    use crate::review::{Resolution, ReviewItem, ReviewStatus};
    use crate::schedule::timer::{Timer, TimerId};
    use crate::store::{DecisionRecord, EraseOutcome, JourneyWrite};

    /// Text found nowhere else: what a plugin's reasons, a reviewer's note or an
    /// action's purpose might say about the person.
    const SECRET: &str = "Quillon Brackenbury-Vasquez";

    /// The files under `dir` that hold `needle` in the clear.
    fn holding(dir: &Path, needle: &[u8]) -> Vec<String> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                found.extend(holding(&path, needle));
            } else if std::fs::read(&path)
                .expect("read")
                .windows(needle.len())
                .any(|w| w == needle)
            {
                found.push(path.display().to_string());
            }
        }
        found
    }

    #[test]
    fn decisions_reviews_and_actions_reach_the_disk_only_sealed_and_erasure_leaves_them_unreadable()
    {
        let (dir, _lock, store) = crate::store::scratch();
        let council: CouncilId = "derby".parse().expect("id");
        let participant = ParticipantId::new_random();
        let on = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
        let at = on.and_hms_opt(9, 0, 0).expect("time").and_utc();
        let journey = Journey::refer(council.clone(), participant, on, Referral::example());
        let decision = DecisionRecord {
            hook: "eligibility".into(),
            at,
            plugin: None,
            input_digest: None,
            output: Some(serde_json::json!({ "note": SECRET })),
            error: None,
            fuel_used: 1,
            elapsed_micros: 1,
            as_of: Some(on),
            settings: None,
            facts: None,
            reasons: vec![Reason::new("residence.postcode", SECRET)],
        };
        let review = ReviewItem {
            id: store.new_review_id().expect("id"),
            participant,
            hook: "plan".into(),
            reason: "no plugin".into(),
            plugin: None,
            at,
            as_of: on,
            status: ReviewStatus::Open,
            resolution: None,
        };
        let timer = |kind: TimerKind, purpose: String| Timer {
            id: TimerId::for_work(&council, participant, kind, on),
            council: council.clone(),
            participant,
            kind,
            due: on,
            fire_at: at,
            purpose,
        };
        // An action decided with the journey (a handover) names them; a planned timer
        // does not (timers are not sealed: see the module doc).
        let handover = Action::from_timer(&timer(TimerKind::Review, format!("Call {SECRET}")), at);
        let plan = [timer(TimerKind::Outreach, "Call".into())];
        store
            .write_journey(
                None,
                JourneyWrite {
                    journey: &journey,
                    timers: Some(&plan),
                    decisions: std::slice::from_ref(&decision),
                    reviews: std::slice::from_ref(&review),
                    actions: std::slice::from_ref(&handover),
                    effect: None,
                },
            )
            .expect("write");
        // A planned timer fires into an action; a reviewer resolves the item with a note.
        let fired = store.fire_due(at, 10, |_| true).expect("fire");
        assert_eq!(fired.len(), 1);
        let mut resolved = review.clone();
        resolved.status = ReviewStatus::Resolved;
        resolved.resolution = Some(Resolution {
            outcome: None,
            note: format!("Spoke to {SECRET}"),
            at,
            on,
        });
        store.put_review(&council, &resolved).expect("resolve");
        // An acknowledgement rewrites the action: it stays sealed.
        store
            .acknowledge(&council, &handover.id, at)
            .expect("ack")
            .expect("action");
        store.db.flush().expect("flush");
        // The store opens them for the daemon…
        let read = store.decisions(&council, participant).expect("decisions");
        assert_eq!(read.items, vec![decision]);
        let item = store
            .review(&council, review.id)
            .expect("read")
            .expect("item");
        assert_eq!(item, resolved);
        let actions = store
            .actions(&council, None, None, 10)
            .expect("actions")
            .items;
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert!(actions.iter().any(|a| a.purpose.contains(SECRET)));
        assert_eq!(store.outbox_counts().expect("counts")[&council].pending, 1);
        // …but the disk never held the text in the clear.
        assert_eq!(holding(dir.path(), SECRET.as_bytes()), Vec::<String>::new());

        let by = KeyId::retention_sweep();
        let erased = store
            .erase_participant(&council, participant, at, &by)
            .expect("erase");
        let EraseOutcome::Erased(erasure) = erased else {
            panic!("not erased");
        };
        assert_eq!(
            (erasure.actions_withdrawn, erasure.actions_redacted),
            (1, 1)
        );
        assert_eq!(erasure.reviews_removed, 1);
        store.db.flush().expect("flush");
        assert_eq!(holding(dir.path(), SECRET.as_bytes()), Vec::<String>::new());
        // What erasure keeps of the handled action reads without the erased key.
        let kept = store
            .action(&council, &handover.id)
            .expect("read")
            .expect("kept");
        assert_eq!(kept.purpose, crate::store::ERASED_PURPOSE);
        assert!(
            store
                .decisions(&council, participant)
                .expect("read")
                .items
                .is_empty()
        );
    }

    #[test]
    fn a_correction_moves_the_participant_to_a_new_key_and_the_superseded_version_no_longer_opens()
    {
        use crate::journey::ReferralCorrection;

        let (_dir, _lock, store) = crate::store::scratch();
        let council: CouncilId = "derby".parse().expect("id");
        let participant = ParticipantId::new_random();
        let on = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
        let at = on.and_hms_opt(9, 0, 0).expect("time").and_utc();
        let journey = Journey::refer(council.clone(), participant, on, Referral::example());
        let decision = DecisionRecord {
            hook: "eligibility".into(),
            at,
            plugin: None,
            input_digest: None,
            output: None,
            error: None,
            fuel_used: 1,
            elapsed_micros: 1,
            as_of: Some(on),
            settings: None,
            facts: Some(serde_json::json!({ "postcode_district": "ST4" })),
            reasons: vec![],
        };
        let review = ReviewItem {
            id: store.new_review_id().expect("id"),
            participant,
            hook: "eligibility".into(),
            reason: "no plugin".into(),
            plugin: None,
            at,
            as_of: on,
            status: ReviewStatus::Open,
            resolution: None,
        };
        store
            .write_journey(
                None,
                JourneyWrite {
                    journey: &journey,
                    timers: Some(&[]),
                    decisions: std::slice::from_ref(&decision),
                    reviews: std::slice::from_ref(&review),
                    actions: &[],
                    effect: None,
                },
            )
            .expect("write");
        let jkey = journey_key(&council, participant);
        let (_, before) = store
            .journey(&council, participant)
            .expect("read")
            .expect("held");
        let (dkey, decision_before) = store
            .decisions
            .scan_prefix(&jkey)
            .next()
            .expect("one decision")
            .expect("read");

        // An unrelated change keeps the key: the old version still opens.
        let decided = crate::journey::Event::EligibilityDecided {
            at: on,
            decision: crate::policy::Eligibility {
                outcome: crate::policy::Outcome::Accept,
                reasons: vec![],
                signpost: None,
            },
            plugin: crate::policy::PluginDigest::of(b"p"),
        };
        let (noted, _) = journey.record(decided).expect("decided");
        store
            .write_journey(Some(&before), JourneyWrite::planned(&noted, &[]))
            .expect("write");
        store.open_journey(&jkey, &before).expect("same key");
        let (_, before) = store
            .journey(&council, participant)
            .expect("read")
            .expect("held");

        // The postcode is corrected: a new key for everything of theirs…
        let correction = ReferralCorrection {
            postcode: Some("ST4 7QB".into()),
            ..ReferralCorrection::default()
        };
        let (corrected, _) = noted
            .correct(on, &correction)
            .expect("valid")
            .expect("a change");
        store
            .write_journey(Some(&before), JourneyWrite::planned(&corrected, &[]))
            .expect("write");
        let (now, after) = store
            .journey(&council, participant)
            .expect("read")
            .expect("held");
        assert_eq!(now.referral().expect("referral").0.postcode, "ST4 7QB");
        assert_ne!(slot_of(&before), slot_of(&after));
        assert_eq!(
            store.decisions(&council, participant).expect("read").items,
            vec![decision]
        );
        assert_eq!(
            store.review(&council, review.id).expect("read"),
            Some(review)
        );
        // …and what the log still holds of the old version, or of the records as
        // they were, no longer opens.
        let err = store.open_journey(&jkey, &before).expect_err("superseded");
        assert!(
            matches!(
                err,
                StoreError::Unsealable {
                    reason: Unsealed::KeyGone(_),
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            store
                .sealing
                .open_record::<DecisionRecord>("decisions", &dkey, &decision_before)
                .is_err()
        );
    }
}
