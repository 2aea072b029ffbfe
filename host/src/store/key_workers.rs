//! Key workers and the caseload-cap overrides made for them.
//!
//! Trees and keys:
//! - `key_workers`: `council/key worker id` → [`KeyWorker`]
//! - `caseload_overrides`: `council/key worker id/` + sequence (big-endian) →
//!   [`CapOverride`] (why a key worker was given a participant past their cap)

use super::readable::read_page;
use super::{Listed, Store, StoreError, decode, encode};
use crate::council::CouncilId;
use crate::key_workers::{CapOverride, KeyWorker, KeyWorkerId};

fn key(council: &CouncilId, id: &KeyWorkerId) -> Vec<u8> {
    format!("{council}/{id}").into_bytes()
}

impl Store {
    /// A council's journeys; damaged ones are logged by key and left out, so a
    /// scheduled job or a figure computed over all of them goes on without them.
    pub fn readable_journeys(
        &self,
        council: &CouncilId,
    ) -> Result<Vec<crate::journey::Journey>, StoreError> {
        Ok(read_page(
            &self.journeys,
            "journeys",
            format!("{council}/").as_bytes(),
            None,
            usize::MAX,
            |_: &crate::journey::Journey| true,
        )?
        .items)
    }

    fn key_worker_trees(&self) -> Result<(sled::Tree, sled::Tree), StoreError> {
        Ok((
            self.db.open_tree("key_workers")?,
            self.db.open_tree("caseload_overrides")?,
        ))
    }

    /// Stores a key worker (new or changed). The caller flushes.
    pub fn put_key_worker(&self, kw: &KeyWorker) -> Result<(), StoreError> {
        let (tree, _) = self.key_worker_trees()?;
        let _writing = self.hold_writes();
        tree.insert(key(&kw.council, &kw.id), encode(kw))?;
        Ok(())
    }

    pub fn key_worker(
        &self,
        council: &CouncilId,
        id: &KeyWorkerId,
    ) -> Result<Option<KeyWorker>, StoreError> {
        let (tree, _) = self.key_worker_trees()?;
        let k = key(council, id);
        tree.get(&k)?
            .map(|v| decode("key_workers", &k, &v))
            .transpose()
    }

    /// A council's key workers in id order (retired ones too); damaged ones are
    /// skipped and named.
    pub fn key_workers(&self, council: &CouncilId) -> Result<Listed<KeyWorker>, StoreError> {
        let (tree, _) = self.key_worker_trees()?;
        read_page(
            &tree,
            "key_workers",
            format!("{council}/").as_bytes(),
            None,
            usize::MAX,
            |_: &KeyWorker| true,
        )
    }

    /// Keeps a cap override with the key worker's records. The caller flushes.
    pub fn record_cap_override(
        &self,
        council: &CouncilId,
        o: &CapOverride,
    ) -> Result<(), StoreError> {
        let (_, overrides) = self.key_worker_trees()?;
        let seq = self.db.generate_id()?;
        let mut k = key(council, &o.key_worker);
        k.push(b'/');
        k.extend_from_slice(&seq.to_be_bytes());
        let _writing = self.hold_writes();
        overrides.insert(k, encode(o))?;
        Ok(())
    }

    /// Removes the cap overrides made for a participant (on erasure: the reason is
    /// free text about them). The caller flushes.
    pub fn erase_cap_overrides(
        &self,
        council: &CouncilId,
        participant: crate::journey::ParticipantId,
    ) -> Result<usize, StoreError> {
        let (_, overrides) = self.key_worker_trees()?;
        let mut gone = Vec::new();
        for kv in overrides.scan_prefix(format!("{council}/")) {
            let (k, v) = kv?;
            // An unreadable record is removed too: it may be this participant's.
            let theirs = serde_json::from_slice::<CapOverride>(&v)
                .map(|o| o.participant == participant)
                .unwrap_or(true);
            if theirs {
                gone.push(k);
            }
        }
        let _writing = self.hold_writes();
        for k in &gone {
            overrides.remove(k)?;
        }
        Ok(gone.len())
    }

    /// The overrides made for one key worker, oldest first.
    pub fn cap_overrides(
        &self,
        council: &CouncilId,
        id: &KeyWorkerId,
    ) -> Result<Listed<CapOverride>, StoreError> {
        let (_, overrides) = self.key_worker_trees()?;
        let mut prefix = key(council, id);
        prefix.push(b'/');
        read_page(
            &overrides,
            "caseload_overrides",
            &prefix,
            None,
            usize::MAX,
            |_: &CapOverride| true,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::KeyId;
    use crate::journey::{Journey, ParticipantId, Referral};
    use crate::store::{EraseOutcome, JourneyWrite};

    #[test]
    fn erasing_a_participant_removes_the_cap_overrides_made_for_them() {
        let (_dir, _lock, store) = crate::store::scratch();
        let council: CouncilId = "york".parse().expect("id");
        let at = "2026-01-05T10:00:00Z".parse().expect("instant");
        let kw = KeyWorkerId::new_random();
        let (erased, kept) = (ParticipantId::new_random(), ParticipantId::new_random());
        for p in [erased, kept] {
            let day = "2026-01-05".parse().expect("date");
            let journey = Journey::refer(council.clone(), p, day, Referral::example());
            store
                .write_journey(None, JourneyWrite::planned(&journey, &[]))
                .expect("journey");
            let o = CapOverride {
                key_worker: kw.clone(),
                participant: p,
                at,
                caseload: 20,
                cap: 20,
                reason: "known to them already".into(),
            };
            store.record_cap_override(&council, &o).expect("override");
        }
        let outcome = store
            .erase_participant(&council, erased, at, &KeyId::bootstrap())
            .expect("erased");
        assert!(matches!(outcome, EraseOutcome::Erased(_)));
        let left = store.cap_overrides(&council, &kw).expect("overrides").items;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].participant, kept);
    }
}
