//! Damaged records set aside. Where the daemon must get past a record to go on (the
//! time-ordered timer index), one that cannot be decoded is moved to the
//! `quarantine` tree — bytes kept for restoration, key logged — so a single bad
//! record does not stop every other participant's timers.

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::{Store, StoreError, decode, flatten};
use crate::schedule::timer::Timer;

impl Store {
    /// Moves `key` out of `tree` (named `name`) into `quarantine`, under `name/key`.
    fn quarantine(
        &self,
        name: &'static str,
        tree: &sled::Tree,
        key: &[u8],
    ) -> Result<(), StoreError> {
        let quarantine = self.db.open_tree("quarantine")?;
        let mut qkey = format!("{name}/").into_bytes();
        qkey.extend_from_slice(key);
        let _writing = self.hold_writes();
        (tree, &quarantine)
            .transaction(|(tree, quarantine)| {
                if let Some(bytes) = tree.remove(key)? {
                    quarantine.insert(qkey.as_slice(), bytes)?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(flatten)
    }

    /// Decodes a timer from the index; a damaged one is quarantined and `None` returned.
    pub(super) fn timer_or_quarantine(
        &self,
        key: &[u8],
        bytes: &[u8],
    ) -> Result<Option<Timer>, StoreError> {
        match decode::<Timer>("timers", key, bytes) {
            Ok(timer) => Ok(Some(timer)),
            Err(StoreError::Corrupt { tree, reason, .. }) => {
                // Index keys are a binary instant then the timer id: log them readably.
                let (instant, id) = key.split_at(key.len().min(8));
                let e = StoreError::Corrupt {
                    tree,
                    key: format!("{}-{}", hex::encode(instant), String::from_utf8_lossy(id)),
                    reason,
                };
                tracing::error!(error = %e, "damaged timer moved to the `quarantine` tree; it will not fire");
                self.quarantine("timers", &self.timers, key)?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Damaged records set aside so far, by `tree/key`.
    pub fn quarantined(&self) -> Result<Vec<String>, StoreError> {
        self.db
            .open_tree("quarantine")?
            .iter()
            .keys()
            .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_damaged_timer_is_set_aside_and_the_next_one_fires() {
        let (_dir, _lock, store) = crate::store::scratch();
        store
            .timers
            .insert(
                b"\x00\x00\x00\x00\x00\x00\x00\x01bad",
                b"{not json".as_slice(),
            )
            .expect("insert");
        assert_eq!(store.earliest_timer().expect("earliest"), None);
        assert_eq!(
            store.quarantined().expect("list"),
            vec!["timers/\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{1}bad".to_owned()]
        );
        assert!(store.timers.is_empty());
    }
}
