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
